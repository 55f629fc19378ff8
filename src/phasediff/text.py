"""Text normalisation shared by the parser, the diff and the checks.

Identity keys, inline markdown stripped to plain text, statuses whatever their
emoji (or mojibake), durations with units, and the template's placeholders.
All pure functions of strings.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from phasediff.model import Duration, Status

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|~~)(.+?)\1")
_SINGLE_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])")
_SPACE = re.compile(r"\s+")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def collapse(text: str) -> str:
    """Whitespace-normalise: re-wrapped or re-indented prose compares equal."""
    return _SPACE.sub(" ", text).strip()


_MARKUP = re.compile(r"[\[*_`<~\\]")


@functools.lru_cache(maxsize=65536)
def plain(text: str) -> str:
    """Inline markdown to plain text: links to their text, emphasis and backticks removed."""
    if _MARKUP.search(text) is None:
        return collapse(text)
    text = _LINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    for _ in range(2):
        text = _EMPHASIS.sub(r"\2", text)
    text = _SINGLE_EMPHASIS.sub(r"\2", text)
    text = text.replace("`", "")
    return collapse(text.replace("\\|", "|"))


@functools.lru_cache(maxsize=65536)
def normalise_key(text: str) -> str:
    """The identity key of an entity name: case, backticks, emphasis and spacing removed."""
    key = plain(text).casefold()
    key = key.strip(" .:;,-–—")
    return collapse(key)


def names(text: str, name: str) -> bool:
    """Does ``text`` mention ``name`` as whole words (any case, emphasis or backticks)?"""
    needle = normalise_key(name)
    if not needle:
        return False
    return re.search(rf"(?<![\w-]){re.escape(needle)}(?![\w-])", normalise_key(text)) is not None


# ---------------------------------------------------------------------------
# Statuses
# ---------------------------------------------------------------------------

_STATUS_WORDS: tuple[tuple[Status, tuple[str, ...]], ...] = (
    (
        Status.IN_PROGRESS,
        ("in progress", "in-progress", "wip", "ongoing", "active", "underway", "進行中", "作業中"),
    ),
    (Status.COMPLETE, ("complete", "completed", "done", "finished", "delivered", "完了")),
    (Status.PLANNED, ("planned", "proposed", "not started", "draft", "予定", "計画")),
)
_STATUS_EMOJI = {"🚧": Status.IN_PROGRESS, "✅": Status.COMPLETE, "📋": Status.PLANNED}


def _mojibake(text: str) -> str:
    """How UTF-8 ``text`` reads when decoded as cp1252 (the template's ``ðŸš§``)."""
    out = []
    for byte in text.encode("utf-8"):
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


_STATUS_MOJIBAKE = {_mojibake(emoji): status for emoji, status in _STATUS_EMOJI.items()}


def parse_status(text: str) -> Status | None:
    """Normalise a status line; ``None`` for the template's unfilled alternatives.

    Words win over emoji; emoji are recognised in UTF-8 and in their cp1252
    mojibake form.  A line naming several statuses (``In Progress / Complete /
    Planned``) is the template's placeholder, not a value.
    """
    lowered = text.casefold()
    found = [status for status, words in _STATUS_WORDS if any(w in lowered for w in words)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        # "Complete" inside "Incomplete" or a status with a note: first word wins.
        if "/" in text:
            return None
        positions = {
            status: min(lowered.find(w) for w in words if w in lowered)
            for status, words in _STATUS_WORDS
            if status in found
        }
        return min(positions, key=lambda status: positions[status])
    for marks in (_STATUS_EMOJI, _STATUS_MOJIBAKE):
        hits = {status for mark, status in marks.items() if mark in text}
        if len(hits) == 1:
            return hits.pop()
    return Status.UNKNOWN if text.strip() else None


def unmojibake(text: str) -> str:
    """UTF-8 text that was read as cp1252 (``ðŸš§ Blocked``), read back; other text as it is."""
    raw = bytearray()
    for char in text:
        try:
            raw += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) >= 256:
                return text
            raw.append(ord(char))  # the five bytes cp1252 leaves undefined
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return text


def status_words(text: str) -> str | None:
    """A status in the author's own words, without emoji or markup (``⏸️ **On hold**``).

    For statuses that name none of planned / in progress / complete: they are
    kept and compared as these words, not lumped together as "unknown".
    """
    kept = (
        char
        for char in plain(unmojibake(text))
        if unicodedata.category(char) not in ("So", "Sk", "Cf", "Co", "Cn", "Me")
        and char != "\ufe0f"
    )
    return collapse("".join(kept)).strip(" -–—:.") or None


# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------

_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
    "秒": 1,
    "分": 60,
    "時間": 3600,
    "日": 86400,
}
_DURATION = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|hr|h|days?|d"
    r"|weeks?|w|秒|分|時間|日)(?![a-zA-Z])",
    re.IGNORECASE,
)


def parse_duration(text: str) -> Duration | None:
    """The first duration in ``text`` (``4h``, ``15 minutes``, ``< 30m``), else None."""
    match = _DURATION.search(plain(text))
    if match is None:
        return None
    amount, unit = match.groups()
    seconds = round(float(amount) * _UNITS[unit.casefold()])
    return Duration(seconds=seconds, text=match.group(0))


def format_duration(seconds: int) -> str:
    """The shortest exact spelling: ``900`` -> ``15m``."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# ---------------------------------------------------------------------------
# Placeholders
# ---------------------------------------------------------------------------

_PLACEHOLDERS = (
    re.compile(r"^\[[^\]]+\]$"),  # [Phase Name], [Name]
    re.compile(r"\bYYYY-MM-DD\b"),
    re.compile(r"^X(\.\d+)?%?$"),  # X, X%
    re.compile(r"^(Phase )?X([-+]1)?$", re.IGNORECASE),
    re.compile(r"^Xh$"),
    re.compile(r"^(Your Name|TBD|TODO|N/?A|-+|—|–)$", re.IGNORECASE),
)


@functools.lru_cache(maxsize=65536)
def is_placeholder(value: str | None) -> bool:
    """True for the unfilled template's placeholders (``[Phase Name]``, ``YYYY-MM-DD``, ``X%``)."""
    if value is None:
        return True
    text = plain(value)
    if not text:
        return True
    return any(pattern.search(text) for pattern in _PLACEHOLDERS)


def value_or_none(value: str | None) -> str | None:
    """A field value, or None when it is empty or a template placeholder."""
    if value is None or is_placeholder(value):
        return None
    return plain(value)


_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def parse_date(value: str | None) -> str | None:
    """An ISO date found in ``value`` (``2026-03-02 (planned)`` -> ``2026-03-02``)."""
    if value is None:
        return None
    match = _DATE.search(value)
    if match:
        return match.group(1)
    return value_or_none(value)


def strip_symbols(text: str) -> str:
    """Drop emoji, mojibake and punctuation noise around a title; keep letters of any script."""
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category[0] in "LNZ" or char in "&/'-.:":
            kept.append(char)
    return collapse("".join(kept))


#: Characters kept before the first difference when a value is cut to show it.
CONTRAST_LEAD = 24


def contrast(old: str, new: str, limit: int) -> tuple[str, str]:
    """``old`` and ``new`` cut to ``limit`` characters each, both showing where they differ.

    Cutting each from its start would hide a difference that lies further on
    (two identical lines for an edited sentence): each side instead starts a
    little before the first character that differs, ``…`` marking every cut.
    Texts that already fit, or that do not differ, are cut from the start.
    """
    if (len(old) <= limit and len(new) <= limit) or old == new:
        return _cut(old, 0, limit), _cut(new, 0, limit)
    same = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        same += 1
    start = max(same - CONTRAST_LEAD, 0)
    if start > 0:
        # Start at a word boundary when one is near, so no word is shown half.
        space = old.rfind(" ", max(start - 12, 0), start + 1)
        start = space + 1 if space >= 0 else start
    # A side that fits is shown whole; the other from just before the difference.
    return (
        old if len(old) <= limit else _cut(old, start, limit),
        new if len(new) <= limit else _cut(new, start, limit),
    )


def _cut(text: str, start: int, limit: int) -> str:
    """``text[start:]`` within ``limit`` characters, ``…`` where it was cut."""
    lead = "…" if start > 0 else ""
    rest = text[start:]
    room = limit - len(lead)
    if len(rest) <= room:
        return lead + rest
    return lead + rest[: max(room - 1, 0)].rstrip() + "…"


def elide_middle(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut in the middle: its start and its end stay,
    so two long texts that differ near their end still read apart."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    head = limit - tail - 1
    return text[:head].rstrip() + "…" + text[len(text) - tail :].lstrip()
