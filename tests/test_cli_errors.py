"""The CLI's last line of defence: an unexpected exception is one line that leaks nothing."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from phasediff.cli.common import run_command

TOKEN = "ghs_SECRETsecretSECRET0123456789abcdef"


def failing(exc: BaseException) -> click.Command:
    @click.command()
    @run_command
    def command() -> int:
        raise exc

    return command


@pytest.mark.parametrize(
    "exc",
    [
        UnicodeEncodeError("ascii", f"Bearer {TOKEN}é", 45, 46, "ordinal not in range(128)"),
        ValueError(f"Illegal header value b'Bearer {TOKEN}\\n'"),
        KeyError(f"Authorization: Bearer {TOKEN}"),
    ],
)
def test_an_internal_error_prints_its_class_and_no_header(
    exc: BaseException, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHASEDIFF_DEBUG", raising=False)
    result = CliRunner().invoke(failing(exc), [])
    assert result.exit_code == 3
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: internal error: {type(exc).__name__}")
    assert line.endswith("Re-run with PHASEDIFF_DEBUG=1 for the traceback and report it.")
    assert TOKEN[:8] not in line
