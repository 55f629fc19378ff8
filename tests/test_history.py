"""The history walk, the changelog and one phase across revisions, on real repositories."""

from __future__ import annotations

import os
import random
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import phasediff.history as history_module
from phasediff.changes import Change, Comparison, Kind, Severity, Side
from phasediff.errors import RepositoryError, UnknownPhaseError
from phasediff.history import (
    Attribution,
    Changelog,
    Commit,
    DocumentChange,
    Entry,
    History,
    build_changelog,
    follow_path,
    render_history,
    stream_history,
    walk_history,
)
from phasediff.parse import parse_document_cached
from phasediff.project import Project, Spec
from phasediff.render.log import LogFormat, entry_renderer, render_log, stream_log

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

DOC2 = "docs/phase-2/ARCHITECTURE.md"
DOC3 = "docs/phase-3/ARCHITECTURE.md"
MOVED3 = "docs/phases/phase-3/ARCHITECTURE.md"
ROOT = Path(__file__).resolve().parents[1]


def phase_doc(
    phase: str,
    *,
    status: str = "🚧 In Progress",
    retention: str = "168h",
    components: tuple[str, ...] = ("Loki",),
    env: tuple[tuple[str, str], ...] = (("LOKI_URL", "No"),),
    wrap: bool = False,
    crlf: bool = False,
    extra: str = "",
) -> str:
    """A small template-shaped phase document; each argument is one thing a commit changes."""
    summary = (
        "This phase ships logs from every host\nto a central store."
        if wrap
        else "This phase ships logs from every host to a central store."
    )
    parts = [
        f"# Phase {phase} Architecture: Logging",
        "",
        "## Overview",
        "",
        f"**Phase:** {phase}",
        f"**Status:** {status}",
        "",
        summary,
        "",
        "## Component Details",
        "",
    ]
    for index, name in enumerate(components, 1):
        parts += [
            f"### Component {index}: {name}",
            "",
            f"**Purpose:** Runs {name}.",
            "",
            f"**Technology:** {name} 2.9",
            "",
            "**Configuration:**",
            "```yaml",
            "limits_config:",
            f"  retention_period: {retention}",
            "```",
            "",
        ]
    parts += [
        "## Configuration Management",
        "",
        "### Environment Variables",
        "",
        "| Variable | Default | Purpose | Required |",
        "|---|---|---|---|",
        *(f"| `{name}` | `x` | Setting | {required} |" for name, required in env),
        "",
        extra,
    ]
    text = "\n".join(parts)
    return text.replace("\n", "\r\n") if crlf else text


@pytest.fixture
def projects() -> Iterator[list[Project]]:
    """Projects opened by a test, closed after it."""
    opened: list[Project] = []
    yield opened
    for project in opened:
        project.close()


@pytest.fixture
def open_project(projects: list[Project], tmp_path: Path) -> Iterator[Any]:
    def open_(builder: GitRepoBuilder, *, cache: bool = True) -> Project:
        project = Project.open(builder.root, cache=cache, cache_dir=tmp_path / "cache")
        projects.append(project)
        return project

    yield open_


def subjects(history: History) -> list[str]:
    return [entry.commit.subject for entry in history.entries]


def rules(history: History, index: int) -> set[tuple[str, str]]:
    return {
        (change.rule, change.key)
        for document in history.entries[index].documents
        for change in document.comparison.changes
    }


@pytest.fixture
def logging_repo(git_repo: GitRepoBuilder) -> GitRepoBuilder:
    """Phase 2 through a few kinds of commit, and phase 3 next to it."""
    git_repo.write(DOC2, phase_doc("2"))
    git_repo.commit("phase 2 draft")
    git_repo.write("README.md", "hello\n")
    git_repo.commit("readme only")
    git_repo.write(DOC2, phase_doc("2", retention="336h"))
    git_repo.commit("phase 2: longer retention", author="Bo Berg <bo@example.com>")
    git_repo.write(DOC2, phase_doc("2", retention="336h", wrap=True, crlf=True))
    git_repo.commit("phase 2: re-wrap, CRLF")
    git_repo.write(DOC3, phase_doc("3", components=("Loki", "Tempo")))
    git_repo.write(DOC2, phase_doc("2", retention="336h", env=(("LOKI_URL", "Yes"),)))
    git_repo.commit("phase 3 draft; LOKI_URL required")
    return git_repo


# -- phasediff log ----------------------------------------------------------------------


def test_log_lists_document_commits_newest_first(
    logging_repo: GitRepoBuilder, open_project: Any
) -> None:
    history = walk_history(open_project(logging_repo))
    assert subjects(history) == [
        "phase 3 draft; LOKI_URL required",
        "phase 2: re-wrap, CRLF",
        "phase 2: longer retention",
        "phase 2 draft",
    ]
    newest = history.entries[0]
    assert [(d.phase, d.status) for d in newest.documents] == [("2", "modified"), ("3", "added")]
    assert ("env-became-required", "LOKI_URL") in rules(history, 0)
    assert ("component-added", "Tempo") in rules(history, 0)
    retention = history.entries[2]
    assert retention.commit.author == "Bo Berg" and retention.commit.email == "bo@example.com"
    change = retention.documents[0].comparison.changes[0]
    assert (change.key, change.field, change.old, change.new) == (
        "Loki",
        "configuration.limits_config.retention_period",
        "168h",
        "336h",
    )
    side = retention.documents[0].comparison.head
    assert (side.phase, side.path, side.rev) == ("2", DOC2, retention.commit.sha)
    assert retention.documents[0].comparison.base.rev == retention.commit.parents[0]


def test_a_formatting_only_commit_has_no_semantic_change(
    logging_repo: GitRepoBuilder, open_project: Any
) -> None:
    project = open_project(logging_repo)
    history = walk_history(project)
    rewrap = history.entries[1]
    assert rewrap.commit.subject == "phase 2: re-wrap, CRLF"
    assert not rewrap.semantic and rewrap.documents[0].comparison.changes == ()
    hidden = walk_history(project, semantic_only=True)
    assert "phase 2: re-wrap, CRLF" not in subjects(hidden)
    assert len(hidden.entries) == 3


def test_a_byte_order_mark_is_a_change_of_form_only(
    logging_repo: GitRepoBuilder, open_project: Any
) -> None:
    text = logging_repo.read(DOC2)
    logging_repo.write(DOC2, "\ufeff" + text)
    logging_repo.commit("phase 2 saved with a BOM")
    logging_repo.write(DOC2, "\ufeff" + text.replace("336h", "720h"))
    logging_repo.commit("phase 2: a month of retention")
    history = walk_history(open_project(logging_repo, cache=False))
    assert subjects(history)[:2] == ["phase 2: a month of retention", "phase 2 saved with a BOM"]
    assert not history.entries[1].semantic
    assert rules(history, 0) == {("component-config-changed", "Loki")}


def test_phase_filter_max_count_and_range(logging_repo: GitRepoBuilder, open_project: Any) -> None:
    project = open_project(logging_repo)
    only3 = walk_history(project, phases=["3"])
    assert subjects(only3) == ["phase 3 draft; LOKI_URL required"]
    assert [d.phase for d in only3.entries[0].documents] == ["3"]
    assert subjects(walk_history(project, phases=["phase-2"], max_count=2)) == [
        "phase 3 draft; LOKI_URL required",
        "phase 2: re-wrap, CRLF",
    ]
    ranged = walk_history(project, since="HEAD~3", until="HEAD~1")
    assert subjects(ranged) == ["phase 2: re-wrap, CRLF", "phase 2: longer retention"]
    assert ranged.since.sha == logging_repo.rev_parse("HEAD~3")
    with pytest.raises(UnknownPhaseError, match=r"Phase '9' has no document .* Phases found: 2, 3"):
        walk_history(project, phases=["9"])


def test_a_rename_is_followed_and_no_change(git_repo: GitRepoBuilder, open_project: Any) -> None:
    git_repo.write(DOC3, phase_doc("3"))
    git_repo.commit("phase 3")
    git_repo.mv("docs/phase-3", "docs/phases/phase-3")
    git_repo.commit("move phase 3")
    git_repo.write(MOVED3, phase_doc("3", retention="720h"))
    git_repo.commit("phase 3: 30 days")
    project = open_project(git_repo)
    history = walk_history(project, phases=["3"])
    assert subjects(history) == ["phase 3: 30 days", "move phase 3", "phase 3"]
    move = history.entries[1].documents[0]
    assert move.status == "renamed" and not move.semantic
    assert (move.comparison.base.path, move.comparison.head.path) == (DOC3, MOVED3)
    # Across the move, the document is compared with itself: only the retention changed.
    comparison = project.compare(Spec(phase="3", rev="HEAD~2"), Spec(phase="3", rev="HEAD"))
    assert [(c.key, c.new) for c in comparison.changes] == [("Loki", "720h")]
    assert (comparison.base.path, comparison.head.path) == (DOC3, MOVED3)


def test_a_document_deleted_at_head_is_still_reachable(
    git_repo: GitRepoBuilder, open_project: Any
) -> None:
    git_repo.write(DOC2, phase_doc("2"))
    git_repo.write(DOC3, phase_doc("3"))
    git_repo.commit("phases 2 and 3")
    git_repo.tag("v1.0")
    git_repo.rm("docs/phase-3")
    git_repo.commit("drop phase 3")
    project = open_project(git_repo)
    history = walk_history(project, phases=["3"])
    assert subjects(history) == ["drop phase 3", "phases 2 and 3"]
    deleted = history.entries[0].documents[0]
    assert deleted.status == "deleted" and deleted.comparison.head.path is None
    assert ("component-removed", "Loki") in rules(history, 0)
    comparison = project.compare(Spec(phase="3", rev="v1.0"), Spec(phase="3", rev="HEAD"))
    assert comparison.head.path is None
    assert any(c.severity is Severity.BREAKING for c in comparison.changes)
    back = project.compare(Spec(phase="3", rev="HEAD"), Spec(phase="3", rev="v1.0"))
    assert (Kind.ADDED, "Loki") in {(c.kind, c.key) for c in back.changes}
    assert not any(c.kind is Kind.REMOVED for c in back.changes)
    with pytest.raises(UnknownPhaseError):
        project.compare(Spec(phase="7", rev="v1.0"), Spec(phase="7", rev="HEAD"))


def test_a_document_moved_out_of_its_phase_name_is_followed(
    git_repo: GitRepoBuilder, open_project: Any
) -> None:
    """No **Phase:** field and a path that names no phase: only the rename says it is phase 3."""
    text = phase_doc("3").replace("**Phase:** 3\n", "")
    git_repo.write(DOC3, text)
    git_repo.commit("phase 3")
    git_repo.tag("v1.0", annotated=True)
    git_repo.mv("docs/phase-3", "docs/phases-current")
    git_repo.commit("move")
    project = open_project(git_repo)
    path = follow_path(
        project.repo, project.config, DOC3, git_repo.rev_parse("v1.0"), git_repo.rev_parse("HEAD")
    )
    assert path == "docs/phases-current/ARCHITECTURE.md"
    comparison = project.compare(Spec(phase="3", rev="v1.0"), Spec(phase="3", rev="HEAD"))
    assert comparison.changes == ()
    assert comparison.head.path == "docs/phases-current/ARCHITECTURE.md"


@pytest.mark.parametrize("annotated", [False, True], ids=["lightweight", "annotated"])
def test_tags_name_the_range(
    logging_repo: GitRepoBuilder, open_project: Any, annotated: bool
) -> None:
    logging_repo.tag("first", rev="HEAD~4", annotated=annotated)
    logging_repo.tag("last", rev="HEAD~1", annotated=annotated)
    history = walk_history(open_project(logging_repo), since="first", until="last")
    assert subjects(history) == ["phase 2: re-wrap, CRLF", "phase 2: longer retention"]
    assert history.until.rev == "last"
    assert history.until.sha == logging_repo.rev_parse("HEAD~1")


def test_merges_first_parent_and_all_parents(git_repo: GitRepoBuilder, open_project: Any) -> None:
    git_repo.write(DOC2, phase_doc("2"))
    git_repo.commit("phase 2")
    git_repo.branch("feature")
    git_repo.write(DOC2, phase_doc("2", components=("Loki", "Promtail")))
    git_repo.commit("add Promtail")
    git_repo.switch("main")
    git_repo.write("README.md", "main moves on\n")
    git_repo.commit("readme")
    git_repo.merge("feature", "Merge feature")
    project = open_project(git_repo)
    mainline = walk_history(project)
    assert subjects(mainline) == ["Merge feature", "phase 2"]
    assert ("component-added", "Promtail") in rules(mainline, 0)
    everything = walk_history(project, first_parent=False)
    assert subjects(everything) == ["Merge feature", "add Promtail", "phase 2"]
    assert ("component-added", "Promtail") in rules(everything, 1)
    # Rendered from the cache, cold then warm, the two walks stay apart.
    for _ in ("cold", "warm"):
        for first_parent in (True, False):
            text = rendered(open_project(git_repo), LogFormat.TEXT, first_parent=first_parent)
            assert text == fresh(git_repo, LogFormat.TEXT, first_parent=first_parent)
            assert ("add Promtail" in text) is not first_parent


def test_a_broken_version_still_parses_and_carries_its_notes(
    git_repo: GitRepoBuilder, open_project: Any
) -> None:
    git_repo.write(DOC2, phase_doc("2"))
    git_repo.commit("phase 2")
    git_repo.write(DOC2, phase_doc("2", retention="[unclosed"))
    git_repo.commit("broken yaml")
    history = walk_history(open_project(git_repo))
    broken = history.entries[0].documents[0]
    assert any(d.code == "yaml-invalid" for d in broken.comparison.diagnostics)
    assert [d.code for d in broken.introduced] == ["yaml-invalid"]


# -- robustness ---------------------------------------------------------------------------


def test_a_shallow_clone_is_refused_with_the_fix(
    logging_repo: GitRepoBuilder, tmp_path: Path, projects: list[Project]
) -> None:
    clone = logging_repo.clone(tmp_path / "shallow", depth=2)
    project = Project.open(clone.root)
    projects.append(project)
    with pytest.raises(RepositoryError) as caught:
        walk_history(project)
    message = str(caught.value)
    assert "shallow" in message
    assert "git fetch --unshallow" in message and "fetch-depth: 0" in message
    with pytest.raises(RepositoryError, match="not in this shallow clone"):
        walk_history(project, since="HEAD~3")


def test_a_shallow_clone_works_when_the_range_is_present(
    logging_repo: GitRepoBuilder, tmp_path: Path, projects: list[Project]
) -> None:
    clone = logging_repo.clone(tmp_path / "shallow", depth=3)
    project = Project.open(clone.root)
    projects.append(project)
    history = walk_history(project, since="HEAD~2")
    assert subjects(history) == ["phase 3 draft; LOKI_URL required", "phase 2: re-wrap, CRLF"]


def _delete_object(builder: GitRepoBuilder, sha: str) -> None:
    path = builder.root / ".git" / "objects" / sha[:2] / sha[2:]
    path.chmod(0o644)
    path.unlink()


def test_a_missing_blob_is_skipped_and_listed(
    logging_repo: GitRepoBuilder, open_project: Any
) -> None:
    lost = logging_repo.blob("HEAD~2", DOC2)  # the retention commit's version
    _delete_object(logging_repo, lost)
    history = walk_history(open_project(logging_repo, cache=False))
    assert [(s.blob, s.path) for s in history.skipped] == [(lost, DOC2)]
    assert "missing" in history.skipped[0].reason
    assert history.skipped[0].commit == logging_repo.rev_parse("HEAD~2")
    # Only the lost version is skipped: the next commit compares its version with the
    # last readable one (the draft), so the longer retention is still reported.
    assert subjects(history) == [
        "phase 3 draft; LOKI_URL required",
        "phase 2: re-wrap, CRLF",
        "phase 2 draft",
    ]
    bridged = history.entries[1].documents[0]
    assert bridged.skipped_base == logging_repo.rev_parse("HEAD~2")
    assert bridged.comparison.base.rev == logging_repo.rev_parse("HEAD~4")
    assert bridged.status == "modified"
    assert ("component-config-changed", "Loki") in rules(history, 1)


def test_one_git_log_and_one_cat_file_per_run(
    logging_repo: GitRepoBuilder,
    open_project: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    project = open_project(logging_repo)
    walk_history(project)
    text = trace.read_text(encoding="utf-8")
    assert len(re.findall(r"trace: (?:built-in|exec): git log\b", text)) == 1
    assert len(re.findall(r"trace: (?:built-in|exec): git cat-file\b", text)) == 1


# -- the cache ----------------------------------------------------------------------------


def test_a_warm_run_reads_and_parses_nothing(
    logging_repo: GitRepoBuilder,
    open_project: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cold = walk_history(open_project(logging_repo))
    assert (tmp_path / "cache" / "cache.sqlite3").is_file()

    def forbidden(*args: object) -> None:
        raise AssertionError("a warm run must not read or parse")

    monkeypatch.setattr(history_module, "parse_document_cached", forbidden)
    monkeypatch.setattr("phasediff.gitrepo.Repository.read_blob", forbidden)
    warm = walk_history(open_project(logging_repo))
    assert warm == cold


def test_a_new_commit_on_a_warm_cache_parses_only_its_version(
    logging_repo: GitRepoBuilder,
    open_project: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walk_history(open_project(logging_repo))
    logging_repo.write(DOC3, phase_doc("3", components=("Loki", "Tempo"), status="✅ Complete"))
    logging_repo.commit("phase 3 complete")
    parsed: list[str] = []
    original = parse_document_cached

    def counting(text: str, cache: Any) -> Any:
        parsed.append(text)
        return original(text, cache)

    monkeypatch.setattr(history_module, "parse_document_cached", counting)
    history = walk_history(open_project(logging_repo))
    assert subjects(history)[0] == "phase 3 complete"
    assert ("status-changed", "status") in rules(history, 0)
    # The previous version of phase 3 came from the cache; only the new one was parsed.
    assert len(parsed) == 1


def test_parallel_and_serial_walks_agree(
    logging_repo: GitRepoBuilder, open_project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = walk_history(open_project(logging_repo, cache=False))
    monkeypatch.setattr(history_module, "PARALLEL_MIN_PAIRS", 1)
    monkeypatch.setattr(history_module, "TASK_PAIRS", 1)
    monkeypatch.setattr(history_module, "_cpus", lambda: 2)
    parallel = walk_history(open_project(logging_repo))
    assert parallel == serial
    # ... and what the workers stored reads back the same.
    monkeypatch.setattr(history_module, "PARALLEL_MIN_PAIRS", 10**9)
    assert walk_history(open_project(logging_repo)) == serial


def test_progress_is_reported_while_comparing(
    logging_repo: GitRepoBuilder, open_project: Any
) -> None:
    seen: list[tuple[int, int]] = []
    walk_history(open_project(logging_repo, cache=False), progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]


# -- rendered entries and the cached walk ----------------------------------------------------


def rendered(project: Project, fmt: LogFormat, **options: Any) -> str:
    """``phasediff log``'s output as the CLI makes it: entries rendered, cached, streamed."""
    history = stream_history(project, entry_renderer(fmt), **options)
    return "".join(stream_log(history, fmt))


def fresh(builder: GitRepoBuilder, fmt: LogFormat, **options: Any) -> str:
    """The same output with no cache at all, from whole entries."""
    project = Project.open(builder.root)
    try:
        return render_log(walk_history(project, **options), fmt)
    finally:
        project.close()


@pytest.mark.parametrize("fmt", list(LogFormat), ids=lambda f: f.value)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"semantic_only": True},
        {"max_count": 2},
        {"phases": ["2"]},
        {"since": "HEAD~3"},
        {"first_parent": False},
    ],
    ids=["all", "semantic-only", "max-count", "phase", "range", "all-parents"],
)
def test_cached_entries_join_into_what_rendering_the_walk_gives(
    logging_repo: GitRepoBuilder, open_project: Any, fmt: LogFormat, options: dict[str, Any]
) -> None:
    expected = fresh(logging_repo, fmt, **options)
    assert rendered(open_project(logging_repo), fmt, **options) == expected  # cold
    assert rendered(open_project(logging_repo), fmt, **options) == expected  # warm


@pytest.mark.parametrize("fmt", list(LogFormat), ids=lambda f: f.value)
def test_the_log_comes_an_entry_at_a_time(
    logging_repo: GitRepoBuilder, open_project: Any, fmt: LogFormat
) -> None:
    """Streamed, not assembled: a piece per entry (and the frame), joined byte for byte."""
    expected = fresh(logging_repo, fmt)
    count = len(walk_history(open_project(logging_repo)).entries)
    for _ in ("cold", "warm"):
        history = stream_history(open_project(logging_repo), entry_renderer(fmt))
        pieces = list(stream_log(history, fmt))
        assert "".join(pieces) == expected
        assert len(pieces) >= count + 1
    assert render_history(open_project(logging_repo), entry_renderer(fmt)).entries


def test_a_warm_log_renders_nothing_and_reads_no_object(
    logging_repo: GitRepoBuilder,
    open_project: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cold = rendered(open_project(logging_repo), LogFormat.TEXT)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm log must not parse, compare, render or read")

    monkeypatch.setattr(history_module, "parse_document_cached", forbidden)
    monkeypatch.setattr(history_module, "diff_documents", forbidden)
    monkeypatch.setattr("phasediff.render.log.render_entry", forbidden)
    monkeypatch.setattr("phasediff.gitrepo.Repository.read_blob", forbidden)
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    assert rendered(open_project(logging_repo), LogFormat.TEXT) == cold
    text = trace.read_text(encoding="utf-8")
    assert len(re.findall(r"trace: (?:built-in|exec): git log\b", text)) == 1
    assert len(re.findall(r"trace: (?:built-in|exec): git cat-file\b", text)) == 0


def test_new_commits_extend_the_cached_walk(
    logging_repo: GitRepoBuilder,
    open_project: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rendered(open_project(logging_repo), LogFormat.TEXT)
    tip = logging_repo.rev_parse()
    logging_repo.write("README.md", "hello again\n")
    logging_repo.commit("readme again")
    logging_repo.write(DOC3, phase_doc("3", components=("Loki", "Tempo"), status="✅ Complete"))
    logging_repo.commit("phase 3 complete")
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    text = rendered(open_project(logging_repo), LogFormat.TEXT)
    monkeypatch.delenv("GIT_TRACE")
    assert text == fresh(logging_repo, LogFormat.TEXT)
    assert text.startswith("commit ") and "phase 3 complete" in text.splitlines()[1]
    # git was asked only for the commits since the tip the cache ended at.
    (log_call,) = re.findall(r"trace: (?:built-in|exec): git log\b.*", trace.read_text())
    assert f"^{tip}" in log_call


def test_a_walk_extended_run_after_run_keeps_every_commit(
    logging_repo: GitRepoBuilder, open_project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_module, "LOG_RUNS", 2)  # merge the stored runs early
    for retention in ("400h", "500h", "600h", "700h"):
        rendered(open_project(logging_repo), LogFormat.TEXT)
        logging_repo.write(DOC2, phase_doc("2", retention=retention))
        logging_repo.commit(f"phase 2: {retention}")
    for phases in ([], ["2"]):  # a phase filter reads every stored record back
        expected = fresh(logging_repo, LogFormat.JSON, phases=phases)
        assert rendered(open_project(logging_repo), LogFormat.JSON, phases=phases) == expected


def test_a_stored_walk_that_does_not_read_back_is_read_from_git(
    logging_repo: GitRepoBuilder, open_project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered(open_project(logging_repo), LogFormat.TEXT)
    monkeypatch.setattr(history_module, "_decode_log", lambda run: None)
    expected = fresh(logging_repo, LogFormat.TEXT, phases=["3"])
    assert rendered(open_project(logging_repo), LogFormat.TEXT, phases=["3"]) == expected


@pytest.mark.parametrize("move", ["other-branch", "amended"])
def test_a_cached_walk_off_the_new_tip_is_read_whole(
    logging_repo: GitRepoBuilder, open_project: Any, move: str
) -> None:
    rendered(open_project(logging_repo), LogFormat.TEXT)
    if move == "other-branch":
        logging_repo.branch("side", "HEAD~2")
        logging_repo.switch("side")
        logging_repo.write(DOC2, phase_doc("2", retention="720h"))
        logging_repo.commit("phase 2: a month of retention")
    else:
        logging_repo.write(DOC2, phase_doc("2", retention="720h"))
        logging_repo.git("commit", "--quiet", "--all", "--amend", "--message", "amended")
    text = rendered(open_project(logging_repo), LogFormat.TEXT)
    assert text == fresh(logging_repo, LogFormat.TEXT)
    assert "720h" in text


def test_a_stored_entry_that_does_not_read_back_is_rendered_again(
    logging_repo: GitRepoBuilder, open_project: Any, tmp_path: Path
) -> None:
    rendered(open_project(logging_repo), LogFormat.TEXT)
    connection = sqlite3.connect(tmp_path / "cache" / "cache.sqlite3")
    with connection:
        assert connection.execute("UPDATE entries SET value = X'3F'").rowcount > 0
    connection.close()
    expected = fresh(logging_repo, LogFormat.TEXT)
    assert rendered(open_project(logging_repo), LogFormat.TEXT) == expected


def test_an_entry_with_a_missing_version_is_never_cached(
    logging_repo: GitRepoBuilder, open_project: Any
) -> None:
    lost = logging_repo.blob("HEAD~2", DOC2)
    _delete_object(logging_repo, lost)
    for _ in range(2):  # the warning comes back on the warm run too
        history = render_history(open_project(logging_repo), entry_renderer(LogFormat.TEXT))
        assert [(s.blob, s.path) for s in history.skipped] == [(lost, DOC2)]


# -- changelog ------------------------------------------------------------------------------


def test_changelog_attributes_each_change_to_its_commits(
    logging_repo: GitRepoBuilder, open_project: Any
) -> None:
    logging_repo.tag("v1", rev="HEAD~4")
    changelog = build_changelog(open_project(logging_repo), since="v1", until="HEAD")
    assert isinstance(changelog, Changelog)
    assert [(r.phase, r.status) for r in changelog.phases] == [("2", "changed"), ("3", "added")]
    phase2 = changelog.phases[0]
    by_key = {
        (change.rule, change.key): [commit.subject for commit in commits]
        for change, commits in zip(phase2.comparison.changes, phase2.attributions, strict=True)
    }
    assert by_key[("component-config-changed", "Loki")] == ["phase 2: longer retention"]
    assert by_key[("env-became-required", "LOKI_URL")] == ["phase 3 draft; LOKI_URL required"]
    assert [c.subject for c in phase2.commits] == [
        "phase 2: longer retention",
        "phase 2: re-wrap, CRLF",
        "phase 3 draft; LOKI_URL required",
    ]
    assert changelog.date == logging_repo.git("log", "-1", "--format=%aI", "HEAD")


def test_changelog_of_the_demo_between_its_tags(demo_repo: Path, tmp_path: Path) -> None:
    project = Project.open(demo_repo, cache=True, cache_dir=tmp_path / "cache")
    try:
        changelog = build_changelog(project, since="v1.0", until="v3.0")
    finally:
        project.close()
    statuses = {release.phase: release.status for release in changelog.phases}
    assert statuses == {"1": "unchanged", "2": "changed", "3": "added"}
    assert changelog.date is not None and changelog.date.startswith("2026-07-10")
    phase2 = changelog.phases[1]
    assert all(commits for commits in phase2.attributions)


def test_benchmark_quick_mode_runs(tmp_path: Path) -> None:
    """The benchmark is no test, but it must keep working: its tiny mode, once."""
    import subprocess

    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "history.py"),
            "--quick",
            "--keep",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "phasediff log, warm" in result.stdout


def _naive_attribution(
    change: Change, touching: list[tuple[Entry, DocumentChange]]
) -> tuple[Commit, ...]:
    """The definition ``Attribution`` indexes: scan every own change of the section."""
    owns = [
        (entry.commit, own)
        for entry, document in touching
        for own in document.comparison.changes
        if own.section == change.section
    ]

    def keys(c: Change) -> set[str]:
        found = {c.key.casefold()}
        if c.kind is Kind.RENAMED:
            found |= {v.casefold() for v in (c.old, c.new) if isinstance(v, str)}
        return found

    def meet(a: str | None, b: str | None) -> bool:
        return a is None or b is None or a == b or b.startswith(a + ".") or a.startswith(b + ".")

    exact = [
        commit for commit, own in owns if keys(change) & keys(own) and meet(change.field, own.field)
    ]
    chosen = exact or [commit for commit, _ in owns]
    return tuple({commit.sha: commit for commit in chosen}.values())


def test_attribution_by_index_is_the_scan_it_replaces() -> None:
    """Changes over a few sections, keys, renames and nested fields: the indexed attribution
    picks the same commits in the same order as scanning every change of the section."""
    rng = random.Random(16)
    sections, keys = ("components", "env", "metrics"), ("a", "B", "c", "d")
    fields = (None, "config", "config.port", "config.host", "purpose")

    def change() -> Change:
        kind = rng.choice(list(Kind))
        old, new = (rng.choice(keys), rng.choice(keys)) if kind is Kind.RENAMED else (None, 1)
        return Change(rng.choice(sections), kind, rng.choice(keys), rng.choice(fields), old, new,
                      Severity.INFO, "rule")  # fmt: skip

    touching = []
    for number in range(40):
        commit = Commit(f"{number:040x}", (), "Ada", "ada@example.com", "2024-01-01", f"c{number}")
        side = Side(phase="2", rev=None, path="p.md")
        changes = tuple(change() for _ in range(rng.randint(0, 4)))
        touching.append(
            (Entry(commit, ()), DocumentChange("modified", "2", Comparison(side, side, changes)))
        )
    attribution = Attribution(touching)
    for _ in range(300):
        wanted = change()
        assert attribution.commits(wanted) == _naive_attribution(wanted, touching)


@pytest.mark.parametrize("where", ["work-tree", "mailmap.file"])
def test_a_mailmap_added_after_a_warm_run_renames_the_cached_authors(
    logging_repo: GitRepoBuilder, open_project: Any, tmp_path: Path, where: str
) -> None:
    before = rendered(open_project(logging_repo), LogFormat.JSON)
    assert "Bo Berg" in before and "Bo the Builder" not in before
    line = "Bo the Builder <builder@example.com> Bo Berg <bo@example.com>\n"
    if where == "work-tree":
        (logging_repo.root / ".mailmap").write_text(line, encoding="utf-8")
    else:
        (tmp_path / "people").write_text(line, encoding="utf-8")
        logging_repo.git("config", "mailmap.file", str(tmp_path / "people"))
    expected = fresh(logging_repo, LogFormat.JSON)
    assert "Bo the Builder" in expected
    assert rendered(open_project(logging_repo), LogFormat.JSON) == expected
    assert rendered(open_project(logging_repo), LogFormat.JSON, phases=["2"]) == fresh(
        logging_repo, LogFormat.JSON, phases=["2"]
    )
