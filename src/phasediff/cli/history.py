"""``phasediff log`` and ``phasediff changelog``: thin wiring over ``history``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from phasediff.cli.common import (
    color_option,
    format_option,
    output_option,
    read_input_file,
    replace_file,
    repo_option,
    run_command,
    use_color,
    write_output,
    write_stream,
)
from phasediff.errors import EXIT_OK, UsageError
from phasediff.history import Progress, build_changelog, stream_history
from phasediff.project import Project
from phasediff.render.changelog import (
    ChangelogFormat,
    prepend,
    release_title,
    render_changelog,
    render_template,
)
from phasediff.render.log import LogFormat, entry_renderer, stream_log

F = TypeVar("F", bound=Callable[..., Any])

#: Comparisons to compute before a walk counts as long enough for a progress bar.
PROGRESS_MIN = 200

EXIT_CODES_HELP = (
    "Exit codes: 0 ran; 2 usage error; 3 runtime error (not a repository, unknown revision "
    "or phase, a shallow clone that lacks the range, a template that fails). Versions that "
    "cannot be read (missing objects) are warnings on stderr, listed under 'skipped' in JSON."
)


def cache_options(command: F) -> F:
    """``--cache-dir`` and ``--no-cache``, shared by the history commands."""
    command = click.option(
        "--no-cache",
        is_flag=True,
        help="Neither read nor write the persistent cache (parse everything afresh).",
    )(command)
    command = click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Keep the cache here instead of in the repository's git directory "
        "(<git dir>/phasediff/cache.sqlite3).",
    )(command)
    return command


@contextlib.contextmanager
def opened(repo_path: Path, cache_dir: Path | None, no_cache: bool) -> Iterator[Project]:
    """The project with its cache; the cache's warnings go to stderr at the end."""
    project = Project.open(repo_path, cache=not no_cache, cache_dir=cache_dir)
    try:
        yield project
    finally:
        project.close()
        for warning in project.cache.warnings:
            click.echo(f"Warning: {warning}", err=True)


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Progress]:
    """A progress callback drawing on stderr, for long walks at a terminal; else silent."""
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            if total < PROGRESS_MIN or not sys.stderr.isatty():
                state["bar"] = None
            else:
                state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
                state["bar"].__enter__()
                state["done"] = 0
        bar = state["bar"]
        if bar is not None:
            bar.update(done - state["done"])
            state["done"] = done
            if done >= total:  # finished: off the terminal before the entries print
                bar.__exit__(None, None, None)
                state["bar"] = None

    try:
        yield update
    finally:
        if state.get("bar") is not None:
            state["bar"].__exit__(None, None, None)


def _warn_skipped(messages: list[str]) -> None:
    for message in messages:
        click.echo(f"Warning: {message}", err=True)


@click.command("log", epilog=EXIT_CODES_HELP)
@click.argument("phases", nargs=-1)
@click.option("--from", "since", default=None, help="Start after this revision (default: root).")
@click.option("--to", "until", default="HEAD", show_default=True, help="End at this revision.")
@click.option(
    "--max-count",
    "-n",
    type=click.IntRange(min=1),
    default=None,
    help="Show at most this many commits.",
)
@click.option(
    "--semantic-only",
    is_flag=True,
    help="Hide commits that changed only the form of documents (re-wrap, CRLF, row order).",
)
@click.option(
    "--first-parent/--all-parents",
    default=True,
    show_default=True,
    help="Follow only the first parent of merges (each merge carries its branch's changes), "
    "or list the commits of merged branches too.",
)
@format_option(f.value for f in LogFormat)
@output_option
@color_option
@cache_options
@repo_option
@run_command
def log_command(
    phases: tuple[str, ...],
    since: str | None,
    until: str,
    max_count: int | None,
    semantic_only: bool,
    first_parent: bool,
    fmt: str,
    output: Path | None,
    color: str,
    cache_dir: Path | None,
    no_cache: bool,
    repo_path: Path,
) -> int:
    """Every commit that changed a phase document, newest first, with its semantic changes.

    \b
    phasediff log                     all phase documents, the whole history
    phasediff log 3                   phase 3 only (followed through renames)
    phasediff log --from v2.0 -n 5    the last five commits since v2.0
    phasediff log --format json       change records nested under each commit

    A commit that changed only the form of a document says "no semantic
    change"; --semantic-only hides it.  Parsed versions and comparisons are
    cached (in the git directory), so a second run reads no document.
    """
    colored = use_color(color) and output is None
    log_format = LogFormat(fmt)
    with opened(repo_path, cache_dir, no_cache) as project, progress_bar("Comparing") as bar:
        history = stream_history(
            project,
            entry_renderer(log_format, color=colored),
            phases=phases,
            since=since,
            until=until,
            first_parent=first_parent,
            max_count=max_count,
            semantic_only=semantic_only,
            progress=bar,
        )
        # Entries are printed as they come: a warm run holds no more than the cache's rows.
        write_stream(stream_log(history, log_format, color=colored), output)
    _warn_skipped([skipped.message for skipped in history.skipped])
    return EXIT_OK


@click.command("changelog", epilog=EXIT_CODES_HELP)
@click.option("--from", "since", required=True, help="The previous release (tag or revision).")
@click.option(
    "--to", "until", default="HEAD", show_default=True, help="The release (tag or revision)."
)
@format_option((f.value for f in ChangelogFormat), default="markdown")
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Render through this Jinja2 template, fed the data --format json shows "
    "(example: phasediff/templates/changelog.md.j2 in the package).",
)
@click.option(
    "--prepend",
    "prepend_to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Insert the section at the top of this changelog file (above its first ## "
    "release), keeping the rest byte for byte.",
)
@click.option(
    "--first-parent/--all-parents",
    default=True,
    show_default=True,
    help="Attribute changes to first-parent commits only (merges carry their branch).",
)
@output_option
@cache_options
@repo_option
@run_command
def changelog_command(
    since: str,
    until: str,
    fmt: str,
    template: Path | None,
    prepend_to: Path | None,
    first_parent: bool,
    output: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
    repo_path: Path,
) -> int:
    """Release notes for a range, over all phases, from the documents' content.

    \b
    phasediff changelog --from v2.0 --to v3.0
    phasediff changelog --from v2.0 --to v3.0 --prepend CHANGELOG.md
    phasediff changelog --from v2.0 --template notes.md.j2

    Phases added and removed come first; then per phase its changes, breaking
    first, then added / changed / removed, each with the commits that brought it.
    """
    context = click.get_current_context()
    format_given = context.get_parameter_source("fmt") is click.core.ParameterSource.COMMANDLINE
    if template is not None and format_given:
        raise UsageError("--template and --format exclude each other; give one.")
    if prepend_to is not None and (output is not None or fmt == ChangelogFormat.JSON.value):
        raise UsageError("--prepend writes markdown into the file; drop --output and --format.")
    with opened(repo_path, cache_dir, no_cache) as project, progress_bar("Comparing") as bar:
        changelog = build_changelog(
            project, since=since, until=until, first_parent=first_parent, progress=bar
        )
    _warn_skipped([skipped.message for skipped in changelog.skipped])
    if template is not None:
        text = render_template(changelog, read_input_file(template, "a template"), template.name)
    else:
        text = render_changelog(changelog, ChangelogFormat(fmt))
    if prepend_to is None:
        write_output(text, output)
        return EXIT_OK
    existing = read_input_file(prepend_to, "a changelog") if prepend_to.exists() else ""
    updated = prepend(existing, text)
    if updated == existing:
        click.echo(f"{prepend_to} already starts with this section; left unchanged.", err=True)
    else:
        replace_file(prepend_to, updated.encode("utf-8", "surrogateescape"))
        click.echo(f"Added {release_title(changelog)} to {prepend_to}.", err=True)
    return EXIT_OK
