"""``phasediff show PHASE``: one parsed document, as a summary or as the whole model.

The text summary answers "what did phasediff understand of this document?" —
the facts, entities and counts the diff will compare, plus the parse notes —
so a user can see a parser miss before it shows up as drift.  The JSON form
is the complete typed model, built class by class (like the comparison JSON,
never by dumping dataclasses), so its shape is a contract other tools can use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from phasediff.changes import Side
from phasediff.coverage import Coverage, Owner
from phasediff.model import (
    CheckItem,
    CodeBlock,
    Component,
    ConfigFile,
    Deployment,
    Diagnostic,
    Diagram,
    Duration,
    Edge,
    EnvVar,
    Field,
    Footer,
    Integration,
    Legend,
    Limitations,
    Link,
    ListBlock,
    ListItem,
    Logs,
    Metric,
    Modification,
    NamedItem,
    Node,
    Overview,
    PhaseDocument,
    Port,
    Prose,
    Retained,
    Rollback,
    Row,
    Section,
    Status,
    SuccessCriteria,
    Table,
    Testing,
    Traces,
    WhatsNew,
)
from phasediff.render.common import capped, diagnostic_text, finish, jsonable, plural
from phasediff.render.describe import elide
from phasediff.render.json import SCHEMA_VERSION, dumps, side_to_dict
from phasediff.render.text import BOLD, DIM, YELLOW, paint, terminal_safe
from phasediff.text import collapse

SHOW_DIAGNOSTICS = 20
"""Parse notes ``show`` lists: it is where one looks at them, so it lists more than a diff."""

# ---------------------------------------------------------------------------
# JSON: the whole model
# ---------------------------------------------------------------------------


def _line(line: int) -> int | None:
    return line or None


def _pairs(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """Extra table columns in document order; a list, because a header may repeat."""
    return [{"name": name, "value": value} for name, value in pairs]


def _duration(duration: Duration | None) -> dict[str, Any] | None:
    if duration is None:
        return None
    return {"seconds": duration.seconds, "text": duration.text}


def _check_item(item: CheckItem) -> dict[str, Any]:
    return {
        "key": item.key,
        "text": item.text,
        "done": item.done,
        "group": item.group,
        "line": _line(item.line),
    }


def _check_items(items: Iterable[CheckItem]) -> list[dict[str, Any]]:
    return [_check_item(item) for item in items]


def _named(items: Iterable[NamedItem]) -> list[dict[str, Any]]:
    return [
        {"key": i.key, "name": i.name, "description": i.description, "line": _line(i.line)}
        for i in items
    ]


def _link(link: Link) -> dict[str, Any]:
    return {"text": link.text, "target": link.target, "line": _line(link.line)}


def _overview(overview: Overview) -> dict[str, Any]:
    return {
        "phase": overview.phase,
        "name": overview.name,
        "status": overview.status.value if overview.status else None,
        "status_text": overview.status_text,
        "status_words": overview.status_words,
        "started": overview.started,
        "completed": overview.completed,
        "summary": overview.summary,
        "line": _line(overview.line),
    }


def _whats_new(whats_new: WhatsNew) -> dict[str, Any]:
    return {
        "items": _check_items(whats_new.items),
        "deprecated": list(whats_new.deprecated),
        "key_differences": _check_items(whats_new.key_differences),
        "line": _line(whats_new.line),
    }


def _node(node: Node) -> dict[str, Any]:
    return {
        "id": node.id,
        "label": node.label,
        "legend": node.legend.value if node.legend else None,
        "line": _line(node.line),
    }


def _edge(edge: Edge) -> dict[str, Any]:
    return {
        "source": edge.source,
        "target": edge.target,
        "label": edge.label,
        "line": _line(edge.line),
    }


def _diagram(diagram: Diagram) -> dict[str, Any]:
    return {
        "kind": diagram.kind,
        "nodes": [_node(node) for node in diagram.nodes],
        "edges": [_edge(edge) for edge in diagram.edges],
        "text": diagram.text,
        "drawing": diagram.drawing,
        "line": _line(diagram.line),
    }


def _component(component: Component) -> dict[str, Any]:
    return {
        "key": component.key,
        "name": component.name,
        "purpose": component.purpose,
        "technology": component.technology,
        "configuration": jsonable(component.configuration),
        "connects_to": list(component.connects_to),
        "exposes": list(component.exposes),
        "depends_on": list(component.depends_on),
        "operational": list(component.operational),
        "extra": _pairs(component.extra),
        "line": _line(component.line),
        "end_line": _line(component.end_line),
        "claimed": list(component.claimed),
    }


def _retained(retained: Retained) -> dict[str, Any]:
    return {
        "key": retained.key,
        "name": retained.name,
        "note": retained.note,
        "line": _line(retained.line),
    }


def _modification(modification: Modification) -> dict[str, Any]:
    return {
        "key": modification.key,
        "component": modification.component,
        "change": modification.change,
        "reason": modification.reason,
        "line": _line(modification.line),
    }


def _integration(integration: Integration) -> dict[str, Any]:
    return {
        "previous_phase": integration.previous_phase,
        "retained": [_retained(r) for r in integration.retained],
        "modified": [_modification(m) for m in integration.modified],
        "migration_steps": list(integration.migration_steps),
        "line": _line(integration.line),
    }


def _prose(prose: Prose) -> dict[str, Any]:
    return {"text": prose.text, "items": _check_items(prose.items), "line": _line(prose.line)}


def _port(port: Port) -> dict[str, Any]:
    return {
        "key": port.key,
        "number": port.number,
        "protocol": port.protocol,
        "description": port.description,
        "line": _line(port.line),
    }


def _deployment(deployment: Deployment) -> dict[str, Any]:
    return {
        "compute": list(deployment.compute),
        "network": list(deployment.network),
        "ports": [_port(port) for port in deployment.ports],
        "closed_ports": [_port(port) for port in deployment.closed_ports],
        "storage": list(deployment.storage),
        "redundancy": list(deployment.redundancy),
        "disaster_recovery": list(deployment.disaster_recovery),
        "rto": _duration(deployment.rto),
        "rpo": _duration(deployment.rpo),
        "line": _line(deployment.line),
    }


def _metric(metric: Metric) -> dict[str, Any]:
    return {
        "key": metric.key,
        "name": metric.name,
        "type": metric.type,
        "purpose": metric.purpose,
        "alert_threshold": metric.alert_threshold,
        "component": metric.component,
        "extra": _pairs(metric.extra),
        "line": _line(metric.line),
    }


def _traces(traces: Traces) -> dict[str, Any]:
    return {
        "spans": _named(traces.spans),
        "attributes": _named(traces.attributes),
        "line": _line(traces.line),
    }


def _logs(logs: Logs) -> dict[str, Any]:
    return {
        "streams": _named(logs.streams),
        "fields": _named(logs.fields),
        "line": _line(logs.line),
    }


def _env_var(env: EnvVar) -> dict[str, Any]:
    return {
        "key": env.key,
        "name": env.name,
        "default": env.default,
        "purpose": env.purpose,
        "required": env.required,
        "extra": _pairs(env.extra),
        "line": _line(env.line),
    }


def _config_file(config: ConfigFile) -> dict[str, Any]:
    return {
        "key": config.key,
        "name": config.name,
        "location": config.location,
        "purpose": config.purpose,
        "extra": _pairs(config.extra),
        "line": _line(config.line),
    }


def _testing(testing: Testing) -> dict[str, Any]:
    return {
        "coverage_target": testing.coverage_target,
        "text": testing.text,
        "items": _check_items(testing.items),
        "line": _line(testing.line),
    }


def _rollback(rollback: Rollback) -> dict[str, Any]:
    return {
        "triggers": _check_items(rollback.triggers),
        "steps": list(rollback.steps),
        "time": rollback.time,
        "duration": _duration(rollback.duration),
        "line": _line(rollback.line),
    }


def _limitations(limitations: Limitations) -> dict[str, Any]:
    return {
        "current": _check_items(limitations.current),
        "future": _check_items(limitations.future),
        "line": _line(limitations.line),
    }


def _success(criteria: SuccessCriteria) -> dict[str, Any]:
    return {
        "done": criteria.done,
        "total": len(criteria.items),
        "items": _check_items(criteria.items),
        "line": _line(criteria.line),
    }


def _footer(footer: Footer) -> dict[str, Any]:
    return {
        "version": footer.version,
        "last_updated": footer.last_updated,
        "authors": list(footer.authors),
        "line": _line(footer.line),
    }


def _field(item: Field) -> dict[str, Any]:
    return {
        "label": item.label,
        "value": item.value,
        "line": _line(item.line),
        "end_line": _line(item.end_line),
    }


def _row(row: Row) -> dict[str, Any]:
    return {
        "key": row.key,
        "cells": list(row.cells),
        "written_cells": row.written_cells,
        "line": _line(row.line),
    }


def _table(table: Table) -> dict[str, Any]:
    return {
        "label": table.label,
        "header": list(table.header),
        "rows": [_row(row) for row in table.rows],
        "line": _line(table.line),
        "end_line": _line(table.end_line),
    }


def _list_item(item: ListItem) -> dict[str, Any]:
    return {
        "text": item.text,
        "done": item.done,
        "children": [_list_item(child) for child in item.children],
        "line": _line(item.line),
        "end_line": _line(item.end_line),
    }


def _list_block(block: ListBlock) -> dict[str, Any]:
    return {
        "label": block.label,
        "ordered": block.ordered,
        "items": [_list_item(item) for item in block.items],
        "line": _line(block.line),
    }


def _code(block: CodeBlock) -> dict[str, Any]:
    return {
        "label": block.label,
        "info": block.info,
        "text": block.text,
        "data": jsonable(block.data),
        "error": block.error,
        "line": _line(block.line),
        "end_line": _line(block.end_line),
    }


def _section(section: Section) -> dict[str, Any]:
    """A whole generic section: what ``extra`` keeps of sections the template does not name."""
    return {
        "title": section.title,
        "level": section.level,
        "fields": [_field(item) for item in section.fields],
        "tables": [_table(table) for table in section.tables],
        "lists": [_list_block(block) for block in section.lists],
        "code": [_code(block) for block in section.code],
        "links": [_link(link) for link in section.links],
        "paragraphs": list(section.paragraphs),
        "children": [_section(child) for child in section.children],
        "line": _line(section.line),
        "end_line": _line(section.end_line),
        "paragraph_spans": [
            {"line": _line(span.line), "end_line": _line(span.end_line)}
            for span in section.paragraph_spans
        ],
        "kind": section.kind,
        "key": section.key,
    }


def _outline(section: Section) -> dict[str, Any]:
    return {
        "title": section.title,
        "level": section.level,
        "line": _line(section.line),
        "end_line": _line(section.end_line),
        "children": [_outline(child) for child in section.children],
    }


def _diagnostic(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "code": diagnostic.code,
        "message": diagnostic.message,
        "line": _line(diagnostic.line),
        "end_line": _line(diagnostic.end_line),
    }


def document_to_dict(doc: PhaseDocument) -> dict[str, Any]:
    """The typed model of one document, every field, in the model's own order."""
    return {
        "title": doc.title,
        "overview": _overview(doc.overview),
        "whats_new": _whats_new(doc.whats_new),
        "diagram": _diagram(doc.diagram),
        "components": [_component(c) for c in doc.components],
        "integration": _integration(doc.integration),
        "data_flow": _prose(doc.data_flow),
        "security": _prose(doc.security),
        "deployment": _deployment(doc.deployment),
        "metrics": [_metric(m) for m in doc.metrics],
        "traces": _traces(doc.traces),
        "logs": _logs(doc.logs),
        "dashboards": _named(doc.dashboards),
        "env": [_env_var(e) for e in doc.env],
        "config_files": [_config_file(c) for c in doc.config_files],
        "testing": _testing(doc.testing),
        "rollback": _rollback(doc.rollback),
        "limitations": _limitations(doc.limitations),
        "success_criteria": _success(doc.success_criteria),
        "references": [_link(link) for link in doc.references],
        "footer": _footer(doc.footer),
        "extra": [_section(section) for section in doc.extra],
    }


def show_json(doc: PhaseDocument, side: Side, coverage: Coverage | None = None) -> str:
    """``phasediff show --format json``: where the document came from, its model, outline,
    notes, and (given the text's ``coverage``) which lines went to which entities."""
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": side_to_dict(side),
        "document": document_to_dict(doc),
        "sections": [_outline(section) for section in doc.sections],
        "diagnostics": [_diagnostic(d) for d in doc.diagnostics],
    }
    if coverage is not None:
        data["coverage"] = _coverage(coverage)
    return dumps(data)


def _coverage(coverage: Coverage) -> dict[str, Any]:
    return {
        "lines": {owner.value: coverage.count(owner) for owner in Owner},
        "runs": [
            {"start": run.start, "end": run.end, "owner": run.owner.value, "where": run.where}
            for run in coverage.runs
        ],
    }


_OWNER_STYLE = {Owner.TYPED: "", Owner.GENERIC: DIM, Owner.NONE: YELLOW}


def show_coverage(coverage: Coverage, label: str, *, color: bool = False) -> str:
    """``phasediff show N --coverage``: each run of lines and the entity that owns it."""
    counts = {owner: coverage.count(owner) for owner in Owner}
    total = sum(counts.values())
    lines = [
        paint(_t(f"Coverage of {label}"), BOLD, color),
        f"{total} content lines: {counts[Owner.TYPED]} typed, "
        f"{counts[Owner.GENERIC]} generic, {counts[Owner.NONE]} owned by nothing",
        "",
    ]
    for run in coverage.runs:
        span = str(run.start) if run.start == run.end else f"{run.start}-{run.end}"
        where = _t(run.where) if run.owner is not Owner.NONE else "(nothing)"
        text = f"  {run.owner.value:<8} {span:<10} {where}"
        lines.append(paint(text, _OWNER_STYLE[run.owner], color))
    return finish(lines)


# ---------------------------------------------------------------------------
# Text: a readable summary
# ---------------------------------------------------------------------------

_LEGEND_ORDER = (Legend.NEW, Legend.MODIFIED, Legend.UNCHANGED, Legend.DEPRECATED, None)


def config_key_count(data: Any) -> int:
    """Leaf keys of a YAML configuration: how much configuration a component documents."""
    return _leaves(data, frozenset())


def _leaves(data: Any, path: frozenset[int]) -> int:
    if id(data) in path:  # a YAML anchor that refers to itself
        return 0
    inner = path | {id(data)}
    if isinstance(data, dict):
        # A key counts once, whatever its value; nested mappings count their own keys.
        return sum(
            (_leaves(value, inner) if isinstance(value, dict | list) else 0) or 1
            for value in data.values()
        )
    if isinstance(data, list):
        return sum(_leaves(item, inner) for item in data if isinstance(item, dict | list))
    return 0


def _t(text: str | None) -> str:
    """Document text on one terminal-safe line, elided."""
    return elide(terminal_safe(collapse(text or "")), 100)


def _facts(pairs: Iterable[tuple[str, str | None]]) -> list[str]:
    return [f"  {label}: {_t(value)}" for label, value in pairs if value]


def _block(title: str, body: list[str], color: bool) -> list[str]:
    return [paint(title, BOLD, color), *body, ""] if body else []


def _status(overview: Overview) -> str | None:
    value = overview.status_value
    if value is None or overview.status is Status.UNKNOWN:
        return value  # the author's own words when there are any
    return value.replace("_", " ")


def _component_line(component: Component) -> str:
    parts = [_t(component.name)]
    if component.technology:
        parts.append(_t(component.technology))
    keys = config_key_count(component.configuration)
    if keys:
        parts.append(f"{plural(keys, 'config key')}")
    return "  " + " — ".join(parts[:2]) + (f" · {parts[2]}" if len(parts) > 2 else "")


def _port_line(port: Port, state: str = "") -> str:
    described = f" — {_t(port.description)}" if port.description else ""
    return f"  {_t(port.key)}{described}" + (f" ({state})" if state else "")


def _env_line(env: EnvVar, color: bool) -> str:
    flags = []
    if env.required is True:
        flags.append(paint("required", YELLOW, color))
    elif env.required is False:
        flags.append("optional")
    if env.default:
        flags.append(f"default {_t(env.default)}")
    return f"  {_t(env.name)}" + (f" ({', '.join(flags)})" if flags else "")


def _diagram_line(diagram: Diagram) -> str | None:
    if not diagram.kind:
        return None
    if not diagram.nodes:
        return f"Diagram: {_t(diagram.kind)}"
    counts = []
    for legend in _LEGEND_ORDER:
        count = sum(1 for node in diagram.nodes if node.legend == legend)
        if count:
            counts.append(f"{count} {legend.value if legend else 'unclassified'}")
    nodes = f"{plural(len(diagram.nodes), 'node')} ({', '.join(counts)})"
    return f"Diagram: {_t(diagram.kind)}, {nodes}, {plural(len(diagram.edges), 'edge')}"


def _footer_line(footer: Footer) -> str | None:
    parts = []
    if footer.version:
        parts.append(f"version {_t(footer.version)}")
    if footer.last_updated:
        parts.append(f"updated {_t(footer.last_updated)}")
    if footer.authors:
        parts.append(f"authors: {_t(', '.join(footer.authors))}")
    return f"Document: {' · '.join(parts)}" if parts else None


def show_text(doc: PhaseDocument, ref_label: str, *, color: bool = False) -> str:
    """``phasediff show``: what the parser understood of one document, in one screen."""
    lines = [paint(_t(doc.title) or "Untitled document", BOLD, color), _t(ref_label), ""]
    overview = doc.overview
    lines += _block(
        "Overview",
        _facts(
            (
                ("Phase", overview.phase),
                ("Name", overview.name),
                ("Status", _status(overview)),
                ("Started", overview.started),
                ("Completed", overview.completed),
            )
        ),
        color,
    )
    whats_new = doc.whats_new
    news = [f"  {_box(item)} {_t(item.text)}" for item in whats_new.items]
    if whats_new.deprecated:
        news.append(f"  Deprecated: {_t(', '.join(whats_new.deprecated))}")
    lines += _block("What's new", news, color)
    lines += _block(
        f"Components ({len(doc.components)})",
        [_component_line(c) for c in doc.components],
        color,
    )
    lines += _block(
        f"Metrics ({len(doc.metrics)})",
        [f"  {_t(m.name)}" + (f" ({_t(m.type)})" if m.type else "") for m in doc.metrics],
        color,
    )
    lines += _block(
        f"Environment variables ({len(doc.env)})", [_env_line(e, color) for e in doc.env], color
    )
    lines += _block(
        f"Configuration files ({len(doc.config_files)})",
        [
            f"  {_t(c.name)}" + (f" — {_t(c.location)}" if c.location else "")
            for c in doc.config_files
        ],
        color,
    )
    ports = doc.deployment.ports
    closed = doc.deployment.closed_ports
    lines += _block(
        f"Ports ({len(ports)}" + (f", {len(closed)} closed)" if closed else ")"),
        [_port_line(port) for port in ports] + [_port_line(port, "closed") for port in closed],
        color,
    )
    recovery = [
        f"  {name} {_t(duration.text)}"
        for name, duration in (("RTO", doc.deployment.rto), ("RPO", doc.deployment.rpo))
        if duration is not None
    ]
    lines += _block("Recovery", recovery, color)

    summary = []
    criteria = doc.success_criteria
    if criteria.items:
        summary.append(f"Success criteria: {criteria.done}/{len(criteria.items)}")
    summary += [line for line in (_diagram_line(doc.diagram), _footer_line(doc.footer)) if line]
    if summary:
        lines += [*summary, ""]

    notes = [_t(diagnostic_text(d)) for d in doc.diagnostics]
    shown, more = capped(notes, SHOW_DIAGNOSTICS)
    body = [paint(f"  {note}", DIM, color) for note in shown]
    if more:
        body.append(paint(f"  {more}", DIM, color))
    lines += _block(f"Parse notes ({len(notes)})", body, color)
    return finish(lines)


def _box(item: CheckItem) -> str:
    return {True: "[x]", False: "[ ]", None: "-"}[item.done]
