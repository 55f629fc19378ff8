"""Edit sensitivity (issue #11): replacing one word of a content line is reported at that line.

Over the demo versions, the template and small house-layout documents in tests/cases/layouts
(a component table with other headers, a roadmap with Objective/Data model bullets, numbered
sections, nested bullets, env vars as bullets, no mermaid, Japanese headings): pick any
non-blank line that is not pure decoration, replace one word (a run of letters/digits) with a
word that occurs nowhere in the document, and expect at least one change whose ``line`` is
that line.  A word replaced in place keeps every line number, so ``Change.line`` (the head
side, or the base side for a removal) names the same line on both sides.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from phasediff.changes import Side
from phasediff.diff import diff_documents
from phasediff.parse import parse_document
from tests.test_properties import CORPUS

ROOT = Path(__file__).resolve().parents[1]
LAYOUTS = ROOT / "tests" / "cases" / "layouts"

DOCUMENTS = dict(CORPUS)
for _path in sorted(LAYOUTS.glob("*.md")):
    DOCUMENTS[f"layouts/{_path.name}"] = _path.read_text(encoding="utf-8")
NAMES = sorted(DOCUMENTS)
SIDE = Side(phase=None, rev=None, path="doc.md")
NEW_WORD = "zqxv"

_WORD = re.compile(r"[^\W_]+")
_DELIMITER_ROW = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|=+)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BLANK_HEADING = re.compile(r"^\s*#+\s*$")


def _content_lines(text: str) -> list[int]:
    """0-based indexes of the lines that carry a word and are not decoration."""
    found = []
    in_comment = False
    for index, line in enumerate(text.split("\n")):
        stripped = line.strip()
        if in_comment or stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        if (
            not stripped
            or _DELIMITER_ROW.match(line)
            or _RULE.match(line)
            or _FENCE.match(line)
            or _BLANK_HEADING.match(line)
            or not _WORD.search(line)
        ):
            continue
        found.append(index)
    return found


def _edit(text: str, line_pick: int, word_pick: int) -> tuple[str, int, str]:
    lines = text.split("\n")
    candidates = _content_lines(text)
    index = candidates[line_pick % len(candidates)]
    words = list(_WORD.finditer(lines[index]))
    word = words[word_pick % len(words)]
    old_line = lines[index]
    lines[index] = old_line[: word.start()] + NEW_WORD + old_line[word.end() :]
    return "\n".join(lines), index + 1, old_line


# Known gap of issue #11 (not met today): a full scan of every content line of these documents
# (first and last word) missed 6235 of 10116 edits, 1250 of them with no change at all.  No
# change: template labels and headings (`**Configuration:**`, `## Integration with Previous
# Phases`), table header rows, the `**Phase:**` line and a title whose name `**Phase:**` gives,
# mermaid keywords, link labels.  Change at another line: prose reported at its section's
# heading, a header row at its body rows, an item with children at them.  Marked xfail, not
# narrowed, so the property stays stated in full and passes on its own once the gap closes.
@pytest.mark.xfail(reason="known gap of issue #11: edits on many line kinds are not located")
# No shrinking: while the gap is open every run fails, and shrinking a failure over
# these documents took two minutes of the suite.
@settings(
    max_examples=100,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(NAMES),
    line_pick=st.integers(min_value=0, max_value=10_000),
    word_pick=st.integers(min_value=0, max_value=100),
)
def test_one_replaced_word_is_a_change_at_its_line(
    name: str, line_pick: int, word_pick: int
) -> None:
    text = DOCUMENTS[name]
    assume(NEW_WORD not in text)
    edited, number, old_line = _edit(text, line_pick, word_pick)
    comparison = diff_documents(parse_document(text), parse_document(edited), SIDE, SIDE)
    lines = sorted({change.line for change in comparison.changes})
    assert comparison.changes, f"{name}:{number} {old_line!r}: no change at all"
    assert number in lines, f"{name}:{number} {old_line!r}: changes only at lines {lines}"
