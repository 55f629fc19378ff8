"""The generic layer: any markdown text to a tree of ``Section`` values.

This is the only module that imports markdown-it-py and the YAML loader, and
it imports them on first use: a command that parses nothing (a warm
``phasediff log``) does not pay for them.  It knows nothing of the template:
it finds headings, ``**Label:** value`` fields, tables, lists (with task-list
boxes), code blocks (YAML parsed safely) and links, and attaches to each
table, list and code block the label of the field line that introduces it
(``**Configuration:**`` before a YAML block).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from phasediff.model import (
    CodeBlock,
    Diagnostic,
    Field,
    Link,
    ListBlock,
    ListItem,
    Row,
    Section,
    Span,
    Table,
)
from phasediff.text import collapse, normalise_key, plain

if TYPE_CHECKING:
    import yaml
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_FIELD = re.compile(
    r"^\s*(?:\*\*|__)(?P<label>[^*_\n]{1,80}?)\s*(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:)\s*(?P<value>.*)$"
)
_TASK = re.compile(r"^\[( |x|X)\]\s+")
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
_QUOTE_MARKERS = re.compile(r"^\s*(?:>\s?)*")
_T = TypeVar("_T")
_V = TypeVar("_V")


def normalise_source(text: str) -> str:
    """CRLF and CR to LF, BOM and trailing whitespace dropped: form that never matters."""
    return "\n".join(normalised_lines(text))


def normalised_lines(text: str) -> list[str]:
    """The lines of ``normalise_source(text)``.

    ``str.rstrip`` drops what ``str.isspace`` calls whitespace, as ``\\s`` does;
    line by line it is several times faster than a multi-line regex.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [line.rstrip() for line in text.split("\n")]


def split_field(line: str) -> tuple[str, str] | None:
    """``**Label:** value`` (or ``**Label**: value``) to ``(label, raw value)``."""
    match = _FIELD.match(line)
    if match is None:
        return None
    return collapse(match.group("label")), match.group("value").strip()


@functools.cache
def _markdown_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table")


@functools.cache
def _yaml_loader() -> type[yaml.SafeLoader]:
    """The safe loader without timestamp resolution: dates stay the strings they were written as."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in found if tag != "tag:yaml.org,2002:timestamp"]
        for first, found in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


#: However many aliases a YAML block uses, the data it stands for may hold at most this many
#: values more than ten times the values written out (a "billion laughs" block of nine lines
#: would otherwise expand to a billion strings in every diff, JSON rendering and comparison).
YAML_EXPANSION_FLOOR = 10_000


@functools.lru_cache(maxsize=4096)
def load_yaml(text: str) -> tuple[Any, str | None, int | None]:
    """Parse YAML safely: ``(data, error message, 0-based error line within the block)``.

    Cached by text: a configuration block recurs unchanged across most versions of
    a document.  Callers only read the data, never change it.  A block whose aliases
    expand it beyond ``YAML_EXPANSION_FLOOR`` plus ten times its written size is an
    error, like a block that does not parse: it is counted on the composed nodes,
    before anything is constructed.
    """
    import yaml

    loader = _yaml_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None, None
        written = _written_nodes(node)
        budget = YAML_EXPANSION_FLOOR + 10 * written
        if _expanded_nodes(node, budget) > budget:
            return (
                None,
                f"its aliases expand {written} written values to more than {budget}",
                node.start_mark.line,
            )
        return loader.construct_document(node), None, None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, str(problem), line
    except (ValueError, TypeError, RecursionError) as exc:  # odd scalars, deep nesting
        return None, str(exc), None
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _written_nodes(root: yaml.Node) -> int:
    """How many distinct nodes a composed document holds (each anchor counted once)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in _children(stack.pop()):
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def _expanded_nodes(root: yaml.Node, budget: int) -> int:
    """How many values the document stands for with every alias expanded, up to ``budget + 1``.

    Walked as ``render.common.jsonable`` walks the data: an alias to an enclosing node
    (a structure that refers to itself) counts once, as the ``<recursive>`` marker it
    becomes there.  The walk stops as soon as the count passes the budget.
    """
    count = 0
    # (node, the ids of its enclosing nodes) — explicit stack: blocks may nest deeply.
    stack: list[tuple[yaml.Node, frozenset[int]]] = [(root, frozenset())]
    while stack:
        node, path = stack.pop()
        count += 1
        if count > budget:
            break
        if id(node) in path:
            continue
        inner = path | {id(node)}
        stack.extend((child, inner) for child in _children(node))
    return count


def dump_yaml(data: Any) -> str:
    """Plain data as block-style YAML that ``load_yaml`` reads back; keys keep their order."""
    import yaml

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
    paragraph_spans: list[Span] = field(default_factory=list)
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
            paragraph_spans=tuple(self.paragraph_spans),
        )


@dataclass(frozen=True)
class GenericDocument:
    title: str
    sections: tuple[Section, ...]
    diagnostics: tuple[Diagnostic, ...]


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


def _end_line(token: Token) -> int:
    """The last line of a block token (1-based), or 0 when unknown."""
    return token.map[1] if token.map else 0


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
        self,
        tokens: list[Token],
        line_count: int,
        lines: list[str] | None = None,
        tails: dict[int, list[tuple[int, int]]] | None = None,
    ) -> None:
        self.tokens = tokens
        self.pos = 0
        self.line_count = line_count
        self.lines = lines or []
        # Rows of long tables left out of ``tokens`` (see ``_walk``), by the table's line.
        self.tails = tails or {}
        self.tails_read: set[int] = set()
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
            preamble.paragraph_spans = self.root.paragraph_spans
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
            if content and not content.startswith("<!--") and plain(content):
                self.current.paragraphs.append(plain(content))
                self.current.paragraph_spans.append(
                    Span(_line(token), self._end(token, _line(token)))
                )
            self.pos += 1
        else:
            # hr, blockquote markers and closing tokens carry no content of their own;
            # a blockquote's paragraphs and lists are read by the branches above.
            self.pos += 1

    def _end(self, token: Token, start: int) -> int:
        """A block's last line, trailing blank lines aside (a chunk may end before them)."""
        end = _end_line(token) or start
        while end > start and end <= len(self.lines) and not self.lines[end - 1].strip():
            end -= 1
        return end

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
        end = self._end(self.tokens[self.pos], start)
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
        for index, (label, lines, line) in enumerate(found):
            value = plain(" ".join(lines))
            last = found[index + 1][2] - 1 if index + 1 < len(found) else end
            section.fields.append(Field(label=label, value=value, line=line, end_line=last))
            section.label = label if not value else ""
        if prose:
            text = plain(" ".join(prose))
            if text:
                section.paragraphs.append(text)
                last = found[0][2] - 1 if found else end
                section.paragraph_spans.append(Span(start, max(last, start)))
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
        return ListItem(
            text=plain(raw),
            done=done,
            children=tuple(children),
            line=line,
            end_line=self._end(opening, line),
        )

    def _table(self, opening: Token) -> None:
        line = _line(opening)
        self.pos, header, rows = self._table_rows(self.tokens, self.pos + 1, 0)
        self.pos += 1
        end = self._end(opening, line)
        for start, stop in self.tails.get(line, ()):
            # One slice at a time: markdown-it's tokens for a row weigh several KB.
            text = "\n".join([self.lines[line - 1], self.lines[line], *self.lines[start:stop]])
            tokens = _markdown_parser().parse(text)
            _, _, more = self._table_rows(tokens, 1, start - 2)
            rows.extend(more)
            end = stop
            self.tails_read.add(line)
        rows.sort(key=lambda row: (row.key, row.cells))
        self.current.tables.append(
            Table(
                header=tuple(header),
                rows=tuple(rows),
                label=self.current.label,
                line=line,
                end_line=end,
            )
        )
        self.current.label = ""

    def _table_rows(
        self, tokens: list[Token], pos: int, offset: int
    ) -> tuple[int, list[str], list[Row]]:
        """The header and rows from ``pos`` to ``table_close``; lines moved by ``offset``."""
        header: list[str] = []
        rows: list[Row] = []
        current: list[str] = []
        in_head = False
        row_line = 0
        while pos < len(tokens) and tokens[pos].type != "table_close":
            token = tokens[pos]
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type == "tr_open":
                current = []
                row_line = _line(token) + offset
            elif token.type == "inline":
                current.append(plain(token.content))
                if not (in_head and offset):  # a slice repeats the header: its links once
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
            pos += 1
        return pos, header, rows

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
                info=info,
                text=text,
                label=self.current.label,
                data=data,
                error=error,
                line=line,
                end_line=self._end(token, line),
            )
        )
        self.current.label = ""


def parse_markdown(text: str) -> GenericDocument:
    """Any markdown to its heading tree; never raises on any input."""
    source = normalise_source(text)
    return _walk(source, source.split("\n"))


#: A table with more body rows than this is handed to markdown-it in slices of
#: ``TABLE_SLICE_ROWS``: its tokens take several KB a row, the model about one.
LONG_TABLE_ROWS = 2000
TABLE_SLICE_ROWS = 1000
_TABLE_DELIMITER = re.compile(r"^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")


def _walk(source: str, lines: list[str]) -> GenericDocument:
    """``source`` (whose lines are ``lines``) walked; long tables a slice at a time.

    The rows of a long table after its first slice are blanked out of what
    markdown-it sees (so every line keeps its number) and read back slice by
    slice when the walker reaches the table.  Should markdown-it not see a table
    where one was cut (inside a raw HTML block, say), the whole text is walked
    again as it is: the cut never changes the result.
    """
    tails = _long_table_tails(lines)
    if tails:
        masked = list(lines)
        for ranges in tails.values():
            for start, stop in ranges:
                masked[start:stop] = [""] * (stop - start)
        walker = _Walker(_markdown_parser().parse("\n".join(masked)), len(lines), lines, tails)
        generic = walker.walk()
        if walker.tails_read == set(tails):
            return generic
    return _Walker(_markdown_parser().parse(source), len(lines), lines).walk()


def _long_table_tails(lines: list[str]) -> dict[int, list[tuple[int, int]]]:
    """For each long table: its line (1-based) -> the row ranges after its first slice.

    Only a table that certainly ends where its ``|`` lines end is cut: it starts
    in column 0 after a blank line, outside fenced code, and a blank line or the
    end of the text follows its last row.
    """
    tails: dict[int, list[tuple[int, int]]] = {}
    fence = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence) and not stripped.strip(fence[0]).strip():
                fence = ""
            index += 1
            continue
        opened = _FENCE_OPEN.match(stripped) if len(line) - len(stripped) < 4 else None
        if opened:
            fence = opened.group(1) or opened.group(2)
            index += 1
            continue
        if (
            line.startswith("|")
            and (index == 0 or not lines[index - 1].strip())
            and index + 1 < len(lines)
            and _TABLE_DELIMITER.match(lines[index + 1])
        ):
            first = index + 2
            end = first
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            if end - first > LONG_TABLE_ROWS and (end == len(lines) or not lines[end].strip()):
                starts = range(first + TABLE_SLICE_ROWS, end, TABLE_SLICE_ROWS)
                tails[index + 1] = [(a, min(a + TABLE_SLICE_ROWS, end)) for a in starts]
            index = max(end, index + 1)
            continue
        index += 1
    return tails


# ---------------------------------------------------------------------------
# Section-level caching: parse only the parts of a document whose text changed
# ---------------------------------------------------------------------------
#
# A history walk parses thousands of versions of a few documents, and each
# version differs from the one before in a section or two.  So a document is cut
# into chunks at its ATX headings, each chunk is walked on its own, and the walk
# of every chunk text is kept in a cache.  The pieces are put back together
# with the walker's own nesting rules, so the result equals ``parse_markdown``'s,
# line numbers included (tests hold every fixture and random markdown to that).
#
# A cut is only made where markdown-it is certainly between two top-level
# blocks: at an ATX heading in column 0 that follows a blank line, outside any
# fenced code and raw HTML block.  When the text holds a construct that could
# make that uncertain (a fence marker or an HTML block start that is indented,
# so possibly inside a list item), no cut is made after it; a document with
# link reference definitions, which markdown-it resolves document-wide, is
# not cut at all.

_ATX_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
_FENCE_OPEN = re.compile(r"(?:(`{3,})[^`]*|(~{3,}).*)$")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*$")
_INDENTED_BLOCK_START = re.compile(r"[ \t]+(?:`{3,}|~{3,}|<)")
_SIGNIFICANT = frozenset("#`~< \t")
_LINK_REFERENCE = re.compile(r"^ {0,3}\[(?:[^\]\\]|\\.)+\]:", re.MULTILINE)
# HTML blocks of CommonMark types 1-5 run to a terminator, across blank lines.
_RAW_HTML = (
    (
        re.compile(r"<(?:script|pre|style|textarea)(?:[\s>]|$)", re.I),
        re.compile(r"</(?:script|pre|style|textarea)>", re.I),
    ),
    (re.compile(r"<!--"), re.compile(r"-->")),
    (re.compile(r"<\?"), re.compile(r"\?>")),
    (re.compile(r"<!\[CDATA\["), re.compile(r"\]\]>")),
    (re.compile(r"<![A-Za-z]"), re.compile(r">")),
)


def split_chunks(lines: list[str]) -> list[int]:
    """The 0-based line numbers where ``lines`` (normalised source) may be cut, 0 first."""
    cuts = [0]
    source = "\n".join(lines)
    if "]:" in source and _LINK_REFERENCE.search(source):
        return cuts
    fence: tuple[str, int] | None = None  # marker character and length of the open fence
    raw_end: re.Pattern[str] | None = None  # terminator of the open raw HTML block
    until_blank = False  # inside an HTML block (or paragraph) that a blank line ends
    previous_blank = True
    for number, line in enumerate(lines):
        # Checked first for speed: a blank line only ends an HTML block (and that
        # cannot be open inside a fence or a raw HTML block), and most other lines
        # can open, close or cut nothing.
        if not line:
            until_blank = False
            previous_blank = True
            continue
        if raw_end is None and line[0] not in _SIGNIFICANT:
            previous_blank = False
            continue
        if fence is not None:
            # A closing fence has its marker within its first four characters.
            close = _FENCE_CLOSE.match(line) if fence[0] in line[:4] else None
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= fence[1]:
                fence = None
        elif raw_end is not None:
            if raw_end.search(line):
                raw_end = None
        elif until_blank:
            if (
                _FENCE_OPEN.match(line)
                or _INDENTED_BLOCK_START.match(line)
                or any(start.match(line) for start, _ in _RAW_HTML)
            ):
                # What looked like HTML may be a paragraph, which a fence or a raw
                # HTML block can interrupt and then run past blank lines: stop here.
                return cuts
        elif line[0] == "#":  # none of the tests below matches a line starting so
            if previous_blank and number and _ATX_HEADING.match(line):
                cuts.append(number)
        elif _INDENTED_BLOCK_START.match(line):
            return cuts
        elif opened := _FENCE_OPEN.match(line):
            marker = opened.group(1) or opened.group(2)
            fence = (marker[0], len(marker))
        elif line.startswith("<"):
            raw_end = next((end for start, end in _RAW_HTML if start.match(line)), None)
            if raw_end is not None and raw_end.search(line):
                raw_end = None
            elif raw_end is None:
                until_blank = True
        previous_blank = False
    return cuts


@dataclass(frozen=True)
class ParsedChunk:
    """The walk of one chunk: its sections flat, in document order, without children.

    Line numbers are absolute for a chunk starting at 0-based line ``offset``;
    ``preamble`` is the content before the first heading (first chunk only).
    """

    offset: int
    preamble: Section | None
    sections: tuple[Section, ...]
    diagnostics: tuple[Diagnostic, ...]


class ChunkCache(Protocol):
    """Where parsed chunks are kept, by chunk text; a ``dict`` is one."""

    def get(self, key: str, /) -> ParsedChunk | None: ...

    def __setitem__(self, key: str, value: ParsedChunk, /) -> None: ...


def parse_markdown_cached(text: str, cache: ChunkCache) -> GenericDocument:
    """``parse_markdown(text)``, walking only the chunks ``cache`` does not hold yet."""
    lines = normalised_lines(text)
    chunks: list[ParsedChunk] = []
    for start, chunk_lines in _chunk_lines(lines):
        key = "\n".join(chunk_lines)
        parsed = cache.get(key)
        if parsed is None:
            parsed = _parse_chunk(chunk_lines, key, start)
            cache[key] = parsed
        elif parsed.offset != start:
            parsed = _move(parsed, start)
            cache[key] = parsed
        chunks.append(parsed)
    return _assemble(chunks, len(lines))


def chunk_texts(text: str) -> list[str]:
    """The chunks ``parse_markdown_cached`` cuts ``text`` into: the keys it caches under."""
    lines = normalised_lines(text)
    return ["\n".join(chunk) for _, chunk in _chunk_lines(lines)]


def _chunk_lines(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    cuts = split_chunks(lines)
    for start, end in zip(cuts, [*cuts[1:], len(lines)], strict=True):
        yield start, lines[start:end]


def _parse_chunk(lines: list[str], source: str, offset: int) -> ParsedChunk:
    generic = _walk(source, lines)
    preamble: Section | None = None
    flat: list[Section] = []
    for section in generic.sections:
        if section.level == 0:
            preamble = section
        else:
            _flatten(section, flat)
    chunk = ParsedChunk(0, preamble, tuple(flat), generic.diagnostics)
    return _move(chunk, offset) if offset else chunk


def _move(chunk: ParsedChunk, offset: int) -> ParsedChunk:
    delta = offset - chunk.offset
    return ParsedChunk(
        offset,
        shift_lines(chunk.preamble, delta),
        shift_lines(chunk.sections, delta),
        shift_lines(chunk.diagnostics, delta),
    )


def _flatten(section: Section, out: list[Section]) -> None:
    out.append(replace(section, children=()))
    for child in section.children:
        _flatten(child, out)


@dataclass
class _Open:
    section: Section
    children: list[_Open]
    end_line: int = 0


def _assemble(chunks: list[ParsedChunk], line_count: int) -> GenericDocument:
    """Nest the chunks' sections exactly as ``_Walker`` does for the whole text."""
    top: list[_Open] = []
    stack: list[_Open] = []
    preamble: Section | None = None
    diagnostics: list[Diagnostic] = []
    for chunk in chunks:
        diagnostics.extend(chunk.diagnostics)
        preamble = preamble or chunk.preamble
        for section in chunk.sections:
            while stack and stack[-1].section.level >= section.level:
                closed = stack.pop()
                closed.end_line = max(section.line - 1, closed.section.line)
            node = _Open(section, [])
            (stack[-1].children if stack else top).append(node)
            stack.append(node)
    for node in stack:
        node.end_line = line_count
    title = ""
    if len(top) == 1 or (top and top[0].section.level < min(n.section.level for n in top[1:])):
        title = top[0].section.title
    sections: list[Section] = []
    if preamble is not None:
        sections.append(_updated(preamble, end_line=line_count))
    sections.extend(_close(node) for node in top)
    return GenericDocument(title, tuple(sections), tuple(diagnostics))


class IdentityMemo(Generic[_V]):
    """A bounded map from the identities of some values to what was computed from them.

    A history walk meets the same section objects version after version (the
    chunk cache hands them out), so what was derived from them can be found by
    their ``id`` alone, with no hashing or comparing of their content.  Each
    entry keeps the values its key names alive, so an ``id`` in a live key
    always means the very same object.  The least recently used entry goes
    first.  A value is never None: ``get`` answers None for "not here".
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: dict[tuple[Any, ...], tuple[object, _V]] = {}

    def get(self, key: tuple[Any, ...]) -> _V | None:
        found = self.entries.pop(key, None)
        if found is None:
            return None
        self.entries[key] = found  # most recently used last
        return found[1]

    def put(self, key: tuple[Any, ...], value: _V, keep: object) -> None:
        """Remember ``value`` under ``key``, whose ids are those of ``keep``'s parts."""
        self.entries[key] = (keep, value)
        if len(self.entries) > self.size:
            del self.entries[next(iter(self.entries))]


# The sections put together for the last versions: a section whose own part and
# children are the same objects as before is the same object again, so whatever
# the typed layer derived from it is found by identity, and comparing two versions
# stops at it.  Keyed by the ids of its flat part and of its children, and its end.
_CLOSED: IdentityMemo[Section] = IdentityMemo(4096)


def _close(node: _Open) -> Section:
    children = tuple(_close(child) for child in node.children)
    key = (id(node.section), node.end_line, *map(id, children))
    closed = _CLOSED.get(key)
    if closed is None:
        closed = _updated(node.section, children=children, end_line=node.end_line)
        _CLOSED.put(key, closed, node.section)
    return closed


def _updated(value: _T, /, **changes: Any) -> _T:
    """``dataclasses.replace`` for the model's frozen dataclasses, without re-validation.

    The model's classes have no ``__post_init__`` and keep their fields in
    ``__dict__``, so a copy of that with some entries changed is the new value;
    this is several times faster than ``replace``, which matters at the scale
    of a history walk.
    """
    copy = object.__new__(type(value))
    copy.__dict__.update(value.__dict__)
    copy.__dict__.update(changes)
    return copy


_LINE_FIELDS = frozenset({"line", "end_line"})


def shift_lines(value: _T, delta: int) -> _T:
    """``value`` with every ``line``/``end_line`` of it and its parts moved by ``delta``.

    Walks frozen dataclasses and the tuples that hold them; a line of 0 means
    "no line" and stays 0.  Copies through ``__dict__`` because this runs for
    every object of every moved chunk in a history walk.
    """
    if isinstance(value, tuple):
        if not value or not _is_dataclass_type(type(value[0])):
            return value
        return tuple([shift_lines(item, delta) for item in value])  # type: ignore[return-value]
    if not _is_dataclass_type(type(value)):
        return value
    copy = object.__new__(type(value))
    state = copy.__dict__
    state.update(value.__dict__)
    for name, item in state.items():
        if name in _LINE_FIELDS:
            if isinstance(item, int) and item > 0:
                state[name] = item + delta
        elif isinstance(item, tuple) or _is_dataclass_type(type(item)):
            state[name] = shift_lines(item, delta)
    return copy


def _is_dataclass_type(kind: type) -> bool:
    """Whether ``kind``'s instances are dataclasses: ``is_dataclass``'s test, minus its checks."""
    return hasattr(kind, "__dataclass_fields__")
