"""Properties: the parser never raises, and form is not content."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasediff.changes import Side
from phasediff.diff import diff_documents
from phasediff.model import PhaseDocument
from phasediff.parse import parse_document
from tests.support.reformat import TRANSFORMS, reformat
from tests.test_parse import TEMPLATE, TEMPLATE_STYLE

ROOT = Path(__file__).resolve().parents[1]


def _corpus() -> dict[str, str]:
    docs = {"template": TEMPLATE.read_text(encoding="utf-8"), "inline": TEMPLATE_STYLE}
    for path in sorted((ROOT / "fixtures" / "demo").glob("phase-*/*.md")):
        docs[f"{path.parent.name}/{path.name}"] = path.read_bytes().decode("utf-8")
    return docs


CORPUS = _corpus()
NAMES = sorted(CORPUS)
SIDE = Side(phase=None, rev=None, path="doc.md")


def _no_changes(a: PhaseDocument, b: PhaseDocument) -> list[str]:
    comparison = diff_documents(a, b, SIDE, SIDE)
    return [f"{c.rule} {c.key} {c.field}: {c.old!r} -> {c.new!r}" for c in comparison.changes]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_parser_never_raises_on_random_text(text: str) -> None:
    doc = parse_document(text)
    assert not any(d.code == "parser-error" for d in doc.diagnostics), doc.diagnostics


_MARKDOWN_BITS = st.sampled_from(
    [
        "#",
        "##",
        "###",
        "- ",
        "- [ ] ",
        "- [x] ",
        "1. ",
        "| a | b |",
        "|---|---|",
        "```yaml",
        "```mermaid",
        "```",
        "**Label:** ",
        "**Status:** ✅",
        "graph TB",
        "A --> B",
        "style A fill:#0f0",
        ":",
        "\t",
        "    ",
        "> ",
        "<!--",
        "-->",
        "[x](y)",
        "`",
        "*",
        "\r\n",
        "\n",
        "\u00a0",
        "ðŸš§",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(NAMES),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    inserts=st.lists(st.tuples(st.floats(0, 1), _MARKDOWN_BITS), max_size=12),
    deletions=st.integers(min_value=0, max_value=20),
)
def test_parser_never_raises_on_mutated_documents(
    name: str, seed: int, inserts: list[tuple[float, str]], deletions: int
) -> None:
    rng = random.Random(seed)
    lines = CORPUS[name].split("\n")
    for _ in range(deletions):
        if lines:
            del lines[rng.randrange(len(lines))]
    for where, bit in inserts:
        index = int(where * len(lines))
        lines.insert(
            index, bit + (lines[index] if index < len(lines) and rng.random() < 0.5 else "")
        )
    if rng.random() < 0.3 and lines:
        # Cut a document mid-way: an unterminated fence or table.
        lines = lines[: rng.randrange(len(lines))]
    doc = parse_document("\n".join(lines))
    assert not any(d.code == "parser-error" for d in doc.diagnostics), doc.diagnostics


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_each_reformatting_parses_to_an_equal_model(name: str, transform: str) -> None:
    original = parse_document(CORPUS[name])
    changed_text = reformat(CORPUS[name], random.Random(7), [transform])
    reformatted = parse_document(changed_text)
    assert _no_changes(original, reformatted) == []
    assert reformatted == original


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(NAMES),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    transforms=st.lists(st.sampled_from(sorted(TRANSFORMS)), unique=True),
    crlf=st.booleans(),
)
def test_randomly_reformatted_copy_has_no_changes(
    name: str, seed: int, transforms: list[str], crlf: bool
) -> None:
    original = parse_document(CORPUS[name])
    reformatted = parse_document(reformat(CORPUS[name], random.Random(seed), transforms, crlf))
    assert _no_changes(original, reformatted) == []
    assert reformatted == original


@pytest.mark.parametrize("name", NAMES)
def test_document_against_itself_has_no_changes(name: str) -> None:
    doc = parse_document(CORPUS[name])
    assert _no_changes(doc, parse_document(CORPUS[name])) == []
