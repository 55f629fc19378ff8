"""The section-level parse cache and the persistent cache.

The section cache must be invisible: ``parse_document_cached`` equals
``parse_document`` on every input, line numbers and all, however the cache
was filled.  The persistent cache must never make a run fail: a corrupt,
truncated or foreign file is rebuilt, concurrent writers do not damage it.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import pickle
import re
import shutil
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import phasediff.cache as cache_module
from phasediff.cache import (
    FILE_NAME,
    Cache,
    ChunkStore,
    StoredLog,
    chunk_digest,
    default_cache_dir,
)
from phasediff.cli import main
from phasediff.codec import FORMAT
from phasediff.markdown import (
    ParsedChunk,
    chunk_texts,
    normalise_source,
    parse_markdown,
    parse_markdown_cached,
    split_chunks,
)
from phasediff.model import PhaseDocument
from phasediff.parse import parse_document, parse_document_cached
from tests.support.phase_docs import document

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted(
    [
        *(ROOT / "fixtures" / "demo").rglob("*.md"),
        *(ROOT / "tests" / "cases").rglob("*.md"),
    ]
)


def assert_identical(actual: Any, expected: Any, where: str = "document") -> None:
    """Equal in every field, ``compare=False`` ones (line numbers) included."""
    if dataclasses.is_dataclass(expected) and not isinstance(expected, type):
        assert type(actual) is type(expected), where
        for item in dataclasses.fields(expected):
            assert_identical(
                getattr(actual, item.name), getattr(expected, item.name), f"{where}.{item.name}"
            )
    elif isinstance(expected, tuple | list):
        assert isinstance(actual, tuple | list) and len(actual) == len(expected), where
        for index, (left, right) in enumerate(zip(actual, expected, strict=True)):
            assert_identical(left, right, f"{where}[{index}]")
    else:
        assert actual == expected, where


# -- the section cache is invisible ------------------------------------------------------


def test_fixture_documents_are_found() -> None:
    assert len(DOCUMENTS) > 20


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_cached_parse_equals_parse_on_every_fixture(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert_identical(parse_markdown_cached(text, {}), parse_markdown(text))
    assert_identical(parse_document_cached(text, {}), parse_document(text))


def test_one_cache_shared_by_every_fixture_and_its_variants() -> None:
    """Chunks reused at other offsets (a line added above them) keep exact line numbers."""
    cache: dict[str, ParsedChunk] = {}
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for variant in (text, "\n\n" + text, text.replace("\n\n", "\n\n\n", 3), text + "\n"):
            assert_identical(parse_document_cached(variant, cache), parse_document(variant))


def test_editing_one_section_reparses_only_it() -> None:
    text = (ROOT / "fixtures" / "demo" / "phase-3" / "v4.md").read_text(encoding="utf-8")
    cache: dict[str, ParsedChunk] = {}
    parse_document_cached(text, cache)
    filled = len(cache)
    edited = text.replace("block_retention: 336h", "block_retention: 720h\n# longer")
    assert_identical(parse_document_cached(edited, cache), parse_document(edited))
    assert len(cache) == filled + 1


def test_unchanged_sections_are_shared_between_versions() -> None:
    """What one edit leaves alone is the same object in both versions: comparing stops there."""
    text = (ROOT / "fixtures" / "demo" / "phase-3" / "v4.md").read_text(encoding="utf-8")
    cache: dict[str, ParsedChunk] = {}
    first = parse_document_cached(text, cache)
    edited = text.replace("block_retention: 336h", "block_retention: 720h")
    second = parse_document_cached(edited, cache)
    assert second.components != first.components
    assert second.deployment is first.deployment
    assert second.rollback is first.rollback
    assert second.metrics is first.metrics


@settings(max_examples=300)
@given(
    st.text(
        st.sampled_from(
            [
                "a",
                " ",
                "\t",
                "\n",
                "\r",
                "\x0b",
                "\x1c",
                "\x85",
                "\xa0",
                "\u2028",
                "\u3000",
                "\ufeff",
            ]
        )
    )
)
def test_normalising_drops_the_whitespace_ending_each_line(text: str) -> None:
    unified = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    assert normalise_source(text) == re.sub(r"[^\S\n]+$", "", unified, flags=re.MULTILINE)


def test_demo_documents_are_cut_at_their_headings() -> None:
    text = (ROOT / "fixtures" / "demo" / "phase-3" / "v4.md").read_text(encoding="utf-8")
    lines = normalise_source(text).split("\n")
    cuts = split_chunks(lines)
    assert len(cuts) > 30
    assert all(lines[cut].startswith("#") for cut in cuts[1:])
    # "# /etc/tempo/tempo.yaml" inside the YAML block looks like a heading and is none.
    assert not any(lines[cut].startswith("# /etc") for cut in cuts)
    assert "".join(chunk_texts(text)).count("\n") + len(cuts) - 1 == len(lines) - 1


@pytest.mark.parametrize(
    ("text", "cuts"),
    [
        ("# A\n\ntext\n\n## B\n", [0, 4]),
        ("# A\ntext\n## B\n", [0]),  # a heading right after text: no cut needed, none made
        ("```\n\n# not a heading\n```\n\n# B\n", [0, 5]),
        ("~~~~\n\n# x\n~~~\n\n# y\n~~~~\n\n# B\n", [0, 8]),
        ("<!--\n\n# commented out\n-->\n\n# B\n", [0, 5]),
        ("<!-- one line -->\n\n# B\n", [0, 2]),
        ("<div>\n\n# B\n", [0, 2]),
        ("<pre>\n\n# code\n</pre>\n\n# B\n", [0, 5]),
        ("- item\n\n  ```\n\n# B\n", [0]),  # an indented fence: give up from there
        ("# A\n\n## B\n\n[ref]: https://example.com\n", [0]),  # references are document-wide
    ],
)
def test_cuts_only_between_top_level_blocks(text: str, cuts: list[int]) -> None:
    assert split_chunks(normalise_source(text).split("\n")) == cuts
    assert_identical(parse_markdown_cached(text, {}), parse_markdown(text))


_LINES = st.sampled_from(
    [
        "",
        "",
        "# Title",
        "## Section",
        "### Component 1: Loki",
        "#### Deep",
        "#no heading",
        "Setext title",
        "===",
        "---",
        "**Status:** 🚧 In Progress",
        "**Configuration:**",
        "Some prose with a [link](https://example.com) and `code`.",
        "- item",
        "- [x] done item",
        "  - nested",
        "  continued",
        "1. step",
        "> quote",
        "> ```",
        "| A | B |",
        "|---|---|",
        "| 1 | 2 |",
        "```yaml",
        "```",
        "~~~",
        "````",
        "  ```",
        "    indented code",
        "key: value",
        "  nested: [1, 2",
        "<!-- comment",
        "-->",
        "<!-- one -->",
        "<div>",
        "</div>",
        "<details><summary>x</summary>",
        "<script>",
        "</script>",
        "<?php",
        "?>",
        "<![CDATA[",
        "]]>",
        "\t```",
        "[ref]: https://example.com",
        "see [ref]",
        "   ## indented heading",
        "    # code, not a heading",
        "#",
        "####### seven hashes",
        "  <!-- indented comment",
        "<DIV>",
        "- <!--",
        "  - ```",
        "   ```yaml",
        "``` info ` tick",
        "~~~ info",
        "* star item",
        "2) step",
        "\\# escaped",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINES, max_size=40), st.lists(st.integers(0, 39), max_size=3))
def test_cached_parse_equals_parse_on_random_markdown(lines: list[str], edits: list[int]) -> None:
    """Any mix of blocks, and edited copies parsed through the same cache."""
    cache: dict[str, ParsedChunk] = {}
    text = "\n".join(lines)
    assert_identical(parse_markdown_cached(text, cache), parse_markdown(text))
    assert_identical(parse_document_cached(text, cache), parse_document(text))
    for position in edits:
        edited = [*lines[:position], "", "## Inserted", "new text", "", *lines[position:]]
        version = "\n".join(edited)
        assert_identical(parse_document_cached(version, cache), parse_document(version))


def test_a_failing_cached_parse_falls_back_to_the_whole_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "# Phase 3\n\n**Phase:** 3\n"

    def broken(text: str, cache: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr("phasediff.parse.parse_markdown_cached", broken)
    assert_identical(parse_document_cached(text, {}), parse_document(text))


# -- the persistent cache ---------------------------------------------------------------------


def doc(title: str) -> PhaseDocument:
    return parse_document(f"# {title}\n\n**Phase:** 3\n")


def test_values_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    with Cache(path) as cache:
        cache.put_phase("b1", "3")
        cache.put_phase("b2", None)
        cache.put_pair("k1", ("changes", 1))
        cache.put_document("b1", doc("One"))
        chunk = ParsedChunk(0, None, (), ())
        cache.put_chunk("d1", chunk)
        cache.put_log("s1", StoredLog("c2", ["c2", "c1"], [b"run"]))
        cache.put_log("s2", StoredLog("c0", [], []))
        cache.put_entry("e1", b"Stext")
        assert cache.phases(["b1"]) == {"b1": "3"}  # pending writes are visible before a flush
    with Cache(path) as cache:
        assert cache.phases(["b1", "b2", "b3"]) == {"b1": "3", "b2": None}
        assert cache.pairs(["k1", "k2"], tuple) == {"k1": ("changes", 1)}
        assert cache.document("b1") == doc("One")
        assert cache.document("b9") is None
        assert cache.chunk("d1") == ParsedChunk(0, None, (), ())
        assert cache.log("s1") == StoredLog("c2", ["c2", "c1"], [b"run"])
        assert cache.log("s2") == StoredLog("c0", [], [])
        assert cache.log("s3") is None
        assert cache.entries(["e1", "e2"]) == {"e1": b"Stext"}
        assert cache.warnings == []


def test_disabled_cache_keeps_nothing(tmp_path: Path) -> None:
    cache = Cache.disabled()
    cache.put_phase("b1", "3")
    assert cache.phases(["b1"]) == {}
    cache.close()
    assert not cache.enabled
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(os.urandom(8192)),
        lambda path: path.write_bytes(b"SQLite format 3\x00" + os.urandom(200)),
        lambda path: path.write_bytes(path.read_bytes()[:1500]),
        lambda path: path.write_bytes(b""),
    ],
    ids=["random-bytes", "bad-header", "truncated", "empty"],
)
def test_a_damaged_file_is_rebuilt(tmp_path: Path, damage: Any) -> None:
    path = tmp_path / FILE_NAME
    with Cache(path) as cache:
        for index in range(200):
            cache.put_pair(f"k{index}", "x" * 500)
    damage(path)
    with Cache(path) as cache:  # never raises
        found = cache.pairs([f"k{index}" for index in range(200)], str)
        assert all(value == "x" * 500 for value in found.values())  # what survives is intact
        cache.put_pair("new", 1)
    with Cache(path) as cache:
        assert cache.pairs(["new"], int) == {"new": 1}


def test_another_schema_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    with Cache(path) as cache:
        cache.put_pair("k", 1)
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE meta SET value = '999' WHERE name = 'schema'")
    connection.close()
    with Cache(path) as cache:
        assert cache.pairs(["k"], int) == {}
        cache.put_pair("k", 2)
    with Cache(path) as cache:
        assert cache.pairs(["k"], int) == {"k": 2}


def test_another_parser_version_reads_nothing_and_drops_the_old_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / FILE_NAME
    with Cache(path) as cache:
        cache.put_document("b", doc("Old parser"))
        cache.put_pair("k", 1)
    monkeypatch.setattr(cache_module, "PARSER_VERSION", 999)
    cache_module.code_fingerprint.cache_clear()
    try:
        with Cache(path) as cache:
            assert cache.document("b") is None
            assert cache.pairs(["k"], int) == {}
        connection = sqlite3.connect(path)
        assert connection.execute("SELECT count(*) FROM pairs").fetchone() == (0,)
        connection.close()
    finally:
        cache_module.code_fingerprint.cache_clear()


def test_an_unreadable_value_is_a_miss(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    with Cache(path) as cache:
        cache.put_pair_encoded("bad", b"not a stored value")
        cache.put_document_encoded("b", cache_module.encode("not a document"))
    with Cache(path) as cache:
        assert cache.pairs(["bad"], str) == {}
        assert cache.document("b") is None


def test_an_unwritable_directory_disables_the_cache_with_a_warning(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    cache = Cache(blocker / "sub" / FILE_NAME)
    assert not cache.enabled
    assert len(cache.warnings) == 1 and "disabled" in cache.warnings[0]
    cache.close()


def _writer(path: str, worker: int) -> None:
    for round_ in range(5):
        with Cache(Path(path)) as cache:
            for index in range(40):
                cache.put_pair(f"w{worker}-{round_}-{index}", (worker, round_, index))
            cache.pairs([f"w{(worker + 1) % 4}-0-{index}" for index in range(40)], tuple)


def test_concurrent_runs_do_not_corrupt_it(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    workers = [multiprocessing.Process(target=_writer, args=(str(path), n)) for n in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    with Cache(path) as cache:
        keys = [f"w{w}-{r}-{i}" for w in range(4) for r in range(5) for i in range(40)]
        found = cache.pairs(keys, tuple)
        assert len(found) == len(keys)
        assert found["w2-3-7"] == (2, 3, 7)


def test_chunk_store_reads_through_to_the_persistent_cache(tmp_path: Path) -> None:
    text = (ROOT / "fixtures" / "demo" / "phase-2" / "v4.md").read_text(encoding="utf-8")
    path = tmp_path / FILE_NAME
    with Cache(path) as cache:
        store = ChunkStore(cache)
        parse_document_cached(text, store)
        for chunk_text in chunk_texts(text):
            parsed = store.get(chunk_text)
            assert parsed is not None
            cache.put_chunk(chunk_digest(chunk_text), parsed)
    with Cache(path) as cache:
        store = ChunkStore(cache)
        assert all(store.get(chunk_text) is not None for chunk_text in chunk_texts(text))
        assert_identical(parse_document_cached(text, store), parse_document(text))


def test_default_location_is_shared_by_worktrees(tmp_path: Path) -> None:
    main_git = tmp_path / "repo" / ".git"
    linked = main_git / "worktrees" / "feature"
    linked.mkdir(parents=True)
    (linked / "commondir").write_text("../..\n", encoding="utf-8")
    assert default_cache_dir(main_git) == main_git / "phasediff"
    assert default_cache_dir(linked) == main_git.resolve() / "phasediff"


# -- hostile rows: the file is untrusted input -------------------------------------------------


class _Payload:
    """A pickle that, once loaded, would create ``marker``: what a poisoned CI cache holds."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def _hostile_history(repo: GitRepoBuilder) -> None:
    """Two phases over a few commits, with YAML configuration (``Any`` data) in a component."""
    config = "\n```yaml\nretention: 336h\nports: [9080, 3100]\nlabels: {1: one}\n```\n"
    repo.write("docs/phase-2/ARCHITECTURE.md", document("2", ["Loki"], ["LOKI_URL"]) + config)
    repo.commit("phase 2")
    repo.write("docs/phase-3/ARCHITECTURE.md", document("3", ["Tempo"], ["TEMPO_URL"]))
    repo.commit("phase 3")
    repo.write("docs/phase-2/ARCHITECTURE.md", document("2", ["Loki", "Alloy"], []) + config)
    repo.commit("phase 2: Alloy, no LOKI_URL")
    repo.write("docs/phase-3/ARCHITECTURE.md", document("3", ["Tempo", "Alloy"], ["TEMPO_URL"]))
    repo.commit("phase 3: Alloy")


_COMMANDS = (
    ("log",),
    ("log", "--format", "json"),
    ("log", "2"),
    ("changelog", "--from", "HEAD~3", "--format", "json"),
)


def _run_all(repo: Path, cache: Path | None) -> list[str]:
    outputs = []
    for command in _COMMANDS:
        cache_args = ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
        result = CliRunner().invoke(
            main, [*command, *cache_args, "--repo", str(repo)], env={"NO_COLOR": "1"}
        )
        assert result.exit_code == 0, (command, result.output, result.stderr)
        assert result.stderr == "", (command, result.stderr)
        outputs.append(result.stdout)
    return outputs


_POISONS: dict[str, Any] = {
    "crafted-pickle": None,  # filled in by the test: it names the marker file
    "random-bytes": os.urandom(64),
    "bad-utf8": b"S\xff\xfe\xfd",
    "empty": b"",
    "text-value": "S text, not bytes",
    "integer-value": 7,
    "wrong-shape": b"[1,2,3]",
    "tagged-junk": b'{"\\u0000":"t","v":[1],"x":2}',
}


@pytest.mark.parametrize("poison", sorted(_POISONS))
def test_a_poisoned_row_is_a_miss_and_runs_nothing(
    git_repo: GitRepoBuilder, tmp_path: Path, poison: str
) -> None:
    """Every row of every table replaced by hostile bytes: the output is what a run without a
    cache prints, nothing in the rows is executed, and the rows read are written again."""
    _hostile_history(git_repo)
    marker = tmp_path / "pwned"
    value = _POISONS[poison]
    if value is None:
        value = pickle.dumps(_Payload(marker))
    expected = _run_all(git_repo.root, None)
    cache_dir = tmp_path / "cache"
    assert _run_all(git_repo.root, cache_dir) == expected  # cold: fills every table
    path = cache_dir / FILE_NAME
    connection = sqlite3.connect(path)
    tables = ("phases", "pairs", "documents", "chunks", "logs", "entries")
    with connection:
        for table in tables:
            assert connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
            connection.execute(f"UPDATE {table} SET value = ?", (value,))
    connection.close()
    assert _run_all(git_repo.root, cache_dir) == expected
    assert not marker.exists()
    # What the run needed was computed again and kept: the next run reads it from the cache.
    connection = sqlite3.connect(path)
    for table in ("logs", "entries", "pairs"):
        rows = connection.execute(f"SELECT value FROM {table}").fetchall()
        assert all(row[0] != value for row in rows), table
    connection.close()
    assert _run_all(git_repo.root, cache_dir) == expected
    assert not marker.exists()


def test_the_cache_keeps_no_pickles(git_repo: GitRepoBuilder, tmp_path: Path) -> None:
    """Every stored value is ASCII JSON or text, never a pickle (protocol 2+ starts 0x80)."""
    _hostile_history(git_repo)
    _run_all(git_repo.root, tmp_path / "cache")
    connection = sqlite3.connect(tmp_path / "cache" / FILE_NAME)
    for table in ("pairs", "documents", "chunks", "logs"):
        for (value,) in connection.execute(f"SELECT value FROM {table}"):
            assert value[:1] != b"\x80"
            value.decode("ascii")
    meta = dict(connection.execute("SELECT name, value FROM meta").fetchall())
    connection.close()
    assert meta["format"] == FORMAT


def test_another_format_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    with Cache(path) as cache:
        cache.put_pair("k", 1)
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE meta SET value = 'pickle-5' WHERE name = 'format'")
    connection.close()
    with Cache(path) as cache:
        assert cache.pairs(["k"], int) == {}
        assert cache.warnings == []


# -- the code fingerprint ----------------------------------------------------------------------


def test_fingerprint_covers_every_source_file_found_by_walking_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module added, changed or renamed anywhere in the package (subpackages too) is a new
    fingerprint; compiled files are not."""
    package = tmp_path / "phasediff"
    shutil.copytree(
        Path(cache_module.__file__).parent,
        package,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    monkeypatch.setattr(cache_module, "__file__", str(package / "cache.py"))

    def fingerprint() -> str:
        cache_module.code_fingerprint.cache_clear()
        return cache_module.code_fingerprint()

    try:
        seen = {fingerprint()}
        (package / "__pycache__").mkdir()
        (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"compiled")
        assert fingerprint() in seen
        (package / "newmodule.py").write_text("X = 1\n", encoding="utf-8")
        seen.add(fingerprint())
        (package / "newmodule.py").rename(package / "renamed.py")
        seen.add(fingerprint())
        (package / "diff").mkdir()
        (package / "diff" / "__init__.py").write_text("", encoding="utf-8")
        seen.add(fingerprint())
        (package / "diff" / "__init__.py").write_text("Y = 2\n", encoding="utf-8")
        seen.add(fingerprint())
        for template in (package / "templates").glob("*.j2"):
            template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
            break
        seen.add(fingerprint())
        assert len(seen) == 6
    finally:
        cache_module.code_fingerprint.cache_clear()


def test_a_stored_walk_with_a_junk_run_is_read_from_git_and_kept_again(
    git_repo: GitRepoBuilder, tmp_path: Path
) -> None:
    _hostile_history(git_repo)
    expected = _run_all(git_repo.root, None)
    cache_dir = tmp_path / "cache"
    _run_all(git_repo.root, cache_dir)
    connection = sqlite3.connect(cache_dir / FILE_NAME)
    with connection:
        for key, value in connection.execute("SELECT key, value FROM logs").fetchall():
            head = value.partition(b"\n")[0]
            connection.execute("UPDATE logs SET value = ? WHERE key = ?", (head + b"\n[[1]]", key))
    connection.close()
    assert _run_all(git_repo.root, cache_dir) == expected  # ``log 2`` reads every record
    connection = sqlite3.connect(cache_dir / FILE_NAME)
    values = [value for (value,) in connection.execute("SELECT value FROM logs")]
    connection.close()
    assert values and all(not value.endswith(b"\n[[1]]") for value in values)


def _hold_write_lock(path: str, seconds: float, ready: Any) -> None:
    """Another run writing its results: the write lock, held for ``seconds``."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('holder', 'x')")
    ready.set()
    time.sleep(seconds)
    connection.execute("COMMIT")
    connection.close()


def test_a_run_opens_at_once_and_waits_to_write_while_another_writes(tmp_path: Path) -> None:
    """Two concurrent runs: opening does not wait for the other's write lock, and the results
    are written once it is released, however long that takes (within reason): not skipped
    with "database is locked" after one busy timeout."""
    path = tmp_path / FILE_NAME
    with Cache(path) as cache:
        cache.put_pair("old", 1)
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_write_lock, args=(str(path), 6.0, ready))
    holder.start()
    try:
        assert ready.wait(30)
        start = time.monotonic()
        cache = Cache(path)
        assert cache.enabled and time.monotonic() - start < 1.0
        assert cache.pairs(["old"], int) == {"old": 1}  # reading waits for nobody
        cache.put_pair("new", 2)
        cache.close()
        assert cache.warnings == []
    finally:
        holder.join(30)
    assert holder.exitcode == 0
    with Cache(path) as cache:
        assert cache.pairs(["old", "new"], int) == {"old": 1, "new": 2}
