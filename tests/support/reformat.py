"""Change a markdown document's form without changing its content.

Used by the "form is not content" property tests: CRLF endings, trailing
whitespace, re-wrapped prose, shuffled table rows and bullet items, aligned
table pipes and demoted headings must all parse to an equal typed model.
"""

from __future__ import annotations

import random
import re
import textwrap
from collections.abc import Callable

Transform = Callable[[list[str], random.Random], list[str]]


def _blocks(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Split into ("code" | "text", lines) runs so transforms never touch fenced code."""
    runs: list[tuple[str, list[str]]] = []
    fence: str | None = None
    for line in lines:
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            runs.append(("code", [line]))
            continue
        if fence is not None:
            runs[-1][1].append(line)
            if stripped.startswith(fence) and stripped.strip() == fence:
                fence = None
            continue
        if not runs or runs[-1][0] != "text":
            runs.append(("text", []))
        runs[-1][1].append(line)
    return runs


def _on_text(transform: Callable[[list[str], random.Random], list[str]]) -> Transform:
    def apply(lines: list[str], rng: random.Random) -> list[str]:
        out: list[str] = []
        for kind, run in _blocks(lines):
            out.extend(transform(run, rng) if kind == "text" else run)
        return out

    return apply


def _prose_line(line: str) -> bool:
    stripped = line.strip()
    return (
        bool(stripped)
        and not stripped.startswith(("#", "-", "*", "|", ">", "<", "+", "`", "[", "!"))
        and not stripped[0].isdigit()
    )


_FIELD_LINE = re.compile(r"^\*\*[^*]+:\*\* \S")


@_on_text
def rewrap(lines: list[str], rng: random.Random) -> list[str]:
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _FIELD_LINE.match(line) and len(line) > 60:
            # A long ``**Label:** value`` wrapped onto continuation lines.
            wrapped = textwrap.wrap(
                line, width=rng.randint(40, 80), break_long_words=False, break_on_hyphens=False
            )
            if all(_prose_line(part) and not part.startswith("**") for part in wrapped[1:]):
                out.extend(wrapped)
            else:
                out.append(line)
            index += 1
            continue
        if not _prose_line(line):
            out.append(line)
            index += 1
            continue
        para: list[str] = []
        while index < len(lines) and _prose_line(lines[index]):
            para.append(lines[index].strip())
            index += 1
        width = rng.randint(30, 110)
        wrapped = textwrap.wrap(
            " ".join(para), width=width, break_long_words=False, break_on_hyphens=False
        )
        # A wrapped line must not start like a block (a list marker or a heading).
        if any(not _prose_line(line) for line in wrapped):
            wrapped = [" ".join(para)]
        out.extend(wrapped)
    return out


def _table_runs(lines: list[str]) -> list[tuple[bool, list[str]]]:
    runs: list[tuple[bool, list[str]]] = []
    for line in lines:
        is_table = line.lstrip().startswith("|")
        if not runs or runs[-1][0] != is_table:
            runs.append((is_table, []))
        runs[-1][1].append(line)
    return runs


@_on_text
def shuffle_rows(lines: list[str], rng: random.Random) -> list[str]:
    out: list[str] = []
    for is_table, run in _table_runs(lines):
        if is_table and len(run) > 3:
            body = run[2:]
            rng.shuffle(body)
            run = run[:2] + body
        out.extend(run)
    return out


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    cells: list[str] = []
    current = ""
    escaped = False
    for char in inner:
        if char == "|" and not escaped:
            cells.append(current.strip())
            current = ""
        else:
            current += char
        escaped = char == "\\"
    cells.append(current.strip())
    return cells


@_on_text
def align_tables(lines: list[str], rng: random.Random) -> list[str]:
    out: list[str] = []
    for is_table, run in _table_runs(lines):
        if not is_table or len(run) < 2:
            out.extend(run)
            continue
        rows = [_cells(line) for line in run]
        width = max(len(row) for row in rows)
        sizes = [max(len(row[i]) if i < len(row) else 0 for row in rows) for i in range(width)]
        for number, row in enumerate(rows):
            if number == 1:
                cells = ["-" * max(size, 3) for size in sizes[: len(row)]]
            else:
                cells = [cell.ljust(sizes[i]) for i, cell in enumerate(row)]
            out.append("| " + " | ".join(cells) + " |")
    return out


@_on_text
def shuffle_items(lines: list[str], rng: random.Random) -> list[str]:
    """Shuffle runs of top-level ``-`` bullets, each with its indented continuation lines."""
    out: list[str] = []
    run: list[list[str]] = []

    def flush() -> None:
        rng.shuffle(run)
        for item in run:
            out.extend(item)
        run.clear()

    for line in lines:
        if line.startswith("- "):
            run.append([line])
        elif run and line.startswith("  ") and line.strip():
            run[-1].append(line)
        else:
            flush()
            out.append(line)
    flush()
    return out


@_on_text
def demote_headings(lines: list[str], rng: random.Random) -> list[str]:
    out = []
    for line in lines:
        if line.startswith("#") and line.lstrip("#").startswith(" "):
            level = len(line) - len(line.lstrip("#"))
            if level < 6:
                line = "#" + line
        out.append(line)
    return out


@_on_text
def trailing_space(lines: list[str], rng: random.Random) -> list[str]:
    return [line + " " * rng.choice((0, 1, 3)) if line else line for line in lines]


TRANSFORMS: dict[str, Transform] = {
    "rewrap": rewrap,
    "shuffle_rows": shuffle_rows,
    "align_tables": align_tables,
    "shuffle_items": shuffle_items,
    "demote_headings": demote_headings,
    "trailing_space": trailing_space,
}


def reformat(text: str, rng: random.Random, names: list[str], crlf: bool = False) -> str:
    lines = text.replace("\r\n", "\n").split("\n")
    for name in names:
        lines = TRANSFORMS[name](lines, rng)
    result = "\n".join(lines)
    return result.replace("\n", "\r\n") if crlf else result
