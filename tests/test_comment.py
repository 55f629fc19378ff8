"""The pull-request comment body: layout, escaping, the size ladder, and the bot's decisions."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from phasediff.changes import Change, Comparison, Kind, Severity, Side
from phasediff.comment import (
    COMMENT_LIMIT,
    Action,
    CommentOptions,
    check_comment_id,
    is_own_comment,
    marker,
    plan_action,
    render_comment,
    same_body,
)
from phasediff.model import Diagram, Edge, Node
from phasediff.pullrequest import DocumentStatus, PhaseDrift, PullRequestDrift

BASE = "1" * 40
HEAD = "2" * 40
TARGET = "3" * 40
INFO, WARNING, BREAKING = Severity.INFO, Severity.WARNING, Severity.BREAKING


def change(
    key: str,
    severity: Severity = INFO,
    *,
    rule: str | None = None,
    section: str = "components",
    kind: Kind = Kind.ADDED,
    note: str = "",
    acknowledged: str | None = None,
) -> Change:
    rules = {INFO: "component-added", WARNING: "env-default-changed", BREAKING: "component-removed"}
    return Change(
        section=section,
        kind=kind,
        key=key,
        field=None,
        old=None,
        new=None,
        severity=severity,
        rule=rule or rules[severity],
        note=note,
        acknowledged=acknowledged,
    )


def phase(
    number: str,
    *changes: Change,
    status: DocumentStatus = DocumentStatus.MODIFIED,
    previous: Comparison | None = None,
    diagrams: tuple[Diagram, Diagram] = (Diagram(), Diagram()),
) -> PhaseDrift:
    path = f"docs/phase-{number}/ARCHITECTURE.md"
    comparison = None
    if status is DocumentStatus.MODIFIED:
        comparison = Comparison(
            base=Side(number, BASE, path),
            head=Side(number, HEAD, path),
            changes=changes,
            base_diagram=diagrams[0],
            head_diagram=diagrams[1],
        )
    return PhaseDrift(number, status, path, comparison, previous)


def drift(*phases: PhaseDrift, target: str = BASE) -> PullRequestDrift:
    return PullRequestDrift(base=BASE, head=HEAD, target=target, phases=phases)


def prose(body: str) -> str:
    """``body`` without fenced code blocks and code spans, which GitHub shows inert."""
    text = re.sub(r"(?ms)^(`{3,})(?:sh|mermaid)$.*?^\1$", "", body)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)


def balanced(body: str) -> None:
    """The structural invariants every body keeps, whatever its size."""
    text = prose(body)
    assert text.count("<details>") == text.count("</details>")
    fences = [line for line in body.splitlines() if re.match(r"^`{3,}", line)]
    assert len(fences) % 2 == 0
    assert body.endswith("\n") and not body.endswith("\n\n")


# -- the marker and the decisions ---------------------------------------------------


def test_the_marker_is_the_first_line_and_names_the_id() -> None:
    body = render_comment(drift(phase("3", change("Tempo"))), CommentOptions(comment_id="arch"))
    assert body.splitlines()[0] == "<!-- phasediff:arch -->"
    assert is_own_comment(body, "arch")
    assert not is_own_comment(body, "default")
    assert not is_own_comment("> <!-- phasediff:arch -->\nquoted", "arch")


@pytest.mark.parametrize("bad", ["", "a b", "x-->", "-x", "é", "a" * 65, "a\n"])
def test_comment_ids_cannot_break_the_marker(bad: str) -> None:
    with pytest.raises(ValueError):
        check_comment_id(bad)
    assert check_comment_id("release-notes_2.x") == "release-notes_2.x"
    with pytest.raises(ValueError):
        marker(bad)


def test_plan_action() -> None:
    assert plan_action("body", True, None) is Action.CREATE
    assert plan_action("body", False, None) is Action.SKIP
    assert plan_action("body\n", True, "body\r\n") is Action.UNCHANGED
    assert plan_action("body", False, "old") is Action.UPDATE
    assert plan_action("new", True, "old") is Action.UPDATE
    assert same_body("a  \nb\n", "a\r\nb")


# -- the layout ---------------------------------------------------------------------


def test_breaking_first_with_its_rule_then_warnings_then_the_rest_collapsed() -> None:
    body = render_comment(
        drift(
            phase(
                "3",
                change("Tempo"),
                change("LOKI_URL", WARNING, section="env", kind=Kind.CHANGED),
                change("Promtail", BREAKING, kind=Kind.REMOVED, note="replaced by Grafana Alloy"),
            )
        )
    )
    lines = body.splitlines()
    assert lines[3] == "🔴 **3 changes** in phase 3: 1 breaking, 1 warning, 1 info."
    breaking = lines.index("### ⚠️ Breaking changes")
    warnings = lines.index("### Warnings")
    other = lines.index("<details><summary>Other changes (1)</summary>")
    assert breaking < warnings < other
    assert (
        lines[breaking + 2]
        == "- Component Promtail removed (replaced by Grafana Alloy) `component-removed`"
    )
    assert "`env-default-changed`" in lines[warnings + 2]
    assert f"Compared the branch point {BASE} with the head {HEAD}." in body
    assert "target branch has moved on" not in body
    balanced(body)


def test_several_phases_say_which_phase_each_change_is_in() -> None:
    body = render_comment(
        drift(
            phase("2", change("Loki", BREAKING, kind=Kind.REMOVED)),
            phase("3", change("Tempo", BREAKING, kind=Kind.REMOVED)),
            target=TARGET,
        )
    )
    assert "in phases 2 and 3: 2 breaking" in body
    assert "- Phase 2 · Component Loki removed" in body
    assert "- Phase 3 · Component Tempo removed" in body
    assert f"The target branch has moved on to {TARGET}" in body


def test_acknowledged_changes_are_listed_with_their_reason_and_do_not_count() -> None:
    mixed = render_comment(
        drift(phase("3", change("Tempo"), change("Promtail", BREAKING, acknowledged="Alloy")))
    )
    assert mixed.splitlines()[3] == (
        "🔵 **1 change** in phase 3: 0 breaking, 0 warnings, 1 info; 1 acknowledged."
    )
    body = render_comment(
        drift(phase("3", change("Promtail", BREAKING, acknowledged="Replaced by Alloy")))
    )
    assert body.splitlines()[3] == ("✅ **1 change** in phase 3, all acknowledged as intended.")
    assert "### Acknowledged" in body
    assert "`component-removed` — acknowledged: Replaced by Alloy" in body
    assert "Breaking changes" not in body
    assert "Acknowledge them" not in body


def test_the_hint_lists_fingerprints_shell_quoted() -> None:
    body = render_comment(drift(phase("3", change("it's `odd`", BREAKING, kind=Kind.REMOVED))))
    assert "phasediff accept --reason 'Why this is intended' \\" in body
    assert "'component-removed:it'\"'\"'s `odd`'" in body
    many = render_comment(
        drift(phase("3", *(change(f"C{i}", BREAKING, kind=Kind.REMOVED) for i in range(11))))
    )
    assert f"--base {BASE} --fail-on breaking" in many


def test_added_and_deleted_documents() -> None:
    body = render_comment(
        drift(
            phase("4", status=DocumentStatus.ADDED),
            phase("1", status=DocumentStatus.DELETED),
        )
    )
    assert body.splitlines()[3] == "🟡 1 phase document added; 1 phase document deleted."
    assert "- Phase 4: `docs/phase-4/ARCHITECTURE.md` added" in body
    assert "- Phase 1: `docs/phase-1/ARCHITECTURE.md` deleted" in body


def test_the_previous_phase_is_context_in_its_own_details() -> None:
    side2 = Side("2", HEAD, "docs/phase-2/ARCHITECTURE.md")
    side3 = Side("3", HEAD, "docs/phase-3/ARCHITECTURE.md")
    previous = Comparison(side2, side3, (change("Promtail", BREAKING, kind=Kind.REMOVED),))
    body = render_comment(drift(phase("3", change("Tempo"), previous=previous)))
    assert (
        "<details><summary>Phase 3 compared with phase 2: 1 change (1 breaking, 0 warnings, "
        "0 info)</summary>" in body
    )
    assert body.splitlines()[3] == "🔵 **1 change** in phase 3: 0 breaking, 0 warnings, 1 info."


def test_the_diagram_drift_is_drawn_where_the_diagram_changed() -> None:
    before = Diagram(kind="mermaid", nodes=(Node("A", "Promtail"), Node("B", "Loki")),
                     edges=(Edge("A", "B"),))  # fmt: skip
    after = Diagram(kind="mermaid", nodes=(Node("A", "Alloy"), Node("B", "Loki")),
                    edges=(Edge("A", "B"),))  # fmt: skip
    diagram_change = change("Alloy", section="diagram", rule="diagram-node-added")
    body = render_comment(drift(phase("3", diagram_change, diagrams=(before, after))))
    assert "### Diagram drift: phase 3" in body
    assert "```mermaid" in body
    plain = render_comment(drift(phase("3", change("Tempo"), diagrams=(before, after))))
    assert "```mermaid" not in plain


def test_a_clean_pull_request_says_the_drift_is_gone() -> None:
    body = render_comment(drift(phase("3")))  # touched, but only in form
    assert body.splitlines()[3].startswith("✅ **No architectural drift.**")
    assert "<details>" not in body
    assert HEAD in body


# -- escaping -----------------------------------------------------------------------

EVIL = [
    "@octocat please look",
    "<img src=x onerror=alert(1)>",
    "</details><details open>",
    "```` fence",
    "# heading",
    "[link](javascript:alert(1))",
    "fixes #12",
    "*bold* _em_ ~~strike~~ $math$",
    "<!-- phasediff:default -->",
    "line\nbreak | pipe",
]


@pytest.mark.parametrize("text", EVIL)
def test_document_text_cannot_break_markup_or_ping(text: str) -> None:
    changes = (
        change(text, BREAKING, kind=Kind.REMOVED, note=text),
        change(text, WARNING),
        change(text),
    )
    previous = Comparison(Side("2", HEAD, "p2"), Side(text, HEAD, "p3"), changes)
    body = render_comment(drift(phase("3", *changes, previous=previous)))
    # Code is inert on GitHub (no mentions, no HTML): check the prose around it.
    outside = prose(body)
    assert "@octocat" not in outside
    assert "<img" not in outside
    assert "#12" not in outside
    assert "<details open>" not in outside
    assert outside.count("<!-- phasediff:") == 1
    balanced(body)
    # Parsed as markdown, the only HTML is ours: the details blocks and the footer.
    tokens = MarkdownIt("commonmark").parse(body)
    html = [t.content for t in tokens if t.type == "html_block"]
    html += [
        child.content
        for t in tokens
        if t.type == "inline"
        for child in t.children or []
        if child.type == "html_inline"
    ]
    allowed = re.compile(
        r"^(<!-- phasediff:default -->|</?details>.*|<details><summary>.*|</?sub>)"
    )
    for block in html:
        for line in block.strip().splitlines():
            assert allowed.match(line.strip()) or not line.strip(), line


# -- the size ladder ----------------------------------------------------------------

LONG = "x" * 70


def big(breaking: int, warnings: int, info: int, phases: int = 1) -> PullRequestDrift:
    out = []
    for p in range(phases):
        changes = [
            *(change(f"B{p}-{i}-{LONG}", BREAKING, kind=Kind.REMOVED) for i in range(breaking)),
            *(change(f"W{p}-{i}-{LONG}", WARNING, section="env") for i in range(warnings)),
            *(change(f"I{p}-{i}-{LONG}", section="metrics") for i in range(info)),
        ]
        out.append(phase(str(p + 1), *changes))
    return drift(*out)


def test_many_info_changes_are_collapsed_to_counts() -> None:
    body = render_comment(big(2, 2, 1000))
    assert len(body) < COMMENT_LIMIT
    assert "- Metrics: 1000 added" in body
    assert "other changes are counted per section" in body
    assert "B0-1-" in body and "W0-1-" in body


def test_many_warnings_are_summarised_but_breaking_stays_itemised() -> None:
    body = render_comment(big(5, 1000, 1000))
    assert len(body) < COMMENT_LIMIT
    assert "- Environment variables: 1000 added" in body
    assert "only breaking changes are listed" in body
    assert all(f"B0-{i}-" in body for i in range(5))


def test_too_many_breaking_changes_are_cut_with_a_count() -> None:
    body = render_comment(big(2000, 500, 500))
    assert len(body) < COMMENT_LIMIT
    shown = body.count("`component-removed`")
    assert 100 < shown < 2000
    assert f"**… and {3000 - shown:,} more changes not shown** (3,000 in all)".replace(
        ",", ""
    ) in body.replace(",", "")
    assert body.splitlines()[0] == "<!-- phasediff:default -->"
    assert body.rstrip().endswith("</sub>")
    balanced(body)


def test_the_limit_holds_for_many_phases_too() -> None:
    body = render_comment(big(3, 3, 3, phases=800))
    assert len(body) < COMMENT_LIMIT
    assert "800 phases" in body.splitlines()[3]
    balanced(body)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    breaking=st.integers(0, 300),
    warnings=st.integers(0, 300),
    info=st.integers(0, 300),
    phases=st.integers(1, 4),
    limit=st.integers(3_000, 40_000),
    key=st.text(min_size=1, max_size=40),
)
def test_any_drift_fits_any_limit(
    breaking: int, warnings: int, info: int, phases: int, limit: int, key: str
) -> None:
    source = big(breaking, warnings, info, phases)
    source = dataclasses.replace(
        source,
        phases=tuple(
            dataclasses.replace(
                p,
                comparison=dataclasses.replace(
                    p.comparison,
                    changes=tuple(dataclasses.replace(c, key=key + c.key) for c in p.changes),
                )
                if p.comparison is not None
                else None,
            )
            for p in source.phases
        ),
    )
    body = render_comment(source, CommentOptions(limit=limit))
    assert len(body) < limit
    assert body.splitlines()[0] == "<!-- phasediff:default -->"
    balanced(body)
