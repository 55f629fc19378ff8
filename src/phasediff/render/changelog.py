"""``phasediff changelog``: release notes from the documents' content, not commit messages.

A ``Changelog`` in, text out: markdown (the default, for a release page or a
``CHANGELOG.md``), text and JSON, or any layout through a Jinja2 template fed
the same data the JSON holds.  Phases added and removed come first; then each
changed phase, its changes grouped breaking first, then added / changed /
removed / renamed, each with the commits that brought it.

``prepend`` puts a new section on top of an existing changelog and leaves
every byte of the rest as it was.  This module is the only one that imports
Jinja2.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from typing import Any

from phasediff.changes import Change, Kind, Severity
from phasediff.errors import PhasediffError
from phasediff.history import Changelog, Commit, PhaseRelease
from phasediff.render.common import NARRATIVE_SECTIONS, finish, plural
from phasediff.render.describe import describe
from phasediff.render.json import (
    SCHEMA_VERSION,
    change_to_dict,
    comparison_to_dict,
    dumps,
)
from phasediff.render.log import commit_to_dict, skipped_to_dict
from phasediff.render.markdown import code, escape
from phasediff.render.text import terminal_safe


class ChangelogFormat(enum.Enum):
    MARKDOWN = "markdown"
    TEXT = "text"
    JSON = "json"


#: Where a release section goes in an existing changelog: before the first release.
_RELEASE_HEADING = re.compile(r"^##(?:[ \t]|$)")
_TITLE_HEADING = re.compile(r"^#(?:[ \t]|$)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")

_GROUPS: tuple[tuple[str, Callable[[Change], bool]], ...] = (
    ("Breaking", lambda c: c.severity is Severity.BREAKING),
    ("Added", lambda c: c.severity is not Severity.BREAKING and c.kind is Kind.ADDED),
    ("Changed", lambda c: c.severity is not Severity.BREAKING and c.kind is Kind.CHANGED),
    ("Removed", lambda c: c.severity is not Severity.BREAKING and c.kind is Kind.REMOVED),
    ("Renamed", lambda c: c.severity is not Severity.BREAKING and c.kind is Kind.RENAMED),
)


def render_changelog(changelog: Changelog, fmt: ChangelogFormat) -> str:
    """``changelog`` in format ``fmt``."""
    if fmt is ChangelogFormat.JSON:
        return dumps(changelog_to_dict(changelog))
    if fmt is ChangelogFormat.TEXT:
        return _text(changelog)
    return _markdown(changelog)


# -- shared wording ------------------------------------------------------------------------


def release_title(changelog: Changelog) -> str:
    """``v3.0 (2026-07-10)``; ``Unreleased`` when the range ends at HEAD."""
    rev = changelog.until.rev or "HEAD"
    if rev == "HEAD":
        return "Unreleased"
    return f"{rev} ({changelog.date[:10]})" if changelog.date else rev


def phase_title(release: PhaseRelease) -> str:
    return f"Phase {release.phase}" + (f": {release.name}" if release.name else "")


def _count(changelog: Changelog, status: str) -> int:
    return sum(1 for release in changelog.phases if release.status == status)


def _severity_count(changelog: Changelog, severity: Severity) -> int:
    return sum(
        release.comparison.count(severity) for release in changelog.phases if _listed(release)
    )


def _listed(release: PhaseRelease) -> bool:
    """Is the release's change list worth listing: a changed phase, or a new phase's drift?"""
    return release.status == "changed" or release.compared_with is not None


def summary(changelog: Changelog) -> str:
    """``1 phase added, 2 phases changed; 3 breaking, 1 warning, 20 info``."""
    parts = [
        plural(_count(changelog, status), "phase", "phases") + f" {status}"
        for status in ("added", "removed", "changed")
        if _count(changelog, status)
    ]
    if not parts:
        return "no architectural changes"
    counts = [
        f"{_severity_count(changelog, Severity.BREAKING)} breaking",
        plural(_severity_count(changelog, Severity.WARNING), "warning"),
        f"{_severity_count(changelog, Severity.INFO)} info",
    ]
    return ", ".join(parts) + "; " + ", ".join(counts)


def _groups(
    release: PhaseRelease, *, narrative: bool | None = None
) -> Iterable[tuple[str, list[tuple[Change, tuple[Commit, ...]]]]]:
    """The release's changes by severity and kind; ``narrative`` keeps only the architecture
    (False) or only the other sections (True) of a new phase's drift."""
    pairs = list(zip(release.comparison.changes, release.attributions, strict=True))
    if narrative is not None:
        pairs = [(c, commits) for c, commits in pairs if _is_narrative(c) is narrative]
    for title, belongs in _GROUPS:
        chosen = [(change, commits) for change, commits in pairs if belongs(change)]
        if chosen:
            yield title, chosen


def _is_narrative(change: Change) -> bool:
    return change.section in NARRATIVE_SECTIONS


def drift_title(release: PhaseRelease) -> str:
    """``Phase 3: Tracing — what it brings over phase 2``."""
    return f"{phase_title(release)} — what it brings over phase {release.compared_with}"


def drift_counts(release: PhaseRelease) -> str:
    """``27 changes: 8 breaking, 6 warnings, 13 info; 120 more in the other sections``."""
    architecture = [c for c in release.comparison.changes if not _is_narrative(c)]
    rest = len(release.comparison.changes) - len(architecture)
    counts = ", ".join(
        (
            f"{sum(1 for c in architecture if c.severity is Severity.BREAKING)} breaking",
            plural(sum(1 for c in architecture if c.severity is Severity.WARNING), "warning"),
            f"{sum(1 for c in architecture if c.severity is Severity.INFO)} info",
        )
    )
    text = f"{plural(len(architecture), 'architectural change')}: {counts}"
    if rest:
        text += f"; {plural(rest, 'change')} in the other sections"
    return text


# -- JSON (and template data) -------------------------------------------------------------


def changelog_to_dict(changelog: Changelog) -> dict[str, Any]:
    """The changelog as data: the JSON format, and what a ``--template`` sees."""
    return {
        "schema_version": SCHEMA_VERSION,
        "title": release_title(changelog),
        "from": {"rev": changelog.since.rev, "commit": changelog.since.sha},
        "to": {"rev": changelog.until.rev, "commit": changelog.until.sha, "date": changelog.date},
        "summary": {
            "phases_added": _count(changelog, "added"),
            "phases_removed": _count(changelog, "removed"),
            "phases_changed": _count(changelog, "changed"),
            "breaking": _severity_count(changelog, Severity.BREAKING),
            "warning": _severity_count(changelog, Severity.WARNING),
            "info": _severity_count(changelog, Severity.INFO),
            "text": summary(changelog),
        },
        "phases": [_release_to_dict(release) for release in changelog.phases],
        "commits": [commit_to_dict(commit) for commit in changelog.commits],
        "skipped": [skipped_to_dict(skipped) for skipped in changelog.skipped],
    }


def _release_to_dict(release: PhaseRelease) -> dict[str, Any]:
    comparison = comparison_to_dict(release.comparison)
    comparison["changes"] = [
        {
            **change_to_dict(change),
            "description": describe(change),
            "commits": [commit_to_dict(commit) for commit in commits],
        }
        for change, commits in zip(release.comparison.changes, release.attributions, strict=True)
    ]
    return {
        "phase": release.phase,
        "name": release.name,
        "title": phase_title(release),
        "status": release.status,
        "compared_with": release.compared_with,
        **comparison,
        "commits": [commit_to_dict(commit) for commit in release.commits],
    }


# -- markdown ----------------------------------------------------------------------------


def _shas(commits: Iterable[Commit]) -> str:
    return ", ".join(code(commit.short) for commit in commits)


def _phase_line(release: PhaseRelease) -> str:
    side = release.comparison.head if release.status == "added" else release.comparison.base
    line = f"- **{escape(phase_title(release))}**"
    if side.path:
        line += f" ({code(side.path)})"
    if release.commits:
        line += f" — {_shas(release.commits)}"
    return line


def _markdown(changelog: Changelog) -> str:
    since = code(changelog.since.rev or "")
    until = code(changelog.until.rev or "HEAD")
    lines = [f"## {escape(release_title(changelog))}", ""]
    lines.extend([f"Architecture changes from {since} to {until}: {summary(changelog)}.", ""])
    for status, title in (("added", "Phases added"), ("removed", "Phases removed")):
        releases = [r for r in changelog.phases if r.status == status]
        if releases:
            lines.extend([f"### {title}", "", *(_phase_line(r) for r in releases), ""])
    for release in changelog.phases:
        if not _listed(release):
            continue
        if release.status == "added":
            lines.extend([f"### {escape(drift_title(release))}", ""])
            lines.extend([f"{escape(drift_counts(release))}.", ""])
            lines.extend(_markdown_groups(_groups(release, narrative=False)))
            rest = list(_groups(release, narrative=True))
            if rest:
                count = sum(len(changes) for _, changes in rest)
                summary_text = f"Other sections ({plural(count, 'change')})"
                lines.extend([f"<details><summary>{summary_text}</summary>", ""])
                lines.extend([*_markdown_groups(rest), "</details>", ""])
            continue
        lines.extend([f"### {escape(phase_title(release))}", ""])
        path = release.comparison.head.path
        where = f"{code(path)}, " if path else ""
        lines.extend([f"{where}{plural(len(release.commits), 'commit')}", ""])
        lines.extend(_markdown_groups(_groups(release)))
    unchanged = [r for r in changelog.phases if r.status == "unchanged"]
    if unchanged:
        names = ", ".join(escape(f"Phase {r.phase}") for r in unchanged)
        lines.extend([f"No architectural changes: {names}.", ""])
    return finish(lines)


def _markdown_groups(
    groups: Iterable[tuple[str, list[tuple[Change, tuple[Commit, ...]]]]],
) -> list[str]:
    lines: list[str] = []
    for title, changes in groups:
        heading = "⚠️ Breaking" if title == "Breaking" else title
        lines.extend([f"**{heading}**", ""])
        for change, commits in changes:
            text = escape(describe(change))
            if title == "Breaking":
                text += f" {code(change.rule)}"
            elif change.severity is Severity.WARNING:
                text = f"**Warning:** {text} {code(change.rule)}"
            if commits:
                text += f" — {_shas(commits)}"
            lines.append(f"- {text}")
        lines.append("")
    return lines


# -- text ----------------------------------------------------------------------------------


def _text(changelog: Changelog) -> str:
    since = changelog.since.rev or ""
    until = changelog.until.rev or "HEAD"
    lines = [terminal_safe(f"{release_title(changelog)}: {since} -> {until}")]
    lines.extend([terminal_safe(summary(changelog)), ""])
    for release in changelog.phases:
        if release.status == "unchanged":
            continue
        shas = " ".join(commit.short for commit in release.commits)
        lines.append(terminal_safe(f"{phase_title(release)} ({release.status}) {shas}".rstrip()))
        if release.status == "changed":
            lines.extend(_text_groups(_groups(release)))
        elif _listed(release):
            lines.append(
                terminal_safe(f"  Over phase {release.compared_with}: {drift_counts(release)}")
            )
            lines.extend(_text_groups(_groups(release, narrative=False)))
            rest = [change for change in release.comparison.changes if _is_narrative(change)]
            if rest:
                sections = len(
                    {(c.section, c.key if c.section == "document" else "") for c in rest}
                )
                lines.append(
                    f"  Other sections: {plural(len(rest), 'change')} in "
                    f"{plural(sections, 'section')} (--format markdown or json lists them)"
                )
        lines.append("")
    return finish(lines)


def _text_groups(
    groups: Iterable[tuple[str, list[tuple[Change, tuple[Commit, ...]]]]],
) -> list[str]:
    lines: list[str] = []
    for title, changes in groups:
        lines.append(f"  {title}")
        for change, commits in changes:
            refs = " ".join(commit.short for commit in commits)
            text = terminal_safe(describe(change))
            lines.append(f"    - {text}" + (f"  [{refs}]" if refs else ""))
    return lines


# -- templates ------------------------------------------------------------------------------


def render_template(changelog: Changelog, template: str, name: str) -> str:
    """``template`` (Jinja2 source) rendered with ``changelog_to_dict``'s data.

    Every key of the JSON is a variable (``title``, ``phases``, ``commits``,
    ...), and ``changelog`` is all of it.  Filters: ``md`` escapes document
    text for markdown, ``code`` makes an inline code span.  Undefined names
    are errors, not blanks, so a typo cannot ship an empty release note.  The
    template runs sandboxed: it can read the data, nothing else.
    """
    # Imported here, where it is needed: ``phasediff log`` never pays for Jinja2.
    from phasediff.render.templating import (
        TemplateError,
        TemplateSyntaxError,
        sandboxed_environment,
    )

    environment = sandboxed_environment()
    environment.filters["md"] = lambda value: escape(str(value))
    environment.filters["code"] = lambda value: code(str(value))
    data = changelog_to_dict(changelog)
    try:
        compiled = environment.from_string(template)
        text = compiled.render(changelog=data, **data)
    except TemplateSyntaxError as exc:
        raise PhasediffError(
            f"Template {name}, line {exc.lineno}: {exc.message}. Fix the template "
            "(phasediff/templates/changelog.md.j2 is a working example)."
        ) from exc
    except TemplateError as exc:
        raise PhasediffError(
            f"Template {name} failed: {exc.message or exc}. `phasediff changelog --format json` "
            "shows the data a template can use."
        ) from exc
    return text if text.endswith("\n") else text + "\n"


# -- --prepend ----------------------------------------------------------------------------


def prepend(existing: str, section: str) -> str:
    """``existing`` with ``section`` inserted above its first release; the rest untouched.

    The first release is the first ``##`` heading outside code; without one,
    the section goes after a ``#`` title and its introduction, else on top.
    The section takes the file's line endings (CRLF stays CRLF).  Prepending
    the section that is already on top changes nothing, so a re-run release
    job does not duplicate it.
    """
    newline = "\r\n" if "\r\n" in existing.split("\n", 1)[0] + "\n" else "\n"
    block = section.rstrip("\n").replace("\n", newline) + newline
    at = _insertion_point(existing)
    before, after = existing[:at], existing[at:]
    if after.startswith(block):
        return existing
    if before and not before.endswith(newline * 2):
        block = (newline if before.endswith(newline) else newline * 2) + block
    if after:
        block += newline
    return before + block + after


def _insertion_point(text: str) -> int:
    offset = 0
    fence: str | None = None
    title_end: int | None = None
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        marker = _FENCE.match(bare)
        if fence is not None:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = None
        elif marker:
            fence = marker.group(1)
        elif _RELEASE_HEADING.match(bare):
            return offset
        elif _TITLE_HEADING.match(bare) and title_end is None:
            title_end = offset + len(line)
        offset += len(line)
    return len(text) if title_end is not None else 0
