"""A cold walk stopped by a signal leaves nothing running and says one line.

``phasediff log`` runs in a real subprocess on a generated repository large
enough for the walk to use worker processes; once the workers and ``git
cat-file`` are up, the test signals it and checks, within bounded waits, that
every process it had started is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.phase_docs import document

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")

COMMITS = 2500  # enough pairs for the worker pool, and a walk long enough to be caught


def _fast_import(repo: GitRepoBuilder) -> None:
    """``COMMITS`` commits of one phase document, each renaming one env var."""
    components = [f"Service{index}" for index in range(12)]
    stream: list[bytes] = []
    for number in range(COMMITS):
        env = [f"VAR_{index}_{number if index == number % 20 else 0}" for index in range(20)]
        data = document("2", components, env).encode()
        stream += [
            b"commit refs/heads/main\n",
            f"committer Ada <ada@example.com> {1_700_000_000 + number * 60} +0000\n".encode(),
            f"data {len(f'change {number}')}\nchange {number}\n".encode(),
            f"M 100644 inline docs/phase-2/ARCHITECTURE.md\ndata {len(data)}\n".encode(),
            data,
            b"\n",
        ]
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo.root,
        input=b"".join(stream),
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    subprocess.run(["git", "reset", "--hard", "-q", "main"], cwd=repo.root, check=True)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its (re)parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _default_signals() -> None:
    """Start the command as a terminal would: a runner that ignores SIGINT or SIGHUP
    (a background job, ``nohup``) passes that on, and phasediff keeps an ignored one."""
    for number in (signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


@pytest.fixture(scope="module")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import GIT_ENV, GitRepoBuilder

    os.environ.update({k: v for k, v in GIT_ENV.items() if k.startswith("GIT_CONFIG")})
    repo = GitRepoBuilder(tmp_path_factory.mktemp("signals") / "repo")
    _fast_import(repo)
    return repo.root


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL])
def test_a_signal_during_a_cold_walk_leaves_no_process_behind(
    big_repo: Path, tmp_path: Path, number: int
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "phasediff", "log", "--cache-dir", str(tmp_path / "cache")],
        cwd=big_repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a shell job would have
        preexec_fn=_default_signals,
    )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            started |= _descendants(process.pid)
            workers = [pid for pid in started if "phasediff" in _command(pid)]
            if len(workers) >= 2 and any("cat-file" in _command(pid) for pid in started):
                break
            time.sleep(0.02)
        assert process.poll() is None, "the walk ended before its workers were seen"
        started |= _descendants(process.pid)
        if number == signal.SIGINT:
            os.killpg(process.pid, number)  # Ctrl-C reaches the whole foreground group
        else:
            os.kill(process.pid, number)
        _, stderr = process.communicate(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(pid) for pid in started):
            time.sleep(0.05)
        survivors = {pid: _command(pid) for pid in started if _alive(pid)}
        assert survivors == {}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        for pid in started:  # a failing run must not leave its orphans to the machine
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    text = stderr.decode()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    if number == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 128 + number
        expected = "Interrupted.\n" if number == signal.SIGINT else "Terminated.\n"
        assert text == expected
