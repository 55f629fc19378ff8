"""Change records: what the diff produces and every renderer consumes.

``Change`` mirrors DESIGN.md's JSON contract field for field; ``Comparison``
is one pair of documents and its changes.  The severity of a change is not
decided where the change is found but looked up in ``rules.RULES`` by its
stable rule id, so a project can re-grade a rule in one place.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass
from typing import Any

from phasediff.model import Diagnostic, Diagram


class Kind(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    RENAMED = "renamed"


class Severity(enum.Enum):
    BREAKING = "breaking"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe: breaking 3, warning 2, info 1."""
        return {"breaking": 3, "warning": 2, "info": 1}[self.value]


SECTIONS = (
    "overview",
    "whats_new",
    "diagram",
    "components",
    "integration",
    "data_flow",
    "security",
    "deployment",
    "metrics",
    "traces",
    "logs",
    "dashboards",
    "env",
    "config_files",
    "testing",
    "rollback",
    "limitations",
    "success_criteria",
    "references",
    "document",
)
"""Every ``section`` value, in the order a changelog presents them."""

SECTION_TITLES = {
    "overview": "Overview",
    "whats_new": "What's new",
    "diagram": "Architecture diagram",
    "components": "Components",
    "integration": "Integration with previous phase",
    "data_flow": "Data flow",
    "security": "Security",
    "deployment": "Deployment",
    "metrics": "Metrics",
    "traces": "Traces",
    "logs": "Logs",
    "dashboards": "Dashboards",
    "env": "Environment variables",
    "config_files": "Configuration files",
    "testing": "Testing",
    "rollback": "Rollback",
    "limitations": "Limitations",
    "success_criteria": "Success criteria",
    "references": "References",
    "document": "Document",
}


@dataclass(frozen=True)
class Change:
    """One drift between two documents.

    ``old``/``new`` are JSON-ready values (str, int, float, bool, None, lists,
    dicts).  ``line`` points at the document line of the change (the head
    side, or the base side for a removal) for annotations; ``note`` carries
    the why (``replaced by Grafana Alloy``); ``path`` says which document the
    line belongs to.  ``acknowledged`` is the reason an acknowledged-changes
    file (``accept``) gives for an intended change, None when nobody did: such
    a change is still reported, but no longer fails a CI gate.
    """

    section: str
    kind: Kind
    key: str
    field: str | None
    old: Any
    new: Any
    severity: Severity
    rule: str
    note: str = ""
    line: int = dataclasses.field(default=0, compare=False)
    path: str | None = dataclasses.field(default=None, compare=False)
    acknowledged: str | None = dataclasses.field(default=None, compare=False)

    @property
    def fingerprint(self) -> str:
        """A stable identity for acknowledging a change: rule id plus entity key (and field)."""
        suffix = f"#{self.field}" if self.field else ""
        return f"{self.rule}:{self.key}{suffix}"


@dataclass(frozen=True)
class Side:
    """One side of a comparison: which phase, at which revision, from which file and blob."""

    phase: str | None
    rev: str | None  # None: the working tree
    path: str | None
    blob: str | None = None


@dataclass(frozen=True)
class Comparison:
    """Two documents and the changes between them, in presentation order."""

    base: Side
    head: Side
    changes: tuple[Change, ...]
    base_diagram: Diagram = dataclasses.field(default_factory=Diagram)
    head_diagram: Diagram = dataclasses.field(default_factory=Diagram)
    diagnostics: tuple[Diagnostic, ...] = ()
    #: Between phases: ``all`` (architecture, then every other section) or ``architecture``;
    #: empty for two revisions of one document.
    scope: str = ""
    #: One line on what was compared, when the change list alone would mislead
    #: ("neither document names components; compared 14 sections by title").
    note: str = ""

    def count(self, severity: Severity) -> int:
        return sum(1 for change in self.changes if change.severity is severity)

    def worst(self) -> Severity | None:
        if not self.changes:
            return None
        return max((change.severity for change in self.changes), key=lambda s: s.rank)


def natural_key(text: str) -> tuple[tuple[int, str], ...]:
    """``port 9080`` before ``port 12345``: digit runs compare as numbers."""
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part)
        for part in re.findall(r"\d+|\D+", text.casefold())
    )


def sort_changes(changes: list[Change]) -> tuple[Change, ...]:
    """Deterministic presentation order: section order, then severity, key, kind, field."""
    order = {name: index for index, name in enumerate(SECTIONS)}
    return tuple(
        sorted(
            changes,
            key=lambda c: (
                order.get(c.section, len(order)),
                -c.severity.rank,
                natural_key(c.key),
                c.kind.value,
                c.field or "",
                c.rule,
            ),
        )
    )
