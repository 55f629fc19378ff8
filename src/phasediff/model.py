"""The parsed form of a phase document: a generic layer and a typed layer.

Everything here is a frozen dataclass of tuples, so a parsed document is a
value: it can be cached, compared and hashed by content.  Line numbers are
kept on every element for diagnostics and annotations, but declared with
``compare=False``: two documents that differ only in form (re-wrapped prose,
moved rows, demoted headings) compare equal.  For the same reason collections
whose order carries no meaning (table rows, bullet lists, components, metrics)
are stored sorted by their identity key; numbered lists keep their order,
because the order of migration or rollback steps is content.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------------------
# Generic layer: any markdown document
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A ``**Label:** value`` line (the label without its colon)."""

    label: str
    value: str
    line: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Span:
    """Where a block without a model value of its own (a paragraph) stands: first and last line."""

    line: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Row:
    """A table row; ``key`` is the normalised first cell.

    ``written_cells`` is how many cells the source line has: the table
    extension pads or cuts every row to the header's width, so ``cells`` cannot
    tell a row with a missing or extra ``|`` (0 when unknown).
    """

    key: str
    cells: tuple[str, ...]
    line: int = field(default=0, compare=False)
    written_cells: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Table:
    """A table; ``label`` is the ``**Label:**`` line just above it, if any."""

    header: tuple[str, ...]
    rows: tuple[Row, ...]
    label: str = ""
    line: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)

    def column(self, row: Row, *names: str) -> str | None:
        """The cell of ``row`` under the first header matching one of ``names``."""
        for index, title in enumerate(self.header):
            if title.casefold() in names and index < len(row.cells):
                return row.cells[index]
        return None


@dataclass(frozen=True)
class ListItem:
    """A list item; ``done`` is None for a plain bullet, a bool for ``[ ]``/``[x]``."""

    text: str
    done: bool | None = None
    children: tuple[ListItem, ...] = ()
    line: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ListBlock:
    """A list; unordered lists are stored sorted, numbered lists in their order."""

    ordered: bool
    items: tuple[ListItem, ...]
    label: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block; ``data`` holds parsed YAML when the block is YAML."""

    info: str
    text: str
    label: str = ""
    data: Any = None
    error: str | None = None
    line: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Link:
    text: str
    target: str
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Section:
    """A heading and what stands under it up to the next heading of its level or above."""

    title: str
    level: int = field(compare=False)
    fields: tuple[Field, ...] = ()
    tables: tuple[Table, ...] = ()
    lists: tuple[ListBlock, ...] = ()
    code: tuple[CodeBlock, ...] = ()
    links: tuple[Link, ...] = ()
    paragraphs: tuple[str, ...] = ()
    children: tuple[Section, ...] = ()
    line: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)
    # Where each of ``paragraphs`` stands (same order), for coverage and diagnostics.
    paragraph_spans: tuple[Span, ...] = field(default=(), compare=False)
    # In ``PhaseDocument.extra``: the typed kind whose section this is ("" when none),
    # and the section's identity (title without numbering, disambiguated by its parent).
    kind: str = field(default="", compare=False)
    key: str = field(default="", compare=False)


# ---------------------------------------------------------------------------
# Typed layer: the template's sections
# ---------------------------------------------------------------------------


class Status(enum.Enum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    UNKNOWN = "unknown"


class Legend(enum.Enum):
    """The template's diagram legend: what a node's colour says about it."""

    NEW = "new"
    MODIFIED = "modified"
    UNCHANGED = "unchanged"
    DEPRECATED = "deprecated"


@dataclass(frozen=True)
class Duration:
    """A duration such as ``4h`` or ``15 minutes``; equal when the seconds are."""

    seconds: int
    text: str = field(compare=False)


@dataclass(frozen=True)
class Overview:
    phase: str | None = None
    name: str | None = None
    status: Status | None = None
    status_text: str | None = field(default=None, compare=False)
    # A status in the author's own words ("in review", "blocked on X"): ``status``
    # is then UNKNOWN and these words are what compares.
    status_words: str | None = None
    started: str | None = None
    completed: str | None = None
    summary: str = ""
    line: int = field(default=0, compare=False)

    @property
    def status_value(self) -> str | None:
        """``planned``, ``in_progress``, ``complete``, or the status's own words ("in review")."""
        if self.status is Status.UNKNOWN and self.status_words:
            return self.status_words
        return self.status.value if self.status else None


@dataclass(frozen=True)
class CheckItem:
    """A checklist or bullet item; ``key`` is its normalised text."""

    key: str
    text: str
    done: bool | None = None
    group: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class WhatsNew:
    items: tuple[CheckItem, ...] = ()
    deprecated: tuple[str, ...] = ()
    key_differences: tuple[CheckItem, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    legend: Legend | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Diagram:
    kind: str = ""  # "mermaid", "ascii" or "" when absent
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    text: str = field(default="", compare=False)
    # What compares of a diagram read as text (ASCII art, a mermaid sequence or
    # class diagram): its words, whitespace-collapsed.  Empty for a flowchart.
    drawing: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Component:
    key: str
    name: str
    purpose: str | None = None
    technology: str | None = None
    configuration: Any = None
    connects_to: tuple[str, ...] = ()
    exposes: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    operational: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    line: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)
    # The source lines whose content this component holds (coverage; see parse._residual).
    claimed: tuple[int, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Retained:
    key: str
    name: str
    note: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Modification:
    key: str
    component: str
    change: str = ""
    reason: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Integration:
    previous_phase: str | None = None
    retained: tuple[Retained, ...] = ()
    modified: tuple[Modification, ...] = ()
    migration_steps: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Prose:
    """A free-text section, whitespace-normalised, with its sub-headings flattened in."""

    text: str = ""
    items: tuple[CheckItem, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Port:
    key: str  # "9080/tcp" or "9080"
    number: int
    protocol: str | None = None
    description: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Deployment:
    compute: tuple[str, ...] = ()
    network: tuple[str, ...] = ()
    ports: tuple[Port, ...] = ()
    closed_ports: tuple[Port, ...] = ()
    storage: tuple[str, ...] = ()
    redundancy: tuple[str, ...] = ()
    disaster_recovery: tuple[str, ...] = ()
    rto: Duration | None = None
    rpo: Duration | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    type: str | None = None
    purpose: str | None = None
    alert_threshold: str | None = None
    component: str | None = None
    extra: tuple[tuple[str, str], ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class NamedItem:
    """A ``name: description`` bullet (span, attribute, log stream, log field, dashboard)."""

    key: str
    name: str
    description: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Traces:
    spans: tuple[NamedItem, ...] = ()
    attributes: tuple[NamedItem, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Logs:
    streams: tuple[NamedItem, ...] = ()
    fields: tuple[NamedItem, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class EnvVar:
    key: str
    name: str
    default: str | None = None
    purpose: str | None = None
    required: bool | None = None
    extra: tuple[tuple[str, str], ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ConfigFile:
    key: str
    name: str
    location: str | None = None
    purpose: str | None = None
    extra: tuple[tuple[str, str], ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Testing:
    coverage_target: str | None = None
    text: str = ""
    items: tuple[CheckItem, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Rollback:
    triggers: tuple[CheckItem, ...] = ()
    steps: tuple[str, ...] = ()
    time: str | None = None
    duration: Duration | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Limitations:
    current: tuple[CheckItem, ...] = ()
    future: tuple[CheckItem, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class SuccessCriteria:
    items: tuple[CheckItem, ...] = ()
    line: int = field(default=0, compare=False)

    @property
    def done(self) -> int:
        return sum(1 for item in self.items if item.done)


@dataclass(frozen=True)
class Footer:
    version: str | None = None
    last_updated: str | None = None
    authors: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Diagnostic:
    """Something the parser saw but could not map; never silently dropped."""

    code: str
    message: str
    line: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)
    # The document it is about, where output covers two documents (phase against phase).
    path: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PhaseDocument:
    """One version of one phase document, parsed.

    ``sections`` is the whole generic heading tree (document order, levels and
    lines; excluded from equality).  ``extra`` holds the sections the typed
    layer did not recognise, so the diff can still compare them generically.
    """

    title: str = ""
    overview: Overview = Overview()
    whats_new: WhatsNew = WhatsNew()
    diagram: Diagram = Diagram()
    components: tuple[Component, ...] = ()
    integration: Integration = Integration()
    data_flow: Prose = Prose()
    security: Prose = Prose()
    deployment: Deployment = Deployment()
    metrics: tuple[Metric, ...] = ()
    traces: Traces = Traces()
    logs: Logs = Logs()
    dashboards: tuple[NamedItem, ...] = ()
    env: tuple[EnvVar, ...] = ()
    config_files: tuple[ConfigFile, ...] = ()
    testing: Testing = Testing()
    rollback: Rollback = Rollback()
    limitations: Limitations = Limitations()
    success_criteria: SuccessCriteria = SuccessCriteria()
    references: tuple[Link, ...] = ()
    footer: Footer = Footer()
    extra: tuple[Section, ...] = ()
    sections: tuple[Section, ...] = field(default=(), compare=False)
    diagnostics: tuple[Diagnostic, ...] = field(default=(), compare=False)
