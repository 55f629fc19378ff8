"""Diff cases as files: ``old.md``/``new.md`` (or ``phase-*.md``) with the expected changes.

``tests/cases/diff/<case>/`` compares two documents entry by entry;
``tests/cases/phases/<case>/`` folds every ``phase-*.md`` into effective
architectures and compares the last two phases.  Regenerate the expected
files with ``PHASEDIFF_UPDATE_GOLDEN=1 pytest tests/test_diff_cases.py`` and
read the diff before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from phasediff.changes import Comparison, Side
from phasediff.diff import diff_documents, diff_phases
from phasediff.effective import effective_architectures
from phasediff.parse import parse_document

CASES = Path(__file__).parent / "cases"


def _records(comparison: Comparison) -> list[dict[str, Any]]:
    return [
        {
            "section": c.section,
            "kind": c.kind.value,
            "key": c.key,
            "field": c.field,
            "old": c.old,
            "new": c.new,
            "severity": c.severity.value,
            "rule": c.rule,
            "note": c.note,
        }
        for c in comparison.changes
    ]


def _check(case: Path, comparison: Comparison) -> None:
    expected_file = case / "expected.json"
    actual = json.dumps(_records(comparison), indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("PHASEDIFF_UPDATE_GOLDEN") or not expected_file.exists():
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted((CASES / "diff").iterdir()), ids=lambda p: p.name)
def test_document_diff_case(case: Path) -> None:
    old = parse_document((case / "old.md").read_text(encoding="utf-8"))
    new = parse_document((case / "new.md").read_text(encoding="utf-8"))
    comparison = diff_documents(old, new, Side("x", "old", "old.md"), Side("x", "new", "new.md"))
    _check(case, comparison)


@pytest.mark.parametrize("case", sorted((CASES / "phases").iterdir()), ids=lambda p: p.name)
def test_phase_diff_case(case: Path) -> None:
    files = sorted(case.glob("phase-*.md"))
    chain = [
        (path.stem.removeprefix("phase-"), parse_document(path.read_text(encoding="utf-8")))
        for path in files
    ]
    states = effective_architectures(chain)
    base, head = states[-2], states[-1]
    comparison = diff_phases(
        base,
        head,
        Side(base.phase, None, files[-2].name),
        Side(head.phase, None, files[-1].name),
    )
    _check(case, comparison)


def test_phase_notes_name_their_document() -> None:
    """Phase against phase covers two documents: each parse note says which."""
    two = parse_document("# Phase 2\n\n## Vendor notes\n\nSome text.\n")
    three = parse_document("# Phase 3\n\n## Runbook links\n\n- a link\n")
    base, head = effective_architectures([("2", two), ("3", three)])
    comparison = diff_phases(
        base, head, Side("2", None, "docs/phase-2.md"), Side("3", None, "docs/phase-3.md")
    )
    notes = [(d.path, d.line, d.message) for d in comparison.diagnostics]
    assert [(path, line) for path, line, _ in notes] == [
        ("docs/phase-2.md", 3),
        ("docs/phase-3.md", 3),
    ]
    assert "Vendor notes" in notes[0][2] and "Runbook links" in notes[1][2]
