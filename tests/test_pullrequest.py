"""Which phases a pull request touches, judged from its branch point, in real git repositories."""

from __future__ import annotations

from typing import TYPE_CHECKING

from phasediff.accept import Acceptance, AcceptList
from phasediff.project import Project
from phasediff.pullrequest import DocumentStatus, acknowledge_drift, pull_request_drift
from tests.support.phase_docs import PHASE_2, PHASE_3, PHASE_3_NO_PROMTAIL, document

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder


def test_only_the_branch_changes_count(git_repo: GitRepoBuilder) -> None:
    git_repo.write("docs/phase-2/ARCHITECTURE.md", PHASE_2)
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3)
    point = git_repo.commit("both")
    git_repo.branch("feature")
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3_NO_PROMTAIL)
    head = git_repo.commit("feature")
    git_repo.switch("main")
    git_repo.rm("docs/phase-2")
    target = git_repo.commit("main deletes phase 2")
    drift = pull_request_drift(Project.open(git_repo.root), target, head)
    assert (drift.base, drift.head, drift.target) == (point, head, target)
    assert [(p.phase, p.status) for p in drift.phases] == [("3", DocumentStatus.MODIFIED)]
    assert drift.has_drift
    assert {c.fingerprint for c in drift.changes} == {
        "component-removed:Promtail",
        "env-removed:PROMTAIL_LOKI_URL",
    }


def test_added_deleted_and_moved_documents(git_repo: GitRepoBuilder) -> None:
    git_repo.write("docs/phase-1/ARCHITECTURE.md", document("1", ["Prometheus"], []))
    git_repo.write("docs/phase-2/ARCHITECTURE.md", PHASE_2)
    base = git_repo.commit("phases 1 and 2")
    git_repo.rm("docs/phase-1")
    git_repo.mv("docs/phase-2", "docs/phases/phase-2")  # moved, content unchanged
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3)
    head = git_repo.commit("delete 1, move 2, add 3")
    drift = pull_request_drift(Project.open(git_repo.root), base, head, against_previous=True)
    assert [(p.phase, p.status, p.path) for p in drift.phases] == [
        ("1", DocumentStatus.DELETED, "docs/phase-1/ARCHITECTURE.md"),
        ("3", DocumentStatus.ADDED, "docs/phase-3/ARCHITECTURE.md"),
    ]
    added = drift.phases[1]
    assert added.comparison is None
    assert added.previous is not None and added.previous.base.phase == "2"
    assert drift.has_drift and drift.changes == ()


def test_a_reflow_touches_the_document_but_is_no_drift(git_repo: GitRepoBuilder) -> None:
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3)
    base = git_repo.commit("phase 3")
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3.replace("\n", "\r\n"))
    head = git_repo.commit("CRLF")
    drift = pull_request_drift(Project.open(git_repo.root), base, head)
    assert [p.status for p in drift.phases] == [DocumentStatus.MODIFIED]
    assert not drift.has_drift


def test_acknowledge_drift_marks_changes(git_repo: GitRepoBuilder) -> None:
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3)
    base = git_repo.commit("phase 3")
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3_NO_PROMTAIL)
    head = git_repo.commit("no Promtail")
    drift = pull_request_drift(Project.open(git_repo.root), base, head)
    accepted = AcceptList((Acceptance("component-removed:Promtail", "Alloy", phase="3"),))
    marked = acknowledge_drift(drift, accepted)
    assert sorted((c.fingerprint, c.acknowledged) for c in marked.changes) == [
        ("component-removed:Promtail", "Alloy"),
        ("env-removed:PROMTAIL_LOKI_URL", None),
    ]
