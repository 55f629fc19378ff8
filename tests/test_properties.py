"""Properties: the parser never raises, and form is not content."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import phasediff.diff as diff_module
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


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, 1.0, 1.5, float("nan")]),
    st.sampled_from(["", "a", "b", "1", "true"]),
)
_YAML_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), inner, max_size=4),
    ),
    max_leaves=12,
)
_CONFIG = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e", 1, True]), _YAML_DATA)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_CONFIG, _CONFIG, st.data())
def test_sharing_equal_configuration_entries_changes_no_record(
    old: dict[object, object], added: dict[object, object], data: st.DataObject
) -> None:
    """Configuration diffs are the same whether DeepDiff walks the unchanged entries or not."""
    new = {}
    for key, value in old.items():
        edit = data.draw(st.sampled_from(["keep", "keep", "retype", "replace", "drop"]))
        if edit == "keep":
            new[key] = copy.deepcopy(value)  # unchanged, as the next version's own object
        elif edit == "retype":
            new[key] = _retyped(value)  # == but not the same: 1 -> 1.0, key order
        elif edit == "replace":
            new[key] = data.draw(_YAML_DATA)
    new.update(added)
    shared = _config_records(old, new)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(diff_module, "_sharing_same", lambda old, new: new)
        assert _config_records(old, new) == shared


def _retyped(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return float(value)
    if isinstance(value, list):
        return [_retyped(item) for item in value]
    if isinstance(value, dict):
        return {key: _retyped(value[key]) for key in reversed(value)}
    return copy.deepcopy(value)


def _config_records(old: object, new: object) -> list[tuple[object, ...]]:
    out = diff_module._Emitter(diff_module.DiffOptions(), "a.md", "b.md")
    diff_module._config_changes(out, "component", old, new, 1)
    return [(c.rule, c.kind, c.field, repr(c.old), repr(c.new)) for c in out.changes]
