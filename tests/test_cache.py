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
import sqlite3
from pathlib import Path
from typing import Any

import pytest
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
        assert cache.pairs(["k1", "k2"]) == {"k1": ("changes", 1)}
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
        found = cache.pairs([f"k{index}" for index in range(200)])
        assert all(value == "x" * 500 for value in found.values())  # what survives is intact
        cache.put_pair("new", 1)
    with Cache(path) as cache:
        assert cache.pairs(["new"]) == {"new": 1}


def test_another_schema_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    with Cache(path) as cache:
        cache.put_pair("k", 1)
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE meta SET value = '999' WHERE name = 'schema'")
    connection.close()
    with Cache(path) as cache:
        assert cache.pairs(["k"]) == {}
        cache.put_pair("k", 2)
    with Cache(path) as cache:
        assert cache.pairs(["k"]) == {"k": 2}


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
            assert cache.pairs(["k"]) == {}
        connection = sqlite3.connect(path)
        assert connection.execute("SELECT count(*) FROM pairs").fetchone() == (0,)
        connection.close()
    finally:
        cache_module.code_fingerprint.cache_clear()


def test_an_unreadable_value_is_a_miss(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    with Cache(path) as cache:
        cache.put_pair_pickled("bad", b"not a pickle")
        cache.put_document_pickled("b", pickle.dumps("not a document"))
    with Cache(path) as cache:
        assert cache.pairs(["bad"]) == {}
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
            cache.pairs([f"w{(worker + 1) % 4}-0-{index}" for index in range(40)])


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
        found = cache.pairs(keys)
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
