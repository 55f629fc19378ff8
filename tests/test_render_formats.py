"""Every format, through the one entry point: dispatch, newline discipline, and never crashing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasediff.changes import SECTIONS, Change, Comparison, Kind, Severity, Side
from phasediff.diff import diff_documents
from phasediff.model import Diagnostic, Diagram, Edge, Legend, Node
from phasediff.render import Format, render_comparison
from phasediff.rules import RULES
from tests.test_render_samples import (
    BASE,
    HEAD,
    PHASE_2,
    PHASE_3,
    doc,
    empty_comparison,
    realistic_comparison,
)


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("color", [False, True])
def test_every_format_renders_and_ends_with_one_newline(fmt: Format, color: bool) -> None:
    for comparison in (realistic_comparison(), empty_comparison()):
        output = render_comparison(comparison, fmt, color=color)
        assert output.endswith("\n") and not output.endswith("\n\n")
        assert "\r" not in output
        if fmt is not Format.TEXT:
            assert "\x1b" not in output  # only the terminal format knows colour


@pytest.mark.parametrize("fmt", list(Format))
def test_output_is_byte_stable(fmt: Format) -> None:
    assert render_comparison(realistic_comparison(), fmt) == render_comparison(
        realistic_comparison(), fmt
    )


def test_format_values_are_the_cli_names() -> None:
    assert [f.value for f in Format] == ["text", "markdown", "json", "github"]


@pytest.mark.parametrize("fmt", list(Format))
def test_renders_a_real_diff(fmt: Format) -> None:
    """The renderers take what the diff engine really produces, not only hand-made records."""
    comparison = diff_documents(doc(PHASE_2), doc(PHASE_3), BASE, HEAD)
    assert comparison.changes
    output = render_comparison(comparison, fmt)
    if fmt is Format.JSON:
        assert json.loads(output)["summary"]["total"] == len(comparison.changes)


# -- property: arbitrary change values never break a renderer ----------------

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10) | st.integers(), inner, max_size=4)
    ),
    max_leaves=12,
)
_text = st.text(max_size=60)
_rules = st.sampled_from(sorted(RULES)) | st.text(max_size=20)


@st.composite
def _changes(draw: st.DrawFn) -> Change:
    return Change(
        section=draw(st.sampled_from(SECTIONS) | _text),
        kind=draw(st.sampled_from(Kind)),
        key=draw(_text),
        field=draw(st.none() | _text),
        old=draw(_values),
        new=draw(_values),
        severity=draw(st.sampled_from(Severity)),
        rule=draw(_rules),
        note=draw(_text),
        line=draw(st.integers(min_value=0, max_value=10_000)),
        path=draw(st.none() | _text),
    )


def _node(draw: st.DrawFn, index: int) -> Node:
    legend = draw(st.none() | st.sampled_from(Legend))
    return Node(id=f"x{index}", label=draw(_text), legend=legend)


@st.composite
def _diagrams(draw: st.DrawFn) -> Diagram:
    nodes = [_node(draw, i) for i in range(draw(st.integers(0, 4)))]
    ids = [n.id for n in nodes] + ["ghost"]
    edges = draw(
        st.lists(st.builds(Edge, st.sampled_from(ids), st.sampled_from(ids), _text), max_size=4)
    )
    return Diagram(kind="mermaid", nodes=tuple(nodes), edges=tuple(edges))


@st.composite
def _comparisons(draw: st.DrawFn) -> Comparison:
    def side() -> Side:
        return Side(draw(st.none() | _text), draw(st.none() | _text), draw(st.none() | _text))

    return Comparison(
        base=side(),
        head=side(),
        changes=tuple(draw(st.lists(_changes(), max_size=6))),
        base_diagram=draw(_diagrams()),
        head_diagram=draw(_diagrams()),
        diagnostics=tuple(
            draw(st.lists(st.builds(Diagnostic, _text, _text, st.integers(0, 99)), max_size=7))
        ),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_comparisons())
def test_renderers_never_raise_and_json_always_parses(comparison: Comparison) -> None:
    for fmt in Format:
        output = render_comparison(comparison, fmt, color=True)
        assert output.endswith("\n") and not output.endswith("\n\n")
    data: Any = json.loads(render_comparison(comparison, Format.JSON), parse_constant=_no_constants)
    assert data["summary"]["total"] == len(comparison.changes)
    assert [c["rule"] for c in data["changes"]] == [c.rule for c in comparison.changes]


@settings(max_examples=100, deadline=None)
@given(_comparisons())
def test_github_commands_stay_on_their_line(comparison: Comparison) -> None:
    # The runner splits commands on LF and CR only; U+2028 and friends are just text.
    output = render_comparison(comparison, Format.GITHUB)
    assert "\r" not in output
    lines = output.rstrip("\n").split("\n")
    annotated = sum(c.severity is not Severity.INFO for c in comparison.changes)
    assert len(lines) == annotated + 1  # one command per change, then the summary


def _no_constants(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")
