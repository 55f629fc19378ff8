"""``phasediff show``: the readable summary and the whole typed model as JSON."""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any

from phasediff.changes import Side
from phasediff.model import Duration, PhaseDocument, Section
from phasediff.render.show import config_key_count, show_json, show_text
from tests.test_render_samples import P3, PHASE_2, PHASE_3, RICH, assert_golden, doc

SIDE = Side("3", None, P3)


def test_phase_3_text_golden() -> None:
    assert_golden("show-phase-3.txt", show_text(doc(PHASE_3), "phase 3 (docs/phase-3 @ HEAD)"))


def test_rich_text_golden() -> None:
    assert_golden("show-rich.txt", show_text(doc(RICH), "phase 4 (RICH @ working tree)"))


def test_phase_3_json_golden() -> None:
    assert_golden("show-phase-3.json", show_json(doc(PHASE_3), SIDE))


def test_rich_json_golden() -> None:
    assert_golden("show-rich.json", show_json(doc(RICH), SIDE))


def test_text_summary_facts() -> None:
    output = show_text(doc(PHASE_2), "phase 2")
    assert "  Status: complete\n" in output
    assert "  Loki — Grafana Loki 2.9 · 2 config keys\n" in output
    assert "  PROMTAIL_LOKI_URL (required, default http://loki:3100)\n" in output
    assert "Success criteria: 3/8\n" in output
    assert "Diagram: mermaid, 4 nodes (2 new, 2 unchanged), 3 edges\n" in output
    assert "\x1b" not in output
    assert "\x1b[1m" in show_text(doc(PHASE_2), "phase 2", color=True)


def test_text_lists_diagnostics_with_lines() -> None:
    output = show_text(doc(RICH), "phase 4")
    assert "Parse notes (1)\n  line 174: section 'Vendor Notes' is not a template section" in output


def test_json_top_level() -> None:
    data = json.loads(show_json(doc(RICH), SIDE))
    assert list(data) == ["schema_version", "source", "document", "sections", "diagnostics"]
    assert data["schema_version"] == 1
    assert data["source"] == {"phase": "3", "rev": None, "path": P3, "blob": None}
    assert data["diagnostics"][0]["code"] == "section-unrecognised"
    assert data["diagnostics"][0]["line"] == 174


def test_json_values() -> None:
    document = json.loads(show_json(doc(RICH), SIDE))["document"]
    assert document["overview"]["status"] == "planned"
    assert document["deployment"]["rto"] == {"seconds": 7200, "text": "2h"}
    assert document["rollback"]["duration"] == {"seconds": 1800, "text": "30 minutes"}
    assert document["diagram"]["nodes"][1]["legend"] == "new"
    # YAML: the non-string key is stringified, the self-referencing anchor cut.
    assert document["components"][0]["configuration"] == {
        "server": {"http_listen_port": 3200},
        "1": "one",
    }
    vendor = next(section for section in document["extra"] if section["title"] == "Vendor Notes")
    assert vendor["code"][0]["data"] == {"a": [1, "<recursive>"]}
    assert document["success_criteria"]["done"] == 1
    assert document["success_criteria"]["total"] == 2


def test_sections_outline_nests() -> None:
    sections = json.loads(show_json(doc(RICH), SIDE))["sections"]
    assert [s["title"] for s in sections] == ["Phase 4 Architecture: Tracing"]
    top = sections[0]["children"]
    vendor = next(s for s in top if s["title"] == "Vendor Notes")
    assert vendor["level"] == 2 and vendor["line"] == 174
    assert [c["title"] for c in vendor["children"]] == ["Sub note"]
    assert set(vendor) == {"title", "level", "line", "end_line", "children"}


def test_json_is_deterministic() -> None:
    assert show_json(doc(RICH), SIDE) == show_json(doc(RICH), SIDE)


def test_every_model_field_is_in_the_json() -> None:
    """Walk model and JSON side by side: a field added to the model must reach the JSON."""
    parsed = doc(RICH)
    data = json.loads(show_json(parsed, SIDE))["document"]
    seen: set[str] = set()
    _walk(parsed, data, "document", seen)
    # Every class of the typed layer was visited at least once, so the walk proves coverage.
    assert seen >= {
        "Overview",
        "WhatsNew",
        "CheckItem",
        "Diagram",
        "Node",
        "Edge",
        "Component",
        "Integration",
        "Retained",
        "Modification",
        "Prose",
        "Deployment",
        "Port",
        "Duration",
        "Metric",
        "Traces",
        "NamedItem",
        "Logs",
        "EnvVar",
        "ConfigFile",
        "Testing",
        "Rollback",
        "Limitations",
        "SuccessCriteria",
        "Link",
        "Footer",
        "Section",
        "Field",
        "Table",
        "Row",
        "ListBlock",
        "ListItem",
        "CodeBlock",
        "Span",
    }


def _walk(value: Any, data: Any, where: str, seen: set[str]) -> None:
    if isinstance(value, PhaseDocument):
        names = [
            f.name for f in dataclasses.fields(value) if f.name not in ("sections", "diagnostics")
        ]
        assert sorted(data) == sorted(names), where
        for name in names:
            _walk(getattr(value, name), data[name], f"{where}.{name}", seen)
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        seen.add(type(value).__name__)
        for item in dataclasses.fields(value):
            assert item.name in data, f"{where}.{item.name} missing from the JSON"
            field_value = getattr(value, item.name)
            if item.name == "configuration" or item.name == "data":
                continue  # YAML data, checked in test_json_values
            if (
                item.name == "extra"
                and not isinstance(value, PhaseDocument)
                and field_value
                and not isinstance(field_value[0], Section)
            ):
                assert data[item.name] == [{"name": n, "value": v} for n, v in field_value]
                continue
            _walk(field_value, data[item.name], f"{where}.{item.name}", seen)
        return
    if isinstance(value, tuple):
        assert isinstance(data, list) and len(data) == len(value), where
        for index, (item, datum) in enumerate(zip(value, data, strict=True)):
            _walk(item, datum, f"{where}[{index}]", seen)
        return
    if isinstance(value, enum.Enum):
        assert data == value.value, where
        return
    if isinstance(value, int) and not isinstance(value, bool) and where.endswith("line"):
        assert data == (value or None), where
        return
    assert data == value, where


def test_config_key_count() -> None:
    assert config_key_count(None) == 0
    assert config_key_count({"a": 1, "b": {"c": 2, "d": [1, 2]}, "e": {}}) == 4
    assert config_key_count([{"a": 1}, {"b": 2}]) == 2
    cyclic: dict[str, Any] = {"a": 1}
    cyclic["self"] = cyclic
    assert config_key_count(cyclic) == 2


def test_duration_is_seconds_and_text() -> None:
    assert Duration(900, "15m") == Duration(900, "15 minutes")  # equality ignores the text …
    data = json.loads(show_json(doc(PHASE_3), SIDE))["document"]["deployment"]
    assert data["rpo"] == {"seconds": 900, "text": "15m"}  # … but the JSON keeps it
