"""GitHub Actions workflow commands: one per breaking or warning change, escaped."""

from __future__ import annotations

from dataclasses import replace

from phasediff.render import Format, render_comparison
from phasediff.render.github import annotation, escape_data, escape_property
from tests.test_render_samples import (
    INFO,
    A,
    B,
    C,
    R,
    W,
    assert_golden,
    change,
    empty_comparison,
    realistic_comparison,
)


def test_realistic_comparison_golden() -> None:
    assert_golden("github.txt", render_comparison(realistic_comparison(), Format.GITHUB))


def test_breaking_is_error_warning_is_warning_info_is_omitted() -> None:
    output = render_comparison(realistic_comparison(), Format.GITHUB)
    lines = output.splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 4
    assert sum(line.startswith("::warning ") for line in lines) == 1
    # The acknowledged breaking change is a notice: intended drift, not a failure.
    assert sum(line.startswith("::notice ") for line in lines) == 1
    assert lines[-1] == "phasediff: 16 changes: 5 breaking, 1 warning, 10 info; 1 acknowledged"


def test_annotation_points_at_the_line() -> None:
    item = change("env", R, "OLD", "env-removed", severity=B, line=55, path="docs/p2/A.md")
    assert annotation(item) == (
        "::error file=docs/p2/A.md,line=55,title=phasediff env-removed::Env var OLD removed"
    )


def test_without_path_or_line_there_are_no_location_properties() -> None:
    item = change("env", R, "OLD", "env-removed", severity=B)
    assert annotation(item) == "::error title=phasediff env-removed::Env var OLD removed"
    no_line = change("env", R, "OLD", "env-removed", severity=W, path="A.md")
    assert (
        annotation(no_line)
        == "::warning file=A.md,title=phasediff env-removed::Env var OLD removed"
    )
    assert annotation(change("env", A, "NEW", "env-added", severity=INFO)) is None


def test_escaping_of_messages_and_properties() -> None:
    assert escape_data("50% a\r\nb: c, d") == "50%25 a%0D%0Ab: c, d"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    item = change(
        "components",
        C,
        "Loki",
        "component-config-changed",
        severity=W,
        field="configuration.x",
        old="1",
        new="2\n::set-output name=x::y",
        path="docs/a,b:c.md",
        line=3,
    )
    line = annotation(item)
    assert line is not None
    assert "\n" not in line
    assert line.startswith(
        "::warning file=docs/a%2Cb%3Ac.md,line=3,title=phasediff component-config-changed::"
    )


def test_no_changes() -> None:
    output = render_comparison(empty_comparison(), Format.GITHUB)
    assert output == "phasediff: No architectural changes.\n"


def test_comparison_order_does_not_matter_for_severity_grouping() -> None:
    changes = (
        change("env", C, "X", "env-default-changed", severity=W, field="default"),
        change("components", R, "Promtail", "component-removed", severity=B),
    )
    lines = render_comparison(replace(empty_comparison(), changes=changes), Format.GITHUB)
    assert lines.splitlines()[0].startswith("::error ")


def test_acknowledged_change_is_a_notice_with_its_reason() -> None:
    item = change("env", R, "OLD", "env-removed", severity=B, acknowledged="Intended, ADR-3")
    assert annotation(item) == (
        "::notice title=phasediff env-removed::Env var OLD removed [acknowledged: Intended, ADR-3]"
    )
