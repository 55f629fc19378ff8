"""One human sentence per change, shared by every renderer.

The terminal, the changelog, the CI annotation and the PR comment all say the
same thing about a change, so the wording lives here once.  Rules the table
knows get their own phrasing (``RTO relaxed: 1h -> 4h``); any other rule —
a newer diff engine, a plugin — still gets a sentence from its kind, section,
key and field, so an unknown rule never renders as nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from phasediff.changes import Change, Kind
from phasediff.render.common import jsonable
from phasediff.text import collapse, contrast, elide_middle, format_duration

VALUE_LIMIT = 80
"""Characters of a value or key shown before eliding with ``…``: one terminal line per change."""

NOTE_LIMIT = 120

# Singular nouns naming an entity of each section.  Sections absent here (a
# newer diff engine) fall back to the section name itself.
_NOUNS = {
    "overview": "Overview",
    "whats_new": "What's new item",
    "diagram": "Diagram",
    "components": "Component",
    "integration": "Integration",
    "data_flow": "Data flow",
    "security": "Security",
    "deployment": "Deployment",
    "metrics": "Metric",
    "traces": "Trace",
    "logs": "Log",
    "dashboards": "Dashboard",
    "env": "Env var",
    "config_files": "Config file",
    "testing": "Testing",
    "rollback": "Rollback",
    "limitations": "Limitation",
    "success_criteria": "Success criterion",
    "references": "Reference",
    "document": "Document",
}

# Rule-id prefixes whose entity is not the section's usual one.
_RULE_NOUNS = (
    ("diagram-node-", "Diagram node"),
    ("diagram-edge-", "Diagram edge"),
    ("port-", "Port"),
    ("span-", "Span"),
    ("log-", "Log"),
    ("retained-", "Retained component"),
    ("modification-", "Modification"),
    ("migration-", "Migration step"),
    ("prose-item-", "Item"),
    ("section-", "Section"),
    ("generic-", "Section"),
    ("rollback-trigger-", "Rollback trigger"),
    ("rollback-steps-", "Rollback step"),
    ("key-difference-", "Key difference"),
)

# Sections whose keys are item texts, not names: "Limitation added: <text>"
# reads better than "Limitation <text> added".
_ITEM_SECTIONS = frozenset(
    {
        "whats_new",
        "integration",
        "data_flow",
        "security",
        "testing",
        "rollback",
        "limitations",
        "success_criteria",
        "references",
    }
)

# Single-valued facts, keyed by the fact name the diff engine uses as ``key``.
_FACTS = {
    "status": "Status",
    "name": "Phase name",
    "phase": "Phase",
    "started": "Started",
    "completed": "Completed",
    "summary": "Overview summary",
    "rto": "RTO",
    "rpo": "RPO",
    "version": "Document version",
    "authors": "Document authors",
    "last_updated": "Last updated",
    "updated": "Last updated",
    "coverage_target": "Coverage target",
    "coverage": "Coverage target",
    "rollback_time": "Rollback time",
    "time": "Rollback time",
    "previous_phase": "Previous phase",
    "deprecated": "Deprecated",
    "compute": "Compute",
    "network": "Network",
    "storage": "Storage",
    "redundancy": "Redundancy",
    "disaster_recovery": "Disaster recovery",
    "steps": "Rollback steps",
    "migration_steps": "Migration steps",
    "progress": "Success criteria",
}

# Model attribute names the diff engine uses as ``field``, as words.
_FIELD_LABELS = {
    "connects_to": "connects to",
    "depends_on": "depends on",
    "operational": "operational note",
    "alert_threshold": "alert threshold",
}
_FACT_SECTIONS = frozenset(
    {"overview", "deployment", "document", "testing", "rollback", "integration"}
)


def format_value(value: Any, limit: int = VALUE_LIMIT) -> str:
    """A value in one short line: text as is, durations as ``4h``, data as compact JSON."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        text = collapse(value) or '""'
    elif isinstance(value, float):
        text = str(value)
    elif isinstance(value, int):
        text = str(jsonable(value))
    elif _is_duration(value):
        text = collapse(str(value.get("text") or "")) or format_duration(int(value["seconds"]))
    else:
        text = json.dumps(jsonable(value), ensure_ascii=False, separators=(", ", ": "))
    return elide(text, limit)


def elide(text: str, limit: int = VALUE_LIMIT) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with ``…``."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def _is_duration(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("seconds"), int)
        and not isinstance(value.get("seconds"), bool)
        and set(value) <= {"seconds", "text"}
    )


def _duration(value: Any) -> str:
    """RTO/RPO-like values: seconds as ``4h``, anything else as a value."""
    if isinstance(value, int) and not isinstance(value, bool):
        return format_duration(value)
    return format_value(value)


def _progress(value: Any) -> str:
    """Progress as ``6/8``, from ``"6/8"``, ``[6, 8]`` or ``{"done": 6, "total": 8}``."""
    if isinstance(value, dict) and "done" in value and "total" in value:
        return f"{format_value(value['done'])}/{format_value(value['total'])}"
    if isinstance(value, list | tuple) and len(value) == 2:
        return f"{format_value(value[0])}/{format_value(value[1])}"
    return format_value(value)


def _key(change: Change) -> str:
    # Cut in the middle: an item's key is its text, and two long items often differ late.
    return elide_middle(collapse(change.key), VALUE_LIMIT)


def _noun(change: Change) -> str:
    for prefix, noun in _RULE_NOUNS:
        if change.rule.startswith(prefix):
            return noun
    return _NOUNS.get(change.section) or collapse(change.section)


def _fact(change: Change) -> str | None:
    """The label of a single-valued fact (``RTO``), or None when the key names an entity."""
    if change.section in _FACT_SECTIONS or change.section not in _NOUNS:
        return _FACTS.get(change.key.casefold().strip())
    return None


def _subject(change: Change) -> str:
    """What the sentence is about: ``Env var FOO``, ``RTO``, or a component's bare name."""
    fact = _fact(change)
    if fact is not None:
        return fact
    key = _key(change)
    # Components are proper names ("Loki"), and their fields are dotted paths
    # that already say what they are; the noun would only add length.
    if change.section == "components" and change.field and key:
        return key
    return f"{_noun(change)} {key}".strip()


def _arrow(old: Any, new: Any, fmt: Callable[[Any], str] = format_value) -> str:
    if isinstance(old, str) and isinstance(new, str) and fmt is format_value:
        # Both sides cut around where they differ, never to the same words.
        before, after = contrast(collapse(old) or '""', collapse(new) or '""', VALUE_LIMIT)
        return f"{before} -> {after}"
    return f"{fmt(old)} -> {fmt(new)}"


def _field(change: Change) -> str:
    field = collapse(change.field or "")
    if field.startswith("operational."):  # an operational note matched by its label
        return f"operational note {field.removeprefix('operational.')}"
    return _FIELD_LABELS.get(field, field)


def _generic(change: Change) -> str:
    """A sentence from kind, section, key and field: the fallback for every rule."""
    field = _field(change)
    subject = _subject(change)
    where = f"{subject} {field}".strip() if field else subject
    kind = change.kind
    if kind is Kind.RENAMED:
        if (
            isinstance(change.old, str)
            and isinstance(change.new, str)
            and change.old
            and change.new
        ):
            old, new = elide(collapse(change.old)), elide(collapse(change.new))
            return f"{_noun(change)} {old} renamed to {new}"
        return f"{where} renamed"
    if (
        not field
        and _fact(change) is None
        and change.section in _ITEM_SECTIONS
        and kind is not Kind.CHANGED
    ):
        sentence = f"{_noun(change)} {kind.value}: {_key(change)}"
        detail = _detail(change.new if kind is Kind.ADDED else change.old, change.key)
        return f"{sentence} — {detail}" if detail else sentence
    if kind is Kind.ADDED:
        detail = _detail(change.new, change.key)
        if field:
            return f"{where} added: {format_value(change.new)}"
        return f"{where} added" + (f": {detail}" if detail else "")
    if kind is Kind.REMOVED:
        if field or (_fact(change) is not None and change.old not in (None, "", [], {})):
            return f"{where} removed, was {format_value(change.old)}"
        return f"{where} removed"
    if change.old is None and change.new is not None:
        return f"{where} set: {format_value(change.new)}"
    return f"{where}: {_arrow(change.old, change.new)}"


# Fields that best say what an added entity is, in order of preference.
_DETAIL_FIELDS = ("technology", "type", "location", "default", "description", "purpose", "text")


def _detail(value: Any, key: str) -> str:
    """A short word on an added entity (``Grafana Tempo 2.4``), or nothing when none fits."""
    if isinstance(value, dict):
        for name in _DETAIL_FIELDS:
            item = value.get(name)
            if isinstance(item, str) and item.strip():
                return format_value(item)
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        # Compare before eliding: a long item whose value is its own key says nothing more.
        if collapse(str(value)).casefold() == collapse(key).casefold():
            return ""
        return format_value(value)
    return ""


def _done(value: Any, yes: str, no: str) -> str:
    return yes if value is True or (isinstance(value, dict) and value.get("done") is True) else no


def _port(change: Change) -> str:
    """``Port 9080/tcp closed (Promtail)``: the value names what owned the port."""
    opened = change.rule == "port-opened"
    sentence = f"Port {_key(change)} {'opened' if opened else 'closed'}"
    owner = change.new if opened else change.old
    if isinstance(owner, str) and owner.strip() and not change.note:
        sentence += f" ({format_value(owner)})"
    return sentence


def _undeclared(change: Change) -> str:
    if change.note:  # the note already says what the component was not
        return f"Component {_key(change)} disappeared"
    return f"Component {_key(change)} disappeared without being retained, deprecated or replaced"


def _diagram(change: Change) -> str:
    """Diagram values are a node's legend or an edge's label, and read as such."""
    value = change.new if change.kind is Kind.ADDED else change.old
    if change.kind not in (Kind.ADDED, Kind.REMOVED):
        return _generic(change)
    sentence = f"{_noun(change)} {_key(change)} {change.kind.value}"
    if not isinstance(value, str) or not value.strip() or collapse(value) == collapse(change.key):
        return sentence
    how = "marked" if change.rule.startswith("diagram-node-") else "labelled"
    return f"{sentence}, {how} {format_value(value)}"


def _diagram_changed(change: Change) -> str:
    """``Diagram node relabelled: A -> B``; an edge's new label; a node's new legend."""
    if change.field == "label" and change.rule.startswith("diagram-node-"):
        return f"Diagram node relabelled: {_arrow(change.old, change.new)}"
    if change.field == "label":
        return f"Diagram edge {_key(change)} relabelled: {_arrow(change.old, change.new)}"
    return _generic(change)


def _diagram_text(change: Change) -> str:
    """A diagram drawn as text: what changed in its words, or that it came or went."""
    if change.kind is Kind.ADDED:
        return "Diagram drawn as text added"
    if change.kind is Kind.REMOVED:
        return "Diagram drawn as text removed"
    return f"Diagram (drawn as text) edited: {_arrow(change.old, change.new)}"


def _prose(change: Change) -> str:
    """Prose sections: edited text, or a bullet added to or removed from them."""
    title = _NOUNS.get(change.section) or collapse(change.section)
    if change.kind is Kind.ADDED:
        return f"{title} item added: {format_value(change.new)}"
    if change.kind is Kind.REMOVED:
        return f"{title} item removed: {format_value(change.old)}"
    if change.field and change.field != "text":
        return f"{title} {_field(change)}: {_arrow(change.old, change.new)}"
    if isinstance(change.old, str) and isinstance(change.new, str):
        return f"{title} text edited: {_arrow(change.old, change.new)}"
    return f"{title} text edited"


_NAMED_NOUNS = {
    "span": "Span",
    "attribute": "Span attribute",
    "stream": "Log stream",
    "field": "Log field",
    "dashboard": "Dashboard",
}


def _named(change: Change) -> str:
    """Spans, log streams and fields, dashboards: ``field`` says which kind of item it is."""
    noun = _NAMED_NOUNS.get((change.field or "").casefold()) or _noun(change)
    where = f"{noun} {_key(change)}"
    if change.kind is Kind.ADDED:
        return f"{where} added" + (f": {format_value(change.new)}" if change.new else "")
    if change.kind is Kind.REMOVED:
        return f"{where} removed"
    return f"{where}: {_arrow(change.old, change.new)}"


def _reference(change: Change) -> str:
    added = change.kind is Kind.ADDED
    sentence = f"Reference {'added' if added else 'removed'}: {_key(change)}"
    target = change.new if added else change.old
    if isinstance(target, str) and target.strip() and collapse(target) != collapse(change.key):
        sentence += f" ({format_value(target)})"
    return sentence


_INTEGRATION_VERBS = {
    "connects_to": "connects to",
    "exposes": "exposes",
    "depends_on": "depends on",
}


def _integration(change: Change) -> str:
    """``Loki now connects to Alertmanager`` / ``no longer``."""
    verb = _INTEGRATION_VERBS.get(change.field or "")
    if verb and change.kind is Kind.ADDED:
        return f"{_key(change)} now {verb} {format_value(change.new)}"
    if verb and change.kind is Kind.REMOVED:
        return f"{_key(change)} no longer {verb} {format_value(change.old)}"
    return _generic(change)


def _summary(change: Change) -> str:
    """The overview's prose: written, dropped, or edited (with the words that differ)."""
    old, new = change.old, change.new
    if not isinstance(old, str) or not isinstance(new, str):
        return "Overview summary edited"
    if not old.strip():
        return f"Overview summary written: {format_value(new)}"
    if not new.strip():
        return f"Overview summary removed, was {format_value(old)}"
    return f"Overview summary edited: {_arrow(old, new)}"


def _generic_section(change: Change) -> str:
    """A section the template does not name: ``field`` locates the item inside it."""
    full = collapse(change.field or "").removeprefix("- ").strip()
    label = elide_middle(full, VALUE_LIMIT)
    if not label:
        return _generic(change)
    where = f"Section {_key(change)}, {label}"
    if change.old is None and change.new is not None:
        value = format_value(change.new)
        same = value in (label, full) or collapse(str(change.new)) == full
        return f"{where} added" + ("" if same else f": {value}")
    if change.new is None:
        return f"{where} removed"
    return f"{where}: {_arrow(change.old, change.new)}"


def _phase_section(change: Change) -> str:
    """``Section Queues added (2 items, 5 lines)``: a section only one phase's document has."""
    size = change.new if change.kind is Kind.ADDED else change.old
    parts = []
    if isinstance(size, dict):
        for name, word in (("items", "item"), ("lines", "line")):
            count = size.get(name)
            if isinstance(count, int) and not isinstance(count, bool):
                parts.append(f"{count} {word}" + ("" if count == 1 else "s"))
    sentence = f"Section {_key(change)} {change.kind.value}"
    return f"{sentence} ({', '.join(parts)})" if parts else sentence


_PHRASES: dict[str, Callable[[Change], str]] = {
    "status-changed": lambda c: f"Status: {_arrow(c.old, c.new)}",
    "status-regressed": lambda c: f"Status regressed: {_arrow(c.old, c.new)}",
    "summary-changed": _summary,
    "phase-renumbered": lambda c: (
        f"Phase {format_value(c.old)} document is now phase {format_value(c.new)}"
    ),
    "prose-changed": _prose,
    "component-removed-undeclared": _undeclared,
    "component-integration-changed": _integration,
    "diagram-node-added": _diagram,
    "diagram-node-removed": _diagram,
    "diagram-edge-added": _diagram,
    "diagram-edge-removed": _diagram,
    "diagram-node-changed": _diagram_changed,
    "diagram-edge-changed": _diagram_changed,
    "diagram-text-changed": _diagram_text,
    "rto-relaxed": lambda c: f"{_fact(c) or 'RTO'} relaxed: {_arrow(c.old, c.new, _duration)}",
    "rto-tightened": lambda c: f"{_fact(c) or 'RTO'} tightened: {_arrow(c.old, c.new, _duration)}",
    "rpo-relaxed": lambda c: f"{_fact(c) or 'RPO'} relaxed: {_arrow(c.old, c.new, _duration)}",
    "rpo-tightened": lambda c: f"{_fact(c) or 'RPO'} tightened: {_arrow(c.old, c.new, _duration)}",
    "rto-set": lambda c: f"{_fact(c) or 'Recovery objective'} set: {_duration(c.new)}",
    "rollback-time-relaxed": lambda c: f"Rollback time relaxed: {_arrow(c.old, c.new, _duration)}",
    "port-opened": _port,
    "port-closed": _port,
    "env-became-required": lambda c: f"Env var {_key(c)} became required",
    "env-became-optional": lambda c: f"Env var {_key(c)} became optional",
    "env-added-required": lambda c: f"Required env var {_key(c)} added",
    "success-progress": lambda c: f"Success criteria {_arrow(c.old, c.new, _progress)}",
    "criterion-met": lambda c: f"Success criterion met: {_key(c)}",
    "criterion-not-carried": lambda c: f"Success criterion not carried over: {_key(c)}",
    "criterion-unmet": lambda c: f"Success criterion no longer met: {_key(c)}",
    "whats-new-checked": lambda c: f"What's new item {_done(c.new, 'done', 'not done')}: {_key(c)}",
    "limitation-resolved": lambda c: (
        f"Limitation {_done(c.new, 'resolved', 'reopened')}: {_key(c)}"
    ),
    "whats-new-edited": lambda c: f"What's new item reworded: {_arrow(c.old, c.new)}",
    "limitation-edited": lambda c: f"Limitation reworded: {_arrow(c.old, c.new)}",
    "criterion-edited": lambda c: f"Success criterion reworded: {_arrow(c.old, c.new)}",
    "deprecation-declared": lambda c: f"Declared deprecated: {_key(c)}",
    "deprecation-withdrawn": lambda c: f"No longer declared deprecated: {_key(c)}",
    "reference-added": _reference,
    "reference-removed": _reference,
    "generic-changed": _generic_section,
    "phase-section-added": _phase_section,
    "phase-section-removed": _phase_section,
    **{
        f"{prefix}-{verb}": _named
        for prefix in ("span", "log", "dashboard")
        for verb in ("added", "removed", "changed")
    },
}


def describe(change: Change) -> str:
    """One line saying what changed, with the change's note in parentheses when it has one."""
    phrase = _PHRASES.get(change.rule, _generic)
    sentence = phrase(change)
    note = collapse(change.note or "")
    if note:
        sentence = f"{sentence} ({elide(note, NOTE_LIMIT)})"
    return sentence
