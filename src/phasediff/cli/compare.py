"""``phasediff A B``, ``phases``, ``show`` and ``rules``: comparing and reading documents now.

Imported only when one of these commands runs (see ``LAZY_COMMANDS``), so the
history commands never pay for the comparison machinery they do not use.
"""

from __future__ import annotations

from pathlib import Path

import click

from phasediff.accept import acknowledge, fingerprint_lines, load_accept_file
from phasediff.changes import Comparison, Side
from phasediff.cli.common import (
    EXIT_CODES_HELP,
    color_option,
    fail_on_option,
    format_option,
    gate,
    output_option,
    repo_option,
    run_command,
    use_color,
    write_output,
    write_stdout,
    write_step_summary,
)
from phasediff.coverage import line_owners
from phasediff.documents import discovery_hints
from phasediff.errors import EXIT_OK, DocumentError
from phasediff.project import Project, Spec, parse_spec
from phasediff.render import Format, render_comparison
from phasediff.render.show import show_coverage, show_json, show_text
from phasediff.rules import RULES


@click.command("diff", epilog=EXIT_CODES_HELP)
@click.argument("base")
@click.argument("head", required=False)
@click.option("--rev", default=None, help="Read phases at this revision (default: working tree).")
@click.option("--from", "from_rev", default=None, help="With one PHASE: the base revision.")
@click.option(
    "--to",
    "to_rev",
    default=None,
    help="With one PHASE: the head revision (default: working tree).",
)
@format_option(f.value for f in Format)
@output_option
@color_option
@click.option(
    "--scope",
    type=click.Choice(["all", "architecture"]),
    default="all",
    show_default=True,
    help="Between two phases: the architecture and then every other section (all), or the "
    "architecture only.",
)
@click.option("--exit-code", is_flag=True, help="Exit 1 when there is any change.")
@fail_on_option
@click.option(
    "--print-fingerprints",
    is_flag=True,
    help="Print each change's fingerprint (for the acknowledged-changes file) instead of the "
    "report; with --fail-on, only the changes at or above it.",
)
@repo_option
@run_command
def diff_command(
    base: str,
    head: str | None,
    rev: str | None,
    from_rev: str | None,
    to_rev: str | None,
    fmt: str,
    output: Path | None,
    color: str,
    scope: str,
    exit_code: bool,
    fail_on: str | None,
    print_fingerprints: bool,
    repo_path: Path,
) -> int:
    """Compare two phases (A B), one phase at two revisions, or two files.

    \b
    BASE and HEAD are each one of:
      3                                   phase 3 (at --rev, or in the working tree)
      3@v2.0                              phase 3 at revision v2.0
      v2.0:docs/phase-3/ARCHITECTURE.md   a file at a revision
      path/to/ARCHITECTURE.md             a file on disk
    With a single PHASE, --from REV and --to REV compare it across revisions.
    """
    project = Project.open(repo_path)
    cwd = Path.cwd()
    base_spec, head_spec = _diff_specs(base, head, rev, from_rev, to_rev, cwd)
    comparison = project.compare(base_spec, head_spec, scope=scope)
    comparison = acknowledge(comparison, load_accept_file(project.repo, project.config, None))
    if print_fingerprints:
        write_output(fingerprint_lines(comparison.changes, fail_on), output)
        return verdict(comparison, exit_code=exit_code, fail_on=fail_on)
    text = render_comparison(comparison, Format(fmt), color=use_color(color) and output is None)
    write_output(text, output)
    if exit_code or fail_on is not None:
        write_step_summary(render_comparison(comparison, Format.MARKDOWN))
    return verdict(comparison, exit_code=exit_code, fail_on=fail_on)


def _diff_specs(
    base: str,
    head: str | None,
    rev: str | None,
    from_rev: str | None,
    to_rev: str | None,
    cwd: Path,
) -> tuple[Spec, Spec]:
    if head is None:
        if from_rev is None:
            raise click.UsageError(
                f"Give two phases to compare (phasediff {base} 4), or --from REV to compare "
                f"phase {base} across revisions."
            )
        spec = parse_spec(base, None, cwd)
        if spec.phase is None:
            raise click.UsageError("--from/--to take a PHASE, not a file.")
        return Spec(phase=spec.phase, rev=from_rev), Spec(phase=spec.phase, rev=to_rev)
    if from_rev is not None or to_rev is not None:
        raise click.UsageError(
            "--from/--to go with a single PHASE; for two phases use --rev, or PHASE@REV."
        )
    return parse_spec(base, rev, cwd), parse_spec(head, rev, cwd)


def verdict(comparison: Comparison, *, exit_code: bool, fail_on: str | None) -> int:
    """The exit code a CI gate reads from a comparison (acknowledged changes never trip it)."""
    return gate(comparison.changes, exit_code=exit_code, fail_on=fail_on)


@click.command("phases")
@click.option(
    "--rev", default=None, help="List the phases at this revision (default: working tree)."
)
@repo_option
@run_command
def phases_command(rev: str | None, repo_path: Path) -> int:
    """List the phase documents: id, path, name, status, started and completed dates."""
    project = Project.open(repo_path)
    refs = project.refs(rev)
    if not refs:
        raise project.no_documents(rev)
    rows = []
    for ref in refs:
        try:
            _, doc = project.load(ref)
        except DocumentError as exc:
            # One unreadable document is a row and a warning, not the end of the listing.
            click.echo(f"Warning: {exc}", err=True)
            rows.append((ref.phase, ref.path, "-", "unreadable", "-", "-"))
            continue
        overview = doc.overview
        rows.append(
            (
                ref.phase,
                ref.path,
                overview.name or "-",
                overview.status_value or "-",
                overview.started or "-",
                overview.completed or "-",
            )
        )
    header = ("PHASE", "PATH", "NAME", "STATUS", "STARTED", "COMPLETED")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    write_stdout("".join(line + "\n" for line in lines))
    for hint in discovery_hints(project.repo.list_files(rev), refs, project.config):
        click.echo(f"Note: {hint}", err=True)
    return EXIT_OK


@click.command("show")
@click.argument("phase")
@click.option(
    "--rev", default=None, help="Read the document at this revision (default: working tree)."
)
@click.option(
    "--coverage",
    is_flag=True,
    help="List which lines went to typed entities, which to generic ones, which to nothing.",
)
@format_option(["text", "json"])
@output_option
@color_option
@repo_option
@run_command
def show_command(
    phase: str,
    rev: str | None,
    coverage: bool,
    fmt: str,
    output: Path | None,
    color: str,
    repo_path: Path,
) -> int:
    """Show the parsed model of one phase document (PHASE, PHASE@REV, REV:PATH or a file)."""
    project = Project.open(repo_path)
    spec = parse_spec(phase, rev, Path.cwd())
    side, doc, source = project.load_spec_text(spec)
    owners = line_owners(source, doc)
    colored = use_color(color) and output is None
    if fmt == "json":
        text = show_json(doc, side, owners)
    elif coverage:
        text = show_coverage(owners, _side_label(side), color=colored)
    else:
        text = show_text(doc, _side_label(side), color=colored)
    write_output(text, output)
    return EXIT_OK


def _side_label(side: Side) -> str:
    where = "working tree" if side.rev is None else side.rev
    return f"{side.path} @ {where}"


@click.command("rules")
@run_command
def rules_command() -> None:
    """Print the change rules: id, default severity, section and meaning."""
    width = max(len(rule.id) for rule in RULES.values())
    write_stdout(
        "".join(
            f"{rule.id.ljust(width)}  {rule.severity.value:<8}  {rule.section:<16}  "
            f"{rule.description}\n"
            for rule in RULES.values()
        )
    )
