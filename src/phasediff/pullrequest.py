"""The drift a pull request brings: from its branch point to its head, per touched phase.

A pull request is judged against ``git merge-base BASE HEAD``, not against the
target branch's tip, so drift that landed on the target branch after the
branch was cut never shows up in an unrelated pull request.  A phase document
is touched when its blob differs between the branch point and the head
(documents are matched by phase, so a moved but unchanged document is not
touched); each touched phase is compared with itself across the two commits,
and, on request, with the phase before it at the head.

This module does the git work; ``comment`` turns its result into text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from phasediff.accept import AcceptList, acknowledge
from phasediff.changes import Change, Comparison
from phasediff.documents import DocumentRef, phase_key, phase_sort_key
from phasediff.project import Project, Spec


class DocumentStatus(enum.Enum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"


@dataclass(frozen=True)
class PhaseDrift:
    """One phase document the pull request touches.

    ``comparison`` is the document at the branch point against the document
    at the head (None when the document was added or deleted); ``previous`` is
    the phase at the head against the phase before it, when asked for.
    """

    phase: str
    status: DocumentStatus
    path: str
    comparison: Comparison | None = None
    previous: Comparison | None = None

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.comparison.changes if self.comparison is not None else ()

    @property
    def has_drift(self) -> bool:
        return self.status is not DocumentStatus.MODIFIED or bool(self.changes)


@dataclass(frozen=True)
class PullRequestDrift:
    """Every touched phase of one pull request, in phase order, and the commits compared."""

    base: str  # the branch point: merge-base of target and head
    head: str
    target: str  # the target branch's commit as the event named it
    phases: tuple[PhaseDrift, ...] = ()

    @property
    def changes(self) -> tuple[Change, ...]:
        """The pull request's own changes (not the previous-phase context)."""
        return tuple(change for phase in self.phases for change in phase.changes)

    @property
    def has_drift(self) -> bool:
        """Whether a phase document was added or deleted, or one changed in content."""
        return any(phase.has_drift for phase in self.phases)


def pull_request_drift(
    project: Project,
    target: str,
    head: str,
    *,
    against_previous: bool = False,
) -> PullRequestDrift:
    """Compare the branch point of ``target`` and ``head`` with ``head``, phase by phase."""
    repo = project.repo
    # A shallow clone's missing commit: resolve() itself says how to fetch history.
    head_sha = repo.resolve(head)
    target_sha = repo.resolve(target)
    base_sha = repo.merge_base(target_sha, head_sha)
    before = _by_phase(project.refs(base_sha))
    after = _by_phase(project.refs(head_sha))
    head_order = list(after)  # phase order, as discovered
    keys = sorted(
        set(before) | set(after),
        key=lambda key: phase_sort_key((after.get(key) or before[key]).phase),
    )
    phases = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and old.blob == new.blob:
            continue
        if new is None:
            assert old is not None
            phases.append(PhaseDrift(old.phase, DocumentStatus.DELETED, old.path))
            continue
        comparison = None
        status = DocumentStatus.ADDED
        if old is not None:
            status = DocumentStatus.MODIFIED
            comparison = project.compare(
                Spec(phase=old.phase, rev=base_sha), Spec(phase=new.phase, rev=head_sha)
            )
        previous = None
        index = head_order.index(key)
        if against_previous and index > 0:
            earlier = after[head_order[index - 1]].phase
            previous = project.compare(
                Spec(phase=earlier, rev=head_sha), Spec(phase=new.phase, rev=head_sha)
            )
        phases.append(PhaseDrift(new.phase, status, new.path, comparison, previous))
    return PullRequestDrift(base=base_sha, head=head_sha, target=target_sha, phases=tuple(phases))


def acknowledge_drift(drift: PullRequestDrift, accepted: AcceptList) -> PullRequestDrift:
    """``drift`` with the changes ``accepted`` lists marked acknowledged (context included)."""
    phases = tuple(
        replace(
            phase,
            comparison=None
            if phase.comparison is None
            else acknowledge(phase.comparison, accepted),
            previous=None if phase.previous is None else acknowledge(phase.previous, accepted),
        )
        for phase in drift.phases
    )
    return replace(drift, phases=phases)


def _by_phase(refs: list[DocumentRef]) -> dict[str, DocumentRef]:
    """Refs by phase key; a phase claimed twice keeps its first path (``compare`` reports it)."""
    found: dict[str, DocumentRef] = {}
    for ref in refs:
        found.setdefault(phase_key(ref.phase), ref)
    return found
