"""Hostile inputs: how long phasediff takes, and how much memory, on documents built to hurt.

Run: ``python benchmarks/hostile.py [--changes 5000 10000 20000] [--rows 100000] [--quick]``.

Each case is a repository built with one ``git fast-import`` stream and one
phasediff command run on it, with a time limit (``--timeout``, the run is
killed past it and reported as such); the figures are wall time and peak
memory (max RSS) of that command:

* ``changelog`` over one range in which N environment variables are added to
  one phase, over ten commits: N changes in one section, each attributed to
  the commits that brought it about (``history.Attribution``, once quadratic);
* ``phasediff 4 --from HEAD~1 --to HEAD`` where HEAD gives a component a YAML
  configuration block of nine lines whose aliases expand to a billion nodes
  ("billion laughs");
  the same repository through ``log -n 1``, ``changelog``, ``show --format json``
  and ``comment --dry-run``;
* ``phases`` and ``log`` with a glob of twelve ``*`` in one component against a
  200-character directory name (once catastrophic backtracking, ours and git's);
* ``phases`` in a working tree whose phase document has a table of
  ``--rows`` rows (about 7 MB at 100k rows): parser time and memory per row.

``--quick`` runs tiny sizes once: a smoke test that the script works, not a
measurement.  ``--code DIR`` imports phasediff from DIR (``PYTHONPATH``), to
compare two versions of the code on the same inputs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}
EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_mb: float
    exit_code: int | None  # None: killed at the time limit


def document(phase: str, variables: Sequence[str], configuration: str = "") -> str:
    """A phase document with one component and an environment-variable table."""
    parts = [
        f"# Phase {phase} Architecture: Hostile",
        "",
        "## Overview",
        "",
        f"**Phase:** {phase}",
        "**Status:** 🚧 In Progress",
        "",
        "## Component Details",
        "",
        "### Component 1: Gateway",
        "",
        "**Purpose:** Routes requests.",
        "",
        "**Technology:** Envoy 1.30",
        "",
    ]
    if configuration:
        parts += ["**Configuration:**", "```yaml", configuration.rstrip("\n"), "```", ""]
    parts += [
        "## Configuration Management",
        "",
        "### Environment Variables",
        "",
        "| Variable | Default | Purpose | Required |",
        "|----------|---------|---------|----------|",
        *(
            f"| `{name}` | `value-{name.lower()}` | Read by the gateway | Yes |"
            for name in variables
        ),
        "",
    ]
    return "\n".join(parts)


def alias_bomb() -> str:
    """Nine lines of YAML whose aliases expand to 9**9 (387 million) strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join(f'*{previous}' for _ in range(9))}]")
    return "\n".join(lines) + "\n"


def fast_import(repo: Path, commits: Sequence[tuple[str, dict[str, str], str | None]]) -> None:
    """A new repository at ``repo`` with ``commits`` (message, files, tag) on ``main``."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=_env())
    stream: list[bytes] = []
    for number, (message, files, tag) in enumerate(commits):
        stream += [
            b"commit refs/heads/main\n",
            f"committer Bench <bench@example.com> {EPOCH + number * 3600} +0000\n".encode(),
            f"data {len(message.encode())}\n{message}\n".encode(),
        ]
        for path, text in files.items():
            data = text.encode()
            stream += [f"M 100644 inline {path}\ndata {len(data)}\n".encode(), data, b"\n"]
        if tag:
            stream.append(f"reset refs/tags/{tag}\nfrom refs/heads/main\n\n".encode())
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(stream), check=True, env=_env()
    )
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, check=True, env=_env())


def _env(code: Path | None = None) -> dict[str, str]:
    env = {**os.environ, **GIT_ENV, "NO_COLOR": "1"}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    return env


def run(command: Sequence[str], cwd: Path, timeout: float, code: Path | None) -> Run:
    """Run ``command`` (stdout discarded); wall time, peak RSS, exit code or None if killed."""
    with open(os.devnull, "wb") as devnull:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=_env(code), stdout=devnull, stderr=devnull)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            process.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    code_ = None if killed.is_set() else process.returncode
    return Run(seconds, usage.ru_maxrss / 1024, code_)


def show(label: str, result: Run, timeout: float) -> None:
    if result.exit_code is None:
        outcome = f"killed at the {timeout:.0f} s limit"
    else:
        outcome = f"exit {result.exit_code}"
    print(f"{label:<46} {result.seconds:>8.2f} s {result.max_rss_mb:>8.0f} MB  {outcome}")


def changelog_case(workdir: Path, changes: int, timeout: float, code: Path | None) -> Run:
    repo = workdir / f"changelog-{changes}"
    names = [f"VAR_{index:06d}" for index in range(changes)]
    path = "docs/phase-2/ARCHITECTURE.md"
    commits: list[tuple[str, dict[str, str], str | None]] = [
        ("phase 2", {path: document("2", [])}, "v1")
    ]
    step = max(1, changes // 10)
    for end in range(step, changes + step, step):
        commits.append((f"{min(end, changes)} variables", {path: document("2", names[:end])}, None))
    commits[-1] = (commits[-1][0], commits[-1][1], "v2")
    fast_import(repo, commits)
    command = [sys.executable, "-m", "phasediff", "changelog", "--from", "v1", "--to", "v2"]
    return run([*command, "--no-cache"], repo, timeout, code)


def alias_bomb_case(workdir: Path, timeout: float, code: Path | None) -> Run:
    repo = workdir / "alias-bomb"
    path = "docs/phase-4/ARCHITECTURE.md"
    fast_import(
        repo,
        [
            ("phase 4", {path: document("4", ["GATEWAY_PORT"], "listen: 8080\n")}, None),
            ("phase 4: bomb", {path: document("4", ["GATEWAY_PORT"], alias_bomb())}, None),
        ],
    )
    command = [sys.executable, "-m", "phasediff", "4", "--from", "HEAD~1", "--to", "HEAD"]
    return run(command, repo, timeout, code)


#: Every other command that reads the alias bomb, on the repository ``alias_bomb_case`` built.
ALIAS_BOMB_COMMANDS = {
    "log -n 1, YAML alias bomb": ["log", "-n", "1", "--no-cache"],
    "changelog, YAML alias bomb": ["changelog", "--from", "HEAD~1", "--no-cache"],
    "show 4 --format json, YAML alias bomb": ["show", "4", "--rev", "HEAD", "--format", "json"],
    "comment --dry-run, YAML alias bomb": ["comment", "--dry-run", "--base", "HEAD~1",
                                           "--head", "HEAD"],
}  # fmt: skip


def glob_case(workdir: Path, timeout: float, code: Path | None) -> list[tuple[str, Run]]:
    """``phases`` and ``log`` with a glob of twelve stars against a 200-character directory."""
    repo = workdir / "glob"
    settings = '[tool.phasediff]\nglobs = ["**/*a*a*a*a*a*a*a*a*a*a*a*a*b/ARCHITECTURE.md"]\n'
    files = {
        "pyproject.toml": settings,
        f"docs/{'a' * 200}/ARCHITECTURE.md": document("2", ["GATEWAY_PORT"]),
        f"docs/{'a' * 12}b/ARCHITECTURE.md": document("3", ["GATEWAY_PORT"]),
    }
    fast_import(repo, [("phases", files, None)])
    base = [sys.executable, "-m", "phasediff"]
    return [
        ("phases, backtracking glob", run([*base, "phases"], repo, timeout, code)),
        ("log, backtracking glob", run([*base, "log", "--no-cache"], repo, timeout, code)),
    ]


def table_case(workdir: Path, rows: int, timeout: float, code: Path | None) -> tuple[Run, int]:
    repo = workdir / f"table-{rows}"
    path = "docs/phase-5/ARCHITECTURE.md"
    text = document("5", [f"VAR_{index:06d}" for index in range(rows)])
    fast_import(repo, [("phase 5", {path: text}, None)])
    command = [sys.executable, "-m", "phasediff", "phases"]
    return run(command, repo, timeout, code), len(text.encode())


def per_row(workdir: Path, rows: int, timeout: float, code: Path | None, peak_mb: float) -> float:
    """Bytes of peak RSS per table row, over what a one-row document costs."""
    baseline, _ = table_case(workdir, 1, timeout, code)
    return (peak_mb - baseline.max_rss_mb) * 1024 * 1024 / max(rows - 1, 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, nargs="+", default=[5000, 10000, 20000])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    parser.add_argument("--code", type=Path, default=None, help="import phasediff from here")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.changes, args.rows, args.timeout = [50], 200, 60.0
    code = args.code.resolve() if args.code else None
    print(f"{'case':<46} {'wall':>10} {'peak RSS':>11}  outcome")
    with tempfile.TemporaryDirectory(prefix="phasediff-hostile-") as scratch:
        workdir = Path(scratch)
        for changes in args.changes:
            result = changelog_case(workdir, changes, args.timeout, code)
            show(f"changelog, {changes} changes in one range", result, args.timeout)
        result = alias_bomb_case(workdir, args.timeout, code)
        show("diff 4 HEAD~1..HEAD, YAML alias bomb", result, args.timeout)
        for label, arguments in ALIAS_BOMB_COMMANDS.items():
            command = [sys.executable, "-m", "phasediff", *arguments]
            show(label, run(command, workdir / "alias-bomb", args.timeout, code), args.timeout)
        for label, result in glob_case(workdir, args.timeout, code):
            show(label, result, args.timeout)
        result, size = table_case(workdir, args.rows, args.timeout, code)
        label = f"phases, {args.rows} table rows ({size / 1e6:.1f} MB)"
        show(label, result, args.timeout)
        row_bytes = per_row(workdir, args.rows, args.timeout, code, result.max_rss_mb)
        print(f"{'':<46} {'':>10} {row_bytes:>8.0f} B per row (over a one-row document)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
