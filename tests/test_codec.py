"""The cache's encoding: model values read back identical, anything else is a DecodeError."""

from __future__ import annotations

import enum
import math
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from phasediff.changes import Change, Kind, Severity
from phasediff.codec import DecodeError, EncodeError, check, decode, encode
from phasediff.gitrepo import FileChange, LogEntry
from phasediff.markdown import ParsedChunk, parse_markdown
from phasediff.model import PhaseDocument
from phasediff.parse import parse_document
from tests.test_cache import DOCUMENTS, assert_identical


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_parsed_document_reads_back_identical(path: Path) -> None:
    document = parse_document(path.read_text(encoding="utf-8"))
    assert_identical(decode(encode(document), PhaseDocument), document)


def test_a_chunk_and_a_walk_read_back() -> None:
    generic = parse_markdown("# Title\n\n## Part\n\n- one\n  - nested\n")
    chunk = ParsedChunk(3, None, generic.sections, ())
    assert_identical(decode(encode(chunk), ParsedChunk), chunk)
    walk = [
        LogEntry("a" * 40, ("b" * 40,), "Bo", "bo@example.com", "2024-01-01T00:00:00+00:00",
                 "s\udcff", (FileChange("R", "x.md", "y.md", "1" * 40, "2" * 40),)),
    ]  # fmt: skip
    assert decode(encode(walk, list[LogEntry]), list[LogEntry]) == walk


PLAIN: list[Any] = [
    None,
    True,
    0,
    -(2**70),
    1.5,
    -0.0,
    math.inf,
    "ünïcode \x00 \udcff",
    [1, [2, "3"]],
    (1, (2, "3")),
    {"a": {"b": [1, (2,)]}},
    {1: "int key", None: "null key", (1, 2): "tuple key", False: "bool key"},
    {"\x00": "a key that looks like the tag"},
    {1, 2, "three"},
    frozenset({"x"}),
    b"\x00\xff bytes",
    [("ordered", 1), ("pairs", 2)],  # YAML's !!omap
]


@pytest.mark.parametrize("value", PLAIN, ids=range(len(PLAIN)))
def test_any_data_keeps_its_exact_types(value: Any) -> None:
    change = Change("components", Kind.CHANGED, "loki", "configuration", value, None,
                    Severity.INFO, "component-config-changed", line=7, path="p.md")  # fmt: skip
    back = decode(encode(change), Change)
    assert_identical(back, change)
    assert repr(back.old) == repr(value)  # True is not 1, a tuple not a list


def test_nan_reads_back_as_nan() -> None:
    back = decode(encode([math.nan], list[Any]), list[Any])
    assert math.isnan(back[0])


def test_a_value_with_no_stored_form_is_not_encoded() -> None:
    with pytest.raises(EncodeError):
        encode(Change("x", Kind.ADDED, "k", None, object(), None, Severity.INFO, "r"))
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(EncodeError):
        encode(loop, list[Any])


class Colour(enum.Enum):
    RED = "red"


@dataclass(frozen=True)
class Thing:
    name: str
    colour: Colour | None = None
    sizes: tuple[int, ...] = ()
    pair: tuple[str, float] = ("", 0.0)
    data: Any = None
    line: int = field(default=0, compare=False)


@pytest.mark.parametrize(
    "stored",
    [
        pickle.dumps(Thing("x")),  # not JSON at all
        b"",
        b"\xff\xfe",
        b'["x", "blue", [], ["", 0.0], null, 0]',  # no such colour
        b'["x", null, [1, "2"], ["", 0.0], null, 0]',  # a string among the ints
        b'["x", null, [true], ["", 0.0], null, 0]',  # a bool is no int
        b'["x", null, [], ["", 0.0], null]',  # a field short
        b'["x", null, [], ["", 0.0], null, 0, 1]',  # a field too many
        b'["x", null, [], ["", 0.0, 1], null, 0]',
        b'["x", null, [], ["", 0], null, 0]',  # an int is no float
        b'["x", null, [], ["", 0.0], {"\\u0000": "nope", "v": 1}, 0]',
        b'["x", null, [], ["", 0.0], {"\\u0000": "d", "v": [[[1], 2]]}, 0]',  # list as key
        b'{"name": "x"}',
        b"[]",
        b"null",
        "a str".encode("utf-16"),
    ],
)
def test_anything_but_the_type_asked_for_is_a_decode_error(stored: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(stored, Thing)


def test_decoders_follow_the_type_hints() -> None:
    thing = Thing("x", Colour.RED, (1, 2), ("a", 2.5), {"k": (1, {2})}, line=9)
    assert (
        encode(thing)
        == b'["x","red",[1,2],["a",2.5],{"k":{"\\u0000":"t","v":[1,{"\\u0000":"s","v":[2]}]}},9]'
    )
    assert_identical(decode(encode(thing), Thing), thing)


@dataclass(frozen=True)
class Keeper:
    things: dict[str, Thing]
    tags: frozenset[str] = frozenset()
    seen: set[int] = field(default_factory=set)


def test_typed_mappings_and_sets_read_back() -> None:
    keeper = Keeper({"a": Thing("a", Colour.RED)}, frozenset({"x", "y"}), {1, 2})
    back = decode(encode(keeper), Keeper)
    assert back == keeper and type(back.tags) is frozenset and type(back.seen) is set
    with pytest.raises(DecodeError):
        decode(b'[[["a", 1]], [], []]', Keeper)


def test_every_value_the_cache_keeps_has_a_stored_form() -> None:
    """A field added to the model with a type the codec cannot store fails here, not by
    leaving the cache silently cold."""
    from phasediff.history import _Stored

    for hint in (PhaseDocument, ParsedChunk, _Stored, list[LogEntry], str | None):
        check(hint)

    @dataclass(frozen=True)
    class Unstorable:
        name: str
        value: complex

    with pytest.raises(TypeError):
        check(Unstorable)
