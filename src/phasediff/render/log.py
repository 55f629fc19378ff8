"""``phasediff log``: the semantic history of the phase documents, as text, markdown or JSON.

A ``History`` in, text out, like every renderer: no git, no clock.  Commits
come newest first, as ``git log`` shows them; under each, every phase
document the commit changed and that change's records, in the same words the
other formats use (``describe``).  A commit that changed only the form of a
document says so, rather than vanishing: someone looking for "who touched
phase 2 in March" should still find the re-wrap.

The JSON nests DESIGN.md's change records under each commit, each document
entry naming the pair it compares (``base``/``head``: phase, revision, path,
blob), so a tool reads a log the way it reads one comparison.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from phasediff.changes import Change, Severity
from phasediff.history import Commit, DocumentChange, History, Skipped
from phasediff.model import Diagnostic
from phasediff.render.common import (
    capped,
    diagnostic_text,
    finish,
    group_by_section,
    plural,
    section_title,
)
from phasediff.render.describe import describe
from phasediff.render.json import SCHEMA_VERSION, comparison_to_dict, diagnostic_to_dict, dumps
from phasediff.render.markdown import code, escape
from phasediff.render.text import BOLD, DIM, YELLOW, change_line, paint, terminal_safe


class LogFormat(enum.Enum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


FORM_ONLY = "no semantic change (form only)"


def render_log(history: History, fmt: LogFormat, *, color: bool = False) -> str:
    """``history`` in format ``fmt``; ``color`` adds ANSI colour to the text format."""
    if fmt is LogFormat.JSON:
        return dumps(log_to_dict(history))
    if fmt is LogFormat.MARKDOWN:
        return _markdown(history)
    return _text(history, color)


# -- JSON -----------------------------------------------------------------------------


def commit_to_dict(commit: Commit) -> dict[str, Any]:
    return {
        "sha": commit.sha,
        "short": commit.short,
        "parents": list(commit.parents),
        "author": {"name": commit.author, "email": commit.email},
        "date": commit.date,
        "subject": commit.subject,
    }


def document_to_dict(document: DocumentChange) -> dict[str, Any]:
    return {
        "phase": document.phase,
        "status": document.status,
        "semantic": document.semantic,
        **comparison_to_dict(document.comparison),
        "introduced_diagnostics": [diagnostic_to_dict(d) for d in document.introduced],
    }


def skipped_to_dict(skipped: Skipped) -> dict[str, Any]:
    return {
        "commit": skipped.commit,
        "path": skipped.path,
        "blob": skipped.blob,
        "reason": skipped.reason,
    }


def log_to_dict(history: History) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "range": {
            "from": history.since.rev,
            "from_commit": history.since.sha,
            "to": history.until.rev,
            "to_commit": history.until.sha,
        },
        "phases": list(history.phases),
        "first_parent": history.first_parent,
        "entries": [
            {
                "commit": commit_to_dict(entry.commit),
                "semantic": entry.semantic,
                "documents": [document_to_dict(document) for document in entry.documents],
            }
            for entry in history.entries
        ],
        "skipped": [skipped_to_dict(skipped) for skipped in history.skipped],
    }


# -- text -------------------------------------------------------------------------------


def document_label(document: DocumentChange) -> str:
    """``phase 2  docs/phase-2/ARCHITECTURE.md``, with how the file itself changed."""
    base, head = document.comparison.base, document.comparison.head
    path = head.path or base.path or ""
    label = f"phase {document.phase}  {path}"
    if document.status == "renamed":
        return f"{label} (moved from {base.path})"
    if document.status in ("added", "deleted"):
        return f"{label} ({document.status})"
    return label


def _notes(diagnostics: Iterable[Diagnostic]) -> tuple[list[str], str | None]:
    return capped([diagnostic_text(d) for d in diagnostics])


def _text(history: History, color: bool) -> str:
    lines: list[str] = []
    for entry in history.entries:
        commit = entry.commit
        header = f"commit {commit.short}  {commit.date[:10]}  {terminal_safe(commit.author)}"
        lines.append(paint(header, YELLOW, color))
        lines.append(f"    {terminal_safe(commit.subject)}")
        for document in entry.documents:
            lines.append("  " + paint(terminal_safe(document_label(document)), BOLD, color))
            if not document.semantic:
                lines.append("    " + paint(FORM_ONLY, DIM, color))
            for _, changes in group_by_section(document.comparison.changes):
                lines.extend("  " + change_line(change, color=color) for change in changes)
            shown, more = _notes(document.introduced)
            lines.extend(
                "    " + paint(f"note: {terminal_safe(note)}", DIM, color)
                for note in [*shown, *([more] if more else [])]
            )
        lines.append("")
    lines.append(_summary(history))
    return finish(lines)


def _summary(history: History) -> str:
    if not history.entries:
        return "No commit in the range changed a phase document."
    form_only = sum(1 for entry in history.entries if not entry.semantic)
    text = f"{plural(len(history.entries), 'commit')} changed phase documents"
    if form_only:
        text += f"; {form_only} of them only in form"
    return text + "."


# -- markdown ---------------------------------------------------------------------------


def _markdown(history: History) -> str:
    where = " ".join(
        part
        for part in (
            f"from {code(history.since.rev)}" if history.since.rev else "",
            f"to {code(history.until.rev or 'HEAD')}",
        )
        if part
    )
    lines = [f"## Phase document history {where}".rstrip(), ""]
    for entry in history.entries:
        commit = entry.commit
        lines.append(f"### {code(commit.short)} {escape(commit.subject)}")
        lines.extend(["", f"{escape(commit.author)} · {commit.date[:10]}", ""])
        for document in entry.documents:
            lines.extend([_markdown_label(document), ""])
            if not document.semantic:
                lines.extend([f"_{FORM_ONLY}_", ""])
                continue
            for section, changes in group_by_section(document.comparison.changes):
                lines.append(f"- {escape(section_title(section))}")
                lines.extend(f"  - {_markdown_change(change)}" for change in changes)
            lines.append("")
    lines.append(escape(_summary(history)))
    return finish(lines)


def _markdown_change(change: Change) -> str:
    text = escape(describe(change))
    if change.severity is Severity.BREAKING:
        return f"**Breaking:** {text}"
    if change.severity is Severity.WARNING:
        return f"**Warning:** {text}"
    return text


def _markdown_label(document: DocumentChange) -> str:
    """``**Phase 2** `docs/phase-2/ARCHITECTURE.md` (moved from `…`)``."""
    base, head = document.comparison.base, document.comparison.head
    label = f"**Phase {escape(document.phase)}** {code(head.path or base.path or '')}"
    if document.status == "renamed" and base.path:
        return f"{label} (moved from {code(base.path)})"
    if document.status in ("added", "deleted"):
        return f"{label} ({document.status})"
    return label
