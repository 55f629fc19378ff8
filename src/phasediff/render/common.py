"""Pieces every renderer shares, so the formats agree on words, order and values.

Section order and titles, the summary counts, how a side of a comparison is
named and how arbitrary document data becomes JSON-safe live here once; each
format module only decides layout and escaping.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from phasediff.changes import SECTION_TITLES, SECTIONS, Change, Comparison, Severity, Side
from phasediff.model import Diagnostic
from phasediff.text import collapse

MAX_DIAGNOSTICS = 5
"""Parse notes shown by the human formats before ``… and N more``: enough to act on, not a flood."""

SEVERITY_ORDER = (Severity.BREAKING, Severity.WARNING, Severity.INFO)


def section_title(section: str) -> str:
    """The display title of a section; unknown sections (a newer diff engine) still read well."""
    return SECTION_TITLES.get(section) or section.replace("_", " ").strip().capitalize() or "Other"


_SECTION_ORDER = {name: index for index, name in enumerate(SECTIONS)}


def section_rank(section: str) -> tuple[int, str]:
    """Sort key of a section: changelog order, then sections the table does not know, by name."""
    return _SECTION_ORDER.get(section, len(_SECTION_ORDER)), section


def group_by_section(changes: Iterable[Change]) -> list[tuple[str, list[Change]]]:
    """Changes per section in changelog order, most severe first within a section.

    The sort is stable, so changes of equal severity keep the comparison's own
    (already deterministic) order, and output stays byte-stable whatever
    sections the diff engine emits.
    """
    buckets: dict[str, list[Change]] = {}
    for change in changes:
        buckets.setdefault(change.section, []).append(change)
    return [
        (name, sorted(buckets[name], key=lambda c: -c.severity.rank))
        for name in sorted(buckets, key=section_rank)
    ]


# Between phases the architecture comes first; these sections follow it, each a group.
NARRATIVE_SECTIONS = (
    "whats_new",
    "integration",
    "data_flow",
    "security",
    "testing",
    "rollback",
    "limitations",
    "success_criteria",
    "references",
    "document",
)


@dataclass(frozen=True)
class Group:
    """A run of changes under one heading: a section, or one section of the document by title."""

    title: str
    changes: list[Change]
    narrative: bool  # outside the architecture: summarised or collapsed when large


def comparison_groups(comparison: Comparison) -> list[Group]:
    """The comparison's changes as the human formats present them.

    Between two revisions: per section, as ``group_by_section``.  Between two
    phases: the architecture's sections first, then every other section, and
    the sections the template does not name one group each, by title.
    """
    if not comparison.scope:
        return [
            Group(section_title(name), changes, False)
            for name, changes in group_by_section(comparison.changes)
        ]
    architecture = [c for c in comparison.changes if c.section not in NARRATIVE_SECTIONS]
    groups = [
        Group(section_title(name), changes, False)
        for name, changes in group_by_section(architecture)
    ]
    order = {name: index for index, name in enumerate(NARRATIVE_SECTIONS)}
    rest = [c for c in comparison.changes if c.section in NARRATIVE_SECTIONS]
    buckets: dict[tuple[int, str], list[Change]] = {}
    titles: dict[tuple[int, str], str] = {}
    for change in rest:
        if change.section == "document":
            bucket = (order["document"], change.key.casefold())
            titles.setdefault(bucket, change.key)
        else:
            bucket = (order[change.section], "")
            titles.setdefault(bucket, section_title(change.section))
        buckets.setdefault(bucket, []).append(change)
    groups.extend(
        Group(titles[key], sorted(buckets[key], key=lambda c: -c.severity.rank), True)
        for key in sorted(buckets)
    )
    return groups


def note_line(comparison: Comparison) -> str | None:
    """The comparison's note as a sentence (``Neither document names components; …``)."""
    note = collapse(comparison.note)
    return f"{note[:1].upper()}{note[1:]}." if note else None


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def counts_text(comparison: Comparison) -> str:
    """``3 breaking, 2 warnings, 7 info``: every severity named, so CI log lines line up."""
    return ", ".join(
        (
            f"{comparison.count(Severity.BREAKING)} breaking",
            plural(comparison.count(Severity.WARNING), "warning"),
            f"{comparison.count(Severity.INFO)} info",
        )
    )


def acknowledged_count(comparison: Comparison) -> int:
    return sum(1 for change in comparison.changes if change.acknowledged is not None)


def acknowledgement(change: Change) -> str | None:
    """``acknowledged: <reason>`` for an intended change (``accept``), None for any other."""
    if change.acknowledged is None:
        return None
    reason = collapse(change.acknowledged)
    return f"acknowledged: {reason}" if reason else "acknowledged"


def summary_line(comparison: Comparison) -> str:
    """``12 changes: 3 breaking, 2 warnings, 7 info`` (``; 1 acknowledged``), or none at all."""
    if not comparison.changes:
        return "No architectural changes."
    line = f"{plural(len(comparison.changes), 'change')}: {counts_text(comparison)}"
    acknowledged = acknowledged_count(comparison)
    return f"{line}; {acknowledged} acknowledged" if acknowledged else line


def rev_label(side: Side) -> str:
    """A revision as a person reads it; ``None`` is the working tree, not a missing value."""
    return "working tree" if side.rev is None else side.rev


def side_label(side: Side) -> str:
    """``phase 2 (docs/phase-2/ARCHITECTURE.md @ HEAD)``; degrades when a part is unknown."""
    name = f"phase {side.phase}" if side.phase else (side.path or "document")
    where = f"{side.path} @ {rev_label(side)}" if side.path else rev_label(side)
    return f"{name} ({where})"


def diagnostic_text(diagnostic: Diagnostic) -> str:
    """``line 42: message`` (``docs/phase-3.md:42: message`` when it names its document)."""
    if diagnostic.path:
        where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.line else diagnostic.path
        return f"{where}: {diagnostic.message}"
    if diagnostic.line:
        return f"line {diagnostic.line}: {diagnostic.message}"
    return diagnostic.message


def capped(items: list[str], limit: int = MAX_DIAGNOSTICS) -> tuple[list[str], str | None]:
    """At most ``limit`` items, and ``… and N more``: a broken document must not bury a result."""
    if len(items) <= limit:
        return items, None
    return items[:limit], f"… and {len(items) - limit} more"


def finish(lines: Iterable[str]) -> str:
    """Join lines so the output ends with exactly one newline, whatever the last line was."""
    return "\n".join(lines).rstrip("\n") + "\n"


def scalar_text(value: Any) -> str:
    """How a YAML/JSON scalar reads as a JSON object key or as a stringified value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


# Python refuses to print integers beyond ~4300 digits (int_max_str_digits):
# such a value is data nobody reads, so it is shown by size instead of raising.
_INT_BITS = 4096


#: At most this many values come out of one ``jsonable`` call; the rest reads ``<truncated>``.
#: ``markdown.load_yaml`` already refuses blocks that aliases blow up; this holds for any value.
JSONABLE_BUDGET = 1_000_000


def jsonable(value: Any) -> Any:
    """Any value (change values, parsed YAML) as plain JSON data, never raising.

    YAML can hold what JSON cannot: non-string keys, dates, sets, binary,
    NaN, and anchors that make a structure refer to itself.  Keys and odd
    scalars become strings, NaN/infinity become their text, and a cycle is cut
    with ``"<recursive>"``, so ``json.dumps`` of the result always succeeds.
    Shared parts (aliases) are written out each time they occur, up to
    ``JSONABLE_BUDGET`` values in all.
    """
    return _jsonable(value, frozenset(), [JSONABLE_BUDGET])


def _jsonable(value: Any, path: frozenset[int], budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        return "<truncated>"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _INT_BITS:
        return f"<integer of {value.bit_length()} bits>"
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else scalar_text(value)
    if isinstance(value, dict | list | tuple | set | frozenset):
        if id(value) in path:
            return "<recursive>"
        inner = path | {id(value)}
        if isinstance(value, dict):
            return {scalar_text(key): _jsonable(item, inner, budget) for key, item in value.items()}
        if isinstance(value, set | frozenset):
            return sorted((_jsonable(item, inner, budget) for item in value), key=scalar_text)
        return [_jsonable(item, inner, budget) for item in value]
    return scalar_text(value)
