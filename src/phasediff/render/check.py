"""The formats of ``phasediff check``: a ``CheckReport`` in, the text of one format out.

* text: one ``path:line: severity [rule] message`` line per finding, the way
  compilers and linters write them (editors and terminals link them), then
  notes and a summary line;
* json: one document with ``schema_version``, built key by key here;
* github: workflow commands that annotate the offending document lines.

Pure and byte-stable like the comparison renderers: findings in document
(phase) order, then line and rule; one trailing newline.
"""

from __future__ import annotations

import enum
from typing import Any, Protocol

from phasediff.check import CHECK_RULES, CheckReport, CheckSeverity, Finding, Note
from phasediff.render.common import finish, plural
from phasediff.render.github import escape_data, escape_property
from phasediff.render.json import dumps
from phasediff.render.markdown import code, escape
from phasediff.render.text import BOLD, DIM, RED_BOLD, YELLOW, paint, terminal_safe

SCHEMA_VERSION = 1
"""Of the ``--format json`` document; changes when a key is removed or changes meaning."""


class CheckFormat(enum.Enum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


class CheckRenderer(Protocol):
    """The one interface every check format implements."""

    def __call__(self, report: CheckReport, *, rev: str | None, color: bool) -> str: ...


_STYLES = {CheckSeverity.ERROR: RED_BOLD, CheckSeverity.WARNING: YELLOW}


def summary_line(report: CheckReport) -> str:
    """``4 documents checked: 2 errors, 1 warning`` or ``…: no problems found``."""
    checked = f"{plural(len(report.documents), 'document')} checked"
    if not report.findings:
        return f"{checked}: no problems found."
    errors = plural(report.count(CheckSeverity.ERROR), "error")
    warnings = plural(report.count(CheckSeverity.WARNING), "warning")
    return f"{checked}: {errors}, {warnings}."


def _where(path: str, line: int) -> str:
    return f"{path}:{line}" if line else path


def finding_line(finding: Finding, *, color: bool = False) -> str:
    """``docs/phase-3/ARCHITECTURE.md:212: error [modified-undeclared] Component …``."""
    severity = paint(finding.severity.value, _STYLES[finding.severity], color)
    where = terminal_safe(_where(finding.path, finding.line))
    return f"{where}: {severity} [{finding.rule}] {terminal_safe(finding.message)}"


def render_text(report: CheckReport, *, rev: str | None = None, color: bool = False) -> str:
    del rev
    lines = [finding_line(finding, color=color) for finding in report.findings]
    lines.extend(
        paint(f"{terminal_safe(note.path)}: note: {terminal_safe(note.message)}", DIM, color)
        for note in report.notes
    )
    if lines:
        lines.append("")
    lines.append(paint(summary_line(report), BOLD, color))
    return finish(lines)


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "path": finding.path,
        "line": finding.line or None,
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
    }


def _note_dict(note: Note) -> dict[str, Any]:
    return {"path": note.path, "message": note.message}


def render_json(report: CheckReport, *, rev: str | None = None, color: bool = False) -> str:
    """One JSON document; ``rev`` null is the working tree, ``line`` null a missing section."""
    del color
    return dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "rev": rev,
            "summary": {
                "documents": len(report.documents),
                "errors": report.count(CheckSeverity.ERROR),
                "warnings": report.count(CheckSeverity.WARNING),
            },
            "documents": [{"phase": doc.phase, "path": doc.path} for doc in report.documents],
            "findings": [_finding_dict(finding) for finding in report.findings],
            "notes": [_note_dict(note) for note in report.notes],
        }
    )


def annotation(finding: Finding) -> str:
    """``::error file=…,line=…,title=phasediff check rule::message``."""
    properties = [f"file={escape_property(finding.path)}"]
    if finding.line:
        properties.append(f"line={finding.line}")
    properties.append(f"title={escape_property(f'phasediff check {finding.rule}')}")
    return f"::{finding.severity.value} {','.join(properties)}::{escape_data(finding.message)}"


def render_github(report: CheckReport, *, rev: str | None = None, color: bool = False) -> str:
    """An annotation per finding, a notice per note, then a plain summary line."""
    del rev, color
    lines = [annotation(finding) for finding in report.findings]
    lines.extend(
        f"::notice file={escape_property(note.path)},title=phasediff check::"
        f"{escape_data(note.message)}"
        for note in report.notes
    )
    lines.append(f"phasediff check: {summary_line(report)}")
    return finish(lines)


_RENDERERS: dict[CheckFormat, CheckRenderer] = {
    CheckFormat.TEXT: render_text,
    CheckFormat.JSON: render_json,
    CheckFormat.GITHUB: render_github,
}


def render_check(
    report: CheckReport, fmt: CheckFormat, *, rev: str | None = None, color: bool = False
) -> str:
    """``report`` in format ``fmt``; ``color`` adds ANSI colour to the text format only."""
    return _RENDERERS[fmt](report, rev=rev, color=color)


def render_rules() -> str:
    """``phasediff check --list-rules``: id, default severity, scope and meaning, one per line."""
    width = max(len(rule.id) for rule in CHECK_RULES.values())
    return finish(
        f"{rule.id.ljust(width)}  {rule.severity.value:<7}  {rule.scope.value:<12}  "
        f"{rule.description}"
        for rule in CHECK_RULES.values()
    )


def render_step_summary(report: CheckReport) -> str:
    """The GitHub job summary: the verdict, then the findings as a table."""
    lines = ["### phasediff check", "", summary_line(report)]
    if report.findings:
        lines += ["", "| Severity | Where | Rule | Message |", "| --- | --- | --- | --- |"]
        lines.extend(
            f"| {finding.severity.value} | {code(_where(finding.path, finding.line))} | "
            f"{code(finding.rule)} | {escape(finding.message)} |"
            for finding in report.findings
        )
    return finish(lines)
