"""Effective architectures: what a phase carries over from the one before, overlays of
restated components, and where a carried-over entity was last stated."""

from __future__ import annotations

import pytest

from phasediff.changes import Side
from phasediff.diff import diff_phases
from phasediff.effective import carries_previous, effective_architectures, merge_configuration
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


@pytest.mark.parametrize(
    "value",
    ["unchanged", "Unchanged.", "same as Phase 2", "as before", "unchanged (:3100 HTTP, :9095)"],
)
def test_values_that_only_say_the_previous_value_carries(value: str) -> None:
    assert carries_previous(value)


@pytest.mark.parametrize(
    "value", ["unchanged; the cache grows to 300 GB", "same-day delivery", "336h", None, 5]
)
def test_values_that_state_something_new(value: object) -> None:
    assert not carries_previous(value)


def test_configuration_is_deep_merged_over_the_previous_phase() -> None:
    previous = {"server": {"port": 80, "tls": False}, "limits": {"rows": 10}, "mode": "a"}
    stated = {"server": {"tls": True}, "limits": "unchanged", "extra": [1]}
    assert merge_configuration(previous, stated) == {
        "server": {"port": 80, "tls": True},
        "limits": {"rows": 10},
        "mode": "a",
        "extra": [1],
    }
    assert merge_configuration(previous, None) is previous
    assert merge_configuration(previous, ["a", "list"]) == ["a", "list"]


def _doc(phase: str, body: str) -> str:
    return f"# Phase {phase} Architecture\n\n**Phase:** {phase}\n\n## Component Details\n\n{body}"


def test_a_change_stated_in_an_intermediate_phase_says_where_it_comes_from() -> None:
    chain = [
        ("1", _doc("1", "### Component 1: Web\n\n**Technology:** nginx 1.24\n")),
        (
            "2",
            _doc(
                "2",
                "### Component 1: Web\n\n**Technology:** nginx 1.26\n\n"
                "### Component 2: Cache\n\n**Technology:** Redis 7.2\n",
            ),
        ),
        ("3", _doc("3", "### Component 1: Queue\n\n**Technology:** NATS 2.10\n")),
    ]
    states = effective_architectures([(p, parse_document(text)) for p, text in chain])
    comparison = diff_phases(states[0], states[2], Side("1", None, "p1"), Side("3", None, "p3"))
    notes = {(c.rule, c.key): c.note for c in comparison.changes if c.section == "components"}
    assert notes[("component-technology-changed", "Web")] == "carried over from phase 2"
    assert notes[("component-added", "Cache")] == "carried over from phase 2"
    assert notes[("component-added", "Queue")] == ""
