"""Committed symbolic links never make phasediff read or write a file outside the repository.

At a revision git stores a link as its target's text, so only the working tree
can lead outside; documents, settings and the acknowledged-changes file are each
refused there with one line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from phasediff.cli import main
from tests.support.phase_docs import PHASE_2, document

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

SECRET = "# Phase 7 Architecture: the secret next door\n\nTOP SECRET\n"


def run(repo: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--repo", str(repo)], env={"NO_COLOR": "1"})


@pytest.fixture
def outside(git_repo: GitRepoBuilder) -> Path:
    """A file beside the repository, and phase 2 committed inside it."""
    secret = git_repo.root.parent / "outside.md"
    secret.write_text(SECRET)
    git_repo.write("docs/phase-2/ARCHITECTURE.md", PHASE_2)
    return secret


def test_a_document_linked_outside_is_not_read(git_repo: GitRepoBuilder, outside: Path) -> None:
    link = git_repo.path("docs/phase-7/ARCHITECTURE.md")
    link.parent.mkdir(parents=True)
    link.symlink_to(os.path.relpath(outside, link.parent))
    git_repo.commit("link")
    result = run(git_repo.root, "show", "7", "--format", "json")
    assert result.exit_code == 3
    assert "TOP SECRET" not in result.output
    assert "outside the repository" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_link_inside_the_repository_is_read(git_repo: GitRepoBuilder, outside: Path) -> None:
    git_repo.write("shared/nine.md", document("9", ["Mimir"], [], title="Storage"))
    link = git_repo.path("docs/phase-9/ARCHITECTURE.md")
    link.parent.mkdir(parents=True)
    link.symlink_to("../../shared/nine.md")
    git_repo.commit("link")
    result = run(git_repo.root, "show", "9")
    assert result.exit_code == 0, result.output
    assert "Mimir" in result.stdout


def test_accept_does_not_write_through_a_link_outside(
    git_repo: GitRepoBuilder, outside: Path
) -> None:
    target = outside.parent / "planted.yaml"
    git_repo.path(".phasediff-accept.yaml").symlink_to(target)
    git_repo.commit("link")
    result = run(git_repo.root, "accept", "--reason", "intended", "component-removed:Loki")
    assert result.exit_code == 3
    assert "outside the repository" in result.stderr
    assert not target.exists()


@pytest.mark.parametrize("name", ["pyproject.toml", ".phasediff.toml"])
def test_settings_linked_outside_are_not_read(
    git_repo: GitRepoBuilder, outside: Path, name: str
) -> None:
    settings = outside.parent / "settings.toml"
    settings.write_text('[tool.phasediff]\nglobs = ["**/ARCHITECTURE.md"]\n')
    git_repo.path(name).symlink_to(settings)
    git_repo.commit("link")
    result = run(git_repo.root, "phases")
    assert result.exit_code == 2
    assert f"{name} is a symbolic link to" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_revision_read_gives_the_link_text_not_the_target(
    git_repo: GitRepoBuilder, outside: Path
) -> None:
    link = git_repo.path("docs/phase-7/ARCHITECTURE.md")
    link.parent.mkdir(parents=True)
    link.symlink_to(os.path.relpath(outside, link.parent))
    git_repo.commit("link")
    result = run(git_repo.root, "show", "7", "--rev", "HEAD", "--format", "json")
    assert "TOP SECRET" not in result.output
