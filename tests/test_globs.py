"""Globs from a checked-out pyproject.toml are input: no pattern may hang discovery or history.

(The glob semantics themselves are pinned in test_documents.py, against git's.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from phasediff.cli import main
from phasediff.config import load_config
from phasediff.errors import ConfigError
from phasediff.globs import GlobError, compile_glob, safe_pathspec
from tests.support.phase_docs import PHASE_2

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

#: Twelve stars in one component: a backtracking matcher tries ~n**12 splits of a name.
HOSTILE = "**/*a*a*a*a*a*a*a*a*a*a*a*a*b/ARCHITECTURE.md"
LONG = "a" * 200


def test_many_stars_against_a_long_name_answer_at_once() -> None:
    glob = compile_glob(HOSTILE)
    assert not glob.fullmatch(f"docs/{LONG}/ARCHITECTURE.md")
    assert glob.fullmatch(f"docs/{LONG}b/ARCHITECTURE.md")
    assert glob.fullmatch(f"x/y/{'a' * 12}b/architecture.md")
    assert not glob.fullmatch(f"docs/{'a' * 11}b/ARCHITECTURE.md")  # twelve a's needed


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*a*b*c", "xaybzc", True),
        ("*a*b*c", "xaybz", False),
        ("a*a", "a", False),  # the two pieces may not overlap
        ("a*a", "aa", True),
        ("*ab*ab*", "abab", True),
        ("*ab*ab*", "aba", False),
        ("?*?", "ab", True),
        ("?*?", "a", False),
        ("**/**/x.md", "x.md", True),
        ("**/**", "a/b/c", True),
    ],
)
def test_star_pieces_match_as_a_regex_would(pattern: str, path: str, expected: bool) -> None:
    assert compile_glob(pattern).fullmatch(path) is expected


def test_git_gets_a_safe_superset() -> None:
    assert safe_pathspec(HOSTILE) == "**/*/ARCHITECTURE.md"
    assert safe_pathspec("**/**/docs/phase-*/A.md") == "**/docs/phase-*/A.md"
    assert safe_pathspec("docs/*.md") == "docs/*.md"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("docs/phase-[z-a]/A.md", "reversed range z-a"), ("docs/\0/A.md", "NUL character")],
)
def test_a_glob_that_cannot_be_meant_is_refused(pattern: str, message: str) -> None:
    with pytest.raises(GlobError, match=message):
        compile_glob(pattern)


@pytest.mark.parametrize("pattern", ["docs/phase-[z-a]/A.md", "docs/\\u0000/A.md"])
def test_a_bad_glob_in_settings_is_a_config_error(tmp_path: Path, pattern: str) -> None:
    (tmp_path / ".phasediff.toml").write_text(f'globs = ["{pattern}"]\n')
    with pytest.raises(ConfigError, match=r"\.phasediff\.toml: globs: .*Fix the pattern"):
        load_config(tmp_path)


def test_phases_and_log_with_the_hostile_glob(git_repo: GitRepoBuilder) -> None:
    git_repo.write(".phasediff.toml", f'globs = ["{HOSTILE}"]\n')
    git_repo.write(f"docs/{LONG}/ARCHITECTURE.md", PHASE_2)  # never matches, slowly for a regex
    git_repo.write(f"docs/{'a' * 12}b/ARCHITECTURE.md", PHASE_2)
    git_repo.commit("phase 2")
    runner = CliRunner()
    phases = runner.invoke(main, ["phases", "--repo", str(git_repo.root)])
    assert phases.exit_code == 0, phases.output
    assert f"docs/{'a' * 12}b/ARCHITECTURE.md" in phases.stdout
    assert LONG not in phases.stdout
    log = runner.invoke(main, ["log", "--no-cache", "--repo", str(git_repo.root)])
    assert log.exit_code == 0, log.output
    assert "phase 2" in log.stdout
