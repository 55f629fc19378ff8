"""The GitHub Actions format: workflow commands that annotate the document lines.

Each breaking change becomes an ``::error`` and each warning a ``::warning``
on the line that changed, so a pull request shows the drift where it was
written; info changes would only be noise in the checks tab and are left out.
Document text goes through the runner's escaping rules, so a value in a
document can neither end the command early nor start a new one.
"""

from __future__ import annotations

from phasediff.changes import Change, Comparison, Severity
from phasediff.render.common import acknowledgement, finish, group_by_section, summary_line
from phasediff.render.describe import describe

_COMMANDS = {Severity.BREAKING: "error", Severity.WARNING: "warning"}


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF percent-encoded (``%`` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as a message, and ``:`` and ``,`` too, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(change: Change) -> str | None:
    """``::error file=…,line=…,title=phasediff rule::description``, or None for info changes.

    An acknowledged change no longer fails the gate, so it is a notice, not an
    error: a red annotation on intended drift would cry wolf.
    """
    command = _COMMANDS.get(change.severity)
    if command is None:
        return None
    message = describe(change)
    acknowledged = acknowledgement(change)
    if acknowledged:
        command, message = "notice", f"{message} [{acknowledged}]"
    properties = []
    if change.path:
        properties.append(f"file={escape_property(change.path)}")
        if change.line:
            properties.append(f"line={change.line}")
    properties.append(f"title={escape_property(f'phasediff {change.rule}')}")
    return f"::{command} {','.join(properties)}::{escape_data(message)}"


def render(comparison: Comparison, *, color: bool = False) -> str:
    """Annotations for the breaking and warning changes, then a plain summary line."""
    del color
    changes = [change for _, group in group_by_section(comparison.changes) for change in group]
    lines = [line for line in map(annotation, changes) if line is not None]
    lines.append(f"phasediff: {summary_line(comparison)}")
    return finish(lines)
