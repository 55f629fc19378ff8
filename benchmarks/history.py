"""Full-history speed: ``phasediff log`` against ``git log -p`` on a synthetic repository.

Run: ``python benchmarks/history.py [--commits 2000 10000] [--repeat 5] [--quick]``.

For each N the script builds, with one ``git fast-import`` stream, a repository
of N commits: 8 phase documents (about 13 KB each, written like the template:
components with YAML configuration, metric, env-var and config-file tables,
checklists) edited by realistic commits, a fifth of them touching two documents,
a few only re-wrapping prose or re-ordering rows, and a third of all commits
touching other files only.  Then, side by side in one run, ``--repeat`` times
each, it measures (medians):

* ``git log -p`` over the phase-document paths (the reference);
* ``phasediff log`` over the full history, cold (an empty cache directory,
  so the run parses everything and writes the cache) and warm (from that cache);
* an incremental run: the cache warmed on ``main~5``, then ``phasediff log``
  over ``main``, which has 5 more document commits;
* peak memory (max RSS of the phasediff process) and the number of ``git log``
  and ``git cat-file`` processes each phasediff run started (from ``GIT_TRACE``).

``--quick`` builds a tiny repository once and measures each thing once: a smoke
test that the script still works, not a measurement.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import itertools
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PHASES = 8
EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z
AUTHORS = (
    ("Maya Lindqvist", "maya@northwind.example"),
    ("Tomás Okafor", "tomas@northwind.example"),
    ("Priya Raman", "priya@northwind.example"),
    ("Jonas Becker", "jonas@northwind.example"),
)
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}
_PROSE = (
    "the platform ships metrics logs and traces from every host to a central store where "
    "dashboards alerts and runbooks give the on-call engineer one place to look during an "
    "incident while retention sampling and cost stay within the budget agreed with finance "
    "each service owner keeps a short list of golden signals and the collectors scrub "
    "personal data before anything leaves the host"
)
WORDS = tuple(_PROSE.split())
TECHNOLOGIES = (
    "Prometheus",
    "Grafana",
    "Loki",
    "Tempo",
    "Mimir",
    "Alertmanager",
    "OpenTelemetry Collector",
    "Grafana Alloy",
    "Kafka",
    "Redis",
    "PostgreSQL",
    "Envoy",
)


# -- synthetic documents ------------------------------------------------------------


@dataclass
class Component:
    name: str
    technology: str
    version: list[int]
    purpose: str
    config: dict[str, dict[str, str]]
    port: int


@dataclass
class Document:
    """One phase document as data; ``render`` writes it as template-shaped markdown."""

    phase: int
    status: str = "🚧 In Progress"
    started: str = "2026-01-05"
    completed: str = "TBD"
    overview: list[str] = field(default_factory=list)
    wrap: int = 100
    components: list[Component] = field(default_factory=list)
    metrics: list[tuple[str, str, str, str]] = field(default_factory=list)
    env: list[tuple[str, str, str, str]] = field(default_factory=list)
    files: list[tuple[str, str, str]] = field(default_factory=list)
    criteria: list[tuple[str, bool]] = field(default_factory=list)
    limitations: list[str] = field(default_factory=list)
    rto: int = 4
    rpo: int = 60
    version: int = 1
    reversed_rows: bool = False
    serial: int = 0

    def render(self) -> str:
        out: list[str] = [f"# Phase {self.phase} Architecture: Synthetic Platform {self.phase}", ""]
        out += ["## Overview", "", f"**Phase:** {self.phase}", f"**Status:** {self.status}"]
        out += [f"**Started:** {self.started}", f"**Completed:** {self.completed}", ""]
        out += [*_wrap(" ".join(self.overview), self.wrap), "", "---", ""]
        out += ["## What's New in This Phase", ""]
        out += [f"- [x] **{c.name}:** {c.purpose}" for c in self.components] + ["", "---", ""]
        out += ["## Architecture Diagram", "", "```mermaid", "graph TB"]
        ids = [f"C{index}" for index in range(len(self.components))]
        out += [f"    {i}[{c.name}]" for i, c in zip(ids, self.components, strict=True)]
        out += [f"    {a} --> {b}" for a, b in itertools.pairwise(ids)]
        out += [f"    style {i} fill:#90EE90" for i in ids] + ["```", "", "---", ""]
        out += ["## Component Details", ""]
        for index, component in enumerate(self.components, 1):
            out += _component(index, component)
        out += _fixed_sections(self.phase)
        out += ["## Deployment Architecture", "", "### High Availability", "", "**Network:**"]
        ports = ", ".join(f"{c.port}/tcp ({c.name})" for c in self.components)
        out += [f"- Ports opened: {ports}", "", "**Disaster Recovery:**"]
        out += [f"- RTO (Recovery Time Objective): {self.rto}h"]
        out += [f"- RPO (Recovery Point Objective): {self.rpo}m", "", "---", ""]
        out += ["## Observability", "", "### Metrics Added", ""]
        out += ["| Metric | Type | Purpose | Alert Threshold |", "|---|---|---|---|"]
        out += [f"| `{m[0]}` | {m[1]} | {m[2]} | {m[3]} |" for m in self._rows(self.metrics)]
        out += ["", "---", "", "## Configuration Management", "", "### Environment Variables", ""]
        out += ["| Variable | Default | Purpose | Required |", "|---|---|---|---|"]
        out += [f"| `{e[0]}` | `{e[1]}` | {e[2]} | {e[3]} |" for e in self._rows(self.env)]
        out += ["", "### Configuration Files", "", "| File | Location | Purpose |", "|---|---|---|"]
        out += [f"| `{f[0]}` | `{f[1]}` | {f[2]} |" for f in self._rows(self.files)]
        out += ["", "---", "", "## Known Issues & Limitations", "", "### Current Limitations"]
        out += [f"- [ ] {text}" for text in self.limitations] + ["", "---", ""]
        out += ["## Success Criteria", "", "### Technical Success"]
        out += [f"- [{'x' if done else ' '}] {text}" for text, done in self.criteria]
        out += ["", "---", "", f"**Document Version:** 1.{self.version}"]
        out += [f"**Last Updated:** {self.started}"]
        out += ["**Authors:** Maya Lindqvist, Jonas Becker", ""]
        return "\n".join(out)

    def _rows(self, rows: Sequence[tuple[str, ...]]) -> Iterator[tuple[str, ...]]:
        yield from (reversed(rows) if self.reversed_rows else rows)


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return [*lines, current] if current else lines


def _component(index: int, component: Component) -> list[str]:
    version = ".".join(str(part) for part in component.version)
    out = [f"### Component {index}: {component.name}", ""]
    out += [f"**Purpose:** {component.purpose}", ""]
    out += [f"**Technology:** {component.technology} {version}", "", "**Configuration:**"]
    out += ["```yaml", f"# /etc/{component.name.lower().replace(' ', '-')}/config.yaml"]
    for block, values in component.config.items():
        out.append(f"{block}:")
        out += [f"  {key}: {value}" for key, value in values.items()]
    out += ["```", "", "**Integration Points:**"]
    out += [f"- Connects to: {TECHNOLOGIES[(index + 3) % len(TECHNOLOGIES)]}"]
    out += [f"- Exposes: :{component.port} HTTP API, /metrics", "", "---", ""]
    return out


def _fixed_sections(phase: int) -> list[str]:
    """Sections no synthetic commit edits: realistic bulk that a section cache skips."""
    previous = max(phase - 1, 1)
    words = " ".join(WORDS)
    out = ["## Integration with Previous Phases", "", f"### Building on Phase {previous}", ""]
    out += [f"**Retained from Phase {previous}:**", "- Prometheus (unchanged)", "- Grafana"]
    out += ["", "**Migration Path:**", "1. Step 1: Deploy next to the old stack"]
    out += ["2. Step 2: Compare outputs for a week", "3. Step 3: Switch over", "", "---", ""]
    out += ["## Data Flow", "", "### Request Flow", "", *_wrap(words, 90), ""]
    out += ["### Metric Collection", "", *_wrap(words.upper(), 80), ""]
    out += ["### Log Collection", "", *_wrap(words.capitalize(), 70), ""]
    out += ["### Trace Collection", "", *_wrap(words.title(), 100), "", "---", ""]
    out += ["## Security Considerations", "", "### New Security Requirements"]
    out += [f"- {' '.join(WORDS[i : i + 9])}" for i in range(0, 45, 9)] + ["", "---", ""]
    out += ["## Testing Strategy", "", "### Unit Tests", "- Coverage target: 80%", ""]
    out += ["### Integration Tests", *[f"- {' '.join(WORDS[i : i + 7])}" for i in (3, 17, 29)]]
    out += ["", "---", "", "## Rollback Plan", "", "**Rollback Trigger:**", "- Error rate > 1%"]
    out += ["", "**Rollback Steps:**", "1. Stop the new agents", "2. Restart the old ones"]
    out += ["3. Validate dashboards", "", "**Rollback Time:** 1h", "", "---", ""]
    out += ["## References", "", "### External Resources"]
    out += [f"- [{name} Docs](https://example.com/{name.lower()})" for name in TECHNOLOGIES]
    return [*out, "", "---", ""]


def _initial(phase: int, rng: random.Random) -> Document:
    doc = Document(phase=phase, overview=[rng.choice(WORDS) for _ in range(120)])
    for index in range(5):
        name = f"{TECHNOLOGIES[(phase + index) % len(TECHNOLOGIES)]} {phase}{index}"
        config = {
            block: {f"{block}_{key}": f"{rng.randint(1, 500)}s" for key in range(5)}
            for block in ("server", "storage", "limits", "ingester")
        }
        purpose = " ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + "."
        doc.components.append(
            Component(name, name.rsplit(" ", 1)[0], [1, index, 0], purpose, config, 9000 + index)
        )
    for index in range(10):
        name = f"synthetic_{phase}_{index}_requests_total"
        doc.metrics.append((name, "Counter", " ".join(WORDS[index : index + 6]), f"> {index}"))
    for index in range(8):
        doc.env.append((f"PHASE{phase}_SETTING_{index}", f"value-{index}", "Tuning knob", "No"))
    for index in range(5):
        doc.files.append((f"file-{index}.yaml", f"/etc/synthetic-{phase}/", "Settings"))
    doc.criteria = [(" ".join(WORDS[i : i + 5]), False) for i in range(0, 40, 5)]
    doc.limitations = [" ".join(WORDS[i : i + 8]) for i in range(0, 32, 8)]
    return doc


def _edit(doc: Document, rng: random.Random) -> str:
    """Apply one realistic edit to ``doc``; return the commit subject."""
    doc.serial += 1
    serial = doc.serial
    choice = rng.random()
    component = rng.choice(doc.components)
    if choice < 0.25:
        block = rng.choice(list(component.config))
        key = rng.choice(list(component.config[block]))
        component.config[block][key] = f"{rng.randint(1, 900)}s"
        return f"phase-{doc.phase}: tune {component.name} {key}"
    if choice < 0.35:
        component.version[2] += 1
        return f"phase-{doc.phase}: {component.name} patch release"
    if choice < 0.47:
        name = f"synthetic_{doc.phase}_extra_{serial}_total"
        doc.metrics.append((name, "Gauge", " ".join(rng.choice(WORDS) for _ in range(5)), "N/A"))
        if len(doc.metrics) > 14:
            del doc.metrics[rng.randrange(len(doc.metrics))]
        return f"phase-{doc.phase}: metric {name}"
    if choice < 0.57:
        index = rng.randrange(len(doc.env))
        name, _, purpose, required = doc.env[index]
        doc.env[index] = (name, f"value-{serial}", purpose, "Yes" if required == "No" else "No")
        return f"phase-{doc.phase}: {name} default"
    if choice < 0.64:
        index = rng.randrange(len(doc.criteria))
        text, done = doc.criteria[index]
        doc.criteria[index] = (text, not done)
        return f"phase-{doc.phase}: success criterion"
    if choice < 0.70:
        doc.limitations.append(" ".join(rng.choice(WORDS) for _ in range(8)))
        if len(doc.limitations) > 8:
            doc.limitations.pop(0)
        return f"phase-{doc.phase}: limitation"
    if choice < 0.76:
        doc.overview[rng.randrange(len(doc.overview))] = rng.choice(WORDS)
        return f"phase-{doc.phase}: overview wording"
    if choice < 0.82:
        doc.wrap = 70 if doc.wrap > 80 else 100
        return f"phase-{doc.phase}: re-wrap the overview (no content change)"
    if choice < 0.86:
        doc.reversed_rows = not doc.reversed_rows
        return f"phase-{doc.phase}: re-order table rows (no content change)"
    if choice < 0.92:
        doc.rto = rng.choice((1, 2, 4, 8))
        doc.rpo = rng.choice((5, 15, 30, 60))
        doc.version += 1
        return f"phase-{doc.phase}: RTO {doc.rto}h RPO {doc.rpo}m"
    if choice < 0.96:
        doc.status = rng.choice(("🚧 In Progress", "✅ Complete", "📋 Planned"))
        doc.completed = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return f"phase-{doc.phase}: status"
    component.purpose = " ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + "."
    return f"phase-{doc.phase}: {component.name} purpose"


def _doc_path(phase: int) -> str:
    return f"docs/phase-{phase}/ARCHITECTURE.md"


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def fast_import_stream(commits: int, seed: int = 1) -> Iterator[bytes]:
    """The ``git fast-import`` commands of the synthetic history, chunk by chunk."""
    rng = random.Random(seed)
    docs = [_initial(phase, rng) for phase in range(1, PHASES + 1)]
    for index in range(commits):
        name, email = AUTHORS[index % len(AUTHORS)]
        when = EPOCH + index * 3600
        files: dict[str, bytes] = {}
        if index == 0:
            subject = "Add the phase documents"
            files = {_doc_path(doc.phase): doc.render().encode() for doc in docs}
        elif index % 3 == 2:
            subject = f"app: change {index}"
            files = {f"src/module_{index % 50}.py": f"VALUE = {index}\n".encode()}
        else:
            touched = rng.sample(docs, 2 if rng.random() < 0.2 else 1)
            subjects = [_edit(doc, rng) for doc in touched]
            subject = "; ".join(subjects)
            files = {_doc_path(doc.phase): doc.render().encode() for doc in touched}
        chunk = [b"commit refs/heads/main\n"]
        person = f"{name} <{email}> {when} +0000".encode()
        chunk += [b"author " + person + b"\n", b"committer " + person + b"\n"]
        chunk.append(_data(subject.encode()))
        for path, content in files.items():
            chunk.append(b"M 100644 inline " + path.encode() + b"\n" + _data(content))
        yield b"".join(chunk) + b"\n"


def build_repository(path: Path, commits: int, seed: int = 1) -> None:
    """A fresh repository at ``path`` with the synthetic history on ``main``."""
    path.mkdir(parents=True)
    _git(path, "init", "--quiet", "--initial-branch=main")
    process = subprocess.Popen(
        ["git", "fast-import", "--quiet"],
        cwd=path,
        stdin=subprocess.PIPE,
        env={**os.environ, **GIT_ENV},
    )
    assert process.stdin is not None
    for chunk in fast_import_stream(commits, seed):
        process.stdin.write(chunk)
    process.stdin.close()
    if process.wait() != 0:
        raise SystemExit("git fast-import failed")
    _git(path, "reset", "--quiet", "--hard", "main")


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, check=True
    )
    return result.stdout.decode()


# -- measuring -----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_mb: float
    git_log: int
    cat_file: int


def run_once(
    command: Sequence[str], cwd: Path, trace: Path | None = None, code: Path | None = None
) -> Run:
    """Run ``command`` with stdout to /dev/null; wall time, peak RSS, git processes started.

    ``code`` is a directory to import phasediff from (``PYTHONPATH``).
    """
    env = {**os.environ, **GIT_ENV}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    if trace is not None:
        trace.unlink(missing_ok=True)
        env["GIT_TRACE"] = str(trace)
    with open(os.devnull, "wb") as devnull:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=devnull, stderr=subprocess.PIPE
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        assert process.stderr is not None
        error = process.stderr.read().decode("utf-8", "replace")
        process.stderr.close()
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{error}")
    logs = cats = 0
    if trace is not None and trace.exists():
        text = trace.read_text(errors="replace")
        logs = len(re.findall(r"trace: (?:built-in|exec): git log\b", text))
        cats = len(re.findall(r"trace: (?:built-in|exec): git cat-file\b", text))
    return Run(seconds, usage.ru_maxrss / 1024, logs, cats)


def _median(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.seconds for r in runs),
        max(r.max_rss_mb for r in runs),
        max(r.git_log for r in runs),
        max(r.cat_file for r in runs),
    )


def snapshot(workdir: Path) -> Path:
    """A copy of the phasediff package that every run of one measurement imports.

    The cache is keyed by a hash of phasediff's source, so an edit to it during a
    long measurement (in a shared working tree) would silently turn warm runs
    cold; a snapshot keeps all runs on one version of the code.
    """
    spec = importlib.util.find_spec("phasediff")
    if spec is None or spec.origin is None:
        raise SystemExit("phasediff is not importable; install it (pip install -e .)")
    target = workdir / "code"
    shutil.copytree(Path(spec.origin).parent, target / "phasediff")
    # Byte-compiled like an installed package: with PYTHONDONTWRITEBYTECODE set (as
    # on some CI machines) every run would otherwise compile the package afresh.
    compileall.compile_dir(target, quiet=1)
    return target


def measure(repo: Path, repeat: int, workdir: Path) -> dict[str, Run]:
    """Every measurement, interleaved round by round so that machine noise hits all alike."""
    code = snapshot(workdir)
    phasediff = [sys.executable, "-m", "phasediff", "log"]
    specs = [f":(top,glob,icase){glob}" for glob in ("**/phase*/ARCHITECTURE.md",)]
    git_log_p = ["git", "log", "-p", "--no-color", "main", "--", *specs]
    trace = workdir / "git-trace.txt"
    warm_dir = workdir / "warm"
    base_dir = workdir / "base"
    # The incremental baseline: a cache warmed before the last 5 document commits,
    # copied afresh before each run.
    fifth = _git(repo, "rev-list", "--max-count=5", "main", "--", *specs).split()[-1]
    run_once([*phasediff, "--to", f"{fifth}^", "--cache-dir", str(base_dir)], repo, code=code)
    run_once([*phasediff, "--cache-dir", str(warm_dir)], repo, code=code)
    results: dict[str, list[Run]] = {"git": [], "cold": [], "warm": [], "incremental": []}
    for _ in range(repeat):
        results["git"].append(run_once(git_log_p, repo))
        cold_dir = workdir / "cold"
        shutil.rmtree(cold_dir, ignore_errors=True)
        results["cold"].append(
            run_once([*phasediff, "--cache-dir", str(cold_dir)], repo, trace, code)
        )
        results["warm"].append(
            run_once([*phasediff, "--cache-dir", str(warm_dir)], repo, trace, code)
        )
        scratch = workdir / "incremental"
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(base_dir, scratch)
        results["incremental"].append(
            run_once([*phasediff, "--cache-dir", str(scratch)], repo, trace, code)
        )
    return {name: _median(runs) for name, runs in results.items()}


def report(commits: int, build_seconds: float, stats: dict[str, Run], versions: int) -> None:
    git = stats["git"].seconds
    print(f"\nN = {commits} commits, {versions} document versions (built in {build_seconds:.1f} s)")
    print(f"{'measurement':<34} {'median s':>9} {'x git':>7} {'peak MB':>8} {'log':>4} {'cat':>4}")
    labels = {
        "git": "git log -p (phase documents)",
        "cold": "phasediff log, cold (empty cache)",
        "warm": "phasediff log, warm",
        "incremental": "phasediff log, +5 commits on warm",
    }
    for name, label in labels.items():
        run = stats[name]
        counts = "" if name == "git" else f"{run.git_log:>4} {run.cat_file:>4}"
        print(
            f"{label:<34} {run.seconds:>9.3f} {run.seconds / git:>7.2f} "
            f"{run.max_rss_mb:>8.0f} {counts}"
        )
    print(f"incremental / warm: {stats['incremental'].seconds / stats['warm'].seconds:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument("--quick", action="store_true", help="tiny repository, one run each")
    parser.add_argument("--keep", type=Path, default=None, help="build repositories here")
    args = parser.parse_args(argv)
    counts: list[int] = [40] if args.quick else args.commits
    repeat: int = 1 if args.quick else args.repeat
    with tempfile.TemporaryDirectory(prefix="phasediff-bench-") as scratch:
        root = args.keep or Path(scratch)
        for commits in counts:
            repo = root / f"repo-{commits}"
            start = time.perf_counter()
            if not repo.exists():
                build_repository(repo, commits)
            built = time.perf_counter() - start
            workdir = root / f"work-{commits}"
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir()
            stats = measure(repo, repeat, workdir)
            report(commits, built, stats, _versions(repo))
    return 0


def _versions(repo: Path) -> int:
    """Distinct phase-document blobs in the history."""
    out = _git(repo, "log", "--format=", "--raw", "--no-abbrev", "main", "--", "docs")
    blobs = {line.split()[3] for line in out.splitlines() if line.startswith(":")}
    return len(blobs - {"0" * 40})


if __name__ == "__main__":
    sys.exit(main())
