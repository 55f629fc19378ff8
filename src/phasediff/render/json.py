"""The JSON format: DESIGN.md's contract, one document, built field by field.

Other tools parse this, so its shape is written out here key by key, in a
fixed order, rather than derived from the dataclasses: renaming an internal
field must never change the contract.  ``SCHEMA_VERSION`` changes when a key
is removed or changes meaning; adding keys does not.

Beyond DESIGN.md's example, a change carries ``acknowledged`` (the reason
an acknowledged-changes file gives, or null) and the summary counts them: a
consumer gating on severity must be able to skip intended changes.

Conventions: enums as their values, ``rev: null`` for the working tree,
``line: null`` when a change or diagnostic has no line (the model's ``0``),
change values passed through ``jsonable`` so a document's odd YAML can never
make the output invalid.
"""

from __future__ import annotations

import json
from typing import Any

from phasediff.changes import Change, Comparison, Severity, Side
from phasediff.model import Diagnostic
from phasediff.render.common import acknowledged_count, jsonable

SCHEMA_VERSION = 1


def side_to_dict(side: Side) -> dict[str, Any]:
    return {"phase": side.phase, "rev": side.rev, "path": side.path, "blob": side.blob}


def change_to_dict(change: Change) -> dict[str, Any]:
    return {
        "section": change.section,
        "kind": change.kind.value,
        "key": change.key,
        "field": change.field,
        "old": jsonable(change.old),
        "new": jsonable(change.new),
        "severity": change.severity.value,
        "rule": change.rule,
        "note": change.note,
        "line": change.line or None,
        "path": change.path,
        "acknowledged": change.acknowledged,
    }


def diagnostic_to_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    found = {
        "code": diagnostic.code,
        "message": diagnostic.message,
        "line": diagnostic.line or None,
    }
    if diagnostic.path:  # phase against phase: which of the two documents
        found["path"] = diagnostic.path
    return found


def comparison_to_dict(comparison: Comparison) -> dict[str, Any]:
    """One comparison's records without ``schema_version``, for nesting in log and changelog.

    A comparison of two phases also says its ``scope`` (``all`` or
    ``architecture``) and, in ``summary.note``, what was compared when the
    documents name no components (null otherwise).
    """
    summary: dict[str, Any] = {
        "breaking": comparison.count(Severity.BREAKING),
        "warning": comparison.count(Severity.WARNING),
        "info": comparison.count(Severity.INFO),
        "total": len(comparison.changes),
        "acknowledged": acknowledged_count(comparison),
    }
    document: dict[str, Any] = {
        "base": side_to_dict(comparison.base),
        "head": side_to_dict(comparison.head),
    }
    if comparison.scope:
        summary["note"] = comparison.note or None
        document["scope"] = comparison.scope
    document["summary"] = summary
    document["changes"] = [change_to_dict(change) for change in comparison.changes]
    document["diagnostics"] = [diagnostic_to_dict(d) for d in comparison.diagnostics]
    return document


def dumps(document: dict[str, Any]) -> str:
    """The one JSON spelling every phasediff document uses: indented, UTF-8, key order kept."""
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def render(comparison: Comparison, *, color: bool = False) -> str:
    """The JSON document of one comparison; ``color`` is ignored."""
    del color
    return dumps({"schema_version": SCHEMA_VERSION, **comparison_to_dict(comparison)})
