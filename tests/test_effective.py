"""Effective architectures: what a phase carries over from the one before."""

from __future__ import annotations

from phasediff.effective import effective_architectures
from phasediff.parse import parse_document

DRAWN = (
    "# Phase 1\n\n## Architecture Diagram\n\n```mermaid\ngraph TB\n  A[Reader] --> B[Store]\n```\n"
)
TEXT = "# Phase 2\n\n## Architecture Diagram\n\n```text\nReader -> Store\n```\n"
NONE = "# Phase 3\n\n## Overview\n\nNothing drawn here.\n"
REDRAWN = "# Phase 4\n\n## Architecture Diagram\n\n```mermaid\ngraph TB\n  B[Store]\n```\n"


def test_a_phase_without_a_mermaid_diagram_carries_the_last_one() -> None:
    docs = [(str(n), parse_document(t)) for n, t in enumerate((DRAWN, TEXT, NONE, REDRAWN), 1)]
    states = effective_architectures(docs)
    drawn = docs[0][1].diagram
    assert [s.diagram is drawn for s in states] == [True, True, True, False]
    assert [s.diagram_phase for s in states] == ["1", "1", "1", "4"]
    assert [n.label for n in states[3].diagram.nodes] == ["Store"]
