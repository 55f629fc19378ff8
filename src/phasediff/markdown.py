"""The generic layer: any markdown text to a tree of ``Section`` values.

This is the only module that imports markdown-it-py and the YAML loader.  It
knows nothing of the template: it finds headings, ``**Label:** value`` fields,
tables, lists (with task-list boxes), code blocks (YAML parsed safely) and links,
and attaches to each table, list and code block the label of the field line
that introduces it (``**Configuration:**`` before a YAML block).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from phasediff.model import (
    CodeBlock,
    Diagnostic,
    Field,
    Link,
    ListBlock,
    ListItem,
    Row,
    Section,
    Table,
)
from phasediff.text import collapse, normalise_key, plain

_MD = MarkdownIt("commonmark", {"html": True}).enable("table")
_FIELD = re.compile(
    r"^\s*(?:\*\*|__)(?P<label>[^*_\n]{1,80}?)\s*(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:)\s*(?P<value>.*)$"
)
_TASK = re.compile(r"^\[( |x|X)\]\s+")
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
_QUOTE_MARKERS = re.compile(r"^\s*(?:>\s?)*")


def normalise_source(text: str) -> str:
    """CRLF and CR to LF, BOM and trailing whitespace dropped: form that never matters."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def split_field(line: str) -> tuple[str, str] | None:
    """``**Label:** value`` (or ``**Label**: value``) to ``(label, raw value)``."""
    match = _FIELD.match(line)
    if match is None:
        return None
    return collapse(match.group("label")), match.group("value").strip()


class _Loader(yaml.SafeLoader):
    """The safe loader without timestamp resolution: dates stay the strings they were written as."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> tuple[Any, str | None, int | None]:
    """Parse YAML safely: ``(data, error message, 0-based error line within the block)``."""
    try:
        return yaml.load(text, Loader=_Loader), None, None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, str(problem), line
    except (ValueError, TypeError, RecursionError) as exc:  # odd scalars, deep nesting
        return None, str(exc), None


def dump_yaml(data: Any) -> str:
    """Plain data as block-style YAML that ``load_yaml`` reads back; keys keep their order."""
    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return text


@dataclass
class _Builder:
    """A section under construction; turned into a frozen ``Section`` at the end."""

    title: str
    level: int
    line: int
    end_line: int = 0
    fields: list[Field] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    lists: list[ListBlock] = field(default_factory=list)
    code: list[CodeBlock] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    children: list[_Builder] = field(default_factory=list)
    label: str = ""

    def freeze(self) -> Section:
        return Section(
            title=self.title,
            level=self.level,
            fields=tuple(self.fields),
            tables=tuple(self.tables),
            lists=tuple(self.lists),
            code=tuple(self.code),
            links=tuple(self.links),
            paragraphs=tuple(self.paragraphs),
            children=tuple(child.freeze() for child in self.children),
            line=self.line,
            end_line=self.end_line,
        )


@dataclass(frozen=True)
class GenericDocument:
    title: str
    sections: tuple[Section, ...]
    diagnostics: tuple[Diagnostic, ...]


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


def _links(inline: Token, line: int) -> list[Link]:
    found: list[Link] = []
    children = inline.children or []
    for index, child in enumerate(children):
        if child.type != "link_open":
            continue
        href = str(child.attrs.get("href", ""))
        text_parts = []
        for inner in children[index + 1 :]:
            if inner.type == "link_close":
                break
            text_parts.append(inner.content)
        found.append(Link(text=plain("".join(text_parts)), target=href, line=line))
    return found


class _Walker:
    """One pass over the token stream, keeping a stack of open sections."""

    def __init__(
        self, tokens: list[Token], line_count: int, lines: list[str] | None = None
    ) -> None:
        self.tokens = tokens
        self.pos = 0
        self.line_count = line_count
        self.lines = lines or []
        self.root = _Builder(title="", level=0, line=1)
        self.stack: list[_Builder] = [self.root]
        self.diagnostics: list[Diagnostic] = []

    @property
    def current(self) -> _Builder:
        return self.stack[-1]

    def walk(self) -> GenericDocument:
        while self.pos < len(self.tokens):
            self._block(self.tokens[self.pos])
        for builder in self.stack:
            builder.end_line = self.line_count
        title = ""
        # The title is the one heading that holds the rest, whatever its level.
        children = self.root.children
        if len(children) == 1 or (
            children and children[0].level < min(c.level for c in children[1:])
        ):
            title = children[0].title
        sections: list[Section] = []
        if self._has_content(self.root):
            preamble = _Builder(title="", level=0, line=1, end_line=self.root.end_line)
            preamble.fields, preamble.tables = self.root.fields, self.root.tables
            preamble.lists, preamble.code = self.root.lists, self.root.code
            preamble.links, preamble.paragraphs = self.root.links, self.root.paragraphs
            sections.append(preamble.freeze())
        sections.extend(child.freeze() for child in self.root.children)
        return GenericDocument(title, tuple(sections), tuple(self.diagnostics))

    @staticmethod
    def _has_content(builder: _Builder) -> bool:
        return bool(
            builder.fields or builder.tables or builder.lists or builder.code or builder.paragraphs
        )

    def _block(self, token: Token) -> None:
        kind = token.type
        if kind == "heading_open":
            self._heading(token)
        elif kind == "paragraph_open":
            self._paragraph()
        elif kind in ("bullet_list_open", "ordered_list_open"):
            self._list(token)
        elif kind == "table_open":
            self._table(token)
        elif kind in ("fence", "code_block"):
            self._code(token)
            self.pos += 1
        elif kind == "html_block":
            content = token.content.strip()
            if content and not content.startswith("<!--"):
                self.current.paragraphs.append(plain(content))
            self.pos += 1
        else:
            # hr, blockquote markers and closing tokens carry no content of their own;
            # a blockquote's paragraphs and lists are read by the branches above.
            self.pos += 1

    def _heading(self, token: Token) -> None:
        level = int(token.tag[1:]) if token.tag[1:].isdigit() else 1
        inline = self.tokens[self.pos + 1]
        line = _line(token)
        title = plain(inline.content)
        while len(self.stack) > 1 and self.stack[-1].level >= level:
            closed = self.stack.pop()
            closed.end_line = max(line - 1, closed.line)
        builder = _Builder(title=title, level=level, line=line)
        builder.links.extend(_links(inline, line))
        self.current.children.append(builder)
        self.stack.append(builder)
        self.pos += 3

    def _paragraph(self) -> None:
        inline = self.tokens[self.pos + 1]
        start = _line(inline)
        section = self.current
        section.links.extend(_links(inline, start))
        prose: list[str] = []
        # (label, raw value lines, line number) of the fields in this paragraph; a line
        # that is not a field continues the field above it (re-wrapped values).
        found: list[tuple[str, list[str], int]] = []
        for offset, raw in enumerate(inline.content.split("\n")):
            parsed = split_field(raw)
            if parsed is not None:
                found.append((parsed[0], [parsed[1]], start + offset))
            elif found:
                found[-1][1].append(raw.strip())
            else:
                prose.append(raw)
        for label, lines, line in found:
            value = plain(" ".join(lines))
            section.fields.append(Field(label=label, value=value, line=line))
            section.label = label if not value else ""
        if prose:
            text = plain(" ".join(prose))
            if text:
                section.paragraphs.append(text)
                if not found:
                    section.label = ""
        self.pos += 3

    def _inline_text(self, stop: str) -> tuple[str, list[Token]]:
        """Join the inline content up to the ``stop`` token; return it and the inline tokens."""
        parts: list[str] = []
        inlines: list[Token] = []
        depth = 0
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            if token.type == stop and depth == 0:
                break
            if token.type == "inline":
                parts.append(token.content)
                inlines.append(token)
            if token.nesting == 1:
                depth += 1
            elif token.nesting == -1:
                depth -= 1
            self.pos += 1
        return " ".join(parts), inlines

    def _list(self, opening: Token) -> None:
        ordered = opening.type == "ordered_list_open"
        close = "ordered_list_close" if ordered else "bullet_list_close"
        line = _line(opening)
        self.pos += 1
        items: list[ListItem] = []
        while self.pos < len(self.tokens) and self.tokens[self.pos].type != close:
            token = self.tokens[self.pos]
            if token.type == "list_item_open":
                items.append(self._item())
            else:
                self.pos += 1
        self.pos += 1
        if not ordered:
            items.sort(key=lambda item: (normalise_key(item.text), item.done is True))
        self.current.lists.append(
            ListBlock(ordered=ordered, items=tuple(items), label=self.current.label, line=line)
        )
        self.current.label = ""

    def _item(self) -> ListItem:
        opening = self.tokens[self.pos]
        line = _line(opening)
        self.pos += 1
        texts: list[str] = []
        children: list[ListItem] = []
        while self.pos < len(self.tokens) and self.tokens[self.pos].type != "list_item_close":
            token = self.tokens[self.pos]
            if token.type in ("bullet_list_open", "ordered_list_open"):
                nested_close = (
                    "ordered_list_close"
                    if token.type == "ordered_list_open"
                    else "bullet_list_close"
                )
                self.pos += 1
                while self.pos < len(self.tokens) and self.tokens[self.pos].type != nested_close:
                    if self.tokens[self.pos].type == "list_item_open":
                        children.append(self._item())
                    else:
                        self.pos += 1
                self.pos += 1
            elif token.type == "inline":
                texts.append(token.content)
                self.current.links.extend(_links(token, _line(token)))
                self.pos += 1
            elif token.type in ("fence", "code_block"):
                self._code(token)
                self.pos += 1
            else:
                self.pos += 1
        self.pos += 1
        raw = " ".join(texts).strip()
        done: bool | None = None
        task = _TASK.match(raw)
        if task:
            done = task.group(1) != " "
            raw = raw[task.end() :]
        return ListItem(text=plain(raw), done=done, children=tuple(children), line=line)

    def _table(self, opening: Token) -> None:
        line = _line(opening)
        self.pos += 1
        header: list[str] = []
        rows: list[Row] = []
        current: list[str] = []
        in_head = False
        row_line = line
        while self.pos < len(self.tokens) and self.tokens[self.pos].type != "table_close":
            token = self.tokens[self.pos]
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type == "tr_open":
                current = []
                row_line = _line(token)
            elif token.type == "inline":
                current.append(plain(token.content))
                self.current.links.extend(_links(token, row_line))
            elif token.type == "tr_close":
                if in_head:
                    header = current
                else:
                    key = normalise_key(current[0]) if current else ""
                    written = self._written_cells(row_line)
                    rows.append(
                        Row(key=key, cells=tuple(current), line=row_line, written_cells=written)
                    )
            self.pos += 1
        self.pos += 1
        rows.sort(key=lambda row: (row.key, row.cells))
        self.current.tables.append(
            Table(header=tuple(header), rows=tuple(rows), label=self.current.label, line=line)
        )
        self.current.label = ""

    def _written_cells(self, line: int) -> int:
        """How many cells source line ``line`` holds (outer pipes optional; 0 when unknown)."""
        if not 1 <= line <= len(self.lines):
            return 0
        text = _QUOTE_MARKERS.sub("", self.lines[line - 1]).strip()
        cells = _CELL_SEPARATOR.split(text)
        if cells and not cells[0].strip():
            cells.pop(0)
        if cells and not cells[-1].strip() and text.endswith("|"):
            cells.pop()
        return len(cells)

    def _code(self, token: Token) -> None:
        line = _line(token)
        info = token.info.strip().split(" ")[0].casefold() if token.info else ""
        text = "\n".join(part.rstrip() for part in token.content.split("\n")).strip("\n")
        data: Any = None
        error: str | None = None
        if info in ("yaml", "yml"):
            data, error, error_line = load_yaml(text)
            if error is not None:
                # +1 for the fence line, +1 for 1-based numbering.
                where = line + 1 + (error_line or 0)
                self.diagnostics.append(
                    Diagnostic(
                        code="yaml-invalid",
                        message=f"YAML block does not parse: {error}",
                        line=where,
                        end_line=where,
                    )
                )
        self.current.code.append(
            CodeBlock(
                info=info, text=text, label=self.current.label, data=data, error=error, line=line
            )
        )
        self.current.label = ""


def parse_markdown(text: str) -> GenericDocument:
    """Any markdown to its heading tree; never raises on any input."""
    source = normalise_source(text)
    tokens = _MD.parse(source)
    lines = source.split("\n")
    return _Walker(tokens, len(lines), lines).walk()
