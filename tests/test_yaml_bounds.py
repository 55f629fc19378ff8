"""YAML blocks whose aliases expand without bound ("billion laughs") are diagnostics, not data.

Nine lines of anchors and aliases stand for a billion strings.  ``load_yaml`` counts the
composed nodes before constructing anything and refuses such a block; the block stays a
code block compared by its text, and every command that reads it finishes at once.  The
time bound itself is in ``benchmarks/hostile.py``; here each command must just succeed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from phasediff.cli import main
from phasediff.diff import jsonable as diff_jsonable
from phasediff.markdown import YAML_EXPANSION_FLOOR, load_yaml
from phasediff.render.common import jsonable as render_jsonable
from tests.support.phase_docs import document

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def with_configuration(yaml_text: str) -> str:
    """Phase 4's document with ``yaml_text`` as the Loki component's configuration."""
    block = f"**Configuration:**\n```yaml\n{yaml_text}\n```\n\n"
    return document("4", ["Loki", "Tempo"], ["LOKI_URL"]).replace(
        "**Technology:** Loki 1.0\n\n", "**Technology:** Loki 1.0\n\n" + block
    )


def test_a_billion_laughs_block_is_an_error_not_data() -> None:
    data, error, line = load_yaml(LAUGHS)
    assert data is None
    assert error is not None and "aliases expand" in error
    assert line == 0


def test_modest_aliases_still_load() -> None:
    text = "base: &base {image: loki, replicas: 2}\nprod:\n  <<: *base\n  replicas: 3\nalso: *base"
    data, error, _ = load_yaml(text)
    assert error is None
    assert data["prod"] == {"image": "loki", "replicas": 3}
    assert data["also"] == {"image": "loki", "replicas": 2}


def test_a_large_block_without_aliases_is_never_refused() -> None:
    text = "\n".join(f"key{i}: [1, 2, 3]" for i in range(YAML_EXPANSION_FLOOR))
    data, error, _ = load_yaml(text)
    assert error is None and len(data) == YAML_EXPANSION_FLOOR


def test_a_merge_key_bomb_is_refused_before_it_is_constructed() -> None:
    # Each merge of two aliases doubles the pairs PyYAML copies while flattening.
    lines = ["m0: &m0 {k: v}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}]}}" for i in range(1, 40)]
    data, error, _ = load_yaml("\n".join(lines))
    assert data is None and error is not None


def test_a_structure_that_refers_to_itself_still_loads() -> None:
    data, error, _ = load_yaml("a: &a [1, *a]")
    assert error is None
    assert render_jsonable(data) == {"a": [1, "<recursive>"]}
    assert diff_jsonable(data) == {"a": [1, "<recursive>"]}


@pytest.mark.parametrize("convert", [render_jsonable, diff_jsonable])
def test_jsonable_stops_expanding_shared_values(convert: object) -> None:
    value: list[object] = ["lol"] * 10
    for _ in range(8):
        value = [value] * 10  # 10**9 leaves, shared
    flat = json.dumps(convert(value))  # type: ignore[operator]
    assert "<truncated>" in flat
    assert len(flat) < 20_000_000


@pytest.fixture
def bomb_repo(git_repo: GitRepoBuilder) -> Path:
    git_repo.write("docs/phase-4/ARCHITECTURE.md", with_configuration("replicas: 2"))
    git_repo.commit("phase 4")
    git_repo.write("docs/phase-4/ARCHITECTURE.md", with_configuration(LAUGHS))
    git_repo.commit("configure Loki")
    return git_repo.root


def run(repo: Path, *args: str) -> Result:
    where = ["--checkout", str(repo)] if args[0] == "comment" else ["--repo", str(repo)]
    return CliRunner().invoke(main, [*args, *where], env={"NO_COLOR": "1"})


@pytest.mark.parametrize(
    "args",
    [
        ("4", "--from", "HEAD~1", "--to", "HEAD"),
        ("4", "--from", "HEAD~1", "--to", "HEAD", "--format", "json"),
        ("log", "-n", "1", "--no-cache"),
        ("log", "-n", "1", "--no-cache", "--format", "json"),
        ("changelog", "--from", "HEAD~1", "--no-cache"),
        ("show", "4", "--format", "json"),
        ("comment", "--dry-run", "--base", "HEAD~1", "--head", "HEAD"),
    ],
)
def test_every_command_reads_the_bomb_as_text(bomb_repo: Path, args: tuple[str, ...]) -> None:
    result = run(bomb_repo, *args)
    assert result.exit_code == 0, result.output
    assert "lol" in result.stdout  # the block's text, compared as text
    assert len(result.stdout) < 100_000


def test_check_reports_the_block_on_its_line(bomb_repo: Path) -> None:
    result = run(bomb_repo, "check", "4")
    assert "aliases expand" in result.stdout + result.stderr


def test_show_keeps_the_text_and_says_why_there_is_no_data(bomb_repo: Path) -> None:
    shown = json.loads(run(bomb_repo, "show", "4", "--format", "json").stdout)
    flat = json.dumps(shown)
    assert "aliases expand" in flat  # the diagnostic
    assert flat.count('"lol"') < 100  # the text, not the expansion
