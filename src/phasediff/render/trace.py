"""``phasediff trace``: one entity's history as text, markdown or JSON.

Phases first (where the entity exists and with which values; a phase that
only carries it over says so instead of repeating them), then the commits
that changed it, oldest first, each with its changes in ``describe``'s words.
"""

from __future__ import annotations

import enum
import json
from typing import Any

from phasediff.render.common import finish, jsonable, plural
from phasediff.render.describe import describe, elide
from phasediff.render.json import SCHEMA_VERSION, change_to_dict
from phasediff.render.markdown import code, escape
from phasediff.render.text import marker, terminal_safe
from phasediff.trace import MODIFIED, NEW, PhasePresence, Trace


class TraceFormat(enum.Enum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


def render_trace(trace: Trace, fmt: TraceFormat) -> str:
    if fmt is TraceFormat.JSON:
        return _json(trace)
    if fmt is TraceFormat.MARKDOWN:
        return _markdown(trace)
    return _text(trace)


def _title(trace: Trace) -> str:
    return f"{trace.target.kind.title} {trace.target.name}"


def _shown(presence: PhasePresence) -> list[tuple[str, str]]:
    """What a phase shows: every value where the entity is new, what moved where modified.

    A carried-over entity points back instead; the JSON has every value of every phase
    (and, under ``dropped``, what the previous phase stated and this one does not).
    """
    if presence.state == NEW:
        return list(presence.values)
    if presence.state == MODIFIED:
        changed = set(presence.changed)
        return [(path, text) for path, text in presence.values if path in changed]
    return []


def _state_text(presence: PhasePresence) -> str:
    return f"{presence.state} ({presence.note})" if presence.note else presence.state


def _text(trace: Trace) -> str:
    lines = [terminal_safe(f"trace: {_title(trace)}, phases at {trace.rev}"), "", "Phases"]
    for presence in trace.phases:
        name = f" {presence.name}" if presence.name else ""
        lines.append(terminal_safe(f"  phase {presence.phase}{name}: {_state_text(presence)}"))
        lines += [
            terminal_safe(f"      {path}: {elide(text.replace(chr(10), ' '))}")
            for path, text in _shown(presence)
        ]
    lines += ["", "Commits (oldest first)"]
    if not trace.commits:
        lines.append("  (no commit in the history changed it)")
    for item in trace.commits:
        commit = item.commit
        lines.append(
            terminal_safe(
                f"  {commit.short} {commit.date[:10]} {commit.author}: {commit.subject}"
                f" (phase {item.phase})"
            )
        )
        lines += [
            f"      {marker(change)} {terminal_safe(describe(change))}" for change in item.changes
        ]
    lines += ["", f"{plural(len(trace.commits), 'commit')} changed it."]
    return finish(lines)


def _markdown(trace: Trace) -> str:
    lines = [f"## {escape(_title(trace))}", "", f"Phases at {code(trace.rev)}.", ""]
    lines += ["| Phase | Name | State |", "| --- | --- | --- |"]
    for presence in trace.phases:
        lines.append(
            f"| {escape(presence.phase)} | {escape(presence.name or '')} "
            f"| {escape(_state_text(presence))} |"
        )
    for presence in trace.phases:
        shown = _shown(presence)
        if shown:
            lines += ["", f"### Phase {escape(presence.phase)}: {presence.state}", ""]
            lines += [
                f"- {code(path)}: {escape(elide(text.replace(chr(10), ' ')))}"
                for path, text in shown
            ]
    lines += ["", "### Commits (oldest first)", ""]
    if not trace.commits:
        lines.append("No commit in the history changed it.")
    for item in trace.commits:
        commit = item.commit
        lines.append(
            f"- {code(commit.short)} {commit.date[:10]} {escape(commit.author)}: "
            f"{escape(commit.subject)} (phase {escape(item.phase)})"
        )
        lines += [f"  - {escape(describe(change))}" for change in item.changes]
    return finish(lines)


def _json(trace: Trace) -> str:
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "entity": {
            "kind": trace.target.kind.name,
            "key": trace.target.key,
            "name": trace.target.name,
        },
        "rev": trace.rev,
        "phases": [
            {
                "phase": presence.phase,
                "name": presence.name,
                "state": presence.state,
                "note": presence.note or None,
                "values": {path: jsonable(text) for path, text in presence.values},
                "changed": list(presence.changed),
                "dropped": list(presence.dropped),
            }
            for presence in trace.phases
        ],
        "commits": [
            {
                "sha": item.commit.sha,
                "author": item.commit.author,
                "email": item.commit.email,
                "date": item.commit.date,
                "subject": item.commit.subject,
                "phase": item.phase,
                "path": item.path,
                "changes": [change_to_dict(change) for change in item.changes],
            }
            for item in trace.commits
        ],
        "skipped": [skipped.message for skipped in trace.skipped],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
