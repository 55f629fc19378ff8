"""The table of change rules: a stable id, a default severity and what it means.

``phasediff rules`` prints this table; ``[tool.phasediff] rules`` re-grades or
turns off a rule by id.  Breaking means something a consumer relied on is gone
or stricter (DESIGN.md, "Change records").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from phasediff.changes import Severity
from phasediff.errors import ConfigError

BRK, WRN, INF = Severity.BREAKING, Severity.WARNING, Severity.INFO


@dataclass(frozen=True)
class Rule:
    id: str
    section: str
    severity: Severity
    description: str


_TABLE: tuple[tuple[str, str, Severity, str], ...] = (
    # overview
    (
        "status-changed",
        "overview",
        INF,
        "The phase status moved forward (planned -> in progress -> complete).",
    ),
    (
        "status-regressed",
        "overview",
        WRN,
        "The phase status moved backwards (complete -> in progress).",
    ),
    ("phase-name-changed", "overview", INF, "The phase's name changed."),
    (
        "phase-renumbered",
        "overview",
        INF,
        "The document now belongs to another phase (moved, or its Phase field changed).",
    ),
    ("phase-date-changed", "overview", INF, "The started or completed date was set or changed."),
    ("summary-changed", "overview", INF, "The overview prose changed."),
    # what's new
    ("whats-new-added", "whats_new", INF, "An item was added to What's New."),
    ("whats-new-removed", "whats_new", INF, "An item was removed from What's New."),
    ("whats-new-edited", "whats_new", INF, "A What's New item was reworded."),
    ("whats-new-checked", "whats_new", INF, "A What's New item was ticked or unticked."),
    ("deprecation-declared", "whats_new", INF, "The Deprecated line names something new."),
    ("deprecation-withdrawn", "whats_new", INF, "Something is no longer declared deprecated."),
    (
        "key-difference-changed",
        "whats_new",
        INF,
        "A key difference from the previous phase changed.",
    ),
    # diagram
    ("diagram-node-added", "diagram", INF, "A node was added to the architecture diagram."),
    ("diagram-node-removed", "diagram", INF, "A node was removed from the architecture diagram."),
    ("diagram-node-changed", "diagram", INF, "A node's label or legend class changed."),
    ("diagram-edge-added", "diagram", INF, "An edge was added to the architecture diagram."),
    ("diagram-edge-removed", "diagram", INF, "An edge was removed from the architecture diagram."),
    ("diagram-edge-changed", "diagram", INF, "The label of an edge in the diagram changed."),
    (
        "diagram-text-changed",
        "diagram",
        INF,
        "A diagram drawn as text (ASCII, non-flowchart mermaid) changed.",
    ),
    # components
    ("component-added", "components", INF, "A component was added."),
    ("component-removed", "components", BRK, "A component was deprecated, removed or replaced."),
    (
        "component-removed-undeclared",
        "components",
        WRN,
        "A component disappeared without being retained, deprecated or replaced.",
    ),
    (
        "component-renamed",
        "components",
        INF,
        "A component was renamed (declared, or same technology/config/ports).",
    ),
    (
        "component-technology-changed",
        "components",
        INF,
        "A component's technology or version changed.",
    ),
    ("component-purpose-changed", "components", INF, "A component's purpose changed."),
    (
        "component-config-changed",
        "components",
        INF,
        "A value in a component's YAML configuration changed.",
    ),
    (
        "component-config-added",
        "components",
        INF,
        "A key was added to a component's YAML configuration.",
    ),
    (
        "component-config-removed",
        "components",
        WRN,
        "A key was removed from a component's YAML configuration.",
    ),
    (
        "component-integration-changed",
        "components",
        INF,
        "A component's connects-to/exposes/depends-on changed.",
    ),
    (
        "component-operations-changed",
        "components",
        INF,
        "A component's operational considerations changed.",
    ),
    (
        "component-field-changed",
        "components",
        INF,
        "Another documented field of a component changed.",
    ),
    # integration with the previous phase
    ("retained-changed", "integration", INF, "The Retained from previous phase list changed."),
    ("modification-changed", "integration", INF, "The Modified from previous phase table changed."),
    ("migration-changed", "integration", INF, "The migration steps changed."),
    # prose sections
    (
        "prose-changed",
        "data_flow",
        INF,
        "A prose section (data flow, security, testing) or one of its bullets was edited.",
    ),
    # deployment
    ("port-opened", "deployment", INF, "A port was opened."),
    ("port-closed", "deployment", BRK, "A port was closed."),
    ("port-changed", "deployment", INF, "A port's description changed."),
    ("rto-tightened", "deployment", INF, "The recovery time objective got shorter."),
    ("rto-relaxed", "deployment", BRK, "The recovery time objective got longer (or was dropped)."),
    ("rpo-tightened", "deployment", INF, "The recovery point objective got shorter."),
    ("rpo-relaxed", "deployment", BRK, "The recovery point objective got longer (or was dropped)."),
    ("rto-set", "deployment", INF, "A recovery objective (RTO/RPO) was stated for the first time."),
    (
        "deployment-changed",
        "deployment",
        INF,
        "Compute, network, storage or redundancy notes changed.",
    ),
    # metrics
    ("metric-added", "metrics", INF, "A metric was added."),
    ("metric-removed", "metrics", BRK, "A metric was removed."),
    (
        "metric-type-changed",
        "metrics",
        WRN,
        "A metric's type changed (queries and alerts may break).",
    ),
    (
        "metric-changed",
        "metrics",
        INF,
        "A metric's purpose, alert threshold or other column changed.",
    ),
    # traces, logs, dashboards
    ("span-added", "traces", INF, "A span or span attribute was added."),
    ("span-removed", "traces", WRN, "A span or span attribute was removed."),
    ("span-changed", "traces", INF, "A span's or attribute's description changed."),
    ("log-added", "logs", INF, "A log stream or structured field was added."),
    ("log-removed", "logs", WRN, "A log stream or structured field was removed."),
    ("log-changed", "logs", INF, "A log stream's or field's description changed."),
    ("dashboard-added", "dashboards", INF, "A dashboard was added."),
    ("dashboard-removed", "dashboards", WRN, "A dashboard was removed."),
    ("dashboard-changed", "dashboards", INF, "A dashboard's description changed."),
    # environment variables
    ("env-added", "env", INF, "An optional environment variable was added."),
    (
        "env-added-required",
        "env",
        WRN,
        "A required environment variable was added: deployments must set it.",
    ),
    ("env-removed", "env", BRK, "An environment variable was removed."),
    ("env-became-required", "env", BRK, "An environment variable became required."),
    ("env-became-optional", "env", INF, "An environment variable became optional."),
    ("env-default-changed", "env", WRN, "An environment variable's default changed."),
    ("env-changed", "env", INF, "An environment variable's purpose or other column changed."),
    # configuration files
    ("config-file-added", "config_files", INF, "A configuration file was added."),
    ("config-file-removed", "config_files", BRK, "A configuration file was removed."),
    ("config-file-moved", "config_files", WRN, "A configuration file's location changed."),
    (
        "config-file-changed",
        "config_files",
        INF,
        "A configuration file's purpose or other column changed.",
    ),
    # testing, rollback
    ("coverage-target-changed", "testing", INF, "The test coverage target changed."),
    (
        "rollback-time-changed",
        "rollback",
        INF,
        "The estimated rollback time got shorter or was reworded.",
    ),
    ("rollback-time-relaxed", "rollback", WRN, "The estimated rollback time got longer."),
    ("rollback-steps-changed", "rollback", INF, "The rollback steps changed."),
    ("rollback-trigger-changed", "rollback", INF, "A rollback trigger was added or removed."),
    # limitations
    (
        "limitation-added",
        "limitations",
        INF,
        "A known limitation or planned improvement was added.",
    ),
    (
        "limitation-removed",
        "limitations",
        INF,
        "A known limitation or planned improvement was removed.",
    ),
    ("limitation-edited", "limitations", INF, "A limitation or improvement was reworded."),
    (
        "limitation-resolved",
        "limitations",
        INF,
        "A limitation or improvement was ticked (or unticked).",
    ),
    # success criteria
    ("criterion-added", "success_criteria", INF, "A success criterion was added."),
    ("criterion-removed", "success_criteria", WRN, "A success criterion was removed."),
    ("criterion-edited", "success_criteria", INF, "A success criterion was reworded."),
    (
        "criterion-not-carried",
        "success_criteria",
        INF,
        "Between phases: a success criterion of the base phase the head phase does not list.",
    ),
    ("criterion-met", "success_criteria", INF, "A success criterion was ticked."),
    ("criterion-unmet", "success_criteria", WRN, "A success criterion was unticked."),
    ("success-progress", "success_criteria", INF, "Success-criteria progress, e.g. 3/8 -> 6/8."),
    # references, document
    ("reference-added", "references", INF, "A reference link was added."),
    ("reference-removed", "references", INF, "A reference link was removed."),
    ("document-version-changed", "document", INF, "The document version changed."),
    ("document-authors-changed", "document", INF, "The document's authors changed."),
    ("document-updated-changed", "document", INF, "The document's last-updated date changed."),
    # between phases: a section only one of the two phase documents has
    ("phase-section-added", "document", INF, "Between phases: a section only the head has."),
    ("phase-section-removed", "document", INF, "Between phases: a section only the base has."),
    # generic fallback for sections the template does not name
    ("section-added", "document", INF, "A section the template does not name was added."),
    ("section-removed", "document", WRN, "A section the template does not name was removed."),
    (
        "generic-changed",
        "document",
        INF,
        "Content of a section the template does not name changed.",
    ),
)

RULES: Mapping[str, Rule] = {
    rule_id: Rule(rule_id, section, severity, description)
    for rule_id, section, severity, description in _TABLE
}

OFF = "off"


def resolve_severities(overrides: Mapping[str, str]) -> dict[str, Severity | None]:
    """Each rule's effective severity after ``[tool.phasediff] rules``; None means turned off."""
    effective: dict[str, Severity | None] = {rule.id: rule.severity for rule in RULES.values()}
    for rule_id, value in overrides.items():
        if rule_id not in RULES:
            continue  # check rules share the table in config; unknown ids are theirs to judge
        if value == OFF:
            effective[rule_id] = None
            continue
        try:
            effective[rule_id] = Severity(value)
        except ValueError as exc:
            raise ConfigError(
                f"[tool.phasediff] rules.{rule_id} = '{value}' is not a severity. "
                "Use breaking, warning, info or off."
            ) from exc
    return effective
