"""Compare two parsed documents, or two phases' effective architectures, into change records.

Entities are matched by identity key and compared field by field; only YAML
configuration sub-trees that actually differ go through DeepDiff (about 500
times dearer than a keyed comparison of our own).  Severity is looked up by
rule id, never decided here.

Each part's comparison starts with ``if old is new: return``: consecutive
versions in a history walk share the parts they did not change (the parser
hands out the same objects, see ``parse._read``), and a part compared with
itself yields nothing, so most of a version's comparison is skipped.

Two modes:

* ``diff_documents``: one phase at two revisions, compared entry by entry.
* ``diff_phases``: phase A against phase B through their *effective
  architectures* (``effective.py``): what carries over is not removed, what
  a phase deprecates or replaces leaves with everything it owned.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from phasediff.changes import (
    SECTION_TITLES,
    Change,
    Comparison,
    Kind,
    Severity,
    Side,
    sort_changes,
)
from phasediff.diagrams import edge_labels, match_nodes, node_key
from phasediff.effective import (
    RENAME_LABELS,
    Effective,
    Removal,
    declared_renames,
    label_of,
    port_match_key,
)
from phasediff.model import (
    CheckItem,
    Component,
    ConfigFile,
    Deployment,
    Diagram,
    Duration,
    EnvVar,
    Legend,
    Link,
    ListItem,
    Metric,
    NamedItem,
    Node,
    PhaseDocument,
    Port,
    Prose,
    Section,
)
from phasediff.parse import has_content
from phasediff.rules import RULES
from phasediff.text import contrast, format_duration, normalise_key, plain

STATUS_ORDER = {"planned": 0, "in_progress": 1, "complete": 2, "unknown": -1}


@dataclass(frozen=True)
class DiffOptions:
    """What a project configured: rule severities (None = off) and declared renames."""

    severities: Mapping[str, Severity | None] = field(default_factory=dict)
    renames: Mapping[str, str] = field(default_factory=dict)


class _Emitter:
    """Collects changes, grading each by its rule and dropping rules turned off."""

    def __init__(self, options: DiffOptions, base_path: str | None, head_path: str | None) -> None:
        self.options = options
        self.base_path = base_path
        self.head_path = head_path
        self.changes: list[Change] = []

    def emit(
        self,
        rule: str,
        kind: Kind,
        key: str,
        field_name: str | None = None,
        old: Any = None,
        new: Any = None,
        *,
        note: str = "",
        line: int = 0,
        base_side: bool = False,
        section: str | None = None,
    ) -> None:
        definition = RULES[rule]
        severity = self.options.severities.get(rule, definition.severity)
        if rule in self.options.severities and severity is None:
            return
        self.changes.append(
            Change(
                section=section or definition.section,
                kind=kind,
                key=key,
                field=field_name,
                old=jsonable(old),
                new=jsonable(new),
                severity=severity or definition.severity,
                rule=rule,
                note=note,
                line=line,
                path=self.base_path if base_side else self.head_path,
            )
        )


#: At most this many values come out of one ``jsonable`` call; the rest reads ``<truncated>``.
JSONABLE_BUDGET = 1_000_000


def jsonable(value: Any) -> Any:
    """YAML data and model values to plain JSON values (stable, string keys).

    A structure that refers to itself (a YAML anchor inside its own node) is cut with
    ``"<recursive>"``; shared parts are written out each time, up to ``JSONABLE_BUDGET``
    values in all.
    """
    return _jsonable(value, frozenset(), [JSONABLE_BUDGET])


def _jsonable(value: Any, path: frozenset[int], budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        return "<truncated>"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        if id(value) in path:
            return "<recursive>"
        inner = path | {id(value)}
        if isinstance(value, Mapping):
            return {str(k): _jsonable(v, inner, budget) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [_jsonable(v, inner, budget) for v in value]
        return sorted((_jsonable(v, inner, budget) for v in value), key=str)
    return str(value)


# ---------------------------------------------------------------------------
# Keyed collections
# ---------------------------------------------------------------------------

T = TypeVar("T")


def _pairs(
    old: Iterable[T], new: Iterable[T], key: Callable[[T], str]
) -> tuple[list[T], list[T], list[tuple[T, T]]]:
    """Removed, added and common entities by identity key, in key order."""
    old_by = {key(item): item for item in old}
    new_by = {key(item): item for item in new}
    removed = [old_by[k] for k in sorted(old_by.keys() - new_by.keys())]
    added = [new_by[k] for k in sorted(new_by.keys() - old_by.keys())]
    common = [(old_by[k], new_by[k]) for k in sorted(old_by.keys() & new_by.keys())]
    return removed, added, common


#: Characters of an excerpt of edited text, on each side.
EXCERPT_LIMIT = 240


def _excerpt(old: str, new: str, context: int = 4) -> tuple[str, str]:
    """A short word-level excerpt around what changed between two texts."""
    a, b = old.split(), new.split()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    opcodes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not opcodes:
        return old, new
    first, last = opcodes[0], opcodes[-1]
    a_start, a_end = max(first[1] - context, 0), min(last[2] + context, len(a))
    b_start, b_end = max(first[3] - context, 0), min(last[4] + context, len(b))

    def clip(words: list[str], start: int, end: int) -> str:
        return (
            ("…" if start > 0 else "")
            + " ".join(words[start:end])
            + ("…" if end < len(words) else "")
        )

    # A window of long words (or of a language written without spaces) is cut again by
    # characters, around where the two differ: an excerpt always shows the difference.
    return contrast(clip(a, a_start, a_end), clip(b, b_start, b_end), EXCERPT_LIMIT)


def _line_excerpt(old: str, new: str) -> tuple[str, str]:
    """The lines that changed between two code blocks, ``…`` for the lines left out.

    A word-level excerpt would join a script's lines into one misleading command.
    """
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    opcodes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not opcodes:
        return old, new
    first, last = opcodes[0], opcodes[-1]

    def clip(lines: list[str], start: int, end: int) -> str:
        return "\n".join(
            (["…"] if start > 0 else []) + lines[start:end] + (["…"] if end < len(lines) else [])
        )

    return contrast(clip(a, first[1], last[2]), clip(b, first[3], last[4]), EXCERPT_LIMIT)


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def _diff_overview(
    out: _Emitter, base: PhaseDocument, head: PhaseDocument, *, phases: bool
) -> None:
    old, new = base.overview, head.overview
    if old is new:
        return
    if not phases and old.phase and new.phase and _phase_id(old.phase) != _phase_id(new.phase):
        out.emit(
            "phase-renumbered", Kind.CHANGED, "phase", None, old.phase, new.phase, line=new.line
        )
    old_value, new_value = old.status_value, new.status_value
    if old_value != new_value and new_value is not None:
        regressed = STATUS_ORDER.get(old_value or "", -1) > STATUS_ORDER.get(new_value, -1) >= 0
        # Between two phases, phase 3 being planned while phase 2 is complete is no regression.
        rule = "status-regressed" if regressed and not phases else "status-changed"
        out.emit(rule, Kind.CHANGED, "status", None, old_value, new_value, line=new.line)
    if old.name != new.name and not phases:
        out.emit(
            "phase-name-changed", Kind.CHANGED, "name", None, old.name, new.name, line=new.line
        )
    for key in ("started", "completed"):
        before, after = getattr(old, key), getattr(new, key)
        if before != after:
            out.emit("phase-date-changed", Kind.CHANGED, key, None, before, after, line=new.line)
    if old.summary != new.summary and not phases:
        before, after = _excerpt(old.summary, new.summary)
        out.emit("summary-changed", Kind.CHANGED, "summary", None, before, after, line=new.line)


def _phase_id(phase: str) -> str:
    """A phase id compared as ``documents.phase_key`` does: case and leading zeros aside."""
    bare = re.sub(r"^phase(?:[-_ ]+|(?=\d))", "", phase.strip(), count=1, flags=re.I)
    return re.sub(r"\d+", lambda digits: str(int(digits.group())), bare).casefold()


def phase_renumbered(
    old_phase: str, new_phase: str, options: DiffOptions | None, path: str | None
) -> tuple[Change, ...]:
    """The change saying that a document now belongs to another phase, or none if it does not.

    For a document whose phase comes from its path (no ``**Phase:**`` field), a
    move to another phase's directory is the renumbering; history adds it here.
    """
    if _phase_id(old_phase) == _phase_id(new_phase):
        return ()
    out = _Emitter(options or DiffOptions(), None, path)
    out.emit("phase-renumbered", Kind.CHANGED, "phase", None, old_phase, new_phase)
    return tuple(out.changes)


def _diff_checklist(
    out: _Emitter,
    old: Sequence[CheckItem],
    new: Sequence[CheckItem],
    *,
    added: str,
    removed: str,
    checked: str,
    unchecked: str | None = None,
    edited: str | None = None,
    section: str | None = None,
    compare_done: bool = True,
) -> None:
    if old is new:
        return
    gone, came, common = _pairs(old, new, lambda item: item.key)
    if edited is not None:
        for before, after in _similar_pairs(gone, came, lambda item: item.text):
            old_text, new_text = _excerpt(before.text, after.text)
            out.emit(
                edited,
                Kind.CHANGED,
                after.text,
                "text",
                old_text,
                new_text,
                line=after.line,
                section=section,
            )
            common.append((before, after))
    for item in gone:
        out.emit(
            removed,
            Kind.REMOVED,
            item.text,
            old=item.text,
            line=item.line,
            base_side=True,
            section=section,
        )
    for item in came:
        out.emit(added, Kind.ADDED, item.text, new=item.text, line=item.line, section=section)
    for before, after in common:
        if not compare_done:
            continue
        if bool(before.done) != bool(after.done) and after.done is not None:
            rule = checked if after.done or unchecked is None else unchecked
            out.emit(
                rule,
                Kind.CHANGED,
                after.text,
                "done",
                before.done,
                after.done,
                line=after.line,
                section=section,
            )


def _diff_whats_new(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> None:
    old, new = base.whats_new, head.whats_new
    if old is new:
        return
    _diff_checklist(
        out,
        old.items,
        new.items,
        added="whats-new-added",
        removed="whats-new-removed",
        checked="whats-new-checked",
        edited="whats-new-edited",
    )
    gone, came, _ = _pairs(old.deprecated, new.deprecated, normalise_key)
    for text in came:
        out.emit("deprecation-declared", Kind.ADDED, text, new=text, line=new.line)
    for text in gone:
        out.emit(
            "deprecation-withdrawn", Kind.REMOVED, text, old=text, line=old.line, base_side=True
        )
    gone_items, came_items, _ = _pairs(old.key_differences, new.key_differences, lambda i: i.key)
    for item in gone_items:
        out.emit(
            "key-difference-changed",
            Kind.REMOVED,
            item.text,
            old=item.text,
            line=item.line,
            base_side=True,
        )
    for item in came_items:
        out.emit("key-difference-changed", Kind.ADDED, item.text, new=item.text, line=item.line)


def _diff_diagram(out: _Emitter, old: Diagram, new: Diagram, *, phases: bool = False) -> None:
    """Nodes matched by mermaid id, then by label (``diagrams.match_nodes``); edges by their ends.

    A node reworded under the same id is one change of its label, and its edges
    stay.  Between phases a node's legend is relative to its own previous
    phase, so legends are not compared, and a node drawn as deprecated (or
    removed) counts as gone.
    """
    if old is new:
        return

    def present(diagram: Diagram) -> list[Node]:
        return [n for n in diagram.nodes if not (phases and n.legend is Legend.DEPRECATED)]

    if old.drawing != new.drawing:
        # A diagram drawn as text (ASCII art, a sequence diagram) compares as its words.
        was: str | None
        now: str | None
        if old.drawing and new.drawing:
            was, now = _excerpt(old.drawing, new.drawing)
            kind = Kind.CHANGED
        else:
            was, now = old.drawing or None, new.drawing or None
            kind = Kind.ADDED if new.drawing else Kind.REMOVED
        out.emit(
            "diagram-text-changed",
            kind,
            "diagram",
            "text",
            was,
            now,
            line=new.line or old.line,
            base_side=kind is Kind.REMOVED,
        )
    old_nodes, new_nodes = present(old), present(new)
    match = match_nodes(old_nodes, new_nodes)
    # A label drawn twice is one thing: a second drawing that goes is no removal.
    old_keys = {node_key(n) for n in old_nodes}
    new_keys = {node_key(n) for n in new_nodes}
    for node in match.removed:
        if node_key(node) in new_keys:
            continue
        out.emit(
            "diagram-node-removed",
            Kind.REMOVED,
            node.label,
            old=node.label,
            line=node.line,
            base_side=True,
        )
    for node in match.added:
        if node_key(node) in old_keys:
            continue
        legend = node.legend.value if node.legend else None
        out.emit("diagram-node-added", Kind.ADDED, node.label, new=legend, line=node.line)
    for before, after in match.pairs:
        if node_key(before) != node_key(after):
            out.emit(
                "diagram-node-changed",
                Kind.CHANGED,
                before.label,
                "label",
                before.label,
                after.label,
                line=after.line,
            )
        if before.legend != after.legend and not phases:
            out.emit(
                "diagram-node-changed",
                Kind.CHANGED,
                after.label,
                "legend",
                before.legend.value if before.legend else None,
                after.legend.value if after.legend else None,
                line=after.line,
            )

    names = {node_key(n): n.label for n in old_nodes}
    names.update((node_key(n), n.label) for n in new_nodes)
    old_edges = edge_labels(old, match.old_identity)
    new_edges = edge_labels(new, match.new_identity)

    def text(pair: tuple[str, str]) -> str:
        return f"{names.get(pair[0], pair[0])} -> {names.get(pair[1], pair[1])}"

    def label(labels: set[str]) -> str | None:
        return " / ".join(sorted(labels, key=str.casefold)).strip(" /") or None

    for pair in sorted(old_edges.keys() - new_edges.keys()):
        out.emit(
            "diagram-edge-removed",
            Kind.REMOVED,
            text(pair),
            old=label(old_edges[pair]),
            line=old.line,
            base_side=True,
        )
    for pair in sorted(new_edges.keys() - old_edges.keys()):
        out.emit(
            "diagram-edge-added", Kind.ADDED, text(pair), new=label(new_edges[pair]), line=new.line
        )
    for pair in sorted(old_edges.keys() & new_edges.keys()):
        before_labels, after_labels = old_edges[pair], new_edges[pair]
        if {normalise_key(t) for t in before_labels} != {normalise_key(t) for t in after_labels}:
            out.emit(
                "diagram-edge-changed",
                Kind.CHANGED,
                text(pair),
                "label",
                label(before_labels),
                label(after_labels),
                line=new.line,
            )


# -- components ---------------------------------------------------------------


def component_summary(component: Component) -> dict[str, Any]:
    """What an added or removed component record carries as its value."""
    summary: dict[str, Any] = {}
    if component.technology:
        summary["technology"] = component.technology
    if component.purpose:
        summary["purpose"] = component.purpose
    if component.exposes:
        summary["exposes"] = list(component.exposes)
    return summary


def _sharing_same(old: Any, new: Any) -> Any:
    """``new`` with each top-level entry that is exactly ``old``'s replaced by ``old``'s own.

    DeepDiff skips a pair of identical objects at once, and a configuration
    edit usually touches one entry: the rest is not walked.  The keys stay
    ``new``'s (DeepDiff weighs how many keys two mappings share) and only
    entries equal in type, value and key order are replaced, so what DeepDiff
    reports is unchanged.
    """
    if type(old) is not dict or type(new) is not dict:
        return new
    return {
        key: old[key] if key in old and _exactly_equal(old[key], value) else value
        for key, value in new.items()
    }


def _exactly_equal(old: Any, new: Any, depth: int = 0) -> bool:
    """Equal YAML data with equal types throughout (``1`` is not ``True``); False when unsure."""
    kind = type(old)
    if kind is not type(new) or depth > 100:
        return False
    if kind in (str, int, float, bool) or old is None:
        return bool(old == new)
    if kind is list:
        return len(old) == len(new) and all(
            _exactly_equal(a, b, depth + 1) for a, b in zip(old, new, strict=True)
        )
    if kind is dict:
        keys = list(old)
        return (
            keys == list(new)
            and all(type(k) is str for k in keys)
            and all(_exactly_equal(old[k], new[k], depth + 1) for k in keys)
        )
    return False


def _config_changes(out: _Emitter, key: str, old: Any, new: Any, line: int) -> None:
    if old == new:
        return
    if not isinstance(old, (dict, list)) or not isinstance(new, (dict, list)):
        out.emit(
            "component-config-changed", Kind.CHANGED, key, "configuration", old, new, line=line
        )
        return
    from deepdiff import DeepDiff  # here only: importing it costs a warm log a tenth of its time

    # threshold_to_diff_deeper=0: DeepDiff otherwise reports a whole mapping as one
    # changed value when the two share few keys; a reader wants the leaf paths.
    tree = DeepDiff(
        old,
        _sharing_same(old, new),
        ignore_order=True,
        view="tree",
        verbose_level=2,
        threshold_to_diff_deeper=0,
    )
    records: list[tuple[str, str, Any, Any]] = []
    for report, levels in tree.items():
        for level in levels:
            parts = level.path(output_format="list")
            path = ".".join(["configuration", *(str(p) for p in parts)])
            before = None if type(level.t1).__name__ == "NotPresent" else level.t1
            after = None if type(level.t2).__name__ == "NotPresent" else level.t2
            # An added or removed key reads as its leaf paths; a list item stays whole.
            if report == "dictionary_item_added":
                records.extend(
                    ("component-config-added", leaf, None, value)
                    for leaf, value in _leaves(path, after)
                )
            elif report == "dictionary_item_removed":
                records.extend(
                    ("component-config-removed", leaf, value, None)
                    for leaf, value in _leaves(path, before)
                )
            elif report in ("iterable_item_added", "attribute_added"):
                records.append(("component-config-added", path, None, after))
            elif report in ("iterable_item_removed", "attribute_removed"):
                records.append(("component-config-removed", path, before, None))
            else:
                records.append(("component-config-changed", path, before, after))
    for rule, path, before, after in sorted(records, key=lambda r: (r[1], r[0])):
        kind = {
            "component-config-added": Kind.ADDED,
            "component-config-removed": Kind.REMOVED,
        }.get(rule, Kind.CHANGED)
        if isinstance(before, str) and isinstance(after, str) and len(before + after) > 160:
            # An embedded config (a River pipeline in a YAML string): show where it changed.
            before, after = _excerpt(before, after)
        out.emit(rule, kind, key, path, before, after, line=line)


def _leaves(path: str, value: Any) -> list[tuple[str, Any]]:
    """An added or removed mapping as its leaf paths (an empty mapping is a leaf itself)."""
    if isinstance(value, dict) and value:
        return [leaf for key, item in value.items() for leaf in _leaves(f"{path}.{key}", item)]
    return [(path, value)]


def _diff_component(
    out: _Emitter, old: Component, new: Component, *, phase: str | None = None
) -> None:
    """Two versions of one component, field by field.

    Between phases (``phase`` is the head phase) list fields match by identity
    (an exposed port by its number, a dependency by its name) and operational
    notes by their label, and an entry the phase no longer lists says so.
    """
    name = new.name
    line = new.line
    if old.technology != new.technology:
        out.emit(
            "component-technology-changed",
            Kind.CHANGED,
            name,
            "technology",
            old.technology,
            new.technology,
            line=line,
        )
    if old.purpose != new.purpose:
        out.emit(
            "component-purpose-changed",
            Kind.CHANGED,
            name,
            "purpose",
            old.purpose,
            new.purpose,
            line=line,
        )
    _config_changes(out, name, old.configuration, new.configuration, line)
    if phase is not None:
        _diff_component_lists(out, old, new, phase)
        _diff_extra_fields(out, old, new)
        return
    for attribute in ("connects_to", "exposes", "depends_on"):
        before = {normalise_key(v): v for v in getattr(old, attribute)}
        after = {normalise_key(v): v for v in getattr(new, attribute)}
        for key in sorted(before.keys() - after.keys()):
            out.emit(
                "component-integration-changed",
                Kind.REMOVED,
                name,
                attribute,
                before[key],
                None,
                line=line,
            )
        for key in sorted(after.keys() - before.keys()):
            out.emit(
                "component-integration-changed",
                Kind.ADDED,
                name,
                attribute,
                None,
                after[key],
                line=line,
            )
    before_ops = {normalise_key(v): v for v in old.operational}
    after_ops = {normalise_key(v): v for v in new.operational}
    for key in sorted(before_ops.keys() - after_ops.keys()):
        out.emit(
            "component-operations-changed",
            Kind.REMOVED,
            name,
            "operational",
            before_ops[key],
            None,
            line=line,
        )
    for key in sorted(after_ops.keys() - before_ops.keys()):
        out.emit(
            "component-operations-changed",
            Kind.ADDED,
            name,
            "operational",
            None,
            after_ops[key],
            line=line,
        )
    _diff_extra_fields(out, old, new)


def _diff_extra_fields(out: _Emitter, old: Component, new: Component) -> None:
    old_extra = {k: v for k, v in old.extra if k not in RENAME_LABELS}
    new_extra = {k: v for k, v in new.extra if k not in RENAME_LABELS}
    for label in sorted(old_extra.keys() | new_extra.keys()):
        if old_extra.get(label) != new_extra.get(label):
            out.emit(
                "component-field-changed",
                Kind.CHANGED,
                new.name,
                label,
                old_extra.get(label),
                new_extra.get(label),
                line=new.line,
            )


def _entry_identity(attribute: str, text: str) -> str:
    """An exposed entry by its port numbers; a connection or dependency by its name."""
    if attribute == "exposes":
        numbers = sorted({int(n) for n in re.findall(r"(?<![\d.])(\d{2,5})(?![\d.%])", text)})
        if numbers:
            return "ports " + ",".join(map(str, numbers))
    name = re.split(r"\s[(:—–-]\s?|\(|:", plain(text), maxsplit=1)[0]
    return normalise_key(name) or normalise_key(text)


_BARE_PORTS = re.compile(
    r"^[\s:,/]*(?:\d{2,5}|tcp|udp|port|ports)(?:[\s:,/()]+(?:\d{2,5}|tcp|udp))*[\s)]*$", re.I
)


def _same_entry(old: str, new: str) -> bool:
    """Equal texts, or one side only the bare port of the other (``3100`` for ``:3100 HTTP``)."""
    return normalise_key(old) == normalise_key(new) or bool(
        _BARE_PORTS.match(plain(new)) or _BARE_PORTS.match(plain(old))
    )


def _diff_component_lists(out: _Emitter, old: Component, new: Component, phase: str) -> None:
    """List fields by identity, operational notes by label (between phases)."""
    name, line = new.name, new.line
    gone_note = f"not mentioned in phase {phase}"
    for attribute in ("connects_to", "exposes", "depends_on"):
        before = {_entry_identity(attribute, v): v for v in getattr(old, attribute)}
        after = {_entry_identity(attribute, v): v for v in getattr(new, attribute)}
        for key in sorted(before.keys() | after.keys()):
            a, b = before.get(key), after.get(key)
            if a is not None and b is not None and _same_entry(a, b):
                continue
            kind = Kind.ADDED if a is None else Kind.REMOVED if b is None else Kind.CHANGED
            out.emit(
                "component-integration-changed",
                kind,
                name,
                attribute,
                a,
                b,
                note=gone_note if b is None else "",
                line=line,
            )
    before_ops = {label_of(v) or normalise_key(v): v for v in old.operational}
    after_ops = {label_of(v) or normalise_key(v): v for v in new.operational}
    for key in sorted(before_ops.keys() | after_ops.keys()):
        a, b = before_ops.get(key), after_ops.get(key)
        if a is not None and b is not None and normalise_key(a) == normalise_key(b):
            continue
        labelled = a is not None and b is not None and bool(label_of(a))
        if labelled:
            assert a is not None and b is not None
            before_text, after_text = a.partition(":")[2].strip(), b.partition(":")[2].strip()
            if len(before_text) + len(after_text) > 160:
                before_text, after_text = _excerpt(before_text, after_text)
            out.emit(
                "component-operations-changed",
                Kind.CHANGED,
                name,
                f"operational.{a.partition(':')[0].strip()}",
                before_text,
                after_text,
                line=line,
            )
            continue
        kind = Kind.ADDED if a is None else Kind.REMOVED
        out.emit(
            "component-operations-changed",
            kind,
            name,
            "operational",
            a,
            b,
            note=gone_note if b is None else "",
            line=line,
        )


_VERSION = re.compile(r"\bv?\d+(?:\.[\dx*]+)*\b")


def technology_family(technology: str | None) -> str:
    """``Grafana Loki 2.9.6 (single binary)`` -> ``grafana loki``: technology without versions."""
    if not technology:
        return ""
    text = re.sub(r"\([^)]*\)", "", technology)
    return normalise_key(_VERSION.sub("", text))


def _exposed_ports(component: Component) -> set[int]:
    return {
        int(n) for entry in component.exposes for n in re.findall(r"(?<!\d)(\d{2,5})(?!\d)", entry)
    }


def _rename_evidence(old: Component, new: Component) -> str | None:
    """Why ``new`` looks like ``old`` renamed, or None."""
    family = technology_family(old.technology)
    if family and family == technology_family(new.technology):
        return "same technology"
    if isinstance(old.configuration, dict) and isinstance(new.configuration, dict):
        keys = set(map(str, old.configuration))
        if len(keys) >= 2 and keys == set(map(str, new.configuration)):
            return "same configuration keys"
    ports = _exposed_ports(old)
    if ports and ports == _exposed_ports(new):
        return "same ports"
    return None


def _diff_components(
    out: _Emitter,
    old: Sequence[Component],
    new: Sequence[Component],
    options: DiffOptions,
    removals: Mapping[str, Removal],
    replaced: set[str],
    phase: str | None = None,
) -> None:
    if old is new:
        return
    gone, came, common = _pairs(old, new, lambda c: c.key)
    declared = declared_renames(new, options.renames)
    renamed: list[tuple[Component, Component, str]] = []
    came_by_key = {c.key: c for c in came}
    for component in list(gone):
        target = declared.get(component.key)
        if target in came_by_key:
            renamed.append((component, came_by_key.pop(target), "declared"))
            gone.remove(component)
    for component in list(gone):
        if component.key in replaced:
            continue  # an explicit "replaced by" is a removal, never a guessed rename
        candidates = [
            (evidence, other)
            for other in came_by_key.values()
            if (evidence := _rename_evidence(component, other)) is not None
        ]
        if len(candidates) == 1:
            evidence, other = candidates[0]
            renamed.append((component, other, evidence))
            came_by_key.pop(other.key)
            gone.remove(component)
    for before, after, evidence in renamed:
        out.emit(
            "component-renamed",
            Kind.RENAMED,
            after.name,
            "name",
            before.name,
            after.name,
            note=evidence,
            line=after.line,
        )
        _diff_component(out, before, after, phase=phase)
    for component in gone:
        removal = removals.get(component.key)
        rule = removal.rule if removal else "component-removed"
        note = removal.note if removal else ""
        out.emit(
            rule,
            Kind.REMOVED,
            component.name,
            None,
            component_summary(component),
            None,
            note=note,
            line=component.line,
            base_side=True,
        )
    for component in came_by_key.values():
        out.emit(
            "component-added",
            Kind.ADDED,
            component.name,
            None,
            None,
            component_summary(component),
            line=component.line,
        )
    for before, after in common:
        if before != after:
            _diff_component(out, before, after, phase=phase)


# -- tables: metrics, env, config files, ports --------------------------------


def _diff_metrics(
    out: _Emitter, old: Iterable[Metric], new: Iterable[Metric], notes: Mapping[str, str]
) -> None:
    if old is new:
        return
    gone, came, common = _pairs(old, new, lambda m: m.key)
    for metric in gone:
        out.emit(
            "metric-removed",
            Kind.REMOVED,
            metric.name,
            old=_metric_value(metric),
            note=notes.get(metric.key, ""),
            line=metric.line,
            base_side=True,
        )
    for metric in came:
        out.emit(
            "metric-added", Kind.ADDED, metric.name, new=_metric_value(metric), line=metric.line
        )
    for before, after in common:
        if before.type != after.type:
            out.emit(
                "metric-type-changed",
                Kind.CHANGED,
                after.name,
                "type",
                before.type,
                after.type,
                line=after.line,
            )
        for attribute in ("purpose", "alert_threshold", "component"):
            if getattr(before, attribute) != getattr(after, attribute):
                out.emit(
                    "metric-changed",
                    Kind.CHANGED,
                    after.name,
                    attribute,
                    getattr(before, attribute),
                    getattr(after, attribute),
                    line=after.line,
                )
        _diff_extra(out, "metric-changed", after.name, before.extra, after.extra, after.line)


def _metric_value(metric: Metric) -> dict[str, Any]:
    return {k: v for k, v in (("type", metric.type), ("purpose", metric.purpose)) if v}


def _diff_extra(
    out: _Emitter,
    rule: str,
    key: str,
    old: tuple[tuple[str, str], ...],
    new: tuple[tuple[str, str], ...],
    line: int,
) -> None:
    before = {normalise_key(k): v for k, v in old}
    after = {normalise_key(k): v for k, v in new}
    for column in sorted(before.keys() | after.keys()):
        if before.get(column) != after.get(column):
            out.emit(
                rule, Kind.CHANGED, key, column, before.get(column), after.get(column), line=line
            )


def _diff_env(
    out: _Emitter, old: Iterable[EnvVar], new: Iterable[EnvVar], notes: Mapping[str, str]
) -> None:
    if old is new:
        return
    gone, came, common = _pairs(old, new, lambda e: e.key)
    for var in gone:
        out.emit(
            "env-removed",
            Kind.REMOVED,
            var.name,
            old=_env_value(var),
            note=notes.get(var.key, ""),
            line=var.line,
            base_side=True,
        )
    for var in came:
        rule = "env-added-required" if var.required else "env-added"
        out.emit(rule, Kind.ADDED, var.name, new=_env_value(var), line=var.line)
    for before, after in common:
        if before.required != after.required and after.required is not None:
            rule = "env-became-required" if after.required else "env-became-optional"
            out.emit(
                rule,
                Kind.CHANGED,
                after.name,
                "required",
                before.required,
                after.required,
                line=after.line,
            )
        if before.default != after.default:
            out.emit(
                "env-default-changed",
                Kind.CHANGED,
                after.name,
                "default",
                before.default,
                after.default,
                line=after.line,
            )
        if before.purpose != after.purpose:
            out.emit(
                "env-changed",
                Kind.CHANGED,
                after.name,
                "purpose",
                before.purpose,
                after.purpose,
                line=after.line,
            )
        _diff_extra(out, "env-changed", after.name, before.extra, after.extra, after.line)


def _env_value(var: EnvVar) -> dict[str, Any]:
    value: dict[str, Any] = {}
    if var.default is not None:
        value["default"] = var.default
    if var.required is not None:
        value["required"] = var.required
    return value


def _diff_config_files(
    out: _Emitter, old: Iterable[ConfigFile], new: Iterable[ConfigFile], notes: Mapping[str, str]
) -> None:
    if old is new:
        return
    gone, came, common = _pairs(old, new, lambda c: c.key)
    for item in gone:
        out.emit(
            "config-file-removed",
            Kind.REMOVED,
            item.name,
            old=item.location,
            note=notes.get(item.key, ""),
            line=item.line,
            base_side=True,
        )
    for item in came:
        out.emit("config-file-added", Kind.ADDED, item.name, new=item.location, line=item.line)
    for before, after in common:
        if before.location != after.location:
            out.emit(
                "config-file-moved",
                Kind.CHANGED,
                after.name,
                "location",
                before.location,
                after.location,
                line=after.line,
            )
        if before.purpose != after.purpose:
            out.emit(
                "config-file-changed",
                Kind.CHANGED,
                after.name,
                "purpose",
                before.purpose,
                after.purpose,
                line=after.line,
            )
        _diff_extra(out, "config-file-changed", after.name, before.extra, after.extra, after.line)


def _diff_ports(
    out: _Emitter, old: Iterable[Port], new: Iterable[Port], notes: Mapping[str, str]
) -> None:
    if old is new:
        return
    gone, came, common = _pairs(old, new, port_match_key)
    for port in gone:
        out.emit(
            "port-closed",
            Kind.REMOVED,
            port.key,
            old=port.description or None,
            note=notes.get(port_match_key(port), ""),
            line=port.line,
            base_side=True,
            section="deployment",
        )
    for port in came:
        out.emit("port-opened", Kind.ADDED, port.key, new=port.description or None, line=port.line)
    for before, after in common:
        if normalise_key(before.description) != normalise_key(after.description):
            out.emit(
                "port-changed",
                Kind.CHANGED,
                after.key,
                "description",
                before.description,
                after.description,
                line=after.line,
            )


def _diff_objective(
    out: _Emitter, name: str, old: Duration | None, new: Duration | None, line: int, *, phases: bool
) -> None:
    if old == new:
        return
    if new is None:
        if not phases:  # between phases an unstated objective carries over
            out.emit(
                f"{name}-relaxed",
                Kind.REMOVED,
                name,
                None,
                format_duration(old.seconds) if old else None,
                None,
                note="no longer stated",
                line=line,
            )
        return
    if old is None:
        out.emit("rto-set", Kind.ADDED, name, None, None, format_duration(new.seconds), line=line)
        return
    rule = f"{name}-relaxed" if new.seconds > old.seconds else f"{name}-tightened"
    out.emit(
        rule,
        Kind.CHANGED,
        name,
        None,
        format_duration(old.seconds),
        format_duration(new.seconds),
        line=line,
    )


def _diff_deployment(
    out: _Emitter, base: PhaseDocument, head: PhaseDocument, *, phases: bool
) -> None:
    old, new = base.deployment, head.deployment
    if old is new:
        return
    _diff_objective(out, "rto", old.rto, new.rto, new.line, phases=phases)
    _diff_objective(out, "rpo", old.rpo, new.rpo, new.line, phases=phases)
    if phases:
        return
    _diff_deployment_notes(out, old, new)


# Items already compared as typed facts (ports, RTO, RPO) are not compared again as text.
_DEPLOYMENT_FACTS = ("ports", "port", "rto", "rpo")


def _label_of(text: str) -> tuple[str, str]:
    """``Coverage target: 80%`` -> ``("coverage target", "80%")``; unlabelled -> (key, text)."""
    head, sep, tail = text.partition(":")
    if sep and 0 < len(head) <= 40:
        return normalise_key(head), tail.strip()
    return normalise_key(text), text


def _similar_pairs(gone: list[T], came: list[T], text: Callable[[T], str]) -> list[tuple[T, T]]:
    """Pair removed and added items that are one item edited, not replaced.

    ``OTLP receivers accept TLS only`` -> ``... mutual TLS only`` is one edit:
    items whose words mostly agree (difflib ratio >= 0.6) pair up, best first.
    Paired items are taken out of ``gone`` and ``came``.
    """
    pairs: list[tuple[T, T]] = []
    for old_item in list(gone):
        best: T | None = None
        best_ratio = 0.0
        for new_item in came:
            ratio = difflib.SequenceMatcher(
                a=text(old_item).split(), b=text(new_item).split(), autojunk=False
            ).ratio()
            if ratio > best_ratio:
                best, best_ratio = new_item, ratio
        if best is not None and best_ratio >= 0.6:
            came.remove(best)
            gone.remove(old_item)
            pairs.append((old_item, best))
    return pairs


def _pair_edited(before: dict[str, tuple[str, str]], after: dict[str, tuple[str, str]]) -> None:
    """Re-key an edited unlabelled bullet so that it pairs with its old self."""
    gone = [label for label in before if label not in after]
    came = [label for label in after if label not in before]
    for old_label, new_label in _similar_pairs(gone, came, lambda label: label):
        after[old_label] = after.pop(new_label)


def _diff_labelled(
    out: _Emitter,
    rule: str,
    key: str,
    old: Iterable[str],
    new: Iterable[str],
    lines: tuple[int, int],
    *,
    skip: tuple[str, ...] = (),
    section: str | None = None,
) -> None:
    """Bullets matched by their ``Label:`` (or whole text): a new value is one change."""

    def index(items: Iterable[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for text in items:
            label, value = _label_of(text)
            if not label.startswith(skip) or not skip:
                found.setdefault(label, (text, value))
        return found

    before, after = index(old), index(new)
    _pair_edited(before, after)
    for label in sorted(before.keys() | after.keys()):
        a, b = before.get(label), after.get(label)
        if a is not None and b is not None and normalise_key(a[1]) == normalise_key(b[1]):
            continue
        # A "Label: value" bullet names its label as the field; a plain bullet has none.
        labelled = a is not None and b is not None and label != normalise_key(a[0])
        field_name = label if labelled else None
        if a is None:
            assert b is not None
            out.emit(rule, Kind.ADDED, key, None, None, b[0], line=lines[1], section=section)
        elif b is None:
            out.emit(
                rule,
                Kind.REMOVED,
                key,
                None,
                a[0],
                None,
                line=lines[0],
                base_side=True,
                section=section,
            )
        else:
            before_text, after_text = a[1], b[1]
            if len(before_text) + len(after_text) > 160:
                before_text, after_text = _excerpt(before_text, after_text)
            out.emit(
                rule,
                Kind.CHANGED,
                key,
                field_name,
                before_text,
                after_text,
                line=lines[1],
                section=section,
            )


# -- prose, named lists, checklists, references, footer -----------------------


def _diff_prose(
    out: _Emitter, section: str, old: Prose, new: Prose, skip: tuple[str, ...] = ()
) -> None:
    if old is new:
        return
    if old.text != new.text and (old.text or new.text):
        before, after = _excerpt(old.text, new.text)
        out.emit(
            "prose-changed",
            Kind.CHANGED,
            section,
            "text",
            before or None,
            after or None,
            line=new.line or old.line,
            section=section,
        )
    _diff_labelled(
        out,
        "prose-changed",
        section,
        [item.text for item in old.items],
        [item.text for item in new.items],
        (old.line, new.line),
        skip=skip,
        section=section,
    )


def _diff_named(
    out: _Emitter, prefix: str, field_name: str, old: Iterable[NamedItem], new: Iterable[NamedItem]
) -> None:
    if old is new:
        return
    gone, came, common = _pairs(old, new, lambda i: i.key)
    for item in gone:
        out.emit(
            f"{prefix}-removed",
            Kind.REMOVED,
            item.name,
            field_name,
            item.description or None,
            None,
            line=item.line,
            base_side=True,
        )
    for item in came:
        out.emit(
            f"{prefix}-added",
            Kind.ADDED,
            item.name,
            field_name,
            None,
            item.description or None,
            line=item.line,
        )
    for before, after in common:
        if normalise_key(before.description) != normalise_key(after.description):
            out.emit(
                f"{prefix}-changed",
                Kind.CHANGED,
                after.name,
                field_name,
                before.description,
                after.description,
                line=after.line,
            )


def _diff_success(out: _Emitter, base: PhaseDocument, head: PhaseDocument, *, phases: bool) -> None:
    old, new = base.success_criteria, head.success_criteria
    if old is new:
        return
    if not phases:
        _diff_checklist(
            out,
            old.items,
            new.items,
            added="criterion-added",
            removed="criterion-removed",
            checked="criterion-met",
            unchecked="criterion-unmet",
            edited="criterion-edited",
        )
    before = f"{old.done}/{len(old.items)}"
    after = f"{new.done}/{len(new.items)}"
    if before != after and (old.items or new.items):
        out.emit("success-progress", Kind.CHANGED, "progress", None, before, after, line=new.line)


def _diff_references(out: _Emitter, old: Iterable[Link], new: Iterable[Link]) -> None:
    if old is new:
        return
    gone, came, _ = _pairs(old, new, lambda link: link.target.strip())
    for link in gone:
        out.emit(
            "reference-removed",
            Kind.REMOVED,
            link.text or link.target,
            "target",
            link.target,
            None,
            line=link.line,
            base_side=True,
        )
    for link in came:
        out.emit(
            "reference-added",
            Kind.ADDED,
            link.text or link.target,
            "target",
            None,
            link.target,
            line=link.line,
        )


def _diff_footer(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> None:
    old, new = base.footer, head.footer
    if old is new:
        return
    if old.version != new.version:
        out.emit(
            "document-version-changed",
            Kind.CHANGED,
            "version",
            None,
            old.version,
            new.version,
            line=new.line,
        )
    if old.last_updated != new.last_updated:
        out.emit(
            "document-updated-changed",
            Kind.CHANGED,
            "last_updated",
            None,
            old.last_updated,
            new.last_updated,
            line=new.line,
        )
    if {normalise_key(a) for a in old.authors} != {normalise_key(a) for a in new.authors}:
        out.emit(
            "document-authors-changed",
            Kind.CHANGED,
            "authors",
            None,
            list(old.authors),
            list(new.authors),
            line=new.line,
        )


def _diff_rollback_time(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> None:
    old, new = base.rollback, head.rollback
    if old is new:
        return
    if old.duration != new.duration or (old.duration is None and old.time != new.time):
        relaxed = old.duration and new.duration and new.duration.seconds > old.duration.seconds
        rule = "rollback-time-relaxed" if relaxed else "rollback-time-changed"
        out.emit(rule, Kind.CHANGED, "rollback_time", None, old.time, new.time, line=new.line)


def _diff_rollback(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> None:
    _diff_rollback_time(out, base, head)
    _diff_rollback_plan(out, base, head)


def _diff_rollback_plan(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> None:
    old, new = base.rollback, head.rollback
    if old is new:
        return
    if [normalise_key(s) for s in old.steps] != [normalise_key(s) for s in new.steps]:
        before, after = _excerpt(" | ".join(old.steps), " | ".join(new.steps))
        out.emit(
            "rollback-steps-changed", Kind.CHANGED, "steps", None, before, after, line=new.line
        )
    gone, came, _ = _pairs(old.triggers, new.triggers, lambda i: i.key)
    for item in gone:
        out.emit(
            "rollback-trigger-changed",
            Kind.REMOVED,
            item.text,
            old=item.text,
            line=item.line,
            base_side=True,
        )
    for item in came:
        out.emit("rollback-trigger-changed", Kind.ADDED, item.text, new=item.text, line=item.line)


def _diff_integration(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> None:
    old, new = base.integration, head.integration
    if old is new:
        return
    gone_r, came_r, common_r = _pairs(old.retained, new.retained, lambda r: r.key)
    for item in gone_r:
        out.emit(
            "retained-changed",
            Kind.REMOVED,
            item.name,
            old=item.note or None,
            line=item.line,
            base_side=True,
        )
    for item in came_r:
        out.emit("retained-changed", Kind.ADDED, item.name, new=item.note or None, line=item.line)
    for before, after in common_r:
        if normalise_key(before.note) != normalise_key(after.note):
            out.emit(
                "retained-changed",
                Kind.CHANGED,
                after.name,
                "note",
                before.note,
                after.note,
                line=after.line,
            )
    gone_m, came_m, common_m = _pairs(old.modified, new.modified, lambda m: m.key)
    for mod in gone_m:
        out.emit(
            "modification-changed",
            Kind.REMOVED,
            mod.component,
            old=mod.change or None,
            line=mod.line,
            base_side=True,
        )
    for mod in came_m:
        out.emit(
            "modification-changed", Kind.ADDED, mod.component, new=mod.change or None, line=mod.line
        )
    for before_m, after_m in common_m:
        for attribute in ("change", "reason"):
            if normalise_key(getattr(before_m, attribute)) != normalise_key(
                getattr(after_m, attribute)
            ):
                out.emit(
                    "modification-changed",
                    Kind.CHANGED,
                    after_m.component,
                    attribute,
                    getattr(before_m, attribute),
                    getattr(after_m, attribute),
                    line=after_m.line,
                )
    if [normalise_key(s) for s in old.migration_steps] != [
        normalise_key(s) for s in new.migration_steps
    ]:
        old_steps, new_steps = _excerpt(
            " | ".join(old.migration_steps), " | ".join(new.migration_steps)
        )
        out.emit(
            "migration-changed",
            Kind.CHANGED,
            "migration_steps",
            None,
            old_steps or None,
            new_steps or None,
            line=new.line,
        )


# -- generic fallback ----------------------------------------------------------


def _section_key(section: Section) -> str:
    """A section's identity: its title without numbering or level (``parse.section_identity``),
    told apart by its parent's when the title is used twice."""
    return section.key or normalise_key(section.title)


@dataclass(frozen=True)
class _Entry:
    """One generic element of a section: ``label`` locates it, ``family`` says which
    entries may pair up as one edited element."""

    label: str
    value: str
    line: int
    family: str
    # What compares: the label and value as written, or with phase numbers masked.
    key: str = ""
    compared: str = ""


_BULLET_NAME = re.compile(r"^(?P<name>[^:—–]{1,60}?)(?::| [—–-]) +\S")


def _item_name(text: str) -> str:
    """The entity a bullet names first (``NAME — ...``, ``Name: ...``), or ''."""
    match = _BULLET_NAME.match(text)
    return match.group("name").strip() if match else ""


def _item_entries(items: Iterable[ListItem], prefix: str, out: list[_Entry]) -> None:
    for item in items:
        done = "" if item.done is None else ("[x] " if item.done else "[ ] ")
        name = _item_name(item.text) or item.text
        out.append(_Entry(f"{prefix}- {name}", done + item.text, item.line, f"item:{prefix}"))
        _item_entries(item.children, f"{prefix}{name} / ", out)


def _generic_entries(section: Section) -> list[_Entry]:
    """A section's own content as entries, each keyed by what identifies it."""
    entries: list[_Entry] = []
    for item in section.fields:
        entries.append(_Entry(item.label, item.value, item.line, "field"))
    for table in section.tables:
        header = table.header
        for row in table.rows:
            first = row.cells[0] if row.cells else row.key
            for index, cell in enumerate(row.cells[1:], start=1):
                column = header[index] if index < len(header) else f"#{index + 1}"
                entries.append(_Entry(f"{first} / {column}", cell, row.line, "cell"))
            entries.append(_Entry(first, " | ".join(row.cells), row.line, "row"))
    for listing in section.lists:
        _item_entries(listing.items, "", entries)
    for code in section.code:
        entries.append(_Entry(f"```{code.info}", code.text, code.line, "code"))
    spans = section.paragraph_spans
    for index, text in enumerate(section.paragraphs):
        line = spans[index].line if index < len(spans) else section.line
        entries.append(_Entry("text", text, line, "text"))
    for link in section.links:
        entries.append(_Entry(f"link [{link.text}]", link.target, link.line, "link"))
    return entries


def _keyed(entries: list[_Entry]) -> dict[str, _Entry]:
    """Entries by label; repeated labels (paragraphs, code blocks, links named alike) are
    told apart by their value, so moving them is no change."""
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.label] = counts.get(entry.label, 0) + 1
    keyed: dict[str, _Entry] = {}
    for entry in entries:
        label = entry.key or entry.label
        key = label if counts[entry.label] == 1 else f"{label}\x00{_compared(entry)}"
        keyed.setdefault(key, entry)
    return keyed


def _compared(entry: _Entry) -> str:
    return entry.compared or entry.value


_PHASE_REFERENCE = re.compile(r"(?i)\bphase[\s-]*\d[\w.]*")


def _without_phase_numbers(entries: list[_Entry]) -> list[_Entry]:
    return [
        replace(
            entry,
            key=_PHASE_REFERENCE.sub("Phase N", entry.label),
            compared=_PHASE_REFERENCE.sub("Phase N", entry.value),
            family=_PHASE_REFERENCE.sub("Phase N", entry.family),
        )
        for entry in entries
    ]


def _diff_section_content(
    out: _Emitter, before: Section, after: Section, *, phases: bool = False
) -> None:
    old_entries, new_entries = _generic_entries(before), _generic_entries(after)
    if phases:
        old_entries = _without_phase_numbers(old_entries)
        new_entries = _without_phase_numbers(new_entries)
    old, new = _keyed(old_entries), _keyed(new_entries)
    cells_of_rows = {
        _row_of(entry) for side in (old, new) for entry in side.values() if entry.family == "cell"
    }
    gone = [old[key] for key in sorted(old.keys() - new.keys())]
    came = [new[key] for key in sorted(new.keys() - old.keys())]
    changed: list[tuple[_Entry, _Entry]] = [
        (old[key], new[key])
        for key in sorted(old.keys() & new.keys())
        if normalise_key(_compared(old[key])) != normalise_key(_compared(new[key]))
    ]
    # A cell added or removed with its row is the row's change; a row whose cells
    # changed is reported by its cells.
    rows_gone = {e.label for e in gone if e.family == "row"}
    rows_came = {e.label for e in came if e.family == "row"}
    gone = [e for e in gone if not (e.family == "cell" and _row_of(e) in rows_gone)]
    came = [e for e in came if not (e.family == "cell" and _row_of(e) in rows_came)]
    changed = [(a, b) for a, b in changed if not (a.family == "row" and a.label in cells_of_rows)]
    for family in sorted({e.family for e in (*gone, *came)}):
        if family in ("cell", "row", "field"):
            continue
        old_family = [e for e in gone if e.family == family]
        new_family = [e for e in came if e.family == family]
        for a, b in _similar_pairs(
            old_family, new_family, lambda e: f"{e.key or e.label} {_compared(e)}"
        ):
            gone.remove(a)
            came.remove(b)
            changed.append((a, b))
    changed = [(a, b) for a, b in changed if _compared(a) != _compared(b)]
    # A link whose line changed otherwise says nothing the line's own entry does not.
    edited_lines = {b.line for _, b in changed if b.family != "link"}
    came_lines = {e.line for e in came if e.family != "link"}
    gone_lines = {e.line for e in gone if e.family != "link"}
    title = after.title
    for entry in gone:
        if entry.family == "link" and entry.line in gone_lines:
            continue
        out.emit(
            "generic-changed",
            Kind.REMOVED,
            title,
            _shown_label(entry),
            entry.value or None,
            None,
            line=entry.line,
            base_side=True,
        )
    for entry in came:
        if entry.family == "link" and (entry.line in came_lines or entry.line in edited_lines):
            continue
        out.emit(
            "generic-changed",
            Kind.ADDED,
            title,
            _shown_label(entry),
            None,
            entry.value or None,
            line=entry.line,
        )
    for a, b in sorted(changed, key=lambda pair: pair[1].line):
        before_value, after_value = a.value, b.value
        if before_value and after_value and len(before_value) + len(after_value) > 160:
            excerpt = _line_excerpt if a.family == "code" else _excerpt
            before_value, after_value = excerpt(before_value, after_value)
        out.emit(
            "generic-changed",
            Kind.CHANGED,
            title,
            _shown_label(b if b.family in ("field", "cell", "link") else a),
            before_value or None,
            after_value or None,
            line=b.line,
        )


def _row_of(entry: _Entry) -> str:
    return entry.label.rpartition(" / ")[0]


def _shown_label(entry: _Entry) -> str:
    return entry.label


def _diff_generic(
    out: _Emitter, old: Sequence[Section], new: Sequence[Section], *, phases: bool = False
) -> None:
    """Sections by identity, their generic content entry by entry.  Between phases a
    reference to a phase by number ("Modified from Phase 2" in phase 3) is the same
    as its predecessor's ("Modified from Phase 1" in phase 2)."""
    if old is new:
        return
    gone, came, common = _pairs(old, new, _section_key)
    # A typed section's arrival or departure is news only for its generic content, and
    # not at all when the whole document comes or goes (its typed changes say it all).
    for section in gone:
        if not section.kind or (has_content(section) and new):
            out.emit(
                "section-removed", Kind.REMOVED, section.title, line=section.line, base_side=True
            )
    for section in came:
        if not section.kind or (has_content(section) and old):
            out.emit("section-added", Kind.ADDED, section.title, line=section.line)
    for before, after in common:
        if before == after:
            continue
        _diff_section_content(out, before, after, phases=phases)


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def diff_documents(
    base: PhaseDocument,
    head: PhaseDocument,
    base_side: Side,
    head_side: Side,
    options: DiffOptions | None = None,
) -> Comparison:
    """One document at two revisions (or any two documents), compared entry by entry."""
    options = options or DiffOptions()
    out = _Emitter(options, base_side.path, head_side.path)
    _diff_overview(out, base, head, phases=False)
    _diff_whats_new(out, base, head)
    _diff_diagram(out, base.diagram, head.diagram)
    replaced = {
        component.key
        for component in base.components
        if any(component.key in normalise_key(text) for text in head.whats_new.deprecated)
    }
    _diff_components(out, base.components, head.components, options, {}, replaced)
    _diff_integration(out, base, head)
    _diff_common(out, base, head)
    _diff_deployment(out, base, head, phases=False)
    _diff_ports(out, base.deployment.ports, head.deployment.ports, {})
    _diff_metrics(out, base.metrics, head.metrics, {})
    _diff_env(out, base.env, head.env, {})
    _diff_config_files(out, base.config_files, head.config_files, {})
    _diff_limitations(out, base, head)
    _diff_success(out, base, head, phases=False)
    _diff_footer(out, base, head)
    return _comparison(out, base, head, base_side, head_side)


def _diff_common(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> None:
    """Sections compared the same way in both modes."""
    _diff_prose(out, "data_flow", base.data_flow, head.data_flow)
    _diff_prose(out, "security", base.security, head.security)
    _diff_named(out, "span", "span", base.traces.spans, head.traces.spans)
    _diff_named(out, "span", "attribute", base.traces.attributes, head.traces.attributes)
    _diff_named(out, "log", "stream", base.logs.streams, head.logs.streams)
    _diff_named(out, "log", "field", base.logs.fields, head.logs.fields)
    _diff_named(out, "dashboard", "dashboard", base.dashboards, head.dashboards)
    _diff_testing(out, base, head)
    _diff_rollback(out, base, head)
    _diff_references(out, base.references, head.references)
    _diff_generic(out, base.extra, head.extra)


def _diff_testing(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> None:
    old, new = base.testing, head.testing
    if old is new:
        return
    if old.coverage_target != new.coverage_target:
        out.emit(
            "coverage-target-changed",
            Kind.CHANGED,
            "coverage_target",
            None,
            old.coverage_target,
            new.coverage_target,
            line=new.line,
        )
    _diff_prose(
        out,
        "testing",
        Prose(old.text, old.items, old.line),
        Prose(new.text, new.items, new.line),
        skip=("coverage",),
    )


def diff_phases(
    base: Effective,
    head: Effective,
    base_side: Side,
    head_side: Side,
    options: DiffOptions | None = None,
    *,
    scope: str = "all",
) -> Comparison:
    """Phase A against phase B: effective architectures first, then the other sections.

    ``scope="architecture"`` stops after the architecture and the
    document-level facts; ``"all"`` (the default) then compares every other
    section with the section of the same identity in the other phase
    (``_diff_narrative``).
    """
    options = options or DiffOptions()
    out = _Emitter(options, base_side.path, head_side.path)
    base_doc, head_doc = base.document, head.document
    _diff_overview(out, base_doc, head_doc, phases=True)
    # A phase without a mermaid diagram carries the previous one (effective.py).
    _diff_carried_diagram(out, base, head)
    removals = {key: removal for key, removal in head.removals.items() if key in base.components}
    replaced = {key for key, removal in removals.items() if removal.replacement}
    _diff_components(
        out,
        list(base.components.values()),
        list(head.components.values()),
        options,
        removals,
        replaced,
        head.phase,
    )
    _diff_deployment(out, base_doc, head_doc, phases=True)
    _diff_ports(out, base.ports.values(), head.ports.values(), head.owner_notes)
    _diff_metrics(out, base.metrics.values(), head.metrics.values(), head.owner_notes)
    _diff_named(out, "span", "span", base.spans.values(), head.spans.values())
    _diff_named(out, "span", "attribute", base.attributes.values(), head.attributes.values())
    _diff_named(out, "log", "stream", base.streams.values(), head.streams.values())
    _diff_named(out, "log", "field", base.log_fields.values(), head.log_fields.values())
    _diff_named(out, "dashboard", "dashboard", base.dashboards.values(), head.dashboards.values())
    _diff_env(out, base.env.values(), head.env.values(), head.owner_notes)
    _diff_config_files(
        out, base.config_files.values(), head.config_files.values(), head.owner_notes
    )
    _diff_rollback_time(out, base_doc, head_doc)
    _diff_success(out, base_doc, head_doc, phases=True)
    _drop_foreign_lines(out, base_doc, head_doc)
    _note_carried_over(out, head)
    note = ""
    if scope == "all":
        first = len(out.changes)
        compared = _diff_narrative(out, base_doc, head_doc)
        # Phase N-1's news not listed as new again in phase N is history, not a removal.
        for index in range(first, len(out.changes)):
            change = out.changes[index]
            if change.section == "whats_new" and change.kind is Kind.REMOVED and not change.note:
                out.changes[index] = replace(change, note=f"new in phase {base.phase}")
        if not base.components and not head.components:
            note = (
                f"neither document names components; compared {compared} "
                f"section{'' if compared == 1 else 's'} by title"
            )
    comparison = _comparison(
        out, base_doc, head_doc, base_side, head_side, diagrams=(base.diagram, head.diagram)
    )
    # Two documents' parse notes: each names its own document.
    notes = tuple(replace(d, path=base_side.path) for d in base_doc.diagnostics)
    notes += tuple(replace(d, path=head_side.path) for d in head_doc.diagnostics)
    return replace(comparison, diagnostics=notes, scope=scope, note=note)


def _note_carried_over(out: _Emitter, head: Effective) -> None:
    """Say so when what a change shows of the head phase was stated in an earlier phase.

    Comparing phase 2 with phase 4, Tempo added in phase 3 and not restated
    in phase 4 reads ``Component Tempo added (carried over from phase 3)``.
    """
    names: dict[tuple[str, str], str] = {}
    for section, entities in (
        ("components", head.components.values()),
        ("metrics", head.metrics.values()),
        ("env", head.env.values()),
        ("config_files", head.config_files.values()),
    ):
        for entity in entities:
            origin = head.origins.get(f"{section}:{entity.key}")
            if origin is not None and origin != head.phase:
                names[(section, entity.name)] = origin
    if not names:
        return
    for index, change in enumerate(out.changes):
        origin = names.get((change.section, change.key))
        if origin is not None and change.kind is not Kind.REMOVED and not change.note:
            out.changes[index] = replace(change, note=f"carried over from phase {origin}")


# -- the rest of two phase documents ------------------------------------------


def _item_count(value: Any) -> int:
    """How many entries a typed narrative part holds (0: the document has no such section)."""
    if isinstance(value, Prose):
        return len(value.items) + (1 if value.text else 0)
    if isinstance(value, (list, tuple)):
        return len(value)
    return 0


def _section_size(section: Section) -> dict[str, int]:
    """A generic section's size: its entries (fields, rows, items, code, paragraphs) and lines."""
    items = 0
    for current in [section, *section.children]:
        items += len(current.fields) + len(current.code) + len(current.paragraphs)
        items += sum(len(table.rows) for table in current.tables)
        items += sum(len(listing.items) for listing in current.lists)
        if current is not section:
            items += sum(_section_size(child)["items"] for child in current.children)
    size = {"items": items}
    if section.end_line >= section.line > 0:
        size["lines"] = section.end_line - section.line + 1
    return size


def _narrative_parts(
    doc: PhaseDocument,
) -> dict[str, int]:
    """Each typed section outside the architecture, by its section name, and its size."""
    deployment = doc.deployment
    return {
        "overview": (1 if doc.overview.summary else 0) + (1 if doc.overview.name else 0),
        "whats_new": _item_count(doc.whats_new.items)
        + _item_count(doc.whats_new.key_differences)
        + _item_count(doc.whats_new.deprecated),
        "integration": _item_count(doc.integration.retained)
        + _item_count(doc.integration.modified)
        + _item_count(doc.integration.migration_steps),
        "data_flow": _item_count(doc.data_flow),
        "security": _item_count(doc.security),
        "deployment": sum(
            len(getattr(deployment, name))
            for name in ("compute", "network", "storage", "redundancy", "disaster_recovery")
        ),
        "testing": _item_count(doc.testing.items) + (1 if doc.testing.text else 0),
        "rollback": _item_count(doc.rollback.steps) + _item_count(doc.rollback.triggers),
        "limitations": _item_count(doc.limitations.current + doc.limitations.future),
        "success_criteria": _item_count(doc.success_criteria.items),
        "references": _item_count(doc.references),
    }


def _diff_narrative(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> int:
    """Every section outside the architecture against the same section of the other phase.

    Item by item where both documents have the section; a section only one
    of them has is one ``phase-section-added``/``-removed`` record with its
    size.  The document footer (version, last updated, authors) describes
    each file, not the platform, and is not compared.  Returns how many
    sections were compared.
    """
    comparators: dict[str, Callable[[], None]] = {
        "overview": lambda: _diff_phase_overview(out, base, head),
        "whats_new": lambda: _diff_whats_new(out, base, head),
        "integration": lambda: _diff_integration(out, base, head),
        "data_flow": lambda: _diff_prose(out, "data_flow", base.data_flow, head.data_flow),
        "security": lambda: _diff_prose(out, "security", base.security, head.security),
        "deployment": lambda: _diff_deployment_notes(out, base.deployment, head.deployment),
        "testing": lambda: _diff_testing(out, base, head),
        "rollback": lambda: _diff_rollback_plan(out, base, head),
        "limitations": lambda: _diff_limitations(out, base, head),
        # Each phase sets and ticks its own criteria: only the texts compare (progress is a
        # fact above), and a criterion of the base phase the head does not list is no warning.
        "success_criteria": lambda: _diff_checklist(
            out,
            base.success_criteria.items,
            head.success_criteria.items,
            added="criterion-added",
            removed="criterion-not-carried",
            checked="criterion-met",
            edited="criterion-edited",
            compare_done=False,
        ),
        "references": lambda: _diff_references(out, base.references, head.references),
    }
    old_sizes, new_sizes = _narrative_parts(base), _narrative_parts(head)
    compared = 0
    for name, compare in comparators.items():
        before, after = old_sizes[name], new_sizes[name]
        if before and after:
            compare()
        elif before or after:
            _emit_phase_section(out, name, SECTION_TITLES[name], before, after, {})
        # The phase name comes from the title line: the overview is a section when it has prose.
        if name != "overview" or base.overview.summary or head.overview.summary:
            compared += 1 if before or after else 0
    generic = _Emitter(out.options, out.base_path, out.head_path)
    _diff_generic(generic, base.extra, head.extra, phases=True)
    old_extra = {normalise_key(s.title): s for s in base.extra}
    new_extra = {normalise_key(s.title): s for s in head.extra}
    for change in generic.changes:
        if change.rule in ("section-added", "section-removed"):
            added = change.rule == "section-added"
            section = (new_extra if added else old_extra).get(normalise_key(change.key))
            size = _section_size(section) if section is not None else {}
            _emit_phase_section(
                out,
                "document",
                change.key,
                0 if added else size.get("items", 1),
                size.get("items", 1) if added else 0,
                size,
                line=change.line,
            )
        else:
            out.changes.append(change)
    compared += len(old_extra.keys() | new_extra.keys())
    return compared


def _emit_phase_section(
    out: _Emitter,
    section: str,
    title: str,
    before: int,
    after: int,
    size: Mapping[str, int],
    *,
    line: int = 0,
) -> None:
    value = dict(size) or {"items": before or after}
    if after:
        out.emit("phase-section-added", Kind.ADDED, title, new=value, line=line, section=section)
    else:
        out.emit(
            "phase-section-removed",
            Kind.REMOVED,
            title,
            old=value,
            line=line,
            base_side=True,
            section=section,
        )


def _diff_phase_overview(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> None:
    """The overview's prose and the phase's name (status and dates are compared as facts)."""
    old, new = base.overview, head.overview
    if old.name != new.name:
        out.emit(
            "phase-name-changed", Kind.CHANGED, "name", None, old.name, new.name, line=new.line
        )
    if old.summary != new.summary:
        before, after = _excerpt(old.summary, new.summary)
        out.emit("summary-changed", Kind.CHANGED, "summary", None, before, after, line=new.line)


def _diff_limitations(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> None:
    _diff_checklist(
        out,
        base.limitations.current + base.limitations.future,
        head.limitations.current + head.limitations.future,
        added="limitation-added",
        removed="limitation-removed",
        checked="limitation-resolved",
        edited="limitation-edited",
    )


def _diff_deployment_notes(out: _Emitter, old: Deployment, new: Deployment) -> None:
    for attribute in ("compute", "network", "storage", "redundancy", "disaster_recovery"):
        _diff_labelled(
            out,
            "deployment-changed",
            attribute,
            getattr(old, attribute),
            getattr(new, attribute),
            (old.line, new.line),
            skip=_DEPLOYMENT_FACTS,
        )


def _diff_carried_diagram(out: _Emitter, base: Effective, head: Effective) -> None:
    """The two phases' diagrams; one a phase carries over says so, and has no line here.

    Phase 3 drawing no diagram compares as phase 2's drawing: each change says
    whose drawing it is, and a line of phase 2's file never points into phase 3's.
    """
    start = len(out.changes)
    _diff_diagram(out, base.diagram, head.diagram, phases=True)
    if base.diagram_phase == base.phase:
        return
    note = f"phase {base.phase} draws no diagram: phase {base.diagram_phase}'s carried over"
    out.changes[start:] = [
        replace(c, note=c.note or note, line=0 if c.path == out.base_path else c.line)
        for c in out.changes[start:]
    ]


def _documented(doc: PhaseDocument) -> set[tuple[str, str]]:
    """(section, key) of the entities this very document writes down."""
    keys = {("components", normalise_key(c.name)) for c in doc.components}
    keys |= {("metrics", m.key) for m in doc.metrics}
    keys |= {("env", e.key) for e in doc.env}
    keys |= {("config_files", c.key) for c in doc.config_files}
    keys |= {("deployment", normalise_key(p.key)) for p in doc.deployment.ports}
    keys |= {("deployment", f"{p.number}/tcp") for p in doc.deployment.ports if not p.protocol}
    for section, items in (
        ("traces", doc.traces.spans + doc.traces.attributes),
        ("logs", doc.logs.streams + doc.logs.fields),
        ("dashboards", doc.dashboards),
    ):
        keys |= {(section, i.key) for i in items}
    return keys


def _drop_foreign_lines(out: _Emitter, base: PhaseDocument, head: PhaseDocument) -> None:
    """An entity carried over from an earlier phase has no line in these two documents.

    Its record keeps its key but loses the line (which belongs to another
    phase's file), so an annotation never points at the wrong document.
    """
    documented = {out.base_path: _documented(base), out.head_path: _documented(head)}
    typed = {"components", "metrics", "env", "config_files", "traces", "logs", "dashboards"}
    for index, change in enumerate(out.changes):
        is_port = change.rule.startswith("port-")
        if change.section not in typed and not is_port:
            continue
        if (change.section, normalise_key(change.key)) not in documented.get(change.path, set()):
            out.changes[index] = replace(change, line=0)


def _comparison(
    out: _Emitter,
    base: PhaseDocument,
    head: PhaseDocument,
    base_side: Side,
    head_side: Side,
    diagrams: tuple[Diagram, Diagram] | None = None,
) -> Comparison:
    base_diagram, head_diagram = diagrams or (base.diagram, head.diagram)
    return Comparison(
        base=base_side,
        head=head_side,
        changes=sort_changes(out.changes),
        base_diagram=base_diagram,
        head_diagram=head_diagram,
        diagnostics=head.diagnostics,
    )


def changes_digest(comparison: Comparison) -> str:
    """A stable text of the changes alone (for caches and tests)."""
    return json.dumps(
        [
            [
                c.section,
                c.kind.value,
                c.key,
                c.field,
                c.old,
                c.new,
                c.severity.value,
                c.rule,
                c.note,
            ]
            for c in comparison.changes
        ],
        ensure_ascii=False,
        sort_keys=True,
    )
