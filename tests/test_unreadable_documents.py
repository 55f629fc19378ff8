"""One unreadable phase document (not UTF-8) is reported; the other phases still go through."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from phasediff.cli import main
from tests.support.phase_docs import PHASE_2, PHASE_3

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

BROKEN = b"# Phase 5 Architecture\n\n**Phase:** 5\n\n\xff\xfe not text\n"


@pytest.fixture
def repo(git_repo: GitRepoBuilder) -> Path:
    git_repo.write("docs/phase-2/ARCHITECTURE.md", PHASE_2)
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3)
    git_repo.commit("phases 2 and 3")
    git_repo.tag("v1")
    git_repo.write("docs/phase-5/ARCHITECTURE.md", BROKEN)
    git_repo.write("docs/phase-3/ARCHITECTURE.md", PHASE_3.replace("TEMPO_URL", "TEMPO_ADDR"))
    git_repo.commit("phase 5, and Tempo's variable renamed")
    return git_repo.root


def run(repo: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--repo", str(repo)], env={"NO_COLOR": "1"})


def test_phases_lists_the_others_and_warns(repo: Path) -> None:
    result = run(repo, "phases")
    assert result.exit_code == 0, result.output
    assert "docs/phase-3/ARCHITECTURE.md" in result.stdout
    assert "unreadable" in result.stdout
    assert "Warning: docs/phase-5/ARCHITECTURE.md in the working tree is not UTF-8" in (
        result.stderr
    )


def test_check_checks_the_others_and_fails_on_the_unreadable_one(repo: Path) -> None:
    result = run(repo, "check")
    assert result.exit_code == 3
    assert "2 documents checked" in result.stdout
    assert result.stderr.startswith("Error: docs/phase-5/ARCHITECTURE.md")


def test_check_of_another_phase_only_warns(repo: Path) -> None:
    result = run(repo, "check", "2")
    assert result.exit_code in (0, 1), result.output
    assert "1 document checked" in result.stdout
    assert "Warning: docs/phase-5" in result.stderr


def test_changelog_keeps_the_other_phases(repo: Path) -> None:
    result = run(repo, "changelog", "--from", "v1", "--no-cache")
    assert result.exit_code == 0, result.output
    assert "TEMPO_ADDR" in result.stdout
    assert "skipped docs/phase-5/ARCHITECTURE.md" in result.stderr
