"""``phasediff textconv`` and ``install-git-diff``: git's own diff, through the parsed model.

The end-to-end tests run the real ``git diff`` on a clone of the demo, with the
driver installed by ``phasediff install-git-diff`` and the ``phasediff`` of this
environment on PATH, as a user's shell would have it.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from phasediff.cli import main
from phasediff.parse import parse_document
from phasediff.textconv import render_textconv
from tests.conftest import GIT_ENV
from tests.support.reformat import reformat

PHASE_2 = "docs/phase-2/ARCHITECTURE.md"
PHASE_3 = "docs/phase-3/ARCHITECTURE.md"


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        ["git", "-C", str(repo), *args], env=env, check=True, capture_output=True, text=True
    ).stdout


def _commit(repo: Path, subject: str) -> str:
    return _git(repo, "log", "--format=%H", "-F", f"--grep={subject}", "-n", "1").strip()


@pytest.fixture
def installed(demo_repo: Path, tmp_path: Path, isolated_git_env: None) -> Path:
    """A clone of the demo with the textconv driver installed."""
    clone = tmp_path / "clone"
    _git(demo_repo, "clone", "--quiet", str(demo_repo), str(clone))
    result = CliRunner().invoke(main, ["install-git-diff", "--repo", str(clone)])
    assert result.exit_code == 0, result.stderr
    return clone


def _semantic_lines(diff: str) -> list[str]:
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_form_only_commit_shows_no_lines(installed: Path) -> None:
    commit = _commit(installed, "reflow paragraphs and align tables")
    raw = _git(installed, "diff", "--no-textconv", f"{commit}^", commit, "--", PHASE_2)
    assert _semantic_lines(raw), "the commit does change the text"
    assert _semantic_lines(_git(installed, "diff", f"{commit}^", commit, "--", PHASE_2)) == []


def test_content_commit_shows_the_changed_entities(installed: Path) -> None:
    commit = _commit(installed, "Tempo 2.4.1 with 14-day block retention")
    lines = _semantic_lines(_git(installed, "diff", f"{commit}^", commit, "--", PHASE_3))
    assert "-deployment.rto.seconds: 14400" in lines
    assert "+deployment.rto.seconds: 7200" in lines
    assert any(
        line.startswith("+components[tempo].technology: Grafana Tempo 2.4.1") for line in lines
    )
    # Semantic lines only: far fewer than the raw diff, which re-wraps the whole file.
    raw = _semantic_lines(
        _git(installed, "diff", "--no-textconv", f"{commit}^", commit, "--", PHASE_3)
    )
    assert len(lines) < len(raw) / 4


def test_log_p_goes_through_the_driver(installed: Path) -> None:
    out = _git(installed, "log", "-p", "-n", "1", "--format=%s", "--", PHASE_3)
    assert "+overview.status: complete" in out


def test_install_is_idempotent(installed: Path) -> None:
    attributes = (installed / ".gitattributes").read_text(encoding="utf-8")
    assert "**/phase*/ARCHITECTURE.md diff=phasediff\n" in attributes
    assert _git(installed, "config", "--local", "diff.phasediff.textconv").strip() == (
        "phasediff textconv"
    )
    again = CliRunner().invoke(main, ["install-git-diff", "--repo", str(installed)])
    assert again.exit_code == 0
    assert "already" in again.stdout and "Added" not in again.stdout
    assert (installed / ".gitattributes").read_text(encoding="utf-8") == attributes


def test_reformatted_document_renders_the_same(demo_repo: Path) -> None:
    text = (demo_repo / PHASE_3).read_text(encoding="utf-8")
    names = ["rewrap", "shuffle_rows", "align_tables", "shuffle_items", "trailing_space"]
    reformatted = reformat(text, random.Random(7), names, crlf=True)
    assert reformatted != text
    assert render_textconv(parse_document(reformatted)) == render_textconv(parse_document(text))


def test_textconv_command_prints_the_model(demo_repo: Path) -> None:
    result = CliRunner().invoke(main, ["textconv", str(demo_repo / PHASE_3)])
    assert result.exit_code == 0
    assert "overview.phase: 3\n" in result.stdout
    assert "line" not in {path.rpartition(".")[2] for path in _paths(result.stdout)}


def test_textconv_unreadable_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["textconv", str(tmp_path / "missing.md")])
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: Cannot read")


def _paths(text: str) -> list[str]:
    return [line.partition(": ")[0] for line in text.splitlines() if not line.startswith(" ")]


def test_textconv_survives_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    # git diff must still show something: the odd byte becomes U+FFFD, not an error.
    path = tmp_path / "ARCHITECTURE.md"
    path.write_bytes(b"\xef\xbb\xbf# Phase 1 Architecture\n\n## Overview\n\n**Phase:** 1 \xff\n")
    result = CliRunner().invoke(main, ["textconv", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "title: Phase 1 Architecture\n" in result.stdout


def test_install_refuses_a_gitattributes_link_out_of_the_repository(
    demo_repo: Path, tmp_path: Path, isolated_git_env: None
) -> None:
    clone = tmp_path / "linked"
    _git(demo_repo, "clone", "--quiet", str(demo_repo), str(clone))
    outside = tmp_path / "outside.txt"
    outside.write_text("untouched\n", encoding="utf-8")
    (clone / ".gitattributes").symlink_to(outside)
    result = CliRunner().invoke(main, ["install-git-diff", "--repo", str(clone)])
    assert result.exit_code == 3
    assert "outside the repository" in result.stderr
    assert outside.read_text(encoding="utf-8") == "untouched\n"
    driver = subprocess.run(
        ["git", "-C", str(clone), "config", "--local", "--get", "diff.phasediff.textconv"],
        capture_output=True,
        env=GIT_ENV,
    )
    assert driver.returncode == 1  # nothing was configured either
