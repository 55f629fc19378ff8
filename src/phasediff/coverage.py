"""Which entity owns each line of a document: the coverage invariant made visible.

Every non-blank line of a phase document should belong to one entity of the
parsed model: a typed one (a component, a metric, the overview ...) or a
generic one (a section's prose paragraph, list item, table row, code block).
``line_owners`` tells, for one document and its parse, which lines went where
and which to nothing; ``phasediff show N --coverage`` prints it.  Blank lines
and pure decoration (rules, HTML comments, table separator rows, setext
underlines) belong to nobody and are not counted.  A pure function of the text
and the model.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from phasediff.markdown import normalised_lines
from phasediff.model import ListItem, PhaseDocument, Section


class Owner(enum.Enum):
    TYPED = "typed"
    GENERIC = "generic"
    NONE = "none"


@dataclass(frozen=True)
class Run:
    """Consecutive lines ``start``..``end`` with one owner; ``where`` names it (the typed
    kind, or the section whose generic content they are)."""

    start: int
    end: int
    owner: Owner
    where: str


@dataclass(frozen=True)
class Coverage:
    runs: tuple[Run, ...]

    def count(self, owner: Owner) -> int:
        return sum(run.end - run.start + 1 for run in self.runs if run.owner is owner)


_RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|=+)$")


def _decoration(lines: list[str]) -> set[int]:
    """1-based lines that carry no content: rules, setext underlines, HTML comments."""
    found: set[int] = set()
    in_comment = False
    fence = ""
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        if in_comment or stripped.startswith("<!--"):
            found.add(number)
            in_comment = "-->" not in stripped
            continue
        if _RULE.match(line):
            found.add(number)
    return found


def _walk(sections: Iterable[Section]) -> Iterator[Section]:
    for section in sections:
        yield section
        yield from _walk(section.children)


def _items(items: Iterable[ListItem]) -> Iterator[ListItem]:
    for item in items:
        yield item
        yield from _items(item.children)


def line_owners(text: str, doc: PhaseDocument) -> Coverage:
    """Who owns each non-blank, non-decoration line of ``text`` (parsed as ``doc``)."""
    lines = normalised_lines(text)
    owner: dict[int, tuple[Owner, str]] = {}
    residual = {section.line: section for section in doc.extra}
    kinds = {section.key: section.kind.replace("_", " ") for section in doc.extra}
    generic_lines: set[tuple[str, int]] = set()
    for section in doc.extra:
        for item in section.fields:
            generic_lines.add(("field", item.line))
        for block in section.lists:
            generic_lines.update(("item", item.line) for item in _items(block.items))
        for table in section.tables:
            generic_lines.add(("table", table.line))
            generic_lines.update(("row", row.line) for row in table.rows)
        for code in section.code:
            generic_lines.add(("code", code.line))
        for span in section.paragraph_spans:
            generic_lines.add(("text", span.line))
    # Spans painted outermost first, so an inner element (a nested item, a row) wins.
    spans: list[tuple[int, int, str, int, str]] = []  # start, end, element, key line, section
    for section in _walk(doc.sections):
        where = _where(section, residual)
        if section.level > 0 and section.line:
            spans.append((section.line, section.line, "heading", section.line, where))
        for item in section.fields:
            spans.append((item.line, item.end_line or item.line, "field", item.line, where))
        for span in section.paragraph_spans:
            spans.append((span.line, span.end_line or span.line, "text", span.line, where))
        for block in section.lists:
            for entry in _items(block.items):
                end = entry.end_line or entry.line
                spans.append((entry.line, end, "item", entry.line, where))
        for table in section.tables:
            spans.append((table.line, table.end_line or table.line, "table", table.line, where))
            spans.extend((row.line, row.line, "row", row.line, where) for row in table.rows)
        for code in section.code:
            spans.append((code.line, code.end_line or code.line, "code", code.line, where))
    spans.sort(key=lambda span: (-(span[1] - span[0]), span[0]))
    for start, end, element, key_line, where in spans:
        if element == "heading":
            found = residual.get(key_line)
            kind = found.kind if found is not None else "title"
            state = (Owner.TYPED, kind) if kind else (Owner.GENERIC, where)
        elif (element, key_line) in generic_lines:
            state = (Owner.GENERIC, where)
        else:
            state = (Owner.TYPED, kinds.get(where) or where)
        for number in range(start, end + 1):
            owner[number] = state
    decoration = _decoration(lines)
    runs: list[Run] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or number in decoration:
            continue
        state = owner.get(number, (Owner.NONE, ""))
        last = runs[-1] if runs else None
        # A run goes on over blank and decoration lines.
        if (
            last
            and last.owner is state[0]
            and last.where == state[1]
            and all(
                not lines[n - 1].strip() or n in decoration for n in range(last.end + 1, number)
            )
        ):
            runs[-1] = Run(last.start, number, last.owner, last.where)
        else:
            runs.append(Run(number, number, state[0], state[1]))
    return Coverage(tuple(runs))


def _where(section: Section, residual: dict[int, Section]) -> str:
    found = residual.get(section.line)
    if found is not None and found.key:
        return found.key
    return "preamble" if section.level == 0 or found is None else section.title
