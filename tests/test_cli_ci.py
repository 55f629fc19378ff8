"""``phasediff comment`` against a fake GitHub API on loopback, ``accept``, and the CI gate.

Every run goes through click's ``CliRunner`` in a real git repository built by
``GitRepoBuilder``, with the GitHub Actions environment a workflow would give
(event file, repository, API URL, token, step summary), and asserts that the
token reaches neither stdout nor stderr.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer

from phasediff.cli import main
from phasediff.markdown import load_yaml
from tests.support.fake_github import NUMBER, REPOSITORY, TOKEN, Failure, FakeGitHub
from tests.support.hostile_server import HostileServer, trickle
from tests.support.phase_docs import PHASE_2, PHASE_3, PHASE_3_NO_PROMTAIL, document

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

GOLDEN = Path(__file__).parent / "golden" / "comment"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass
class PullRequest:
    repo: GitRepoBuilder
    target: str
    head: str
    event: Path


@pytest.fixture
def pr(git_repo: GitRepoBuilder, tmp_path: Path) -> PullRequest:
    """main has phases 2 and 3; branch `feature` drops Promtail from phase 3; main moves on."""
    git_repo.write("docs/phase-2/ARCHITECTURE.md", PHASE_2)
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3)
    git_repo.commit("phases 2 and 3")
    git_repo.branch("feature")
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3_NO_PROMTAIL)
    head = git_repo.commit("phase 3 without Promtail")
    git_repo.switch("main")
    git_repo.write("docs/phase-2/ARCHITECTURE.md", document("2", ["Loki"], [], title="Logging"))
    target = git_repo.commit("phase 2 drops Promtail on main")
    git_repo.switch("feature")
    event = tmp_path / "event.json"
    write_event(event, target, head)
    return PullRequest(git_repo, target, head, event)


def write_event(path: Path, base: str, head: str, number: int = NUMBER) -> None:
    path.write_text(
        json.dumps(
            {
                "action": "synchronize",
                "number": number,
                "pull_request": {"number": number, "base": {"sha": base}, "head": {"sha": head}},
            }
        ),
        encoding="utf-8",
    )


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeGitHub:
    return FakeGitHub(httpserver)


@pytest.fixture
def summary(tmp_path: Path) -> Path:
    return tmp_path / "step-summary.md"


@pytest.fixture(autouse=True)
def _no_github_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests set the GitHub variables they mean; none leak in from a CI that runs them."""
    for name in list(os.environ):
        if name.startswith("GITHUB_") or name in ("GH_TOKEN", "PHASEDIFF_DEBUG"):
            monkeypatch.delenv(name)
        if name.casefold() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)  # the fake API is on loopback: no proxy in between
    yield


def run(args: list[str], env: Mapping[str, str | None] | None = None) -> Result:
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert TOKEN not in result.stdout
    assert TOKEN not in result.stderr
    return result


def actions_env(pr: PullRequest, fake: FakeGitHub, summary: Path) -> dict[str, str | None]:
    return {
        "GITHUB_EVENT_PATH": str(pr.event),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_STEP_SUMMARY": str(summary),
    }


def comment(pr: PullRequest, fake: FakeGitHub, summary: Path, *extra: str) -> Result:
    return run(["comment", "--checkout", str(pr.repo.root), *extra], actions_env(pr, fake, summary))


# -- the bot --------------------------------------------------------------------------


def test_the_first_run_creates_one_comment(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    result = comment(pr, fake, summary)
    assert result.exit_code == 0, result.stderr
    assert fake.writes == [("POST", f"/repos/{REPOSITORY}/issues/{NUMBER}/comments")]
    (posted,) = fake.own_comments()
    body = posted["body"]
    assert "Component Promtail removed `component-removed`" in body
    assert "Env var PROMTAIL_LOKI_URL removed `env-removed`" in body
    # Phase 2 changed on main after the branch point: not this pull request's drift.
    assert "Phase 2" not in body and "phase 2" not in body
    assert f"branch point {pr.repo.rev_parse('main~1')}" in body
    assert f"moved on to {pr.target}" in body
    assert result.stdout == ""
    assert "phasediff: commented on acme/platform#7" in result.stderr
    assert not summary.exists()


def test_a_second_run_with_the_same_drift_writes_nothing(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    comment(pr, fake, summary)
    result = comment(pr, fake, summary)
    assert result.exit_code == 0
    assert len(fake.writes) == 1
    assert "is up to date; nothing sent" in result.stderr


def test_changed_drift_updates_the_same_comment(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    comment(pr, fake, summary)
    (first,) = fake.own_comments()
    pr.repo.write("docs/phase-3/ARCHITECTURE.md", document("3", ["Tempo", "Pyroscope"], []))
    write_event(pr.event, pr.target, pr.repo.commit("add Pyroscope, drop TEMPO_URL"))
    result = comment(pr, fake, summary)
    assert result.exit_code == 0
    assert fake.writes[1] == ("PATCH", f"/repos/{REPOSITORY}/issues/comments/{first['id']}")
    (updated,) = fake.own_comments()
    assert updated["id"] == first["id"]
    assert "Pyroscope" in updated["body"]
    assert len(fake.comments) == 1


def test_the_comment_on_page_3_of_50_others_is_found(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    for index in range(50):
        fake.add_comment(f"review comment {index}")
    own = fake.add_own_comment("<!-- phasediff:default -->\nan older report")
    result = comment(pr, fake, summary)
    assert result.exit_code == 0
    pages = [query for method, path, query in fake.requests if method == "GET" and query]
    assert pages == [f"per_page=100&page={page}" for page in (1, 2, 3)]
    assert fake.writes == [("PATCH", f"/repos/{REPOSITORY}/issues/comments/{own}")]
    assert len(fake.comments) == 51


def test_another_bots_comment_is_left_alone(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    fake.add_own_comment("<!-- phasediff:release -->\nthe release bot's")
    comment(pr, fake, summary)
    assert [method for method, _ in fake.writes] == ["POST"]
    result = comment(pr, fake, summary, "--id", "release")
    assert [method for method, _ in fake.writes] == ["POST", "PATCH"]
    assert result.exit_code == 0
    assert fake.comments[0]["body"].startswith("<!-- phasediff:release -->\n## Architectural")


def test_a_marker_in_someone_elses_comment_is_never_adopted(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    """Before: the bot PATCHed the first comment whose first line was the marker, anyone's."""
    mallory = fake.add_comment("<!-- phasediff:default -->\nlooks like the bot", user="mallory")
    result = comment(pr, fake, summary)
    assert result.exit_code == 0, result.stderr
    assert [method for method, _ in fake.writes] == ["POST"]
    assert ("GET", "/user", "") in fake.requests  # who the token is, asked once
    assert fake.comments[0]["id"] == mallory
    assert fake.comments[0]["body"] == "<!-- phasediff:default -->\nlooks like the bot"
    (own,) = fake.own_comments()
    assert own["user"]["login"] == "github-actions[bot]"
    # The next run finds the bot's own comment, not mallory's.
    result = comment(pr, fake, summary)
    assert "is up to date; nothing sent" in result.stderr
    assert len(fake.writes) == 1


def test_a_personal_token_owns_the_comments_of_its_user(
    pr: PullRequest, httpserver: HTTPServer, summary: Path
) -> None:
    fake = FakeGitHub(httpserver, login="octo-dev")
    fake.add_comment("<!-- phasediff:default -->\nby the actions bot", user="github-actions[bot]")
    mine = fake.add_comment("<!-- phasediff:default -->\nold", user="Octo-Dev")
    result = comment(pr, fake, summary)
    assert result.exit_code == 0, result.stderr
    assert fake.writes == [("PATCH", f"/repos/{REPOSITORY}/issues/comments/{mine}")]


def test_bot_login_names_the_author_without_asking_github(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    fake.add_own_comment("<!-- phasediff:default -->\nby github-actions")
    theirs = fake.add_comment("<!-- phasediff:default -->\nby our app", user="drift-app[bot]")
    env = {**actions_env(pr, fake, summary), "PHASEDIFF_BOT_LOGIN": "drift-app[bot]"}
    fake.login = "drift-app[bot]"  # the app's installation token writes as the app
    result = run(["comment", "--checkout", str(pr.repo.root)], env)
    assert result.exit_code == 0, result.stderr
    assert ("GET", "/user", "") not in fake.requests
    assert fake.writes == [("PATCH", f"/repos/{REPOSITORY}/issues/comments/{theirs}")]


def test_a_refused_edit_is_an_error_not_a_fork(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    """Before: exit 0, nothing posted, and a warning blaming a fork's read-only token."""
    own = fake.add_own_comment("<!-- phasediff:default -->\nold")
    fake.fail["PATCH"] = Failure(403, message="Resource not accessible by integration")
    result = comment(pr, fake, summary)
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"Error: Could not update comment {own} in acme/platform: HTTP 403 (Resource not "
        "accessible by integration). GitHub refused to edit it; nothing was changed. The token "
        "must be the comment's author and have `pull-requests: write` permission."
    ]
    assert "fork" not in result.stderr
    assert fake.comments[0]["body"] == "<!-- phasediff:default -->\nold"


def test_a_clean_pull_request_posts_nothing(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    pr.repo.switch("main")
    pr.repo.branch("docs-only")
    pr.repo.write("README.md", "Just words.\n")
    pr.repo.write(  # touched, but only re-wrapped: no drift
        "docs/phase-3/ARCHITECTURE.md", PHASE_3.replace("**Purpose:** Runs", "**Purpose:**\nRuns")
    )
    write_event(pr.event, pr.target, pr.repo.commit("readme and a reflow"))
    result = comment(pr, fake, summary)
    assert result.exit_code == 0
    assert fake.writes == []
    assert "no phase drift in acme/platform#7; nothing posted" in result.stderr


def test_a_pull_request_that_became_clean_updates_its_old_comment(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    comment(pr, fake, summary)
    pr.repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3)
    write_event(pr.event, pr.target, pr.repo.commit("put Promtail back"))
    result = comment(pr, fake, summary)
    assert result.exit_code == 0
    assert [method for method, _ in fake.writes] == ["POST", "PATCH"]
    (posted,) = fake.own_comments()
    assert "✅ **No architectural drift.**" in posted["body"]


def test_a_read_only_token_falls_back_to_the_step_summary(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    fake.fail["POST"] = Failure(403, message="Resource not accessible by integration")
    result = comment(pr, fake, summary)
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: Could not comment on acme/platform#7: the token")
    assert "the report is in the job summary instead" in result.stderr
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("<!-- phasediff:default -->\n## Architectural drift")
    assert "`component-removed`" in text
    assert fake.comments == []


def test_a_server_error_exits_3_with_nothing_half_written(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    fake.add_own_comment("<!-- phasediff:default -->\nold")
    fake.fail["PATCH"] = Failure(500)
    result = comment(pr, fake, summary)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: Could not update comment {fake.comments[0]['id']} in acme/platform: "
        "HTTP 500 (Server Error). GitHub's API failed."
    ]
    assert fake.comments[0]["body"] == "<!-- phasediff:default -->\nold"
    assert not summary.exists()


def test_a_server_error_while_listing_writes_nothing(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    for index in range(30):
        fake.add_comment(f"c{index}")
    fake.fail["GET"] = Failure(500)
    result = comment(pr, fake, summary)
    assert result.exit_code == 3
    assert fake.writes == []
    assert result.stdout == "" and not summary.exists()


def test_a_huge_drift_still_fits_in_one_comment(
    git_repo: GitRepoBuilder, tmp_path: Path, fake: FakeGitHub, summary: Path
) -> None:
    names = [f"SERVICE_{index:04d}_ENDPOINT_URL_FOR_THE_PLATFORM" for index in range(1500)]
    git_repo.write("docs/phase-1/ARCHITECTURE.md", document("1", ["Api"], names))
    target = git_repo.commit("phase 1 with a great many env vars")
    git_repo.write("docs/phase-1/ARCHITECTURE.md", document("1", ["Api"], []))
    head = git_repo.commit("drop them all")
    event = tmp_path / "event.json"
    write_event(event, target, head)
    result = comment(PullRequest(git_repo, target, head, event), fake, summary)
    assert result.exit_code == 0, result.stderr
    (posted,) = fake.own_comments()
    body = posted["body"]
    assert len(body) < 65_536
    assert "more changes not shown** (1,500 in all)" in body
    assert body.rstrip().endswith("</sub>")


def test_fail_on_leaves_findings_on_stdout_and_in_the_summary(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    result = comment(pr, fake, summary, "--fail-on", "breaking")
    assert result.exit_code == 1
    assert result.stdout.startswith("<!-- phasediff:default -->")
    assert summary.read_text(encoding="utf-8").startswith("<!-- phasediff:default -->")
    assert len(fake.own_comments()) == 1


def test_a_dry_run_gate_fails_with_the_summary_and_no_network(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    result = comment(pr, fake, summary, "--dry-run", "--fail-on", "breaking")
    assert result.exit_code == 1
    assert result.stdout.count("<!-- phasediff:default -->") == 1
    assert summary.read_text(encoding="utf-8") == result.stdout + "\n"
    assert fake.requests == []


def test_an_acknowledged_change_does_not_fail_the_pull_request(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    pr.repo.write(
        ".phasediff-accept.yaml",
        "accept:\n"
        "  - fingerprint: component-removed:Promtail\n    reason: Replaced by @alloy-team's agent\n"
        "  - fingerprint: env-removed:PROMTAIL_LOKI_URL\n    reason: Goes with Promtail\n",
    )
    write_event(pr.event, pr.target, pr.repo.commit("acknowledge"))
    result = comment(pr, fake, summary, "--fail-on", "breaking")
    assert result.exit_code == 0, result.stdout
    (posted,) = fake.own_comments()
    assert "### Acknowledged" in posted["body"]
    assert "acknowledged: Replaced by @\u200balloy-team's agent" in posted["body"]


def test_against_previous_phase_adds_context(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    result = comment(pr, fake, summary, "--against-previous-phase", "--dry-run")
    assert result.exit_code == 0
    assert "<details><summary>Phase 3 compared with phase 2: " in result.stdout
    assert fake.requests == []


def test_dry_run_prints_the_body_and_the_action_and_touches_no_network(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    result = comment(pr, fake, summary, "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.startswith("<!-- phasediff:default -->\n## Architectural drift\n")
    assert result.stderr.startswith(
        "Dry run: would create the comment marked <!-- phasediff:default --> on acme/platform#7"
    )
    assert fake.requests == []


def test_flags_override_the_environment(pr: PullRequest, fake: FakeGitHub, summary: Path) -> None:
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "http://127.0.0.1:9"}
    args = ["comment", "--checkout", str(pr.repo.root), "--repo", REPOSITORY, "--pr", "7"]
    args += ["--base", "main", "--head", "feature", "--api-url", fake.api_url]
    result = run(args, env)
    assert result.exit_code == 0, result.stderr
    assert len(fake.own_comments()) == 1


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "No pull request to compare"),
        (["--base", "main", "--head", "feature"], {}, "No repository"),
        (["--base", "main", "--head", "feature", "--repo", "a/b"], {}, "No pull request number"),
        (["--base", "main", "--head", "feature", "--repo", "a/b", "--pr", "1"], {}, "GITHUB_TOKEN"),
        (["--base", "main", "--head", "feature", "--id", "no spaces"], {}, "Comment id"),
        (["--base", "main", "--head", "feature", "--repo", "nope", "--dry-run"], {}, "OWNER/NAME"),
    ],
)
def test_missing_inputs_are_usage_errors(
    pr: PullRequest, args: list[str], env: dict[str, str | None], message: str
) -> None:
    result = run(["comment", "--checkout", str(pr.repo.root), *args], env)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_shallow_or_unknown_base_is_a_runtime_error(pr: PullRequest) -> None:
    args = ["comment", "--checkout", str(pr.repo.root), "--dry-run"]
    result = run([*args, "--base", "nope", "--head", "feature"])
    assert result.exit_code == 3
    assert "Revision 'nope' not found" in result.stderr


def test_a_shallow_clone_says_how_to_fetch_history(pr: PullRequest, tmp_path: Path) -> None:
    shallow = pr.repo.clone(tmp_path / "shallow", depth=1)
    args = ["comment", "--checkout", str(shallow.root), "--dry-run"]
    result = run([*args, "--base", pr.target, "--head", pr.head])
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    assert "This clone is shallow" in line and "`fetch-depth: 0` in actions/checkout" in line
    assert (
        line.count("This clone is shallow") == 1
    )  # before: the hint twice, from git's layer and the bot's


@pytest.mark.parametrize(
    ("token", "what"),
    [
        ("ghs_abcé" + TOKEN[4:], "a non-ASCII character (character 8 of"),
        ("ghs_abc " + TOKEN[4:], "a space (character 8 of"),
        (TOKEN + "\n", "a line break (character 41 of 41)"),
    ],
)
def test_a_token_that_cannot_be_sent_is_one_line_naming_the_variable(
    pr: PullRequest, fake: FakeGitHub, summary: Path, token: str, what: str
) -> None:
    env = {**actions_env(pr, fake, summary), "GITHUB_TOKEN": None, "GH_TOKEN": token}
    result = run(["comment", "--checkout", str(pr.repo.root)], env)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    # Before: the whole header in an internal error's repr, or "cannot reach" the API.
    assert line.startswith(f"Error: GH_TOKEN holds {what}")
    assert "ghs_" not in line and "reach" not in line
    assert fake.requests == []


def test_a_password_in_the_api_url_is_never_printed(pr: PullRequest, summary: Path) -> None:
    env = {
        "GITHUB_EVENT_PATH": str(pr.event),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": "http://me:hunter2@127.0.0.1:9",
    }
    for args in ([], ["--dry-run"]):
        result = run(["comment", "--checkout", str(pr.repo.root), *args], env)
        assert result.exit_code == 2
        assert "hunter2" not in result.stderr and "me:" not in result.stderr
        assert result.stderr == (
            "Error: 'http://***@127.0.0.1:9' holds a user name or password. Remove it from the "
            "API URL: the token goes in GITHUB_TOKEN.\n"
        )


def test_a_malformed_api_url_is_one_line(pr: PullRequest, summary: Path) -> None:
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "http://[::1"}
    args = ["comment", "--checkout", str(pr.repo.root), "--repo", REPOSITORY, "--pr", "7"]
    result = run([*args, "--base", "main", "--head", "feature"], env)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: 'http://[::1' is not a valid API URL.")
    assert "internal error" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_trickling_api_is_given_up_on_at_the_timeout(pr: PullRequest, summary: Path) -> None:
    """Before: one byte every few seconds held the bot for minutes (timeouts were per read)."""
    with HostileServer(trickle(pause=0.3)) as server:
        env = {
            "GITHUB_EVENT_PATH": str(pr.event),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_API_URL": server.url,
            "GITHUB_TOKEN": TOKEN,
        }
        started = time.monotonic()
        result = run(["comment", "--checkout", str(pr.repo.root), "--timeout", "1"], env)
        took = time.monotonic() - started
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: Could not find who the token is: the calls to {server.url} took over 1 s in "
        "all; giving up.\n"
    )
    assert took < 8  # a git walk, then at most 1 s of network; the server trickles for 12 s


# -- the demo repository: a golden body -------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (FIXTURES / "build_demo.py").is_file():
        pytest.skip("fixtures/build_demo.py is not there yet")
    sys.path.insert(0, str(FIXTURES))
    try:
        from build_demo import build_demo  # type: ignore[import-not-found, unused-ignore]
    finally:
        sys.path.remove(str(FIXTURES))
    path: Path = build_demo(tmp_path_factory.mktemp("demo") / "repo")
    return path


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PHASEDIFF_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "base", "head", "extra"),
    [
        # Phase 3 from its first draft to "complete": what a reviewer of that work would see.
        ("phase-3-rollout.md", "v3.0~5", "v3.0", []),
        # Phase 4 added after v3.0, read against phase 3.
        ("phase-4-added.md", "v3.0", "main", ["--against-previous-phase"]),
    ],
)
def test_dry_run_in_the_demo_repository(
    demo: Path, tmp_path: Path, name: str, base: str, head: str, extra: list[str]
) -> None:
    def sha(rev: str) -> str:
        out = subprocess.run(
            ["git", "rev-parse", f"{rev}^{{commit}}"], cwd=demo, capture_output=True, check=True
        )
        return out.stdout.decode().strip()

    event = tmp_path / "event.json"
    write_event(event, sha(base), sha(head), number=42)
    env: dict[str, str | None] = {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "northwind/observability",
    }
    result = run(["comment", "--dry-run", "--checkout", str(demo), *extra], env)
    assert result.exit_code == 0, result.stderr
    assert "northwind/observability#42" in result.stderr
    golden(name, result.stdout)


def test_annotate_prints_workflow_commands_for_the_touched_phases(
    pr: PullRequest, fake: FakeGitHub, summary: Path
) -> None:
    result = comment(pr, fake, summary, "--annotate", "--dry-run")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "::error file=docs/phase-3/ARCHITECTURE.md,line=16,title=phasediff component-removed::"
    )
    assert "phasediff: 2 changes: 2 breaking, 0 warnings, 0 info" in lines


# -- action.yml -------------------------------------------------------------------------

ACTION = Path(__file__).resolve().parent.parent / "action.yml"


def action_script() -> str:
    data, error, _ = load_yaml(ACTION.read_text(encoding="utf-8"))
    assert error is None
    (step,) = [s for s in data["runs"]["steps"] if s.get("name") == "Run phasediff"]
    script: str = step["run"]
    return script


def test_action_yml_is_a_composite_action_with_the_inputs() -> None:
    data, _, _ = load_yaml(ACTION.read_text(encoding="utf-8"))
    assert data["runs"]["using"] == "composite"
    assert {"command", "format", "fail-on", "comment-id"} <= set(data["inputs"])
    for step in data["runs"]["steps"]:
        # Inputs go through env, never into the script's text (script injection).
        assert "${{" not in step.get("run", "")


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"PHASEDIFF_COMMAND": "comment"}, ["comment", "--id", "default"]),
        (
            {"PHASEDIFF_COMMAND": "comment --against-previous-phase", "PHASEDIFF_FORMAT": "github",
             "PHASEDIFF_FAIL_ON": "breaking", "PHASEDIFF_COMMENT_ID": "arch"},
            ["comment", "--against-previous-phase", "--annotate", "--fail-on", "breaking",
             "--id", "arch"],
        ),
        (
            {"PHASEDIFF_COMMAND": "diff 3 --from origin/main --to HEAD",
             "PHASEDIFF_FORMAT": "github", "PHASEDIFF_FAIL_ON": "warning"},
            ["diff", "3", "--from", "origin/main", "--to", "HEAD", "--format", "github",
             "--fail-on", "warning"],
        ),
        # Words, never shell: nothing is expanded or run.
        ({"PHASEDIFF_COMMAND": "diff; rm -rf * $(id)"}, ["diff;", "rm", "-rf", "*", "$(id)"]),
    ],
)  # fmt: skip
def test_the_action_builds_the_command_line(
    tmp_path: Path, inputs: dict[str, str], expected: list[str]
) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    stub = tmp_path / "bin" / "phasediff"
    stub.parent.mkdir()
    stub.write_text('#!/bin/sh\nfor arg in "$@"; do printf "%s\\n" "$arg"; done\n')
    stub.chmod(0o755)
    env = {
        "PATH": f"{stub.parent}{os.pathsep}{os.environ['PATH']}",
        "PHASEDIFF_COMMAND": "",
        "PHASEDIFF_FORMAT": "",
        "PHASEDIFF_FAIL_ON": "",
        "PHASEDIFF_COMMENT_ID": "default",
        "PHASEDIFF_OUTPUT": "",
        **inputs,
    }
    done = subprocess.run(
        [bash, "-c", action_script()], env=env, cwd=tmp_path, capture_output=True, check=True
    )
    assert done.stdout.decode().splitlines() == expected
    out = tmp_path / "out.txt"
    env |= {"PHASEDIFF_OUTPUT": str(out)}
    subprocess.run([bash, "-c", action_script()], env=env, cwd=tmp_path, check=True)
    assert out.read_text().splitlines() == expected


# -- the gate: diff with acknowledged changes, the step summary, accept ----------------


def diff(pr: PullRequest, *extra: str, env: Mapping[str, str | None] | None = None) -> Result:
    args = ["diff", "3", "--from", "main~1", "--to", "feature", "--repo", str(pr.repo.root)]
    return run([*args, *extra], env)


def test_diff_fails_on_breaking_and_writes_the_step_summary(pr: PullRequest, summary: Path) -> None:
    result = diff(pr, "--fail-on", "breaking", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1
    assert "Component Promtail removed" in result.stdout
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## Phase 3: main\\~1 → feature")
    assert "### ⚠️ Breaking changes" in text
    # Without a gate there is nothing to explain in the job summary.
    summary.unlink()
    assert diff(pr, env={"GITHUB_STEP_SUMMARY": str(summary)}).exit_code == 0
    assert not summary.exists()


def test_diff_print_fingerprints(pr: PullRequest) -> None:
    result = diff(pr, "--print-fingerprints", "--fail-on", "breaking")
    assert result.exit_code == 1
    assert result.stdout == (
        "component-removed:Promtail\tbreaking\tComponent Promtail removed\n"
        "env-removed:PROMTAIL_LOKI_URL\tbreaking\tEnv var PROMTAIL_LOKI_URL removed\n"
    )


def test_accept_then_the_gate_passes_and_shows_them_acknowledged(pr: PullRequest) -> None:
    root = str(pr.repo.root)
    result = run(
        ["accept", "--repo", root, "--reason", "Replaced by Grafana Alloy",
         "component-removed:Promtail", "env-removed:PROMTAIL_LOKI_URL"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "Added to .phasediff-accept.yaml: component-removed:Promtail, "
        "env-removed:PROMTAIL_LOKI_URL.\n"
    )
    gated = diff(pr, "--fail-on", "breaking")
    assert gated.exit_code == 0
    assert "acknowledged: Replaced by Grafana Alloy" in gated.stdout
    assert diff(pr, "--exit-code").exit_code == 0
    again = run(["accept", "--repo", root, "--reason", "x", "component-removed:promtail"])
    assert again.exit_code == 0
    assert again.stderr.startswith("Nothing to add")


def test_accept_from_a_branch_scopes_entries_to_their_phase(pr: PullRequest) -> None:
    root = str(pr.repo.root)
    dry = run(["accept", "--repo", root, "--reason", "Intended", "--base", "main", "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    assert "phase: '3'" in dry.stdout
    assert dry.stderr.startswith("Dry run: would add 2 entries to .phasediff-accept.yaml")
    assert not (pr.repo.root / ".phasediff-accept.yaml").exists()
    result = run(["accept", "--repo", root, "--reason", "Intended", "--base", "main"])
    assert result.exit_code == 0
    pr.repo.commit("acknowledge")
    assert diff(pr, "--fail-on", "breaking").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reason", "x"], "Name the changes"),
        (["--reason", " ", "port-closed:1"], "--reason is empty"),
        (["--reason", "x", "Promtail"], "is not a fingerprint"),
        (["--reason", "x", "component-remove:Promtail"], "Did you mean component-removed?"),
    ],
)
def test_accept_usage_errors(pr: PullRequest, args: list[str], message: str) -> None:
    result = run(["accept", "--repo", str(pr.repo.root), *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_broken_accept_file_is_a_usage_error(pr: PullRequest) -> None:
    pr.repo.write(".phasediff-accept.yaml", "accept:\n  - fingerprint: nope\n    reason: r\n")
    result = diff(pr)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: .phasediff-accept.yaml: accept entry 1: 'nope'")
