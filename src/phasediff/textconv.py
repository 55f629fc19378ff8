"""The canonical, line-oriented form of a parsed phase document (``phasediff textconv``).

Git runs a textconv driver on both sides of a diff and compares what it
prints, so ``git diff`` and ``git log -p`` through this rendering show one
line per fact that changed and nothing for an edit of form only.  That
promise rests on the model's equality (DESIGN.md, "Identity and noise"): the
rendering is derived from the fields that take part in equality and nothing
else (line numbers, raw diagram text and other ``compare=False`` fields are
left out), and collections are listed by their identity key, so two
documents that compare equal print the same bytes.

The walk is generic over the model's dataclasses: a field the model gains
later is rendered without a change here.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from typing import Any

from phasediff.model import PhaseDocument
from phasediff.render.common import finish, scalar_text

#: Attributes that name an element of a collection, in order of preference.
_IDENTITY = ("key", "title", "id", "name", "label")
#: Longer names (checklist items are keyed by their whole text) are cut in paths.
LABEL_CHARS = 40


def flatten(value: Any, path: str = "", skip: str | None = None) -> Iterator[tuple[str, str]]:
    """``(path, text)`` for every non-empty leaf of ``value``, in a stable order.

    Dataclasses contribute their compared fields; mappings (parsed YAML)
    their keys, sorted; sequences their elements, named by identity where an
    element has one (``components[loki].technology``), else by position.
    """
    if value is None or value == "" or value == () or value == {} or value == []:
        return
    if isinstance(value, enum.Enum):
        yield path, scalar_text(value.value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            if item.compare and item.name != skip:
                yield from flatten(getattr(value, item.name), _join(path, item.name))
    elif isinstance(value, dict):
        for key in sorted(value, key=scalar_text):
            yield from flatten(value[key], _join(path, scalar_text(key)))
    elif isinstance(value, list | tuple):
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            identity = _identity(item)
            if identity is None:
                yield from flatten(item, f"{path}[{index + 1}]")
                continue
            attribute, name = identity
            if len(name) > LABEL_CHARS:
                name = name[: LABEL_CHARS - 1].rstrip() + "…"
            seen[name] = seen.get(name, 0) + 1
            label = name if seen[name] == 1 else f"{name}#{seen[name]}"
            # The name is in the path; its own line would only repeat it (unless cut).
            own = attribute if len(getattr(item, attribute)) <= LABEL_CHARS else None
            yield from flatten(item, f"{path}[{label}]", skip=own)
    else:
        yield path, scalar_text(value)


def _identity(item: Any) -> tuple[str, str] | None:
    if not dataclasses.is_dataclass(item):
        return None
    for attribute in _IDENTITY:
        name = getattr(item, attribute, None)
        if isinstance(name, str) and name:
            return attribute, name
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def render_textconv(document: PhaseDocument) -> str:
    """One line per fact: ``path: value``; a multi-line value continues indented below."""
    lines: list[str] = []
    for path, text in flatten(document):
        first, *rest = text.split("\n") or [""]
        lines.append(f"{path}: {first}".rstrip())
        lines.extend(f"    {line}".rstrip() for line in rest)
    if not lines:
        return "(no content)\n"
    return finish(lines)
