"""The JSON contract of DESIGN.md: exact keys, fixed order, always valid JSON."""

from __future__ import annotations

import datetime
import json
from dataclasses import replace
from typing import Any

from phasediff.render import Format, render_comparison
from phasediff.render.common import jsonable
from phasediff.render.json import SCHEMA_VERSION, comparison_to_dict
from tests.test_render_samples import (
    A,
    C,
    assert_golden,
    change,
    empty_comparison,
    realistic_comparison,
)

CHANGE_KEYS = [
    "section",
    "kind",
    "key",
    "field",
    "old",
    "new",
    "severity",
    "rule",
    "note",
    "line",
    "path",
    "acknowledged",
]


def loads(text: str) -> Any:
    return json.loads(text)


def test_realistic_comparison_golden() -> None:
    assert_golden("comparison.json", render_comparison(realistic_comparison(), Format.JSON))


def test_contract_keys_and_order() -> None:
    data = loads(render_comparison(realistic_comparison(), Format.JSON))
    assert list(data) == ["schema_version", "base", "head", "summary", "changes", "diagnostics"]
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert list(data["base"]) == ["phase", "rev", "path", "blob"]
    assert data["summary"] == {
        "breaking": 5,
        "warning": 1,
        "info": 10,
        "total": 16,
        "acknowledged": 1,
    }
    assert all(list(item) == CHANGE_KEYS for item in data["changes"])
    assert list(data["diagnostics"][0]) == ["code", "message", "line"]


def test_values_are_plain_json() -> None:
    data = loads(render_comparison(realistic_comparison(), Format.JSON))
    assert data["head"]["rev"] is None  # the working tree
    by_rule = {item["rule"]: item for item in data["changes"]}
    removed = by_rule["component-removed"]
    assert removed["kind"] == "removed" and removed["severity"] == "breaking"
    assert removed["note"] == "replaced by Grafana Alloy"
    assert by_rule["rto-relaxed"]["new"] == {"seconds": 14400, "text": "4h"}
    assert by_rule["env-became-required"]["old"] is False
    assert by_rule["port-closed"]["acknowledged"] == "Promtail's port leaves with it (ADR-12)."
    assert removed["acknowledged"] is None


def test_missing_line_is_null() -> None:
    comparison = replace(empty_comparison(), changes=(change("env", A, "X", "env-added"),))
    item = loads(render_comparison(comparison, Format.JSON))["changes"][0]
    assert item["line"] is None and item["path"] is None


def test_comparison_to_dict_is_the_document_without_schema_version() -> None:
    comparison = realistic_comparison()
    nested = comparison_to_dict(comparison)
    whole = loads(render_comparison(comparison, Format.JSON))
    assert {"schema_version": 1, **json.loads(json.dumps(nested))} == whole


def test_output_is_utf8_and_ends_with_one_newline() -> None:
    comparison = replace(
        empty_comparison(), changes=(change("components", A, "ログ収集", "component-added"),)
    )
    output = render_comparison(comparison, Format.JSON)
    assert "ログ収集" in output and output.endswith("}\n") and not output.endswith("\n\n")


def test_odd_values_become_valid_json() -> None:
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    odd = {
        2: "int key",
        None: "null key",
        True: "bool key",
        "date": datetime.date(2024, 1, 2),
        "nan": float("nan"),
        "set": {"b", "a"},
        "tuple": (1, 2),
        "bytes": b"\xff",
        "cyclic": cyclic,
    }
    comparison = replace(
        empty_comparison(), changes=(change("components", C, "X", "x", old=odd, new=cyclic),)
    )
    item = json.loads(render_comparison(comparison, Format.JSON), parse_constant=_reject)
    assert item["changes"][0]["old"] == {
        "2": "int key",
        "null": "null key",
        "true": "bool key",
        "date": "2024-01-02",
        "nan": "nan",
        "set": ["a", "b"],
        "tuple": [1, 2],
        "bytes": "\ufffd",
        "cyclic": [1, "<recursive>"],
    }
    assert item["changes"][0]["new"] == [1, "<recursive>"]


def test_shared_substructures_are_not_cycles() -> None:
    shared = {"a": 1}
    assert jsonable([shared, shared]) == [{"a": 1}, {"a": 1}]


def _reject(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


def test_huge_integers_do_not_crash() -> None:
    """Python will not print an int of more than ~4300 digits; the renderers must not ask it to."""
    huge = 10**5000
    comparison = replace(
        empty_comparison(), changes=(change("components", C, "X", "x", old=huge, new=1),)
    )
    data = json.loads(render_comparison(comparison, Format.JSON))
    assert data["changes"][0]["old"] == "<integer of 16610 bits>"
    assert "<integer of 16610 bits> -> 1" in render_comparison(comparison, Format.TEXT)
