"""The CLI as a newcomer meets it: stdout, stderr and exit codes apart, on real repositories."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from phasediff.cli import main

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder


def invoke(repo: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    runner = CliRunner()
    return runner.invoke(
        main,
        [*args, "--repo", str(repo)] if args and args[0] not in ("rules",) else list(args),
        env=env or {"NO_COLOR": "1"},
    )


def explain(result: Result) -> str:
    return f"exit={result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def test_phases_lists_every_phase(demo_repo: Path) -> None:
    result = invoke(demo_repo, "phases")
    assert result.exit_code == 0, explain(result)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PHASE", "PATH", "NAME", "STATUS", "STARTED", "COMPLETED"]
    assert [line.split()[0] for line in lines[1:]] == ["1", "2", "3", "4"]
    assert "docs/phase-3/ARCHITECTURE.md" in lines[3]
    assert "Distributed Tracing" in lines[3] and "complete" in lines[3]
    assert result.stderr == ""


def test_phases_at_a_tag(demo_repo: Path) -> None:
    result = invoke(demo_repo, "phases", "--rev", "v1.0")
    assert result.exit_code == 0, explain(result)
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["1", "2"]


def test_show_text_and_json(demo_repo: Path) -> None:
    text = invoke(demo_repo, "show", "3")
    assert text.exit_code == 0, explain(text)
    assert "Tempo" in text.stdout
    as_json = invoke(demo_repo, "show", "3", "--rev", "v3.0", "--format", "json")
    assert as_json.exit_code == 0, explain(as_json)
    data = json.loads(as_json.stdout)
    assert data["schema_version"] == 1
    assert data["document"]["overview"]["phase"] == "3"


def test_diff_two_phases_is_the_default_command(demo_repo: Path) -> None:
    result = invoke(demo_repo, "2", "3")
    assert result.exit_code == 0, explain(result)
    assert "Component Promtail removed (replaced by Grafana Alloy)" in result.stdout
    assert "Alertmanager" not in result.stdout.split("Components", 1)[1].split("\n\n")[0]
    assert result.stdout.rstrip().splitlines()[-1].endswith("info")


def test_diff_json_is_one_document(demo_repo: Path) -> None:
    result = invoke(demo_repo, "2", "3", "--format", "json")
    assert result.exit_code == 0, explain(result)
    data = json.loads(result.stdout)
    rules = {(c["rule"], c["key"]) for c in data["changes"]}
    assert ("component-removed", "Promtail") in rules
    assert ("metric-removed", "promtail_sent_entries_total") in rules
    assert ("env-removed", "PROMTAIL_LOKI_URL") in rules
    assert ("config-file-removed", "promtail-config.yaml") in rules
    assert ("port-closed", "9080/tcp") in rules
    # The retained Alertmanager is no architectural change; phase 3's integration
    # section naming it differently from phase 2's is reported under that section.
    architecture = [c for c in data["changes"] if c["section"] != "integration"]
    assert not any(c["key"] == "Alertmanager" for c in architecture)
    assert data["scope"] == "all"


def test_diff_scope_architecture_stops_after_the_architecture(demo_repo: Path) -> None:
    everything = json.loads(invoke(demo_repo, "2", "3", "--format", "json").stdout)
    result = invoke(demo_repo, "2", "3", "--scope", "architecture", "--format", "json")
    assert result.exit_code == 0, explain(result)
    data = json.loads(result.stdout)
    sections = {c["section"] for c in data["changes"]}
    assert data["scope"] == "architecture"
    assert {"data_flow", "testing", "references", "security"}.isdisjoint(sections)
    assert {"data_flow", "testing", "references"} <= {c["section"] for c in everything["changes"]}
    assert len(data["changes"]) < len(everything["changes"])


def test_phases_without_components_are_compared_by_section(git_repo: GitRepoBuilder) -> None:
    """Roadmap-style phases name no component: the sections are compared, and gates see it."""
    git_repo.write("docs/phase-1/ARCHITECTURE.md", "# Phase 1: uploads\n\n## Goals\n\n- uploads\n")
    git_repo.write("docs/phase-2/ARCHITECTURE.md", "# Phase 2: albums\n\n## Goals\n\n- albums\n")
    git_repo.commit("two roadmap phases")
    result = invoke(git_repo.root, "1", "2", "--exit-code")
    assert result.exit_code == 1, explain(result)
    assert "No architectural changes." not in result.stdout
    assert "Neither document names components; compared 1 section by title." in result.stdout
    assert "Section Goals, albums added" in result.stdout
    gate = invoke(git_repo.root, "1", "2", "--fail-on", "info")
    assert gate.exit_code == 1, explain(gate)


def test_same_phase_across_revisions(demo_repo: Path) -> None:
    result = invoke(demo_repo, "3", "--from", "v3.0", "--to", "HEAD", "--format", "json")
    assert result.exit_code == 0, explain(result)
    assert json.loads(result.stdout)["changes"] == []
    moved = invoke(demo_repo, "2", "--from", "v1.0", "--to", "v2.0", "--format", "json")
    data = json.loads(moved.stdout)
    assert data["base"]["rev"] == "v1.0" and data["head"]["rev"] == "v2.0"
    assert data["changes"], "phase 2 changed between v1.0 and v2.0"


def test_phase_at_rev_shorthand_equals_from_to(demo_repo: Path) -> None:
    short = invoke(demo_repo, "2@v1.0", "2@v2.0", "--format", "json")
    long = invoke(demo_repo, "2", "--from", "v1.0", "--to", "v2.0", "--format", "json")
    assert json.loads(short.stdout)["changes"] == json.loads(long.stdout)["changes"]


def test_formatting_only_commit_has_no_change(demo_repo: Path) -> None:
    # Commit 9 of the demo re-wraps prose, adds trailing whitespace, swaps and aligns rows.
    result = invoke(demo_repo, "2", "--from", "v2.0~2", "--to", "v2.0~1")
    assert result.exit_code == 0, explain(result)
    assert "No architectural changes." in result.stdout


def test_rev_path_and_plain_paths(demo_repo: Path, tmp_path: Path) -> None:
    result = invoke(
        demo_repo,
        "diff",
        "v2.0:docs/phase-2/ARCHITECTURE.md",
        "HEAD:docs/phase-2/ARCHITECTURE.md",
        "--format",
        "json",
    )
    assert result.exit_code == 0, explain(result)
    old = tmp_path / "old.md"
    new = tmp_path / "new.md"
    old.write_text("## Component Details\n\n### Loki\n\n**Technology:** Loki 2\n", encoding="utf-8")
    new.write_text("## Component Details\n\n### Loki\n\n**Technology:** Loki 3\n", encoding="utf-8")
    files = invoke(demo_repo, "diff", str(old), str(new), "--format", "json")
    assert files.exit_code == 0, explain(files)
    change = json.loads(files.stdout)["changes"][0]
    assert (change["rule"], change["old"], change["new"]) == (
        "component-technology-changed",
        "Loki 2",
        "Loki 3",
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("2", "3"), 0),
        (("2", "3", "--exit-code"), 1),
        (("2", "3", "--fail-on", "breaking"), 1),
        (("3", "--from", "v3.0", "--to", "HEAD", "--exit-code"), 0),
        (("3", "--from", "v3.0", "--to", "HEAD", "--fail-on", "info"), 0),
    ],
)
def test_exit_codes(demo_repo: Path, args: tuple[str, ...], code: int) -> None:
    result = invoke(demo_repo, *args)
    assert result.exit_code == code, explain(result)


def test_output_file_is_written_whole(demo_repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "drift.json"
    result = invoke(demo_repo, "2", "3", "--format", "json", "--output", str(target))
    assert result.exit_code == 0, explain(result)
    assert result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["schema_version"] == 1
    assert [p.name for p in target.parent.iterdir()] == ["drift.json"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("2", "9"), 3, "Phase '9' not found in the working tree. Known phases: 1, 2, 3, 4."),
        (("2", "3", "--rev", "v9"), 3, "Revision 'v9' not found."),
        (("3", "--from", "nope"), 3, "Revision 'nope' not found."),
        (("3",), 2, "Give two phases to compare"),
        (("2", "3", "--from", "v1.0"), 2, "--from/--to go with a single PHASE"),
        (("2", "3", "--format", "yaml"), 2, "Invalid value for '--format'"),
        (("show", "7"), 3, "Phase '7' not found"),
        (("4@v1.0", "3"), 3, "Phase '4' not found at v1.0. Known phases: 1, 2."),
    ],
)
def test_errors_are_one_line(
    demo_repo: Path, args: tuple[str, ...], code: int, message: str | None
) -> None:
    result = invoke(demo_repo, *args)
    assert result.exit_code == code, explain(result)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    if message is not None:
        assert message in result.stderr
    if code == 3:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1


def test_not_a_repository(tmp_path: Path) -> None:
    result = invoke(tmp_path, "phases")
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: Not a git repository")


def test_repository_without_phase_documents(git_repo: GitRepoBuilder) -> None:
    git_repo.write("README.md", "# nothing here\n")
    git_repo.commit("init")
    for args in (("phases",), ("2", "3")):
        result = invoke(git_repo.root, *args)
        assert result.exit_code == 3, explain(result)
        assert "No phase documents found" in result.stderr
        assert "[tool.phasediff]" in result.stderr


def test_document_that_is_not_utf8(git_repo: GitRepoBuilder) -> None:
    git_repo.write("docs/phase-1/ARCHITECTURE.md", "# Phase 1\n\n**Phase:** 1\n")
    git_repo.write("docs/phase-2/ARCHITECTURE.md", b"# Phase 2\n\n**Status:** caf\xe9\n")
    git_repo.commit("init")
    result = invoke(git_repo.root, "1", "2")
    assert result.exit_code == 3, explain(result)
    assert "docs/phase-2/ARCHITECTURE.md in the working tree is not UTF-8" in result.stderr
    assert "Re-save it as UTF-8" in result.stderr


def test_invalid_setting(git_repo: GitRepoBuilder) -> None:
    git_repo.write("docs/phase-1/ARCHITECTURE.md", "# Phase 1\n")
    git_repo.write("pyproject.toml", "[tool.phasediff]\nglobs = 3\n")
    git_repo.commit("init")
    result = invoke(git_repo.root, "phases")
    assert result.exit_code == 2, explain(result)
    assert "globs" in result.stderr and "pyproject.toml" in result.stderr


def test_help_and_rules() -> None:
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0 and "phasediff 2 3" in top.stdout
    diff_help = runner.invoke(main, ["diff", "--help"])
    assert "Exit codes:" in diff_help.stdout
    rules = runner.invoke(main, ["rules"])
    assert rules.exit_code == 0
    assert any(
        line.startswith("component-removed ") and "breaking" in line
        for line in rules.stdout.splitlines()
    )


def test_output_to_a_device_writes_to_it_and_leaves_it_a_device(demo_repo: Path) -> None:
    before = os.stat(os.devnull)
    result = invoke(demo_repo, "2", "3", "--output", os.devnull)
    assert result.exit_code == 0, explain(result)
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
