"""The typed layer: recognise the template's sections in the generic tree.

Sections are recognised by their titles (English or Japanese, any heading
level, with or without numbering or emoji) and tables by their headers, never
by exact wording.  What is not recognised stays in ``PhaseDocument.extra`` and
is reported as a diagnostic, so a parser miss never looks like a deletion.
``parse_document`` never raises.
"""

from __future__ import annotations

import colorsys
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from phasediff.markdown import (
    ChunkCache,
    GenericDocument,
    IdentityMemo,
    parse_markdown,
    parse_markdown_cached,
    split_field,
)
from phasediff.model import (
    CheckItem,
    CodeBlock,
    Component,
    ConfigFile,
    Deployment,
    Diagnostic,
    Diagram,
    Duration,
    Edge,
    EnvVar,
    Field,
    Footer,
    Integration,
    Legend,
    Limitations,
    Link,
    ListBlock,
    ListItem,
    Logs,
    Metric,
    Modification,
    NamedItem,
    Node,
    Overview,
    PhaseDocument,
    Port,
    Prose,
    Retained,
    Rollback,
    Section,
    Span,
    Status,
    SuccessCriteria,
    Table,
    Testing,
    Traces,
    WhatsNew,
)
from phasediff.text import (
    collapse,
    names,
    normalise_key,
    parse_date,
    parse_duration,
    parse_status,
    plain,
    status_words,
    strip_symbols,
    unmojibake,
    value_or_none,
)

_R = TypeVar("_R")

PARSER_VERSION = 5
"""Bump when the parsed model of some input changes: it keys the persistent cache."""

# ---------------------------------------------------------------------------
# Recognising sections by title
# ---------------------------------------------------------------------------

# (kind, the titles that name it): a title is typed only when, numbering, emoji and
# "Phase N" words aside, it IS one of these names (DESIGN.md "Two layers"), never
# because it contains a word: "Endpoints Summary" is not the overview, "Deployed
# Infrastructure" not the deployment.  First match wins.
_KINDS: tuple[tuple[str, str], ...] = (
    (
        "whats_new",
        r"(?:what'?s|what is) new(?: in this phase)?|new in this phase|新機能|新規(?:機能)?",
    ),
    (
        "success_criteria",
        r"(?:(?:technical|operational|business) )?success criteria|technical success"
        r"|operational success|(?:exit|acceptance|completion) criteria|acceptance"
        r"|definition of done|成功基準|受け入れ基準|完了条件",
    ),
    ("env", r"(?:new )?(?:environment variables?|env vars?)(?: added)?|環境変数"),
    ("config_files", r"(?:new )?(?:configuration|config) files?(?: added)?|設定ファイル"),
    (
        "integration",
        r"integration with (?:the )?previous(?: phases?)?|integration with(?: .{1,40})?"
        r"|building on(?: .{1,40})?|前フェーズ.{0,20}",
    ),
    (
        "diagram",
        r"(?:(?:architecture|system|component|high[- ]level|overall|deployment) )?diagrams?"
        r"|architecture overview diagram|構成図|アーキテクチャ図|システム構成図",
    ),
    (
        "components",
        r"(?:(?:logical|key|core|system|main|major|new|platform) )?components?"
        r"(?: (?:details|overview|allocation|inventory|list|catalog|map|added|breakdown))?"
        r"|(?:(?:key|core|new) )?services|modules|コンポーネント(?:一覧|構成)?",
    ),
    ("data_flow", r"(?:data|request) flows?(?: diagrams?)?|データフロー"),
    (
        "security",
        r"security(?: considerations| requirements| model| architecture)?"
        r"|new security requirements|compliance|セキュリティ(?:要件)?",
    ),
    ("rollback", r"rollback(?: plan| strategy| procedure)?|roll back|ロールバック|切り戻し"),
    (
        "limitations",
        r"(?:known )?(?:issues|limitations)(?: (?:&|and) limitations)?|known issues"
        r"|(?:current )?limitations|future improvements|制限事項?|既知の(?:問題|課題)",
    ),
    (
        "testing",
        r"testing(?: strategy| plan)?|test (?:strategy|plan)|tests"
        r"|(?:unit|integration|performance|end-to-end|e2e|load|failover) tests|テスト(?:戦略)?",
    ),
    ("metrics", r"(?:new )?metrics(?: added)?|メトリクス"),
    ("traces", r"(?:new )?(?:traces|tracing)(?: added)?|トレース"),
    ("logs", r"(?:new )?(?:logs|logging)(?: added)?|ログ"),
    ("dashboards", r"(?:new )?dashboards?(?: added)?|ダッシュボード"),
    ("observability", r"observability|monitoring(?: (?:&|and) observability)?|可観測性|監視"),
    ("configuration", r"configuration(?: management)?|設定(?:管理)?"),
    (
        "deployment",
        r"deployment(?: architecture| view| topology)?|infrastructure(?: requirements)?"
        r"|high availability|disaster recovery|デプロイ(?:メント)?(?:構成)?",
    ),
    (
        "references",
        r"references?|related (?:docs|documents|documentation)|internal documentation"
        r"|external resources|参考(?:資料|文献)?|参照",
    ),
    ("overview", r"overview|summary|introduction|executive summary|概要"),
)
_KIND_PATTERNS = tuple((kind, re.compile(rf"(?:{names})")) for kind, names in _KINDS)
# Containers hold typed sections of their own; their direct content is read too.
_CONTAINERS = frozenset({"observability", "configuration"})
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[ivx]+\.)\s+")
# Numbering in any style (``5.``, ``5)``, ``1.2``, ``Step 5:``, ``IV.``, ``A)``), for
# section identity: renumbering a section does not make it another section.
_ANY_NUMBERING = re.compile(
    r"^(?:(?:step|part|section|chapter|stage|§)\s*)?"
    r"(?:\d+(?:[.\-]\d+)*|[ivxlc]+|[a-z])(?:[.):]|\s*[-–—:]|(?=\s))\s*",
    re.I,
)
# "Phase 3", "(phase 3)", "Phase X-1": the phase a title names is not its kind.
_PHASE_WORDS = re.compile(r"\(?\bphase[\s-]*(?:\d[\w.-]*|[xn](?:-1)?)\b\)?", re.I)
_COMPONENT_TITLE = re.compile(r"^(?:component|コンポーネント)\s*[\w.-]*\s*[:：]\s*(.+)$", re.I)


@functools.lru_cache(maxsize=8192)
def _title_key(title: str) -> str:
    text = strip_symbols(plain(title).replace("：", ":")).casefold()
    return _NUMBERING.sub("", text).strip()


@functools.lru_cache(maxsize=8192)
def section_identity(title: str) -> str:
    """What makes two headings the same section: the title without numbering (any style),
    emoji, emphasis, case or spacing.  Heading level never counts."""
    text = strip_symbols(plain(title).replace("：", ":")).casefold()
    for _ in range(2):
        stripped = _ANY_NUMBERING.sub("", text, count=1).strip()
        if not stripped or stripped == text:
            break
        text = stripped
    return collapse(text.strip(" .:-–—"))


@functools.lru_cache(maxsize=8192)
def _kind_key(title: str) -> str:
    """The title as matched against the template's names: identity minus "Phase N" words
    and a trailing remark in parentheses ("Acceptance (Phase 5)")."""
    text = _PHASE_WORDS.sub(" ", section_identity(title))
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text)
    return collapse(text.replace(" & ", " and ").strip(" .:-–—")) or section_identity(title)


@functools.lru_cache(maxsize=8192)
def classify_title(title: str) -> str | None:
    """The typed section kind a heading's title names, or None."""
    if _COMPONENT_TITLE.match(_title_key(title)):
        return "component"
    key = _kind_key(title)
    for kind, pattern in _KIND_PATTERNS:
        if pattern.fullmatch(key) or pattern.fullmatch(key.replace(" and ", " & ")):
            return kind
    return None


# ---------------------------------------------------------------------------
# Small readers over the generic layer
# ---------------------------------------------------------------------------


def _walk(section: Section) -> Iterator[Section]:
    yield section
    for child in section.children:
        yield from _walk(child)


def _fields(sections: Iterable[Section]) -> Iterator[Field]:
    for section in sections:
        for sub in _walk(section):
            yield from sub.fields


def _field(sections: Iterable[Section], *labels: str) -> Field | None:
    wanted = tuple(label.casefold() for label in labels)
    for item in _fields(sections):
        label = item.label.casefold()
        if any(label.startswith(w) for w in wanted):
            return item
    return None


def _items(items: Iterable[ListItem]) -> Iterator[ListItem]:
    for item in items:
        yield item
        yield from _items(item.children)


def _labelled_items(section: Section, *labels: str) -> list[ListItem]:
    """Items of the lists in ``section``'s subtree introduced by a field with one of ``labels``."""
    wanted = tuple(label.casefold() for label in labels)
    found: list[ListItem] = []
    for sub in _walk(section):
        for block in sub.lists:
            label = block.label.casefold()
            if any(label.startswith(w) for w in wanted):
                found.extend(block.items)
    return found


def _all_items(section: Section) -> list[ListItem]:
    return [item for sub in _walk(section) for block in sub.lists for item in block.items]


def _check_item(item: ListItem, group: str = "") -> CheckItem:
    return CheckItem(
        key=normalise_key(item.text), text=item.text, done=item.done, group=group, line=item.line
    )


def _check_items(items: Iterable[ListItem], group: str = "") -> tuple[CheckItem, ...]:
    result = [_check_item(item, group) for item in _items(items) if item.text]
    return tuple(sorted(result, key=lambda item: (item.group.casefold(), item.key)))


def _partition_colon(text: str) -> tuple[str, str, str]:
    """``str.partition(":")`` at the first colon outside parentheses and brackets.

    ``Alloy takes over (labels unchanged: job, unit)`` has no label of its own.
    """
    depth = 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif char == ":" and depth == 0:
            return text[:index], ":", text[index + 1 :]
    return text, "", ""


def _split_label(text: str) -> tuple[str, str]:
    """``Connects to: Prometheus`` -> ``("connects to", "Prometheus")``; else ``("", text)``."""
    head, sep, tail = _partition_colon(text)
    if not sep or len(head) > 60:
        return "", text
    return head.strip().casefold(), tail.strip()


_LIST_SPLIT = re.compile(r"\s*(?:,|;|\band\b)\s*(?![^()]*\))")


def _split_list(value: str) -> tuple[str, ...]:
    """A comma list, ignoring commas inside parentheses."""
    parts = [part.strip(" .") for part in _LIST_SPLIT.split(value)]
    return tuple(part for part in parts if part and value_or_none(part) is not None)


def _named(items: Iterable[ListItem]) -> tuple[NamedItem, ...]:
    named: dict[str, NamedItem] = {}
    for item in _items(items):
        name, sep, description = _partition_colon(item.text)
        if not sep:
            name, description = item.text, ""
        name = name.strip()
        if not name:
            continue
        key = normalise_key(name)
        named.setdefault(key, NamedItem(key, name, collapse(description), item.line))
    return tuple(sorted(named.values(), key=lambda item: item.key))


def _prose(section: Section) -> Prose:
    parts: list[str] = []
    items: list[CheckItem] = []
    for sub in _walk(section):
        if sub is not section and sub.title:
            parts.append(f"{sub.title}:")
        parts.extend(f"{item.label}: {item.value}" for item in sub.fields)
        parts.extend(sub.paragraphs)
        parts.extend(block.text for block in sub.code)
        for block in sub.lists:
            group = sub.title if sub is not section else ""
            items.extend(_check_item(item, group) for item in _items(block.items) if item.text)
    items.sort(key=lambda item: (item.group.casefold(), item.key))
    return Prose(text=collapse(" ".join(parts)), items=tuple(items), line=section.line)


def _extras(
    table: Table, row_cells: tuple[str, ...], used: set[int]
) -> tuple[tuple[str, str], ...]:
    return tuple(
        (table.header[index], cell)
        for index, cell in enumerate(row_cells)
        if index not in used and index < len(table.header) and cell
    )


def _column(table: Table, *names: str) -> int | None:
    for index, title in enumerate(table.header):
        key = _title_key(title)
        if any(key.startswith(name) for name in names):
            return index
    return None


def _cell(cells: tuple[str, ...], index: int | None) -> str | None:
    if index is None or index >= len(cells):
        return None
    return cells[index] or None


def _table_kind(table: Table) -> str | None:
    if not table.header:
        return None
    first = _title_key(table.header[0])
    headers = {_title_key(title) for title in table.header}
    if first.startswith(("metric", "メトリクス")):
        return "metrics"
    if first.startswith(("variable", "env", "環境変数")):
        return "env"
    if first.startswith(("file", "config", "path", "ファイル")):
        return "config_files"
    if first.startswith(("port", "ポート")):
        return "ports"
    if first.startswith(("component", "service", "コンポーネント")):
        if any(h.startswith("change") for h in headers):
            return "modified"
        # Any other columns (Responsibility, Trust boundary, Owner ...) are the
        # component's labelled fields; a one-column list of names is components too.
        return "components"
    if first.startswith(("module", "container", "contract", "subsystem")):
        return "components"
    return None


def _tables(sections: Iterable[Section], kind: str) -> Iterator[Table]:
    for section in sections:
        for sub in _walk(section):
            for table in sub.tables:
                if _table_kind(table) == kind:
                    yield table


# ---------------------------------------------------------------------------
# Mermaid
# ---------------------------------------------------------------------------

# Node shapes, longest opener first: ``A[(db)]`` is a cylinder, not ``[`` + ``(db)]``.
_SHAPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("(((", (")))",)),
    ("((", ("))",)),
    ("([", ("])",)),
    ("[(", (")]",)),
    ("[[", ("]]",)),
    ("[/", ("/]", "\\]")),
    ("[\\", ("\\]", "/]")),
    ("{{", ("}}",)),
    ("@{", ("}",)),
    ("[", ("]",)),
    ("(", (")",)),
    ("{", ("}",)),
    (">", ("]",)),
)
# An id may hold dashes (``api-gw``) but never the start of an arrow (``A-->B``).
_NODE_ID = re.compile(r"\s*(\w+(?:-(?![-.>=])\w+)*)")
_SHAPE_LABEL = re.compile(r"\blabel\s*:\s*(\"[^\"]*\"|'[^']*'|[^,}]+)")
_NODE_CLASS = re.compile(r":::([\w-]+)")
_AMPERSAND = re.compile(r"\s*&\s*")
# The ``o``/``x`` heads of ``A o--o B`` only after a space, so ``Bo`` stays an id.
_HEAD = r"(?:<|(?<=\s)[ox])?"
_TEXT = r"\"[^\"]*\"|[^\"|]*?"
# A link: a complete arrow first (``-->``, ``-.->``, ``==>``, ``---``, ``--o``,
# ``<-->``, ``~~~``), else an arrow with its text inside (``-- text -->``,
# ``-. text .->``, ``== text ==>``); then an optional ``|label|``.  An edge id
# (``e1@-->``) is skipped.
_LINK = re.compile(
    r"\s*(?:\w+@(?=[-=~<ox]))?(?:"
    rf"(?P<arrow>{_HEAD}(?:-{{2,}}>|-{{2,}}[ox](?!\w)|-{{3,}}|-\.+->|-\.+-|={{2,}}>"
    r"|={2,}[ox](?!\w)|={3,}|~{3,}))"
    rf"|{_HEAD}--(?![->=.])\s*(?P<dash>{_TEXT})\s*(?:-{{2,}}>|-{{2,}}[ox](?!\w)|-{{3,}})"
    rf"|{_HEAD}-\.(?![->.])\s*(?P<dot>{_TEXT})\s*\.+-(?:>|[ox](?!\w))?"
    rf"|{_HEAD}==(?![=>])\s*(?P<thick>{_TEXT})\s*(?:={{2,}}>|={{2,}}[ox](?!\w)|={{3,}})"
    r")\s*(?:\|(?P<label>[^|]*)\|)?\s*"
)
_KEYWORD = re.compile(r"^(?:graph|flowchart|direction|linkStyle|click|accTitle|accDescr)\b")
_SUBGRAPH = re.compile(r"^subgraph\s+(?P<id>[^\s\[\"]+)?\s*(?P<title>\[.*\]|\".*\")?\s*$")
_STYLE = re.compile(r"^style\s+([\w-]+)\s+(.*)$")
_CLASSDEF = re.compile(r"^classDef\s+([\w,-]+)\s+(.*)$")
_CLASS = re.compile(r"^class\s+([\w,\s-]+?)\s+([\w-]+)\s*$")
_FILL = re.compile(r"fill\s*:\s*(#[0-9a-fA-F]{3,8}|[a-zA-Z]+)")
_LEGEND_TITLE = re.compile(r"(?i)\blegend\b|凡例")
_NAMED_COLOURS = {
    "green": Legend.NEW,
    "lightgreen": Legend.NEW,
    "palegreen": Legend.NEW,
    "blue": Legend.MODIFIED,
    "lightblue": Legend.MODIFIED,
    "skyblue": Legend.MODIFIED,
    "yellow": Legend.UNCHANGED,
    "lightyellow": Legend.UNCHANGED,
    "gold": Legend.UNCHANGED,
    "orange": Legend.UNCHANGED,
    "red": Legend.DEPRECATED,
    "pink": Legend.DEPRECATED,
    "lightpink": Legend.DEPRECATED,
    "salmon": Legend.DEPRECATED,
    "grey": Legend.UNCHANGED,
    "gray": Legend.UNCHANGED,
    "lightgray": Legend.UNCHANGED,
    "lightgrey": Legend.UNCHANGED,
}
_CLASS_NAMES = {
    "new": Legend.NEW,
    "added": Legend.NEW,
    "modified": Legend.MODIFIED,
    "changed": Legend.MODIFIED,
    "updated": Legend.MODIFIED,
    "unchanged": Legend.UNCHANGED,
    "existing": Legend.UNCHANGED,
    "retained": Legend.UNCHANGED,
    "deprecated": Legend.DEPRECATED,
    "removed": Legend.DEPRECATED,
}
# What a legend entry says a colour means; "unchanged" before "changed".
_CATEGORY_WORDS: tuple[tuple[Legend, re.Pattern[str]], ...] = (
    (Legend.UNCHANGED, re.compile(r"(?i)\b(?:unchanged|existing|retained)\b|既存|変更なし")),
    (Legend.DEPRECATED, re.compile(r"(?i)\b(?:deprecated|removed|retired)\b|廃止|削除")),
    (Legend.MODIFIED, re.compile(r"(?i)\b(?:modified|changed|updated)\b|変更")),
    (Legend.NEW, re.compile(r"(?i)\b(?:new|added)\b|新規|追加")),
)


def legend_category(text: str) -> Legend | None:
    """The legend class a legend entry or a legend node's label names, if any."""
    for legend, pattern in _CATEGORY_WORDS:
        if pattern.search(text):
            return legend
    return None


def _hex_hls(colour: str) -> tuple[float, float, float] | None:
    """``#rgb``, ``#rgba``, ``#rrggbb`` (alpha ignored) as hue, lightness, saturation."""
    digits = colour[1:]
    if len(digits) in (3, 4):
        digits = "".join(char * 2 for char in digits[:3])
    try:
        red, green, blue = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return None
    return colorsys.rgb_to_hls(red, green, blue)


def legend_of_colour(colour: str) -> Legend | None:
    """The template's legend by hue: green new, blue modified, yellow unchanged, red deprecated."""
    colour = colour.strip().casefold()
    if not colour.startswith("#"):
        return _NAMED_COLOURS.get(colour)
    hls = _hex_hls(colour)
    if hls is None:
        return None
    hue, lightness, saturation = hls
    if saturation < 0.15 or lightness > 0.97:
        return Legend.UNCHANGED  # greys and near-white read as "nothing new here"
    degrees = hue * 360
    if degrees < 15 or degrees >= 300:
        return Legend.DEPRECATED
    if degrees < 70:
        return Legend.UNCHANGED
    if degrees < 165:
        return Legend.NEW
    return Legend.MODIFIED


LegendColours = tuple[tuple[str, Legend], ...]
"""What a document's legend says each colour family means (``(("green", NEW), ...)``)."""

_FAMILY_NAMES = {
    "green": "green",
    "lightgreen": "green",
    "palegreen": "green",
    "lime": "green",
    "blue": "blue",
    "lightblue": "blue",
    "skyblue": "blue",
    "yellow": "yellow",
    "lightyellow": "yellow",
    "gold": "yellow",
    "orange": "orange",
    "red": "red",
    "pink": "red",
    "lightpink": "red",
    "salmon": "red",
    "purple": "purple",
    "violet": "purple",
    "magenta": "purple",
    "grey": "grey",
    "gray": "grey",
    "lightgray": "grey",
    "lightgrey": "grey",
    "white": "white",
    "black": "black",
}
_LEGEND_MARKS = {
    "🟢": "green",
    "🟩": "green",
    "🔵": "blue",
    "🟦": "blue",
    "🟡": "yellow",
    "🟨": "yellow",
    "🟠": "orange",
    "🟧": "orange",
    "🔴": "red",
    "🟥": "red",
    "🟣": "purple",
    "🟪": "purple",
    "⚪": "white",
    "⬜": "white",
    "⚫": "black",
    "⬛": "black",
}
_COLOUR_WORD = re.compile(
    r"(?i)#[0-9a-f]{3,8}\b|\b(?:light|pale|dark)?\s*(?:green|blue|yellow|orange|red|pink|purple"
    r"|violet|gr[ae]y|white|black)\b"
)


def colour_family(colour: str) -> str | None:
    """``#90EE90`` or ``lightgreen`` -> ``green``: the family a legend names a colour by."""
    colour = re.sub(r"\s+", "", colour.strip().casefold())
    if not colour.startswith("#"):
        return _FAMILY_NAMES.get(re.sub(r"^(?:dark|pale)(?=\w)", "", colour) or colour)
    hls = _hex_hls(colour)
    if hls is None:
        return None
    hue, lightness, saturation = hls
    if lightness > 0.97:
        return "white"
    if lightness < 0.1:
        return "black"
    if saturation < 0.15:
        return "grey"
    degrees = hue * 360
    for limit, family in ((15, "red"), (45, "orange"), (70, "yellow"), (165, "green")):
        if degrees < limit:
            return family
    return "blue" if degrees < 260 else "purple" if degrees < 330 else "red"


def legend_colours(entries: Iterable[str]) -> LegendColours:
    """The colour -> class pairs a legend's entries state (``🔴 Deprecated``, ``green: new``)."""
    found: dict[str, Legend] = {}
    for raw in entries:
        for entry in re.split(r"[;,]", unmojibake(raw)):
            category = legend_category(entry)
            marks = [family for mark, family in _LEGEND_MARKS.items() if mark in entry]
            words = [f for word in _COLOUR_WORD.findall(entry) if (f := colour_family(word))]
            family = next(iter(marks + words), None)
            if category is not None and family is not None:
                found.setdefault(family, category)
    return tuple(sorted(found.items(), key=lambda pair: pair[0]))


def _fill_of(style: str) -> str | None:
    match = _FILL.search(style)
    return match.group(1).casefold() if match else None


def _clean_label(label: str) -> str:
    label = label.strip()
    if len(label) >= 2 and label[0] == label[-1] and label[0] in "\"'":
        label = label[1:-1]
    return plain(label.replace("<br/>", " ").replace("<br>", " ").replace("<br />", " "))


def _statements(raw: str) -> list[str]:
    """One source line as statements: ``;`` separates them, ``%%`` starts a comment.

    Both only count outside quoted labels, so ``A["50%% done; more"]`` stays whole.
    """
    parts: list[str] = []
    start = 0
    quoted = False
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == '"':
            quoted = not quoted
        elif not quoted and char == ";":
            parts.append(raw[start:index])
            start = index + 1
        elif not quoted and raw.startswith("%%", index):
            break
        index += 1
    parts.append(raw[start:index])
    return [part.strip() for part in parts if part.strip()]


@dataclass
class _MermaidReader:
    """What a flowchart's statements declare, as they are read."""

    labels: dict[str, tuple[str, int]] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], Edge] = field(default_factory=dict)
    styles: dict[str, str] = field(default_factory=dict)  # node id -> fill colour
    classdefs: dict[str, str | None] = field(default_factory=dict)  # class -> fill colour
    classes: dict[str, str] = field(default_factory=dict)  # node id -> class
    subgraphs: dict[str, str] = field(default_factory=dict)  # subgraph id -> title
    legend_nodes: set[str] = field(default_factory=set)
    legend_depth: int = 0  # > 0 inside a ``subgraph Legend``
    depth: int = 0

    def statement(self, line: str, line_no: int) -> None:
        if _KEYWORD.match(line):
            return
        if line == "end":
            self.depth = max(self.depth - 1, 0)
            if self.legend_depth > self.depth:
                self.legend_depth = 0
            return
        if match := _SUBGRAPH.match(line):
            self.depth += 1
            subgraph_id = match.group("id") or ""
            title = _clean_label((match.group("title") or "").strip("[]")) or subgraph_id
            if subgraph_id:
                self.subgraphs[subgraph_id] = title
            if not self.legend_depth and _LEGEND_TITLE.search(f"{subgraph_id} {title}"):
                self.legend_depth = self.depth
            return
        if match := _STYLE.match(line):
            fill = _fill_of(match.group(2))
            if fill:
                self.styles[match.group(1)] = fill
            return
        if match := _CLASSDEF.match(line):
            for name in match.group(1).split(","):
                self.classdefs[name] = _fill_of(match.group(2))
            return
        if match := _CLASS.match(line):
            for node in match.group(1).split(","):
                self.classes[node.strip()] = match.group(2)
            return
        self.chain(line, line_no)

    def node(self, line: str, position: int, line_no: int) -> tuple[str, int] | None:
        """The node at ``position`` (``A``, ``A[label]``, ``A@{ label: x }``) and where it ends."""
        match = _NODE_ID.match(line, position)
        if match is None:
            return None
        node_id, position = match.group(1), match.end()
        label, position = _shape_label(line, position)
        if label is not None or node_id not in self.labels:
            self.labels[node_id] = (label if label is not None else node_id, line_no)
        if cls := _NODE_CLASS.match(line, position):
            self.classes[node_id] = cls.group(1)
            position = cls.end()
        if self.legend_depth:
            self.legend_nodes.add(node_id)
        return node_id, position

    def chain(self, line: str, line_no: int) -> None:
        """``A[x] -->|l| B & C -- m --> D`` into node labels and edges."""
        position = 0
        previous: list[str] = []
        pending = ""
        while True:
            group: list[str] = []
            while True:
                found = self.node(line, position, line_no)
                if found is None:
                    return
                group.append(found[0])
                position = found[1]
                amp = _AMPERSAND.match(line, position)
                if amp is None:
                    break
                position = amp.end()
            for source in previous:
                for target in group:
                    key = (source, target, pending)
                    self.edges.setdefault(key, Edge(source, target, pending, line_no))
            link = _LINK.match(line, position)
            if link is None or link.end() == position:
                return
            text = next((t for t in link.group("label", "dash", "dot", "thick") if t), "")
            pending = _clean_label(text)
            previous = group
            position = link.end()

    def legend_of(
        self, node_id: str, meaning: Callable[[str], Legend | None] | None
    ) -> Legend | None:
        """A node's legend class: its drawn colour when colours are explained, else its class."""
        cls = self.classes.get(node_id, "")
        fill = self.styles.get(node_id)
        if fill and meaning is not None and (legend := meaning(fill)) is not None:
            return legend
        if named := _CLASS_NAMES.get(cls.casefold()):
            return named
        fill = self.classdefs.get(cls)
        return meaning(fill) if fill and meaning is not None else None


def _shape_label(line: str, position: int) -> tuple[str | None, int]:
    """The label of the shape opening at ``position`` and where the shape ends."""
    for opener, closers in _SHAPES:
        if not line.startswith(opener, position):
            continue
        start = position + len(opener)
        if opener == "@{":
            end = line.find("}", start)
            if end < 0:
                return None, position
            found = _SHAPE_LABEL.search(line, start, end)
            return (_clean_label(found.group(1)) if found else None), end + 1
        body = start + len(line[start:]) - len(line[start:].lstrip())
        if line.startswith('"', body):
            quote_end = line.find('"', body + 1)
            after = quote_end + 1
            while after < len(line) and line[after] == " ":
                after += 1
            for closer in closers:
                if quote_end > 0 and line.startswith(closer, after):
                    return _clean_label(line[body:after]), after + len(closer)
        ends = [(line.find(closer, start), closer) for closer in closers]
        ends = [(index, closer) for index, closer in ends if index >= 0]
        if not ends:
            return None, position  # an opener never closed: read the id alone
        index, closer = min(ends)
        return _clean_label(line[start:index]), index + len(closer)
    return None, position


def parse_mermaid(
    text: str, first_line: int, *, legend: bool = False, colours: LegendColours = ()
) -> Diagram:
    """Nodes, edges and legend classes of a mermaid flowchart.

    Node colours say new / modified / unchanged / deprecated only where
    something explains them: ``legend`` (the document has a legend block;
    ``colours``, what it says each colour family means, the template's hues
    otherwise), a ``subgraph Legend`` whose nodes name the classes, or classes
    named so (``classDef new``).  Elsewhere a colour is decoration, and
    recolouring a node is no change.

    A diagram recurs unchanged across versions while the text above it moves,
    so it is parsed once per text and its line numbers re-based.
    """
    diagram = _parse_mermaid_at_zero(text, legend or bool(colours), colours)
    if first_line == 0:
        return diagram
    return replace(
        diagram,
        nodes=tuple(replace(node, line=node.line + first_line) for node in diagram.nodes),
        edges=tuple(replace(edge, line=edge.line + first_line) for edge in diagram.edges),
        line=first_line,
    )


@functools.lru_cache(maxsize=1024)
def _parse_mermaid_at_zero(text: str, legend: bool, families: LegendColours) -> Diagram:
    lines = text.split("\n")
    start = 0
    if next((line.strip() for line in lines if line.strip()), "") == "---":
        # Front matter (``---`` / ``title: ...`` / ``---``) configures, it draws nothing.
        opening = next(i for i, line in enumerate(lines) if line.strip() == "---")
        closing = next(
            (i for i, line in enumerate(lines) if i > opening and line.strip() == "---"), opening
        )
        start = closing + 1
    first = next((line.strip() for line in lines[start:] if _statements(line)), "")
    if not re.match(r"(?:graph|flowchart)\b", first):
        # Sequence, class, state... diagrams have no nodes we read: they compare as text.
        return Diagram(kind="mermaid", text=text, drawing=collapse(text))
    reader = _MermaidReader()
    for offset, raw in enumerate(lines[start:], start):
        for statement in _statements(raw):
            reader.statement(statement, offset + 1)
    # A legend drawn inside the diagram maps its own colours to classes.
    colours: dict[str, Legend] = {}
    for node_id in reader.legend_nodes:
        category = legend_category(reader.labels[node_id][0])
        fill = reader.styles.get(node_id) or reader.classdefs.get(reader.classes.get(node_id, ""))
        if category is not None and fill:
            colours[fill] = category
    by_family = dict(families)

    def meaning(fill: str) -> Legend | None:
        family = colour_family(fill)
        found = colours.get(fill) or (by_family.get(family) if family else None)
        return found or legend_of_colour(fill)

    explained = meaning if (legend or colours) else None
    nodes = []
    for node_id, (label, line_no) in reader.labels.items():
        if node_id in reader.legend_nodes:
            continue
        if label == node_id and node_id in reader.subgraphs:
            label = reader.subgraphs[node_id]  # an edge to a subgraph names the subgraph
        nodes.append(
            Node(id=node_id, label=label, legend=reader.legend_of(node_id, explained), line=line_no)
        )
    nodes.sort(key=lambda node: node.id)
    edges = [
        edge
        for edge in reader.edges.values()
        if edge.source not in reader.legend_nodes and edge.target not in reader.legend_nodes
    ]
    edges.sort(key=lambda e: (e.source, e.target, e.label))
    return Diagram(kind="mermaid", nodes=tuple(nodes), edges=tuple(edges), text=text, line=0)


# ---------------------------------------------------------------------------
# Typed extractors
# ---------------------------------------------------------------------------

_PHASE_VALUE = re.compile(r"^\s*(?:phase\s*)?([\w.]+)", re.I)
_TITLE_PHASE = re.compile(r"\b(?i:phase)[\s-]+(\d[\w.]*|[A-Z][\w]*)")


def _phase_id(value: str | None) -> str | None:
    if value is None:
        return None
    match = _PHASE_VALUE.match(plain(value))
    if match is None:
        return None
    phase = match.group(1).strip(".")
    return None if phase.upper() in ("X", "N") else phase


# ``**Phase:** 3 — Tracing``: the name after a dash or colon.
_FIELD_NAME = re.compile(r"^\s*(?:phase\s*)?[\w.]+\s*(?:[—–:]|-(?=\s))\s*(?P<name>.+)$", re.I)
# Words a title adds around the phase's name: "Phase 3 Architecture", "Architecture Document".
_TITLE_WORDS = re.compile(r"(?i)\b(?:architecture|design)(?:\s+(?:document|doc|overview))?\b")
# A file name as a title ("# ARCHITECTURE.md") names the file, not the phase.
_FILE_TITLE = re.compile(r"(?i)^[\w.-]+\.(?:md|markdown|txt|rst)$")


def phase_name(field_value: str | None, title: str) -> str | None:
    """The phase's name: the ``**Phase:**`` field's (``3 — Tracing``) wins, else the title's.

    From the title, the part after a colon (the template's ``Phase 3
    Architecture: Tracing``), else what is left without ``Phase 3`` and words
    like "architecture" in any case; a file name or nothing left is no name.
    """
    if field_value and (match := _FIELD_NAME.match(plain(field_value))):
        name = value_or_none(match.group("name").strip(" ()"))
        if name:
            return name
    text = plain(title)
    if not text or _FILE_TITLE.match(text):
        return None
    if ":" in text:
        return value_or_none(text.split(":", 1)[1].strip())
    rest = _TITLE_PHASE.sub("", text)
    if rest != text:  # "Phase 3 architecture": the generic words go with the phase
        rest = _TITLE_WORDS.sub("", rest)
    else:
        rest = re.sub(r"(?i)\s*\barchitecture\s*$", "", rest)
    return value_or_none(rest.strip(" -–—:"))


def _overview(title: str, sections: list[Section], scope: list[Section]) -> Overview:
    phase_field = _field(scope, "phase")
    status_field = _field(scope, "status")
    started = _field(scope, "started", "start date", "開始")
    completed = _field(scope, "completed", "completion date", "完了日")
    if phase_field and phase_field.label.casefold() != "phase":
        phase_field = None
    phase = _phase_id(phase_field.value) if phase_field else None
    if phase is None and (match := _TITLE_PHASE.search(title)):
        phase = _phase_id(match.group(1))
    summary = " ".join(p for section in sections for p in section.paragraphs if value_or_none(p))
    status = parse_status(status_field.value) if status_field else None
    return Overview(
        phase=phase,
        name=phase_name(phase_field.value if phase_field else None, title),
        status=status,
        status_text=status_field.value if status_field else None,
        status_words=status_words(status_field.value)
        if status_field and status is Status.UNKNOWN
        else None,
        started=parse_date(started.value) if started else None,
        completed=parse_date(completed.value) if completed else None,
        summary=collapse(summary),
        line=sections[0].line if sections else 0,
    )


def _whats_new(sections: list[Section]) -> WhatsNew:
    items: list[ListItem] = []
    differences: list[ListItem] = []
    for section in sections:
        for sub in _walk(section):
            for block in sub.lists:
                heading = _title_key(sub.title)
                if block.label.casefold().startswith("key difference") or heading.startswith(
                    "key difference"
                ):
                    differences.extend(block.items)
                else:
                    items.extend(block.items)
    deprecated: list[str] = []
    kept: list[ListItem] = []
    for item in items:
        label, rest = _split_label(item.text)
        if label in ("deprecated", "removed", "replaced", "deprecated/removed"):
            # "None (first phase)" and the template's own hint declare nothing.
            if value_or_none(rest) and not re.match(r"(?i)(none|nothing|list anything)\b", rest):
                deprecated.append(rest)
            for child in item.children:
                deprecated.append(child.text)
        else:
            kept.append(item)
    return WhatsNew(
        items=_check_items(kept),
        deprecated=tuple(sorted(deprecated, key=normalise_key)),
        key_differences=_check_items(differences),
        line=sections[0].line if sections else 0,
    )


def read_legend(sections: Iterable[Section]) -> LegendColours | None:
    """The document's diagram legend (a ``**Legend:**`` block, a Legend heading), or None.

    Without one, colours are the author's decoration and say nothing about
    what is new or deprecated.  With one, its entries say what each colour
    family means (``🔴 Deprecated``); families it does not name read as in the
    template.
    """
    found = False
    entries: list[str] = []
    for section in sections:
        for sub in _walk(section):
            titled = bool(_LEGEND_TITLE.search(sub.title))
            found = found or titled
            for item in sub.fields:
                if _LEGEND_TITLE.match(item.label):
                    found = True
                    entries.append(item.value)
            for block in sub.lists:
                if titled or _LEGEND_TITLE.match(block.label):
                    found = True
                    entries.extend(item.text for item in _items(block.items))
            for text in sub.paragraphs:
                if _LEGEND_TITLE.match(text):
                    found = True
                    entries.append(text)
    return legend_colours(entries) if found else None


def _diagram(sections: list[Section], legend: LegendColours | None) -> Diagram:
    blocks: list[CodeBlock] = [block for s in sections for sub in _walk(s) for block in sub.code]
    for block in blocks:
        if block.info == "mermaid":
            return parse_mermaid(
                block.text, block.line, legend=legend is not None, colours=legend or ()
            )
    if blocks:
        block = blocks[0]
        return Diagram(kind="ascii", text=block.text, drawing=collapse(block.text), line=block.line)
    return Diagram()


def _first_mermaid(sections: Iterable[Section]) -> CodeBlock | None:
    """The first mermaid block anywhere: the diagram of a document with no diagram section."""
    for section in sections:
        for sub in _walk(section):
            for block in sub.code:
                if block.info == "mermaid":
                    return block
    return None


def _without_block(section: Section, block: CodeBlock) -> Section:
    """``section`` without ``block`` (the very object), wherever in its subtree it stands."""
    if any(code is block for code in section.code):
        return replace(section, code=tuple(code for code in section.code if code is not block))
    children = tuple(_without_block(child, block) for child in section.children)
    if all(new is old for new, old in zip(children, section.children, strict=True)):
        return section
    return replace(section, children=children)


_COMPONENT_FIELDS = ("purpose", "technology", "configuration", "integration", "operational")


def _is_component(section: Section) -> bool:
    if _COMPONENT_TITLE.match(_title_key(section.title)):
        return True
    labels = {item.label.casefold() for item in section.fields}
    return bool(labels & {"purpose", "technology", "目的", "技術"})


def _component_key(name: str) -> str:
    key = normalise_key(re.sub(r"\s*\([^)]*\)\s*$", "", name))
    return key or normalise_key(name)


def _component_name(title: str) -> str:
    text = _NUMBERING.sub("", plain(title).replace("：", ":"))
    match = _COMPONENT_TITLE.match(text)
    return collapse(match.group(1)) if match else text


def _configuration(blocks: list[CodeBlock]) -> Any:
    yaml_blocks = [block for block in blocks if block.info in ("yaml", "yml", "")]
    chosen = [block for block in yaml_blocks if block.label.casefold().startswith("config")]
    chosen = chosen or yaml_blocks
    values = [block.data if block.error is None else block.text for block in chosen]
    values = [value for value in values if value is not None]
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _component_from_section(section: Section, nested: list[Section]) -> Component:
    """A ``### Component N: Name`` section; sub-sections that are not components merge in."""
    parts = [section, *nested]
    name = _component_name(section.title)
    fields = {
        item.label.casefold(): item.value for part in parts for item in part.fields if item.value
    }
    integration = [
        item
        for part in parts
        for block in part.lists
        if not block.label or block.label.casefold().startswith(("integration", "連携"))
        for item in _items(block.items)
    ]
    connects: list[str] = []
    exposes: list[str] = []
    depends: list[str] = []
    claimed = [
        item.line
        for part in parts
        for item in part.fields
        if item.value and fields.get(item.label.casefold()) == item.value
    ]
    for item in integration:
        label, value = _split_label(item.text)
        targets = {"connects to": connects, "exposes": exposes, "depends on": depends}
        bucket = next((b for prefix, b in targets.items() if label.startswith(prefix)), None)
        if bucket is None:
            continue
        claimed.append(item.line)
        values = [value] if value else [child.text for child in item.children]
        if not value:
            claimed.extend(child.line for child in item.children)
        for entry in values:
            bucket.extend(_split_list(entry))
    operational = [
        item.text
        for part in parts
        for block in part.lists
        if block.label.casefold().startswith(("operational", "運用"))
        for item in _items(block.items)
        if item.text
    ]
    labelled = [
        (label, value) for label, value in fields.items() if not label.startswith(_COMPONENT_FIELDS)
    ]
    # Prose under a component heading is kept (and compared) as its notes, not dropped.
    notes = " ".join(p for part in parts for p in part.paragraphs if value_or_none(p))
    if notes:
        labelled.append(("notes", notes))
    extra = tuple(sorted(labelled))
    code = [block for part in parts for block in part.code]
    return Component(
        key=_component_key(name),
        name=name,
        purpose=value_or_none(fields.get("purpose")),
        technology=value_or_none(fields.get("technology")),
        configuration=_configuration(code),
        connects_to=tuple(sorted(set(connects), key=str.casefold)),
        exposes=tuple(sorted(set(exposes), key=str.casefold)),
        depends_on=tuple(sorted(set(depends), key=str.casefold)),
        operational=tuple(sorted(set(operational), key=normalise_key)),
        extra=extra,
        line=section.line,
        end_line=section.end_line,
        claimed=tuple(sorted(set(claimed))),
    )


def _collect_components(
    section: Section, out: list[Component], top: bool, loose: list[Section], memo: bool
) -> None:
    """Component sections under ``section``; other sections with content go to ``loose``."""
    if not top and _is_component(section):
        out.append(_read(("component",), [section], _component_of, memo))
        for child in section.children:
            # A component heading demoted under its neighbour is still its own component.
            if _is_component(child):
                _collect_components(child, out, top=False, loose=loose, memo=memo)
        return
    only_component_tables = all(_table_kind(t) == "components" for t in section.tables)
    has_content = section.lists or section.code or section.fields or section.paragraphs
    if not top and (has_content or not only_component_tables):
        loose.append(section)
    for child in section.children:
        _collect_components(child, out, top=False, loose=loose, memo=memo)


def _component_of(sections: list[Section]) -> Component:
    """The component ``sections[0]`` describes; its sub-sections that are no components merge in."""
    section = sections[0]
    flat: list[Section] = []
    for child in section.children:
        if not _is_component(child):
            flat.extend(_walk(child))
    return _component_from_section(section, flat)


def _named_component(text: str, components: dict[str, Component]) -> Component | None:
    """The one component ``text`` names; the most specific name wins (Grafana Alloy > Grafana)."""
    named = [c for c in components.values() if names(text, c.name) or names(text, c.key)]
    named = [c for c in named if not any(o is not c and names(o.name, c.name) for o in named)]
    return named[0] if len(named) == 1 else None


def _leading_component(text: str, components: dict[str, Component]) -> Component | None:
    """The component a bullet starts with (``**Grafana Mimir** connects to ...``), longest first."""
    key = normalise_key(text)
    leading = [
        c
        for c in components.values()
        if any(
            key == n or key.startswith(n + " ") or key.startswith(n + ":")
            for n in (normalise_key(c.name), c.key)
        )
    ]
    return max(leading, key=lambda c: len(c.name)) if leading else None


def _attach_loose(components: dict[str, Component], loose: list[Section]) -> list[Section]:
    """Attach content written beside a components table to the components it names.

    House layouts put configuration under ``#### Grafana Mimir`` and integration
    bullets under a shared ``### Integration Points``.  What names one component
    goes to it; what cannot be tied to one is returned, to be kept generically.
    """
    leftovers: list[Section] = []
    for section in loose:
        target = _named_component(section.title, components)
        if target is not None:
            items = [item.text for block in section.lists for item in _items(block.items)]
            config = _configuration(list(section.code))
            notes = " ".join(section.paragraphs)
            extra = dict(target.extra)
            if notes:
                extra["notes"] = collapse(f"{extra.get('notes', '')} {notes}")
            components[target.key] = replace(
                target,
                configuration=target.configuration if config is None else config,
                operational=tuple(sorted({*target.operational, *items}, key=normalise_key)),
                extra=tuple(sorted(extra.items())),
            )
            continue
        remaining_code: list[CodeBlock] = []
        for code in section.code:
            if (
                isinstance(code.data, dict)
                and code.data
                and all(_named_component(str(key), components) for key in code.data)
            ):
                for key, value in code.data.items():
                    owner = _named_component(str(key), components)
                    assert owner is not None
                    components[owner.key] = replace(owner, configuration=value)
            else:
                remaining_code.append(code)
        label = _title_key(section.title)
        remaining_lists: list[ListBlock] = []
        for block in section.lists:
            unmatched: list[ListItem] = []
            for item in block.items:
                owner = _leading_component(item.text, components)
                if owner is None:
                    unmatched.append(item)
                    continue
                if "operation" in label:
                    ops = {*owner.operational, item.text}
                    components[owner.key] = replace(
                        owner, operational=tuple(sorted(ops, key=normalise_key))
                    )
                else:
                    extra = dict(owner.extra)
                    extra[label] = collapse(f"{extra.get(label, '')} {item.text}")
                    components[owner.key] = replace(owner, extra=tuple(sorted(extra.items())))
            if unmatched:
                remaining_lists.append(replace(block, items=tuple(unmatched)))
        if remaining_code or remaining_lists or section.fields or section.paragraphs:
            leftovers.append(
                replace(
                    section,
                    code=tuple(remaining_code),
                    lists=tuple(remaining_lists),
                    tables=(),
                    children=(),
                )
            )
    return leftovers


def _components_from_table(table: Table) -> list[Component]:
    name_col = 0
    tech = _column(table, "technology", "tech", "stack", "技術")
    purpose = _column(table, "purpose", "role", "description", "目的")
    ports = _column(table, "port", "ポート")
    used = {name_col, *(i for i in (tech, purpose) if i is not None)}
    result = []
    for row in table.rows:
        name = _cell(row.cells, name_col)
        if not name:
            continue
        exposes = _split_list(_cell(row.cells, ports) or "") if ports is not None else ()
        if ports is not None:
            used.add(ports)
        result.append(
            Component(
                key=_component_key(name),
                name=name,
                purpose=value_or_none(_cell(row.cells, purpose)),
                technology=value_or_none(_cell(row.cells, tech)),
                exposes=tuple(sorted(exposes, key=str.casefold)),
                extra=_extras(table, row.cells, used),
                line=row.line,
                end_line=row.line,
            )
        )
    return result


def _components(
    sections: list[Section], everything: list[Section], memo: bool
) -> tuple[tuple[Component, ...], tuple[Section, ...]]:
    """The components, and the content beside them that could not be tied to one."""
    found: list[Component] = []
    loose: list[Section] = []
    for section in sections:
        _collect_components(section, found, top=True, loose=loose, memo=memo)
    for table in _tables(sections, "components"):
        found.extend(_components_from_table(table))
    if not found:
        # Components written as ``## Component 1: X`` outside a "Component Details" section.
        for section in everything:
            for sub in _walk(section):
                if classify_title(sub.title) == "component":
                    _collect_components(sub, found, top=False, loose=[], memo=memo)
    unique: dict[str, Component] = {}
    for component in found:
        unique.setdefault(component.key, component)
    leftovers = _attach_loose(unique, loose)
    return tuple(sorted(unique.values(), key=lambda c: c.key)), tuple(leftovers)


_RETAINED_NOTE = re.compile(
    r"^(?P<name>.+?)\s*(?:\((?P<paren>[^)]*)\)|[:—–]\s*(?P<rest>.*)| - (?P<dash>.*))$"
)


def _retained(items: Iterable[ListItem]) -> tuple[Retained, ...]:
    result: dict[str, Retained] = {}
    for item in _items(items):
        text = item.text.strip()
        match = _RETAINED_NOTE.match(text)
        name, note = text, ""
        if match:
            name = match.group("name")
            note = match.group("paren") or match.group("rest") or match.group("dash") or ""
        if value_or_none(name) is None:
            continue
        key = _component_key(name)
        result.setdefault(key, Retained(key=key, name=name, note=collapse(note), line=item.line))
    return tuple(sorted(result.values(), key=lambda r: r.key))


def _integration(sections: list[Section]) -> Integration:
    retained: list[ListItem] = []
    previous: str | None = None
    steps: list[str] = []
    modifications: dict[str, Modification] = {}
    for section in sections:
        for sub in _walk(section):
            for block in sub.lists:
                label = block.label.casefold()
                if label.startswith(("retained", "unchanged", "carried")):
                    retained.extend(block.items)
                    if match := _TITLE_PHASE.search(block.label):
                        previous = _phase_id(match.group(1))
                elif block.ordered or label.startswith("migration"):
                    steps.extend(item.text for item in block.items if item.text)
            for table in sub.tables:
                if _table_kind(table) != "modified":
                    continue
                change = _column(table, "change")
                reason = _column(table, "reason", "why")
                for row in table.rows:
                    name = _cell(row.cells, 0)
                    if not name or value_or_none(name) is None:
                        continue
                    key = _component_key(name)
                    modifications.setdefault(
                        key,
                        Modification(
                            key=key,
                            component=name,
                            change=_cell(row.cells, change) or "",
                            reason=_cell(row.cells, reason) or "",
                            line=row.line,
                        ),
                    )
    if previous is None:
        for section in sections:
            if match := _TITLE_PHASE.search(section.title):
                previous = _phase_id(match.group(1))
    return Integration(
        previous_phase=previous,
        retained=_retained(retained),
        modified=tuple(sorted(modifications.values(), key=lambda m: m.key)),
        migration_steps=tuple(steps),
        line=sections[0].line if sections else 0,
    )


_PORT = re.compile(r"(?<![\w.:/-])(\d{2,5})(?:\s*/\s*(tcp|udp|sctp))?(?![\w.%])", re.I)


def _ports_from_text(text: str, line: int) -> list[Port]:
    ports: list[Port] = []
    for chunk in re.split(r"[,;](?![^()]*\))", text):
        match = _PORT.search(chunk)
        if not match:
            continue
        number = int(match.group(1))
        if not 1 <= number <= 65535:
            continue
        protocol = match.group(2).casefold() if match.group(2) else None
        description = collapse((chunk[: match.start()] + " " + chunk[match.end() :]).strip(" ()-:"))
        description = description.strip("() ")
        key = f"{number}/{protocol}" if protocol else str(number)
        ports.append(
            Port(key=key, number=number, protocol=protocol, description=description, line=line)
        )
    return ports


def _deployment(sections: list[Section]) -> Deployment:
    lists: dict[str, list[str]] = {}
    ports: dict[str, Port] = {}
    closed: dict[str, Port] = {}
    rto: Duration | None = None
    rpo: Duration | None = None
    for section in sections:
        for sub in _walk(section):
            for block in sub.lists:
                bucket = _deployment_bucket(block.label or sub.title)
                for item in _items(block.items):
                    if not item.text:
                        continue
                    lists.setdefault(bucket, []).append(item.text)
                    label, value = _split_label(item.text)
                    if label.startswith(("ports", "port", "ポート")):
                        # "Ports closed: 9080/tcp (Promtail)" names what this phase removes.
                        closing = any(w in label for w in ("closed", "removed", "decommission"))
                        target = closed if closing else ports
                        for port in _ports_from_text(value, item.line):
                            target.setdefault(port.key, port)
                    if label.startswith("rto") or "recovery time" in label:
                        rto = rto or parse_duration(value)
                    if label.startswith("rpo") or "recovery point" in label:
                        rpo = rpo or parse_duration(value)
            for fact in sub.fields:
                label = fact.label.casefold()
                if label.startswith("rto") or "recovery time" in label:
                    rto = rto or parse_duration(fact.value)
                if label.startswith("rpo") or "recovery point" in label:
                    rpo = rpo or parse_duration(fact.value)
    for table in _tables(sections, "ports"):
        protocol_col = _column(table, "protocol")
        description_cols = [i for i in range(1, len(table.header)) if i != protocol_col]
        for row in table.rows:
            protocol = _cell(row.cells, protocol_col)
            described = " ".join(row.cells[i] for i in description_cols if i < len(row.cells))
            spec = row.cells[0] + (f"/{protocol}" if protocol else "")
            for port in _ports_from_text(spec, row.line):
                port = Port(port.key, port.number, port.protocol, collapse(described), row.line)
                ports.setdefault(port.key, port)

    def get(name: str) -> tuple[str, ...]:
        return tuple(sorted(set(lists.get(name, [])), key=normalise_key))

    return Deployment(
        compute=get("compute"),
        network=get("network"),
        ports=tuple(sorted(ports.values(), key=lambda p: (p.number, p.protocol or ""))),
        closed_ports=tuple(sorted(closed.values(), key=lambda p: (p.number, p.protocol or ""))),
        storage=get("storage"),
        redundancy=get("redundancy"),
        disaster_recovery=get("disaster_recovery"),
        rto=rto,
        rpo=rpo,
        line=sections[0].line if sections else 0,
    )


def _deployment_bucket(label: str) -> str:
    key = _title_key(label)
    for bucket, words in (
        ("compute", ("compute", "node", "resource")),
        ("network", ("network", "port", "firewall")),
        ("storage", ("storage", "volume", "backup")),
        ("redundancy", ("redundan", "replica", "failover", "high availability")),
        ("disaster_recovery", ("disaster", "recovery", "rto", "rpo")),
    ):
        if any(word in key for word in words):
            return bucket
    return "other"


def _metrics(sections: list[Section]) -> tuple[Metric, ...]:
    metrics: dict[str, Metric] = {}
    for table in _tables(sections, "metrics"):
        kind = _column(table, "type", "kind")
        purpose = _column(table, "purpose", "description", "目的")
        alert = _column(table, "alert", "threshold", "slo")
        component = _column(table, "component", "source", "exporter", "service")
        used = {0, *(i for i in (kind, purpose, alert, component) if i is not None)}
        for row in table.rows:
            name = _cell(row.cells, 0)
            if not name:
                continue
            metrics.setdefault(
                row.key,
                Metric(
                    key=row.key,
                    name=name,
                    type=_cell(row.cells, kind),
                    purpose=_cell(row.cells, purpose),
                    alert_threshold=_cell(row.cells, alert),
                    component=_cell(row.cells, component),
                    extra=_extras(table, row.cells, used),
                    line=row.line,
                ),
            )
    return tuple(sorted(metrics.values(), key=lambda m: m.key))


_YES = frozenset({"yes", "y", "true", "required", "mandatory", "✓", "✔", "x", "必須", "はい"})
_NO = frozenset({"no", "n", "false", "optional", "-", "任意", "いいえ"})


def parse_required(value: str | None) -> bool | None:
    """``Yes``/``No`` (and friends) to a boolean; None when absent or not yes/no."""
    if value is None:
        return None
    word = plain(value).casefold().split(" ")[0].strip(".()")
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


def _env(sections: list[Section]) -> tuple[EnvVar, ...]:
    found: dict[str, EnvVar] = {}
    for table in _tables(sections, "env"):
        default = _column(table, "default", "value", "既定", "デフォルト")
        purpose = _column(table, "purpose", "description", "目的", "説明")
        required = _column(table, "required", "mandatory", "必須")
        used = {0, *(i for i in (default, purpose, required) if i is not None)}
        for row in table.rows:
            name = _cell(row.cells, 0)
            if not name:
                continue
            found.setdefault(
                row.key,
                EnvVar(
                    key=row.key,
                    name=name,
                    default=_cell(row.cells, default),
                    purpose=_cell(row.cells, purpose),
                    required=parse_required(_cell(row.cells, required)),
                    extra=_extras(table, row.cells, used),
                    line=row.line,
                ),
            )
    return tuple(sorted(found.values(), key=lambda e: e.key))


def _config_files(sections: list[Section]) -> tuple[ConfigFile, ...]:
    found: dict[str, ConfigFile] = {}
    for table in _tables(sections, "config_files"):
        location = _column(table, "location", "path", "場所")
        purpose = _column(table, "purpose", "description", "目的", "説明")
        used = {0, *(i for i in (location, purpose) if i is not None)}
        for row in table.rows:
            name = _cell(row.cells, 0)
            if not name:
                continue
            found.setdefault(
                row.key,
                ConfigFile(
                    key=row.key,
                    name=name,
                    location=_cell(row.cells, location),
                    purpose=_cell(row.cells, purpose),
                    extra=_extras(table, row.cells, used),
                    line=row.line,
                ),
            )
    return tuple(sorted(found.values(), key=lambda c: c.key))


def _grouped(sections: list[Section]) -> list[tuple[str, list[ListItem]]]:
    """List items by the sub-heading (or field label) they stand under."""
    groups: list[tuple[str, list[ListItem]]] = []
    for section in sections:
        for sub in _walk(section):
            for block in sub.lists:
                group = block.label or (sub.title if sub is not section else "")
                groups.append((group, list(block.items)))
    return groups


def _testing(sections: list[Section]) -> Testing:
    if not sections:
        return Testing()
    coverage: str | None = None
    items: list[CheckItem] = []
    for group, block_items in _grouped(sections):
        for item in _items(block_items):
            label, value = _split_label(item.text)
            if "coverage" in label and coverage is None:
                coverage = value_or_none(value)
        items.extend(_check_items(block_items, group))
    field = _field(sections, "coverage")
    if coverage is None and field is not None:
        coverage = value_or_none(field.value)
    prose = _prose(sections[0])
    return Testing(
        coverage_target=coverage,
        text=prose.text,
        items=tuple(sorted(items, key=lambda i: (i.group.casefold(), i.key))),
        line=sections[0].line,
    )


def _rollback(sections: list[Section]) -> Rollback:
    triggers: list[ListItem] = []
    steps: list[str] = []
    for section in sections:
        for sub in _walk(section):
            for block in sub.lists:
                label = (block.label or sub.title).casefold()
                if "trigger" in label or "condition" in label:
                    triggers.extend(block.items)
                elif block.ordered or "step" in label or "procedure" in label:
                    steps.extend(item.text for item in block.items if item.text)
    time = _field(sections, "rollback time", "time", "duration", "所要時間")
    value = value_or_none(time.value) if time else None
    return Rollback(
        triggers=_check_items(triggers),
        steps=tuple(steps),
        time=value,
        duration=parse_duration(value) if value else None,
        line=sections[0].line if sections else 0,
    )


def _limitations(sections: list[Section]) -> Limitations:
    current: list[CheckItem] = []
    future: list[CheckItem] = []
    for group, block_items in _grouped(sections):
        key = _title_key(group)
        target = (
            future if any(w in key for w in ("future", "improvement", "next", "今後")) else current
        )
        target.extend(_check_items(block_items, ""))
    return Limitations(
        current=tuple(sorted(current, key=lambda i: i.key)),
        future=tuple(sorted(future, key=lambda i: i.key)),
        line=sections[0].line if sections else 0,
    )


def _success(sections: list[Section]) -> SuccessCriteria:
    items: list[CheckItem] = []
    for group, block_items in _grouped(sections):
        items.extend(_check_items(block_items, group))
    return SuccessCriteria(
        items=tuple(sorted(items, key=lambda i: (i.group.casefold(), i.key))),
        line=sections[0].line if sections else 0,
    )


def _references(sections: list[Section]) -> tuple[Link, ...]:
    links = {
        (normalise_key(link.text), link.target): link
        for section in sections
        for sub in _walk(section)
        for link in sub.links
    }
    return tuple(links[key] for key in sorted(links))


_VERSION_LABELS = ("document version", "doc version", "文書バージョン", "version")
_UPDATED_LABELS = ("last updated", "最終更新", "updated")
_AUTHORS_LABELS = ("authors", "author", "作成者")
_FOOTER_LABELS = (*_VERSION_LABELS, *_UPDATED_LABELS, *_AUTHORS_LABELS)


def _footer_field(fields: list[Field], *labels: str) -> Field | None:
    """The footer's field: labels in order of preference, the last occurrence (the footer
    closes the document, so a component's ``**Version:**`` does not shadow it)."""
    for wanted in labels:
        for item in reversed(fields):
            if item.label.casefold().startswith(wanted):
                return item
    return None


def _footer_fields(section: Section, memo: bool) -> tuple[Field, ...]:
    """The fields of ``section``'s subtree, in order, that could be the footer's.

    Read section by section, so that a version that edits one sub-section
    re-reads only it (see ``_read``).
    """
    fields = [item for item in section.fields if item.label.casefold().startswith(_FOOTER_LABELS)]
    for child in section.children:
        fields.extend(_read(("footer",), [child], lambda s: _footer_fields(s[0], memo), memo))
    return tuple(fields)


def _footer(everything: list[Section], memo: bool) -> Footer:
    # The document's fields in order, those with a footer label only: no other is picked.
    fields = [item for section in everything for item in _footer_fields(section, memo)]
    version = _footer_field(fields, *_VERSION_LABELS)
    updated = _footer_field(fields, *_UPDATED_LABELS)
    authors = _footer_field(fields, *_AUTHORS_LABELS)
    names: tuple[str, ...] = ()
    if authors and value_or_none(authors.value):
        names = tuple(sorted(_split_list(authors.value), key=str.casefold))
    return Footer(
        version=value_or_none(version.value) if version else None,
        last_updated=parse_date(updated.value) if updated else None,
        authors=names,
        line=next((f.line for f in (version, updated, authors) if f is not None), 0),
    )


# ---------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------


@dataclass
class _Sorted:
    """Top-level sections sorted into typed kinds; the rest stays generic."""

    by_kind: dict[str, list[Section]]
    extra: list[Section]


def _sort_sections(sections: Iterable[Section], into: _Sorted) -> None:
    for section in sections:
        kind = classify_title(section.title)
        if kind is None or kind in _CONTAINERS:
            typed_children = [c for c in section.children if classify_title(c.title) is not None]
            if kind in _CONTAINERS or typed_children:
                if kind is not None:
                    into.by_kind.setdefault(kind, []).append(section)
                _sort_sections(section.children, into)
                continue
            if section.title and (
                section.fields
                or section.lists
                or section.tables
                or section.code
                or section.paragraphs
                or section.children
            ):
                into.extra.append(section)
            continue
        if kind == "component":
            kind = "components_loose"
        into.by_kind.setdefault(kind, []).append(section)


def parse_document(text: str) -> PhaseDocument:
    """Parse one version of a phase document; never raises."""
    try:
        return _parse(text)
    except Exception as exc:  # the parser must never take the tool down
        return PhaseDocument(
            diagnostics=(
                Diagnostic(
                    code="parser-error", message=f"could not parse document: {exc!r}", line=1
                ),
            )
        )


def parse_document_cached(text: str, cache: ChunkCache) -> PhaseDocument:
    """``parse_document(text)``, reusing the generic parse of sections seen before.

    ``cache`` keeps the walk of every chunk of text between two headings (see
    ``markdown.parse_markdown_cached``), so a history walk parses what each
    version changed, not the whole document; what the typed layer read from
    the sections that did not change is reused too (see ``_read``).  The
    result equals ``parse_document``'s, line numbers included; should the
    cached path ever fail, the document is parsed whole, so this never raises
    either.
    """
    try:
        return _build(parse_markdown_cached(text, cache), memo=True)
    except Exception:  # the uncached parser reports what went wrong
        return parse_document(text)


def _parse(text: str) -> PhaseDocument:
    return _build(parse_markdown(text), memo=False)


# What the typed extractors read from the sections of the last versions, by the
# identity of those sections: the cached parse hands out the very same section
# objects for text that did not change (``markdown._close``), so a version that
# edits one section re-reads only the kinds that section feeds.  The values are
# frozen and shared between versions, which also lets comparing two versions
# stop at the first identical part.
_TYPED: IdentityMemo[Any] = IdentityMemo(2048)


def _read(
    key: tuple[str, ...],
    sections: list[Section],
    extract: Callable[[list[Section]], _R],
    memo: bool,
) -> _R:
    """``extract(sections)``, remembered under ``key`` and the sections' identities.

    ``extract`` must depend on nothing but ``sections`` and what ``key`` names,
    and never return None.
    """
    if not memo:
        return extract(sections)
    full_key = (*key, *map(id, sections))
    found = _TYPED.get(full_key)
    if found is None:
        found = extract(sections)
        _TYPED.put(full_key, found, tuple(sections))
    return cast(_R, found)


def _build(generic: GenericDocument, *, memo: bool) -> PhaseDocument:
    everything = list(generic.sections)
    # The title heading (and any preamble) is transparent: its sections are the document's.
    top: list[Section] = []
    heads: list[Section] = []
    title_seen = False
    for section in everything:
        is_title = (
            not title_seen
            and bool(generic.title)
            and section.title == generic.title
            and (
                section.level == 1
                or classify_title(section.title) is None
                or _TITLE_PHASE.search(section.title) is not None
            )
        )
        if section.level == 0 or is_title:
            title_seen = title_seen or is_title
            heads.append(section)
            top.extend(section.children)
        else:
            top.append(section)
    sorted_sections = _Sorted(by_kind={}, extra=[])
    _sort_sections(top, sorted_sections)
    # A diagram drawn outside its section ("Logical flow") is still the diagram, and
    # one entity: compared as the diagram, not a second time as that section's code.
    drawn: CodeBlock | None = None
    if not any(sub.code for s in sorted_sections.by_kind.get("diagram", []) for sub in _walk(s)):
        drawn = _first_mermaid(everything)
        if drawn is not None:
            top = [_without_block(section, drawn) for section in top]
            sorted_sections = _Sorted(by_kind={}, extra=[])
            _sort_sections(top, sorted_sections)
    kinds = sorted_sections.by_kind

    def get(kind: str) -> list[Section]:
        return kinds.get(kind, [])

    def read(kind: str, sections: list[Section], extract: Callable[[list[Section]], _R]) -> _R:
        return _read((kind,), sections, extract, memo)

    # A document that starts at ``##`` has no title heading; its first heading
    # stands for one when it names the phase ("## Phase 2: Build pipeline").
    first = next((section for section in top if section.level > 0), None)
    title = generic.title
    if not title and first is not None and _TITLE_PHASE.search(first.title):
        title = first.title
    if get("overview"):
        overview = _read(
            ("overview", title), get("overview"), lambda s: _overview(title, s, s), memo
        )
    else:
        # Without an overview section the title heading's own fields are read.
        scope = [
            Section(title=h.title, level=h.level, fields=h.fields, paragraphs=h.paragraphs)
            for h in heads
        ]
        if not generic.title and first is not None:
            scope.append(Section(title=first.title, level=first.level, fields=first.fields))
        overview = _overview(title, [], scope)
    if not title and overview.phase is not None:
        title = f"Phase {overview.phase}" + (f": {overview.name}" if overview.name else "")
    if not title and first is not None:
        title = first.title
    diagnostics = list(generic.diagnostics)
    for section in sorted_sections.extra:
        diagnostics.append(
            Diagnostic(
                code="section-unrecognised",
                message=(
                    f"section '{section.title}' is not a template section; compared generically"
                ),
                line=section.line,
                end_line=section.end_line,
            )
        )
    observability = get("observability")
    configuration = get("configuration")
    metrics_scope = get("metrics") or observability
    env_scope = get("env") or configuration
    config_scope = get("config_files") or configuration
    component_sections = get("components") + get("components_loose")
    # Components are read from the whole document only when their sections hold none.
    components, leftovers = read(
        "components", component_sections, lambda s: _components(s, [], memo)
    )
    if not components:
        components, leftovers = _components(component_sections, everything, memo)
    for section in leftovers:
        diagnostics.append(
            Diagnostic(
                code="component-content-unmapped",
                message=(
                    f"'{section.title}' under the component details names no single "
                    "component; compared generically"
                ),
                line=section.line,
                end_line=section.end_line,
            )
        )
    sorted_sections.extra.extend(leftovers)
    # Likewise the diagram: the first mermaid block anywhere when its section has none.
    legend = read_legend(everything)
    if drawn is not None:
        diagram = parse_mermaid(
            drawn.text, drawn.line, legend=legend is not None, colours=legend or ()
        )
    else:
        diagram = _read(
            ("diagram", repr(legend)), get("diagram"), lambda s: _diagram(s, legend), memo
        )
    typed = PhaseDocument(
        title=title,
        overview=overview,
        whats_new=read("whats_new", get("whats_new"), _whats_new),
        diagram=diagram,
        components=components,
        integration=read("integration", get("integration"), _integration),
        data_flow=read("data_flow", get("data_flow"), _prose_of),
        security=read("security", get("security"), _prose_of),
        deployment=read("deployment", get("deployment"), _deployment),
        metrics=read("metrics", metrics_scope, _metrics),
        traces=read("traces", get("traces"), _traces),
        logs=read("logs", get("logs"), _logs),
        dashboards=read("dashboards", get("dashboards"), _dashboards),
        env=read("env", env_scope, _env),
        config_files=read("config_files", config_scope, _config_files),
        testing=read("testing", get("testing"), _testing),
        rollback=read("rollback", get("rollback"), _rollback),
        limitations=read("limitations", get("limitations"), _limitations),
        success_criteria=read("success_criteria", get("success_criteria"), _success),
        references=read("references", get("references"), _references),
        footer=_footer(everything, memo),
    )
    overview_scope = "overview" if get("overview") else "preamble"
    # A first heading that stands for the title holds the overview's fields.
    standing = first if overview_scope == "preamble" and not generic.title else None
    extra, unplaced = _residual_sections(heads, top, _claims_of(typed), overview_scope, standing)
    diagnostics.extend(unplaced)
    return replace(
        typed,
        extra=extra,
        sections=generic.sections,
        diagnostics=tuple(sorted(diagnostics, key=lambda d: (d.line, d.code))),
    )


def _prose_of(sections: list[Section]) -> Prose:
    if not sections:
        return Prose()
    proses = [_prose(section) for section in sections]
    items = tuple(
        sorted((i for p in proses for i in p.items), key=lambda i: (i.group.casefold(), i.key))
    )
    return Prose(text=" ".join(p.text for p in proses), items=items, line=proses[0].line)


def _traces(sections: list[Section]) -> Traces:
    spans: list[ListItem] = []
    attributes: list[ListItem] = []
    for group, items in _grouped(sections):
        (attributes if "attribute" in group.casefold() else spans).extend(items)
    return Traces(
        spans=_named(spans), attributes=_named(attributes), line=sections[0].line if sections else 0
    )


def _logs(sections: list[Section]) -> Logs:
    streams: list[ListItem] = []
    fields: list[ListItem] = []
    for group, items in _grouped(sections):
        (fields if "field" in group.casefold() else streams).extend(items)
    return Logs(
        streams=_named(streams), fields=_named(fields), line=sections[0].line if sections else 0
    )


def _dashboards(sections: list[Section]) -> tuple[NamedItem, ...]:
    return _named(item for _, items in _grouped(sections) for item in items)


def phase_field(text: str) -> str | None:
    """The document's own ``**Phase:**`` value among its first lines, without a full parse."""
    head = "\n".join(text.splitlines()[:60])
    for line in head.split("\n"):
        parsed = split_field(line)
        if parsed and parsed[0].casefold() == "phase":
            return _phase_id(parsed[1])
    return None


# ---------------------------------------------------------------------------
# What no typed reader claimed: the generic content of each section
# ---------------------------------------------------------------------------
#
# The coverage invariant (DESIGN.md): every element of the document belongs to
# one entity.  The typed readers above read what they understand; an element
# counts as theirs when the typed model holds its line (table rows, list items,
# metrics, ports ...) or, for readers that keep text without lines (prose,
# deployment lists, rollback steps, component notes), its text.  Everything
# else stays in its own section, flat, keyed by the section's identity, and is
# compared entry by entry (``diff._diff_generic``).

PREAMBLE_KEY = "(preamble)"
# Kinds read as free text (a code block there is an illustration), and kinds whose
# every list item is meant to be an entry (so an unread one deserves a note).
_PROSE_KINDS = frozenset({"data_flow", "security", "testing", "overview", "preamble"})
_ENTRY_KINDS = frozenset({"metrics", "env", "config_files", "traces", "logs", "dashboards"})
_OVERVIEW_LABELS = (
    "phase",
    "status",
    "started",
    "start date",
    "completed",
    "completion date",
    "開始",
    "完了日",
)


@dataclass
class _Claims:
    """What the typed model holds: source lines, texts, and YAML data by identity."""

    lines: set[int] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)
    data: set[int] = field(default_factory=set)
    joined: str = ""

    def text(self, value: str) -> bool:
        key = collapse(value)
        return bool(key) and (key in self.texts or (len(key) >= 12 and key in self.joined))


def _claims_of(document: PhaseDocument) -> _Claims:
    claims = _Claims()
    stack: list[Any] = [
        value
        for name, value in document.__dict__.items()
        if name not in ("title", "extra", "sections", "diagnostics")
    ]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if value:
                claims.texts.add(collapse(value))
        elif isinstance(value, tuple):
            stack.extend(value)
        elif isinstance(value, Component):
            claims.lines.update(value.claimed)
            configuration = value.configuration
            if configuration is not None:
                claims.data.add(id(configuration))
                if isinstance(configuration, list):
                    claims.data.update(id(item) for item in configuration)
                    stack.extend(item for item in configuration if isinstance(item, str))
                elif isinstance(configuration, str):  # a block that did not parse
                    stack.append(configuration)
            stack.extend(v for k, v in value.__dict__.items() if k != "configuration")
            claims.lines.add(value.line)
        elif isinstance(value, Link):
            # A link claims no line: the text around it is another entity's.
            claims.texts.add(collapse(value.text))
        elif hasattr(value, "__dataclass_fields__"):
            line = value.__dict__.get("line")
            if isinstance(line, int) and line > 0:
                claims.lines.add(line)
            stack.extend(value.__dict__.values())
    claims.joined = "\x00".join(sorted(claims.texts))
    return claims


def _node_kinds(sections: Iterable[Section], out: list[tuple[Section, str]]) -> None:
    """Every section with the typed kind it feeds ("" for none), as ``_sort_sections`` sorts."""
    for section in sections:
        kind = classify_title(section.title)
        if kind is None or kind in _CONTAINERS:
            if kind in _CONTAINERS or any(classify_title(c.title) for c in section.children):
                out.append((section, kind or ""))
                _node_kinds(section.children, out)
                continue
            out.extend((sub, "") for sub in _walk(section))
            continue
        out.extend((sub, "components" if kind == "component" else kind) for sub in _walk(section))


def _item_claimed(item: ListItem, claims: _Claims, typed: bool) -> bool:
    if item.line in claims.lines:
        return True
    if not typed:
        return False
    if claims.text(item.text):
        return True
    label, value = _split_label(item.text)
    return bool(label) and claims.text(value)


def _unclaimed_items(items: Iterable[ListItem], claims: _Claims, typed: bool) -> list[ListItem]:
    """The items no typed entity holds, each with its unclaimed children; the children of
    a claimed item that are not claimed themselves stand on their own."""
    kept: list[ListItem] = []
    for item in items:
        children = _unclaimed_items(item.children, claims, typed)
        if _item_claimed(item, claims, typed):
            kept.extend(children)
        else:
            kept.append(replace(item, children=tuple(children)))
    return kept


def _field_claimed(item: Field, claims: _Claims, typed: bool, labels: tuple[str, ...]) -> bool:
    label = item.label.casefold()
    if label.startswith(_FOOTER_LABELS) or (labels and label.startswith(labels)):
        return True
    return item.line in claims.lines or (typed and claims.text(item.value))


def _code_claimed(block: CodeBlock, claims: _Claims, typed: bool) -> bool:
    if block.line in claims.lines:
        return True
    if block.data is not None and id(block.data) in claims.data:
        return True
    data = block.data
    if isinstance(data, dict) and data and all(id(v) in claims.data for v in data.values()):
        return True
    return typed and claims.text(block.text)


def _residual(
    section: Section, kind: str, claims: _Claims, labels: tuple[str, ...], links: bool
) -> Section:
    """``section``'s own content that no typed entity holds (children not included)."""
    typed = bool(kind)
    paragraphs: list[str] = []
    spans: list[Span] = []
    for index, text in enumerate(section.paragraphs):
        if typed and claims.text(text):
            continue
        paragraphs.append(text)
        if index < len(section.paragraph_spans):
            spans.append(section.paragraph_spans[index])
    lists: list[ListBlock] = []
    for block in section.lists:
        items = _unclaimed_items(block.items, claims, typed)
        if items:
            if not block.ordered:
                items.sort(key=lambda item: (normalise_key(item.text), item.done is True))
            lists.append(replace(block, items=tuple(items)))
    tables = [
        replace(table, rows=rows)
        for table in section.tables
        if (rows := tuple(row for row in table.rows if row.line not in claims.lines))
    ]
    code = [b for b in section.code if not _code_claimed(b, claims, typed)]
    # A ``**Label:**`` with no value introduces the block below it: it is the typed
    # entity's when some of that block went to one.
    kept = {id(block) for block in code}
    kept.update(id(block) for block in section.lists if block in lists)
    kept.update(id(table) for table in section.tables if table in tables)
    labelled: list[ListBlock | Table | CodeBlock] = [*section.lists, *section.tables, *section.code]
    read_labels = {block.label for block in labelled if block.label and id(block) not in kept}
    fields = [
        item
        for item in section.fields
        if not (item.value == "" and item.label in read_labels)
        and not _field_claimed(item, claims, typed, labels)
    ]
    return Section(
        title=section.title,
        level=section.level,
        fields=tuple(fields),
        tables=tuple(tables),
        lists=tuple(lists),
        code=tuple(code),
        links=section.links if links else (),
        paragraphs=tuple(paragraphs),
        line=section.line,
        end_line=section.end_line,
        paragraph_spans=tuple(spans),
        kind=kind,
    )


def has_content(section: Section) -> bool:
    """Whether a section holds any element of its own (its children aside)."""
    return bool(
        section.fields
        or section.tables
        or section.lists
        or section.code
        or section.paragraphs
        or section.links
    )


def _residual_sections(
    heads: list[Section],
    top: list[Section],
    claims: _Claims,
    overview_scope: str,
    standing: Section | None,
) -> tuple[tuple[Section, ...], list[Diagnostic]]:
    """Every section, flat, with what no typed reader holds; and a note for each typed
    section whose reader left content of its own kind unread."""
    preamble_labels = _OVERVIEW_LABELS if overview_scope == "preamble" else ()
    parts = [_residual(head, "preamble", claims, preamble_labels, True) for head in heads]
    residual: list[tuple[Section, str, str]] = []  # section, identity, parent identity
    if parts:
        first = parts[0]
        preamble = replace(
            first,
            title="Preamble",
            level=0,
            fields=tuple(f for p in parts for f in p.fields),
            tables=tuple(t for p in parts for t in p.tables),
            lists=tuple(b for p in parts for b in p.lists),
            code=tuple(c for p in parts for c in p.code),
            links=tuple(link for p in parts for link in p.links),
            paragraphs=tuple(t for p in parts for t in p.paragraphs),
            paragraph_spans=tuple(s for p in parts for s in p.paragraph_spans),
            line=min((p.line for p in parts if p.line), default=1),
        )
        if has_content(preamble):
            residual.append((preamble, PREAMBLE_KEY, ""))
    nodes: list[tuple[Section, str]] = []
    _node_kinds(top, nodes)
    parents: dict[int, str] = {}
    for section in top:
        for sub in _walk(section):
            for child in sub.children:
                parents[id(child)] = section_identity(sub.title)
    diagnostics: list[Diagnostic] = []
    for section, kind in nodes:
        reads_overview = kind == "overview" and overview_scope == "overview"
        labels = _OVERVIEW_LABELS if reads_overview or section is standing else ()
        left = _residual(section, kind, claims, labels, kind != "references")
        identity = section_identity(section.title)
        residual.append((left, identity, parents.get(id(section), "")))
        unread = [t.line for t in left.tables]
        if kind not in _PROSE_KINDS:
            unread.extend(c.line for c in left.code)
        if kind in _ENTRY_KINDS:
            unread.extend(b.line for b in left.lists)
        if kind and unread:
            lines = sorted(set(unread))
            shown = ", ".join(str(line) for line in lines[:8]) + (" ..." if len(lines) > 8 else "")
            diagnostics.append(
                Diagnostic(
                    code="typed-content-generic",
                    message=(
                        f"'{section.title}' ({kind.replace('_', ' ')}): content at line "
                        f"{shown} is not read as {kind.replace('_', ' ')}; compared generically"
                    ),
                    line=lines[0],
                    end_line=lines[-1],
                )
            )
    # Identity: the title alone; a title used twice is told apart by its parent's.
    counts: dict[str, int] = {}
    for _, identity, _ in residual:
        counts[identity] = counts.get(identity, 0) + 1
    keyed: list[Section] = []
    seen: dict[str, int] = {}
    for section, identity, parent in residual:
        key = identity
        if counts[identity] > 1 and parent:
            key = f"{parent} / {identity}"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key} #{seen[key]}"
        keyed.append(replace(section, key=key))
    keyed.sort(key=lambda section: section.key)
    return tuple(keyed), diagnostics
