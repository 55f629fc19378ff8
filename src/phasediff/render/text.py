"""The terminal format: a header, changes per section with a marker each, a summary.

Made for ``phasediff 2 3`` at a terminal: the marker (``!`` breaking, ``~``
warning, ``+ - * >`` for added, removed, changed, renamed) carries the
meaning without colour, so the output reads the same piped into a file or a
CI log; colour is only added when the CLI asks for it.  Document text is
made terminal-safe, because a phase document must not be able to move the
cursor or recolour the user's terminal.
"""

from __future__ import annotations

import unicodedata

from phasediff.changes import Change, Comparison, Kind, Severity
from phasediff.render.common import (
    acknowledgement,
    capped,
    comparison_groups,
    diagnostic_text,
    finish,
    note_line,
    side_label,
    summary_line,
)
from phasediff.render.describe import describe

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
RED = "\x1b[31m"
RED_BOLD = "\x1b[1;31m"
GREEN = "\x1b[32m"
YELLOW = "\x1b[33m"
CYAN = "\x1b[36m"

GROUP_LIMIT = 12
"""Changes a section outside the architecture shows in the terminal before ``… and N more``."""

_KIND_MARKERS = {Kind.ADDED: "+", Kind.REMOVED: "-", Kind.CHANGED: "*", Kind.RENAMED: ">"}
_KIND_COLOURS = {Kind.ADDED: GREEN, Kind.REMOVED: RED, Kind.CHANGED: CYAN, Kind.RENAMED: CYAN}

# Bidirectional overrides reorder what the eye sees ("Trojan Source"); they
# are invisible, so they are shown escaped like control characters.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def terminal_safe(text: str) -> str:
    """Control and bidi characters from a document shown as ``\\x1b``-style escapes."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char in _BIDI or unicodedata.category(char) == "Cc":
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


def paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{RESET}" if color and style else text


def marker(change: Change) -> str:
    """Severity first: a breaking removal is ``!``, not ``-``; info changes show their kind."""
    if change.severity is Severity.BREAKING:
        return "!"
    if change.severity is Severity.WARNING:
        return "~"
    return _KIND_MARKERS[change.kind]


def _style(change: Change) -> str:
    if change.severity is Severity.BREAKING:
        return RED_BOLD
    if change.severity is Severity.WARNING:
        return YELLOW
    return _KIND_COLOURS[change.kind]


def change_line(change: Change, *, color: bool = False) -> str:
    """``  ! Component Promtail removed (replaced by Grafana Alloy)``."""
    text = f"{marker(change)} {terminal_safe(describe(change))}"
    line = "  " + paint(text, _style(change), color)
    acknowledged = acknowledgement(change)
    if acknowledged:
        line += " " + paint(f"[{terminal_safe(acknowledged)}]", DIM, color)
    return line


def render(comparison: Comparison, *, color: bool = False) -> str:
    """The whole terminal report of one comparison."""
    header = f"phasediff: {side_label(comparison.base)} -> {side_label(comparison.head)}"
    lines = [paint(terminal_safe(header), BOLD, color), ""]
    narrative_started = False
    for group in comparison_groups(comparison):
        if group.narrative and not narrative_started:
            narrative_started = True
            lines.extend([paint("Other sections", BOLD, color), ""])
        lines.append(paint(terminal_safe(group.title), BOLD, color))
        listed = group.changes
        if group.narrative and len(listed) > GROUP_LIMIT:
            listed = listed[: GROUP_LIMIT - 2]
        lines.extend(change_line(change, color=color) for change in listed)
        if len(listed) < len(group.changes):
            hidden = len(group.changes) - len(listed)
            lines.append(
                paint(
                    f"  … and {hidden} more in this section (--format json lists all)", DIM, color
                )
            )
        lines.append("")
    headline = note_line(comparison)
    if headline:
        lines.append(terminal_safe(headline))
    lines.append(summary_line(comparison))
    notes = [terminal_safe(diagnostic_text(d)) for d in comparison.diagnostics]
    shown, more = capped(notes)
    lines.extend(paint(f"note: {note}", DIM, color) for note in shown)
    if more:
        lines.append(paint(more, DIM, color))
    return finish(lines)
