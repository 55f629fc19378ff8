"""The git layer against real repositories built by ``GitRepoBuilder``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phasediff.errors import DocumentError, RepositoryError
from phasediff.gitrepo import (
    FileChange,
    LogEntry,
    MissingObjectError,
    Repository,
    blob_sha,
    parse_log,
)

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

DOC3 = "docs/phase-3/ARCHITECTURE.md"


@pytest.fixture
def opened() -> Iterator[Callable[[GitRepoBuilder], Repository]]:
    """Open builders as ``Repository`` objects, closed again after the test."""
    repos: list[Repository] = []

    def open_(builder: GitRepoBuilder) -> Repository:
        repos.append(Repository.open(builder.root))
        return repos[-1]

    yield open_
    for repo in repos:
        repo.close()


# -- opening -------------------------------------------------------------------


def test_open_finds_the_repository_from_a_subdirectory(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write("docs/phase-1/ARCHITECTURE.md", "# one\n")
    git_repo.commit()
    repo = Repository.open(git_repo.root / "docs" / "phase-1")
    try:
        assert repo.root == git_repo.root
        assert repo.git_dir == git_repo.root / ".git"
        assert not repo.is_bare
    finally:
        repo.close()


@pytest.mark.parametrize("make_missing", [False, True])
def test_open_outside_a_repository_names_the_path_and_the_fix(
    tmp_path: Path, make_missing: bool
) -> None:
    path = tmp_path / "nowhere" if make_missing else tmp_path
    with pytest.raises(RepositoryError) as caught:
        Repository.open(path)
    assert str(caught.value) == (
        f"Not a git repository: {path} (nor any directory above it). "
        "Run phasediff inside a git work tree, or pass --repo PATH."
    )
    assert caught.value.__cause__ is not None


def test_a_relative_path_outside_a_repository_is_named_absolutely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "inner").mkdir()
    monkeypatch.chdir(tmp_path / "inner")
    with pytest.raises(RepositoryError, match=f"Not a git repository: {tmp_path} "):
        Repository.open(Path(".."))


# -- revisions -----------------------------------------------------------------


def test_resolve_peels_annotated_tags_and_follows_lightweight_ones(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write(DOC3, "# v1\n")
    first = git_repo.commit("first")
    git_repo.tag("v1.0", annotated=True)
    git_repo.tag("light")
    git_repo.write(DOC3, "# v2\n")
    second = git_repo.commit("second")
    repo = opened(git_repo)

    tag_object = git_repo.rev_parse("v1.0")
    assert tag_object != first  # an annotated tag is an object of its own
    assert repo.resolve("v1.0") == first
    assert repo.resolve("light") == first
    assert repo.resolve("HEAD") == second
    assert repo.resolve("main") == second
    assert repo.resolve("HEAD~1") == first
    assert repo.resolve(first[:8]) == first
    assert repo.has_commit("v1.0")
    assert repo.has_commit(first)


@pytest.mark.parametrize("rev", ["v9", "-x", "--all", "", "no such"])
def test_unknown_revision_names_it_and_the_fix(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository], rev: str
) -> None:
    git_repo.write(DOC3, "# v1\n")
    git_repo.commit()
    repo = opened(git_repo)
    with pytest.raises(RepositoryError) as caught:
        repo.resolve(rev)
    assert str(caught.value) == (
        f"Revision '{rev}' not found. Use a branch, tag or commit SHA; `git tag` lists tags."
    )
    assert not repo.has_commit(rev)


def test_a_revision_that_is_not_a_commit_says_so(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write(DOC3, "# v1\n")
    git_repo.commit()
    with pytest.raises(RepositoryError, match="'HEAD:docs' does not name a commit"):
        opened(git_repo).resolve("HEAD:docs")


def test_empty_repository_explains_there_are_no_commits(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    repo = opened(git_repo)
    with pytest.raises(RepositoryError) as caught:
        repo.resolve("HEAD")
    assert "has no commits yet" in str(caught.value)
    assert "compare the working tree" in str(caught.value)
    assert repo.list_files(None) == []


def test_merge_base_and_unrelated_histories(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write("a.md", "a\n")
    base = git_repo.commit("base")
    git_repo.branch("side")
    git_repo.write("b.md", "b\n")
    git_repo.commit("side")
    git_repo.switch("main")
    git_repo.write("c.md", "c\n")
    git_repo.commit("main")
    git_repo.git("switch", "--quiet", "--orphan", "lonely")
    git_repo.commit("orphan", allow_empty=True, stage_all=False)
    repo = opened(git_repo)

    assert repo.merge_base("main", "side") == base
    with pytest.raises(RepositoryError, match="'main' and 'lonely' have no common ancestor"):
        repo.merge_base("main", "lonely")


def test_shallow_clone_is_detected_and_explained(
    make_git_repo: Callable[[str], GitRepoBuilder],
    opened: Callable[[GitRepoBuilder], Repository],
    tmp_path: Path,
) -> None:
    upstream = make_git_repo("upstream")
    upstream.write(DOC3, "# v1\n")
    old = upstream.commit("old")
    upstream.write(DOC3, "# v2\n")
    new = upstream.commit("new")
    clone = upstream.clone(tmp_path / "clone", depth=1)

    assert not opened(upstream).is_shallow()
    shallow = opened(clone)
    assert shallow.is_shallow()
    assert shallow.has_commit(new)
    assert not shallow.has_commit(old)
    with pytest.raises(RepositoryError, match=r"shallow.*fetch-depth: 0"):
        shallow.resolve(old)
    assert [entry.sha for entry in shallow.log([DOC3], None, "HEAD")] == [new]


# -- files -----------------------------------------------------------------------


def test_list_files_at_a_revision_and_in_the_working_tree(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write(".gitignore", "*.log\n")
    git_repo.write("docs/phase 1/ARCHITECTURE.md", "# spaces\n")
    git_repo.write("docs/fase-ü/ARCHITECTURE.md", "# unicode\n")
    git_repo.write("gone.md", "soon deleted\n")
    first = git_repo.commit()
    git_repo.write("new.md", "untracked\n")
    git_repo.write("debug.log", "ignored\n")
    git_repo.path("gone.md").unlink()
    repo = opened(git_repo)

    committed = [".gitignore", "docs/fase-ü/ARCHITECTURE.md", "docs/phase 1/ARCHITECTURE.md"]
    assert repo.list_files(first) == sorted([*committed, "gone.md"])
    assert repo.list_files(None) == sorted([*committed, "new.md"])


def test_read_file_at_a_revision_leaves_the_work_tree_and_index_alone(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write(DOC3, "# committed\n")
    git_repo.commit()
    git_repo.write(DOC3, "# edited, not committed\n")
    status_before = git_repo.git("status", "--porcelain")  # may refresh the index itself
    index = git_repo.root / ".git" / "index"
    index_before = (index.read_bytes(), index.stat().st_mtime_ns)
    repo = opened(git_repo)

    blob, data = repo.read_file("HEAD", DOC3)
    assert data == b"# committed\n"
    assert blob == git_repo.blob("HEAD", DOC3)
    assert git_repo.read(DOC3) == "# edited, not committed\n"
    assert (index.read_bytes(), index.stat().st_mtime_ns) == index_before
    assert git_repo.git("status", "--porcelain") == status_before

    blob, data = repo.read_file(None, DOC3)
    assert data == b"# edited, not committed\n"
    assert blob == git_repo.git("hash-object", DOC3) == blob_sha(data)


def test_read_file_handles_spaces_unicode_and_a_newline_in_paths(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    paths = ["docs/phase 1/ARCHITECTURE.md", "docs/fase-ü/ARCHITECTURE.md", "odd\nname.md"]
    for path in paths:
        git_repo.write(path, f"# {path}\n")
    git_repo.commit()
    repo = opened(git_repo)
    for path in paths:
        assert repo.read_file("HEAD", path) == (git_repo.blob("HEAD", path), f"# {path}\n".encode())
    assert "odd\nname.md" in repo.list_files("HEAD")


def test_read_file_errors_name_the_path_and_the_revision(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write(DOC3, "# v1\n")
    git_repo.commit()
    git_repo.tag("v1.0")
    repo = opened(git_repo)

    with pytest.raises(DocumentError) as caught:
        repo.read_file("v1.0", "docs/phase-9/ARCHITECTURE.md")
    assert str(caught.value) == (
        "docs/phase-9/ARCHITECTURE.md not found at v1.0. "
        "`git ls-tree -r --name-only v1.0` lists its files."
    )
    with pytest.raises(DocumentError, match="not found in the working tree"):
        repo.read_file(None, "docs/phase-9/ARCHITECTURE.md")
    with pytest.raises(DocumentError, match=r"docs/phase-3 at v1\.0 is a tree, not a file"):
        repo.read_file("v1.0", "docs/phase-3")
    with pytest.raises(RepositoryError, match="Revision 'v9' not found"):
        repo.read_file("v9", DOC3)
    with pytest.raises(DocumentError, match="not a path inside the repository"):
        repo.read_file(None, "../outside.md")
    # The batch reader is still in step after the errors.
    assert repo.read_file("v1.0", DOC3)[1] == b"# v1\n"


def test_many_reads_share_one_batch_process(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    for number in range(5):
        git_repo.write(f"docs/phase-{number}/ARCHITECTURE.md", f"# {number}\n")
        git_repo.commit()
    repo = opened(git_repo)
    blobs = [
        change.new_blob for entry in repo.log(["docs/**"], None, "HEAD") for change in entry.changes
    ]
    git_cmd = repo._repo.git  # GitPython's persistent processes are the thing under test
    process = None
    for blob in blobs:
        assert blob is not None
        repo.read_blob(blob)
        repo.read_file("HEAD", DOC3.replace("3", "2"))
        process = process or git_cmd.cat_file_all
        assert git_cmd.cat_file_all is process
    assert git_cmd.cat_file_header is None  # never a second (--batch-check) process


def test_missing_object_raises_missing_object_error(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write(DOC3, "# soon lost\n")
    git_repo.commit()
    blob = git_repo.blob("HEAD", DOC3)
    (git_repo.root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    repo = opened(git_repo)

    with pytest.raises(MissingObjectError, match=f"Object {blob} is missing"):
        repo.read_blob(blob)
    tree = git_repo.rev_parse("HEAD^{tree}")
    with pytest.raises(RepositoryError, match="is a tree, not a blob"):
        repo.read_blob(tree)


def test_bare_repository_reads_revisions_but_has_no_working_tree(
    git_repo: GitRepoBuilder, tmp_path: Path
) -> None:
    git_repo.write(DOC3, "# v1\n")
    git_repo.commit()
    git_repo.git("clone", "--quiet", "--bare", str(git_repo.root), str(tmp_path / "bare.git"))
    with Repository.open(tmp_path / "bare.git") as repo:
        assert repo.is_bare
        assert repo.read_file("HEAD", DOC3)[1] == b"# v1\n"
        with pytest.raises(RepositoryError, match="bare repository"):
            repo.list_files(None)


# -- log -------------------------------------------------------------------------


def test_log_follows_a_directory_rename_with_both_blobs(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write(DOC3, "# Phase 3\n\nTracing.\n" * 5)
    added = git_repo.commit("add phase 3", author="Bo Builder <bo@example.com>")
    old_blob = git_repo.blob("HEAD", DOC3)
    git_repo.mv("docs/phase-3", "docs/phases/phase-3")
    git_repo.write("docs/phases/phase-3/ARCHITECTURE.md", "# Phase 3\n\nTracing.\n" * 5 + "More.\n")
    moved = git_repo.commit("move phase 3", date="2024-06-01T09:30:00+02:00")
    new_blob = git_repo.blob("HEAD", "docs/phases/phase-3/ARCHITECTURE.md")
    repo = opened(git_repo)

    entries = repo.log(["docs/**/ARCHITECTURE.md"], None, "HEAD")

    assert [entry.sha for entry in entries] == [moved, added]
    assert entries[0].changes == (
        FileChange("R", DOC3, "docs/phases/phase-3/ARCHITECTURE.md", old_blob, new_blob),
    )
    assert entries[0].date == "2024-06-01T09:30:00+02:00"
    assert entries[0].subject == "move phase 3"
    assert entries[0].parents == (added,)
    assert entries[1] == LogEntry(
        sha=added,
        parents=(),
        author_name="Bo Builder",
        author_email="bo@example.com",
        date="2024-01-02T00:00:00+00:00",
        subject="add phase 3",
        changes=(FileChange("A", None, DOC3, None, old_blob),),
    )


def test_log_with_first_parent_shows_a_merge_with_what_its_branch_brought(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write(DOC3, "# v1\n")
    base = git_repo.commit("base")
    git_repo.branch("feature")
    git_repo.write(DOC3, "# v2 from the branch\n")
    branch_commit = git_repo.commit("on the branch")
    git_repo.switch("main")
    git_repo.write("README.md", "unrelated\n")
    git_repo.commit("unrelated on main")
    merge = git_repo.merge("feature")
    repo = opened(git_repo)

    mainline = repo.log([DOC3], None, "HEAD")
    assert [entry.sha for entry in mainline] == [merge, base]
    assert len(mainline[0].parents) == 2
    assert mainline[0].changes == (
        FileChange("M", DOC3, DOC3, git_repo.blob(base, DOC3), git_repo.blob(branch_commit, DOC3)),
    )

    everything = repo.log([DOC3], None, "HEAD", first_parent=False)
    assert [entry.sha for entry in everything] == [merge, branch_commit, base]
    assert everything[0].changes == mainline[0].changes


def test_log_range_limit_deletion_and_odd_paths(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    spaced, unicode = "docs/phase 1/ARCHITECTURE.md", "docs/fase-ü/ARCHITECTURE.md"
    git_repo.write(spaced, "# one\n")
    git_repo.write(unicode, "# ü\n")
    first = git_repo.commit("add both")
    git_repo.tag("v1.0", annotated=True)
    git_repo.write("docs/other.txt", "not a document\n")
    git_repo.commit("not matching")
    git_repo.write(spaced, "# one, edited\n")
    edited = git_repo.commit("")  # an empty subject must not shift the parse
    git_repo.rm(unicode)
    deleted = git_repo.commit("drop ü")
    repo = opened(git_repo)

    entries = repo.log(["docs/**/ARCHITECTURE.md"], "v1.0", "HEAD")
    assert [entry.sha for entry in entries] == [deleted, edited]
    assert entries[0].changes == (
        FileChange("D", unicode, None, git_repo.blob(first, unicode), None),
    )
    assert entries[1].subject == ""
    assert [change.path for change in entries[1].changes] == [spaced]
    assert [e.sha for e in repo.log(["docs/**/ARCHITECTURE.md"], None, "HEAD", max_count=1)] == [
        deleted
    ]
    full = repo.log(["docs/**/ARCHITECTURE.md"], None, "HEAD")
    assert {change.path for change in full[-1].changes} == {spaced, unicode}


def test_log_runs_one_git_process(
    git_repo: GitRepoBuilder,
    opened: Callable[[GitRepoBuilder], Repository],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for number in range(30):
        git_repo.write(DOC3, f"# version {number}\n")
        git_repo.commit(f"v{number}")
    repo = opened(git_repo)
    commands: list[str] = []
    original = Repository._run

    def counting(self: Repository, command: str, *args: str) -> bytes:
        commands.append(command)
        return original(self, command, *args)

    monkeypatch.setattr(Repository, "_run", counting)
    entries = repo.log([DOC3], None, "HEAD")
    assert len(entries) == 30
    assert commands.count("log") == 1


def test_log_rejects_bad_revisions_and_pathspecs_clearly(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write(DOC3, "# v1\n")
    git_repo.commit()
    repo = opened(git_repo)
    with pytest.raises(RepositoryError, match="Revision 'v9' not found"):
        repo.log([DOC3], "v9", "HEAD")
    with pytest.raises(RepositoryError, match="git log failed: fatal:"):
        repo.log([":(nonsense)x"], None, "HEAD")


# -- the log parser alone ---------------------------------------------------------

_SHA = st.text("0123456789abcdef", min_size=40, max_size=40).filter(lambda sha: sha.strip("0"))
# Characters that could confuse a parser: separators, the marker's first byte, ":" (which
# starts a raw line), newlines, quotes, non-ASCII.
_ALPHABET = st.sampled_from(list("ab :/\n\t\x1e\"'\\é日🙂-"))
_PATH = st.text(_ALPHABET, min_size=1, max_size=20) | st.just("\x1ephasediff-commit")
_FIELD = st.text(_ALPHABET.filter(lambda char: char != "\n"), max_size=20)


@st.composite
def _changes(draw: st.DrawFn) -> FileChange:
    status = draw(st.sampled_from("AMDR"))
    old_path = None if status == "A" else draw(_PATH)
    new_path = None if status == "D" else (old_path if status == "M" else draw(_PATH))
    old_blob = None if status == "A" else draw(_SHA)
    new_blob = None if status == "D" else draw(_SHA)
    return FileChange(status, old_path, new_path, old_blob, new_blob)


@st.composite
def _entries(draw: st.DrawFn) -> LogEntry:
    return LogEntry(
        sha=draw(_SHA),
        parents=tuple(draw(st.lists(_SHA, max_size=2))),
        author_name=draw(_FIELD),
        author_email=draw(_FIELD),
        date="2024-01-02T03:04:05+01:00",
        subject=draw(_FIELD),
        changes=tuple(draw(st.lists(_changes(), max_size=3))),
    )


def _as_git_output(entries: list[LogEntry]) -> bytes:
    """What ``git log -z --raw`` writes for ``entries`` (header, newline, raw records)."""
    zero = "0" * 40
    records = []
    for entry in entries:
        header = "\0".join(
            [
                "\x1ephasediff-commit",
                entry.sha,
                " ".join(entry.parents),
                entry.author_name,
                entry.author_email,
                entry.date,
                entry.subject,
            ]
        )
        raw = []
        for change in entry.changes:
            status = "R100" if change.status == "R" else change.status
            meta = (
                f":{'000000' if change.status == 'A' else '100644'} "
                f"{'000000' if change.status == 'D' else '100644'} "
                f"{change.old_blob or zero} {change.new_blob or zero} {status}"
            )
            paths = [change.old_path, change.new_path] if change.status == "R" else [change.path]
            raw.append("\0".join([meta, *[p for p in paths if p is not None]]) + "\0")
        body = ("\n" + "".join(raw)) if raw else ""
        records.append(header + "\0" + body)
    return "\0".join(records).encode("utf-8")


@given(st.lists(_entries(), max_size=4))
def test_parse_log_round_trips_any_fields_and_paths(entries: list[LogEntry]) -> None:
    assert parse_log(_as_git_output(entries)) == entries


def test_parse_log_rejects_garbage() -> None:
    with pytest.raises(RepositoryError, match="Unexpected git log output"):
        parse_log(b"warning: something odd\0")


def test_a_file_whose_object_is_missing_says_so_with_its_path(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write(DOC3, "# soon lost\n")
    git_repo.commit()
    blob = git_repo.blob("HEAD", DOC3)
    (git_repo.root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    repo = opened(git_repo)
    head = git_repo.rev_parse("HEAD")
    with pytest.raises(MissingObjectError) as caught:
        repo.read_file(head, DOC3)
    assert str(caught.value) == (
        f"Object {blob[:7]} of {DOC3} at {head[:7]} is missing from this clone; "
        "fetch it or use a full clone."
    )
    assert caught.value.blob == blob
    with pytest.raises(DocumentError, match="not found at"):
        repo.read_file(head, "docs/phase-9/ARCHITECTURE.md")
