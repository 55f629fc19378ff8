"""The changelog format: layout, headings, the drift graph, and inert document text."""

from __future__ import annotations

from dataclasses import replace

import pytest
from markdown_it import MarkdownIt

from phasediff.changes import Comparison, Side
from phasediff.model import Diagram, Node
from phasediff.render import Format, render_comparison
from phasediff.render.markdown import code, escape, heading
from tests.test_render_samples import (
    A,
    B,
    C,
    R,
    W,
    assert_golden,
    change,
    empty_comparison,
    noisy_diagnostics,
    realistic_comparison,
)

# GitHub-flavoured enough to see links, emphasis, HTML, tables and strikethrough.
_GFM = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def markdown(comparison: Comparison) -> str:
    return render_comparison(comparison, Format.MARKDOWN)


def html(text: str) -> str:
    return str(_GFM.render(text))


def test_realistic_comparison_golden() -> None:
    assert_golden("markdown.md", markdown(realistic_comparison()))


def test_no_changes_golden() -> None:
    assert_golden("markdown-empty.md", markdown(empty_comparison()))


def test_breaking_changes_come_first_with_rule_ids() -> None:
    output = markdown(realistic_comparison())
    breaking = output.index("### ⚠️ Breaking changes")
    assert breaking < output.index("### Overview")
    block = output[breaking:].split("\n\n", 2)[1]
    assert block.splitlines()[0] == (
        "- Component Promtail removed (replaced by Grafana Alloy) `component-removed`"
    )
    assert len(block.splitlines()) == 5
    # Listed once: the Components section keeps only the non-breaking changes.
    components = output[output.index("### Components") :].split("### ", 2)[1]
    assert "Promtail" not in components


def test_sections_group_by_kind() -> None:
    changes = (
        change("metrics", R, "old_total", "metric-removed", severity=B),
        change(
            "metrics",
            C,
            "b_total",
            "metric-type-changed",
            field="type",
            old="counter",
            new="gauge",
            severity=W,
        ),
        change("metrics", A, "a_total", "metric-added"),
    )
    output = markdown(replace(empty_comparison(), changes=changes))
    section = output[output.index("### Metrics") :]
    assert section == (
        "### Metrics\n\n"
        "**Added**\n\n- Metric a_total added\n\n"
        "**Changed**\n\n"
        "- **Warning:** Metric b_total type: counter → gauge `metric-type-changed`\n"
    )


@pytest.mark.parametrize(
    ("base", "head", "expected"),
    [
        (Side("2", "HEAD", "a"), Side("3", "HEAD", "b"), "Phase 2 → Phase 3"),
        (Side("3", "v2.0", "a"), Side("3", "HEAD", "a"), "Phase 3: v2.0 → HEAD"),
        (Side("3", "HEAD", "a"), Side("3", None, "a"), "Phase 3: HEAD → working tree"),
        (Side(None, "v1", "ARCH.md"), Side(None, "v2", "ARCH.md"), "ARCH.md: v1 → v2"),
    ],
)
def test_heading(base: Side, head: Side, expected: str) -> None:
    assert heading(Comparison(base, head, ())) == expected


def test_mentions_html_and_pipes_are_escaped() -> None:
    assert escape("@octocat please") == "@\u200boctocat please"
    assert escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert escape("a | b") == "a \\| b"
    assert escape("fixes #12") == "fixes #\u200b12"
    assert escape("[x](https://evil) *b* _i_ ~s~ `c` $m$") == (
        "\\[x](https://evil) \\*b\\* \\_i\\_ \\~s\\~ \\`c\\` \\$m\\$"
    )
    assert escape("LOKI_RETENTION_PERIOD") == "LOKI_RETENTION_PERIOD"
    assert escape("# not a heading") == "\\# not a heading"
    assert escape("1. not a list") == "1\\. not a list"
    assert escape("&#64;octocat &amp; R&D") == "&amp;#\u200b64;octocat &amp;amp; R&D"


def test_hostile_document_text_renders_inert() -> None:
    hostile = (
        change(
            "components",
            A,
            "@octocat <script>alert(1)</script>",
            "component-added",
            new={"technology": "[click](https://evil) | *bold* @team/admins"},
        ),
        change(
            "env", R, "<img src=x onerror=alert(1)>", "env-removed", severity=B, note="cc @someone"
        ),
        change("document", A, "# Heading\n- item", "section-added"),
    )
    comparison = replace(
        empty_comparison(),
        base=Side("@evil", "<b>", "x`y"),
        changes=hostile,
        diagnostics=noisy_diagnostics(1),
    )
    rendered = html(markdown(comparison))
    for bad in ("<script", "<img", "<a ", "<em>", "<strong>bold", "<h1>", "<b>"):
        assert bad not in rendered
    assert "@octocat" not in rendered and "@someone" not in rendered
    assert "@team" not in rendered and "@evil" not in rendered
    assert "@\u200boctocat" in rendered


def test_code_spans_survive_backticks() -> None:
    assert code("rule") == "`rule`"
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert "<code>a`b</code>" in html(code("a`b"))


def test_drift_graph_sits_in_the_diagram_section() -> None:
    output = markdown(realistic_comparison())
    diagram = output.index("### Architecture diagram")
    block = output.index("```mermaid")
    assert diagram < block < output.index("### Components")


def test_drift_graph_gets_a_section_of_its_own_when_no_diagram_change_is_listed() -> None:
    comparison = replace(
        empty_comparison(),
        changes=(change("components", A, "Tempo", "component-added"),),
        base_diagram=Diagram(kind="mermaid", nodes=(Node("a", "Loki"),)),
        head_diagram=Diagram(kind="mermaid", nodes=(Node("a", "Loki"), Node("b", "Tempo"))),
    )
    output = markdown(comparison)
    assert output.index("### Architecture diagram") < output.index("```mermaid")
    assert output.index("```mermaid") < output.index("### Components")


def test_no_drift_graph_when_diagrams_agree() -> None:
    same = Diagram(kind="mermaid", nodes=(Node("a", "Loki"),))
    comparison = replace(realistic_comparison(), base_diagram=same, head_diagram=same)
    assert "```mermaid" not in markdown(comparison)


def test_parse_notes_are_folded_and_capped() -> None:
    output = markdown(replace(empty_comparison(), diagnostics=noisy_diagnostics(7)))
    assert "<details><summary>Parse notes (7)</summary>" in output
    assert "- … and 2 more\n" in output
    assert output.endswith("</details>\n")


def test_acknowledged_changes_carry_their_reason() -> None:
    output = markdown(realistic_comparison())
    assert (
        "- Port 9080/tcp closed (Promtail) `port-closed` — "
        "_acknowledged: Promtail's port leaves with it (ADR-12)._\n"
    ) in output
