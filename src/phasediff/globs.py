"""Path globs with git's ``:(glob)`` semantics, matched without backtracking.

A configured glob comes from a checked-out ``pyproject.toml``, so it is input
like any other: a pattern such as ``**/*a*a*a*a*a*a*a*a*b/X.md`` against a long
directory name made a regular expression (and git's own matcher) backtrack for
hours.  Here each component is cut at its ``*``s into fixed-width pieces found
left to right, and ``**`` is a set of reachable positions: time grows with the
product of the pattern's and the path's lengths, never exponentially.  Git gets
the same globs only where its matcher is safe (``safe_pathspecs``), a superset
that discovery filters with ``Glob.fullmatch``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: A component with more ``*`` than this is given to git as plain ``*``.
GIT_STARS = 1


class GlobError(ValueError):
    """A glob that cannot be meant: a reversed range, a NUL character."""


@dataclass(frozen=True)
class _Component:
    """One path component's pattern: fixed-width pieces between its ``*``s."""

    pieces: tuple[re.Pattern[str], ...]
    widths: tuple[int, ...]

    def fullmatch(self, name: str) -> bool:
        if len(self.pieces) == 1:
            return self.pieces[0].fullmatch(name) is not None
        first, *middle, last = self.pieces
        start = first.match(name)
        if start is None:
            return False
        position, tail = start.end(), len(name) - self.widths[-1]
        if tail < position or last.fullmatch(name, tail) is None:
            return False
        for piece in middle:
            # The leftmost place for each piece is always as good as any later one.
            found = piece.search(name, position, tail)
            if found is None:
                return False
            position = found.end()
        return True


_DEEP = "**"  # zero or more whole directories
_REST = "**$"  # a trailing "/**": everything below


@dataclass(frozen=True)
class Glob:
    """A compiled glob; ``fullmatch(path)`` says whether a POSIX path matches it."""

    pattern: str
    parts: tuple[_Component | str, ...]

    def fullmatch(self, path: str) -> bool:
        names = path.split("/")
        reachable = {0}
        for index, part in enumerate(self.parts):
            if part == _REST:
                return index == 0 or min(reachable) < len(names)
            if part == _DEEP:
                reachable = set(range(min(reachable), len(names) + 1))
                continue
            assert isinstance(part, _Component)
            reachable = {
                at + 1 for at in reachable if at < len(names) and part.fullmatch(names[at])
            }
            if not reachable:
                return False
        return len(names) in reachable


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: str) -> Glob:
    """Compile a path glob with git's ``:(glob)`` semantics, matching case-insensitively.

    ``*`` and ``?`` stay within one path component, ``[...]`` is a character
    class (``[!...]`` negated), ``**/`` matches zero or more directories,
    a trailing ``/**`` everything below, and ``**`` alone any path.  The same
    pattern given to ``git log`` as ``:(glob,icase)`` selects the same files,
    which is what keeps history and discovery in agreement.  Raises
    ``GlobError`` for a pattern that cannot be meant.
    """
    if "\0" in pattern:
        raise GlobError(f"{pattern!r} contains a NUL character")
    raw = pattern.split("/")
    parts: list[_Component | str] = []
    for index, part in enumerate(raw):
        if part == "**":
            if index == len(raw) - 1:
                parts.append(_REST)
            elif not parts or parts[-1] != _DEEP:  # "**/**/" is one "**/"
                parts.append(_DEEP)
            continue
        parts.append(_component(part, pattern))
    return Glob(pattern, tuple(parts))


def _component(part: str, pattern: str) -> _Component:
    pieces: list[list[str]] = [[]]
    index = 0
    while index < len(part):
        char = part[index]
        if char == "*":
            while index + 1 < len(part) and part[index + 1] == "*":
                index += 1  # "**" inside a component is a plain "*", as in git
            pieces.append([])
        elif char == "?":
            pieces[-1].append("[^/]")
        elif char == "[" and (end := _class_end(part, index)) >= 0:
            pieces[-1].append(_class(part[index + 1 : end], pattern))
            index = end
        else:
            pieces[-1].append(re.escape(char))
        index += 1
    try:
        compiled = tuple(re.compile("".join(atoms), re.IGNORECASE | re.DOTALL) for atoms in pieces)
    except re.error as exc:
        raise GlobError(f"{pattern!r} is not a glob git understands ({exc})") from exc
    return _Component(compiled, tuple(len(atoms) for atoms in pieces))


def _class(body: str, pattern: str) -> str:
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    for low, high in re.findall(r"(.)-(.)", body[1:] if body.startswith("]") else body):
        if low > high:
            raise GlobError(f"{pattern!r} has the reversed range {low}-{high}; write {high}-{low}")
    body = re.sub(r"([\\^\[])", r"\\\1", body)
    return f"[{'^/' if negate else ''}{body}]"


def _class_end(part: str, start: int) -> int:
    """Index of the ``]`` closing the class opened at ``start``, or -1."""
    index = start + 1
    if index < len(part) and part[index] in "!^":
        index += 1
    if index < len(part) and part[index] == "]":
        index += 1  # a leading "]" is a member, not the end
    return part.find("]", index)


def safe_pathspec(pattern: str) -> str:
    """The glob as git may match it quickly: the same, or a superset of what it matches.

    Git's matcher backtracks on a component with several ``*``: such a component
    goes to git as ``*`` (more files, which discovery filters out again), and runs
    of ``**/`` as one.
    """
    parts: list[str] = []
    for part in pattern.split("/"):
        if part == "**" and parts and parts[-1] == "**":
            continue
        stars = len(re.findall(r"\*+", part)) if part != "**" else 0
        parts.append("*" if stars > GIT_STARS else part)
    return "/".join(parts)
