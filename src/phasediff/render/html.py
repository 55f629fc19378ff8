"""The HTML report: a ``Report`` in, the files of a static site out (path -> text).

The site works opened from disk: no server, no script, no CDN, one
stylesheet; links are relative.  Pages come from the Jinja2 templates in
``phasediff/templates/report/``, autoescaped, so document text cannot inject
markup.  The templates get plain data prepared here (strings, numbers,
lists), never the model itself, so they stay simple and the model may grow.

Mermaid is shown as its source plus the diagram's drift as a table, not
rendered: rendering needs mermaid.js (megabytes of script) shipped in the
package and run at view time, and the table says the same in a form that is
searchable, accessible and byte-stable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from phasediff.changes import Change, Comparison, Severity
from phasediff.history import Entry
from phasediff.render.common import group_by_section, section_title, summary_line
from phasediff.render.describe import describe
from phasediff.render.mermaid import drift_mermaid
from phasediff.render.templating import package_environment
from phasediff.report import (
    Cell,
    ComponentRow,
    PhaseInfo,
    PhasePair,
    Report,
    day_number,
)
from phasediff.trace import STATES

STYLESHEET = "style.css"
#: CSS class of each matrix state (the template's legend colours are in the stylesheet).
STATE_CLASS = {state: "state-" + state.replace(" ", "-") for state in STATES}


def render_site(report: Report) -> dict[str, str]:
    """Every file of the site, by path relative to the site's root."""
    environment = package_environment("report")
    common = {"title": report.title, "rev": report.rev, "stylesheet": STYLESHEET}
    files = {
        STYLESHEET: environment.get_template("style.css").render(),
        "index.html": environment.get_template("index.html.j2").render(
            **common,
            page_title=f"{report.title}: architecture by phase",
            phases=[_phase(info) for info in report.phases],
            rows=[_row(row, report.phases) for row in report.components],
            legend=[(state, STATE_CLASS[state]) for state in STATES],
            timeline=_timeline(report),
            pairs=[_pair_link(pair) for pair in report.pairs],
            skipped=[skipped.message for skipped in report.skipped],
        ),
    }
    page = environment.get_template("pair.html.j2")
    for pair in report.pairs:
        files[f"{_pair_link(pair)['href']}"] = page.render(
            **common, page_title=_pair_title(pair), **_pair(pair)
        )
    page = environment.get_template("document.html.j2")
    for history in report.documents:
        files[_document_href(history.phase)] = page.render(
            **common,
            page_title=f"Phase {history.phase.phase}: history of {history.phase.path}",
            phase=_phase(history.phase),
            commits=[_commit(entry) for entry in history.entries],
        )
    page = environment.get_template("component.html.j2")
    for row in report.components:
        files[_component_href(row)] = page.render(
            **common,
            page_title=f"Component {row.name}",
            name=row.name,
            cells=[
                _cell_detail(cell, info)
                for cell, info in zip(row.cells, report.phases, strict=True)
            ],
        )
    return files


# -- links -------------------------------------------------------------------------------


def _document_href(info: PhaseInfo) -> str:
    return f"phase-{info.slug}.html"


def _component_href(row: ComponentRow) -> str:
    return f"component-{row.slug}.html"


def _pair_link(pair: PhasePair) -> dict[str, str]:
    return {
        "href": f"drift-{pair.slug}.html",
        "text": _pair_title(pair),
        "summary": summary_line(pair.comparison),
    }


def _pair_title(pair: PhasePair) -> str:
    return f"Phase {pair.base.phase} → phase {pair.head.phase}"


# -- index ------------------------------------------------------------------------------


def _phase(info: PhaseInfo) -> dict[str, Any]:
    return {
        "phase": info.phase,
        "anchor": f"p-{info.slug}",
        "name": info.name or "",
        "status": info.status or "unknown",
        "started": info.started or "",
        "completed": info.completed or "",
        "path": info.path,
        "href": _document_href(info),
    }


def _row(row: ComponentRow, phases: Sequence[PhaseInfo]) -> dict[str, Any]:
    href = _component_href(row)
    return {
        "name": row.name,
        "href": href,
        "cells": [
            {
                "state": cell.presence.state,
                "class": STATE_CLASS.get(cell.presence.state, "state-other"),
                "href": f"{href}#p-{info.slug}",
                "label": f"{row.name} in phase {info.phase}: {cell.presence.state}",
            }
            for cell, info in zip(row.cells, phases, strict=True)
        ],
    }


def _timeline(report: Report) -> dict[str, Any]:
    """Bars from started to completed (or to the last day shown) and commit marks, in %."""
    days: list[int] = []
    for info in report.phases:
        days += [d for d in (day_number(info.started), day_number(info.completed)) if d]
    for history in report.documents:
        days += [d for e in history.entries if (d := day_number(e.commit.date))]
    if not days:
        return {"rows": [], "start": "", "end": ""}
    first, last = min(days), max(days)
    span = max(last - first, 1)

    def at(day: int) -> float:
        return round(100 * (day - first) / span, 2)

    rows = []
    for history in report.documents:
        info = history.phase
        start, end = day_number(info.started), day_number(info.completed)
        bar = None
        if start is not None:
            stop = end if end is not None and end >= start else last
            bar = {
                "left": at(start),
                "width": max(round(at(stop) - at(start), 2), 0.5),
                "open": end is None,
                "label": f"{info.started} – {info.completed or 'open'}",
            }
        marks = [
            {
                "left": at(day),
                "href": f"{_document_href(info)}#c-{entry.commit.short}",
                "label": f"{entry.commit.short} {entry.commit.date[:10]}: {entry.commit.subject}",
            }
            for entry in reversed(history.entries)
            if (day := day_number(entry.commit.date)) is not None
        ]
        rows.append({**_phase(info), "bar": bar, "marks": marks})
    return {
        "rows": rows,
        "start": _iso(first),
        "end": _iso(last),
    }


def _iso(day: int) -> str:
    return dt.date.fromordinal(day).isoformat()


# -- drift ------------------------------------------------------------------------------


def _change(change: Change) -> dict[str, Any]:
    return {
        "severity": change.severity.value,
        "kind": change.kind.value,
        "key": change.key,
        "field": change.field or "",
        "text": describe(change),
        "rule": change.rule,
        "note": change.note,
        "acknowledged": change.acknowledged,
    }


def _groups(changes: Iterable[Change]) -> list[dict[str, Any]]:
    return [
        {
            "title": section_title(section),
            "id": f"s-{section}",
            "changes": [_change(change) for change in items],
            "worst": max(items, key=lambda c: c.severity.rank).severity.value,
        }
        for section, items in group_by_section(changes)
    ]


def _comparison(comparison: Comparison) -> dict[str, Any]:
    breaking = [c for c in comparison.changes if c.severity is Severity.BREAKING]
    return {
        "summary": summary_line(comparison),
        "breaking": [_change(change) for change in breaking],
        "groups": _groups(comparison.changes),
        "mermaid": drift_mermaid(comparison.base_diagram, comparison.head_diagram),
    }


def _pair(pair: PhasePair) -> dict[str, Any]:
    return {
        "base": _phase(pair.base),
        "head": _phase(pair.head),
        **_comparison(pair.comparison),
    }


def _commit(entry: Entry) -> dict[str, Any]:
    commit = entry.commit
    changes = [change for document in entry.documents for change in document.comparison.changes]
    return {
        "sha": commit.sha,
        "short": commit.short,
        "anchor": f"c-{commit.short}",
        "date": commit.date,
        "author": commit.author,
        "subject": commit.subject,
        "status": ", ".join(sorted({document.status for document in entry.documents})),
        "semantic": entry.semantic,
        "summary": summary_line(
            Comparison(
                entry.documents[0].comparison.base,
                entry.documents[0].comparison.head,
                tuple(changes),
            )
        ),
        "groups": _groups(changes),
    }


# -- components ---------------------------------------------------------------------------


def _cell_detail(cell: Cell, info: PhaseInfo) -> dict[str, Any]:
    presence, owned = cell.presence, cell.owned
    return {
        **_phase(info),
        "state": presence.state,
        "class": STATE_CLASS.get(presence.state, "state-other"),
        "note": presence.note,
        "fields": list(presence.values),
        "changed": set(presence.changed),
        "owned": [
            ("Ports", list(owned.ports)),
            ("Metrics", list(owned.metrics)),
            ("Env vars", list(owned.env)),
            ("Config files", list(owned.config_files)),
        ],
    }
