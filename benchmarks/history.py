"""Full-history speed: ``phasediff log`` against ``git log -p`` on a synthetic repository.

Run: ``python benchmarks/history.py [--commits 2000 10000] [--repeat 5] [--mix both]
[--baseline DIR] [--format text|json] [--quick]``.

For each N and each edit mix the script builds, with one ``git fast-import``
stream, a repository of N commits: 8 phase documents (written like the
template: components with YAML configuration, metric, env-var and config-file
tables, checklists) edited by seeded, realistic commits, a fifth of them
touching two documents, and a third of all commits touching other files only.

``--mix old`` is the first generator, unchanged (documents of about 13 KB): one
edit per commit drawn from config tweaks, patch releases, metric rows, env-var
defaults, checkbox ticks, limitations, overview wording, a few re-wraps and
reversed table rows, RTO/RPO and status bumps.

``--mix new`` (documents of 10-30 KB, phase 8 about 60 KB with one long YAML
block) draws from another mix, so that the walk is not tuned on one shape only:

* a ``### Component N:`` subsection inserted or removed in the middle, which
  renumbers every component after it (13 %);
* several sections edited in one commit: status and date bump, a checkbox
  ticked, a metric row added, an env-var default changed, together (20 %);
* table rows re-ordered by a shuffle (form only, 6 %);
* a document moved to another directory (0.5 %, at most once a document);
* a key of the long YAML block edited (12 %);
* and the old mix's single edits for the rest.

``--mix both`` (the default) builds and measures both and prints their tables
one after the other, so that progress on one is not bought with the other.

``--baseline DIR`` measures a second copy of phasediff (``DIR/phasediff``, for
example ``git archive main src/phasediff | tar -x -C /tmp/before`` and
``--baseline /tmp/before/src``) in the same run, interleaved with this one:
figures before and after a change, taken under the same machine load.

Side by side in one run, ``--repeat`` times each, it measures (medians):

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
    bulk: int = 0  # extra copies of the unedited bulk sections (the new mix's larger documents)
    moved: bool = False  # the new mix moves a document once, to docs/archive/

    @property
    def path(self) -> str:
        return _doc_path(self.phase, archived=self.moved)

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
        for copy in range(self.bulk):
            out += _bulk_section(self.phase, copy)
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


def _bulk_section(phase: int, copy: int) -> list[str]:
    """One more unedited section with subsections: prose, a table and a list."""
    words = list(WORDS)
    out = [f"## Operations Notes {copy + 1}", ""]
    for sub in range(4):
        rotated = " ".join(words[(sub * 7 + copy) % len(words) :] + words[: (sub * 7 + copy)])
        out += [f"### Runbook {copy + 1}.{sub + 1}", "", *_wrap(rotated, 88), ""]
        out += ["| Step | Owner | Note |", "|---|---|---|"]
        out += [
            f"| {step} | team-{phase}-{sub} | {' '.join(words[step : step + 6])} |"
            for step in range(1, 7)
        ]
        out += ["", *[f"- {' '.join(words[i : i + 8])}" for i in (2, 11, 23)], ""]
    return [*out, "---", ""]


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


def _new_component(phase: int, serial: int, rng: random.Random, keys: int = 5) -> Component:
    name = f"{TECHNOLOGIES[serial % len(TECHNOLOGIES)]} {phase}{serial}"
    blocks = ("server", "storage", "limits", "ingester", "querier", "compactor")
    config = {
        block: {f"{block}_{key}": f"{rng.randint(1, 500)}s" for key in range(keys)}
        for block in (blocks if keys > 5 else blocks[:4])
    }
    purpose = " ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + "."
    return Component(
        name, name.rsplit(" ", 1)[0], [1, serial % 7, 0], purpose, config, 9000 + serial
    )


def _initial_new(phase: int, rng: random.Random) -> Document:
    """The new mix's starting document: 10-30 KB; phase 8 about 60 KB.

    Its first component carries the long YAML block (6 blocks of 25 keys).
    """
    doc = _initial(phase, rng)
    count = 14 if phase == PHASES else 3 + phase % 5
    doc.components = [_new_component(phase, 0, rng, keys=25)]
    doc.components += [_new_component(phase, index, rng) for index in range(1, count)]
    doc.bulk = 12 if phase == PHASES else phase % 4
    doc.serial = count
    return doc


def _edit_new(doc: Document, rng: random.Random) -> str:
    """Apply one edit of the new mix to ``doc``; return the commit subject."""
    choice = rng.random()
    if choice < 0.13:
        return _renumber(doc, rng)
    if choice < 0.33:
        doc.serial += 1
        doc.status = rng.choice(("🚧 In Progress", "✅ Complete", "📋 Planned"))
        doc.completed = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        doc.version += 1
        index = rng.randrange(len(doc.criteria))
        doc.criteria[index] = (doc.criteria[index][0], not doc.criteria[index][1])
        name = f"synthetic_{doc.phase}_extra_{doc.serial}_total"
        doc.metrics.append((name, "Gauge", " ".join(rng.choice(WORDS) for _ in range(5)), "N/A"))
        if len(doc.metrics) > 14:
            del doc.metrics[0]
        index = rng.randrange(len(doc.env))
        env = doc.env[index]
        doc.env[index] = (env[0], f"value-{doc.serial}", env[2], env[3])
        return f"phase-{doc.phase}: status, criteria, metrics and defaults for the release"
    if choice < 0.39:
        for rows in (doc.metrics, doc.env, doc.files):
            rng.shuffle(rows)
        return f"phase-{doc.phase}: re-order table rows (no content change)"
    if choice < 0.395 and not doc.moved:
        doc.moved = True
        return f"phase-{doc.phase}: move the document to docs/archive/"
    if choice < 0.515:
        config = doc.components[0].config
        block = rng.choice(list(config))
        key = rng.choice(list(config[block]))
        config[block][key] = f"{rng.randint(1, 900)}s"
        return f"phase-{doc.phase}: tune {doc.components[0].name} {key} (long YAML)"
    return _edit(doc, rng)


def _renumber(doc: Document, rng: random.Random) -> str:
    """Insert or remove a component in the middle: every later ``### Component N`` renumbers."""
    doc.serial += 1
    low, high = 3, (18 if doc.phase == PHASES else 10)
    count = len(doc.components)
    if count > low and (count >= high or rng.random() < 0.5):
        removed = doc.components.pop(rng.randrange(1, count - 1))
        return f"phase-{doc.phase}: drop {removed.name}"
    component = _new_component(doc.phase, doc.serial, rng)
    doc.components.insert(rng.randrange(1, count), component)
    return f"phase-{doc.phase}: add {component.name}"


def _doc_path(phase: int, *, archived: bool = False) -> str:
    return f"docs/{'archive/' if archived else ''}phase-{phase}/ARCHITECTURE.md"


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


MIXES = ("old", "new")


def fast_import_stream(commits: int, seed: int = 1, mix: str = "old") -> Iterator[bytes]:
    """The ``git fast-import`` commands of the synthetic history, chunk by chunk."""
    rng = random.Random(seed)
    initial, edit = (_initial, _edit) if mix == "old" else (_initial_new, _edit_new)
    docs = [initial(phase, rng) for phase in range(1, PHASES + 1)]
    for index in range(commits):
        name, email = AUTHORS[index % len(AUTHORS)]
        when = EPOCH + index * 3600
        files: dict[str, bytes] = {}
        deleted: list[str] = []
        if index == 0:
            subject = "Add the phase documents"
            files = {doc.path: doc.render().encode() for doc in docs}
        elif index % 3 == 2:
            subject = f"app: change {index}"
            files = {f"src/module_{index % 50}.py": f"VALUE = {index}\n".encode()}
        else:
            touched = rng.sample(docs, 2 if rng.random() < 0.2 else 1)
            before = [doc.path for doc in touched]
            subjects = [edit(doc, rng) for doc in touched]
            subject = "; ".join(subjects)
            files = {doc.path: doc.render().encode() for doc in touched}
            deleted = [path for path in before if path not in files]
        chunk = [b"commit refs/heads/main\n"]
        person = f"{name} <{email}> {when} +0000".encode()
        chunk += [b"author " + person + b"\n", b"committer " + person + b"\n"]
        chunk.append(_data(subject.encode()))
        chunk += [b"D " + path.encode() + b"\n" for path in deleted]
        for path, content in files.items():
            chunk.append(b"M 100644 inline " + path.encode() + b"\n" + _data(content))
        yield b"".join(chunk) + b"\n"


def build_repository(path: Path, commits: int, seed: int = 1, mix: str = "old") -> None:
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
    for chunk in fast_import_stream(commits, seed, mix):
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


def snapshot(workdir: Path, source: Path | None = None, name: str = "code") -> Path:
    """A copy of the phasediff package that every run of one measurement imports.

    The cache is keyed by a hash of phasediff's source, so an edit to it during a
    long measurement (in a shared working tree) would silently turn warm runs
    cold; a snapshot keeps all runs on one version of the code.  ``source`` is a
    directory holding another ``phasediff`` package (``--baseline``).
    """
    if source is None:
        spec = importlib.util.find_spec("phasediff")
        if spec is None or spec.origin is None:
            raise SystemExit("phasediff is not importable; install it (pip install -e .)")
        package = Path(spec.origin).parent
    else:
        package = source / "phasediff"
        if not (package / "__init__.py").is_file():
            raise SystemExit(f"{source} holds no phasediff package (no phasediff/__init__.py)")
    target = workdir / name
    shutil.copytree(package, target / "phasediff")
    # Byte-compiled like an installed package: with PYTHONDONTWRITEBYTECODE set (as
    # on some CI machines) every run would otherwise compile the package afresh.
    compileall.compile_dir(target, quiet=1)
    return target


KINDS = ("cold", "warm", "incremental")


def measure(
    repo: Path, repeat: int, workdir: Path, codes: dict[str, Path | None], fmt: str = "text"
) -> dict[str, Run]:
    """Every measurement, interleaved round by round so that machine noise hits all alike.

    ``codes`` names the phasediff packages to measure (``None``: the importable one);
    the results are keyed ``git`` and ``<kind>:<name>``.
    """
    phasediff = [sys.executable, "-m", "phasediff", "log", "--format", fmt]
    specs = [f":(top,glob,icase){glob}" for glob in ("**/phase*/ARCHITECTURE.md",)]
    git_log_p = ["git", "log", "-p", "--no-color", "main", "--", *specs]
    trace = workdir / "git-trace.txt"
    # The incremental baseline: a cache warmed before the last 5 document commits,
    # copied afresh before each run.
    fifth = _git(repo, "rev-list", "--max-count=5", "main", "--", *specs).split()[-1]
    code: dict[str, Path] = {}
    for name, source in codes.items():
        code[name] = snapshot(workdir, source, f"code-{name}")
        base_dir, warm_dir = workdir / f"base-{name}", workdir / f"warm-{name}"
        run_once(
            [*phasediff, "--to", f"{fifth}^", "--cache-dir", str(base_dir)], repo, code=code[name]
        )
        run_once([*phasediff, "--cache-dir", str(warm_dir)], repo, code=code[name])
    results: dict[str, list[Run]] = {"git": []}
    for _ in range(repeat):
        results["git"].append(run_once(git_log_p, repo))
        for name in codes:
            cold_dir = workdir / "cold"
            shutil.rmtree(cold_dir, ignore_errors=True)
            cold = [*phasediff, "--cache-dir", str(cold_dir)]
            warm = [*phasediff, "--cache-dir", str(workdir / f"warm-{name}")]
            scratch = workdir / "incremental"
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.copytree(workdir / f"base-{name}", scratch)
            incremental = [*phasediff, "--cache-dir", str(scratch)]
            for kind, command in zip(KINDS, (cold, warm, incremental), strict=True):
                run = run_once(command, repo, trace, code[name])
                results.setdefault(f"{kind}:{name}", []).append(run)
    return {name: _median(runs) for name, runs in results.items()}


def report(
    title: str, build_seconds: float, stats: dict[str, Run], versions: int, names: Sequence[str]
) -> None:
    git = stats["git"].seconds
    print(f"\n{title}, {versions} document versions (built in {build_seconds:.1f} s)")
    width = 34 + max(len(f" [{name}]") for name in names) if len(names) > 1 else 34
    heads = f"{'median s':>9} {'x git':>7} {'peak MB':>8} {'log':>4} {'cat':>4}"
    print(f"{'measurement':<{width}} {heads}")
    labels = {
        "cold": "phasediff log, cold (empty cache)",
        "warm": "phasediff log, warm",
        "incremental": "phasediff log, +5 commits on warm",
    }
    rows = [("git log -p (phase documents)", stats["git"], "")]
    for name in names:
        suffix = f" [{name}]" if len(names) > 1 else ""
        rows += [(labels[kind] + suffix, stats[f"{kind}:{name}"], name) for kind in KINDS]
    for label, run, name in rows:
        counts = f"{run.git_log:>4} {run.cat_file:>4}" if name else ""
        print(
            f"{label:<{width}} {run.seconds:>9.3f} {run.seconds / git:>7.2f} "
            f"{run.max_rss_mb:>8.0f} {counts}"
        )
    for name in names:
        ratio = stats[f"incremental:{name}"].seconds / stats[f"warm:{name}"].seconds
        suffix = f" [{name}]" if len(names) > 1 else ""
        print(f"incremental / warm{suffix}: {ratio:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument(
        "--mix", choices=("old", "new", "both"), default="both", help="which edit mix (see above)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="also measure the phasediff package in DIR/phasediff, interleaved (before/after)",
    )
    parser.add_argument("--seed", type=int, default=1, help="the generator's random seed")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="phasediff log's --format"
    )
    parser.add_argument("--quick", action="store_true", help="tiny repository, one run each")
    parser.add_argument("--keep", type=Path, default=None, help="build repositories here")
    args = parser.parse_args(argv)
    counts: list[int] = [40] if args.quick else args.commits
    repeat: int = 1 if args.quick else args.repeat
    mixes = MIXES if args.mix == "both" else (args.mix,)
    codes: dict[str, Path | None] = {"this": None}
    if args.baseline is not None:
        codes = {"after": None, "before": args.baseline.resolve()}
    with tempfile.TemporaryDirectory(prefix="phasediff-bench-") as scratch:
        root = args.keep or Path(scratch)
        for commits in counts:
            for mix in mixes:
                suffix = "" if (mix == "old" and args.seed == 1) else f"-{mix}-s{args.seed}"
                repo = root / f"repo-{commits}{suffix}"
                start = time.perf_counter()
                if not repo.exists():
                    build_repository(repo, commits, args.seed, mix)
                built = time.perf_counter() - start
                workdir = root / f"work-{commits}-{mix}"
                shutil.rmtree(workdir, ignore_errors=True)
                workdir.mkdir()
                stats = measure(repo, repeat, workdir, codes, args.format)
                title = f"N = {commits} commits, {mix} mix, --format {args.format}"
                report(title, built, stats, _versions(repo), list(codes))
    return 0


def _versions(repo: Path) -> int:
    """Distinct phase-document blobs in the history."""
    out = _git(repo, "log", "--format=", "--raw", "--no-abbrev", "main", "--", "docs")
    blobs = {line.split()[3] for line in out.splitlines() if line.startswith(":")}
    return len(blobs - {"0" * 40})


if __name__ == "__main__":
    sys.exit(main())
