"""The changelog format: release notes and pull-request comments in GitHub markdown.

Breaking changes come first, under their own heading, because that is what a
reviewer or a release reader must not miss; the rest follow per section,
grouped as Added / Changed / Removed / Renamed.  Every piece of text that
comes from a document is escaped: a phase document must not be able to
inject markup, HTML, math, issue cross-references or ``@mentions`` into a
release page or a PR comment that pings people.
"""

from __future__ import annotations

import re

from phasediff.changes import Change, Comparison, Kind, Severity, Side
from phasediff.render.common import (
    Group,
    acknowledgement,
    capped,
    comparison_groups,
    diagnostic_text,
    finish,
    group_by_section,
    note_line,
    plural,
    rev_label,
    section_rank,
    section_title,
    summary_line,
)
from phasediff.render.describe import describe
from phasediff.render.mermaid import DEPRECATED_FILL, MODIFIED_FILL, NEW_FILL, drift_mermaid
from phasediff.text import collapse

_KIND_HEADINGS = (
    (Kind.ADDED, "Added"),
    (Kind.CHANGED, "Changed"),
    (Kind.REMOVED, "Removed"),
    (Kind.RENAMED, "Renamed"),
)

# Inline punctuation that CommonMark/GFM would read as markup ($ is GitHub math,
# [ opens a link or image).  Underscores are handled apart, see _underscores.
_INLINE = re.compile(r"([\\`*\[~|$])")
_ENTITY = re.compile(r"&(?=#|\w+;)")
_MENTION = re.compile(r"@(?=\w)")
_ISSUE_REF = re.compile(r"#(?=\d)")
_UNDERSCORES = re.compile(r"_+")
# What would open a block (heading, list, quote, thematic break) at the start of a line.
_BLOCK_START = re.compile(r"^(\s*)([#+\-=]|\d+(?=[.)]))")

DRIFT_LEGEND = (
    f"🟢 new (`{NEW_FILL}`) · 🔵 modified (`{MODIFIED_FILL}`) · "
    f"🔴 removed (`{DEPRECATED_FILL}`, dotted edges)"
)


def escape(text: str) -> str:
    """Document text as inert markdown: one line, no markup, no HTML, no pings.

    ``@name`` gets a zero-width space after the ``@`` (it still reads as
    ``@name`` but GitHub sees no mention); ``#123`` likewise, so a changelog
    does not cross-reference issues; ``<``/``>`` and entity-like ``&`` become
    entities.  The sentence arrow ``->`` becomes ``→``, which needs no escape.
    """
    text = collapse(text).replace(" -> ", " → ")
    text = _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    text = _INLINE.sub(r"\\\1", text)
    text = _UNDERSCORES.sub(_underscores, text)
    text = _MENTION.sub("@\u200b", text)
    text = _ISSUE_REF.sub("#\u200b", text)
    match = _BLOCK_START.match(text)
    if match:
        if match.group(2)[0].isdigit():  # "1. " opens a numbered list: escape its dot
            end = match.end()
            text = f"{text[:end]}\\{text[end:]}"
        else:
            text = f"{match.group(1)}\\{text[match.start(2) :]}"
    return text


def _underscores(match: re.Match[str]) -> str:
    """Escape ``_`` only where it could be emphasis: ``LOKI_URL`` stays readable in the source.

    CommonMark never opens or closes ``_`` emphasis inside a word, so a run
    with a letter or digit on both sides is literal already.
    """
    text = match.string
    before = text[match.start() - 1] if match.start() > 0 else " "
    after = text[match.end()] if match.end() < len(text) else " "
    if before.isalnum() and after.isalnum():
        return match.group(0)
    return match.group(0).replace("_", "\\_")


def code(text: str) -> str:
    """``text`` as an inline code span that no backtick inside it can close."""
    text = collapse(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _phase(side: Side) -> str:
    return f"Phase {side.phase}" if side.phase else (side.path or "Document")


def heading(comparison: Comparison) -> str:
    """``Phase 2 → Phase 3``, or ``Phase 3: v2.0 → HEAD`` when one phase moved between revisions."""
    base, head = comparison.base, comparison.head
    if base.phase == head.phase and base.rev != head.rev:
        return f"{escape(_phase(head))}: {escape(rev_label(base))} → {escape(rev_label(head))}"
    return f"{escape(_phase(base))} → {escape(_phase(head))}"


def _where(side: Side) -> str:
    rev = code(side.rev) if side.rev is not None else "working tree"
    return f"{code(side.path)} @ {rev}" if side.path else rev


def _summary(comparison: Comparison) -> str:
    text = summary_line(comparison)
    if ":" in text and comparison.changes:
        count, rest = text.split(":", 1)
        text = f"**{count}:**{rest}"
    note = note_line(comparison)
    return f"{escape(note)} {text}" if note else text


def _bullet(change: Change, *, with_rule: bool) -> str:
    text = escape(describe(change))
    acknowledged = acknowledgement(change)
    if change.severity is Severity.WARNING:
        text, with_rule = f"**Warning:** {text}", True
    if with_rule:
        text = f"{text} {code(change.rule)}"
    if acknowledged:
        text = f"{text} — _{escape(acknowledged)}_"
    return f"- {text}"


def _section(
    section: str, changes: list[Change], drift: str | None, *, title: str | None = None
) -> list[str]:
    lines = [f"### {escape(title or section_title(section))}", ""]
    lines.extend(_by_kind(changes))
    if drift is not None:
        lines.extend(["```mermaid", drift.rstrip("\n"), "```", "", DRIFT_LEGEND, ""])
    return lines


COLLAPSE_OVER = 5
"""A section outside the architecture with more changes than this is collapsed in ``<details>``."""


def _phase_sections(comparison: Comparison, rest: list[Change], drift: str | None) -> list[str]:
    """Between phases: the architecture's sections, then every other section, large ones folded."""
    kept = {id(change) for change in rest}
    lines: list[str] = []
    groups = [
        Group(g.title, [c for c in g.changes if id(c) in kept], g.narrative)
        for g in comparison_groups(comparison)
    ]
    if drift is not None and not any(g.title == section_title("diagram") for g in groups):
        groups.insert(0 if not groups else 1, Group(section_title("diagram"), [], False))
    narrative_started = False
    for group in groups:
        is_diagram = group.title == section_title("diagram") and not group.narrative
        if not group.changes and not (is_diagram and drift is not None):
            continue
        if not group.narrative:
            lines.extend(
                _section("", group.changes, drift if is_diagram else None, title=group.title)
            )
            continue
        if not narrative_started:
            narrative_started = True
            lines.extend(["### Other sections", ""])
        if len(group.changes) <= COLLAPSE_OVER:
            lines.extend([f"#### {escape(group.title)}", "", *_by_kind(group.changes)])
            continue
        summary = f"<b>{escape(group.title)}</b> ({plural(len(group.changes), 'change')})"
        lines.extend([f"<details><summary>{summary}</summary>", "", *_by_kind(group.changes)])
        lines.extend(["</details>", ""])
    return lines


def _by_kind(changes: list[Change]) -> list[str]:
    lines: list[str] = []
    for kind, title in _KIND_HEADINGS:
        bullets = [_bullet(c, with_rule=False) for c in changes if c.kind is kind]
        if bullets:
            lines.extend([f"**{title}**", "", *bullets, ""])
    return lines


def render(comparison: Comparison, *, color: bool = False) -> str:
    """The changelog of one comparison; ``color`` is ignored (markdown has none)."""
    del color
    lines = [f"## {heading(comparison)}", ""]
    lines.extend([f"{_where(comparison.base)} → {_where(comparison.head)}", ""])
    lines.extend([_summary(comparison), ""])

    breaking = [c for c in comparison.changes if c.severity is Severity.BREAKING]
    if breaking:
        lines.extend(["### ⚠️ Breaking changes", ""])
        lines.extend(
            _bullet(c, with_rule=True) for _, group in group_by_section(breaking) for c in group
        )
        lines.append("")

    # Breaking changes are listed once, above; the sections hold the rest.
    rest = [c for c in comparison.changes if c.severity is not Severity.BREAKING]
    drift = drift_mermaid(comparison.base_diagram, comparison.head_diagram)
    groups = group_by_section(rest)
    if drift is not None and "diagram" not in dict(groups):
        # The drift graph belongs under the diagram heading even when every
        # diagram change was breaking (listed above) or none was reported.
        groups = sorted([*groups, ("diagram", [])], key=lambda group: section_rank(group[0]))
    if comparison.scope:
        lines.extend(_phase_sections(comparison, rest, drift))
    else:
        for section, changes in groups:
            lines.extend(_section(section, changes, drift if section == "diagram" else None))

    notes = [escape(diagnostic_text(d)) for d in comparison.diagnostics]
    if notes:
        shown, more = capped(notes)
        lines.extend([f"<details><summary>Parse notes ({len(notes)})</summary>", ""])
        lines.extend(f"- {note}" for note in shown)
        if more:
            lines.append(f"- {more}")
        lines.extend(["", "</details>"])
    return finish(lines)
