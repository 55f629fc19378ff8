"""``phasediff trace``: goldens on the demo in every format, unknown entities, the warm cache.

Regenerate the goldens with ``PHASEDIFF_UPDATE_GOLDEN=1 pytest tests/test_trace.py``
and read the diff before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from phasediff.cli import main
from phasediff.render.trace import TraceFormat

GOLDEN = Path(__file__).parent / "golden" / "trace"
SUFFIX = {TraceFormat.TEXT: "txt", TraceFormat.MARKDOWN: "md", TraceFormat.JSON: "json"}
ENTITIES = {
    "Loki": "loki",
    "port:4317": "port-4317",
    "env:LOKI_RETENTION_PERIOD": "env-loki-retention-period",
    "metric:promtail_sent_entries_total": "metric-promtail-sent-entries-total",
}


def _trace(demo_repo: Path, cache: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main,
        ["trace", *args, "--repo", str(demo_repo), "--cache-dir", str(cache)],
        env={"NO_COLOR": "1"},
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("fmt", list(TraceFormat), ids=lambda f: f.value)
@pytest.mark.parametrize("entity", list(ENTITIES))
def test_trace_golden(demo_repo: Path, tmp_path: Path, entity: str, fmt: TraceFormat) -> None:
    code, out, err = _trace(demo_repo, tmp_path, entity, "--format", fmt.value)
    assert code == 0, err
    golden = GOLDEN / f"{ENTITIES[entity]}.{SUFFIX[fmt]}"
    if os.environ.get("PHASEDIFF_UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


def test_component_states_follow_the_phases(demo_repo: Path, tmp_path: Path) -> None:
    code, out, _ = _trace(demo_repo, tmp_path, "Promtail", "--format", "json")
    assert code == 0
    data = json.loads(out)
    states = {phase["phase"]: phase["state"] for phase in data["phases"]}
    assert states == {"1": "not mentioned", "2": "new", "3": "replaced", "4": "not mentioned"}
    assert data["phases"][2]["note"] == "replaced by Grafana Alloy"
    assert data["phases"][1]["values"]["configuration.server.http_listen_port"] == "9080"
    assert data["commits"][0]["subject"].startswith("phase-2: first draft")


def test_retained_port_points_back(demo_repo: Path, tmp_path: Path) -> None:
    code, out, _ = _trace(demo_repo, tmp_path, "port:4317")
    assert code == 0
    assert (
        "phase 4 High Availability & Long-term Storage: retained (carried over from phase 3)" in out
    )


def test_commits_carry_author_date_and_change(demo_repo: Path, tmp_path: Path) -> None:
    code, out, _ = _trace(demo_repo, tmp_path, "env:LOKI_RETENTION_PERIOD", "--format", "json")
    assert code == 0
    commits = json.loads(out)["commits"]
    assert [c["phase"] for c in commits] == ["2", "3"]
    assert commits[1]["author"] and commits[1]["date"][:4] == "2026"
    assert commits[1]["changes"][0]["new"]["default"] == "336h"


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        ("Lokki", "Close matches: component:Loki."),
        ("metric:promtail_sent_entries", "Close matches: metric:promtail_sent_entries_total"),
    ],
)
def test_unknown_entity_names_close_matches(
    demo_repo: Path, tmp_path: Path, entity: str, expected: str
) -> None:
    code, out, err = _trace(demo_repo, tmp_path, entity)
    assert code == 3
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("Error: ") and expected in err


def test_warm_trace_parses_nothing(
    demo_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, cold, _ = _trace(demo_repo, tmp_path, "Loki")
    assert code == 0

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm trace parsed a document")

    for module in ("phasediff.project", "phasediff.history"):
        monkeypatch.setattr(f"{module}.parse_document_cached", refuse)
    monkeypatch.setattr("phasediff.project.parse_document", refuse)
    code, warm, err = _trace(demo_repo, tmp_path, "Loki")
    assert code == 0, err
    assert warm == cold
