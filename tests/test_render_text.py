"""The terminal format: layout, markers, colour only when asked, terminal-safe document text."""

from __future__ import annotations

from dataclasses import replace

from phasediff.changes import Comparison, Side
from phasediff.render import Format, render_comparison
from phasediff.render.text import RED_BOLD, RESET, terminal_safe
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
    noisy_diagnostics,
    realistic_comparison,
)


def text(comparison: Comparison, *, color: bool = False) -> str:
    return render_comparison(comparison, Format.TEXT, color=color)


def test_realistic_comparison_golden() -> None:
    assert_golden("text.txt", text(realistic_comparison()))


def test_realistic_comparison_in_colour_golden() -> None:
    assert_golden("text-color.txt", text(realistic_comparison(), color=True))


def test_no_changes_golden() -> None:
    assert_golden("text-empty.txt", text(empty_comparison()))


def test_without_colour_there_are_no_escapes() -> None:
    assert "\x1b" not in text(realistic_comparison(), color=False)


def test_colour_marks_breaking_red_bold() -> None:
    output = text(realistic_comparison(), color=True)
    assert f"{RED_BOLD}! Component Promtail removed (replaced by Grafana Alloy){RESET}" in output


def test_header_names_both_sides_and_the_working_tree() -> None:
    first = text(realistic_comparison()).splitlines()[0]
    assert first == (
        "phasediff: phase 2 (docs/phase-2/ARCHITECTURE.md @ HEAD)"
        " -> phase 3 (docs/phase-3/ARCHITECTURE.md @ working tree)"
    )


def test_section_lists_breaking_then_warning_then_info() -> None:
    changes = (
        change("env", A, "NEW_VAR", "env-added"),
        change("env", C, "X", "env-default-changed", field="default", old="a", new="b", severity=W),
        change("env", R, "OLD_VAR", "env-removed", severity=B),
    )
    output = text(replace(empty_comparison(), changes=changes))
    markers = [line[2] for line in output.splitlines() if line.startswith("  ")]
    assert markers == ["!", "~", "+"]
    assert "3 changes: 1 breaking, 1 warning, 1 info" in output


def test_info_markers_follow_the_kind() -> None:
    changes = tuple(
        change("whats_new", kind, f"item {kind.value}", "whats-new-added", severity=INFO)
        for kind in (A, R, C)
    )
    lines = text(replace(empty_comparison(), changes=changes)).splitlines()
    assert {line[:3] for line in lines if line.startswith("  ")} == {"  +", "  -", "  *"}


def test_diagnostics_are_capped() -> None:
    comparison = replace(empty_comparison(), diagnostics=noisy_diagnostics(8))
    lines = text(comparison).splitlines()
    notes = [line for line in lines if line.startswith("note: ")]
    assert len(notes) == 5
    assert notes[0] == "note: line 1: section 'Extra 1' is not a template section"
    assert lines[-1] == "… and 3 more"


def test_document_text_cannot_drive_the_terminal() -> None:
    evil = change("components", A, "Loki\x1b[2J\u202e", "component-added")
    output = text(replace(empty_comparison(), changes=(evil,)), color=False)
    assert "\x1b" not in output and "\u202e" not in output
    assert "Loki\\x1b[2J\\u202e" in output
    assert terminal_safe("plain ✅ text") == "plain ✅ text"


def test_side_without_phase_or_path() -> None:
    comparison = Comparison(Side(None, "v1", None), Side(None, None, "ARCH.md"), ())
    assert text(comparison).splitlines()[0] == (
        "phasediff: document (v1) -> ARCH.md (ARCH.md @ working tree)"
    )


def test_acknowledged_changes_say_so() -> None:
    output = text(realistic_comparison())
    assert (
        "  ! Port 9080/tcp closed (Promtail)"
        " [acknowledged: Promtail's port leaves with it (ADR-12).]" in output
    )
    assert "16 changes: 5 breaking, 1 warning, 10 info; 1 acknowledged\n" in output
