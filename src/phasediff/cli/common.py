"""What every command shares: error translation, colour, output, common options.

The CLI is the only package that imports click.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from phasediff.changes import Change, Severity
from phasediff.errors import EXIT_FINDINGS, EXIT_OK, EXIT_RUNTIME, PhasediffError
from phasediff.redact import describe_exception

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = (
    "Exit codes: 0 ran (with or without differences); 1 differences found with "
    "--exit-code, or a change at or above --fail-on; 2 usage error; 3 runtime error "
    "(not a repository, unknown revision or phase, unreadable document)."
)


class DefaultGroup(click.Group):
    """``phasediff 2 3`` means ``phasediff diff 2 3``: an unknown first word goes to ``diff``.

    Commands named in ``lazy`` (``name -> "module:attribute"``) are imported only
    when run or listed, so ``phasediff log`` does not pay for the HTTP client.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args:
            click.echo(ctx.get_help())
            ctx.exit(0)
        known = args[0] in self.commands or args[0] in self.lazy
        if not known and args[0] not in ("--help", "-h", "--version"):
            args = ["diff", *args]
        return super().parse_args(ctx, args)


def run_command(command: F) -> F:
    """Translate the core's errors into one line on stderr and a documented exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            code = command(*args, **kwargs)
        except PhasediffError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug of ours: one line, and the traceback only on request
            if os.environ.get("PHASEDIFF_DEBUG"):
                traceback.print_exc()
            click.echo(
                f"Error: internal error: {describe_exception(exc)}. Re-run with "
                "PHASEDIFF_DEBUG=1 for the traceback and report it.",
                err=True,
            )
            sys.exit(EXIT_RUNTIME)
        sys.exit(code or EXIT_OK)

    return wrapper  # type: ignore[return-value]


def use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def write_output(text: str, output: Path | None) -> None:
    """Print to stdout, or replace the file ``output`` atomically: never a half-written file."""
    if output is None:
        click.echo(text, nl=False)
        return
    output = output.resolve()
    try:
        if output.exists() and not output.is_file():
            # A device or a pipe (-o /dev/null, -o /dev/stderr) is written to, never replaced.
            with output.open("w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", newline="\n", dir=output.parent, delete=False, suffix=".tmp"
        ) as handle:
            handle.write(text)
        os.replace(handle.name, output)
    except OSError as exc:
        raise PhasediffError(f"Cannot write {output}: {exc.strerror}.") from exc


def write_step_summary(markdown: str) -> bool:
    """Append ``markdown`` to the GitHub Actions job summary when ``$GITHUB_STEP_SUMMARY`` is set.

    Every command that can fail CI calls this with its findings, so the job's
    summary page says why.  Returns whether it wrote; a summary that cannot be
    written is a warning, never the reason a gate fails.
    """
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    try:
        with open(path, "a", encoding="utf-8", newline="\n") as handle:
            handle.write(markdown.rstrip("\n") + "\n\n")
    except OSError as exc:
        click.echo(
            f"Warning: cannot write the step summary to {path}: {exc.strerror or exc}.", err=True
        )
        return False
    return True


def gate(changes: Iterable[Change], *, exit_code: bool, fail_on: str | None) -> int:
    """The exit code a CI gate reads: 1 when an unacknowledged change trips it, else 0.

    Changes an acknowledged-changes file lists (``Change.acknowledged``) are
    intended, so they trip neither ``--fail-on`` nor ``--exit-code``.
    """
    pending = [change for change in changes if change.acknowledged is None]
    if fail_on is not None:
        threshold = Severity(fail_on).rank
        if any(change.severity.rank >= threshold for change in pending):
            return EXIT_FINDINGS
    if exit_code and pending:
        return EXIT_FINDINGS
    return EXIT_OK


fail_on_option = click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    default=None,
    help="Exit 1 when an unacknowledged change at or above this severity exists.",
)


def format_option(
    choices: Iterable[str], default: str = "text", help: str = "Output format."
) -> Callable[[F], F]:
    """``--format`` with a command's own choices; the value arrives as ``fmt``."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help=help,
    )


repo_option = click.option(
    "--repo",
    "repo_path",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The git repository (any directory inside its work tree).",
)
color_option = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour for text output; NO_COLOR in the environment turns it off in auto.",
)
output_option = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the result to this file instead of stdout.",
)
