"""``phasediff check`` as CI runs it: real repositories, stdout, stderr and exit codes apart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from phasediff.check import CHECK_RULES
from phasediff.cli import main
from tests.test_parse import TEMPLATE

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

CASES = Path(__file__).parent / "cases" / "check"
NO_REQUIRED = "[tool.phasediff]\nrequired_sections = []\n"


def check(repo: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        main, ["check", *args, "--repo", str(repo)], env={"NO_COLOR": "1", **(env or {})}
    )


def explain(result: Result) -> str:
    return f"exit={result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def _case(name: str, file: str) -> str:
    return (CASES / name / file).read_text(encoding="utf-8")


@pytest.fixture
def drifted(git_repo: GitRepoBuilder) -> GitRepoBuilder:
    """Phase 3 claims Loki is unchanged though its retention doubled; committed as v1."""
    git_repo.write("pyproject.toml", NO_REQUIRED)
    git_repo.write("docs/phase-2/ARCHITECTURE.md", _case("unchanged-but-changed", "previous.md"))
    git_repo.write("docs/phase-3/ARCHITECTURE.md", _case("unchanged-but-changed", "bad.md"))
    git_repo.commit("phases 2 and 3")
    git_repo.tag("v1")
    return git_repo


def test_the_demo_repository_passes_with_its_broken_links_only(demo_repo: Path) -> None:
    # The demo's References link to pages the demo does not ship: true, and only warnings.
    result = check(demo_repo)
    assert result.exit_code == 0, explain(result)
    lines = result.stdout.splitlines()
    assert {line.split(" [")[1].split("]")[0] for line in lines[:-2]} == {"link-broken"}
    assert lines[-2:] == ["", "4 documents checked: 0 errors, 5 warnings."]
    assert result.stderr == ""


def test_the_demo_at_an_old_tag_has_real_warnings(demo_repo: Path) -> None:
    result = check(demo_repo, "--rev", "v1.0")
    assert result.exit_code == 0, explain(result)
    assert result.stdout.splitlines() == [
        "docs/phase-1/ARCHITECTURE.md:465: warning [link-broken] Link 'Alert Rule Conventions' "
        "points at ../conventions/ALERT-RULES.md, which the repository does not have; correct "
        "the path, or remove the link.",
        "docs/phase-2/ARCHITECTURE.md:445: warning [link-broken] Link 'Log Label Conventions' "
        "points at ../conventions/LOG-LABELS.md, which the repository does not have; correct "
        "the path, or remove the link.",
        "docs/phase-2/ARCHITECTURE.md:446: warning [template-example] Link 'Troubleshooting' is "
        "the template's example (troubleshooting/); link this project's own page, or remove it.",
        "",
        "2 documents checked: 0 errors, 3 warnings.",
    ]


def test_the_demo_as_json(demo_repo: Path) -> None:
    result = check(demo_repo, "--format", "json", "--rev", "v3.0")
    assert result.exit_code == 0, explain(result)
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["rev"] == "v3.0"
    assert [doc["phase"] for doc in data["documents"]] == ["1", "2", "3"]
    assert {finding["rule"] for finding in data["findings"]} == {"link-broken"}
    assert data["notes"] == []


def test_an_error_fails_the_check(drifted: GitRepoBuilder) -> None:
    result = check(drifted.root)
    assert result.exit_code == 1, explain(result)
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "docs/phase-3/ARCHITECTURE.md:22: error [unchanged-but-changed] Component 'Alertmanager'"
    )
    assert lines[1].startswith(
        "docs/phase-3/ARCHITECTURE.md:64: error [unchanged-but-changed] Component 'Loki'"
    )
    assert "(168h -> 336h)" in lines[1]
    assert lines[-1] == "2 documents checked: 2 errors, 0 warnings."
    assert "note: phase 1 has no document" in result.stdout  # phase 2 builds on phase 1
    assert result.stderr == ""


def test_github_annotations_point_at_the_lines(drifted: GitRepoBuilder) -> None:
    result = check(drifted.root, "3", "--format", "github")
    assert result.exit_code == 1, explain(result)
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "::error file=docs/phase-3/ARCHITECTURE.md,line=22,"
        "title=phasediff check unchanged-but-changed::Component 'Alertmanager'"
    )
    assert lines[1].startswith("::error file=docs/phase-3/ARCHITECTURE.md,line=64,")
    assert lines[-1] == "phasediff check: 1 document checked: 2 errors, 0 warnings."


def test_named_phases_only_and_the_revision_is_honoured(drifted: GitRepoBuilder) -> None:
    assert check(drifted.root, "2").exit_code == 0
    drifted.write("docs/phase-3/ARCHITECTURE.md", _case("unchanged-but-changed", "good.md"))
    assert check(drifted.root).exit_code == 0  # the working tree is fixed
    result = check(drifted.root, "--rev", "v1")  # the tag is not
    assert result.exit_code == 1, explain(result)


def test_rules_are_turned_off_or_regraded_in_settings(drifted: GitRepoBuilder) -> None:
    drifted.write("pyproject.toml", NO_REQUIRED + 'rules = { unchanged-but-changed = "warning" }\n')
    result = check(drifted.root)
    assert result.exit_code == 0, explain(result)
    assert "2 documents checked: 0 errors, 2 warnings." in result.stdout
    drifted.write("pyproject.toml", NO_REQUIRED + 'rules = { unchanged-but-changed = "off" }\n')
    assert check(drifted.root).exit_code == 0


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            'rules = { placeholder = "info" }',
            "Error: pyproject.toml: rules.placeholder = 'info': check rules take "
            '"error", "warning" or "off".',
        ),
        (
            'rules = { placholder = "off" }',
            "Error: pyproject.toml: rules.placholder is not a rule. Did you mean placeholder? "
            "`phasediff check --list-rules` and `phasediff rules` list them.",
        ),
    ],
)
def test_a_bad_rule_setting_is_a_usage_error(
    drifted: GitRepoBuilder, setting: str, message: str
) -> None:
    drifted.write("pyproject.toml", NO_REQUIRED + setting + "\n")
    result = check(drifted.root)
    assert result.exit_code == 2, explain(result)
    assert result.stdout == ""
    assert result.stderr == message + "\n"


def test_runtime_errors_are_one_line_and_exit_3(drifted: GitRepoBuilder, tmp_path: Path) -> None:
    unknown = check(drifted.root, "7")
    assert unknown.exit_code == 3, explain(unknown)
    assert unknown.stderr.startswith("Error: Phase '7' not found in the working tree.")
    assert len(unknown.stderr.splitlines()) == 1
    bad_rev = check(drifted.root, "--rev", "nope")
    assert bad_rev.exit_code == 3, explain(bad_rev)
    assert len(bad_rev.stderr.splitlines()) == 1
    empty = tmp_path / "not-a-repo"
    empty.mkdir()
    assert check(empty).exit_code == 3


def test_no_documents_is_a_runtime_error(git_repo: GitRepoBuilder) -> None:
    git_repo.write("README.md", "# nothing\n")
    git_repo.commit()
    result = check(git_repo.root)
    assert result.exit_code == 3, explain(result)
    assert result.stderr.startswith("Error: No phase documents found in the working tree")


def test_the_template_is_never_checked(git_repo: GitRepoBuilder) -> None:
    git_repo.write("pyproject.toml", '[tool.phasediff]\nglobs = ["docs/**/*.md"]\nexclude = []\n')
    git_repo.write("docs/phase-1/ARCHITECTURE.md", _case("dates-out-of-order", "good.md"))
    git_repo.write("docs/phase-1/ARCHITECTURE-TEMPLATE.md", TEMPLATE.read_text(encoding="utf-8"))
    result = check(git_repo.root, "--format", "json")
    data = json.loads(result.stdout)
    assert [doc["path"] for doc in data["documents"]] == ["docs/phase-1/ARCHITECTURE.md"]


def test_output_file_and_step_summary(drifted: GitRepoBuilder, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    target = tmp_path / "out" / "check.json"
    result = check(
        drifted.root,
        "--format",
        "json",
        "--output",
        str(target),
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 1, explain(result)
    assert result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]["errors"] == 2
    assert summary.read_text(encoding="utf-8").startswith("### phasediff check\n")


def test_list_rules_needs_no_repository(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--list-rules", "--repo", str(tmp_path)])
    assert result.exit_code == 0, explain(result)
    assert [line.split()[0] for line in result.stdout.splitlines()] == list(CHECK_RULES)


def test_help_names_the_exit_codes() -> None:
    result = CliRunner().invoke(main, ["check", "--help"])
    assert result.exit_code == 0
    assert "[PHASE]..." in result.stdout and "--list-rules" in result.stdout
    assert "1 at least one error" in result.stdout


def test_a_house_layout_is_held_only_to_what_holds_everywhere(git_repo: GitRepoBuilder) -> None:
    git_repo.write("docs/phase-2/ARCHITECTURE.md", _case("link-broken", "bad.md"))
    git_repo.write("docs/phase-2/SCHEMA.md", "# Schema\n")
    git_repo.write("docs/STAFF_RULES.md", "# Staff rules\n")
    git_repo.commit("a house-layout phase document")
    result = check(git_repo.root)
    assert result.exit_code == 0, explain(result)
    # No section-missing, no placeholder for the field named `value` or the type
    # `[{ sku, quantity, price }]`: only the one link whose target is not there.
    assert result.stdout.splitlines() == [
        "docs/phase-2/ARCHITECTURE.md:8: warning [link-broken] Link 'the ordering workflow' "
        "points at ./ORDERING_WORKFLOW.md, which the repository does not have; correct the "
        "path, or remove the link.",
        "",
        "1 document checked: 0 errors, 1 warning.",
    ]
    # A project that names its template holds every document to it.
    git_repo.write(
        "pyproject.toml", '[tool.phasediff]\ntemplate = "docs/ARCHITECTURE-TEMPLATE.md"\n'
    )
    held = check(git_repo.root)
    assert held.exit_code == 1, explain(held)
    assert held.stdout.count("[section-missing]") == 7
