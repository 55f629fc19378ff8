"""The pull-request comment: a pull request's drift in, one markdown body out.

Pure: no git, no network, no clock.  The body opens with a hidden marker
(``<!-- phasediff:ID -->``) by which the bot finds its own comment again, then
a one-line verdict, the breaking changes with the rule that flags each, the
warnings, the acknowledged changes, everything else collapsed, the diagram
drift, and the commits compared.

GitHub refuses a comment over 65,536 characters, and a pull request may
rewrite a whole document, so the body degrades until it fits: first the
other changes are collapsed to counts per section and the diagrams dropped
(``COLLAPSED``), then warnings and acknowledged changes are counted too
(``SUMMARY``), and last the remaining list is cut, saying how many changes
were left out.  Breaking changes are the last thing to go.

Every piece of document text goes through ``render.markdown.escape`` (or
into a code span), so a document can neither break the comment's markup nor
ping anyone.
"""

from __future__ import annotations

import enum
import html
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from phasediff.changes import Change, Comparison, Severity
from phasediff.pullrequest import DocumentStatus, PhaseDrift, PullRequestDrift
from phasediff.render.common import group_by_section, plural, section_title
from phasediff.render.describe import describe
from phasediff.render.markdown import DRIFT_LEGEND, code, escape
from phasediff.render.mermaid import drift_mermaid

COMMENT_LIMIT = 65_536
"""GitHub's limit on a comment body, in characters; a body is always shorter."""

DEFAULT_COMMENT_ID = "default"
MAX_LISTED_PHASES = 5
MAX_HINT_FINGERPRINTS = 10

_COMMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_Prefix = Callable[[PhaseDrift], str]  # "Phase 3 · " before a change, or nothing
_ICONS = {Severity.BREAKING: "🔴", Severity.WARNING: "🟡", Severity.INFO: "🔵"}


class Detail(enum.IntEnum):
    """How much of the drift the body spells out; each level is shorter than the one before."""

    FULL = 0
    COLLAPSED = 1
    SUMMARY = 2


class Action(enum.Enum):
    """What the bot does with the pull request's comments."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"  # the earlier comment already says this
    SKIP = "skip"  # no drift and no earlier comment: say nothing


@dataclass(frozen=True)
class CommentOptions:
    comment_id: str = DEFAULT_COMMENT_ID
    accept_file: str = ".phasediff-accept.yaml"
    gate: Severity = Severity.BREAKING  # changes at or above it get the "acknowledge" hint
    limit: int = COMMENT_LIMIT


def check_comment_id(text: str) -> str:
    """``text`` as a comment id, or ``ValueError``: it must keep the HTML marker intact."""
    if not _COMMENT_ID.fullmatch(text):
        raise ValueError(
            f"Comment id '{text}' is not allowed. Use up to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return text


def marker(comment_id: str) -> str:
    """The hidden first line by which the bot recognises its own comment."""
    return f"<!-- phasediff:{check_comment_id(comment_id)} -->"


def is_own_comment(body: str, comment_id: str) -> bool:
    """Whether a comment body is this bot's: its first line is exactly the marker."""
    first = body.lstrip("\ufeff").split("\n", 1)[0].strip()
    return first == marker(comment_id)


def same_body(old: str, new: str) -> bool:
    """Whether two bodies say the same, ignoring what GitHub may normalise (CRLF, end spaces)."""

    def norm(text: str) -> str:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return "\n".join(line.rstrip() for line in lines).strip("\n")

    return norm(old) == norm(new)


def plan_action(body: str, has_drift: bool, existing: str | None) -> Action:
    """Create, update, leave alone or stay silent, given the bot's earlier comment (if any)."""
    if existing is None:
        return Action.CREATE if has_drift else Action.SKIP
    return Action.UNCHANGED if same_body(existing, body) else Action.UPDATE


# -- the body -----------------------------------------------------------------


def render_comment(drift: PullRequestDrift, options: CommentOptions | None = None) -> str:
    """The comment body for ``drift``, always shorter than ``options.limit`` characters."""
    options = options or CommentOptions()
    for detail in Detail:
        body = _join(_body(drift, options, detail))
        if len(body) < options.limit:
            return body
    return _truncated(drift, options)


def _join(lines: Iterable[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"


@dataclass(frozen=True)
class _Line:
    """A line of the body and how many changes it stands for (what truncation leaves out)."""

    text: str
    changes: int = 0


def _body(drift: PullRequestDrift, options: CommentOptions, detail: Detail) -> list[str]:
    return [
        *_header(drift, options),
        *(line.text for line in _middle(drift, options, detail)),
        *_footer(drift, options, detail),
    ]


def _header(drift: PullRequestDrift, options: CommentOptions) -> list[str]:
    return [marker(options.comment_id), "## Architectural drift", "", _verdict(drift), ""]


def _footer(drift: PullRequestDrift, options: CommentOptions, detail: Detail) -> list[str]:
    lines = []
    if detail is not Detail.FULL:
        lines.extend([_shortened_note(options.limit, detail), ""])
    moved = (
        f" The target branch has moved on to {drift.target}; what changed there is not this "
        "pull request's drift."
        if drift.target != drift.base
        else ""
    )
    lines.extend(
        [
            "---",
            "",
            f"<sub>Compared the branch point {drift.base} with the head {drift.head}.{moved} "
            f"Intended changes can be acknowledged in {code(options.accept_file)}.</sub>",
        ]
    )
    return lines


def _shortened_note(limit: int, detail: Detail) -> str:
    what = (
        "other changes are counted per section and diagrams are left out"
        if detail is Detail.COLLAPSED
        else "only breaking changes are listed; the rest are counted"
    )
    return (
        f"_Shortened to stay within GitHub's {limit:,}-character comment limit: {what}. "
        "Run phasediff locally for the full report._"
    )


def _pending(changes: Iterable[Change]) -> list[Change]:
    return [change for change in changes if change.acknowledged is None]


def _verdict(drift: PullRequestDrift) -> str:
    if not drift.has_drift:
        return (
            "✅ **No architectural drift.** This pull request does not change what its phase "
            "documents say."
        )
    changes = drift.changes
    pending = _pending(changes)
    acknowledged = len(changes) - len(pending)
    worst = max((c.severity for c in pending), key=lambda s: s.rank, default=None)
    statuses = {phase.status for phase in drift.phases}
    if worst is None and DocumentStatus.DELETED in statuses:
        worst = Severity.WARNING  # a whole phase document gone deserves a look
    elif worst is None and DocumentStatus.ADDED in statuses:
        worst = Severity.INFO
    icon = _ICONS[worst] if worst is not None else "✅"
    parts = []
    changed = [phase for phase in drift.phases if phase.changes]
    if acknowledged and not pending:
        parts.append(
            f"**{plural(acknowledged, 'change')}** in {_phases_text(changed)}, "
            "all acknowledged as intended"
        )
    elif pending:
        breaking = sum(1 for c in pending if c.severity is Severity.BREAKING)
        warnings = sum(1 for c in pending if c.severity is Severity.WARNING)
        info = sum(1 for c in pending if c.severity is Severity.INFO)
        parts.append(
            f"**{plural(len(pending), 'change')}** in {_phases_text(changed)}: "
            f"{breaking} breaking, {plural(warnings, 'warning')}, {info} info"
        )
        if acknowledged:
            parts.append(f"{acknowledged} acknowledged")
    for status in (DocumentStatus.ADDED, DocumentStatus.DELETED):
        count = sum(1 for phase in drift.phases if phase.status is status)
        if count:
            parts.append(f"{plural(count, 'phase document')} {status.value}")
    text = "; ".join(parts)
    return f"{icon} {text[0].upper()}{text[1:]}."


def _phases_text(phases: Sequence[PhaseDrift]) -> str:
    if len(phases) > MAX_LISTED_PHASES:
        return f"{len(phases)} phases"
    names = [escape(phase.phase) for phase in phases]
    if len(names) == 1:
        return f"phase {names[0]}"
    return f"phases {', '.join(names[:-1])} and {names[-1]}"


def _label(phase: PhaseDrift) -> str:
    return f"Phase {escape(phase.phase)}"


def _bullet(change: Change, prefix: str, *, rule: bool = True) -> str:
    text = f"- {prefix}{escape(describe(change))}"
    if rule:
        text += f" {code(change.rule)}"
    if change.acknowledged is not None:
        text += f" — acknowledged: {escape(change.acknowledged)}"
    return text


def _middle(drift: PullRequestDrift, options: CommentOptions, detail: Detail) -> list[_Line]:
    if not drift.has_drift:
        return []
    lines: list[_Line] = []
    many = sum(1 for phase in drift.phases if phase.changes) > 1

    def prefix(phase: PhaseDrift) -> str:
        return f"{_label(phase)} · " if many else ""

    documents = [phase for phase in drift.phases if phase.status is not DocumentStatus.MODIFIED]
    if documents:
        lines.extend([_Line("### Phase documents"), _Line("")])
        for phase in documents:
            lines.append(
                _Line(f"- {_label(phase)}: {code(phase.path)} {phase.status.value}", changes=1)
            )
        lines.append(_Line(""))

    pending = [(p, c) for p in drift.phases for c in _pending(p.changes)]
    acknowledged = [(p, c) for p in drift.phases for c in p.changes if c.acknowledged is not None]
    breaking = [(p, c) for p, c in pending if c.severity is Severity.BREAKING]
    warnings = [(p, c) for p, c in pending if c.severity is Severity.WARNING]
    info = [(p, c) for p, c in pending if c.severity is Severity.INFO]

    if breaking:
        lines.extend([_Line("### ⚠️ Breaking changes"), _Line("")])
        lines.extend(_Line(_bullet(c, prefix(p)), changes=1) for p, c in _ordered(breaking))
        lines.append(_Line(""))
    for title, group in (("Warnings", warnings), ("Acknowledged", acknowledged)):
        if not group:
            continue
        lines.extend([_Line(f"### {title}"), _Line("")])
        if detail is Detail.SUMMARY:
            lines.extend(_counts(group, prefix))
        else:
            lines.extend(_Line(_bullet(c, prefix(p)), changes=1) for p, c in _ordered(group))
        lines.append(_Line(""))
    if info:
        title = f"Other changes ({len(info)})"
        if detail is Detail.FULL:
            lines.extend(_details(title, _itemised(info)))
        else:
            lines.extend([_Line(f"### {title}"), _Line(""), *_counts(info, prefix), _Line("")])

    if detail is Detail.FULL:
        lines.extend(_diagrams(drift))
    lines.extend(_previous(drift, detail))
    if detail is not Detail.SUMMARY:
        lines.extend(_hint(drift, options))
    return lines


def _per_phase(
    pairs: list[tuple[PhaseDrift, Change]],
) -> list[tuple[PhaseDrift, list[Change]]]:
    """Changes grouped by their phase, phases in first-seen order (by identity: not hashable)."""
    groups: dict[int, tuple[PhaseDrift, list[Change]]] = {}
    for phase, change in pairs:
        groups.setdefault(id(phase), (phase, []))[1].append(change)
    return list(groups.values())


def _ordered(pairs: list[tuple[PhaseDrift, Change]]) -> list[tuple[PhaseDrift, Change]]:
    """Phase by phase, and in each phase by section (most severe first), as every format does."""
    ordered: list[tuple[PhaseDrift, Change]] = []
    for phase, changes in _per_phase(pairs):
        ordered.extend((phase, c) for _, group in group_by_section(changes) for c in group)
    return ordered


def _counts(pairs: list[tuple[PhaseDrift, Change]], prefix: _Prefix) -> list[_Line]:
    """One line per phase and section: ``Components: 3 added, 1 changed``."""
    lines = []
    for phase, changes in _per_phase(pairs):
        for section, group in group_by_section(changes):
            kinds: dict[str, int] = {}
            for change in group:
                kinds[change.kind.value] = kinds.get(change.kind.value, 0) + 1
            counted = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
            lines.append(
                _Line(
                    f"- {prefix(phase)}{escape(section_title(section))}: {counted}",
                    changes=len(group),
                )
            )
    return lines


def _itemised(pairs: list[tuple[PhaseDrift, Change]]) -> list[_Line]:
    """Every change, under a heading per phase and a bold title per section."""
    lines: list[_Line] = []
    for phase, changes in _per_phase(pairs):
        lines.extend([_Line(f"#### {_label(phase)} · {code(phase.path)}"), _Line("")])
        for section, group in group_by_section(changes):
            lines.extend([_Line(f"**{escape(section_title(section))}**"), _Line("")])
            lines.extend(
                _Line(_bullet(c, "", rule=c.severity is not Severity.INFO), changes=1)
                for c in group
            )
            lines.append(_Line(""))
    return lines


def _details(summary: str, body: list[_Line]) -> list[_Line]:
    return [
        _Line(f"<details><summary>{html.escape(summary, quote=False)}</summary>"),
        _Line(""),
        *body,
        _Line("</details>"),
        _Line(""),
    ]


def _diagrams(drift: PullRequestDrift) -> list[_Line]:
    lines: list[_Line] = []
    for phase in drift.phases:
        comparison = phase.comparison
        if comparison is None or not any(c.section == "diagram" for c in comparison.changes):
            continue
        graph = drift_mermaid(comparison.base_diagram, comparison.head_diagram)
        if graph is None:
            continue
        lines.extend(
            _Line(text)
            for text in (
                f"### Diagram drift: {_label(phase).lower()}",
                "",
                "```mermaid",
                graph.rstrip("\n"),
                "```",
                "",
                DRIFT_LEGEND,
                "",
            )
        )
    return lines


def _previous(drift: PullRequestDrift, detail: Detail) -> list[_Line]:
    """Each touched phase against the phase before it: context, never counted as the PR's drift."""
    lines: list[_Line] = []
    for phase in drift.phases:
        comparison = phase.previous
        if comparison is None:
            continue
        title = f"{_label(phase)} compared with phase {escape(comparison.base.phase or '?')}"
        summary = _comparison_counts(comparison)
        if detail is Detail.FULL and comparison.changes:
            body: list[_Line] = []
            breaking = [c for c in comparison.changes if c.severity is Severity.BREAKING]
            if breaking:
                body.extend([_Line("**⚠️ Breaking**"), _Line("")])
                body.extend(
                    _Line(_bullet(c, "")) for _, group in group_by_section(breaking) for c in group
                )
                body.append(_Line(""))
            rest = [c for c in comparison.changes if c.severity is not Severity.BREAKING]
            for section, group in group_by_section(rest):
                body.extend([_Line(f"**{escape(section_title(section))}**"), _Line("")])
                body.extend(
                    _Line(_bullet(c, "", rule=c.severity is not Severity.INFO)) for c in group
                )
                body.append(_Line(""))
            lines.extend(_details(f"{_plain(title)}: {summary}", body))
        else:
            lines.extend([_Line(f"{title}: {summary}."), _Line("")])
    return lines


def _plain(text: str) -> str:
    """Escaped markdown back to text for an HTML ``<summary>`` (which shows backslashes)."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u200b", "")


def _comparison_counts(comparison: Comparison) -> str:
    if not comparison.changes:
        return "no changes"
    return (
        f"{plural(len(comparison.changes), 'change')} ("
        f"{comparison.count(Severity.BREAKING)} breaking, "
        f"{plural(comparison.count(Severity.WARNING), 'warning')}, "
        f"{comparison.count(Severity.INFO)} info)"
    )


def _hint(drift: PullRequestDrift, options: CommentOptions) -> list[_Line]:
    """How to acknowledge the changes that fail the gate, with their fingerprints."""
    gated = [c for c in _pending(drift.changes) if c.severity.rank >= options.gate.rank]
    if not gated:
        return []
    fingerprints = list(dict.fromkeys(c.fingerprint for c in gated))
    if len(fingerprints) <= MAX_HINT_FINGERPRINTS:
        command = ["phasediff accept --reason 'Why this is intended'"]
        command.extend(shlex.quote(" ".join(fp.split())) for fp in fingerprints)
    else:
        command = [
            "phasediff accept --reason 'Why this is intended'",
            f"--base {drift.target} --fail-on {options.gate.value}",
        ]
    script = " \\\n  ".join(command)
    fence = "`" * max(3, _longest_backticks(script) + 1)
    body = [
        f"If these changes are intended, acknowledge them in {code(options.accept_file)} "
        "(each with its reason) and commit the file:",
        "",
        f"{fence}sh",
        script,
        fence,
        "",
    ]
    return _details("Intended? Acknowledge them", [_Line(text) for text in body])


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


# -- the last resort: cut the list --------------------------------------------


def _truncated(drift: PullRequestDrift, options: CommentOptions) -> str:
    """The SUMMARY body cut after as many lines as fit, saying how many changes were left out.

    The SUMMARY level has no multi-line constructs (no ``<details>``, no
    fences), so a cut between any two lines leaves valid markdown.
    """
    header = _header(drift, options)
    footer = _footer(drift, options, Detail.SUMMARY)
    middle = _middle(drift, options, Detail.SUMMARY)
    total = sum(line.changes for line in middle)
    # Room for the "left out" line, whatever the count it will hold.
    notice_room = len(_left_out(total, total)) + 2
    budget = options.limit - 1 - len(_join([*header, *footer])) - notice_room - 1
    kept: list[str] = []
    used = shown = 0
    for line in middle:
        cost = len(line.text) + 1
        if used + cost > budget:
            break
        kept.append(line.text)
        used += cost
        shown += line.changes
    body = _join([*header, *kept, "", _left_out(total - shown, total), "", *footer])
    if len(body) >= options.limit:  # a header alone over the limit: only a tiny limit does that
        body = body[: options.limit - 2].rsplit("\n", 1)[0] + "\n"
    return body


def _left_out(omitted: int, total: int) -> str:
    return (
        f"**… and {plural(omitted, 'more change')} not shown** ({total:,} in all): "
        "the full list would not fit in one GitHub comment."
    )
