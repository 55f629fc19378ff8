"""``phasediff install-git-diff``: route phase documents through ``phasediff textconv``.

Two settings make ``git diff`` and ``git log -p`` semantic for phase
documents: a ``diff=phasediff`` attribute on their paths (``.gitattributes``,
one line per phase-document glob of the project's configuration) and the
driver itself, ``diff.phasediff.textconv``, in the repository's own config.
Both are written only when missing, so a second run changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from phasediff.config import load_config
from phasediff.errors import PhasediffError
from phasediff.gitrepo import Repository

DRIVER = "phasediff"
TEXTCONV_KEY = f"diff.{DRIVER}.textconv"
TEXTCONV_COMMAND = "phasediff textconv"
ATTRIBUTES = ".gitattributes"


def attribute_lines(globs: tuple[str, ...]) -> list[str]:
    """The ``.gitattributes`` lines for the given phase-document globs."""
    return [f"{glob} diff={DRIVER}" for glob in globs]


def missing_lines(existing: str, wanted: list[str]) -> list[str]:
    """The wanted lines that ``existing`` lacks (compared with whitespace collapsed)."""
    have = {" ".join(line.split()) for line in existing.splitlines()}
    return [line for line in wanted if " ".join(line.split()) not in have]


def install_git_diff(path: Path) -> list[str]:
    """Write what is missing; return one line per setting, saying what was done."""
    with Repository.open(path) as repo:
        if repo.is_bare:
            raise PhasediffError(
                f"{repo.git_dir} is a bare repository: .gitattributes needs a work tree. "
                "Run install-git-diff in a clone with a work tree."
            )
        # A committed .gitattributes link must not make this write outside the repository.
        attributes = repo.work_tree_file(ATTRIBUTES)
        report: list[str] = []
        current = repo.get_config(TEXTCONV_KEY)
        if current == TEXTCONV_COMMAND:
            report.append(f"git config {TEXTCONV_KEY} is already '{TEXTCONV_COMMAND}'.")
        else:
            repo.set_config(TEXTCONV_KEY, TEXTCONV_COMMAND)
            was = f" (was '{current}')" if current is not None else ""
            report.append(
                f"Set git config {TEXTCONV_KEY} = '{TEXTCONV_COMMAND}' in "
                f"{repo.git_dir / 'config'}{was}."
            )
        root = repo.root
    wanted = attribute_lines(load_config(root).globs)
    try:
        existing = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
        added = missing_lines(existing, wanted)
        if added:
            separator = "" if not existing or existing.endswith("\n") else "\n"
            with attributes.open("a", encoding="utf-8", newline="\n") as handle:
                handle.write(separator + "\n".join(added) + "\n")
    except OSError as exc:
        raise PhasediffError(f"Cannot update {attributes}: {exc.strerror or exc}.") from exc
    if added:
        report += [f"Added to {attributes}: {line}" for line in added]
        report.append(
            f"Commit {ATTRIBUTES} to share the setting; each clone runs install-git-diff."
        )
    else:
        report.append(f"{attributes} already routes phase documents through {DRIVER}.")
    return report
