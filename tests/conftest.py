"""Shared test fixtures: real git repositories, built quickly and reproducibly.

``git_repo`` gives an empty repository (branch ``main``) in ``tmp_path``;
``make_git_repo(name)`` makes more of them (for clones, or two repositories in
one test).  Both return a ``GitRepoBuilder``::

    def test_something(git_repo: GitRepoBuilder) -> None:
        git_repo.write("docs/phase-1/ARCHITECTURE.md", "# Phase 1 Architecture\\n")
        first = git_repo.commit("phase 1")            # stages everything, returns the SHA
        git_repo.tag("v1.0", annotated=True)
        git_repo.mv("docs/phase-1", "docs/phases/phase-1")
        git_repo.commit("move", date="2024-03-01T12:00:00+02:00", author="Bo <bo@example.com>")
        repo = Repository.open(git_repo.root)

For type annotations import the class under ``TYPE_CHECKING`` only (conftest
is not meant to be imported at run time)::

    if TYPE_CHECKING:
        from tests.conftest import GitRepoBuilder

git runs with an isolated environment (no global or system config, fixed
identities, no signing, no pager), and every commit gets a distinct,
deterministic date (one day apart from 2024-01-01) unless ``date=`` is given,
so SHAs and ``log`` order are the same on every machine.  The ``git_repo`` and
``make_git_repo`` fixtures also isolate the git that phasediff itself runs
(through GitPython) from the developer's configuration.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

DEFAULT_AUTHOR = "Ada Lovelace <ada@example.com>"
_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

#: An empty global git config of our own. Not /dev/null: a git command that writes
#: global config renames its lock file over the target, and would replace the device.
_EMPTY_GITCONFIG = Path(tempfile.mkdtemp(prefix="phasediff-tests-")) / "gitconfig"
_EMPTY_GITCONFIG.touch()

#: Environment that makes git ignore the machine it runs on.
GIT_ENV: dict[str, str] = {
    "GIT_CONFIG_GLOBAL": str(_EMPTY_GITCONFIG),
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_AUTHOR_NAME": "Ada Lovelace",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Lovelace",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "LC_ALL": "C",
    "TZ": "UTC",
}

# Settings passed with -c on every call, so they hold whatever the repository's config says.
_GIT_OPTIONS = (
    "-c", "commit.gpgsign=false",
    "-c", "tag.gpgsign=false",
    "-c", "init.defaultBranch=main",
    "-c", "core.autocrlf=false",
    "-c", "core.quotepath=false",
    "-c", "advice.detachedHead=false",
    "-c", "protocol.file.allow=always",
)  # fmt: skip


class GitRepoBuilder:
    """A real git repository under construction; all paths are POSIX, relative to ``root``."""

    def __init__(self, root: Path, *, init: bool = True) -> None:
        self.root = root
        self._commits = 0
        if init:
            root.mkdir(parents=True, exist_ok=True)
            self.git("init", "--quiet", "--initial-branch=main")

    # -- plumbing -------------------------------------------------------------

    def git(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        """Run ``git ARGS`` in the repository and return its stdout (text, stripped)."""
        return self.git_bytes(*args, env=env, check=check).decode("utf-8").strip()

    def git_bytes(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> bytes:
        """Run ``git ARGS`` and return raw stdout; on failure show git's stderr in the assertion."""
        result = subprocess.run(
            ["git", *_GIT_OPTIONS, *args],
            cwd=self.root,
            env={**os.environ, **GIT_ENV, **(env or {})},
            capture_output=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"git {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stderr.decode('utf-8', 'replace')}"
            )
        return result.stdout

    # -- the work tree ----------------------------------------------------------

    def path(self, path: str) -> Path:
        """The absolute path of ``path`` in the work tree."""
        return self.root / path

    def write(self, path: str, content: str | bytes) -> Path:
        """Write a file (creating directories); text is written as UTF-8 with ``\\n`` endings."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        target.write_bytes(content)
        return target

    def read(self, path: str) -> str:
        """A work-tree file's text."""
        return (self.root / path).read_text(encoding="utf-8")

    def rm(self, path: str) -> None:
        """``git rm -r`` a file or directory (staged; commit to record it)."""
        self.git("rm", "-r", "--quiet", "--", path)

    def mv(self, source: str, destination: str) -> None:
        """``git mv`` a tracked file or directory, creating the destination's parent."""
        (self.root / destination).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", "--", source, destination)

    # -- history ---------------------------------------------------------------

    def commit(
        self,
        message: str = "change",
        *,
        date: str | None = None,
        author: str | None = None,
        stage_all: bool = True,
        allow_empty: bool = False,
    ) -> str:
        """Stage everything (unless ``stage_all=False``), commit, and return the new SHA.

        ``date`` is ISO 8601 (``2024-05-01T10:00:00+02:00``) and sets author and
        committer dates; by default each commit is one day after the previous
        one.  ``author`` is ``"Name <email>"``.
        """
        if stage_all:
            self.git("add", "--all")
        args = ["commit", "--quiet", "--no-verify", "-m", message]
        if allow_empty:
            args.append("--allow-empty")
        if not message:
            args.append("--allow-empty-message")
        if author is not None:
            args.append(f"--author={author}")
        self.git(*args, env=self._date_env(date))
        return self.rev_parse("HEAD")

    def tag(
        self, name: str, *, annotated: bool = False, rev: str = "HEAD", message: str | None = None
    ) -> None:
        """Tag ``rev``; an annotated tag is a tag object, a lightweight one just a ref."""
        if annotated:
            self.git("tag", "-a", name, "-m", message or name, rev, env=self._date_env(None))
        else:
            self.git("tag", name, rev)

    def branch(self, name: str, start: str = "HEAD") -> None:
        """Create branch ``name`` at ``start`` and switch to it."""
        self.git("switch", "--quiet", "--create", name, start)

    def switch(self, name: str) -> None:
        """Switch to an existing branch."""
        self.git("switch", "--quiet", name)

    def merge(self, branch: str, message: str | None = None, *, date: str | None = None) -> str:
        """Merge ``branch`` into the current branch with a merge commit; return its SHA."""
        self.git(
            "merge",
            "--no-ff",
            "--no-edit",
            "--quiet",
            "-m",
            message or f"Merge branch '{branch}'",
            branch,
            env=self._date_env(date),
        )
        return self.rev_parse("HEAD")

    def rev_parse(self, rev: str = "HEAD") -> str:
        """The full SHA ``rev`` names."""
        return self.git("rev-parse", "--verify", rev)

    def blob(self, rev: str, path: str) -> str:
        """The blob SHA of ``path`` at ``rev``."""
        return self.rev_parse(f"{rev}:{path}")

    def clone(self, destination: Path, *, depth: int | None = None) -> GitRepoBuilder:
        """Clone this repository over ``file://`` (so ``depth`` really makes it shallow)."""
        args = ["clone", "--quiet"]
        if depth is not None:
            args.append(f"--depth={depth}")
        self.git(*args, self.root.as_uri(), str(destination))
        return GitRepoBuilder(destination, init=False)

    def _date_env(self, date: str | None) -> dict[str, str]:
        if date is None:
            self._commits += 1
            date = (_EPOCH + dt.timedelta(days=self._commits)).isoformat()
        return {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}


@pytest.fixture
def isolated_git_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the git that phasediff runs (via GitPython) ignore the developer's config."""
    for name in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_TERMINAL_PROMPT", "LC_ALL"):
        monkeypatch.setenv(name, GIT_ENV[name])
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def git_repo(tmp_path: Path, isolated_git_env: None) -> GitRepoBuilder:
    """An empty git repository (branch ``main``) at ``tmp_path / "repo"``."""
    return GitRepoBuilder(tmp_path / "repo")


@pytest.fixture
def make_git_repo(
    tmp_path: Path, isolated_git_env: None
) -> Iterator[Callable[[str], GitRepoBuilder]]:
    """A factory: ``make_git_repo("upstream")`` gives an empty repository at ``tmp_path/name``."""

    def make(name: str) -> GitRepoBuilder:
        return GitRepoBuilder(tmp_path / name)

    yield make


# -- the demo repository ---------------------------------------------------------


def _load_build_demo() -> Callable[[Path], Path]:
    """``fixtures/build_demo.build_demo``, imported from its file (fixtures/ is no package)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "fixtures" / "build_demo.py"
    spec = importlib.util.spec_from_file_location("build_demo", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_demo", module)
    spec.loader.exec_module(module)
    build: Callable[[Path], Path] = module.build_demo
    return build


@pytest.fixture(scope="session")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo repository built from fixtures/ once per session. Treat it as read-only."""
    return _load_build_demo()(tmp_path_factory.mktemp("demo") / "repo")
