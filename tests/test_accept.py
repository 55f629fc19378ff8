"""The acknowledged-changes file: parsing, validation, matching, adding entries, reading it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from phasediff.accept import (
    Acceptance,
    AcceptList,
    acknowledge,
    add_entries,
    check_fingerprint,
    fingerprint_lines,
    load_accept_file,
    parse_accept_file,
    unused_entries,
)
from phasediff.changes import Change, Comparison, Kind, Severity, Side
from phasediff.cli.common import gate
from phasediff.config import Config
from phasediff.errors import ConfigError
from phasediff.gitrepo import Repository

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

SOURCE = ".phasediff-accept.yaml"


def change(
    rule: str = "component-removed",
    key: str = "Promtail",
    field: str | None = None,
    severity: Severity = Severity.BREAKING,
) -> Change:
    return Change(
        section="components",
        kind=Kind.REMOVED,
        key=key,
        field=field,
        old=None,
        new=None,
        severity=severity,
        rule=rule,
    )


def comparison(*changes: Change, phase: str = "3") -> Comparison:
    side = Side(phase=phase, rev="HEAD", path=f"docs/phase-{phase}/ARCHITECTURE.md")
    return Comparison(base=side, head=side, changes=changes)


# -- parsing and validation ---------------------------------------------------------


def test_a_valid_file_parses_in_order() -> None:
    text = """\
# why these are fine
version: 1
accept:
  - fingerprint: component-removed:Promtail
    reason: Replaced by Grafana Alloy.
  - fingerprint: env-became-required:OTEL_ENDPOINT#required
    reason: "Every service sets it"
    phase: 3
"""
    accepted = parse_accept_file(text, SOURCE)
    assert accepted.entries == (
        Acceptance("component-removed:Promtail", "Replaced by Grafana Alloy."),
        Acceptance("env-became-required:OTEL_ENDPOINT#required", "Every service sets it", "3"),
    )


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "version: 1\n", "accept:\n"])
def test_an_empty_file_acknowledges_nothing(text: str) -> None:
    assert parse_accept_file(text, SOURCE).entries == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("accept: [\n", "not valid YAML (line"),
        ("- a\n", "must be a mapping"),
        ("version: 2\naccept: []\n", "version 2 is not supported"),
        ("accepted: []\n", "unknown key 'accepted'"),
        ("accept: {}\n", "`accept` must be a list"),
        ("accept:\n  - component-removed:Promtail\n", "entry 1 must be a mapping"),
        ("accept:\n  - reason: x\n", "entry 1 needs a `fingerprint`"),
        ("accept:\n  - fingerprint: component-removed:X\n", "needs a `reason`"),
        ("accept:\n  - fingerprint: component-removed:X\n    reason: '  '\n", "needs a `reason`"),
        ("accept:\n  - fingerprint: Promtail\n    reason: x\n", "is not a fingerprint"),
        (
            "accept:\n  - fingerprint: component-remove:X\n    reason: x\n",
            "Did you mean component-removed?",
        ),
        (
            "accept:\n  - fingerprint: component-removed:X\n    reason: x\n    why: y\n",
            "unknown key 'why'",
        ),
        (
            "accept:\n  - fingerprint: component-removed:X\n    reason: x\n    phase: [3]\n",
            "`phase` must be a phase id",
        ),
        (
            "accept:\n"
            "  - {fingerprint: component-removed:X, reason: a}\n"
            "  - {fingerprint: 'COMPONENT-REMOVED:x', reason: b}\n",
            "entries 1 and 2 both acknowledge",
        ),
    ],
)
def test_mistakes_are_config_errors_that_say_where(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_accept_file(text, SOURCE)
    assert message in str(raised.value)
    assert str(raised.value).startswith(SOURCE)
    assert raised.value.exit_code == 2


def test_the_same_fingerprint_in_two_phases_is_not_a_duplicate() -> None:
    text = (
        "accept:\n"
        "  - {fingerprint: component-removed:X, reason: a, phase: '2'}\n"
        "  - {fingerprint: component-removed:X, reason: b, phase: '3'}\n"
    )
    assert len(parse_accept_file(text, SOURCE).entries) == 2


def test_check_fingerprint_trims_and_keeps_the_key_as_written() -> None:
    assert check_fingerprint("  port-closed:9080 ") == "port-closed:9080"
    assert check_fingerprint("metric-removed: a  b ") == "metric-removed:a b"
    with pytest.raises(ValueError, match="RULE:KEY"):
        check_fingerprint("port-closed:")


# -- matching -----------------------------------------------------------------------


def test_matching_ignores_case_and_spacing_but_not_the_field() -> None:
    accepted = AcceptList((Acceptance("Component-Removed:promtail", "r"),))
    assert accepted.find(change(key="PROMTAIL"), "3") is not None
    assert accepted.find(change(key="Promtail", field="technology"), "3") is None
    assert accepted.find(change(key="Loki"), "3") is None


def test_a_phase_scoped_entry_matches_that_phase_only() -> None:
    accepted = AcceptList((Acceptance("component-removed:Promtail", "r", phase="Phase-3"),))
    assert accepted.find(change(), "3") is not None
    assert accepted.find(change(), "03") is not None
    assert accepted.find(change(), "4") is None
    assert accepted.find(change(), None) is None


def test_acknowledge_marks_changes_with_their_reason_and_the_gate_ignores_them() -> None:
    removed, closed = change(), change(rule="port-closed", key="9080")
    accepted = AcceptList((Acceptance("component-removed:Promtail", "Replaced by Alloy"),))
    result = acknowledge(comparison(removed, closed), accepted)
    assert [c.acknowledged for c in result.changes] == ["Replaced by Alloy", None]
    assert gate(result.changes, exit_code=False, fail_on="breaking") == 1
    everything = AcceptList(
        (
            Acceptance("component-removed:Promtail", "a"),
            Acceptance("port-closed:9080", "b"),
        )
    )
    both = acknowledge(comparison(removed, closed), everything)
    assert gate(both.changes, exit_code=False, fail_on="info") == 0
    assert gate(both.changes, exit_code=True, fail_on=None) == 0
    # Still reported: acknowledging changes the verdict, not the findings.
    assert len(both.changes) == 2


def test_unused_entries_are_the_stale_ones() -> None:
    accepted = AcceptList(
        (Acceptance("component-removed:Promtail", "a"), Acceptance("port-closed:1", "b"))
    )
    assert unused_entries(accepted, [comparison(change())]) == [accepted.entries[1]]


def test_fingerprint_lines_are_tab_separated_and_filtered_by_severity() -> None:
    info = change(rule="component-added", key="Tempo", severity=Severity.INFO)
    acknowledged = Change(**{**change().__dict__, "acknowledged": "fine"})
    evil = change(key="X\x1b[31m")
    text = fingerprint_lines([acknowledged, info, evil], "breaking")
    assert text.splitlines() == [
        "component-removed:Promtail\tbreaking (acknowledged)\tComponent Promtail removed",
        "component-removed:X\\x1b[31m\tbreaking\tComponent X\\x1b[31m removed",
    ]
    assert "component-added:Tempo\tinfo" in fingerprint_lines([info])


# -- adding entries -----------------------------------------------------------------


def test_a_new_file_gets_a_header_and_reads_back() -> None:
    text, added = add_entries(None, [Acceptance("port-closed:9080", "Promtail's port")], SOURCE)
    assert text.startswith("# Intended architectural changes")
    assert "version: 1\naccept:\n" in text
    assert parse_accept_file(text, SOURCE).entries == tuple(added)


def test_appending_keeps_comments_and_skips_what_is_there() -> None:
    existing = """\
# Owned by the platform team.
version: 1
accept:
  # Alloy replaced Promtail in phase 3.
  - fingerprint: component-removed:Promtail
    reason: Replaced by Grafana Alloy.
"""
    new = [
        Acceptance("component-removed:promtail", "again"),
        Acceptance("port-closed:9080", "It's Promtail's port: gone with it", "3"),
    ]
    text, added = add_entries(existing, new, SOURCE)
    assert text.startswith(existing)
    assert added == [new[1]]
    entries = parse_accept_file(text, SOURCE).entries
    assert [e.fingerprint for e in entries] == ["component-removed:Promtail", "port-closed:9080"]
    assert entries[1].phase == "3"


def test_nothing_new_leaves_the_text_alone() -> None:
    existing = "accept:\n  - {fingerprint: 'port-closed:1', reason: r}\n"
    assert add_entries(existing, [Acceptance("port-closed:1", "x")], SOURCE) == (existing, [])


@pytest.mark.parametrize(
    "existing",
    [
        "version: 1\naccept: []\n",  # a flow list cannot be appended to
        "accept:\n- fingerprint: port-closed:1\n  reason: r\nversion: 1\n",  # accept not last
        "version: 1\n",  # no accept key yet
    ],
)
def test_an_unusual_layout_is_rewritten_from_its_data(existing: str) -> None:
    before = parse_accept_file(existing, SOURCE).entries
    text, added = add_entries(
        existing, [Acceptance("metric-removed:up", "Nobody queries it")], SOURCE
    )
    assert parse_accept_file(text, SOURCE).entries == (*before, *added)
    assert len(added) == 1


# -- reading the file ---------------------------------------------------------------


def test_load_reads_the_working_tree_or_a_revision(git_repo: GitRepoBuilder) -> None:
    git_repo.write("README.md", "hello\n")
    first = git_repo.commit("no accept file yet")
    git_repo.write(SOURCE, "accept:\n  - {fingerprint: 'port-closed:1', reason: r}\n")
    second = git_repo.commit("acknowledge")
    git_repo.write(SOURCE, "\ufeffaccept:\n")  # edited in the work tree, with a BOM
    repo = Repository.open(git_repo.root)
    config = Config()
    assert load_accept_file(repo, config, first).entries == ()
    assert len(load_accept_file(repo, config, second).entries) == 1
    assert load_accept_file(repo, config, None).entries == ()


def test_load_honours_the_configured_path(git_repo: GitRepoBuilder) -> None:
    git_repo.write("ci/accept.yaml", "accept:\n  - {fingerprint: 'port-closed:1', reason: r}\n")
    git_repo.commit("acknowledge")
    repo = Repository.open(git_repo.root)
    accepted = load_accept_file(repo, Config(accept_file="ci/accept.yaml"), None)
    assert accepted.source == "ci/accept.yaml"
    assert len(accepted.entries) == 1
    assert load_accept_file(repo, Config(), None).entries == ()


def test_load_rejects_a_file_that_is_not_utf8(git_repo: GitRepoBuilder) -> None:
    git_repo.write(SOURCE, b"accept: \xff\n")
    git_repo.commit("broken")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_accept_file(Repository.open(git_repo.root), Config(), "HEAD")


def test_load_bounds_what_it_reads(
    git_repo: GitRepoBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import phasediff.accept as accept

    monkeypatch.setattr(accept, "MAX_ACCEPT_FILE", 1024)
    git_repo.write(SOURCE, "accept:\n" + "# padding\n" * 200)
    git_repo.commit("a long list")
    repo = Repository.open(git_repo.root)
    for rev in (None, "HEAD"):
        with pytest.raises(ConfigError, match="larger than"):
            load_accept_file(repo, Config(), rev)
