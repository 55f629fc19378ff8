"""What the HTML report shows, gathered once (``phasediff report --html DIR``).

A ``Report`` is values only: the phases at one revision, the component
matrix (components x phases, each cell a ``trace`` state), the timeline (each
phase's dates and status, each document's commits), the drift of every
consecutive pair of phases and each document's history.  ``render.html``
turns it into pages; nothing here knows about HTML, and nothing there about
git.  History comes from the cached walk, so a warm report parses nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from phasediff.changes import Comparison
from phasediff.documents import phase_key
from phasediff.effective import Effective, owns_config_file, owns_env, owns_metric, owns_port
from phasediff.history import Entry, Skipped, walk_history
from phasediff.model import Component
from phasediff.project import Spec
from phasediff.trace import KINDS, PhasePresence, Target, presence

if TYPE_CHECKING:
    from phasediff.project import Project

_COMPONENT = next(kind for kind in KINDS if kind.name == "component")


@dataclass(frozen=True)
class PhaseInfo:
    phase: str
    slug: str
    path: str
    name: str | None
    status: str | None
    started: str | None  # ISO dates, as the document gives them
    completed: str | None


@dataclass(frozen=True)
class Owned:
    """What belongs to a component in one phase (its ports, metrics, env vars, config files)."""

    ports: tuple[str, ...]
    metrics: tuple[str, ...]
    env: tuple[str, ...]
    config_files: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    presence: PhasePresence
    owned: Owned


@dataclass(frozen=True)
class ComponentRow:
    key: str
    name: str
    slug: str
    cells: tuple[Cell, ...]  # one per phase, in phase order


@dataclass(frozen=True)
class DocumentHistory:
    phase: PhaseInfo
    entries: tuple[Entry, ...]  # newest first, only this phase's document changes


@dataclass(frozen=True)
class PhasePair:
    base: PhaseInfo
    head: PhaseInfo
    slug: str
    comparison: Comparison


@dataclass(frozen=True)
class Report:
    rev: str
    title: str
    phases: tuple[PhaseInfo, ...]
    components: tuple[ComponentRow, ...]
    pairs: tuple[PhasePair, ...]
    documents: tuple[DocumentHistory, ...]
    skipped: tuple[Skipped, ...] = ()


def slugify(text: str) -> str:
    """A file-name-safe id: lower case, runs of other characters as one ``-``."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return slug or "x"


def build_report(project: Project, rev: str = "HEAD", title: str = "") -> Report:
    """Everything the site shows, for the phases at ``rev`` and the history up to it."""
    refs = project.refs(rev)
    states = [project.effective(ref.phase, rev) for ref in refs]
    slugs: list[str] = []
    for ref in refs:
        # Phase ids may differ only in what slugify drops ("2.5" and "2-5").
        slug = slugify(ref.phase)
        slugs.append(slug if slug not in slugs else f"{slug}-{len(slugs) + 1}")
    phases = tuple(
        _phase_info(ref.phase, ref.path, state, slug)
        for ref, state, slug in zip(refs, states, slugs, strict=True)
    )
    history = walk_history(project, until=rev)
    pairs = tuple(
        PhasePair(
            base,
            head,
            f"{base.slug}-to-{head.slug}",
            project.compare(Spec(phase=base.phase, rev=rev), Spec(phase=head.phase, rev=rev)),
        )
        for base, head in itertools.pairwise(phases)
    )
    documents = tuple(_document_history(info, history.entries) for info in phases)
    return Report(
        rev=rev,
        title=title or project.repo.root.name,
        phases=phases,
        components=_matrix(states),
        pairs=pairs,
        documents=documents,
        skipped=history.skipped,
    )


def _phase_info(phase: str, path: str, state: Effective, slug: str) -> PhaseInfo:
    overview = state.document.overview
    status = overview.status.value if overview.status is not None else None
    return PhaseInfo(
        phase=phase,
        slug=slug,
        path=path,
        name=overview.name,
        status=status,
        started=overview.started,
        completed=overview.completed,
    )


def _matrix(states: Sequence[Effective]) -> tuple[ComponentRow, ...]:
    """Every component any phase has, in order of first appearance, then by name."""
    first: dict[str, tuple[int, str]] = {}
    for index, state in enumerate(states):
        for key, component in state.components.items():
            first.setdefault(key, (index, component.name))
    rows = []
    used: set[str] = set()
    for key, (_, name) in sorted(
        first.items(), key=lambda item: (item[1][0], item[1][1].casefold())
    ):
        slug = slugify(name)
        while slug in used:
            slug += "-"
        used.add(slug)
        target = Target(_COMPONENT, key, name)
        cells = tuple(
            Cell(presence(target, states, index), _owned(state, state.components.get(key)))
            for index, state in enumerate(states)
        )
        rows.append(ComponentRow(key, name, slug, cells))
    return tuple(rows)


def _owned(state: Effective, component: Component | None) -> Owned:
    if component is None:
        return Owned((), (), (), ())
    return Owned(
        ports=tuple(key for key, port in state.ports.items() if owns_port(component, port)),
        metrics=tuple(key for key, item in state.metrics.items() if owns_metric(component, item)),
        env=tuple(item.name for item in state.env.values() if owns_env(component, item)),
        config_files=tuple(
            item.name for item in state.config_files.values() if owns_config_file(component, item)
        ),
    )


def _document_history(info: PhaseInfo, entries: Sequence[Entry]) -> DocumentHistory:
    """The entries that changed ``info``'s phase document, each with only that document."""
    own = []
    for entry in entries:
        documents = tuple(d for d in entry.documents if phase_key(d.phase) == phase_key(info.phase))
        if documents:
            own.append(Entry(entry.commit, documents))
    return DocumentHistory(info, tuple(own))


def day_number(value: str | None) -> int | None:
    """An ISO date (or date-time) as a day count, None when it does not read as one."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10]).toordinal()
    except ValueError:
        return None
