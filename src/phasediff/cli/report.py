"""``phasediff trace`` and ``phasediff report``: thin wiring over ``trace`` and ``report``."""

from __future__ import annotations

from pathlib import Path

import click

from phasediff.cli.common import format_option, output_option, repo_option, run_command
from phasediff.cli.history import cache_options, opened
from phasediff.errors import EXIT_OK, PhasediffError
from phasediff.render.trace import TraceFormat, render_trace

TRACE_EXIT_CODES = (
    "Exit codes: 0 traced; 2 usage error; 3 runtime error (not a repository, unknown "
    "revision, an entity no phase or commit mentions: the message names close matches)."
)


@click.command("trace", epilog=TRACE_EXIT_CODES)
@click.argument("entity")
@click.option("--to", "until", default="HEAD", show_default=True, help="Trace up to this revision.")
@format_option(f.value for f in TraceFormat)
@output_option
@cache_options
@repo_option
@run_command
def trace_command(
    entity: str,
    until: str,
    fmt: str,
    output: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
    repo_path: Path,
) -> int:
    """The history of one thing across phases and commits.

    \b
    phasediff trace Loki                                 a component
    phasediff trace port:4317                            a port (number, or number/protocol)
    phasediff trace env:LOKI_RETENTION_PERIOD            an environment variable
    phasediff trace metric:promtail_sent_entries_total   a metric
    phasediff trace config:loki-config.yaml              a configuration file

    For each phase: whether the entity exists there (new, modified, retained,
    replaced, removed, not mentioned) and its values.  For each commit that
    changed it: the change, author, date and subject.  Built on the cached
    history walk, so a second run reads no document.
    """
    from phasediff.cli.common import write_output
    from phasediff.trace import build_trace

    with opened(repo_path, cache_dir, no_cache) as project:
        trace = build_trace(project, entity, until=until)
    for skipped in trace.skipped:
        click.echo(f"Warning: {skipped.message}", err=True)
    write_output(render_trace(trace, TraceFormat(fmt)), output)
    return EXIT_OK


REPORT_EXIT_CODES = (
    "Exit codes: 0 written; 2 usage error; 3 runtime error (not a repository, unknown "
    "revision, a directory that cannot be written)."
)


@click.command("report", epilog=REPORT_EXIT_CODES)
@click.option(
    "--html",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the static HTML site into this directory (created if missing).",
)
@click.option("--rev", default="HEAD", show_default=True, help="The phases at this revision.")
@click.option("--title", default="", help="The site's title (default: the repository's name).")
@cache_options
@repo_option
@run_command
def report_command(
    directory: Path,
    rev: str,
    title: str,
    cache_dir: Path | None,
    no_cache: bool,
    repo_path: Path,
) -> int:
    """A static HTML site of the architecture: open DIR/index.html from disk.

    \b
    phasediff report --html site            then open site/index.html
    phasediff report --html site --rev v3.0

    The component matrix (components x phases: new, modified, retained,
    replaced, removed, not mentioned; a cell opens that component in that
    phase), a timeline of phases and of the commits that changed their
    documents, the drift of each phase against the previous one, and each
    document's history.  No script, no network: publish it as a CI artifact
    or on GitHub Pages as it is.
    """
    from phasediff.render.html import render_site
    from phasediff.report import build_report

    with opened(repo_path, cache_dir, no_cache) as project:
        report = build_report(project, rev=rev, title=title)
    for skipped in report.skipped:
        click.echo(f"Warning: {skipped.message}", err=True)
    files = render_site(report)
    _write_site(directory, files)
    click.echo(f"Wrote {len(files)} files; open {(directory / 'index.html').resolve()}")
    return EXIT_OK


def _write_site(directory: Path, files: dict[str, str]) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in sorted(files.items()):
            (directory / name).write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise PhasediffError(
            f"Cannot write the report into {directory}: {exc.strerror or exc}."
        ) from exc
