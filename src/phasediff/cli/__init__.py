"""The command line: thin wiring from options to one core call, a renderer and an exit code.

The ``cli`` package is the only one that imports click.  Every command body follows the
same shape; errors from the core (``PhasediffError``) are translated once, in
``run_command`` (cli.common), into ``Error: ...`` on stderr and the error's exit code.

Each command lives in its own module and is imported only when it runs or is
listed, so ``phasediff log`` on a warm cache does not import the parser, the
diff or the HTTP client.
"""

from __future__ import annotations

import click

from phasediff import __version__
from phasediff.cli.common import DefaultGroup

# Every command, imported when used: one line each.
LAZY_COMMANDS = {
    "diff": "phasediff.cli.compare:diff_command",
    "phases": "phasediff.cli.compare:phases_command",
    "show": "phasediff.cli.compare:show_command",
    "rules": "phasediff.cli.compare:rules_command",
    "log": "phasediff.cli.history:log_command",
    "changelog": "phasediff.cli.history:changelog_command",
    "check": "phasediff.cli.check:check_command",
    "comment": "phasediff.cli.ci:comment_command",
    "accept": "phasediff.cli.ci:accept_command",
    "trace": "phasediff.cli.report:trace_command",
    "textconv": "phasediff.cli.gitdiff:textconv_command",
    "install-git-diff": "phasediff.cli.gitdiff:install_git_diff_command",
    "report": "phasediff.cli.report:report_command",
}


@click.group(
    cls=DefaultGroup,
    lazy=LAZY_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="phasediff")
def main() -> None:
    """Architectural drift between phase architecture documents, across phases and git history.

    \b
    phasediff 2 3                       what phase 3 adds, removes and changes over phase 2
    phasediff 3 --from v2.0 --to HEAD   how phase 3's document moved between two revisions
    phasediff 3@v2.0 3                  the same, with PHASE@REV on either side
    phasediff phases                    the phase documents found
    phasediff show 3                    the parsed model of one phase document

    Run `phasediff COMMAND --help` for a command's options.
    """
