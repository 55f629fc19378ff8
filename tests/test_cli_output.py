"""Where the result goes: stdout that fills up or closes, and files written with --output/--prepend.

These run phasediff in a child process, because the failures live at the file
descriptor: a full disk (/dev/full), a file-size limit (RLIMIT_FSIZE, as ``ulimit -f``
sets it), a closed stdout, a reader that went away.  Output cut short must never
exit 0, and a failed write leaves no temporary file behind.
"""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from phasediff.cli.common import MAX_INPUT_FILE

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

#: Small enough that every command below writes more than this.
LIMIT = 1000

COMMANDS = [
    ("log", "--no-cache"),
    ("changelog", "--from", "v1.0", "--no-cache"),
    ("2", "3"),
    ("show", "3"),
]


def run(
    repo: Path,
    *args: str,
    stdout: Any = subprocess.PIPE,
    limit: int | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """``phasediff ARGS --repo REPO`` in a child, its file size limited to ``limit`` bytes."""
    preexec: Callable[[], None] | None = None
    if limit is not None:

        def preexec() -> None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "phasediff", *args, "--repo", str(repo)],
        stdout=stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
        preexec_fn=preexec,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[bytes]) -> str:
    text = result.stderr.decode()
    assert text.count("\n") == 1, text
    assert "internal error" not in text and "Traceback" not in text
    return text


@pytest.mark.usefixtures("isolated_git_env")
@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: args[0])
def test_a_file_size_limit_on_stdout_is_exit_3_not_cut_output(
    demo_repo: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    with (tmp_path / "out.txt").open("wb") as out:
        result = run(demo_repo, *args, stdout=out, limit=LIMIT)
    assert result.returncode == 3
    assert "Cannot write the result to stdout: File too large" in one_line(result)


@pytest.mark.usefixtures("isolated_git_env")
@pytest.mark.parametrize(
    "args",
    [*COMMANDS, ("phases",), ("check", "--list-rules"), ("log", "--help")],
    ids=lambda a: a[0],
)
def test_a_full_disk_on_stdout_is_exit_3(demo_repo: Path, args: tuple[str, ...]) -> None:
    with open("/dev/full", "wb") as full:
        result = run(demo_repo, *args, stdout=full)
    assert result.returncode == 3
    assert "No space left on device" in one_line(result)


@pytest.mark.usefixtures("isolated_git_env")
def test_a_closed_stdout_is_one_line(demo_repo: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "phasediff", "show", "3", "--repo", str(demo_repo)],
        stdout=None,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
        close_fds=True,
        pass_fds=(),
        preexec_fn=lambda: os.close(1),
        check=False,
    )
    assert result.returncode == 3
    assert "stdout: it is closed" in one_line(result)


@pytest.mark.usefixtures("isolated_git_env")
def test_a_reader_that_went_away_ends_quietly(demo_repo: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = run(demo_repo, "log", "--no-cache", stdout=write_end)
    finally:
        os.close(write_end)
    assert result.stderr == b""
    assert result.returncode == 141  # as git, killed by SIGPIPE


# -- --output ------------------------------------------------------------------------------


@pytest.fixture
def small_repo(git_repo: GitRepoBuilder) -> Path:
    from tests.support.phase_docs import PHASE_2, PHASE_3

    git_repo.write("docs/phase-2/ARCHITECTURE.md", PHASE_2)
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3)
    git_repo.commit("phases")
    git_repo.tag("v1.0")
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3.replace("TEMPO_URL", "TEMPO_ADDR"))
    git_repo.commit("rename")
    return git_repo.root


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.endswith(".tmp"))


def test_output_keeps_the_mode_of_the_file_it_replaces(small_repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "diff.txt"
    target.write_text("old\n")
    target.chmod(0o644)
    result = run(small_repo, "2", "3", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert "Tempo" in target.read_text()


def test_a_new_output_file_gets_the_umask_mode(small_repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    old = os.umask(0o022)
    try:
        result = run(small_repo, "2", "3", "--output", str(target))
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_read_only_output_file_is_refused(small_repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "frozen.txt"
    target.write_text("keep me\n")
    target.chmod(0o444)
    result = run(small_repo, "2", "3", "--output", str(target))
    assert result.returncode == 3
    assert "read-only" in one_line(result)
    assert target.read_text() == "keep me\n"
    assert leftovers(tmp_path) == []


def test_output_past_the_file_size_limit_leaves_no_temporary_file(
    small_repo: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "diff.txt"
    target.parent.mkdir()
    target.write_text("before\n")
    result = run(small_repo, "2", "3", "--output", str(target), limit=100)
    assert result.returncode == 3
    assert "File too large" in one_line(result)
    assert target.read_text() == "before\n"
    assert leftovers(target.parent) == []


def test_output_into_a_directory_we_cannot_create_in_is_one_line(
    small_repo: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run(small_repo, "2", "3", "--output", str(blocker / "sub" / "diff.txt"))
    assert result.returncode == 3
    one_line(result)


# -- --prepend and --template --------------------------------------------------------------


def test_prepend_past_the_file_size_limit_keeps_the_changelog(
    small_repo: Path, tmp_path: Path
) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## 0.1\n\n- first\n")
    result = run(small_repo, "changelog", "--from", "v1.0", "--no-cache", "--prepend",
                 str(changelog), limit=40)  # fmt: skip
    assert result.returncode == 3
    assert "File too large" in one_line(result)
    assert changelog.read_text() == "# Changelog\n\n## 0.1\n\n- first\n"
    assert leftovers(tmp_path) == []


def test_prepend_keeps_the_changelog_mode(small_repo: Path, tmp_path: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n")
    changelog.chmod(0o640)
    result = run(small_repo, "changelog", "--from", "v1.0", "--no-cache", "--prepend",
                 str(changelog))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(changelog.stat().st_mode) == 0o640


@pytest.mark.parametrize("option", ["--prepend", "--template"])
def test_an_endless_input_file_is_refused(small_repo: Path, option: str) -> None:
    result = run(small_repo, "changelog", "--from", "v1.0", "--no-cache", option, "/dev/zero")
    assert result.returncode == 3
    assert f"larger than {MAX_INPUT_FILE // (1024 * 1024)} MiB" in one_line(result)


@pytest.mark.usefixtures("isolated_git_env")
def test_a_comment_dry_run_on_a_full_disk_is_one_line(demo_repo: Path) -> None:
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "phasediff", "comment", "--dry-run", "--base", "v1.0",
             "--head", "HEAD", "--checkout", str(demo_repo)],
            stdout=full,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1"},
            check=False,
        )  # fmt: skip
    assert result.returncode == 3
    assert "No space left on device" in one_line(result)
