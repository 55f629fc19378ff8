"""Paths git stores that are not UTF-8 must not break reading the other documents."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from click.testing import CliRunner

from phasediff.cli import main
from tests.support.phase_docs import PHASE_2, document

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder


def test_a_document_path_that_is_not_utf8_reads_at_a_revision(git_repo: GitRepoBuilder) -> None:
    git_repo.write("docs/phase-2/ARCHITECTURE.md", PHASE_2)
    git_repo.commit("phase 2")
    odd = os.fsdecode(b"docs/phase-9\xff")  # a directory name in Latin-1
    (git_repo.root / odd).mkdir(parents=True)
    (git_repo.root / odd / "ARCHITECTURE.md").write_text(document("9", ["Mimir"], []))
    git_repo.write("docs/phase-2/ARCHITECTURE.md", PHASE_2.replace("Loki", "Lokix"))
    git_repo.commit("phase 9, and Loki renamed")
    runner = CliRunner()
    root = str(git_repo.root)
    for args in (
        ["phases", "--rev", "HEAD"],
        ["show", "2", "--rev", "HEAD"],
        ["2", "--from", "HEAD~1", "--to", "HEAD"],
        ["changelog", "--from", "HEAD~1", "--no-cache"],
    ):
        result = runner.invoke(main, [*args, "--repo", root])
        assert result.exit_code == 0, (args, result.output)
    shown = runner.invoke(main, ["show", "9", "--rev", "HEAD", "--repo", root])
    assert shown.exit_code == 0, shown.output
    assert "Mimir" in shown.stdout
