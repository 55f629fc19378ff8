"""What phasediff prints of others' text: no token, no password, no terminal escapes."""

from __future__ import annotations

import pytest

from phasediff.redact import (
    describe_exception,
    redact,
    redact_url,
    safe_text,
    shorten,
    strip_controls,
)

TOKEN = "ghs_SECRETsecretSECRET0123456789abcdef"


def test_a_token_near_the_cut_is_masked_before_the_text_is_shortened() -> None:
    message = "x" * 175 + f" {TOKEN} and more"
    text = safe_text(message, (TOKEN,))
    assert len(text) <= 200
    assert TOKEN[:6] not in text
    assert text.endswith("***") or "***" in text
    # Shortening first, as before, would have kept a prefix of the token.
    assert TOKEN[:10] in shorten(" ".join(message.split()))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Authorization: Bearer abc.def", "Authorization: ***"),
        ("header b'Bearer ghs_a\\nb' is illegal", "header b'Bearer ***' is illegal"),
        ("basic dXNlcjpwYXNz", "basic ***"),
        (f"a token {TOKEN} here", "a token *** here"),
        ("github_pat_11ABCDEFG0123456789_abc leaked", "*** leaked"),
        ("see https://user:pw@example.test/x", "see https://***@example.test/x"),
        ("the token has expired", "the token has expired"),  # prose stays prose
    ],
)
def test_credentials_are_masked(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_control_characters_and_escapes_are_removed() -> None:
    osc = "https://github.test/c/1\x1b]8;;https://evil.test\x07click\x1b]8;;\x07\x1b[2J"
    cleaned = strip_controls(osc)
    assert "\x1b" not in cleaned and "\x07" not in cleaned
    assert cleaned == "https://github.test/c/1 ]8;;https://evil.test click ]8;; [2J"
    assert strip_controls("a\u202eb\r\nc\x9bd") == "ab c d"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:hunter2@ghe.test/api/v3", "https://***@ghe.test/api/v3"),
        ("https://hunter2@ghe.test", "https://***@ghe.test"),
        ("http://[::1@x", "http://***@x"),  # does not split: masked all the same
        ("https://ghe.test/\x1b[31mred", "https://ghe.test/ [31mred"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_an_encoding_error_is_described_without_the_string_it_failed_on() -> None:
    exc = UnicodeEncodeError("ascii", f"Bearer {TOKEN}é", 45, 46, "ordinal not in range(128)")
    assert TOKEN in repr(exc)  # what the catch-all printed before
    text = describe_exception(exc)
    assert text == "UnicodeEncodeError: the ascii codec cannot encode the character at position 45"
    decode = UnicodeDecodeError("utf-8", TOKEN.encode() + b"\xff", 38, 39, "invalid start byte")
    assert TOKEN not in describe_exception(decode)


def test_other_exceptions_are_redacted_cleaned_and_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "plainsecretvalue")
    exc = ValueError("sent plainsecretvalue\x1b[2J with Authorization: token xyz " + "y" * 500)
    text = describe_exception(exc)
    assert "plainsecretvalue" not in text and "xyz" not in text and "\x1b" not in text
    assert text.startswith("ValueError: sent *** [2J with Authorization: *** yyy")
    assert len(text) <= len("ValueError: ") + 200
    assert describe_exception(MemoryError()) == "MemoryError"
