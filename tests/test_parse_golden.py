"""Golden files pin the parsed model of every demo document (and the template).

Regenerate with ``PHASEDIFF_UPDATE_GOLDEN=1 pytest tests/test_parse_golden.py``
and read the diff: a changed golden file is a changed parser.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from phasediff.changes import Side
from phasediff.parse import parse_document
from phasediff.render.show import show_json

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "parse"
DOCUMENTS = [
    *sorted((ROOT / "fixtures" / "demo").glob("phase-*/v*.md")),
    ROOT / "fixtures" / "demo" / "files" / "ARCHITECTURE-TEMPLATE.md",
]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_parsed_model_is_pinned(path: Path) -> None:
    name = f"{path.parent.name}-{path.stem}.json"
    side = Side(phase=None, rev=None, path=f"{path.parent.name}/{path.name}")
    actual = show_json(parse_document(path.read_bytes().decode("utf-8")), side)
    golden = GOLDEN / name
    if os.environ.get("PHASEDIFF_UPDATE_GOLDEN") or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")
