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

Every format is assembled from one piece of text per commit
(``render_entry``), which ``entry_renderer`` hands to the history walk so the
pieces can be cached: a warm ``phasediff log`` prints stored pieces and
renders nothing.  The pieces of each format join into exactly what rendering
the whole history at once would give.
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from phasediff.changes import Change, Severity
from phasediff.history import (
    Commit,
    DocumentChange,
    Entry,
    EntryRenderer,
    History,
    RenderedEntry,
    RenderedHistory,
    Skipped,
    StreamedHistory,
)
from phasediff.model import Diagnostic
from phasediff.render.common import (
    capped,
    diagnostic_text,
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


_AnyHistory = History | RenderedHistory | StreamedHistory


def render_log(history: History | RenderedHistory, fmt: LogFormat, *, color: bool = False) -> str:
    """``history`` in format ``fmt``; ``color`` adds ANSI colour to the text format.

    A ``RenderedHistory`` must come from ``entry_renderer(fmt, color)``.
    """
    return "".join(stream_log(history, fmt, color=color))


def stream_log(history: _AnyHistory, fmt: LogFormat, *, color: bool = False) -> Iterator[str]:
    """``render_log``'s text in pieces, an entry at a time: joined, they are that text.

    A ``StreamedHistory`` is consumed as the pieces are; its skipped versions
    (the JSON's last key) are read once every entry has come.
    """
    entries: Iterable[RenderedEntry]
    if isinstance(history, History):
        entries = (
            RenderedEntry(entry.commit.sha, entry.semantic, render_entry(entry, fmt, color=color))
            for entry in history.entries
        )
    else:
        entries = history.entries
    if fmt is LogFormat.JSON:
        yield from _json(history, entries)
        return
    if fmt is LogFormat.MARKDOWN:
        yield _markdown_header(history)
    count = form_only = 0
    for entry in entries:
        count += 1
        form_only += not entry.semantic
        yield entry.text
    summary = _summary(count, form_only)
    yield (escape(summary) if fmt is LogFormat.MARKDOWN else summary) + "\n"


def entry_renderer(fmt: LogFormat, *, color: bool = False) -> EntryRenderer:
    """The renderer of one commit's entry for ``render_history`` (and its cache key)."""
    return EntryRenderer(
        key=f"log:{fmt.value}:{'color' if color else 'plain'}",
        render=functools.partial(render_entry, fmt=fmt, color=color),
    )


def render_entry(entry: Entry, fmt: LogFormat, *, color: bool = False) -> str:
    """One commit's piece of the log in format ``fmt``, ready to be joined with the others."""
    if fmt is LogFormat.JSON:
        text = json.dumps(entry_to_dict(entry), indent=2, ensure_ascii=False, sort_keys=False)
        return "".join(f"    {line}\n" for line in text.split("\n"))
    if fmt is LogFormat.MARKDOWN:
        return "".join(f"{line}\n" for line in _markdown_entry(entry))
    return "".join(f"{line}\n" for line in _text_entry(entry, color))


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
        **({"skipped_base": document.skipped_base} if document.skipped_base else {}),
    }


def skipped_to_dict(skipped: Skipped) -> dict[str, Any]:
    return {
        "commit": skipped.commit,
        "path": skipped.path,
        "blob": skipped.blob,
        "reason": skipped.reason,
    }


def log_to_dict(history: History) -> dict[str, Any]:
    """The JSON document of a history."""
    return _log_dict(history, [entry_to_dict(entry) for entry in history.entries])


def _log_dict(history: _AnyHistory, entries: list[Any]) -> dict[str, Any]:
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
        "entries": entries,
        "skipped": [skipped_to_dict(skipped) for skipped in history.skipped],
    }


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    return {
        "commit": commit_to_dict(entry.commit),
        "semantic": entry.semantic,
        "documents": [document_to_dict(document) for document in entry.documents],
    }


_NO_ENTRIES = '"entries": []'


def _json(history: _AnyHistory, entries: Iterable[RenderedEntry]) -> Iterator[str]:
    """``log_to_dict``'s document, with the entries' pieces put in place of an empty list.

    The frame is written before the entries and again after them (the skipped
    versions, its last key, are known only then); the part before ``entries``
    does not depend on them.
    """
    # Every '"' inside a JSON string is escaped, so the key appears exactly once.
    head = dumps(_log_dict(history, [])).split(_NO_ENTRIES)[0]
    separator = f'{head}"entries": [\n'
    for entry in entries:
        yield separator + entry.text.rstrip("\n")
        separator = ",\n"
    frame = dumps(_log_dict(history, []))
    assert frame.count(_NO_ENTRIES) == 1
    tail = frame.split(_NO_ENTRIES)[1]
    yield (f"{head}{_NO_ENTRIES}" if separator != ",\n" else "\n  ]") + tail


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


def deletion_line(document: DocumentChange) -> str:
    """``phase 4  docs/…/phase-4.md deleted: 23 components, 41 entries``: one line for
    what a deleted document held (the JSON keeps every record)."""
    base = document.comparison.base
    changes = document.comparison.changes
    components = sum(1 for c in changes if c.section == "components" and c.field is None)
    entries = len(changes) - components
    held = [plural(components, "component")] if components else []
    held += [plural(entries, "entry", "entries")] if entries else []
    what = f": {', '.join(held)}" if held else ""
    return f"phase {document.phase}  {base.path or ''} deleted{what}"


def bridged_note(document: DocumentChange) -> str | None:
    """What a comparison over an unreadable version compares instead, or None."""
    if document.skipped_base is None:
        return None
    lost = document.skipped_base[:7]
    base = document.comparison.base
    if base.rev is None or base.path is None:
        return f"the version at {lost} could not be read, and none before it: compared with nothing"
    return f"compared with the version at {base.rev[:7]}: the one at {lost} could not be read"


def _notes(diagnostics: Iterable[Diagnostic]) -> tuple[list[str], str | None]:
    return capped([diagnostic_text(d) for d in diagnostics])


def _text_entry(entry: Entry, color: bool) -> list[str]:
    commit = entry.commit
    header = f"commit {commit.short}  {commit.date[:10]}  {terminal_safe(commit.author)}"
    lines = [paint(header, YELLOW, color), f"    {terminal_safe(commit.subject)}"]
    for document in entry.documents:
        if document.status == "deleted":
            lines.append("  " + paint(terminal_safe(deletion_line(document)), BOLD, color))
            continue
        lines.append("  " + paint(terminal_safe(document_label(document)), BOLD, color))
        bridged = bridged_note(document)
        if bridged:
            lines.append("    " + paint(f"({bridged})", DIM, color))
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
    return lines


def _summary(entries: int, form_only: int) -> str:
    if not entries:
        return "No commit in the range changed a phase document."
    text = f"{plural(entries, 'commit')} changed phase documents"
    if form_only:
        text += f"; {form_only} of them only in form"
    return text + "."


# -- markdown ---------------------------------------------------------------------------


def _markdown_header(history: _AnyHistory) -> str:
    where = " ".join(
        part
        for part in (
            f"from {code(history.since.rev)}" if history.since.rev else "",
            f"to {code(history.until.rev or 'HEAD')}",
        )
        if part
    )
    return f"## Phase document history {where}".rstrip() + "\n\n"


def _markdown_entry(entry: Entry) -> list[str]:
    commit = entry.commit
    lines = [f"### {code(commit.short)} {escape(commit.subject)}"]
    lines.extend(["", f"{escape(commit.author)} · {commit.date[:10]}", ""])
    for document in entry.documents:
        if document.status == "deleted":
            lines.extend([escape(deletion_line(document)), ""])
            continue
        lines.extend([_markdown_label(document), ""])
        bridged = bridged_note(document)
        if bridged:
            lines.extend([f"_{escape(bridged)}_", ""])
        if not document.semantic:
            lines.extend([f"_{FORM_ONLY}_", ""])
            continue
        for section, changes in group_by_section(document.comparison.changes):
            lines.append(f"- {escape(section_title(section))}")
            lines.extend(f"  - {_markdown_change(change)}" for change in changes)
        lines.append("")
    return lines


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
