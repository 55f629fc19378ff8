"""What every command shares: error translation, colour, output, common options.

The CLI is the only package that imports click.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import importlib
import os
import secrets
import signal
import stat
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
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

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run; help or version text that stdout cannot take (/dev/full) is one line too."""
        try:
            return super().main(*args, **kwargs)
        except OSError as exc:
            click.echo(f"Error: {_write_error('stdout', exc)}", err=True)
            sys.exit(EXIT_RUNTIME)

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
        with _stop_on_termination():
            return run(*args, **kwargs)

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            code = command(*args, **kwargs)
            finish_stdout()
        except ReaderGone:
            _quiet_broken_pipe()
        except PhasediffError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as exc:
            number = exc.number if isinstance(exc, Terminated) else signal.SIGINT
            click.echo("Interrupted." if number == signal.SIGINT else "Terminated.", err=True)
            sys.exit(128 + number)
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


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stop as for Ctrl-C (workers and git stopped, one line, 128+N)."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def _raise_terminated(number: int, frame: object) -> None:
    # Once is enough: a second signal must not interrupt the cleanup the first started.
    with contextlib.suppress(ValueError, OSError):
        signal.signal(number, signal.SIG_IGN)
    raise Terminated(number)


@contextlib.contextmanager
def _stop_on_termination() -> Iterator[None]:
    """SIGTERM and SIGHUP unwind the command like Ctrl-C, so cleanup runs (``finally``).

    A signal already ignored (``nohup``) stays ignored; the previous handlers
    are back afterwards.
    """
    previous: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is None or signal.getsignal(number) is signal.SIG_IGN:
            continue
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            previous[number] = signal.signal(number, _raise_terminated)
    try:
        yield
    finally:
        for number, handler in previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(number, handler)


class ReaderGone(Exception):
    """stdout's reader closed the pipe; only stdout's, not a pipe to git that broke."""


def _quiet_broken_pipe() -> None:
    """The reader went away (``phasediff log | head -1``): stop as git does, without a word.

    stdout is pointed at /dev/null so the interpreter's final flush cannot complain.
    """
    with contextlib.suppress(AttributeError, OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(128 + signal.SIGPIPE)


def use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout is not None and sys.stdout.isatty()


#: ``--prepend`` and ``--template`` files are read up to this size; a changelog or template
#: beyond it (or /dev/zero) is refused instead of filling memory.
MAX_INPUT_FILE = 64 * 1024 * 1024

#: Where a write error comes from, and what to do about it.
_WRITE_FIXES = {
    errno.ENOSPC: "Free some space or write elsewhere.",
    errno.EFBIG: "The file-size limit (ulimit -f) is reached; raise it or write elsewhere.",
    errno.EDQUOT: "The disk quota is reached; free some space or write elsewhere.",
}


def write_output(text: str, output: Path | None) -> None:
    """Print to stdout, or replace the file ``output`` atomically: never a half-written file.

    Either way a write that fails is an error (exit 3), never output cut short with
    exit 0: a full disk or ``ulimit -f`` makes Python's buffered stdout drop the rest
    silently, so stdout is written and checked here, at the file descriptor.
    """
    if output is None:
        write_stdout(text)
        return
    target = output.resolve()
    if target.exists() and not target.is_file():
        # A device or a pipe (-o /dev/null, -o /dev/stderr) is written to, never replaced.
        try:
            descriptor = os.open(target, os.O_WRONLY)
            try:
                _write_all(descriptor, text.encode("utf-8", "surrogateescape"))
            finally:
                os.close(descriptor)
        except OSError as exc:
            raise _write_error(str(output), exc) from exc
        return
    replace_file(output, text.encode("utf-8", "surrogateescape"))


#: Characters gathered before a streamed piece of output is written to stdout.
STREAM_BUFFER = 1 << 16


def write_stream(pieces: Iterable[str], output: Path | None) -> None:
    """``write_output`` for output that comes in pieces: stdout gets them as they come
    (a few at a time, checked as ``write_stdout`` checks), a file gets them all at once."""
    if output is not None:
        write_output("".join(pieces), output)
        return
    buffered: list[str] = []
    size = 0
    for piece in pieces:
        buffered.append(piece)
        size += len(piece)
        if size >= STREAM_BUFFER:
            write_stdout("".join(buffered))
            buffered, size = [], 0
    write_stdout("".join(buffered))


def write_stdout(text: str) -> None:
    """Write the result to stdout and make sure all of it arrived.

    Under a test runner (no file descriptor) click writes it.  A closed reader
    (``| head -1``) raises ``ReaderGone``, which ``run_command`` ends quietly.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A path git stores in bytes that are not UTF-8: shown with U+FFFD, so stdout
        # stays valid UTF-8 (and JSON readable) whatever the locale.
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    stream = sys.stdout
    if stream is None:
        raise PhasediffError(
            "Cannot write the result to stdout: it is closed. Open it, or use --output."
        )
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        click.echo(text, nl=False)
        return
    data = text.encode(stream.encoding or "utf-8", stream.errors or "strict")
    try:
        stream.flush()
        _write_all(descriptor, data)
    except BrokenPipeError as exc:
        raise ReaderGone from exc
    except OSError as exc:
        raise _write_error("stdout", exc) from exc


def _write_all(descriptor: int, data: bytes) -> None:
    """``os.write`` until all of ``data`` is written: a short write is not the end."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def finish_stdout() -> None:
    """Flush what commands printed through click and check it arrived (see ``write_output``)."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError as exc:
        raise ReaderGone from exc
    except OSError as exc:
        raise _write_error("stdout", exc) from exc
    except ValueError:  # already closed: nothing of ours is pending
        pass


def _write_error(where: str, exc: OSError) -> PhasediffError:
    reason = exc.strerror or str(exc)
    fix = _WRITE_FIXES.get(exc.errno or 0, "")
    if where == "stdout":
        return PhasediffError(
            f"Cannot write the result to stdout: {reason}. {fix or 'Use --output FILE.'}".rstrip()
        )
    return PhasediffError(f"Cannot write {where}: {reason}. {fix}".rstrip())


def replace_file(path: Path, data: bytes) -> None:
    """Replace the regular file ``path`` (or create it) with ``data``, atomically.

    The temporary file beside it is removed on every failure (full disk, file-size
    limit, permissions, interrupt); the result keeps the target's mode, and a new file
    gets the one the umask gives.  A read-only target is refused, not replaced.
    """
    target = path.resolve()
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise _write_error(str(path), exc) from exc
    if mode is not None and not stat.S_ISREG(mode):
        raise PhasediffError(f"{path} is not a regular file. Name a file to write.")
    if mode is not None and not (mode & 0o222 and os.access(target, os.W_OK)):
        raise PhasediffError(
            f"Cannot write {path}: it is read-only. Make it writable (chmod u+w) or write "
            "elsewhere."
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(str(path), exc) from exc
    temporary = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        # 0o666 through the umask, as any new file gets; an existing target's mode below.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise _write_error(str(path), exc) from exc
    try:
        try:
            _write_all(descriptor, data)
            if mode is not None:
                os.fchmod(descriptor, stat.S_IMODE(mode))
        finally:
            os.close(descriptor)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise _write_error(str(path), exc) from exc
        raise


def read_input_file(path: Path, what: str) -> str:
    """A file the user named (``--prepend``, ``--template``) as text, up to ``MAX_INPUT_FILE``.

    Bytes that are not UTF-8 survive as surrogates, to be written back as they were.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_FILE + 1)
    except OSError as exc:
        raise PhasediffError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if len(data) > MAX_INPUT_FILE:
        raise PhasediffError(
            f"Cannot read {path}: it is larger than {MAX_INPUT_FILE // (1024 * 1024)} MiB, "
            f"too large for {what}. Name a smaller file."
        )
    return data.decode("utf-8", "surrogateescape")


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
