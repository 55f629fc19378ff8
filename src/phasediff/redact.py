"""Making text that came from elsewhere safe to print: no secrets, no terminal escapes.

Three sources need it: what a server answers (a message, a URL) may echo the
token back or carry an OSC/ANSI escape that rewrites the terminal; a URL a
user configured may hold ``user:pass@``; and an unexpected exception's text
may quote a request header.  Every function here is pure and returns one line.

The order matters: secrets are replaced *before* text is shortened, so a
token near the cut cannot survive as a prefix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

MESSAGE_LIMIT = 200
"""The most characters of someone else's text that one error line quotes."""

SECRET_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
"""Environment variables whose values never appear in output."""

MASK = "***"

# C0 and C1 controls and DEL: ESC starts ANSI/OSC sequences, BEL/ST end them, CR overwrites.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Bidirectional overrides and isolates reorder what a terminal shows.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# A credential after the word that introduces it in a header or a log line.
_CREDENTIAL = re.compile(
    r"(?i)\b(authorization\s*[:=]\s*|(?:bearer|basic)\s+)(?:(?:bearer|token|basic)\s+)?"
    r"[^\s'\",;)]+"
)
# GitHub's token formats: ghp_ (personal), gho_, ghu_, ghs_ (installation), ghr_, github_pat_.
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]{8,}")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]*@")


def strip_controls(text: str) -> str:
    """``text`` on one line without control characters: each run of them becomes one space."""
    return " ".join(_BIDI.sub("", _CONTROLS.sub(" ", text)).split())


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every ``secrets`` value, credential-looking word and URL password masked."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _CREDENTIAL.sub(lambda m: f"{m[1]}{MASK}", text)
    text = _GITHUB_TOKEN.sub(MASK, text)
    return _USERINFO.sub(lambda m: f"{m[1]}{MASK}@", text)


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_text(text: str, secrets: Iterable[str] = (), limit: int = MESSAGE_LIMIT) -> str:
    """Someone else's text, fit to quote in one line: redacted, then cleaned, then shortened."""
    return shorten(strip_controls(redact(text, secrets)), limit)


def redact_url(url: str) -> str:
    """``url`` without its ``user:pass@`` part (``***@`` instead) and without control characters."""
    try:
        parts = urlsplit(url)
        if "@" in parts.netloc:
            url = urlunsplit(parts._replace(netloc=f"{MASK}@{parts.netloc.rpartition('@')[2]}"))
    except ValueError:
        pass  # not a URL that splits: mask anything that looks like userinfo instead
    return strip_controls(_USERINFO.sub(lambda m: f"{m[1]}{MASK}@", url))


def environment_secrets() -> tuple[str, ...]:
    """The values of the variables in ``SECRET_VARIABLES`` that are set."""
    return tuple(value for name in SECRET_VARIABLES if (value := os.environ.get(name)))


def describe_exception(exc: BaseException) -> str:
    """An unexpected exception as ``ClassName: message``, safe to print.

    Never ``repr(exc)``: an encoding error's repr holds the whole string it
    failed on, a request header's among them.  A ``UnicodeError`` is described
    from its codec and position only; any other message is redacted (the
    environment's tokens, credential words, URL passwords), cleaned and
    shortened.
    """
    name = type(exc).__name__
    if isinstance(exc, UnicodeError):
        detail = _unicode_error(exc)
    else:
        detail = safe_text(str(exc), environment_secrets())
    return f"{name}: {detail}" if detail else name


def _unicode_error(exc: UnicodeError) -> str:
    if isinstance(exc, UnicodeEncodeError):
        return f"the {exc.encoding} codec cannot encode the character at position {exc.start}"
    if isinstance(exc, UnicodeDecodeError):
        return f"the {exc.encoding} codec cannot decode the byte at position {exc.start}"
    return "a text encoding failed"
