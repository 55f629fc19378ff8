"""A long table is read a slice at a time, and the result is exactly the whole-table walk.

``repr`` is compared, not ``==``: equality ignores line numbers, and the slices
must keep every row's, link's and table's line exact.
"""

from __future__ import annotations

import pytest

import phasediff.markdown as markdown
from phasediff.markdown import parse_markdown, parse_markdown_cached
from phasediff.parse import parse_document


def _document(rows: int, *, before: str = "", after: str = "\nClosing words.\n") -> str:
    body = [
        f"| svc-{n:05d} | [owner {n % 7}](https://example.test/o/{n % 7}) | {8000 + n % 50} |"
        if n % 3 == 0
        else f"| svc-{n:05d} | team {n % 11} | {8000 + n % 50}"  # no closing pipe
        for n in range(rows)
    ]
    return "\n".join(
        [
            "# Phase 9: Inventory",
            "",
            "## Running Services",
            "",
            "Every service the platform runs, with a [catalogue](catalogue.md) link.",
            before,
            "| Service | [Owner](owners.md) | Port |",
            "| --- | --- | ---: |",
            *body,
            after,
            "## Notes",
            "",
            "- one more bullet",
        ]
    )


def _whole(text: str, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(markdown, "LONG_TABLE_ROWS", 10**9)
        return repr(parse_markdown(text))


def test_a_long_table_is_cut_and_walks_exactly_as_a_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = _document(2 * markdown.LONG_TABLE_ROWS + 321)
    assert markdown._long_table_tails(text.split("\n"))  # the slicing path is taken
    sliced = parse_markdown(text)
    assert repr(sliced) == _whole(text, monkeypatch)
    rows = 2 * markdown.LONG_TABLE_ROWS + 321
    header = text.split("\n").index("| Service | [Owner](owners.md) | Port |")
    section = sliced.sections[0].children[0]
    (table,) = section.tables
    assert len(table.rows) == rows
    assert (table.line, table.end_line) == (header + 1, header + 2 + rows)
    assert [link.text for link in section.links].count("Owner") == 1  # the header's, once
    assert len(section.links) == 2 + len(range(0, rows, 3))
    assert parse_document(text).extra  # the typed layer reads it too, without error


def test_the_cached_parser_cuts_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _document(markdown.LONG_TABLE_ROWS + 1500)
    assert repr(parse_markdown_cached(text, {})) == _whole(text, monkeypatch)


@pytest.mark.parametrize(
    ("before", "after", "cut"),
    [
        ("<!--\n", "\n-->\n", True),  # markdown-it reads a comment: walked again, whole
        ("```\n", "\n```\n", False),  # fenced: never a table
        ("", "trailing words on the next line\n", False),  # may continue the table
    ],
)
def test_where_a_cut_could_change_the_reading_the_text_is_walked_whole(
    monkeypatch: pytest.MonkeyPatch, before: str, after: str, cut: bool
) -> None:
    text = _document(markdown.LONG_TABLE_ROWS + 10, before=before, after=after)
    assert bool(markdown._long_table_tails(text.split("\n"))) == cut
    assert repr(parse_markdown(text)) == _whole(text, monkeypatch)
