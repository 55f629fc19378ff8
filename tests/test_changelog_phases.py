"""``phasediff changelog`` over a range that adds a phase: what the new phase brings.

A new phase is compared with the phase before it (its phase-against-phase
drift, architecture first), not with an empty document, so the release notes
say that phase 2 replaces the cron runner and raises a limit, and stay quiet
about the configuration phase 2 does not restate.  Built on a real temporary
repository.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from click.testing import CliRunner

from phasediff.cli import main
from phasediff.history import build_changelog
from phasediff.project import Project

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

PHASE_1 = """\
# Phase 1 Architecture: Nightly Reports

## Overview

**Phase:** 1
**Status:** ✅ Complete

## Component Details

### Component 1: Report Builder

**Purpose:** Render the nightly sales reports.

**Technology:** Python 3.12 worker

**Configuration:**
```yaml
limits:
  max_rows: 100000
  timeout: 10m
output:
  format: pdf
```

### Component 2: Cron Runner

**Purpose:** Start the builder every night.

**Technology:** systemd timers

## Testing Strategy

- Golden reports compared byte for byte
"""

PHASE_2 = """\
# Phase 2 Architecture: On-demand Reports

## Overview

**Phase:** 2
**Status:** 🚧 In Progress

## What's New in This Phase

- [ ] **Job Scheduler:** Starts reports on demand and on a schedule
- **Deprecated:** Cron Runner: replaced by Job Scheduler

## Integration with Previous Phases

**Retained from Phase 1:**
- Report Builder (modified - see below)

## Component Details

### Component 1: Report Builder

**Configuration:**
```yaml
limits:
  max_rows: 500000
```

### Component 2: Job Scheduler

**Purpose:** Start report jobs on demand and on a schedule.

**Technology:** Temporal 1.23

## Testing Strategy

- Golden reports compared byte for byte
- Load test with 50 concurrent report requests
"""


def _repo(git_repo: GitRepoBuilder) -> GitRepoBuilder:
    git_repo.write("docs/phase-1/ARCHITECTURE.md", PHASE_1)
    git_repo.commit("phase 1: nightly reports")
    git_repo.tag("v1.0")
    git_repo.write("docs/phase-2/ARCHITECTURE.md", PHASE_2)
    git_repo.commit("phase 2: on-demand reports")
    git_repo.tag("v2.0")
    return git_repo


def test_an_added_phase_is_its_drift_over_the_phase_before(git_repo: GitRepoBuilder) -> None:
    repo = _repo(git_repo)
    project = Project.open(repo.root)
    try:
        changelog = build_changelog(project, since="v1.0", until="v2.0")
    finally:
        project.close()
    releases = {release.phase: release for release in changelog.phases}
    assert releases["1"].status == "unchanged"
    added = releases["2"]
    assert (added.status, added.compared_with) == ("added", "1")
    found = {(c.rule, c.key, c.field): c for c in added.comparison.changes}
    removed = found[("component-removed", "Cron Runner", None)]
    assert removed.note == "replaced by Job Scheduler"
    assert ("component-added", "Job Scheduler", None) in found
    limit = found[("component-config-changed", "Report Builder", "configuration.limits.max_rows")]
    assert (limit.old, limit.new) == (100000, 500000)
    # Keys phase 2 does not restate carry over: no removal of timeout or output.
    assert not any(c.rule == "component-config-removed" for c in added.comparison.changes)
    assert ("prose-changed", "testing", None) in found
    assert [c.subject for c in added.commits] == ["phase 2: on-demand reports"]


def test_changelog_formats_show_what_the_added_phase_brings(git_repo: GitRepoBuilder) -> None:
    repo = _repo(git_repo)
    runner = CliRunner()
    args = ["changelog", "--from", "v1.0", "--to", "v2.0", "--repo", str(repo.root)]
    markdown = runner.invoke(main, args, env={"NO_COLOR": "1"})
    assert markdown.exit_code == 0, markdown.output
    body = markdown.stdout
    heading = "### Phase 2: On-demand Reports — what it brings over phase 1"
    assert heading in body
    section = body.split(heading, 1)[1]
    # Architecture first: the breaking removal before the other sections.
    assert section.index("Component Cron Runner removed") < section.index("Other sections")
    assert "Report Builder configuration.limits.max_rows: 100000 → 500000" in section
    text = runner.invoke(main, [*args, "--format", "text"], env={"NO_COLOR": "1"})
    assert text.exit_code == 0, text.output
    assert "Over phase 1: 5 architectural changes: 1 breaking" in text.stdout
    assert "Component Cron Runner removed (replaced by Job Scheduler)" in text.stdout
