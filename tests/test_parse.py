"""The typed layer: sections recognised by title and table header, whatever the layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from phasediff.model import Legend, PhaseDocument, Status
from phasediff.parse import classify_title, legend_of_colour, parse_document, parse_mermaid
from phasediff.text import is_placeholder, parse_duration, parse_status

_SHARED_TEMPLATE = (
    Path(__file__).resolve().parents[2] / "shared" / "template" / "ARCHITECTURE-TEMPLATE.md"
)
# The team's template; the demo carries a byte-identical copy for machines without ../shared.
TEMPLATE = (
    _SHARED_TEMPLATE
    if _SHARED_TEMPLATE.exists()
    else Path(__file__).resolve().parents[1]
    / "fixtures"
    / "demo"
    / "files"
    / "ARCHITECTURE-TEMPLATE.md"
)

TEMPLATE_STYLE = """\
# Phase 3 Architecture: Distributed Tracing

## Overview

**Phase:** 3
**Status:** 🚧 In Progress
**Started:** 2026-05-04
**Completed:** -

Phase 3 adds tracing.

## What's New in This Phase

- [x] **Grafana Tempo:** trace storage
- [ ] **Grafana Alloy:** replaces Promtail
- [x] **Deprecated:** Promtail: replaced by Grafana Alloy

**Key Differences from Phase 2:**
- Traces are stored

## Architecture Diagram

```mermaid
graph TB
    A[Grafana Tempo] -->|traces| B["Grafana"]
    C(Loki) --> B
    D[Promtail] -.-> C
    style A fill:#90EE90
    style C fill:#87CEEB
    style B fill:#FFE4B5
    style D fill:#FFB6C1
```

**Legend:**
- 🟢 New in this phase
- 🔵 Modified from Phase 2
- 🟡 Unchanged from Phase 2
- 🔴 Deprecated/removed

## Component Details

### Component 1: Grafana Tempo

**Purpose:** Stores traces.

**Technology:** Grafana Tempo 2.4.1

**Configuration:**
```yaml
server:
  http_listen_port: 3200
storage:
  trace:
    backend: s3
```

**Integration Points:**
- Connects to: Grafana, OpenTelemetry Collector
- Exposes: :3200 HTTP API, :4317 OTLP gRPC
- Depends on: MinIO

**Operational Considerations:**
- Resources: 2 CPU, 4 GiB RAM
- Scaling: horizontal

---

### Component 2: Loki (log store)

**Purpose:** Log storage.

**Technology:** Grafana Loki 2.9.6

## Integration with Previous Phases

### Building on Phase 2

**Retained from Phase 2:**
- Alertmanager (unchanged)
- Loki (modified - see below)

**Modified from Phase 2:**
| Component | Change | Reason |
|-----------|--------|--------|
| Loki | Retention 336h | Compliance |

**Migration Path:**
1. Deploy Tempo
2. Switch Promtail to Alloy

## Deployment Architecture

**Network:**
- Ports opened: 3200/tcp (Tempo), 4317/tcp (OTLP gRPC), 4318 (OTLP HTTP)

**Disaster Recovery:**
- RTO (Recovery Time Objective): 30 minutes
- RPO (Recovery Point Objective): 15m

## Observability

### Metrics Added

| Metric | Type | Purpose | Alert Threshold |
|--------|------|---------|-----------------|
| `tempo_ingester_live_traces` | Gauge | Live traces | > 100000 |

## Configuration Management

### Environment Variables

| Variable | Default | Purpose | Required |
|----------|---------|---------|----------|
| `TEMPO_S3_BUCKET` | `traces` | Bucket | Yes |
| `TEMPO_LOG_LEVEL` | `info` | Log level | No |

### Configuration Files

| File | Location | Purpose |
|------|----------|---------|
| `tempo.yaml` | `/etc/tempo/` | Tempo config |

## Rollback Plan

**Rollback Trigger:**
- Error rate above 5%

**Rollback Steps:**
1. Stop Tempo
2. Restore Promtail

**Rollback Time:** 45 minutes

## Success Criteria

### Technical Success
- [x] Tempo deployed
- [ ] Traces visible

## Runbook Links

Some house section.

---

**Document Version:** 1.2
**Last Updated:** 2026-05-20
**Authors:** Ana Lima, Ben Ode
"""


@pytest.fixture(scope="module")
def doc() -> PhaseDocument:
    return parse_document(TEMPLATE_STYLE)


def test_overview(doc: PhaseDocument) -> None:
    assert doc.overview.phase == "3"
    assert doc.overview.name == "Distributed Tracing"
    assert doc.overview.status is Status.IN_PROGRESS
    assert doc.overview.started == "2026-05-04"
    assert doc.overview.completed is None


def test_whats_new_and_deprecated(doc: PhaseDocument) -> None:
    assert [item.text for item in doc.whats_new.items] == [
        "Grafana Alloy: replaces Promtail",
        "Grafana Tempo: trace storage",
    ]
    assert doc.whats_new.deprecated == ("Promtail: replaced by Grafana Alloy",)
    assert [item.text for item in doc.whats_new.key_differences] == ["Traces are stored"]


def test_diagram(doc: PhaseDocument) -> None:
    nodes = {node.id: (node.label, node.legend) for node in doc.diagram.nodes}
    assert nodes == {
        "A": ("Grafana Tempo", Legend.NEW),
        "B": ("Grafana", Legend.UNCHANGED),
        "C": ("Loki", Legend.MODIFIED),
        "D": ("Promtail", Legend.DEPRECATED),
    }
    edges = {(edge.source, edge.target, edge.label) for edge in doc.diagram.edges}
    assert edges == {("A", "B", "traces"), ("C", "B", ""), ("D", "C", "")}


def test_components(doc: PhaseDocument) -> None:
    tempo, loki = doc.components[0], doc.components[1]
    assert (tempo.key, loki.key) == ("grafana tempo", "loki")
    assert tempo.technology == "Grafana Tempo 2.4.1"
    assert tempo.configuration == {
        "server": {"http_listen_port": 3200},
        "storage": {"trace": {"backend": "s3"}},
    }
    assert tempo.connects_to == ("Grafana", "OpenTelemetry Collector")
    assert tempo.exposes == (":3200 HTTP API", ":4317 OTLP gRPC")
    assert tempo.depends_on == ("MinIO",)
    assert tempo.operational == ("Resources: 2 CPU, 4 GiB RAM", "Scaling: horizontal")
    assert loki.name == "Loki (log store)"


def test_integration(doc: PhaseDocument) -> None:
    integration = doc.integration
    assert integration.previous_phase == "2"
    assert [(r.name, r.note) for r in integration.retained] == [
        ("Alertmanager", "unchanged"),
        ("Loki", "modified - see below"),
    ]
    assert [(m.component, m.change) for m in integration.modified] == [("Loki", "Retention 336h")]
    assert integration.migration_steps == ("Deploy Tempo", "Switch Promtail to Alloy")


def test_deployment(doc: PhaseDocument) -> None:
    ports = [(p.key, p.description) for p in doc.deployment.ports]
    assert ports == [("3200/tcp", "Tempo"), ("4317/tcp", "OTLP gRPC"), ("4318", "OTLP HTTP")]
    assert doc.deployment.rto is not None and doc.deployment.rto.seconds == 1800
    assert doc.deployment.rpo is not None and doc.deployment.rpo.seconds == 900


def test_tables(doc: PhaseDocument) -> None:
    assert [(m.name, m.type, m.alert_threshold) for m in doc.metrics] == [
        ("tempo_ingester_live_traces", "Gauge", "> 100000")
    ]
    assert [(e.name, e.default, e.required) for e in doc.env] == [
        ("TEMPO_LOG_LEVEL", "info", False),
        ("TEMPO_S3_BUCKET", "traces", True),
    ]
    assert [(c.name, c.location) for c in doc.config_files] == [("tempo.yaml", "/etc/tempo/")]


def test_rollback_success_footer(doc: PhaseDocument) -> None:
    assert doc.rollback.steps == ("Stop Tempo", "Restore Promtail")
    assert doc.rollback.duration is not None and doc.rollback.duration.seconds == 2700
    assert [t.text for t in doc.rollback.triggers] == ["Error rate above 5%"]
    assert doc.success_criteria.done == 1 and len(doc.success_criteria.items) == 2
    assert doc.footer.version == "1.2"
    assert doc.footer.last_updated == "2026-05-20"
    assert doc.footer.authors == ("Ana Lima", "Ben Ode")


def test_unrecognised_section_is_kept_and_reported(doc: PhaseDocument) -> None:
    untyped = [section.title for section in doc.extra if not section.kind]
    assert untyped == ["Runbook Links"]
    codes = [(d.code, d.line) for d in doc.diagnostics]
    assert (
        "section-unrecognised",
        TEMPLATE_STYLE.splitlines().index("## Runbook Links") + 1,
    ) in codes


def test_components_as_table_and_plain_headings() -> None:
    table = parse_document(
        "# Phase 4\n\n## Components\n\n| Component | Technology | Purpose | Ports |\n"
        "|---|---|---|---|\n| Mimir | Grafana Mimir 2.12 | Long-term metrics | 8080, 9095 |\n"
    )
    assert [(c.name, c.technology, c.exposes) for c in table.components] == [
        ("Mimir", "Grafana Mimir 2.12", ("8080", "9095"))
    ]
    plain = parse_document(
        "## Component Details\n\n### Loki\n\n**Purpose:** logs\n\n**Technology:** Loki 3\n"
    )
    assert [(c.name, c.purpose) for c in plain.components] == [("Loki", "logs")]


def test_japanese_headings() -> None:
    doc = parse_document(
        "# フェーズ 2\n\n## 概要\n\n**Phase:** 2\n**Status:** 完了\n\n## 環境変数\n\n"
        "| Variable | Default | Purpose | Required |\n|---|---|---|---|\n| `A_B` | 1 | x | はい |\n"
    )
    assert doc.overview.status is Status.COMPLETE
    assert [(e.name, e.required) for e in doc.env] == [("A_B", True)]


def test_template_placeholders_are_not_values() -> None:
    doc = parse_document(TEMPLATE.read_text(encoding="utf-8"))
    assert doc.overview.phase is None
    assert doc.overview.name is None
    assert doc.overview.status is None  # the line offers all three statuses
    assert doc.overview.started is None and doc.overview.completed is None
    assert doc.deployment.rto is None and doc.deployment.rpo is None
    assert doc.footer.last_updated is None


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ("✅ Complete", Status.COMPLETE),
        ("âœ… Complete", Status.COMPLETE),
        ("ðŸš§ In Progress", Status.IN_PROGRESS),
        ("🚧", Status.IN_PROGRESS),
        ("ðŸš§", Status.IN_PROGRESS),
        ("ðŸ“‹ Planned", Status.PLANNED),
        ("Done", Status.COMPLETE),
        ("ðŸš§ In Progress / âœ… Complete / ðŸ“‹ Planned", None),
    ],
)
def test_status_whatever_the_emoji(line: str, status: Status | None) -> None:
    assert parse_status(line) is status


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15m", 900),
        ("900s", 900),
        ("4h", 14400),
        ("30 minutes", 1800),
        ("< 1 hour", 3600),
        ("1.5h", 5400),
        ("2 days", 172800),
        ("Xh", None),
        ("Estimated duration", None),
    ],
)
def test_durations(text: str, seconds: int | None) -> None:
    duration = parse_duration(text)
    assert (duration.seconds if duration else None) == seconds


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[Phase Name]", True),
        ("YYYY-MM-DD", True),
        ("X%", True),
        ("[Name]", True),
        ("Your Name", True),
        ("Loki", False),
        ("80%", False),
        ("2026-01-02", False),
    ],
)
def test_placeholders(value: str, expected: bool) -> None:
    assert is_placeholder(value) is expected


@pytest.mark.parametrize(
    ("colour", "legend"),
    [
        ("#90EE90", Legend.NEW),
        ("#87CEEB", Legend.MODIFIED),
        ("#FFE4B5", Legend.UNCHANGED),
        ("#FFFFE0", Legend.UNCHANGED),
        ("#FFB6C1", Legend.DEPRECATED),
        ("#f96", Legend.UNCHANGED),
        ("lightgreen", Legend.NEW),
        ("#ddd", Legend.UNCHANGED),
    ],
)
def test_legend_by_colour(colour: str, legend: Legend) -> None:
    assert legend_of_colour(colour) is legend


def test_mermaid_shapes_chains_and_classes() -> None:
    diagram = parse_mermaid(
        "flowchart LR\n  A((Start)) --> B{Decide} & C[(DB)]\n  B -- yes --> D>Flag]\n"
        "  classDef added fill:#0f0\n  class D added\n  C:::removed --> A\n",
        first_line=1,
    )
    assert {n.id: n.label for n in diagram.nodes} == {
        "A": "Start",
        "B": "Decide",
        "C": "DB",
        "D": "Flag",
    }
    assert {(e.source, e.target, e.label) for e in diagram.edges} == {
        ("A", "B", ""),
        ("A", "C", ""),
        ("B", "D", "yes"),
        ("C", "A", ""),
    }
    legends = {n.id: n.legend for n in diagram.nodes}
    assert legends["D"] is Legend.NEW
    assert legends["A"] is None


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("What's New in This Phase", "whats_new"),
        ("2. Architecture Diagram", "diagram"),
        ("🧩 Component Details", "components"),
        ("Component 3: Loki", "component"),
        ("Known Issues & Limitations", "limitations"),
        ("Environment Variables", "env"),
        ("Configuration Files", "config_files"),
        ("Configuration Management", "configuration"),
        ("Integration with Previous Phases", "integration"),
        ("Deployment Architecture", "deployment"),
        ("Success Criteria", "success_criteria"),
        ("データフロー", "data_flow"),
        ("Runbook Links", None),
    ],
)
def test_classify_title(title: str, kind: str | None) -> None:
    assert classify_title(title) == kind


def test_invalid_yaml_is_a_diagnostic_with_the_document_line() -> None:
    text = "## Component Details\n\n### Loki\n\n**Technology:** Loki\n\n```yaml\na: 1\nb: [\n```\n"
    doc = parse_document(text)
    diagnostics = [d for d in doc.diagnostics if d.code == "yaml-invalid"]
    assert len(diagnostics) == 1
    assert 8 <= diagnostics[0].line <= 10
    assert doc.components[0].configuration == "a: 1\nb: ["


@pytest.mark.parametrize(
    ("line", "edges"),
    [
        ('A -. "held, then read" .-> B', {("A", "B", "held, then read")}),
        ("A -. plain words .-> B", {("A", "B", "plain words")}),
        ("A -- some text --> B", {("A", "B", "some text")}),
        ("A -- open text --- B", {("A", "B", "open text")}),
        ("A == thick text ==> B", {("A", "B", "thick text")}),
        ('A -->|"quoted"| B', {("A", "B", "quoted")}),
        ("A-->|bare|B", {("A", "B", "bare")}),
        ("A ==> B", {("A", "B", "")}),
        ("A -.-> B", {("A", "B", "")}),
        ("A -.- B", {("A", "B", "")}),
        ("A --- B", {("A", "B", "")}),
        ("A ---> B", {("A", "B", "")}),
        ("A --o B", {("A", "B", "")}),
        ("A --x B", {("A", "B", "")}),
        ("A <--> B", {("A", "B", "")}),
        ("A o--o B", {("A", "B", "")}),
        ("A ~~~ B", {("A", "B", "")}),
        ("A e1@--> B", {("A", "B", "")}),
        ("A & B --> C", {("A", "C", ""), ("B", "C", "")}),
        ("A --> B & C --> D", {("A", "B", ""), ("A", "C", ""), ("B", "D", ""), ("C", "D", "")}),
        ("api-gw-->db", {("api-gw", "db", "")}),
        ("A-->B; B-->C %% a comment", {("A", "B", ""), ("B", "C", "")}),
        ("endpoint --> graphql", {("endpoint", "graphql", "")}),
    ],
)
def test_mermaid_edge_syntax(line: str, edges: set[tuple[str, str, str]]) -> None:
    diagram = parse_mermaid(f"flowchart LR\n    {line}\n", first_line=0)
    assert {(e.source, e.target, e.label) for e in diagram.edges} == edges
    for node in diagram.nodes:  # no stray quote, dot or dash in a label
        assert node.label == node.id


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("N[(Orders DB)]", "Orders DB"),
        ("N((Circle))", "Circle"),
        ("N(((Double circle)))", "Double circle"),
        ("N{Decide}", "Decide"),
        ("N{{Hexagon}}", "Hexagon"),
        ("N>Flag]", "Flag"),
        ("N[/Parallelogram/]", "Parallelogram"),
        ("N[\\Back slanted\\]", "Back slanted"),
        ("N[/Trapezoid\\]", "Trapezoid"),
        ("N([Stadium])", "Stadium"),
        ("N[[Subroutine]]", "Subroutine"),
        ("N(Round)", "Round"),
        ('N["Label with ] and (brackets)"]', "Label with ] and (brackets)"),
        ('N["line one<br/>line two"]', "line one line two"),
        ('N@{ shape: cyl, label: "Shaped store" }', "Shaped store"),
        ("N[Styled]:::new", "Styled"),
    ],
)
def test_mermaid_node_shapes(line: str, label: str) -> None:
    diagram = parse_mermaid(f"flowchart LR\n    {line} --> Z\n", first_line=0)
    assert {n.id: n.label for n in diagram.nodes} == {"N": label, "Z": "Z"}
    assert [(e.source, e.target) for e in diagram.edges] == [("N", "Z")]


def test_mermaid_subgraph_as_an_edge_end_is_named_by_its_title() -> None:
    diagram = parse_mermaid(
        'flowchart LR\n  subgraph core ["Core services"]\n    A --> B\n  end\n  core --> C\n', 0
    )
    assert {n.id: n.label for n in diagram.nodes} == {
        "A": "A",
        "B": "B",
        "C": "C",
        "core": "Core services",
    }


def test_colours_mean_nothing_without_a_legend() -> None:
    text = "graph TB\n  A --> B\n  style A fill:#90EE90\n  style B fill:#FFB6C1\n"
    assert {n.legend for n in parse_mermaid(text, 0).nodes} == {None}
    legends = {n.id: n.legend for n in parse_mermaid(text, 0, legend=True).nodes}
    assert legends == {"A": Legend.NEW, "B": Legend.DEPRECATED}


def test_a_document_legend_explains_the_colours() -> None:
    body = (
        "## Architecture Diagram\n\n```mermaid\ngraph TB\n  A --> B\n  style B fill:#FFB6C1\n```\n"
    )
    without = parse_document("# Phase 2\n\n" + body)
    assert {n.legend for n in without.diagram.nodes} == {None}
    with_legend = parse_document("# Phase 2\n\n" + body + "\n**Legend:**\n- 🔴 Deprecated\n")
    assert {n.id: n.legend for n in with_legend.diagram.nodes} == {
        "A": None,
        "B": Legend.DEPRECATED,
    }


def test_a_legend_subgraph_maps_its_own_colours_and_is_no_part_of_the_diagram() -> None:
    text = (
        "graph TB\n"
        "  subgraph Legend\n    L1[New]\n    L2[Deprecated]\n  end\n"
        "  A --> B\n"
        "  style L1 fill:#f9f\n  style L2 fill:#333\n"
        "  style A fill:#f9f\n  style B fill:#333\n"
    )
    diagram = parse_mermaid(text, 0)
    assert {n.id: n.legend for n in diagram.nodes} == {"A": Legend.NEW, "B": Legend.DEPRECATED}
    assert [(e.source, e.target) for e in diagram.edges] == [("A", "B")]


def test_class_names_explain_themselves_without_a_legend() -> None:
    text = "graph TB\n  A:::deprecated --> B\n  classDef deprecated fill:#f00\n"
    text += "  classDef x fill:#0f0\n  class B x\n"
    assert {n.id: n.legend for n in parse_mermaid(text, 0).nodes} == {
        "A": Legend.DEPRECATED,
        "B": None,
    }


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        # The template: the name after the colon.
        ("# Phase 3 Architecture: Tracing\n", "Tracing", "Phase 3 Architecture: Tracing"),
        # The **Phase:** field's name wins over the title's.
        (
            "# Phase 3 Architecture: Tracing\n\n**Phase:** 3 — Traces and spans\n",
            "Traces and spans",
            "Phase 3 Architecture: Tracing",
        ),
        ("# Phase 3 architecture\n", None, "Phase 3 architecture"),
        ("# PHASE 3 ARCHITECTURE DOCUMENT\n", None, "PHASE 3 ARCHITECTURE DOCUMENT"),
        ("# Phase 1 — Secure skeleton\n", "Secure skeleton", "Phase 1 — Secure skeleton"),
        ("# ARCHITECTURE.md\n\n## Goals\n\nText.\n", None, "ARCHITECTURE.md"),
        # No title heading: the first heading when it names the phase, else the field.
        (
            "## Phase 2: build pipeline\n\nText.\n\n## Planes\n\nMore.\n",
            "build pipeline",
            "Phase 2: build pipeline",
        ),
        (
            "## Goals\n\n**Phase:** 4 - Billing\n\n## Planes\n\nMore.\n",
            "Billing",
            "Phase 4: Billing",
        ),
        ("## Goals\n\nText.\n\n## Planes\n\nMore.\n", None, "Goals"),
    ],
)
def test_phase_names_and_titles(text: str, name: str | None, title: str) -> None:
    doc = parse_document(text)
    assert (doc.overview.name, doc.title) == (name, title)


@pytest.mark.parametrize(
    ("value", "status", "words"),
    [
        ("🚧 In Progress", Status.IN_PROGRESS, None),
        ("in review", Status.UNKNOWN, "in review"),
        (
            "⏸️ **Blocked on** the security sign-off",
            Status.UNKNOWN,
            "Blocked on the security sign-off",
        ),
        ("âœ‹ Under review (legal)", Status.UNKNOWN, "Under review (legal)"),  # mojibake ✋
    ],
)
def test_free_text_status_keeps_its_words(value: str, status: Status, words: str | None) -> None:
    overview = parse_document(f"# Phase 2\n\n**Status:** {value}\n").overview
    assert (overview.status, overview.status_words) == (status, words)
    assert overview.status_value == (words or status.value)


def test_a_diagram_outside_its_section_is_the_diagram_and_only_that() -> None:
    text = (
        "# Phase 2\n\n## Processing path\n\nCases flow left to right.\n\n"
        "```mermaid\nflowchart LR\n  A[In] --> B[Out]\n```\n\n```text\nnotes\n```\n"
    )
    doc = parse_document(text)
    assert [(n.id, n.label) for n in doc.diagram.nodes] == [("A", "In"), ("B", "Out")]
    (section,) = doc.extra
    assert section.paragraphs == ("Cases flow left to right.",)
    assert [block.info for block in section.code] == ["text"]  # the mermaid block is not here


def test_mermaid_front_matter_and_other_diagram_kinds() -> None:
    flowchart = parse_mermaid("---\ntitle: Ingest\n---\nflowchart LR\n  A[In] --> B[Out]\n", 0)
    assert [n.label for n in flowchart.nodes] == ["In", "Out"] and flowchart.drawing == ""
    sequence = parse_mermaid("sequenceDiagram\n  A->>B: hello\n", 0)
    assert (sequence.nodes, sequence.drawing) == ((), "sequenceDiagram A->>B: hello")


def test_a_legend_that_maps_colours_its_own_way_is_followed() -> None:
    text = (
        "# Phase 2\n\n## Architecture Diagram\n\n```mermaid\ngraph TB\n  A --> B\n  B --> C\n"
        "  style A fill:#FFFF99\n  style B fill:#90EE90\n  style C fill:#87CEEB\n```\n\n"
        "**Legend:**\n- 🟡 New in this phase\n- 🟢 Unchanged\n"
    )
    legends = {n.id: n.legend for n in parse_document(text).diagram.nodes}
    # Yellow and green as the legend says; blue, which it does not name, as in the template.
    assert legends == {"A": Legend.NEW, "B": Legend.UNCHANGED, "C": Legend.MODIFIED}
