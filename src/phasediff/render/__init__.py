"""Renderers: a ``Comparison`` in, the text of one output format out.

Each format is one module with one ``render(comparison, *, color)`` function,
and ``Format`` picks it here, in one place, so adding a format is one module
and one enum member (a test renders every member).  Renderers are pure: no
printing, no files, no clock; output is byte-stable and ends with one newline.
"""

from __future__ import annotations

import enum
from typing import Protocol

from phasediff.changes import Comparison
from phasediff.render import github, json, markdown, text
from phasediff.render.describe import describe

__all__ = ["Format", "describe", "render_comparison"]


class Renderer(Protocol):
    """The one interface every format module implements."""

    def __call__(self, comparison: Comparison, *, color: bool = False) -> str: ...


class Format(enum.Enum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"
    GITHUB = "github"


_RENDERERS: dict[Format, Renderer] = {
    Format.TEXT: text.render,
    Format.MARKDOWN: markdown.render,
    Format.JSON: json.render,
    Format.GITHUB: github.render,
}


def render_comparison(comparison: Comparison, fmt: Format, *, color: bool = False) -> str:
    """``comparison`` in format ``fmt``; ``color`` adds ANSI colour where the format has any."""
    return _RENDERERS[fmt](comparison, color=color)
