"""``phasediff check``: lint the phase documents and hold their claims against the real drift."""

from __future__ import annotations

from pathlib import Path

import click

from phasediff.check import CheckedDocument, check_phases, is_template_path
from phasediff.cli.common import (
    color_option,
    format_option,
    output_option,
    repo_option,
    run_command,
    use_color,
    write_output,
    write_step_summary,
)
from phasediff.documents import phase_from_path, phase_key
from phasediff.errors import EXIT_FINDINGS, EXIT_OK, EXIT_RUNTIME, DocumentError
from phasediff.project import Project
from phasediff.render.check import CheckFormat, render_check, render_rules, render_step_summary

CHECK_EXIT_CODES = (
    "Exit codes: 0 no errors (warnings allowed); 1 at least one error; 2 usage error or bad "
    "[tool.phasediff] setting; 3 runtime error (not a repository, unknown revision or phase, "
    "unreadable document)."
)


@click.command("check", epilog=CHECK_EXIT_CODES)
@click.argument("phases", nargs=-1, metavar="[PHASE]...")
@click.option(
    "--rev", default=None, help="Check the documents at this revision (default: working tree)."
)
@format_option(
    (f.value for f in CheckFormat),
    help="Output format: text, json (with schema_version) or github (annotations).",
)
@output_option
@color_option
@click.option(
    "--list-rules",
    is_flag=True,
    help="Print the check rules (id, default severity, scope, meaning) and exit.",
)
@repo_option
@run_command
def check_command(
    phases: tuple[str, ...],
    rev: str | None,
    fmt: str,
    output: Path | None,
    color: str,
    list_rules: bool,
    repo_path: Path,
) -> int:
    """Lint phase documents and check what they declare against what actually changed.

    \b
    Every phase is checked unless PHASEs are named.  Per document: template
    placeholders and example rows left in, missing required sections,
    duplicated entries, malformed tables and YAML, unknown diagram nodes,
    contradicting status and dates.  Phase N against phase N-1 (read at the
    same revision): components declared unchanged that changed, changes
    missing from "Modified from Phase N-1", new components missing from
    What's New, removals nobody declared.

    \b
    Rules are turned off or re-graded in [tool.phasediff] rules, e.g.
      rules = { placeholder = "error", template-example = "off" }
    `phasediff check --list-rules` lists them.
    """
    if list_rules:
        write_output(render_rules(), None)
        return EXIT_OK
    project = Project.open(repo_path)
    refs = [ref for ref in project.refs(rev) if not is_template_path(ref.path)]
    if not refs:
        raise project.no_documents(rev)
    for phase in phases:
        project.find(phase, rev)  # an unknown phase is an error, not an empty report
    documents = []
    files = frozenset(project.repo.list_files(rev))  # to tell a broken relative link
    unreadable: list[tuple[str, str]] = []  # (phase, why)
    for ref in refs:
        try:
            loaded, doc = project.load(ref)
        except DocumentError as exc:
            # The others are still checked; the unreadable one is reported after them.
            unreadable.append((ref.phase, str(exc)))
            continue
        documents.append(
            CheckedDocument(ref.phase, loaded.path, doc, phase_from_path(ref.path), files)
        )
    report = check_phases(documents, project.config, selected=phases or None)
    text = render_check(
        report, CheckFormat(fmt), rev=rev, color=use_color(color) and output is None
    )
    write_output(text, output)
    write_step_summary(render_step_summary(report))
    wanted = {phase_key(phase) for phase in phases}
    failed = False
    for phase, why in unreadable:
        if not wanted or phase_key(phase) in wanted:
            click.echo(f"Error: {why}", err=True)
            failed = True
        else:
            click.echo(f"Warning: {why}", err=True)
    if failed:
        return EXIT_RUNTIME
    return EXIT_FINDINGS if report.failed else EXIT_OK
