"""Shared inputs for the renderer tests: two small phase documents and a hand-built comparison.

The diff engine is built in parallel, so comparisons here are written by hand
(with the diagrams taken from really parsed documents); the golden helper
keeps expected output in files that ``PHASEDIFF_UPDATE_GOLDEN=1`` rewrites.
"""

from __future__ import annotations

import os
from pathlib import Path

from phasediff.changes import Change, Comparison, Kind, Severity, Side, sort_changes
from phasediff.model import Diagnostic, PhaseDocument
from phasediff.parse import parse_document

GOLDEN = Path(__file__).parent / "golden" / "render"

PHASE_2 = """\
# Phase 2 Architecture: Centralised logging

## Overview

**Phase:** 2
**Status:** ✅ Complete
**Started:** 2024-01-08
**Completed:** 2024-02-20

Logs from every service flow through Promtail into Loki.

## Architecture Diagram

```mermaid
graph TB
    A[Promtail] --> B[Loki]
    B --> C[Grafana]
    D[Alertmanager] --> C
    style A fill:#90EE90
    style B fill:#90EE90
    style C fill:#FFFF99
    style D fill:#FFFF99
```

**Legend:**
- 🟢 New in this phase
- 🔵 Modified from the previous phase
- 🟡 Unchanged from the previous phase
- 🔴 Deprecated/removed

## Component Details

### Component 1: Promtail

**Purpose:** Ships container logs to Loki.

**Technology:** Promtail 2.9

**Integration Points:**
- Exposes: 9080/tcp (HTTP metrics)

### Component 2: Loki

**Purpose:** Stores and indexes logs.

**Technology:** Grafana Loki 2.9

**Configuration:**
```yaml
limits_config:
  retention_period: 168h
  ingestion_rate_mb: 8
```

## Deployment Architecture

**Disaster Recovery:**
- RTO (Recovery Time Objective): 1h
- RPO (Recovery Point Objective): 15m

## Configuration Management

### Environment Variables

| Variable | Default | Purpose | Required |
|----------|---------|---------|----------|
| `PROMTAIL_LOKI_URL` | `http://loki:3100` | Where Promtail pushes | Yes |
| `LOKI_RETENTION_PERIOD` | `168h` | Retention | No |

## Success Criteria

- [x] Loki deployed
- [x] Promtail on every node
- [x] Grafana datasource
- [ ] Alert rules
- [ ] Runbooks
- [ ] Dashboards
- [ ] Load test
- [ ] Team trained

---

**Document Version:** 1.0
**Last Updated:** 2024-02-20
**Authors:** Platform team
"""

PHASE_3 = """\
# Phase 3 Architecture: Grafana Alloy

## Overview

**Phase:** 3
**Status:** 🚧 In Progress
**Started:** 2024-03-04

Grafana Alloy replaces Promtail; Loki keeps logs for two weeks.

## Architecture Diagram

```mermaid
graph TB
    X[Grafana Alloy] --> L[Loki]
    P[Promtail]
    L --> G[Grafana]
    M[Alertmanager] --> G
    L --> M
    style X fill:#90EE90
    style P fill:#FFB6C1
    style L fill:#87CEEB
    style G fill:#FFFF99
    style M fill:#FFFF99
```

**Legend:**
- 🟢 New in this phase
- 🔵 Modified from the previous phase
- 🟡 Unchanged from the previous phase
- 🔴 Deprecated/removed

## Component Details

### Component 1: Grafana Alloy

**Purpose:** Collects logs and forwards them to Loki.

**Technology:** Grafana Alloy 1.0

**Configuration:**
```yaml
loki.write:
  endpoint:
    url: http://loki:3100/loki/api/v1/push
```

### Component 2: Loki

**Purpose:** Stores and indexes logs.

**Technology:** Grafana Loki 3.0

**Configuration:**
```yaml
limits_config:
  retention_period: 336h
  ingestion_rate_mb: 8
```

## Integration with Previous Phases

**Retained from Phase 2:**
- Alertmanager (unchanged)

## Deployment Architecture

**Disaster Recovery:**
- RTO (Recovery Time Objective): 4h
- RPO (Recovery Point Objective): 15m

## Configuration Management

### Environment Variables

| Variable | Default | Purpose | Required |
|----------|---------|---------|----------|
| `LOKI_RETENTION_PERIOD` | `336h` | Retention | Yes |

## Cost Notes

Storage doubles with the longer retention.

## Success Criteria

- [x] Loki deployed
- [x] Promtail on every node
- [x] Grafana datasource
- [x] Alert rules
- [x] Runbooks
- [x] Dashboards
- [ ] Load test
- [ ] Team trained

---

**Document Version:** 2.0
**Last Updated:** 2024-03-04
**Authors:** Platform team, @octocat
"""

RICH = """\
# Phase 4 Architecture: Tracing

## Overview

**Phase:** 4
**Status:** 📋 Planned
**Started:** 2024-05-01
**Completed:** 2024-06-01

Tracing with Tempo.

## What's New in This Phase

- [x] **Tempo:** trace storage
- [ ] **OTel Collector:** pipelines
- [ ] **Deprecated:** Jaeger

**Key Differences from Phase 3:**
- Traces are sampled

## Architecture Diagram

```mermaid
graph TB
    T[Tempo]:::new --> G[Grafana]
    classDef new fill:#90EE90
```

## Component Details

### Component 1: Tempo

**Purpose:** Stores traces.

**Technology:** Grafana Tempo 2.4

**Configuration:**
```yaml
server:
  http_listen_port: 3200
1: one
```

**Integration Points:**
- Connects to: Grafana
- Exposes: 3200/tcp
- Depends on: S3

**Operational Considerations:**
- Resources: 2 CPU

**Owner:** Tracing team

## Integration with Previous Phases

**Retained from Phase 3:**
- Loki (unchanged)

**Modified from Phase 3:**
| Component | Change | Reason |
|-----------|--------|--------|
| Grafana | Tempo datasource | Traces |

**Migration Path:**
1. Deploy Tempo
2. Switch exporters

## Data Flow

Spans flow from services to the collector.

- Collector batches spans

## Security Considerations

- mTLS between collector and Tempo

## Deployment Architecture

**Compute:**
- 3 nodes

**Network:**
- Ports opened: 4317/tcp (OTLP gRPC), 3200/tcp (Tempo HTTP)
- Ports closed: 14268/tcp (Jaeger)

**Storage:**
- S3 bucket

**Redundancy:**
- Tempo replicated x3

**Disaster Recovery:**
- RTO (Recovery Time Objective): 2h
- RPO (Recovery Point Objective): 30m

## Observability

### Metrics Added

| Metric | Type | Purpose | Alert Threshold | Owner |
|--------|------|---------|-----------------|-------|
| `tempo_ingester_traces_created_total` | Counter | Ingest rate | N/A | tracing |

### Traces Added

**New Spans:**
- `collector.export`: Export to Tempo

**Attributes:**
- `tenant.id`: Tenant

### Logs Added

**New Log Streams:**
- Tempo logs: JSON, Loki

**Structured Logging Fields:**
- `trace_id`: Correlation

### Dashboards

**New Grafana Dashboards:**
1. **Tracing Overview**: Health

## Configuration Management

### Environment Variables

| Variable | Default | Purpose | Required | Scope |
|----------|---------|---------|----------|-------|
| `TEMPO_S3_BUCKET` | `traces` | Bucket | Yes | tempo |

### Configuration Files

| File | Location | Purpose | Format |
|------|----------|---------|--------|
| `tempo.yaml` | `/etc/tempo/` | Main configuration | YAML |

## Testing Strategy

### Unit Tests
- Coverage target: 80%
- Sampling logic

## Rollback Plan

**Rollback Trigger:**
- Trace loss above 1%

**Rollback Steps:**
1. Stop Tempo
2. Re-enable Jaeger

**Rollback Time:** 30 minutes

## Known Issues & Limitations

### Current Limitations
- [ ] No tail sampling

### Future Improvements
- [x] Metrics generator

## Success Criteria

- [x] Tempo deployed
- [ ] Dashboards live

## References

- [Tempo docs](https://grafana.com/docs/tempo/)

## Vendor Notes

**Vendor:** Grafana Labs

| Item | Cost |
|------|------|
| Support | 10k |

- [x] Contract signed
  - Legal review

```yaml
a: &a [1, *a]
```

[Pricing](https://example.com/pricing)

Paragraph text.

### Sub note

More.

---

**Document Version:** 0.1
**Last Updated:** 2024-05-01
**Authors:** Ada, Bo
"""
"""Every typed entity at least once, an unrecognised section, and a self-referencing YAML anchor."""

BASE = Side(phase="2", rev="HEAD", path="docs/phase-2/ARCHITECTURE.md", blob="a1b2c3d")
HEAD = Side(phase="3", rev=None, path="docs/phase-3/ARCHITECTURE.md", blob=None)
P2, P3 = BASE.path, HEAD.path


def doc(text: str) -> PhaseDocument:
    return parse_document(text)


def change(
    section: str,
    kind: Kind,
    key: str,
    rule: str,
    *,
    field: str | None = None,
    old: object = None,
    new: object = None,
    severity: Severity = Severity.INFO,
    note: str = "",
    line: int = 0,
    path: str | None = None,
    acknowledged: str | None = None,
) -> Change:
    return Change(
        section, kind, key, field, old, new, severity, rule, note, line, path, acknowledged
    )


B, W, INFO = Severity.BREAKING, Severity.WARNING, Severity.INFO
A, R, C, N = Kind.ADDED, Kind.REMOVED, Kind.CHANGED, Kind.RENAMED


def realistic_changes() -> tuple[Change, ...]:
    """What ``phasediff 2 3`` reports for PHASE_2 -> PHASE_3, written out by hand."""
    return sort_changes(
        [
            change(
                "overview",
                C,
                "status",
                "status-changed",
                old="complete",
                new="in_progress",
                line=6,
                path=P3,
            ),
            change(
                "components",
                R,
                "Promtail",
                "component-removed",
                severity=B,
                note="replaced by Grafana Alloy",
                line=31,
                path=P2,
            ),
            change(
                "components",
                A,
                "Grafana Alloy",
                "component-added",
                new={"technology": "Grafana Alloy 1.0"},
                line=28,
                path=P3,
            ),
            change(
                "components",
                C,
                "Loki",
                "component-config-changed",
                field="configuration.limits_config.retention_period",
                old="168h",
                new="336h",
                line=45,
                path=P3,
            ),
            change(
                "components",
                C,
                "Loki",
                "component-technology-changed",
                field="technology",
                old="Grafana Loki 2.9",
                new="Grafana Loki 3.0",
                line=43,
                path=P3,
            ),
            change(
                "diagram", A, "Grafana Alloy", "diagram-node-added", new="new", line=17, path=P3
            ),
            change("diagram", A, "Loki -> Alertmanager", "diagram-edge-added", line=20, path=P3),
            change(
                "deployment",
                R,
                "9080/tcp",
                "port-closed",
                severity=B,
                old="Promtail",
                line=32,
                path=P2,
                acknowledged="Promtail's port leaves with it (ADR-12).",
            ),
            change(
                "deployment",
                C,
                "rto",
                "rto-relaxed",
                old={"seconds": 3600, "text": "1h"},
                new={"seconds": 14400, "text": "4h"},
                severity=B,
                line=66,
                path=P3,
            ),
            change(
                "env",
                R,
                "PROMTAIL_LOKI_URL",
                "env-removed",
                severity=B,
                note="belonged to Promtail, replaced by Grafana Alloy",
                line=55,
                path=P2,
            ),
            change(
                "env",
                C,
                "LOKI_RETENTION_PERIOD",
                "env-became-required",
                field="required",
                old=False,
                new=True,
                severity=B,
                line=74,
                path=P3,
            ),
            change(
                "env",
                C,
                "LOKI_RETENTION_PERIOD",
                "env-default-changed",
                field="default",
                old="168h",
                new="336h",
                severity=W,
                line=74,
                path=P3,
            ),
            change(
                "success_criteria",
                C,
                "success criteria",
                "success-progress",
                old="3/8",
                new="6/8",
                line=82,
                path=P3,
            ),
            change(
                "document",
                C,
                "version",
                "document-version-changed",
                old="1.0",
                new="2.0",
                line=95,
                path=P3,
            ),
            change(
                "document",
                C,
                "authors",
                "document-authors-changed",
                old=["Platform team"],
                new=["Platform team", "@octocat"],
                line=97,
                path=P3,
            ),
            change("document", A, "Cost Notes", "section-added", line=78, path=P3),
        ]
    )


def realistic_comparison() -> Comparison:
    base_doc, head_doc = doc(PHASE_2), doc(PHASE_3)
    return Comparison(
        base=BASE,
        head=HEAD,
        changes=realistic_changes(),
        base_diagram=base_doc.diagram,
        head_diagram=head_doc.diagram,
        diagnostics=head_doc.diagnostics,
    )


def empty_comparison() -> Comparison:
    return Comparison(base=BASE, head=Side("3", "HEAD", P3), changes=())


def noisy_diagnostics(count: int) -> tuple[Diagnostic, ...]:
    return tuple(
        Diagnostic("section-unrecognised", f"section 'Extra {n}' is not a template section", n)
        for n in range(1, count + 1)
    )


def assert_golden(name: str, actual: str) -> None:
    """Compare with ``golden/render/<name>``; ``PHASEDIFF_UPDATE_GOLDEN=1`` rewrites it instead."""
    path = GOLDEN / name
    if os.environ.get("PHASEDIFF_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    assert path.exists(), f"{path} is missing; run with PHASEDIFF_UPDATE_GOLDEN=1 to create it"
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"{name} differs; PHASEDIFF_UPDATE_GOLDEN=1 rewrites it"


def test_samples_parse_as_expected() -> None:
    """The sample documents are understood, so the goldens show real parser output."""
    base_doc, head_doc = doc(PHASE_2), doc(PHASE_3)
    assert [c.name for c in base_doc.components] == ["Loki", "Promtail"]
    assert {c.name for c in head_doc.components} == {"Grafana Alloy", "Loki"}
    assert len(head_doc.diagram.nodes) == 5
    assert head_doc.success_criteria.done == 6
