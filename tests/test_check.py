"""The check core: every rule on a document that trips it and one that does not, then the details.

Cases live in ``tests/cases/check/<rule>/`` (see the README there);
``PHASEDIFF_UPDATE_GOLDEN=1`` rewrites their ``expected.json``.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasediff.check import (
    CHECK_RULES,
    CheckedDocument,
    CheckReport,
    CheckSeverity,
    Finding,
    Note,
    check_declarations,
    check_phases,
    is_template_path,
    lint_document,
    previous_phase_of,
    resolve_levels,
)
from phasediff.config import Config
from phasediff.documents import phase_from_path
from phasediff.errors import ConfigError
from phasediff.parse import parse_document
from phasediff.render.check import (
    CheckFormat,
    annotation,
    render_check,
    render_rules,
    render_step_summary,
)
from phasediff.rules import RULES
from tests.support.reformat import TRANSFORMS, reformat
from tests.test_parse import TEMPLATE

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(__file__).parent / "cases" / "check"
CASE_NAMES = sorted(path.name for path in CASES.iterdir() if path.is_dir())
DEMO = ROOT / "fixtures" / "demo"
NO_SECTIONS = Config(required_sections=())


def _document(phase: str, text: str, path: str | None = None) -> CheckedDocument:
    path = path or f"docs/phase-{phase}/ARCHITECTURE.md"
    return CheckedDocument(phase, path, parse_document(text), phase_from_path(path))


def _run_case(case: Path, name: str) -> CheckReport:
    settings_file = case / "case.json"
    settings_: dict[str, Any] = (
        json.loads(settings_file.read_text(encoding="utf-8")) if settings_file.exists() else {}
    )
    config = Config(required_sections=tuple(settings_.get("required_sections", ())))
    text = (case / name).read_text(encoding="utf-8")
    phase = parse_document(text).overview.phase or "1"
    documents = []
    previous = case / "previous.md"
    if previous.exists():
        previous_text = previous.read_text(encoding="utf-8")
        previous_phase = parse_document(previous_text).overview.phase or "0"
        documents.append(_document(previous_phase, previous_text))
    current = _document(phase, text, settings_.get("path"))
    if "files" in settings_:
        current = replace(current, files=frozenset(settings_["files"]))
    documents.append(current)
    return check_phases(documents, config, selected=[phase])


def _records(report: CheckReport) -> list[list[Any]]:
    return [[f.line, f.rule, f.severity.value, f.message] for f in report.findings]


def test_every_rule_has_a_case() -> None:
    assert sorted(CHECK_RULES) == CASE_NAMES


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_document_trips_its_rule(name: str) -> None:
    case = CASES / name
    report = _run_case(case, "bad.md")
    assert name in {finding.rule for finding in report.findings}
    actual = json.dumps(_records(report), indent=2, ensure_ascii=False) + "\n"
    expected_file = case / "expected.json"
    if os.environ.get("PHASEDIFF_UPDATE_GOLDEN") == "1" or not expected_file.exists():
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", CASE_NAMES)
def test_good_document_is_clean(name: str) -> None:
    case = CASES / name
    report = _run_case(case, "good.md")
    assert _records(report) == []
    if (case / "previous.md").exists():  # lint cases are phase 3 alone: that is noted
        assert report.notes == ()


# -- the rule table and its settings ---------------------------------------------------


def test_rule_ids_are_stable_and_apart_from_the_change_rules() -> None:
    assert not set(CHECK_RULES) & set(RULES)
    for rule_id, rule in CHECK_RULES.items():
        assert rule.id == rule_id
        assert rule_id == rule_id.lower() and " " not in rule_id
        assert rule.description.endswith(".")


def test_levels_turn_rules_off_and_regrade_them() -> None:
    config = Config(
        rules={"placeholder": "error", "section-missing": "off", "component-removed": "info"}
    )
    levels = resolve_levels(config)
    assert levels["placeholder"] is CheckSeverity.ERROR
    assert levels["section-missing"] is None
    assert levels["yaml-invalid"] is CheckSeverity.ERROR
    text = "# Phase 3 Architecture: [Phase Name]\n\n## Overview\n\n**Phase:** 3\n"
    findings = lint_document(parse_document(text), "p.md", "3", config)
    assert {(f.rule, f.severity) for f in findings} == {("placeholder", CheckSeverity.ERROR)}


@pytest.mark.parametrize("level", ["breaking", "info"])
def test_change_severities_are_refused_for_check_rules(level: str) -> None:
    config = Config(rules={"placeholder": level}, source="pyproject.toml")
    with pytest.raises(ConfigError, match=r'rules.placeholder = .*"error", "warning" or "off"'):
        resolve_levels(config)


def test_an_unknown_rule_id_is_a_typo_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"placeholdr is not a rule\. Did you mean placeholder\?"):
        resolve_levels(Config(rules={"placeholdr": "off"}))


# -- lint details ------------------------------------------------------------------------


def test_the_template_itself_is_all_placeholders_and_examples() -> None:
    doc = parse_document(TEMPLATE.read_text(encoding="utf-8"))
    findings = lint_document(doc, "T.md", None)
    rules = {f.rule for f in findings}
    assert rules == {"placeholder", "template-example"}
    by_line = {f.line: f for f in findings}
    assert "'Phase X'" in by_line[1].message
    assert "alternatives" in by_line[6].message  # the status line, mojibake and all
    assert "'YYYY-MM-DD'" in by_line[7].message
    assert "'[Name]'" in by_line[56].message
    assert "example row" in by_line[215].message  # ENV_VAR_1
    assert "'X%'" in by_line[230].message
    assert "'Your Name'" in by_line[303].message
    # The template's success criteria are sound criteria: keeping them is no finding.
    assert not any(273 <= f.line <= 285 for f in findings)


def test_findings_come_in_line_order() -> None:
    doc = parse_document(TEMPLATE.read_text(encoding="utf-8"))
    lines = [f.line for f in lint_document(doc, "T.md", None)]
    assert lines == sorted(lines)


def test_a_required_section_found_under_another_heading_is_present() -> None:
    text = (
        "# Phase 2\n\n## Overview\n\n**Phase:** 2\n\n## Monitoring\n\n"
        "| Metric | Type |\n|---|---|\n| `loki_up` | Gauge |\n"
    )
    config = Config(required_sections=("metrics", "rollback"), template="TEMPLATE.md")
    findings = lint_document(parse_document(text), "p.md", "2", config)
    assert [(f.rule, f.line) for f in findings] == [("section-missing", 0)]
    assert "'Rollback Plan' (rollback)" in findings[0].message


def test_a_lone_x_in_a_table_is_a_tick_not_a_placeholder() -> None:
    text = (
        "# Phase 2\n\n## Configuration Management\n\n### Environment Variables\n\n"
        "| Variable | Default | Purpose | Required |\n|---|---|---|---|\n"
        "| `A` | `1` | Something | X |\n"
    )
    assert lint_document(parse_document(text), "p.md", None, NO_SECTIONS) == []


def test_a_mojibake_complete_status_still_needs_its_criteria_ticked() -> None:
    text = (
        "# Phase 1\n\n## Overview\n\n**Phase:** 1\n**Status:** âœ… Complete\n"
        "**Started:** 2026-01-26\n**Completed:** 2026-02-20\n\n"
        "## Success Criteria\n\n- [ ] Runbooks created\n"
    )
    findings = lint_document(parse_document(text), "p.md", "1", NO_SECTIONS)
    assert [(f.rule, f.line) for f in findings] == [("complete-unchecked-criteria", 12)]


# -- declarations ------------------------------------------------------------------------

PREVIOUS = (CASES / "unchanged-but-changed" / "previous.md").read_text(encoding="utf-8")
HEAD = "# Phase 3 Architecture: Tracing\n\n## Overview\n\n**Phase:** 3\n\n"


def _declared(current: str, config: Config = NO_SECTIONS) -> list[Finding]:
    return check_declarations(
        parse_document(PREVIOUS),
        parse_document(current),
        "docs/phase-3/ARCHITECTURE.md",
        config,
        previous_phase="2",
        phase="3",
    )


def test_a_retained_component_not_documented_again_did_not_change() -> None:
    text = HEAD + (
        "## Integration with Previous Phases\n\n**Retained from Phase 2:**\n"
        "- Loki (unchanged)\n- Promtail\n- Alertmanager (unchanged)\n"
    )
    assert _declared(text) == []


def test_a_field_the_phase_does_not_write_down_is_not_a_change() -> None:
    # Loki summarised in a table: no configuration block, so its retention did not "vanish".
    text = HEAD + (
        "## Components\n\n| Component | Technology | Purpose |\n|---|---|---|\n"
        "| Loki | Grafana Loki 2.9.6 | Store and query the logs of every host. |\n\n"
        "## Integration with Previous Phases\n\n**Retained from Phase 2:**\n"
        "- Loki (unchanged)\n- Promtail (unchanged)\n- Alertmanager (unchanged)\n"
    )
    assert _declared(text) == []


def test_the_message_names_the_changed_field_and_values() -> None:
    text = (CASES / "unchanged-but-changed" / "bad.md").read_text(encoding="utf-8")
    messages = sorted(f.message for f in _declared(text))
    assert messages[1] == (
        "Component 'Loki' is listed as retained (unchanged) but its "
        "configuration.limits_config.retention_period changed (168h -> 336h); "
        'move it to "Modified from Phase 2" or revert the change.'
    )
    assert "drawn as unchanged in the diagram" in messages[0]
    assert "technology changed (Alertmanager 0.27.0 -> Alertmanager 0.28.0)" in messages[0]


def test_a_declared_rename_is_a_change_that_the_modified_table_may_name_either_way() -> None:
    renamed = HEAD + (
        "## Component Details\n\n### Component 1: Log Store\n\n"
        "**Purpose:** Store and query the logs of every host.\n\n"
        "**Technology:** Grafana Loki 2.9.6\n\n"
        "**Configuration:**\n```yaml\nlimits_config:\n  retention_period: 168h\n"
        "  ingestion_rate_mb: 16\n```\n\n"
        "## Integration with Previous Phases\n\n**Retained from Phase 2:**\n"
        "- Promtail (unchanged)\n- Alertmanager (unchanged)\n"
    )
    config = Config(required_sections=(), renames=(("Loki", "Log Store"),))
    findings = _declared(renamed, config)
    assert [f.rule for f in findings] == ["modified-undeclared"]
    assert "renamed from 'Loki'" in findings[0].message
    with_row = renamed + (
        "\n**Modified from Phase 2:**\n"
        "| Component | Change | Reason |\n|---|---|---|\n| Loki | Renamed | Clarity |\n"
    )
    assert _declared(with_row, config) == []


def test_a_component_only_in_the_modified_table_was_not_removed() -> None:
    text = HEAD + (
        "## Integration with Previous Phases\n\n**Retained from Phase 2:**\n"
        "- Loki (unchanged)\n- Promtail (unchanged)\n\n**Modified from Phase 2:**\n"
        "| Component | Change | Reason |\n|---|---|---|\n"
        "| Alertmanager | New route | Page the tracing team |\n"
    )
    assert _declared(text) == []


def test_names_resolve_to_the_longest_component_they_name() -> None:
    previous = (
        "# Phase 2\n\n**Phase:** 2\n\n## Component Details\n\n"
        "### Component 1: Grafana\n\n**Technology:** Grafana 10.4\n\n"
        "### Component 2: Grafana Alloy\n\n**Technology:** Grafana Alloy 1.0\n"
    )
    current = HEAD + (
        "## What's New in This Phase\n\n- [ ] Tempo and the OpenTelemetry Collector\n\n"
        "## Component Details\n\n"
        "### Component 1: Grafana\n\n**Technology:** Grafana 11.0\n\n"
        "### Component 2: Tempo\n\n**Technology:** Grafana Tempo 2.4\n\n"
        "### Component 3: OpenTelemetry Collector\n\n**Technology:** otelcol 0.98\n\n"
        "## Integration with Previous Phases\n\n**Retained from Phase 2:**\n"
        "- Grafana Alloy (unchanged)\n- Grafana (modified)\n"
    )
    findings = check_declarations(
        parse_document(previous), parse_document(current), "p.md", NO_SECTIONS
    )
    # Grafana changed and has no Modified row; "Grafana Alloy (unchanged)" says nothing of it.
    assert [(f.rule, f.message.split("'")[1]) for f in findings] == [
        ("modified-undeclared", "Grafana")
    ]


# -- every phase -------------------------------------------------------------------------


def _demo(phase: str, version: str) -> CheckedDocument:
    text = (DEMO / f"phase-{phase}" / f"{version}.md").read_text(encoding="utf-8")
    return _document(phase, text)


def test_the_demo_documents_pass_clean() -> None:
    documents = [_demo("1", "v3"), _demo("2", "v4"), _demo("3", "v4"), _demo("4", "v3")]
    report = check_phases(documents)
    assert _records(report) == []
    assert report.notes == ()
    assert [d.phase for d in report.documents] == ["1", "2", "3", "4"]


def test_a_missing_previous_phase_skips_the_declarations_with_a_note() -> None:
    report = check_phases([_demo("1", "v3"), _demo("3", "v4")])
    assert [(n.path, n.message) for n in report.notes] == [
        (
            "docs/phase-3/ARCHITECTURE.md",
            "phase 2 has no document, so phase 3's Retained, Modified, What's New and diagram "
            "claims were not checked.",
        )
    ]
    # Phase 1 is the first phase: nothing to note.
    assert check_phases([_demo("1", "v3")]).notes == ()


def test_selected_phases_are_reported_but_earlier_ones_still_read() -> None:
    bad = (CASES / "unchanged-but-changed" / "bad.md").read_text(encoding="utf-8")
    documents = [_document("2", PREVIOUS), _document("3", bad)]
    report = check_phases(documents, NO_SECTIONS, selected=["3"])
    assert [d.phase for d in report.documents] == ["3"]
    assert {f.rule for f in report.findings} == {"unchanged-but-changed"}
    assert check_phases(documents, NO_SECTIONS, selected=["2"]).findings == ()


def test_the_template_is_never_a_phase_document() -> None:
    template = TEMPLATE.read_text(encoding="utf-8")
    documents = [
        _demo("1", "v3"),
        _document("1", template, "docs/phase-1/ARCHITECTURE-TEMPLATE.md"),
    ]
    report = check_phases(documents)
    assert [d.path for d in report.documents] == ["docs/phase-1/ARCHITECTURE.md"]
    assert report.findings == ()
    assert is_template_path("docs/templates/architecture-template.md")
    assert not is_template_path("docs/templates/phase-1/ARCHITECTURE.md")


@pytest.mark.parametrize(
    ("phase", "declared", "earlier", "expected"),
    [
        ("3", None, ["1", "2"], "2"),
        ("3", None, ["1"], "2"),
        ("1", None, [], None),
        ("2", None, [], "1"),
        ("2.5", None, ["1", "2"], "2"),
        ("mvp", None, [], None),
        ("3", "Retained from Phase 2.5", ["2", "2.5"], "2.5"),
    ],
)
def test_which_phase_a_document_builds_on(
    phase: str, declared: str | None, earlier: list[str], expected: str | None
) -> None:
    text = f"# Phase {phase}\n\n**Phase:** {phase}\n"
    if declared:
        text += f"\n## Integration with Previous Phases\n\n**{declared}:**\n- Loki\n"
    others = [_document(p, f"# Phase {p}\n") for p in earlier]
    assert previous_phase_of(_document(phase, text), others) == expected


# -- properties --------------------------------------------------------------------------

_CORPUS = {
    "template": TEMPLATE.read_text(encoding="utf-8"),
    **{
        f"{path.parent.name}/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted(DEMO.glob("phase-*/*.md"))
    },
}


def _without_lines(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.rule, f.message) for f in findings)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(_CORPUS)),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    transforms=st.lists(st.sampled_from(sorted(TRANSFORMS)), unique=True),
)
def test_a_reformatted_document_gets_the_same_findings(
    name: str, seed: int, transforms: list[str]
) -> None:
    text = _CORPUS[name]
    original = lint_document(parse_document(text), "p.md", None)
    changed = reformat(text, random.Random(seed), transforms)
    assert _without_lines(lint_document(parse_document(changed), "p.md", None)) == (
        _without_lines(original)
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=1500))
def test_the_check_never_raises_on_random_text(text: str) -> None:
    documents = [_demo("1", "v3"), _document("2", text)]
    check_phases(documents)


# -- renderers ---------------------------------------------------------------------------

REPORT = CheckReport(
    documents=(
        CheckedDocument("2", "docs/phase-2/ARCHITECTURE.md", parse_document("")),
        CheckedDocument("3", "docs/phase-3/ARCHITECTURE.md", parse_document("")),
    ),
    findings=(
        Finding(
            "docs/phase-3/ARCHITECTURE.md",
            0,
            "section-missing",
            CheckSeverity.ERROR,
            "Required section 'Rollback Plan' (rollback) is missing; add it.",
        ),
        Finding(
            "docs/phase-3/ARCHITECTURE.md",
            12,
            "placeholder",
            CheckSeverity.WARNING,
            "Field 'Started' holds 'YYYY-MM-DD' at 100%,\nsee: \x1b[31mhere",
        ),
    ),
    notes=(Note("docs/phase-2/ARCHITECTURE.md", "phase 1 has no document, so …"),),
)


@pytest.mark.parametrize("fmt", list(CheckFormat))
def test_every_format_renders_one_newline_terminated_text(fmt: CheckFormat) -> None:
    for report in (REPORT, CheckReport(documents=REPORT.documents, findings=())):
        text = render_check(report, fmt)
        assert text.endswith("\n") and not text.endswith("\n\n")


def test_text_is_one_line_per_finding_then_notes_and_summary() -> None:
    assert render_check(REPORT, CheckFormat.TEXT).split("\n") == [
        "docs/phase-3/ARCHITECTURE.md: error [section-missing] Required section 'Rollback Plan' "
        "(rollback) is missing; add it.",
        "docs/phase-3/ARCHITECTURE.md:12: warning [placeholder] Field 'Started' holds "
        "'YYYY-MM-DD' at 100%,\\nsee: \\x1b[31mhere",
        "docs/phase-2/ARCHITECTURE.md: note: phase 1 has no document, so …",
        "",
        "2 documents checked: 1 error, 1 warning.",
        "",
    ]
    clean = CheckReport(documents=REPORT.documents, findings=())
    assert render_check(clean, CheckFormat.TEXT) == "2 documents checked: no problems found.\n"
    coloured = render_check(REPORT, CheckFormat.TEXT, color=True)
    assert "\x1b[1;31merror\x1b[0m" in coloured and "\x1b[33mwarning\x1b[0m" in coloured


def test_json_has_a_schema_version_and_null_for_no_line() -> None:
    data = json.loads(render_check(REPORT, CheckFormat.JSON, rev="v3.0"))
    assert list(data) == ["schema_version", "rev", "summary", "documents", "findings", "notes"]
    assert data["schema_version"] == 1 and data["rev"] == "v3.0"
    assert data["summary"] == {"documents": 2, "errors": 1, "warnings": 1}
    assert data["findings"][0] == {
        "path": "docs/phase-3/ARCHITECTURE.md",
        "line": None,
        "rule": "section-missing",
        "severity": "error",
        "message": "Required section 'Rollback Plan' (rollback) is missing; add it.",
    }
    assert data["findings"][1]["line"] == 12
    assert data["notes"] == [
        {"path": "docs/phase-2/ARCHITECTURE.md", "message": REPORT.notes[0].message}
    ]


def test_github_annotations_escape_document_text() -> None:
    lines = render_check(REPORT, CheckFormat.GITHUB).splitlines()
    assert lines[0] == (
        "::error file=docs/phase-3/ARCHITECTURE.md,title=phasediff check section-missing::"
        "Required section 'Rollback Plan' (rollback) is missing; add it."
    )
    assert lines[1] == (
        "::warning file=docs/phase-3/ARCHITECTURE.md,line=12,title=phasediff check placeholder::"
        "Field 'Started' holds 'YYYY-MM-DD' at 100%25,%0Asee: \x1b[31mhere"
    )
    assert lines[2].startswith("::notice file=docs/phase-2/ARCHITECTURE.md,title=phasediff check::")
    assert lines[3] == "phasediff check: 2 documents checked: 1 error, 1 warning."
    odd = Finding("a,b:c.md", 3, "placeholder", CheckSeverity.ERROR, "m")
    assert annotation(odd).startswith("::error file=a%2Cb%3Ac.md,line=3,")


def test_rule_list_and_step_summary() -> None:
    listed = render_rules().splitlines()
    assert [line.split()[0] for line in listed] == list(CHECK_RULES)
    assert listed[0].split()[1:3] == ["warning", "document"]
    summary = render_step_summary(REPORT)
    assert summary.startswith("### phasediff check\n\n2 documents checked: 1 error, 1 warning.\n")
    assert "| warning | `docs/phase-3/ARCHITECTURE.md:12` | `placeholder` |" in summary


def test_the_templates_example_link_is_one_only_while_its_target_is_missing() -> None:
    text = "# Phase 2\n\n## References\n\n- [Troubleshooting](troubleshooting/)\n"
    doc = parse_document(text)
    path = "docs/phase-2/ARCHITECTURE.md"
    missing = lint_document(doc, path, "2", NO_SECTIONS, files=frozenset({path}))
    assert [f.rule for f in missing] == ["template-example"]
    there = frozenset({path, "docs/phase-2/troubleshooting/README.md"})
    assert lint_document(doc, path, "2", NO_SECTIONS, files=there) == []
