"""The effective architecture of each phase (DESIGN.md, "What phase 2 vs phase 3 means").

A phase document details what is new or modified; what carries over is named
under "Retained", drawn in the diagram, or not mentioned at all.  So phase N's
architecture is phase N-1's, plus what N documents, minus what N deprecates,
removes or replaces - and what belonged to a removed component (its metrics,
env vars, config files and ports) leaves with it.  Tables work the same way:
an entry absent from the next phase's table has carried over, not gone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from phasediff.model import (
    Component,
    ConfigFile,
    Diagram,
    EnvVar,
    Legend,
    Metric,
    NamedItem,
    PhaseDocument,
    Port,
)
from phasediff.text import names, normalise_key, plain

# Words too common in product names to tie a metric or env var to one component.
_GENERIC_WORDS = frozenset(
    {
        "grafana",
        "apache",
        "open",
        "the",
        "service",
        "server",
        "agent",
        "collector",
        "exporter",
        "stack",
        "cluster",
        "gateway",
        "proxy",
        "store",
        "storage",
        "database",
        "engine",
        "cloud",
    }
)


@dataclass(frozen=True)
class Removal:
    """Why a component left the architecture, and in which phase."""

    rule: str  # component-removed or component-removed-undeclared
    note: str
    phase: str
    replacement: str | None = None


@dataclass
class Effective:
    """One phase's effective architecture: its document plus everything carried over."""

    phase: str
    document: PhaseDocument
    components: dict[str, Component] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    env: dict[str, EnvVar] = field(default_factory=dict)
    config_files: dict[str, ConfigFile] = field(default_factory=dict)
    ports: dict[str, Port] = field(default_factory=dict)
    spans: dict[str, NamedItem] = field(default_factory=dict)
    attributes: dict[str, NamedItem] = field(default_factory=dict)
    streams: dict[str, NamedItem] = field(default_factory=dict)
    log_fields: dict[str, NamedItem] = field(default_factory=dict)
    dashboards: dict[str, NamedItem] = field(default_factory=dict)
    removals: dict[str, Removal] = field(default_factory=dict)
    owner_notes: dict[str, str] = field(default_factory=dict)
    #: ``section:key`` -> the phase whose document last stated the entity (components,
    #: metrics, env vars, config files), so a comparison can say what carried over.
    origins: dict[str, str] = field(default_factory=dict)
    diagram: Diagram = field(default_factory=Diagram)
    diagram_phase: str = ""  # the phase that drew ``diagram``


def port_match_key(port: Port) -> str:
    """A port without a protocol matches the same number over TCP."""
    return f"{port.number}/{port.protocol or 'tcp'}"


def mentions(text: str, component: Component) -> bool:
    """Does ``text`` name ``component`` (as whole words, any case or emphasis)?"""
    return names(text, component.key) or names(text, component.name)


_REPLACED = re.compile(
    r"^(?P<subject>.*?)[\s:(—–-]*\b(?:replaced|superseded|succeeded|migrated|moved)\s+(?:by|to|with)\s+"
    r"(?P<replacement>[^)]*?)\)?\s*\.?$",
    re.IGNORECASE,
)
_ARROW = re.compile(r"^(?P<subject>.*?)\s*(?:→|->|=>)\s*(?P<replacement>.+)$")


def split_deprecation(text: str) -> tuple[str, str | None, str]:
    """``Promtail: replaced by Grafana Alloy`` -> (subject, replacement, note)."""
    for pattern in (_REPLACED, _ARROW):
        match = pattern.match(text)
        if match:
            replacement = match.group("replacement").strip(" .")
            return match.group("subject"), replacement or None, f"replaced by {replacement}"
    subject, _, reason = text.partition(":")
    if not reason:
        subject, _, reason = text.partition(" - ")
    return subject, None, reason.strip()


def _prefixes(component: Component) -> set[str]:
    words = re.findall(r"[a-z0-9]+", component.key)
    if not words:
        return set()
    prefixes = {"_".join(words), "".join(words)}
    prefixes.update(word for word in words if len(word) >= 4 and word not in _GENERIC_WORDS)
    return prefixes


def _exposed_ports(component: Component) -> list[Port]:
    ports: list[Port] = []
    for entry in component.exposes:
        for number, protocol in re.findall(r"(?<![\d.])(\d{2,5})(?:/(tcp|udp))?(?![\d.%])", entry):
            if 1 <= int(number) <= 65535:
                proto = protocol.casefold() or None
                key = f"{number}/{proto}" if proto else number
                ports.append(
                    Port(
                        key=key,
                        number=int(number),
                        protocol=proto,
                        description=component.name,
                        line=component.line,
                    )
                )
    return ports


def owns_metric(component: Component, metric: Metric) -> bool:
    if metric.component and mentions(metric.component, component):
        return True
    return any(metric.key.startswith(prefix + "_") for prefix in _prefixes(component))


def owns_env(component: Component, var: EnvVar) -> bool:
    return any(var.key.startswith(prefix + "_") for prefix in _prefixes(component))


def owns_config_file(component: Component, item: ConfigFile) -> bool:
    stem = item.key.rsplit("/", 1)[-1]
    if any(
        re.search(rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])", stem) for p in _prefixes(component)
    ):
        return True
    if component.configuration is not None:
        dumped = json.dumps(component.configuration, default=str).casefold()
        return stem in dumped
    return False


def owns_port(component: Component, port: Port) -> bool:
    if any(p.number == port.number for p in _exposed_ports(component)):
        return True
    return bool(port.description) and mentions(port.description, component)


def _deprecated(
    doc: PhaseDocument, components: dict[str, Component]
) -> dict[str, tuple[str, str | None]]:
    """Previous components this document deprecates or replaces: key -> (note, replacement)."""
    found: dict[str, tuple[str, str | None]] = {}
    for text in doc.whats_new.deprecated:
        subject, replacement, note = split_deprecation(text)
        for key, component in components.items():
            if mentions(subject, component):
                found.setdefault(key, (note or "deprecated", replacement))
    for node in doc.diagram.nodes:
        if node.legend is Legend.DEPRECATED:
            for key, component in components.items():
                if mentions(node.label, component):
                    found.setdefault(key, ("drawn as deprecated in the diagram", None))
    for new in doc.components:
        for label, value in new.extra:
            if label in ("replaces", "supersedes"):
                for key, component in components.items():
                    if mentions(value, component) and key != new.key:
                        found[key] = (f"replaced by {new.name}", new.name)
    return found


RENAME_LABELS = ("renamed from", "formerly", "previously")


def declared_renames(components: Iterable[Component], renames: Mapping[str, str]) -> dict[str, str]:
    """old key -> new key, from ``[tool.phasediff.renames]`` and ``**Renamed from:**`` fields."""
    declared = {normalise_key(old): normalise_key(new) for old, new in renames.items()}
    for component in components:
        for label, value in component.extra:
            if label in RENAME_LABELS:
                declared[normalise_key(value)] = component.key
    return declared


def _retained(doc: PhaseDocument, components: dict[str, Component]) -> set[str]:
    """Previous components this document keeps: retained, modified, or drawn (not deprecated)."""
    kept: set[str] = set()
    texts = [item.name for item in doc.integration.retained]
    texts += [item.component for item in doc.integration.modified]
    texts += [n.label for n in doc.diagram.nodes if n.legend is not Legend.DEPRECATED]
    keys = {item.key for item in doc.integration.retained}
    keys |= {item.key for item in doc.integration.modified}
    for key, component in components.items():
        if key in keys or any(mentions(text, component) for text in texts):
            kept.add(key)
    return kept


# "unchanged", "same as Phase 2", "as before", "no change" - optionally restating the old
# value in parentheses: the phase says the previous value carries over.
_CARRIED = re.compile(
    r"^(?:unchanged|not changed|no changes?|same|as before|as in phase\s*[\w.]+|"
    r"same as (?:before|(?:in )?phase\s*[\w.]+|(?:the )?previous(?: phase)?|phase\s*[\w.]+))"
    r"(?:\s*\(.*\))?[\s.!]*$",
    re.IGNORECASE,
)


def carries_previous(value: Any) -> bool:
    """Does a stated value only say "as in the previous phase" (``unchanged (:3100 HTTP)``)?"""
    return isinstance(value, str) and bool(_CARRIED.match(plain(value).strip()))


def merge_configuration(previous: Any, stated: Any) -> Any:
    """``stated`` YAML deep-merged over ``previous``: a key the phase does not mention carries over.

    Mappings merge key by key; any other value replaces the old one, except a
    value that only says "unchanged" / "same as Phase 2", which keeps it.
    """
    if stated is None or carries_previous(stated):
        return previous
    if isinstance(previous, dict) and isinstance(stated, dict):
        merged = dict(previous)
        for key, value in stated.items():
            merged[key] = (
                merge_configuration(previous.get(key), value) if key in previous else value
            )
        return merged
    return stated


def label_of(text: str) -> str:
    """The label of an operational note or a field (``Scaling: ...`` -> ``scaling``), or ``""``."""
    head, sep, _ = plain(text).partition(":")
    return normalise_key(head) if sep and 0 < len(head) <= 40 else ""


def _note_value(text: str) -> str:
    return plain(text).partition(":")[2].strip()


def _overlay_labelled(previous: Sequence[str], stated: Sequence[str]) -> tuple[str, ...]:
    """Labelled notes replace the previous note of their label; unlabelled ones are added."""
    if not stated:
        return tuple(previous)
    by_label = {label_of(text): text for text in previous if label_of(text)}
    result = {normalise_key(text): text for text in previous}
    for text in stated:
        label = label_of(text)
        if label and carries_previous(_note_value(text)) and label in by_label:
            continue
        if label and label in by_label:
            del result[normalise_key(by_label[label])]
        result[normalise_key(text)] = text
    return tuple(sorted(result.values(), key=normalise_key))


def _overlay_list(previous: Sequence[str], stated: Sequence[str]) -> tuple[str, ...]:
    """A restated list replaces the old one; an "unchanged" entry stands for the old entries."""
    if not stated:
        return tuple(previous)
    result: dict[str, str] = {}
    for text in stated:
        if carries_previous(text):
            result.update((normalise_key(old), old) for old in previous)
        else:
            result[normalise_key(text)] = text
    return tuple(sorted(result.values(), key=str.casefold))


def _overlay_text(previous: str | None, stated: str | None) -> str | None:
    return previous if stated is None or carries_previous(stated) else stated


def overlay_component(previous: Component, stated: Component) -> Component:
    """A carried-over component as a phase restates it: what it states replaces only that.

    Unstated fields keep the previous phase's values; YAML configuration is
    deep-merged; list fields are replaced when restated (an ``unchanged``
    entry keeps the old entries); operational notes and other fields replace
    those of the same label.
    """
    extra = dict(previous.extra)
    for label, value in stated.extra:
        if not carries_previous(value):
            extra[label] = value
    return replace(
        stated,
        purpose=_overlay_text(previous.purpose, stated.purpose),
        technology=_overlay_text(previous.technology, stated.technology),
        configuration=merge_configuration(previous.configuration, stated.configuration),
        connects_to=_overlay_list(previous.connects_to, stated.connects_to),
        exposes=_overlay_list(previous.exposes, stated.exposes),
        depends_on=_overlay_list(previous.depends_on, stated.depends_on),
        operational=_overlay_labelled(previous.operational, stated.operational),
        extra=tuple(sorted(extra.items())),
    )


def _with_ports(doc: PhaseDocument) -> Iterable[Port]:
    yield from doc.deployment.ports
    for component in doc.components:
        yield from _exposed_ports(component)


def next_effective(
    previous: Effective | None,
    phase: str,
    doc: PhaseDocument,
    renames: Mapping[str, str] = MappingProxyType({}),
) -> Effective:
    """Phase ``phase``'s effective architecture from the previous phase's and its document.

    A component the document declares renamed (``**Renamed from:**``, or the
    project's renames) leaves under its old name without a removal: the diff
    then pairs the two names as one rename.
    """
    state = Effective(phase=phase, document=doc)
    if previous is not None:
        state.components = dict(previous.components)
        state.metrics = dict(previous.metrics)
        state.env = dict(previous.env)
        state.config_files = dict(previous.config_files)
        state.ports = dict(previous.ports)
        state.spans = dict(previous.spans)
        state.attributes = dict(previous.attributes)
        state.streams = dict(previous.streams)
        state.log_fields = dict(previous.log_fields)
        state.dashboards = dict(previous.dashboards)
        state.removals = dict(previous.removals)
        state.owner_notes = dict(previous.owner_notes)
        state.origins = dict(previous.origins)
    documented = {component.key: component for component in doc.components}
    renamed_from: dict[str, Component] = {}
    for old_key, new_key in declared_renames(doc.components, renames).items():
        if old_key in state.components and new_key in documented and old_key != new_key:
            renamed_from[new_key] = state.components.pop(old_key)
    deprecated = _deprecated(doc, state.components)
    retained = _retained(doc, state.components)
    # Only a document that lists what it retains makes silence about a component meaningful.
    declares_carry_over = bool(doc.integration.retained)
    removed: list[tuple[Component, Removal]] = []
    for key, component in list(state.components.items()):
        if key in deprecated:
            note, replacement = deprecated[key]
            removed.append((component, Removal("component-removed", note, phase, replacement)))
        elif key in documented or key in retained:
            continue
        elif declares_carry_over:
            note = f"not retained, deprecated or replaced in phase {phase}"
            removed.append((component, Removal("component-removed-undeclared", note, phase)))
    for component, removal in removed:
        del state.components[component.key]
        state.removals[component.key] = removal
        _drop_owned(state, component, removal)
    for key, component in documented.items():
        if key not in deprecated:
            carried = state.components.get(key) or renamed_from.get(key)
            state.components[key] = (
                component if carried is None else overlay_component(carried, component)
            )
            state.removals.pop(key, None)
    for section, keys in (
        ("components", [key for key in documented if key not in deprecated]),
        ("metrics", [m.key for m in doc.metrics]),
        ("env", [e.key for e in doc.env]),
        ("config_files", [c.key for c in doc.config_files]),
    ):
        state.origins.update((f"{section}:{key}", phase) for key in keys)
    state.metrics.update((m.key, m) for m in doc.metrics)
    state.env.update((e.key, e) for e in doc.env)
    state.config_files.update((c.key, c) for c in doc.config_files)
    state.spans.update((i.key, i) for i in doc.traces.spans)
    state.attributes.update((i.key, i) for i in doc.traces.attributes)
    state.streams.update((i.key, i) for i in doc.logs.streams)
    state.log_fields.update((i.key, i) for i in doc.logs.fields)
    state.dashboards.update((i.key, i) for i in doc.dashboards)
    for port in doc.deployment.closed_ports:
        if state.ports.pop(port_match_key(port), None) is not None:
            state.owner_notes.setdefault(port_match_key(port), f"closed in phase {phase}")
    for port in _with_ports(doc):
        state.ports.setdefault(port_match_key(port), port)
    state.diagram, state.diagram_phase = _carried_diagram(previous, phase, doc)
    return state


def _carried_diagram(
    previous: Effective | None, phase: str, doc: PhaseDocument
) -> tuple[Diagram, str]:
    """The phase's diagram: its own mermaid drawing, else the previous phase's.

    A phase that draws no diagram, or draws it as text, has not removed every
    node of the last one: the architecture it shows is still that one.
    """
    if doc.diagram.nodes or previous is None or not previous.diagram.nodes:
        return doc.diagram, phase
    return previous.diagram, previous.diagram_phase


def _drop_owned(state: Effective, component: Component, removal: Removal) -> None:
    """What belonged to a removed component leaves with it; the record says why."""
    note = f"belonged to {component.name}"
    if removal.replacement:
        note += f", replaced by {removal.replacement}"
    for key, metric in list(state.metrics.items()):
        if owns_metric(component, metric):
            del state.metrics[key]
            state.owner_notes[key] = note
    for key, var in list(state.env.items()):
        if owns_env(component, var):
            del state.env[key]
            state.owner_notes[key] = note
    for key, item in list(state.config_files.items()):
        if owns_config_file(component, item):
            del state.config_files[key]
            state.owner_notes[key] = note
    for key, port in list(state.ports.items()):
        if owns_port(component, port):
            del state.ports[key]
            state.owner_notes[key] = note


def effective_architectures(
    documents: Sequence[tuple[str, PhaseDocument]],
    renames: Mapping[str, str] = MappingProxyType({}),
) -> list[Effective]:
    """Each phase's effective architecture, for documents given in phase order."""
    result: list[Effective] = []
    previous: Effective | None = None
    for phase, doc in documents:
        previous = next_effective(previous, phase, doc, renames)
        result.append(previous)
    return result
