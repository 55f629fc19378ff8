"""``phasediff log`` and ``phasediff changelog`` as a user runs them: stdout, stderr, exit codes.

Golden files pin the demo repository's output; regenerate them with
``PHASEDIFF_UPDATE_GOLDEN=1 pytest tests/test_cli_history.py`` and read the
diff before committing it.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from phasediff.cli import main
from phasediff.cli.history import progress_bar

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

GOLDEN = Path(__file__).parent / "golden" / "history"
TEMPLATE = Path(__file__).resolve().parents[1] / "src" / "phasediff" / "templates"


def invoke(repo: Path, *args: str, cache: Path | None = None) -> Result:
    """Run a command on ``repo``, its cache in ``cache`` (never in the shared demo's .git)."""
    cache_args = ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    if args[0] not in ("log", "changelog"):
        cache_args = []  # the diff command keeps no cache
    return CliRunner().invoke(
        main, [*args, *cache_args, "--repo", str(repo)], env={"NO_COLOR": "1"}
    )


def explain(result: Result) -> str:
    return f"exit={result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PHASEDIFF_UPDATE_GOLDEN") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert text == path.read_text(encoding="utf-8")


# -- golden files ----------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "suffix"), [("markdown", "md"), ("text", "txt"), ("json", "json")])
def test_changelog_of_the_demo_from_first_to_last_tag(
    demo_repo: Path, tmp_path: Path, fmt: str, suffix: str
) -> None:
    result = invoke(
        demo_repo, "changelog", "--from", "v1.0", "--to", "v3.0", "--format", fmt, cache=tmp_path
    )
    assert result.exit_code == 0, explain(result)
    assert result.stderr == ""
    golden(f"changelog-v1.0-v3.0.{suffix}", result.stdout)


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("markdown", "md"), ("json", "json")])
def test_log_of_phase_2_in_the_demo(demo_repo: Path, fmt: str, suffix: str) -> None:
    result = invoke(demo_repo, "log", "2", "--format", fmt)
    assert result.exit_code == 0, explain(result)
    assert result.stderr == ""  # no progress bar and no warning off a terminal
    golden(f"log-phase-2.{suffix}", result.stdout)


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("markdown", "md"), ("json", "json")])
def test_a_cached_log_prints_the_same_cold_and_warm(
    demo_repo: Path, tmp_path: Path, fmt: str, suffix: str
) -> None:
    for _ in ("cold", "warm"):
        result = invoke(demo_repo, "log", "2", "--format", fmt, cache=tmp_path)
        assert result.exit_code == 0, explain(result)
        assert result.stdout == (GOLDEN / f"log-phase-2.{suffix}").read_text(encoding="utf-8")


def test_log_json_nests_change_records_under_commits(demo_repo: Path, tmp_path: Path) -> None:
    result = invoke(demo_repo, "log", "--format", "json", cache=tmp_path)
    assert result.exit_code == 0, explain(result)
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["skipped"] == []
    assert data["range"]["to"] == "HEAD" and data["first_parent"] is True
    first = data["entries"][-1]
    assert first["commit"]["subject"].startswith("Add architecture template and phase 1")
    document = first["documents"][0]
    assert (document["phase"], document["status"]) == ("1", "added")
    assert document["base"]["path"] is None
    assert document["head"]["path"] == "docs/phase-1/ARCHITECTURE.md"
    reflow = next(e for e in data["entries"] if "reflow" in e["commit"]["subject"])
    assert reflow["semantic"] is False and reflow["documents"][0]["changes"] == []
    # The warm run prints the same document.
    assert invoke(demo_repo, "log", "--format", "json", cache=tmp_path).stdout == result.stdout


def test_semantic_only_and_max_count(demo_repo: Path) -> None:
    result = invoke(demo_repo, "log", "2", "--semantic-only", "-n", "5")
    assert result.exit_code == 0, explain(result)
    assert "reflow" not in result.stdout
    assert result.stdout.count("\ncommit ") + result.stdout.startswith("commit ") == 3


# -- changelog files and templates ---------------------------------------------------------------

EXISTING = (
    "# Changelog\r\n"
    "\r\n"
    "Architecture release notes.\r\n"
    "\r\n"
    "## v1.0 (2026-02-20)\r\n"
    "\r\n"
    "- First release, caf\xe9 \udcff kept as written\r\n"
)


def test_prepend_keeps_the_rest_byte_for_byte(demo_repo: Path, tmp_path: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    original = EXISTING.encode("utf-8", "surrogateescape")
    changelog.write_bytes(original)
    args = ("changelog", "--from", "v1.0", "--to", "v3.0", "--prepend", str(changelog))
    result = invoke(demo_repo, *args, cache=tmp_path / "cache")
    assert result.exit_code == 0, explain(result)
    assert result.stdout == ""
    assert f"Added v3.0 (2026-07-10) to {changelog}" in result.stderr
    updated = changelog.read_bytes()
    head, _, rest = original.partition(b"## v1.0")
    assert updated.startswith(head + b"## v3.0 (2026-07-10)\r\n")
    assert updated.endswith(b"\r\n\r\n## v1.0" + rest)
    section = updated[len(head) : len(updated) - len(rest) - len(b"## v1.0")]
    assert b"\n" not in section.replace(b"\r\n", b"")  # the file's CRLF, throughout
    # Again: the section is there already, so nothing changes.
    again = invoke(demo_repo, *args, cache=tmp_path / "cache")
    assert again.exit_code == 0, explain(again)
    assert "left unchanged" in again.stderr
    assert changelog.read_bytes() == updated


def test_prepend_creates_a_missing_file(demo_repo: Path, tmp_path: Path) -> None:
    changelog = tmp_path / "NEW.md"
    result = invoke(demo_repo, "changelog", "--from", "v2.0", "--prepend", str(changelog))
    assert result.exit_code == 0, explain(result)
    assert changelog.read_text(encoding="utf-8").startswith("## Unreleased\n")


def test_template_renders_the_json_data(demo_repo: Path, tmp_path: Path) -> None:
    example = TEMPLATE / "changelog.md.j2"
    result = invoke(
        demo_repo, "changelog", "--from", "v1.0", "--to", "v3.0", "--template", str(example)
    )
    assert result.exit_code == 0, explain(result)
    assert result.stdout.startswith("## v3.0 (2026-07-10)\n")
    assert "- Phase 3: Distributed Tracing added (" in result.stdout
    assert "**Breaking:** Env var PROMTAIL\\_LOKI\\_URL became required (8b879e9)" in (
        result.stdout.replace("PROMTAIL_LOKI_URL", "PROMTAIL\\_LOKI\\_URL")
    )
    mine = tmp_path / "mine.j2"
    mine.write_text("{{ from.rev }}..{{ to.rev }}: {{ phases | length }} phases\n", "utf-8")
    custom = invoke(demo_repo, "changelog", "--from", "v1.0", "--template", str(mine))
    assert custom.stdout == "v1.0..HEAD: 4 phases\n"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% for x in %}", "Error: Template bad.j2, line 1: "),
        ("{{ no_such_thing }}", "Error: Template bad.j2 failed: 'no_such_thing' is undefined."),
        ("{{ ''.__class__.__mro__ }}", "Error: Template bad.j2 failed: "),
    ],
    ids=["syntax", "undefined", "sandboxed"],
)
def test_a_bad_template_is_one_line_and_exit_3(
    demo_repo: Path, tmp_path: Path, source: str, message: str
) -> None:
    bad = tmp_path / "bad.j2"
    bad.write_text(source, encoding="utf-8")
    result = invoke(demo_repo, "changelog", "--from", "v2.0", "--template", str(bad))
    assert result.exit_code == 3, explain(result)
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_template_and_format_exclude_each_other(demo_repo: Path) -> None:
    result = invoke(
        demo_repo, "changelog", "--from", "v2.0", "--format", "json", "--template", __file__
    )
    assert result.exit_code == 2, explain(result)


# -- one phase across revisions ------------------------------------------------------------------


def test_phase_at_rev_on_either_side(demo_repo: Path) -> None:
    long = invoke(demo_repo, "3", "--from", "v2.0", "--to", "HEAD", "--format", "json")
    assert long.exit_code == 0, explain(long)
    data = json.loads(long.stdout)
    assert data["base"]["path"] is None  # phase 3 did not exist at v2.0: all of it is new
    assert {c["kind"] for c in data["changes"]} >= {"added"}
    short = invoke(demo_repo, "3@v2.0", "3@HEAD", "--format", "json")
    assert json.loads(short.stdout)["changes"] == data["changes"]
    across = invoke(demo_repo, "2@v1.0", "3", "--format", "json")
    assert across.exit_code == 0, explain(across)
    assert json.loads(across.stdout)["base"]["rev"] == "v1.0"


# -- errors and warnings -------------------------------------------------------------------------


def test_a_shallow_clone_says_what_to_do(demo_repo: Path, tmp_path: Path) -> None:
    from tests.conftest import GitRepoBuilder

    clone = GitRepoBuilder(demo_repo, init=False).clone(tmp_path / "ci", depth=1)
    result = invoke(clone.root, "log")
    assert result.exit_code == 3, explain(result)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "git fetch --unshallow" in result.stderr and "fetch-depth: 0" in result.stderr
    changelog = invoke(clone.root, "changelog", "--from", "v2.0")
    assert changelog.exit_code == 3, explain(changelog)
    assert "shallow" in changelog.stderr


def test_unknown_phase_is_an_error(demo_repo: Path) -> None:
    result = invoke(demo_repo, "log", "7")
    assert result.exit_code == 3, explain(result)
    assert result.stderr == (
        "Error: Phase '7' has no document in the history of HEAD. Phases found: 1, 2, 3, 4.\n"
    )


def test_a_missing_object_is_a_warning_and_listed(git_repo: GitRepoBuilder) -> None:
    doc = "docs/phase-1/ARCHITECTURE.md"
    for status in ("Planned", "In Progress", "Complete"):
        git_repo.write(doc, f"# Phase 1 Architecture\n\n**Phase:** 1\n**Status:** {status}\n")
        git_repo.commit(f"phase 1 {status}")
    lost = git_repo.blob("HEAD~2", doc)
    (git_repo.root / ".git" / "objects" / lost[:2] / lost[2:]).unlink()
    result = invoke(git_repo.root, "log", "--format", "json")
    assert result.exit_code == 0, explain(result)
    assert result.stderr == (
        f"Warning: skipped {doc} at {git_repo.rev_parse('HEAD~2')[:7]}: object {lost[:7]} "
        "is missing from this clone; fetch it or use a full clone\n"
    )
    data = json.loads(result.stdout)
    assert [s["blob"] for s in data["skipped"]] == [lost]
    # The first readable version has nothing readable before it: compared with nothing.
    assert [e["commit"]["subject"] for e in data["entries"]] == [
        "phase 1 Complete",
        "phase 1 In Progress",
    ]
    first = data["entries"][1]["documents"][0]
    assert first["skipped_base"] == git_repo.rev_parse("HEAD~2")
    assert first["base"]["path"] is None
    text = invoke(git_repo.root, "log")
    assert text.exit_code == 0, explain(text)
    assert "could not be read, and none before it: compared with nothing" in text.stdout
    assert text.stderr.count("\n") == 1


def test_a_progress_bar_only_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar("Comparing") as update:
        for done in range(1, 501):
            update(done, 500)
    assert "Comparing" in terminal.getvalue()
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    with progress_bar("Comparing") as update:
        for done in range(1, 501):
            update(done, 500)
    assert quiet.getvalue() == ""


# -- documents that move to another phase --------------------------------------------------


def _moving_doc(title: str, *lines: str) -> str:
    """A house-layout document without a Phase field: its directory says its phase."""
    body = "".join(f"- {line}\n" for line in lines)
    return f"# {title}\n\n## Purpose\n\nWhat the system is for.\n\n## Rules\n\n{body}"


@pytest.fixture
def moving_repo(git_repo: GitRepoBuilder) -> GitRepoBuilder:
    """One document moved docs/phase-2 -> phase-3 -> phase-4 -> phase-5, edited on the way."""
    git_repo.write("docs/phase-2/ARCHITECTURE.md", _moving_doc("Design", "tenants are isolated"))
    git_repo.commit("design added")
    git_repo.mv("docs/phase-2/ARCHITECTURE.md", "docs/phase-3/ARCHITECTURE.md")
    git_repo.write(
        "docs/phase-3/ARCHITECTURE.md",
        _moving_doc("Design", "tenants are isolated", "users sign in with OAuth"),
    )
    git_repo.commit("moved to phase 3, sign-in rule")
    git_repo.write(
        "docs/phase-3/ARCHITECTURE.md",
        _moving_doc("Design", "tenants are isolated per shop", "users sign in with OAuth"),
    )
    git_repo.commit("isolation per shop")
    git_repo.mv("docs/phase-3/ARCHITECTURE.md", "docs/phase-4/ARCHITECTURE.md")
    git_repo.commit("moved to phase 4")
    git_repo.write(
        "docs/phase-4/ARCHITECTURE.md",
        _moving_doc("Design", "tenants are isolated per shop", "guests need no account"),
    )
    git_repo.commit("guests")
    git_repo.mv("docs/phase-4/ARCHITECTURE.md", "docs/phase-5/ARCHITECTURE.md")
    git_repo.commit("moved to phase 5")
    return git_repo


def _same_cached_and_not(repo: Path, cache: Path, *args: str) -> Result:
    """Run a command cold, warm and without the cache: all three print the same bytes."""
    plain = invoke(repo, *args)
    assert plain.exit_code == 0, explain(plain)
    for _ in ("cold", "warm"):
        cached = invoke(repo, *args, cache=cache)
        assert cached.exit_code == 0, explain(cached)
        assert (cached.stdout, cached.stderr) == (plain.stdout, plain.stderr)
    return plain


def test_log_of_a_phase_follows_its_document_across_phase_numbers(
    moving_repo: GitRepoBuilder, tmp_path: Path
) -> None:
    result = _same_cached_and_not(moving_repo.root, tmp_path / "cache", "log", "5")
    subjects = [line.strip() for line in result.stdout.splitlines() if line.startswith("    ")]
    for subject in (
        "moved to phase 5",
        "guests",
        "moved to phase 4",
        "isolation per shop",
        "moved to phase 3, sign-in rule",
        "design added",
    ):
        assert subject in subjects
    # Each renumbering is said once, on the commit that made it.
    for old, new in (("2", "3"), ("3", "4"), ("4", "5")):
        assert result.stdout.count(f"Phase {old} document is now phase {new}") == 1
    assert "6 commits changed phase documents." in result.stdout
    assert "guests need no account" in result.stdout


def test_log_of_a_phase_keyed_by_where_its_documents_end(
    moving_repo: GitRepoBuilder, tmp_path: Path
) -> None:
    # At HEAD~1 the document is phase 4 and all its history is phase 4's; at HEAD it has
    # moved on, and phase 4's log keeps only the commits where it was phase 4.
    cache = tmp_path / "cache"
    early = invoke(moving_repo.root, "log", "4", "--to", "HEAD~1", cache=cache)
    assert "design added" in early.stdout, explain(early)
    late = _same_cached_and_not(moving_repo.root, cache, "log", "4")
    assert "design added" not in late.stdout
    assert "guests" in late.stdout and "moved to phase 5" in late.stdout


def test_log_json_records_the_renumbering(moving_repo: GitRepoBuilder) -> None:
    result = invoke(moving_repo.root, "log", "5", "--format", "json")
    data = json.loads(result.stdout)
    renumbered = [
        (change["old"], change["new"])
        for entry in data["entries"]
        for document in entry["documents"]
        for change in document["changes"]
        if change["rule"] == "phase-renumbered"
    ]
    assert renumbered == [("4", "5"), ("3", "4"), ("2", "3")]


def test_changelog_follows_a_document_into_another_phase(
    moving_repo: GitRepoBuilder, tmp_path: Path
) -> None:
    first = moving_repo.rev_parse("HEAD~5")  # "design added", as phase 2
    result = _same_cached_and_not(
        moving_repo.root, tmp_path / "cache", "changelog", "--from", first, "--to", "HEAD"
    )
    assert "1 phase changed" in result.stdout
    assert "Phases added" not in result.stdout and "Phases removed" not in result.stdout
    assert "### Phase 5" in result.stdout
    assert result.stdout.count("Phase 2 document is now phase 5") == 1
    # The content changes made on the way, each with the commit that made it.
    assert "guests need no account" in result.stdout
    assert "tenants are isolated per shop" in result.stdout


def test_one_phase_across_revisions_follows_its_document(moving_repo: GitRepoBuilder) -> None:
    first = moving_repo.rev_parse("HEAD~5")
    result = invoke(moving_repo.root, "5", "--from", first, "--to", "HEAD")
    assert result.exit_code == 0, explain(result)
    assert "phase 2 (docs/phase-2/ARCHITECTURE.md" in result.stdout
    assert "Phase 2 document is now phase 5" in result.stdout
    assert "guests need no account" in result.stdout


def test_one_phase_added_in_the_range_reads_as_added(moving_repo: GitRepoBuilder) -> None:
    moving_repo.write("docs/phase-6/ARCHITECTURE.md", _moving_doc("Payments", "cards only"))
    moving_repo.commit("phase 6")
    result = invoke(moving_repo.root, "6", "--from", "HEAD~1", "--to", "HEAD")
    assert result.exit_code == 0, explain(result)
    assert result.stdout.startswith("phasediff: phase 6 (HEAD~1) -> phase 6")
    assert "Section Rules added" in result.stdout


def test_one_phase_without_a_base_says_where_it_has_one(moving_repo: GitRepoBuilder) -> None:
    # Phase 4's document moved on to phase 5 at HEAD: from HEAD there is nothing to compare.
    result = invoke(moving_repo.root, "4", "--from", "HEAD", "--to", "HEAD~1")
    assert result.exit_code == 3, explain(result)
    nearest = moving_repo.rev_parse("HEAD~1")[:7]
    assert result.stderr == (
        "Error: Phase 4 has no document at HEAD, and no commit up to HEAD~1 added it; the "
        f"nearest revision where it has one is {nearest}: compare from there (--from {nearest}).\n"
    )


# -- deleted documents -------------------------------------------------------------------


@pytest.fixture
def deleted_repo(git_repo: GitRepoBuilder) -> GitRepoBuilder:
    """Two phase documents, then one commit that deletes both (and a later unrelated one)."""
    git_repo.write(
        "docs/phase-1/ARCHITECTURE.md",
        "# Phase 1\n\n**Phase:** 1\n\n## Component Details\n\n### Component 1: Api\n\n"
        "**Purpose:** answers\n\n### Component 2: Queue\n\n**Purpose:** buffers\n",
    )
    git_repo.write("docs/phase-2/ARCHITECTURE.md", _moving_doc("Design", "one rule", "another"))
    git_repo.commit("documents")
    git_repo.rm("docs")
    git_repo.commit("move the design elsewhere")
    git_repo.write("README.md", "the design lives in the wiki now\n")
    git_repo.commit("readme")
    return git_repo


def test_no_documents_at_head_names_the_commit_that_deleted_them(
    deleted_repo: GitRepoBuilder,
) -> None:
    deleter = deleted_repo.rev_parse("HEAD~1")[:7]
    expected = (
        f'Error: No phase documents in the working tree: commit {deleter} ("move the design '
        'elsewhere") deleted them (docs/phase-1/ARCHITECTURE.md and 1 more). '
        f"`--rev {deleter}^` reads them as they were.\n"
    )
    for args in (("2", "1"), ("phases",), ("check",)):
        result = invoke(deleted_repo.root, *args)
        assert result.exit_code == 3, explain(result)
        assert result.stderr == expected
    at_rev = invoke(deleted_repo.root, "1", "2", "--rev", "HEAD")
    assert at_rev.stderr == expected.replace("in the working tree", "at HEAD")
    readable = invoke(deleted_repo.root, "phases", "--rev", f"{deleter}^")
    assert readable.exit_code == 0, explain(readable)


def test_documents_deleted_but_not_committed_point_at_head(git_repo: GitRepoBuilder) -> None:
    git_repo.write("docs/phase-1/ARCHITECTURE.md", _moving_doc("Design", "one rule"))
    git_repo.commit("documents")
    (git_repo.root / "docs" / "phase-1" / "ARCHITECTURE.md").unlink()
    result = invoke(git_repo.root, "phases")
    assert result.exit_code == 3, explain(result)
    assert "deleted but not committed" in result.stderr and "--rev HEAD" in result.stderr


def test_log_says_a_deleted_document_in_one_line(
    deleted_repo: GitRepoBuilder, tmp_path: Path
) -> None:
    result = _same_cached_and_not(deleted_repo.root, tmp_path / "cache", "log", "-n", "1")
    lines = result.stdout.splitlines()
    # One line per deleted document, however much it held.
    assert lines[2].startswith("  phase 1  docs/phase-1/ARCHITECTURE.md deleted: 2 components")
    assert re.fullmatch(r"  phase 2  docs/phase-2/ARCHITECTURE.md deleted: \d+ entries", lines[3])
    assert lines[4] == ""
    data = json.loads(invoke(deleted_repo.root, "log", "-n", "1", "--format", "json").stdout)
    removed = {
        change["key"]
        for document in data["entries"][0]["documents"]
        for change in document["changes"]
    }
    assert {"Api", "Queue"} <= removed


def test_a_long_edited_bullet_shows_the_words_that_differ(git_repo: GitRepoBuilder) -> None:
    long = (
        "The control plane keeps every deployment record for auditing and replays them "
        "whenever the operator asks for a full rebuild of its state from scratch, "
    )
    git_repo.write("docs/phase-1/ARCHITECTURE.md", _moving_doc("Design", long + "nightly"))
    git_repo.commit("nightly")
    git_repo.write("docs/phase-1/ARCHITECTURE.md", _moving_doc("Design", long + "hourly"))
    git_repo.commit("hourly")
    result = invoke(git_repo.root, "1", "--from", "HEAD~1", "--to", "HEAD")
    assert result.exit_code == 0, explain(result)
    lines = [line for line in result.stdout.splitlines() if "control plane" in line]
    # The edited bullet pairs with its old self: one change whose excerpt shows both words.
    assert len(lines) == 1 and "nightly" in lines[0] and "hourly" in lines[0]
    log = invoke(git_repo.root, "log", "-n", "1")
    assert "nightly" in log.stdout and "hourly" in log.stdout


def test_a_bridged_version_prints_the_same_cached_or_not(
    git_repo: GitRepoBuilder, tmp_path: Path
) -> None:
    doc = "docs/phase-1/ARCHITECTURE.md"
    for rule in ("one", "two", "three"):
        git_repo.write(doc, _moving_doc("Design", f"rule {rule}"))
        git_repo.commit(f"rule {rule}")
    lost = git_repo.blob("HEAD~1", doc)
    (git_repo.root / ".git" / "objects" / lost[:2] / lost[2:]).unlink()
    result = _same_cached_and_not(git_repo.root, tmp_path / "cache", "log")
    assert "compared with the version at" in result.stdout
    assert result.stderr.count("Warning: skipped") == 1
    changelog = _same_cached_and_not(
        git_repo.root, tmp_path / "cache", "changelog", "--from", "HEAD~2", "--to", "HEAD"
    )
    assert "rule three" in changelog.stdout
