"""describe(): one sentence per change, for known rules, every kind, and rules nobody taught it."""

from __future__ import annotations

import pytest

from phasediff.changes import Change, Kind
from phasediff.render.describe import describe, elide, format_value
from phasediff.rules import RULES
from tests.test_render_samples import INFO, A, B, C, N, R, W, change


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            change(
                "components",
                R,
                "Promtail",
                "component-removed",
                severity=B,
                note="replaced by Grafana Alloy",
            ),
            "Component Promtail removed (replaced by Grafana Alloy)",
        ),
        (
            change(
                "components",
                C,
                "Loki",
                "component-config-changed",
                field="configuration.limits_config.retention_period",
                old="168h",
                new="336h",
            ),
            "Loki configuration.limits_config.retention_period: 168h -> 336h",
        ),
        (
            change(
                "env",
                C,
                "LOKI_RETENTION_PERIOD",
                "env-became-required",
                field="required",
                old=False,
                new=True,
                severity=B,
            ),
            "Env var LOKI_RETENTION_PERIOD became required",
        ),
        (
            change(
                "deployment",
                C,
                "rto",
                "rto-relaxed",
                old={"seconds": 3600, "text": "1h"},
                new={"seconds": 14400, "text": "4h"},
                severity=B,
            ),
            "RTO relaxed: 1h -> 4h",
        ),
        (
            change("deployment", C, "rpo", "rpo-tightened", old=3600, new=900),
            "RPO tightened: 1h -> 15m",
        ),
        (
            change("deployment", C, "rto", "rto-relaxed", old="1h", new=None),
            "RTO relaxed: 1h -> none",
        ),
        (change("deployment", A, "rpo", "rto-set", new="15m"), "RPO set: 15m"),
        (
            change("overview", C, "status", "status-changed", old="in_progress", new="complete"),
            "Status: in_progress -> complete",
        ),
        (
            change("overview", C, "status", "status-regressed", old="complete", new="in_progress"),
            "Status regressed: complete -> in_progress",
        ),
        (
            change("success_criteria", C, "progress", "success-progress", old="3/8", new="6/8"),
            "Success criteria 3/8 -> 6/8",
        ),
        (
            change(
                "success_criteria",
                C,
                "progress",
                "success-progress",
                old={"done": 3, "total": 8},
                new=[6, 8],
            ),
            "Success criteria 3/8 -> 6/8",
        ),
        (
            change("deployment", R, "9080/tcp", "port-closed", severity=B, note="Promtail"),
            "Port 9080/tcp closed (Promtail)",
        ),
        (change("deployment", A, "3100/tcp", "port-opened"), "Port 3100/tcp opened"),
        (
            change(
                "deployment",
                C,
                "3100/tcp",
                "port-changed",
                field="description",
                old="HTTP",
                new="HTTP API",
            ),
            "Port 3100/tcp description: HTTP -> HTTP API",
        ),
        (
            change(
                "components", A, "Tempo", "component-added", new={"technology": "Grafana Tempo 2.4"}
            ),
            "Component Tempo added: Grafana Tempo 2.4",
        ),
        (
            change(
                "components",
                N,
                "Promtail",
                "component-renamed",
                old="Promtail",
                new="Grafana Alloy",
            ),
            "Component Promtail renamed to Grafana Alloy",
        ),
        (
            change("components", R, "Promtail", "component-removed-undeclared", severity=W),
            "Component Promtail disappeared without being retained, deprecated or replaced",
        ),
        (
            change(
                "components",
                R,
                "Loki",
                "component-config-removed",
                severity=W,
                field="configuration.compactor",
                old={"interval": "10m"},
            ),
            'Loki configuration.compactor removed, was {"interval": "10m"}',
        ),
        (
            change(
                "metrics",
                C,
                "loki_requests_total",
                "metric-type-changed",
                field="type",
                old="counter",
                new="gauge",
                severity=W,
            ),
            "Metric loki_requests_total type: counter -> gauge",
        ),
        (
            change("metrics", R, "promtail_sent_entries_total", "metric-removed", severity=B),
            "Metric promtail_sent_entries_total removed",
        ),
        (
            change("env", A, "ALLOY_URL", "env-added-required", severity=W),
            "Required env var ALLOY_URL added",
        ),
        (
            change("env", C, "X", "env-default-changed", field="default", old="a", new=None),
            "Env var X default: a -> none",
        ),
        (
            change(
                "config_files",
                A,
                "config.alloy",
                "config-file-added",
                new={"location": "/etc/alloy/"},
            ),
            "Config file config.alloy added: /etc/alloy/",
        ),
        (
            change("success_criteria", C, "alert rules", "criterion-met", old=False, new=True),
            "Success criterion met: alert rules",
        ),
        (
            change("success_criteria", A, "load test passed", "criterion-added"),
            "Success criterion added: load test passed",
        ),
        (
            change("limitations", C, "no multi-tenancy", "limitation-resolved", new=True),
            "Limitation resolved: no multi-tenancy",
        ),
        (
            change("whats_new", A, "grafana alloy", "whats-new-added"),
            "What's new item added: grafana alloy",
        ),
        (
            change("diagram", A, "Grafana Alloy", "diagram-node-added"),
            "Diagram node Grafana Alloy added",
        ),
        (
            change("data_flow", C, "data flow", "prose-changed", old="a" * 300, new="b" * 300),
            f"Data flow text edited: {'a' * 79}… -> {'b' * 79}…",
        ),
        (
            change("document", C, "version", "document-version-changed", old="1.0", new="2.0"),
            "Document version: 1.0 -> 2.0",
        ),
        (
            change("overview", C, "completed", "phase-date-changed", old=None, new="2024-02-20"),
            "Completed set: 2024-02-20",
        ),
        (change("document", A, "Cost Notes", "section-added"), "Section Cost Notes added"),
    ],
)
def test_known_rules_read_as_sentences(item: Change, expected: str) -> None:
    assert describe(item) == expected


def test_unknown_rule_gets_a_generic_sentence() -> None:
    item = change("billing", C, "plan", "billing-plan-changed", field="tier", old="free", new="pro")
    assert describe(item) == "billing plan tier: free -> pro"


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("values", [(None, None), ("a", None), (None, "b"), ({"x": [1]}, [2])])
def test_every_kind_with_missing_values(kind: Kind, values: tuple[object, object]) -> None:
    old, new = values
    sentence = describe(change("novel", kind, "Key", "novel-rule", old=old, new=new))
    assert sentence.startswith("novel ")
    assert "\n" not in sentence


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_in_the_table_describes_a_change(rule: str) -> None:
    """No rule id in the table falls through to an empty or broken sentence."""
    section = RULES[rule].section
    for kind in Kind:
        sentence = describe(change(section, kind, "Thing", rule, old="a", new="b", severity=INFO))
        assert sentence.strip() and "\n" not in sentence


def test_values_are_compact() -> None:
    assert format_value({"a": 1, "b": [True, None]}) == '{"a": 1, "b": [true, null]}'
    assert format_value(["x", "y"]) == '["x", "y"]'
    assert format_value("two\n  lines") == "two lines"
    assert format_value("") == '""'
    assert format_value(True) == "yes"
    assert format_value(1.5) == "1.5"
    long = format_value("word " * 40)
    assert len(long) == 80 and long.endswith("…")
    assert elide("short") == "short"


def test_note_and_key_are_one_line() -> None:
    item = change("components", R, "Prom\ntail", "component-removed", note="replaced\nby X")
    assert describe(item) == "Component Prom tail removed (replaced by X)"


def test_an_edit_past_the_cut_still_shows_the_differing_words() -> None:
    start = "Tokens are rotated by the platform operator every ninety days unless the tenant "
    old, new = (
        start + "administrator shortens it, weekly",
        start + "administrator shortens it, daily",
    )
    sentence = describe(change("security", C, "security", "prose-changed", old=old, new=new))
    before, _, after = sentence.partition(" -> ")
    assert before.endswith("shortens it, weekly") and after.endswith("shortens it, daily")
    assert before != after


def test_two_long_items_that_differ_late_read_apart() -> None:
    text = "The control plane keeps every deployment record and replays them on request, "
    added = describe(change("limitations", A, text + "hourly", "limitation-added"))
    removed = describe(change("limitations", R, text + "nightly", "limitation-removed"))
    assert added.endswith("hourly") and removed.endswith("nightly")


def test_a_removed_fact_says_what_it_was() -> None:
    item = change(
        "deployment", R, "disaster_recovery", "deployment-changed", old="nightly snapshots"
    )
    assert describe(item) == "Disaster recovery removed, was nightly snapshots"
