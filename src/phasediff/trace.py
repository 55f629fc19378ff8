"""The history of one entity across phases and commits (``phasediff trace``).

Two views of one thing, say the component Loki or port 4317:

* per phase, in the effective architecture (DESIGN.md): whether the phase
  brings it (``new``), restates it with other values (``modified``), carries
  it over (``retained``), drops it (``removed``, ``replaced``), or never had
  it (``not mentioned``), and the values it has there;
* per commit, from the cached history walk (``history.walk_history``): every
  change of a phase document that touched it, with the commit's author, date
  and subject.  A warm walk reads no document, so a trace costs what reading
  the cache costs, plus the effective architectures at one revision.

The entity is named ``KIND:NAME`` (``port:4317``, ``env:LOKI_RETENTION_PERIOD``,
``metric:promtail_sent_entries_total``, ``config:loki-config.yaml``) or by a
bare name, which is looked up among components first, then every other kind.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from phasediff.changes import Change
from phasediff.errors import PhasediffError
from phasediff.history import Commit, walk_history
from phasediff.text import normalise_key
from phasediff.textconv import flatten

if TYPE_CHECKING:
    from phasediff.effective import Effective
    from phasediff.history import Skipped
    from phasediff.project import Project


class UnknownEntityError(PhasediffError):
    """An entity that no phase and no commit mentions (exit 3, like an unknown phase)."""


@dataclass(frozen=True)
class Kind:
    """A kind of entity: its name in ``KIND:NAME``, its change section, where phases keep it."""

    name: str
    title: str
    section: str
    entities: Callable[[Effective], Mapping[str, Any]]
    stated: Callable[[Effective], Iterable[Any]]


def _ports_stated(state: Effective) -> Iterable[Any]:
    return state.document.deployment.ports


KINDS: tuple[Kind, ...] = (
    Kind(
        "component",
        "Component",
        "components",
        lambda s: s.components,
        lambda s: s.document.components,
    ),
    Kind("port", "Port", "deployment", lambda s: s.ports, _ports_stated),
    Kind("env", "Env var", "env", lambda s: s.env, lambda s: s.document.env),
    Kind("metric", "Metric", "metrics", lambda s: s.metrics, lambda s: s.document.metrics),
    Kind(
        "config",
        "Config file",
        "config_files",
        lambda s: s.config_files,
        lambda s: s.document.config_files,
    ),
    Kind("span", "Span", "traces", lambda s: s.spans, lambda s: s.document.traces.spans),
    Kind(
        "dashboard",
        "Dashboard",
        "dashboards",
        lambda s: s.dashboards,
        lambda s: s.document.dashboards,
    ),
)
_KIND_NAMES = {kind.name: kind for kind in KINDS}
_ALIASES = {"config_file": "config", "configfile": "config", "var": "env", "component": "component"}

#: Per-phase states, in the words of the template's legend (plus what it lacks).
NEW, MODIFIED, RETAINED, REPLACED, REMOVED, ABSENT = (
    "new",
    "modified",
    "retained",
    "replaced",
    "removed",
    "not mentioned",
)
STATES = (NEW, MODIFIED, RETAINED, REPLACED, REMOVED, ABSENT)


@dataclass(frozen=True)
class Target:
    """What to trace: a kind and the entity's identity key (normalised)."""

    kind: Kind
    key: str
    name: str  # as the user wrote it, or as a document spells it once found


@dataclass(frozen=True)
class PhasePresence:
    """The entity in one phase's effective architecture."""

    phase: str
    name: str | None  # the phase's name (``Distributed Tracing``)
    state: str  # one of STATES
    note: str  # why it left, or where it came from
    values: tuple[tuple[str, str], ...]  # (field path, value) where it exists
    #: The paths of ``values`` that differ from the previous phase, and those it no longer has.
    changed: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class TraceCommit:
    """One commit that changed the entity in one phase document."""

    commit: Commit
    phase: str
    path: str | None
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Trace:
    target: Target
    rev: str
    phases: tuple[PhasePresence, ...]
    commits: tuple[TraceCommit, ...]  # oldest first
    skipped: tuple[Skipped, ...] = ()


def parse_target(text: str) -> tuple[Kind | None, str]:
    """``port:4317`` -> (port kind, ``4317``); a bare name -> (None, name)."""
    prefix, sep, rest = text.partition(":")
    name = _ALIASES.get(prefix.strip().casefold(), prefix.strip().casefold())
    if sep and name in _KIND_NAMES and rest.strip():
        return _KIND_NAMES[name], rest.strip()
    return None, text.strip()


def _matches(kind: Kind, wanted: str, key: str) -> bool:
    """Does the entity key ``key`` name ``wanted``? A port matches by number or number/protocol."""
    if kind.name == "port":
        number, _, protocol = wanted.partition("/")
        own_number, _, own_protocol = key.partition("/")
        return number == own_number and (not protocol or protocol == (own_protocol or "tcp"))
    return normalise_key(key) == wanted


def build_trace(project: Project, text: str, until: str = "HEAD") -> Trace:
    """The trace of the entity ``text`` (``KIND:NAME`` or a bare name) up to ``until``."""
    kind, name = parse_target(text)
    wanted = normalise_key(name)
    refs = project.refs(until)
    states = [project.effective(ref.phase, until) for ref in refs]
    history = walk_history(project, until=until)
    kinds = [kind] if kind is not None else list(KINDS)
    chosen: Kind | None = None
    for candidate in kinds:
        if _known(candidate, wanted, states, history.entries):
            chosen = candidate
            break
    if chosen is None:
        raise UnknownEntityError(_unknown_message(text, kind, states, history.entries))
    target = Target(chosen, wanted, _spelling(chosen, wanted, states) or name)
    phases = tuple(presence(target, states, index) for index in range(len(states)))
    commits = [
        TraceCommit(entry.commit, document.phase, document.comparison.head.path, changes)
        for entry in reversed(history.entries)
        for document in entry.documents
        if (changes := _changes_of(target, document.comparison.changes))
    ]
    return Trace(target, until, phases, tuple(commits), history.skipped)


def _changes_of(target: Target, changes: Iterable[Change]) -> tuple[Change, ...]:
    found = []
    for change in changes:
        if change.section != target.kind.section:
            continue
        keys = [change.key]
        if change.kind.value == "renamed":
            keys += [str(change.old), str(change.new)]
        if any(_matches(target.kind, target.key, normalise_key(key)) for key in keys):
            found.append(change)
    return tuple(found)


def _find(kind: Kind, wanted: str, entities: Mapping[str, Any]) -> tuple[str, Any] | None:
    for key, value in entities.items():
        if _matches(kind, wanted, key):
            return key, value
    return None


def _known(kind: Kind, wanted: str, states: Sequence[Effective], entries: Iterable[Any]) -> bool:
    target = Target(kind, wanted, wanted)
    if any(_find(kind, wanted, kind.entities(state)) for state in states):
        return True
    if any(_matching_removal(target, state) for state in states):
        return True
    return any(
        _changes_of(target, document.comparison.changes)
        for entry in entries
        for document in entry.documents
    )


def _spelling(kind: Kind, wanted: str, states: Sequence[Effective]) -> str | None:
    for state in states:
        found = _find(kind, wanted, kind.entities(state))
        if found is not None:
            return _display(found[1]) or found[0]
    return None


def _display(value: Any) -> str | None:
    name = getattr(value, "name", None)
    if isinstance(name, str) and name:
        return name
    key = getattr(value, "key", None)
    return key if isinstance(key, str) else None


def _matching_removal(target: Target, state: Effective) -> str | None:
    """Why ``target`` left in ``state``'s phase (a component's removal or an owner's note)."""
    if target.kind.name == "component":
        removal = state.removals.get(target.key)
        if removal is not None and removal.phase == state.phase:
            return removal.note
        return None
    for key, note in state.owner_notes.items():
        if _matches(target.kind, target.key, key):
            return note
    return None


def presence(target: Target, states: Sequence[Effective], index: int) -> PhasePresence:
    state = states[index]
    previous = states[index - 1] if index else None
    kind = target.kind
    name = state.document.overview.name
    here = _find(kind, target.key, kind.entities(state))
    before = _find(kind, target.key, kind.entities(previous)) if previous is not None else None
    if here is None:
        if before is None:
            gone = next(
                (
                    f"gone since phase {states[last + 1].phase}"
                    for last in range(index - 1, -1, -1)
                    if _find(kind, target.key, kind.entities(states[last])) is not None
                ),
                "",
            )
            return PhasePresence(state.phase, name, ABSENT, gone, ())
        note = _matching_removal(target, state) or ""
        replaced = "replaced by" in note
        return PhasePresence(state.phase, name, REPLACED if replaced else REMOVED, note, ())
    _, value = here
    values = _values(value)
    old = dict(_values(before[1])) if before is not None else {}
    changed = tuple(path for path, text in values if old.get(path) != text)
    dropped = tuple(path for path in old if path not in dict(values))
    stated = any(
        _matches(kind, target.key, normalise_key(getattr(item, "key", "")))
        for item in kind.stated(state)
    )
    declared = kind.name == "component" and any(
        normalise_key(item.key) == target.key or normalise_key(item.component) == target.key
        for item in state.document.integration.modified
    )
    if before is None:
        state_name, note = NEW, ""
    elif declared and before[1] == value:
        state_name, note = (
            MODIFIED,
            f"listed as modified from phase {previous.phase}" if previous else "",
        )
    elif not stated and before[1] == value:
        state_name, note = RETAINED, f"carried over from phase {previous.phase}" if previous else ""
    elif before[1] == value:
        state_name, note = RETAINED, "restated unchanged"
    else:
        state_name, note = MODIFIED, ""
    return PhasePresence(state.phase, name, state_name, note, values, changed, dropped)


def _values(value: Any) -> tuple[tuple[str, str], ...]:
    """An entity's values as (path, text), without its key and name (the trace names it)."""
    return tuple((path, text) for path, text in flatten(value) if path not in ("key", "name"))


def _unknown_message(
    text: str, kind: Kind | None, states: Sequence[Effective], entries: Iterable[Any]
) -> str:
    candidates: dict[str, str] = {}
    for each in [kind] if kind is not None else KINDS:
        for state in states:
            for key, value in each.entities(state).items():
                shown = _display(value) or key
                candidates.setdefault(normalise_key(shown), f"{each.name}:{shown}")
    close = difflib.get_close_matches(normalise_key(text.partition(":")[2] or text), candidates)
    if not close:
        close = [k for k in candidates if re.escape(normalise_key(text)) in k][:3]
    where = f"No {kind.title.lower()}" if kind is not None else "Nothing"
    text = text.partition(":")[2] if kind is not None else text
    hint = (
        "Close matches: " + ", ".join(candidates[c] for c in close) + "."
        if close
        else "Name it as KIND:NAME, KIND one of " + ", ".join(k.name for k in KINDS) + "."
    )
    return f"{where} named '{text}' in any phase or commit. {hint}"
