"""Project settings: ``[tool.phasediff]`` in ``pyproject.toml``, or ``.phasediff.toml``.

Both files are looked for at the repository root.  When ``.phasediff.toml``
exists it wins outright (``pyproject.toml`` is then not read); in it the keys may
sit at top level or under ``[tool.phasediff]``.  Keys are spelled with
underscores (``required_sections``); the hyphenated spelling
(``required-sections``) is accepted too, as is usual in ``pyproject.toml``.

Every setting is validated here, once, so the rest of phasediff can trust a
``Config``; a bad one is a ``ConfigError`` naming the file, the key and what is
allowed.  Rule ids are not checked (the rule list lives with the diff); only
the level given to a rule is.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from phasediff.changes import SECTIONS
from phasediff.errors import ConfigError
from phasediff.globs import GlobError, compile_glob

PYPROJECT = "pyproject.toml"
DOTFILE = ".phasediff.toml"

#: Where phase documents live in the repositories we have seen.  Matched
#: case-insensitively, with git's ``**`` semantics; see ``globs.compile_glob``.
DEFAULT_GLOBS: tuple[str, ...] = (
    "**/phase*/ARCHITECTURE.md",
    "**/architecture/phase*.md",
)
DEFAULT_EXCLUDE: tuple[str, ...] = ("**/template/**", "**/templates/**", "**/*TEMPLATE*")
#: Section ids, as in the JSON contract (DESIGN.md, "Change records").
SECTION_IDS: tuple[str, ...] = SECTIONS
DEFAULT_REQUIRED_SECTIONS: tuple[str, ...] = (
    "overview",
    "whats_new",
    "diagram",
    "components",
    "deployment",
    "rollback",
    "success_criteria",
)
#: What a rule may be set to: off, a severity, or "error" (fail whatever the threshold).
RULE_LEVELS: tuple[str, ...] = ("off", "breaking", "warning", "info", "error")
DEFAULT_ACCEPT_FILE = ".phasediff-accept.yaml"


@dataclass(frozen=True)
class Config:
    """Validated settings; the defaults are what a repository without settings gets."""

    globs: tuple[str, ...] = DEFAULT_GLOBS
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    required_sections: tuple[str, ...] = DEFAULT_REQUIRED_SECTIONS
    #: rule id -> one of RULE_LEVELS; read-only.
    rules: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    #: Declared component renames, (old, new), in file order.
    renames: tuple[tuple[str, str], ...] = ()
    accept_file: str = DEFAULT_ACCEPT_FILE
    #: The project's phase-document template (a path): every document is then held to
    #: it by ``phasediff check``; without it, only documents with most of its sections.
    template: str | None = None
    #: The file the settings came from (relative to the root), None for defaults.
    source: str | None = field(default=None, compare=False)


def load_config(root: Path) -> Config:
    """Read the settings of the repository whose work tree is ``root``."""
    dotfile, pyproject = _inside(root, DOTFILE), _inside(root, PYPROJECT)
    if dotfile.is_file():
        return _config_from_dotfile(_read_toml(dotfile))
    if pyproject.is_file():
        data = _read_toml(pyproject)
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{PYPROJECT}: [tool] must be a table, got {_show(tool)}.")
        table = tool.get("phasediff")
        if table is None:
            return Config()
        where = f"{PYPROJECT}: [tool.phasediff]"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table, got {_show(table)}.")
        return _build(table, where, PYPROJECT)
    return Config()


def _config_from_dotfile(data: dict[str, Any]) -> Config:
    top = dict(data)
    tool = top.pop("tool", None)
    if tool is None:
        return _build(top, f"{DOTFILE}:", DOTFILE)
    where = f"{DOTFILE}: [tool.phasediff]"
    if not isinstance(tool, dict):
        raise ConfigError(f"{DOTFILE}: tool must be a table, got {_show(tool)}.")
    others = sorted(set(tool) - {"phasediff"})
    if others:
        raise ConfigError(
            f"{DOTFILE}: unexpected table [tool.{others[0]}]. "
            "This file holds phasediff settings only."
        )
    if not isinstance(tool.get("phasediff"), dict):
        raise ConfigError(f"{where} must be a table, got {_show(tool.get('phasediff'))}.")
    if top:
        raise ConfigError(
            f"{DOTFILE}: settings both at top level ({', '.join(sorted(top))}) and under "
            "[tool.phasediff]. Put them in one place."
        )
    return _build(tool["phasediff"], where, DOTFILE)


def _inside(root: Path, name: str) -> Path:
    """``root / name``, refused when a symbolic link takes it outside the repository."""
    path = root / name
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ConfigError(
            f"{name} is a symbolic link to {resolved}, outside the repository, so phasediff "
            "does not read settings from it. Replace the link by a file."
        )
    return path


#: Settings files are small; anything beyond this is not one (or is /dev/zero behind a link).
MAX_SETTINGS_FILE = 4 * 1024 * 1024


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_SETTINGS_FILE + 1)
    except OSError as exc:
        raise ConfigError(f"{path.name} cannot be read: {exc.strerror or exc}.") from exc
    if len(data) > MAX_SETTINGS_FILE:
        raise ConfigError(
            f"{path.name} is larger than {MAX_SETTINGS_FILE // (1024 * 1024)} MiB; "
            "settings files are small. Check the file."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Never the bytes themselves in the message: the file may hold anything.
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path.name} is not UTF-8 (line {line}). Re-save it as UTF-8.") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name} is not valid TOML: {exc}. Fix its syntax.") from exc
    except RecursionError as exc:
        raise ConfigError(
            f"{path.name} nests tables or arrays too deeply to read. Flatten it."
        ) from exc


def _build(table: Mapping[str, Any], where: str, source: str) -> Config:
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key not in _VALIDATORS:
            suggestion = difflib.get_close_matches(key, _VALIDATORS, n=1)
            hint = f" Did you mean {suggestion[0]}?" if suggestion else ""
            raise ConfigError(
                f"{where} unknown key {raw_key!r}.{hint} "
                f"Known keys: {', '.join(sorted(_VALIDATORS))}."
            )
        if key in values:
            raise ConfigError(f"{where} {key} is given twice ({raw_key!r} and another spelling).")
        values[key] = _VALIDATORS[key](value, where, raw_key)
    return Config(**values, source=source)


# -- validators: (value, where, key) -> the Config field's value ----------------


def _string_list(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where} {key} must be a list of strings, got {_show(value)}.")
    return tuple(value)


def _globs(value: Any, where: str, key: str) -> tuple[str, ...]:
    globs = _string_list(value, where, key)
    for glob in globs:
        if not glob.strip():
            raise ConfigError(f"{where} {key} must not contain an empty pattern.")
        if glob.startswith("/"):
            raise ConfigError(
                f"{where} {key} patterns are relative to the repository root; "
                f'got {_show(glob)}. Drop the leading "/".'
            )
        try:
            compile_glob(glob)
        except GlobError as exc:
            raise ConfigError(f"{where} {key}: {exc}. Fix the pattern.") from exc
    return globs


def _include_globs(value: Any, where: str, key: str) -> tuple[str, ...]:
    globs = _globs(value, where, key)
    if not globs:
        raise ConfigError(
            f'{where} {key} must list at least one pattern, e.g. ["docs/phase-*/ARCHITECTURE.md"].'
        )
    return globs


def _sections(value: Any, where: str, key: str) -> tuple[str, ...]:
    sections = _string_list(value, where, key)
    for section in sections:
        if section not in SECTION_IDS:
            raise ConfigError(
                f"{where} {key} has unknown section {_show(section)}. "
                f"Known sections: {', '.join(SECTION_IDS)}."
            )
    return sections


def _rules(value: Any, where: str, key: str) -> Mapping[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(
            f"{where} {key} must be a table of rule = level, "
            f'e.g. {{ component-removed = "warning" }}; got {_show(value)}.'
        )
    allowed = ", ".join(f'"{level}"' for level in RULE_LEVELS)
    rules: dict[str, str] = {}
    for rule, level in value.items():
        if level not in RULE_LEVELS:
            raise ConfigError(
                f"{_subtable(where, key)} {rule} must be one of {allowed}, got {_show(level)}."
            )
        rules[rule] = level
    return MappingProxyType(rules)


def _renames(value: Any, where: str, key: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(
            f'{where} {key} must be a table of "old name" = "new name"; got {_show(value)}.'
        )
    renames: list[tuple[str, str]] = []
    for old, new in value.items():
        if not isinstance(new, str) or not new.strip():
            raise ConfigError(
                f"{_subtable(where, key)} {_show(old)} must be the new name as a string, "
                f"got {_show(new)}."
            )
        if new.strip().casefold() == old.strip().casefold():
            raise ConfigError(f"{_subtable(where, key)} renames {_show(old)} to itself.")
        renames.append((old, new))
    return tuple(renames)


def _accept_file(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} {key} must be a file path string, got {_show(value)}.")
    pure = PurePosixPath(value)
    if pure.is_absolute() or ".." in pure.parts:
        raise ConfigError(
            f"{where} {key} must be a path inside the repository, got {_show(value)}."
        )
    return value


_VALIDATORS: dict[str, Callable[[Any, str, str], Any]] = {
    "globs": _include_globs,
    "exclude": _globs,
    "required_sections": _sections,
    "rules": _rules,
    "renames": _renames,
    "accept_file": _accept_file,
    "template": _accept_file,
}


def _subtable(where: str, key: str) -> str:
    """``pyproject.toml: [tool.phasediff.rules]`` for a key inside a sub-table."""
    if where.endswith("]"):
        return f"{where[:-1]}.{key}]"
    return f"{where} [{key}]"


def _show(value: Any) -> str:
    """A value as it would be written in TOML, short enough for a one-line message."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, dict):
        text = "a table"
    elif isinstance(value, list):
        text = "[" + ", ".join(_show(item) for item in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
