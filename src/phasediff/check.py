"""``phasediff check``: lint phase documents, and hold what they declare against what changed.

A phase document makes claims about its own drift - "Retained from Phase 2:
Alertmanager (unchanged)", a "Modified from Phase 2" table, a What's New
checklist, a Deprecated line, diagram nodes coloured by the legend - and
phasediff computes the real drift, so it can check one against the other.

Two kinds of rules, each with a stable id and a default severity (``error``
fails the check, ``warning`` does not); ``[tool.phasediff] rules`` turns a
rule off or re-grades it:

* lint rules look at one document alone (``lint_document``);
* declaration rules compare phase N's claims with the actual change from
  phase N-1's effective architecture to phase N's (``check_declarations``).

"Actual change" is what ``phasediff N-1 N`` reports for components, with one
difference: a field that phase N's document does not write down at all did
not change, it is only not repeated (a component summarised in a table keeps
the configuration documented earlier).  A component retained without being
documented again did not change either.

Everything here is pure: documents in, findings out.
"""

from __future__ import annotations

import difflib
import enum
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from phasediff.changes import Change, Kind, Side
from phasediff.config import Config
from phasediff.diff import DiffOptions, diff_phases
from phasediff.documents import phase_key
from phasediff.effective import Effective, mentions, next_effective
from phasediff.errors import ConfigError
from phasediff.model import (
    CodeBlock,
    Component,
    Field,
    Legend,
    ListItem,
    Modification,
    PhaseDocument,
    Row,
    Section,
    Status,
    Table,
)

# The parser's own classification, so that the check and the typed model agree on
# which table is a metrics table and what a component heading's key is.
from phasediff.parse import (
    _component_key,
    _component_name,
    _table_kind,
    classify_title,
    parse_mermaid,
    parse_required,
)
from phasediff.rules import RULES
from phasediff.text import is_placeholder, normalise_key, plain

# ---------------------------------------------------------------------------
# Rules and findings
# ---------------------------------------------------------------------------


class CheckSeverity(enum.Enum):
    """How much a finding matters: an error fails ``phasediff check`` (exit 1), a warning not."""

    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        return 2 if self is CheckSeverity.ERROR else 1


class Scope(enum.Enum):
    """What a rule looks at: one document, or phase N's claims against phase N-1."""

    DOCUMENT = "document"
    DECLARATIONS = "declarations"


@dataclass(frozen=True)
class CheckRule:
    id: str
    severity: CheckSeverity
    scope: Scope
    description: str


ERR, WRN = CheckSeverity.ERROR, CheckSeverity.WARNING
DOC, DECL = Scope.DOCUMENT, Scope.DECLARATIONS

_TABLE: tuple[tuple[str, CheckSeverity, Scope, str], ...] = (
    # one document
    (
        "placeholder",
        WRN,
        DOC,
        "An unfilled template placeholder is left in ([Phase Name], YYYY-MM-DD, X%, Phase X-1).",
    ),
    (
        "template-example",
        WRN,
        DOC,
        "The template's example content is left as it was (rows, bullets, snippets, links).",
    ),
    (
        "section-missing",
        ERR,
        DOC,
        "A section the project requires (required_sections) is absent from a document that "
        "follows the template.",
    ),
    (
        "link-broken",
        WRN,
        DOC,
        "A relative link points at a file or directory the repository does not have.",
    ),
    ("duplicate-component", ERR, DOC, "A component is documented twice; only the first counts."),
    ("duplicate-metric", ERR, DOC, "A metric is listed twice; only the first row counts."),
    ("duplicate-env", ERR, DOC, "An environment variable is listed twice; only the first counts."),
    ("duplicate-config-file", ERR, DOC, "A configuration file is listed twice."),
    (
        "table-row-cells",
        ERR,
        DOC,
        "A table row has more or fewer cells than its header (a missing or unescaped |).",
    ),
    ("required-not-yes-no", WRN, DOC, "An environment variable's Required cell is not yes or no."),
    ("yaml-invalid", ERR, DOC, "A YAML block does not parse (reported on the offending line)."),
    (
        "diagram-unknown-node",
        WRN,
        DOC,
        "A mermaid style or class line names a node the graph does not have.",
    ),
    (
        "complete-unchecked-criteria",
        ERR,
        DOC,
        "The status is Complete but a success criterion is unchecked.",
    ),
    ("complete-without-date", ERR, DOC, "The status is Complete but no completion date is given."),
    ("dates-out-of-order", ERR, DOC, "The completion date is before the start date."),
    (
        "phase-mismatch",
        ERR,
        DOC,
        "The overview's phase differs from the phase the document's path names.",
    ),
    # phase N-1 -> phase N
    (
        "unchanged-but-changed",
        ERR,
        DECL,
        "A component declared retained or unchanged (list or diagram) whose fields changed.",
    ),
    (
        "modified-undeclared",
        ERR,
        DECL,
        "A component changed but is missing from the Modified from Phase N-1 table.",
    ),
    (
        "modified-not-changed",
        WRN,
        DECL,
        "A Modified from Phase N-1 row for a documented component whose fields did not change.",
    ),
    ("new-undeclared", WRN, DECL, "A component new in phase N is missing from What's New."),
    (
        "diagram-new-existed",
        WRN,
        DECL,
        "A diagram node coloured as new names a component phase N-1 already had.",
    ),
    (
        "removed-undeclared",
        ERR,
        DECL,
        "A component of phase N-1 disappeared without being retained, deprecated or replaced.",
    ),
)

CHECK_RULES: Mapping[str, CheckRule] = {
    rule_id: CheckRule(rule_id, severity, scope, description)
    for rule_id, severity, scope, description in _TABLE
}


@dataclass(frozen=True)
class Finding:
    """One problem in one document: where, which rule, how bad, and what to do about it."""

    path: str
    line: int  # 1-based; 0 when the problem has no line (a missing section)
    rule: str
    severity: CheckSeverity
    message: str


@dataclass(frozen=True)
class Note:
    """Something the check could not do for a document, and why (never a failure)."""

    path: str
    message: str


@dataclass(frozen=True)
class CheckedDocument:
    """One phase document as the check receives it."""

    phase: str
    path: str
    document: PhaseDocument
    #: The phase the path names (``docs/phase-3/...`` -> ``3``), or None.
    path_phase: str | None = None
    #: Every file of the repository at the document's revision (POSIX, from the root),
    #: to tell a broken relative link; None when not known (links are then not checked).
    files: frozenset[str] | None = None


@dataclass(frozen=True)
class CheckReport:
    """The outcome of a check: the documents looked at, in phase order, and what was found."""

    documents: tuple[CheckedDocument, ...]
    findings: tuple[Finding, ...]
    notes: tuple[Note, ...] = ()

    def count(self, severity: CheckSeverity) -> int:
        return sum(1 for finding in self.findings if finding.severity is severity)

    @property
    def failed(self) -> bool:
        return any(finding.severity is CheckSeverity.ERROR for finding in self.findings)


Levels = Mapping[str, CheckSeverity | None]


def resolve_levels(config: Config) -> dict[str, CheckSeverity | None]:
    """Each check rule's severity after ``[tool.phasediff] rules``; None means turned off.

    Check rules take ``error``, ``warning`` or ``off``; ``breaking`` and
    ``info`` are change severities and are refused rather than guessed at.
    An id that is neither a check rule nor a change rule is a typo.
    """
    levels: dict[str, CheckSeverity | None] = {
        rule.id: rule.severity for rule in CHECK_RULES.values()
    }
    where = f"{config.source}: " if config.source else ""
    for rule_id, value in config.rules.items():
        if rule_id in CHECK_RULES:
            if value == "off":
                levels[rule_id] = None
            elif value in ("error", "warning"):
                levels[rule_id] = CheckSeverity(value)
            else:
                raise ConfigError(
                    f"{where}rules.{rule_id} = {value!r}: check rules take "
                    '"error", "warning" or "off".'
                )
        elif rule_id not in RULES:
            close = difflib.get_close_matches(rule_id, [*CHECK_RULES, *RULES], n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise ConfigError(
                f"{where}rules.{rule_id} is not a rule.{hint} "
                "`phasediff check --list-rules` and `phasediff rules` list them."
            )
    return levels


def _finding_order(finding: Finding) -> tuple[int, str, str]:
    return finding.line, finding.rule, finding.message


class _Findings:
    """Collects findings for one document, graded by the configured levels."""

    def __init__(self, path: str, levels: Levels) -> None:
        self.path = path
        self.levels = levels
        self.items: list[Finding] = []

    def add(self, rule: str, line: int, message: str) -> None:
        severity = self.levels.get(rule, CHECK_RULES[rule].severity)
        if severity is not None:
            self.items.append(Finding(self.path, line, rule, severity, message))

    def sorted(self) -> list[Finding]:
        """Line order, the order a reader fixes them in."""
        return sorted(self.items, key=_finding_order)


# ---------------------------------------------------------------------------
# Reading the generic layer
# ---------------------------------------------------------------------------


def _walk(sections: Iterable[Section]) -> Iterator[Section]:
    for section in sections:
        yield section
        yield from _walk(section.children)


def _walk_kinds(
    sections: Iterable[Section], kinds: frozenset[str] = frozenset()
) -> Iterator[tuple[Section, frozenset[str]]]:
    """Each section with the typed kinds of itself and its ancestors."""
    for section in sections:
        kind = classify_title(section.title)
        inner = kinds | {kind} if kind else kinds
        yield section, inner
        yield from _walk_kinds(section.children, inner)


def _items(items: Iterable[ListItem]) -> Iterator[ListItem]:
    for item in items:
        yield item
        yield from _items(item.children)


def _first_field(doc: PhaseDocument, *labels: str) -> Field | None:
    for section in _walk(doc.sections):
        for item in section.fields:
            if item.label.casefold().startswith(labels):
                return item
    return None


def _quote(text: str, limit: int = 60) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"'{text}'"


def _show(value: Any, limit: int = 40) -> str:
    """A changed value as a message shows it: scalars bare, structures as compact JSON."""
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# Lint: placeholders and the template's example content
# ---------------------------------------------------------------------------

# The template writes YYYY-MM-DD only in its date fields; elsewhere it may document a format.
_DATE_PLACEHOLDER = re.compile(r"\bYYYY-MM-DD\b")
_PLACEHOLDER_ANYWHERE = (
    re.compile(r"(?<![\w.])X(?:\.\d+)?%"),
    re.compile(r"\bPhase X(?:[-+]1)?(?![\w])"),
)
_PLACEHOLDER_WHOLE = (
    # [Phase Name], [Name], [Other components]; not [x], nor a type such as [{ rank, id }]
    re.compile(r"^\[[^\]{}\[]{2,}\]$"),
    re.compile(r"^X(?:h|%)?$"),  # Phase: X, RTO: Xh
    re.compile(r"^Your Name$", re.IGNORECASE),
)
# Cells match these only: a lone "X" is as often a tick, and a YYYY-MM-DD cell may well
# document a date format.
_PLACEHOLDER_CELLS = frozenset({"value", "X%", "Xh", "Your Name"})
# "value" is the template's only in a value column of an environment table: elsewhere
# it is as likely a real name (a schema field called ``value``).
_VALUE_CELL = "value"
_TEMPLATE_STATUS = re.compile(r"in progress\s*/.*complete\s*/.*planned", re.IGNORECASE)


def _placeholder(value: str, *, dates: bool = False) -> str | None:
    """The template placeholder in a value (a field, a heading, a bullet's value), if any."""
    text = plain(value)
    for pattern in _PLACEHOLDER_WHOLE:
        if pattern.match(text):
            return text
    for pattern in (_DATE_PLACEHOLDER, *_PLACEHOLDER_ANYWHERE) if dates else _PLACEHOLDER_ANYWHERE:
        if match := pattern.search(text):
            return match.group(0)
    return None


# The template's example bullets and field values, normalised (``normalise_key``).
_EXAMPLE_ITEMS = tuple(
    re.compile(pattern)
    for pattern in (
        r"^component/technology \d+: brief description$",
        r"^deprecated: list anything removed or replaced$",
        r"^change \d+$",
        r"^component [a-c] \((unchanged|modified - see below)\)$",
        r"^(resources: cpu/ram requirements|scaling: horizontal/vertical limits)$",
        r"^monitoring: key metrics to watch$",
        r"^vms/nodes: x @ y cores, z gb ram$",
        r"^total resources: cpu, ram, storage$",
        r"^(ports opened|firewall rules): list$",
        r"^load balancer config: details$",
        r"^persistent volumes: size, type$",
        r"^backup requirements: frequency, retention$",
        r"^(which components are replicated|failover mechanisms|backup/restore procedures)$",
        r"^operation-name: what it captures$",
        r"^span\.attribute\.name: description$",
        r"^component [a-c] logs: format, destination$",
        r"^field_name: purpose$",
        r"^component [a-c] deep dive: detailed metrics$",
        r"^(key areas tested|component interactions tested|e2e scenarios covered)$",
        r"^(load testing approach|baseline metrics|conditions that require rollback)$",
        r"^limitation \d+: description and workaround$",
        r"^enhancement \d+: (planned for phase x\+1|under investigation)$",
        r"^(authentication/authorization changes|network policies added)$",
        r"^(secrets management approach|standards met \(if applicable\)|audit logging additions)$",
        r"^(how traces flow through new components|where trace context is propagated)$",
        r"^(what metrics are added in this phase|how they integrate with existing dashboards)$",
    )
)
_EXAMPLE_FIELDS = {
    "purpose": "what problem does this solve?",
    "technology": "technology stack used",
    "rollback time": "estimated duration",
}
# Example rows by their first cell: these names are the template's own inventions.
_EXAMPLE_ROW_KEYS = frozenset(
    {"component_requests_total", "component_duration_seconds", "env_var_1", "env_var_2"}
)
# Example rows that could be real (config.yml), recognised only when left whole.
_EXAMPLE_ROWS = frozenset(
    {
        ("config.yml", "/etc/app/", "main configuration"),
        ("secrets.env", "vault (planned)", "sensitive data"),
        ("component b", "added feature x", "to support use case y"),
        ("component a", "added feature x", "to support use case y"),
    }
)
# Code blocks by their ASCII words (mojibake arrows and layout do not matter).
_EXAMPLE_CODE = {
    "Key configuration snippet component setting value": "configuration snippet",
    (
        "graph TB subgraph Phase X Architecture A Component A B Component B C Component C end "
        "A B B C style A fill 90EE90 style B fill 87CEEB style C fill FFB6C1"
    ): "architecture diagram",
    (
        "Client Load Balancer Service A Service B Database "
        "Metrics Traces Logs Prometheus Tempo Loki"
    ): "request flow diagram",
}
_EXAMPLE_LINK = re.compile(r"^https?://(?:www\.)?example\.com/?$", re.IGNORECASE)
_EXAMPLE_LINKS = frozenset(
    {
        ("design decisions", "design-decisions.md"),
        ("implementation guide", "implementation-guide.md"),
        ("troubleshooting", "troubleshooting/"),
    }
)


def _is_example_item(text: str) -> bool:
    key = normalise_key(text)
    return any(pattern.match(key) for pattern in _EXAMPLE_ITEMS)


def _split_value(text: str) -> tuple[str, str]:
    """``Coverage target: X%`` -> ``("Coverage target", "X%")``; ``("", text)`` without a label."""
    head, sep, tail = text.partition(":")
    if not sep or len(head) > 60 or not tail.strip():
        return "", text
    return head.strip(), tail.strip()


def _lint_placeholders(
    doc: PhaseDocument, out: _Findings, files: frozenset[str] | None = None
) -> None:
    for section, kinds in _walk_kinds(doc.sections):
        title_value = section.title.partition(":")[2].strip()
        found = _placeholder(section.title) if "Phase X" in section.title else None
        found = found or (_placeholder(title_value) if title_value else None)
        if found:
            out.add(
                "placeholder",
                section.line,
                f"Heading {_quote(section.title)} still holds the template placeholder "
                f"{_quote(found)}; replace it with the real name or number.",
            )
        for item in section.fields:
            _lint_field(item, out)
        for paragraph in section.paragraphs:
            if (found := _placeholder(paragraph)) is not None:
                out.add(
                    "placeholder",
                    section.line,
                    f"Section {_quote(section.title)} still holds the template placeholder "
                    f"{_quote(found)}; write the text it stands for, or delete it.",
                )
        for block in section.lists:
            for entry in _items(block.items):
                _lint_item(entry, "success_criteria" in kinds, out)
        for table in section.tables:
            _lint_example_table(table, out)
        for code in section.code:
            _lint_example_code(code, section, out)
        for link in section.links:
            example = (normalise_key(link.text), link.target.strip().casefold())
            # The template's own example link is one only while its target does not exist.
            own = example in _EXAMPLE_LINKS and (
                files is None or _link_target(out.path, link.target, files) is False
            )
            if _EXAMPLE_LINK.match(link.target) or own:
                out.add(
                    "template-example",
                    link.line,
                    f"Link {_quote(link.text or link.target)} is the template's example "
                    f"({link.target}); link this project's own page, or remove it.",
                )


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _link_target(path: str, target: str, files: frozenset[str]) -> bool | None:
    """Whether a relative link's target exists in ``files``; None for what is no file link
    (a URL, ``mailto:``, an anchor, a root-relative site path)."""
    target = target.strip().split("#", 1)[0].split("?", 1)[0]
    if not target or _SCHEME.match(target) or target.startswith(("/", "<")):
        return None
    parts: list[str] = path.split("/")[:-1]
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None  # above the repository: not ours to judge
            parts.pop()
        else:
            parts.append(part)
    resolved = "/".join(parts)
    if not resolved:
        return True
    return resolved in files or any(name.startswith(resolved + "/") for name in files)


def _lint_links(doc: PhaseDocument, files: frozenset[str], out: _Findings) -> None:
    for section in _walk(doc.sections):
        for link in section.links:
            example = (normalise_key(link.text), link.target.strip().casefold())
            if example in _EXAMPLE_LINKS:
                continue  # the template's own example: ``template-example`` says so
            if _link_target(out.path, link.target, files) is False:
                out.add(
                    "link-broken",
                    link.line,
                    f"Link {_quote(link.text or link.target)} points at {link.target}, which "
                    "the repository does not have; correct the path, or remove the link.",
                )


def _lint_field(item: Field, out: _Findings) -> None:
    label = item.label
    if "Phase X" in label and (found := _placeholder(label)):
        out.add(
            "placeholder",
            item.line,
            f"Label {_quote(label)} still holds the template placeholder {_quote(found)}; "
            "write the real phase number.",
        )
        return
    if not item.value:
        return
    if label.casefold() == "status" and _TEMPLATE_STATUS.search(item.value):
        out.add(
            "placeholder",
            item.line,
            "Status still lists the template's alternatives "
            f"({_quote(item.value)}); keep the one that applies.",
        )
        return
    if (found := _placeholder(item.value, dates=True)) is not None:
        out.add(
            "placeholder",
            item.line,
            f"Field '{label}' still holds the template placeholder {_quote(found)}; "
            "fill in the real value, or remove the line.",
        )
        return
    example = _EXAMPLE_FIELDS.get(label.casefold())
    if example is not None and normalise_key(item.value) == normalise_key(example):
        out.add(
            "template-example",
            item.line,
            f"Field '{label}' still holds the template's example {_quote(item.value)}; "
            "describe this phase's own.",
        )


def _lint_item(item: ListItem, in_criteria: bool, out: _Findings) -> None:
    if not item.text:
        return
    label, value = _split_value(item.text)
    found = _placeholder(value) if label else None
    if found is None and "Phase X" in item.text:
        found = _placeholder(item.text)
    if found is None and not label and _PLACEHOLDER_WHOLE[0].match(item.text):
        found = item.text
    if found is not None:
        out.add(
            "placeholder",
            item.line,
            f"Bullet {_quote(item.text)} still holds the template placeholder {_quote(found)}; "
            "fill in the real value, or remove the bullet.",
        )
        return
    # The template's success criteria are good criteria; keeping them is no mistake.
    if not in_criteria and _is_example_item(item.text):
        out.add(
            "template-example",
            item.line,
            f"Bullet {_quote(item.text)} is the template's example, left as it was; "
            "replace it with this phase's own, or remove it.",
        )


def _lint_example_table(table: Table, out: _Findings) -> None:
    for row in table.rows:
        cells = tuple(normalise_key(cell) for cell in row.cells)
        if row.key in _EXAMPLE_ROW_KEYS or cells in _EXAMPLE_ROWS:
            out.add(
                "template-example",
                row.line,
                f"Table row {_quote(row.cells[0])} is the template's example row; "
                "replace it with a real entry, or remove it.",
            )
            continue
        for index, cell in enumerate(row.cells):
            # Whole cells only: a cell may well document a format such as YYYY-MM-DD.
            text = plain(cell)
            if text == _VALUE_CELL and (index == 0 or _table_kind(table) != "env"):
                continue
            if text in _PLACEHOLDER_CELLS or _PLACEHOLDER_WHOLE[0].match(text):
                found = text
                out.add(
                    "placeholder",
                    row.line,
                    f"Table row {_quote(row.cells[0] or '(empty)')} still holds the template "
                    f"placeholder {_quote(found)}; fill in the real value.",
                )
                break


def _lint_example_code(code: CodeBlock, section: Section, out: _Findings) -> None:
    words = " ".join(re.findall(r"[A-Za-z0-9]+", code.text))
    what = _EXAMPLE_CODE.get(words)
    if what is not None:
        out.add(
            "template-example",
            code.line,
            f"The code block in {_quote(section.title)} is the template's example {what}; "
            "replace it with this phase's own.",
        )


# ---------------------------------------------------------------------------
# Lint: required sections
# ---------------------------------------------------------------------------

_SECTION_NAMES = {
    "overview": "Overview",
    "whats_new": "What's New in This Phase",
    "diagram": "Architecture Diagram",
    "components": "Component Details",
    "integration": "Integration with Previous Phases",
    "data_flow": "Data Flow",
    "security": "Security Considerations",
    "deployment": "Deployment Architecture",
    "metrics": "Metrics Added",
    "traces": "Traces Added",
    "logs": "Logs Added",
    "dashboards": "Dashboards",
    "env": "Environment Variables",
    "config_files": "Configuration Files",
    "testing": "Testing Strategy",
    "rollback": "Rollback Plan",
    "limitations": "Known Issues & Limitations",
    "success_criteria": "Success Criteria",
    "references": "References",
    "document": "Document Version / Last Updated",
}
# A section id is present when a heading of one of these kinds exists, or the typed
# layer found its content somewhere (a metrics table under "Monitoring").
_SECTION_KINDS = {
    "components": ("components", "component"),
    "metrics": ("metrics",),
}


def _present(doc: PhaseDocument, section_id: str, kinds: set[str]) -> bool:
    if any(kind in kinds for kind in _SECTION_KINDS.get(section_id, (section_id,))):
        return True
    typed: dict[str, Callable[[], bool]] = {
        "diagram": lambda: bool(doc.diagram.kind),
        "components": lambda: bool(doc.components),
        "metrics": lambda: bool(doc.metrics),
        "traces": lambda: bool(doc.traces.spans or doc.traces.attributes),
        "logs": lambda: bool(doc.logs.streams or doc.logs.fields),
        "dashboards": lambda: bool(doc.dashboards),
        "env": lambda: bool(doc.env),
        "config_files": lambda: bool(doc.config_files),
        "document": lambda: bool(doc.footer.version or doc.footer.last_updated),
    }
    check = typed.get(section_id)
    return check is not None and check()


def follows_template(doc: PhaseDocument, config: Config) -> bool:
    """Whether the template's conformance rules (required sections) apply to ``doc``.

    They do when the project names its template (``template`` in
    ``[tool.phasediff]``), or when the document has most of the template's core
    sections, by their template titles (``_CORE_TITLES``).  A document with a
    house layout of its own is held only to what holds for any document.
    """
    if config.template is not None:
        return True
    titles = {_bare_title(section.title) for section in _walk(doc.sections)}
    present = sum(1 for names in _CORE_TITLES.values() if titles & names)
    return present * 2 > len(_CORE_TITLES)


# The titles the template gives its core sections (and their plain short forms): a
# heading that merely contains one of the words ("Component Overview") is no sign.
_CORE_TITLES = {
    "overview": frozenset({"overview"}),
    "whats_new": frozenset({"what's new in this phase", "what's new", "whats new"}),
    "diagram": frozenset({"architecture diagram", "diagram"}),
    "components": frozenset({"component details", "components"}),
    "deployment": frozenset({"deployment architecture", "deployment"}),
    "rollback": frozenset({"rollback plan", "rollback"}),
    "success_criteria": frozenset({"success criteria"}),
}
_TITLE_NUMBER = re.compile(r"^\s*(?:\d+(?:\.\d+)*[.)]?|[ivx]+\.)\s+", re.IGNORECASE)


def _bare_title(title: str) -> str:
    """A heading as the template would write it: no numbering, emphasis, emoji or case."""
    text = _TITLE_NUMBER.sub("", plain(title)).replace("\u2019", "'")
    return re.sub(r"\s+", " ", re.sub(r"[^\w' ]+", " ", text)).strip().casefold()


def _declares(doc: PhaseDocument) -> bool:
    """Whether ``doc`` says anything about its drift for the declaration rules to hold."""
    integration, whats_new = doc.integration, doc.whats_new
    return bool(
        integration.retained
        or integration.modified
        or whats_new.items
        or whats_new.deprecated
        or any(node.legend is not None for node in doc.diagram.nodes)
    )


def _lint_sections(doc: PhaseDocument, required: Sequence[str], out: _Findings) -> None:
    kinds = {kind for _, found in _walk_kinds(doc.sections) for kind in found}
    for section_id in required:
        if not _present(doc, section_id, kinds):
            name = _SECTION_NAMES.get(section_id, section_id)
            out.add(
                "section-missing",
                0,
                f"Required section {_quote(name)} ({section_id}) is missing; add it from the "
                "template, or drop it from required_sections in [tool.phasediff].",
            )


# ---------------------------------------------------------------------------
# Lint: tables, YAML, diagrams
# ---------------------------------------------------------------------------

# Where the typed layer reads each kind of table: (table kind, section kinds, rule, noun).
_KEYED_TABLES = (
    ("metrics", frozenset({"metrics", "observability"}), "duplicate-metric", "Metric"),
    ("env", frozenset({"env", "configuration"}), "duplicate-env", "Environment variable"),
    (
        "config_files",
        frozenset({"config_files", "configuration"}),
        "duplicate-config-file",
        "Configuration file",
    ),
)


def _lint_duplicates(doc: PhaseDocument, out: _Findings) -> None:
    for table_kind, scope, rule, noun in _KEYED_TABLES:
        rows = [
            row
            for section, kinds in _walk_kinds(doc.sections)
            if kinds & scope
            for table in section.tables
            if _table_kind(table) == table_kind
            for row in table.rows
            if row.key
        ]
        _report_duplicates(
            ((row.key, row.cells[0], row.line) for row in rows), rule, noun, "row", out
        )
    components: list[tuple[str, str, int]] = []
    for section, kinds in _walk_kinds(doc.sections):
        if classify_title(section.title) == "component":
            name = _component_name(section.title)
            components.append((_component_key(name), name, section.line))
        if "components" in kinds:
            for table in section.tables:
                if _table_kind(table) == "components":
                    components.extend(
                        (_component_key(row.cells[0]), row.cells[0], row.line)
                        for row in table.rows
                        if row.key
                    )
    _report_duplicates(components, "duplicate-component", "Component", "section", out)


def _report_duplicates(
    entries: Iterable[tuple[str, str, int]], rule: str, noun: str, what: str, out: _Findings
) -> None:
    first: dict[str, int] = {}
    for key, name, line in sorted(entries, key=lambda entry: entry[2]):
        if not key or is_placeholder(name):
            continue
        if key not in first:
            first[key] = line
            continue
        out.add(
            rule,
            line,
            f"{noun} {_quote(name)} is listed again (first on line {first[key]}); phasediff "
            f"reads only the first, so merge the two into one {what}.",
        )


def _lint_tables(doc: PhaseDocument, out: _Findings) -> None:
    for section in _walk(doc.sections):
        for table in section.tables:
            width = len(table.header)
            for row in sorted(table.rows, key=lambda r: r.line):
                _lint_row_width(table, row, width, out)
            if _table_kind(table) == "env":
                _lint_required_column(table, out)


def _lint_row_width(table: Table, row: Row, width: int, out: _Findings) -> None:
    written = row.written_cells
    if not written or written == width:
        return
    name = _quote(row.cells[0]) if row.cells and row.cells[0] else "(empty first cell)"
    header = " | ".join(table.header)
    if written < width:
        fix = "add the missing cells (an empty cell is `| |`)"
    else:
        fix = "remove the extra cells or escape a literal pipe as `\\|`; extra cells are dropped"
    out.add(
        "table-row-cells",
        row.line,
        f"Table row {name} has {written} cells but its header ({header}) has {width}; {fix}.",
    )


def _lint_required_column(table: Table, out: _Findings) -> None:
    column = next(
        (
            index
            for index, title in enumerate(table.header)
            if normalise_key(title).startswith(("required", "mandatory", "必須"))
        ),
        None,
    )
    if column is None:
        return
    for row in sorted(table.rows, key=lambda r: r.line):
        value = row.cells[column] if column < len(row.cells) else ""
        if row.key and parse_required(value) is None:
            out.add(
                "required-not-yes-no",
                row.line,
                f"Environment variable {_quote(row.cells[0])} has Required "
                f"{_quote(value or '(empty)')}; write Yes or No.",
            )


def _lint_yaml(doc: PhaseDocument, out: _Findings) -> None:
    for diagnostic in doc.diagnostics:
        if diagnostic.code != "yaml-invalid":
            continue
        problem = diagnostic.message.partition(": ")[2] or diagnostic.message
        owner = next(
            (c for c in doc.components if c.line <= diagnostic.line <= max(c.end_line, c.line)),
            None,
        )
        where = f"configuration of component {_quote(owner.name)}" if owner else "block"
        out.add(
            "yaml-invalid",
            diagnostic.line,
            f"YAML {where} does not parse ({problem}); fix the indentation or quoting at or "
            "just before this line (until then phasediff compares the block as plain text).",
        )


_SUBGRAPH_ID = re.compile(r"^\s*subgraph\s+([A-Za-z_][\w-]*)")


def _lint_diagrams(doc: PhaseDocument, out: _Findings) -> None:
    for section in _walk(doc.sections):
        for block in section.code:
            if block.info == "mermaid":
                _lint_mermaid(block, out)


def _lint_mermaid(block: CodeBlock, out: _Findings) -> None:
    lines = block.text.split("\n")
    head = next((line.strip() for line in lines if line.strip()), "")
    if not head.startswith(("graph", "flowchart")):
        return  # sequence, class and other diagrams have their own syntax
    known = {node.id for node in parse_mermaid(block.text, block.line).nodes}
    known |= {match.group(1) for line in lines if (match := _SUBGRAPH_ID.match(line))}
    for offset, raw in enumerate(lines):
        line = raw.split("%%")[0]
        words = line.split()
        if len(words) < 3 or words[0] not in ("style", "class"):
            continue
        ids = words[1:2] if words[0] == "style" else " ".join(words[1:-1]).split(",")
        for node_id in (part.strip() for part in ids):
            if node_id and node_id not in known:
                close = difflib.get_close_matches(node_id, sorted(known), n=1)
                fix = f"use {close[0]}" if close else "fix the id"
                out.add(
                    "diagram-unknown-node",
                    block.line + 1 + offset,
                    f"Diagram {words[0]} line names node {_quote(node_id)}, which the graph "
                    f"does not have; {fix} or remove the line.",
                )


# ---------------------------------------------------------------------------
# Lint: status and dates
# ---------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _lint_status(doc: PhaseDocument, path_phase: str | None, out: _Findings) -> None:
    overview = doc.overview
    status_line = (_first_field(doc, "status") or Field("", "", overview.line)).line
    if overview.status is Status.COMPLETE:
        for item in doc.success_criteria.items:
            if item.done is False:
                out.add(
                    "complete-unchecked-criteria",
                    item.line,
                    f"Success criterion {_quote(item.text)} is unchecked but the status is "
                    "Complete; tick it ([x]) if it was met, or set the status back to "
                    "In Progress.",
                )
        if overview.completed is None:
            out.add(
                "complete-without-date",
                status_line,
                "Status is Complete but no completion date is given; add "
                "**Completed:** YYYY-MM-DD with the real date.",
            )
    started, completed = overview.started, overview.completed
    if (
        started
        and completed
        and _ISO_DATE.match(started)
        and _ISO_DATE.match(completed)
        and completed < started
    ):
        line = (_first_field(doc, "completed", "completion date") or Field("", "", 0)).line
        out.add(
            "dates-out-of-order",
            line or status_line,
            f"Completed {completed} is before Started {started}; correct one of the dates.",
        )
    if (
        overview.phase is not None
        and path_phase is not None
        and phase_key(overview.phase) != phase_key(path_phase)
    ):
        phase_field = _first_field(doc, "phase")
        line = phase_field.line if phase_field and phase_field.label.casefold() == "phase" else 1
        out.add(
            "phase-mismatch",
            line,
            f"The overview says phase {overview.phase} but the path names phase {path_phase}; "
            "correct **Phase:**, or move the document to its phase's directory.",
        )


def lint_document(
    doc: PhaseDocument,
    path: str,
    phase_from_path: str | None = None,
    config: Config | None = None,
    *,
    levels: Levels | None = None,
    files: frozenset[str] | None = None,
) -> list[Finding]:
    """The findings of the one-document rules for ``doc`` (read from ``path``).

    ``files`` (the repository's files) lets relative links be checked.
    """
    config = config or Config()
    out = _Findings(path, levels if levels is not None else resolve_levels(config))
    _lint_placeholders(doc, out, files)
    if follows_template(doc, config):
        _lint_sections(doc, config.required_sections, out)
    if files is not None:
        _lint_links(doc, files, out)
    _lint_duplicates(doc, out)
    _lint_tables(doc, out)
    _lint_yaml(doc, out)
    _lint_diagrams(doc, out)
    _lint_status(doc, phase_from_path, out)
    return out.sorted()


# ---------------------------------------------------------------------------
# Declared against actual, phase N-1 -> phase N
# ---------------------------------------------------------------------------

_UNCHANGED_NOTE = re.compile(r"\bunchanged\b|\bno changes?\b|\bas[- ]is\b|\bsame\b", re.I)
# Rules of ``diff_phases`` that say a component's documented fields changed.
_FIELD_RULES = frozenset(
    {
        "component-renamed",
        "component-technology-changed",
        "component-purpose-changed",
        "component-config-changed",
        "component-config-added",
        "component-config-removed",
        "component-integration-changed",
        "component-operations-changed",
        "component-field-changed",
    }
)
_STYLE_LINE = re.compile(r"^\s*style\s+([\w-]+)\s")
_COMPONENT_ATTRIBUTES = frozenset(
    {
        "purpose",
        "technology",
        "configuration",
        "connects_to",
        "exposes",
        "depends_on",
        "operational",
    }
)


@dataclass
class _Actual:
    """What really happened to components from phase N-1 to phase N (keys of phase N)."""

    changed: dict[str, list[Change]] = field(default_factory=dict)
    renamed_from: dict[str, str] = field(default_factory=dict)  # new key -> old name
    added: dict[str, Component] = field(default_factory=dict)
    removed_undeclared: list[Component] = field(default_factory=list)


def _documented(component: Component, change: Change) -> bool:
    """Whether phase N's document writes down the field ``change`` is about.

    A field phase N leaves out entirely (no Configuration block in a summary
    table) is not repeated, not changed.
    """
    name = (change.field or "").split(".", 1)[0]
    if change.kind is Kind.RENAMED or not name:
        return True
    if name in _COMPONENT_ATTRIBUTES:
        value = getattr(component, name)
    else:
        value = dict(component.extra).get(name)
    return value not in (None, "", (), [], {})


def _actual_changes(previous: Effective, current: Effective, renames: Mapping[str, str]) -> _Actual:
    comparison = diff_phases(
        previous,
        current,
        Side(previous.phase, None, None),
        Side(current.phase, None, None),
        DiffOptions(renames=dict(renames)),
    )
    by_name = {component.name: component for component in current.components.values()}
    before_by_name = {component.name: component for component in previous.components.values()}
    actual = _Actual()
    for change in comparison.changes:
        if change.section != "components":
            continue
        if change.rule == "component-added":
            if change.key in by_name:
                actual.added[by_name[change.key].key] = by_name[change.key]
        elif change.rule == "component-removed-undeclared":
            if change.key in before_by_name:
                actual.removed_undeclared.append(before_by_name[change.key])
        elif change.rule in _FIELD_RULES and change.key in by_name:
            component = by_name[change.key]
            if not _documented(component, change):
                continue
            actual.changed.setdefault(component.key, []).append(change)
            if change.kind is Kind.RENAMED:
                actual.renamed_from[component.key] = str(change.old)
    return actual


# Configuration and technology first: they are what a reader means by "changed".
_FIELD_ORDER = ("name", "configuration", "technology", "exposes", "connects_to", "depends_on")


_KIND_ORDER = (Kind.RENAMED, Kind.CHANGED, Kind.REMOVED, Kind.ADDED)


def _change_rank(change: Change) -> tuple[int, int, str]:
    """A changed value says more than an added key; configuration says more than prose."""
    head = (change.field or "").split(".", 1)[0]
    rank = _FIELD_ORDER.index(head) if head in _FIELD_ORDER else len(_FIELD_ORDER)
    return rank, _KIND_ORDER.index(change.kind), change.field or ""


def _what_changed(changes: Sequence[Change]) -> str:
    """``its configuration.x changed (168h -> 336h)`` and how many more changes there are."""
    first = min(changes, key=_change_rank)
    if first.kind is Kind.RENAMED:
        text = f"it was renamed from {_quote(str(first.old))}"
    elif first.kind is Kind.ADDED:
        text = f"its {first.field} gained {_quote(_show(first.new))}"
    elif first.kind is Kind.REMOVED:
        text = f"its {first.field} lost {_quote(_show(first.old))}"
    else:
        text = f"its {first.field} changed ({_show(first.old)} -> {_show(first.new)})"
    more = len(changes) - 1
    if more:
        text += f", and {more} more change{'s' if more > 1 else ''}"
    return text


def _named_in(text: str, components: Iterable[Component]) -> list[Component]:
    """The components ``text`` names as whole words, the longest name winning.

    ``Grafana Alloy (unchanged)`` names Grafana Alloy, not Grafana as well; ``Tempo and
    the OpenTelemetry Collector`` names both.
    """
    named = [c for c in components if mentions(text, c)]
    return [
        c
        for c in named
        if not any(len(other.key) > len(c.key) and mentions(other.name, c) for other in named)
    ]


def _resolve(key: str, name: str, components: Mapping[str, Component]) -> list[Component]:
    """What a Retained item or Modified row names: its key exactly, else by its words."""
    if key in components:
        return [components[key]]
    return _named_in(name, components.values())


def _style_lines(doc: PhaseDocument) -> dict[str, int]:
    """Node id -> the document line of its ``style`` line in the architecture diagram."""
    found: dict[str, int] = {}
    for offset, line in enumerate(doc.diagram.text.split("\n")):
        if match := _STYLE_LINE.match(line):
            found.setdefault(match.group(1), doc.diagram.line + 1 + offset)
    return found


def _in_modified(
    component: Component,
    rows: Sequence[Modification],
    components: Mapping[str, Component],
    alias: str = "",
) -> bool:
    """Whether a Modified row names ``component`` (or ``alias``, its name before a rename)."""
    alias_key = normalise_key(alias) if alias else None
    return any(
        row.key == alias_key
        or any(c.key == component.key for c in _resolve(row.key, row.component, components))
        for row in rows
    )


def _declared_new(component: Component, doc: PhaseDocument, everything: list[Component]) -> bool:
    """Whether a What's New item names ``component`` (``**Tempo:** …`` or plain prose)."""
    for item in doc.whats_new.items:
        label, colon, _ = item.text.partition(":")
        named = _named_in(label, everything) if colon else []
        named = named or _named_in(item.text, everything)
        if any(c.key == component.key for c in named):
            return True
    return False


def check_declarations(
    previous: Effective | PhaseDocument,
    current: Effective | PhaseDocument,
    path: str,
    config: Config | None = None,
    *,
    previous_phase: str = "N-1",
    phase: str = "N",
    levels: Levels | None = None,
) -> list[Finding]:
    """Phase N's claims about its drift, held against the actual change from phase N-1.

    ``previous`` is phase N-1's effective architecture (or its document alone,
    when it is the first phase); ``current`` phase N's, or its document, which
    is then folded onto ``previous``.  Findings point into ``path``, phase N's
    document.
    """
    config = config or Config()
    out = _Findings(path, levels if levels is not None else resolve_levels(config))
    before = (
        previous
        if isinstance(previous, Effective)
        else next_effective(None, previous_phase, previous)
    )
    renames = dict(config.renames)
    after = (
        current
        if isinstance(current, Effective)
        else next_effective(before, phase, current, renames)
    )
    previous_phase, phase = before.phase, after.phase
    doc = after.document
    actual = _actual_changes(before, after, renames)
    rows = doc.integration.modified
    table = f'"Modified from Phase {previous_phase}"'
    styles = _style_lines(doc)

    # Claims of "unchanged": the Retained list and unchanged-coloured diagram nodes.
    claims: dict[str, tuple[int, str]] = {}
    for item in doc.integration.retained:
        if item.note and not _UNCHANGED_NOTE.search(item.note):
            continue  # "(modified - see below)" and other notes claim no stillness
        for component in _resolve(item.key, item.name, after.components):
            if not _in_modified(component, rows, after.components):
                claims.setdefault(component.key, (item.line, "listed as retained (unchanged)"))
    for node in doc.diagram.nodes:
        if node.legend is Legend.UNCHANGED:
            for component in _named_in(node.label, after.components.values()):
                line = styles.get(node.id, node.line)
                claims.setdefault(component.key, (line, "drawn as unchanged in the diagram"))

    for key, changes in sorted(actual.changed.items()):
        component = after.components[key]
        what = _what_changed(changes)
        if key in claims:
            line, claim = claims[key]
            out.add(
                "unchanged-but-changed",
                line,
                f"Component {_quote(component.name)} is {claim} but {what}; move it to "
                f"{table} or revert the change.",
            )
        elif not _in_modified(component, rows, after.components, actual.renamed_from.get(key, "")):
            out.add(
                "modified-undeclared",
                component.line,
                f"Component {_quote(component.name)} is not in {table} but {what} since "
                f"phase {previous_phase}; add a row for it (Component | Change | Reason).",
            )

    documented = {component.key for component in doc.components}
    for row in rows:
        for named in _resolve(row.key, row.component, after.components):
            # Only a component phase N documents again can be seen not to have changed.
            if (
                named.key in documented
                and named.key in before.components
                and named.key not in actual.changed
            ):
                out.add(
                    "modified-not-changed",
                    row.line,
                    f"Component {_quote(named.name)} is in {table} but its documented fields "
                    f"are the same as in phase {previous_phase}; document the change in its "
                    "section, or remove the row.",
                )

    everything = list(after.components.values())
    for component in sorted(actual.added.values(), key=lambda c: c.key):
        if not _declared_new(component, doc, everything):
            out.add(
                "new-undeclared",
                component.line,
                f"Component {_quote(component.name)} is new in phase {phase} but not in "
                f"What's New; add `- [ ] **{component.name}:** what it adds`.",
            )

    _check_new_nodes(doc, before, after, styles, previous_phase, out)

    retained_line = min((item.line for item in doc.integration.retained), default=0)
    for component in actual.removed_undeclared:
        if _in_modified(component, rows, before.components):
            continue  # a Modified row says the component is still there
        out.add(
            "removed-undeclared",
            retained_line or doc.integration.line,
            f"Component {_quote(component.name)} of phase {previous_phase} is not retained, "
            f'deprecated or replaced in phase {phase}; add it to "Retained from Phase '
            f'{previous_phase}", or declare `**Deprecated:** {component.name}: replaced by …` '
            "in What's New.",
        )
    return out.sorted()


def _check_new_nodes(
    doc: PhaseDocument,
    before: Effective,
    after: Effective,
    styles: Mapping[str, int],
    previous_phase: str,
    out: _Findings,
) -> None:
    """Nodes coloured new that name a component, or a node label, phase N-1 already had."""
    old_labels = {
        normalise_key(node.label)
        for node in before.document.diagram.nodes
        if node.legend is not Legend.DEPRECATED
    }
    candidates = {**before.components, **after.components}.values()
    for node in doc.diagram.nodes:
        if node.legend is not Legend.NEW:
            continue
        existed = [c for c in _named_in(node.label, candidates) if c.key in before.components]
        if not existed and normalise_key(node.label) not in old_labels:
            continue
        name = existed[0].name if existed else node.label
        out.add(
            "diagram-new-existed",
            styles.get(node.id, node.line),
            f"Diagram node {_quote(node.label)} ({node.id}) is coloured as new, but "
            f"{_quote(name)} already exists in phase {previous_phase}; colour it as "
            "modified (blue) or unchanged (yellow).",
        )


# ---------------------------------------------------------------------------
# Every phase
# ---------------------------------------------------------------------------


def is_template_path(path: str) -> bool:
    """The template itself is never a phase document, whatever the globs say."""
    return "template" in path.rsplit("/", 1)[-1].casefold()


def previous_phase_of(document: CheckedDocument, earlier: Sequence[CheckedDocument]) -> str | None:
    """Which phase ``document`` builds on: the one it names, else N-1, else the one before it.

    ``earlier`` are the documents before it in phase order.  None for a first
    phase that names no predecessor.
    """
    declared = document.document.integration.previous_phase
    if declared and phase_key(declared) != phase_key(document.phase):
        return declared
    if document.phase.isdigit():
        number = int(document.phase)
        return str(number - 1) if number > 1 else None
    return earlier[-1].phase if earlier else None


def _note_sort_key(note: Note, order: Mapping[str, int]) -> tuple[int, str]:
    return order.get(note.path, len(order)), note.message


def check_phases(
    documents: Sequence[CheckedDocument],
    config: Config | None = None,
    *,
    selected: Collection[str] | None = None,
) -> CheckReport:
    """Check the phase documents of one revision, given in phase order.

    Every document is read (phase N-1 is needed to check phase N); findings
    are reported for the ``selected`` phase ids only (all when None).
    """
    config = config or Config()
    levels = resolve_levels(config)
    documents = [doc for doc in documents if not is_template_path(doc.path)]
    wanted = None if selected is None else {phase_key(phase) for phase in selected}
    findings: list[Finding] = []
    notes: list[Note] = []
    chain: list[Effective] = []
    reported: list[CheckedDocument] = []
    for index, checked in enumerate(documents):
        before_state = chain[-1] if chain else None
        chain.append(
            next_effective(before_state, checked.phase, checked.document, dict(config.renames))
        )
        if wanted is not None and phase_key(checked.phase) not in wanted:
            continue
        reported.append(checked)
        findings.extend(
            lint_document(
                checked.document,
                checked.path,
                checked.path_phase,
                config,
                levels=levels,
                files=checked.files,
            )
        )
        if not follows_template(checked.document, config) and not _declares(checked.document):
            continue  # a house layout that declares nothing: no claim to hold against the drift
        previous = previous_phase_of(checked, documents[:index])
        if previous is None:
            continue
        found = [
            position
            for position, other in enumerate(documents[:index])
            if phase_key(other.phase) == phase_key(previous)
        ]
        if not found:
            notes.append(
                Note(
                    checked.path,
                    f"phase {previous} has no document, so phase {checked.phase}'s Retained, "
                    "Modified, What's New and diagram claims were not checked.",
                )
            )
            continue
        findings.extend(
            check_declarations(
                chain[found[-1]],
                checked.document,
                checked.path,
                config,
                phase=checked.phase,
                levels=levels,
            )
        )
    order = {doc.path: position for position, doc in enumerate(reported)}
    findings.sort(key=lambda f: (order.get(f.path, len(order)), f.line, f.rule, f.message))
    notes.sort(key=lambda note: _note_sort_key(note, order))
    return CheckReport(documents=tuple(reported), findings=tuple(findings), notes=tuple(notes))
