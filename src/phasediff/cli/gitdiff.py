"""``phasediff textconv`` and ``install-git-diff``: git's own diff, through the parsed model.

Kept apart from the history commands: git runs ``textconv`` twice for every
phase document in a diff, so it imports the parser and nothing else it can avoid.
"""

from __future__ import annotations

from pathlib import Path

import click

from phasediff.cli.common import repo_option, run_command
from phasediff.errors import EXIT_OK, PhasediffError


@click.command("textconv")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@run_command
def textconv_command(file: Path) -> int:
    """Print a phase document's parsed model, one fact a line (a git textconv driver).

    With `phasediff install-git-diff`, `git diff` and `git log -p` show the
    facts that changed in a phase document, and nothing for an edit of form
    only (re-wrapped prose, aligned tables, re-ordered rows).
    """
    from phasediff.parse import parse_document
    from phasediff.textconv import render_textconv

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise PhasediffError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
    # Not documents.load_text: a diff must still show what it can of a file that is not
    # UTF-8 (and that module would import GitPython, which textconv has no use for).
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    click.echo(render_textconv(parse_document(text)), nl=False)
    return EXIT_OK


@click.command("install-git-diff")
@repo_option
@run_command
def install_git_diff_command(repo_path: Path) -> int:
    """Make `git diff` show phase documents through `phasediff textconv` (this repository only).

    Sets `diff.phasediff.textconv` in the repository's own git config and adds
    a `diff=phasediff` line for each phase-document glob to .gitattributes.
    Running it again changes nothing.  `git diff --no-textconv` shows the raw
    text; `git config --unset diff.phasediff.textconv` turns it off.
    """
    from phasediff.gitdiff import install_git_diff

    for line in install_git_diff(repo_path):
        click.echo(line)
    return EXIT_OK
