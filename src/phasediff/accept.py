"""The acknowledged-changes file: intended drift that must not fail CI.

A repository lists, in ``.phasediff-accept.yaml`` (``[tool.phasediff]
accept_file``), the changes its authors meant to make, each by its
fingerprint and with a reason::

    version: 1
    accept:
      - fingerprint: component-removed:Promtail
        reason: Replaced by Grafana Alloy (ADR-12).
      - fingerprint: port-closed:9080
        reason: Promtail's port leaves with it.
        phase: "3"

A fingerprint is the change's rule id and entity key (``rule:key``, plus
``#field`` for a field change), never a line number, so it survives edits
around it.  Fingerprints compare case- and whitespace-insensitively; an entry
with ``phase`` acknowledges the change in that phase's comparisons only.

An acknowledged change is still reported, marked with its reason; it no
longer counts against ``--fail-on`` or ``--exit-code``.  Parsing, matching
and adding entries are pure functions of text; ``load_accept_file`` is the
one place that reads the file (from the working tree or at a revision).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from phasediff.changes import Change, Comparison, Severity
from phasediff.config import Config
from phasediff.documents import phase_key
from phasediff.errors import ConfigError, DocumentError
from phasediff.gitrepo import Repository
from phasediff.markdown import dump_yaml, load_yaml
from phasediff.render.describe import describe
from phasediff.render.text import terminal_safe
from phasediff.rules import RULES
from phasediff.text import collapse

ACCEPT_VERSION = 1
#: Read at most this much of the acknowledgement file (a link to /dev/zero, a huge blob).
MAX_ACCEPT_FILE = 16 * 1024 * 1024

HEADER = """\
# Intended architectural changes: phasediff reports them as acknowledged and
# does not fail --fail-on / --exit-code for them.  Each entry names a change by
# its fingerprint (rule id:entity key[#field], as `phasediff diff
# --print-fingerprints` prints it) and says why it is intended; `phase` limits
# it to one phase.  `phasediff accept` adds entries.  See docs/ci.md.
"""

_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ENTRY_KEYS = ("fingerprint", "reason", "phase")


@dataclass(frozen=True)
class Acceptance:
    """One acknowledged change: its fingerprint, why it is intended, and optionally its phase."""

    fingerprint: str
    reason: str
    phase: str | None = None

    def matches(self, change: Change, phase: str | None) -> bool:
        if normalise_fingerprint(change.fingerprint) != normalise_fingerprint(self.fingerprint):
            return False
        if self.phase is None:
            return True
        return phase is not None and phase_key(phase) == phase_key(self.phase)


@dataclass(frozen=True)
class AcceptList:
    """The entries of one acknowledged-changes file, in file order."""

    entries: tuple[Acceptance, ...] = ()
    source: str | None = None  # the file they came from, for messages

    def find(self, change: Change, phase: str | None) -> Acceptance | None:
        """The entry acknowledging ``change`` in a comparison of ``phase``, if any."""
        for entry in self.entries:
            if entry.matches(change, phase):
                return entry
        return None


def normalise_fingerprint(text: str) -> str:
    """What two fingerprints compare by: whitespace collapsed, case folded."""
    return collapse(text).casefold()


def check_fingerprint(text: str) -> str:
    """``text`` as a fingerprint (trimmed), or ``ValueError`` saying what is wrong with it."""
    fingerprint = collapse(text)
    rule, colon, key = fingerprint.partition(":")
    rule = rule.strip().casefold()
    if not colon or not key.strip() or not _RULE_ID.match(rule):
        raise ValueError(
            f"'{text}' is not a fingerprint. Write RULE:KEY, e.g. component-removed:Promtail; "
            "`phasediff diff --print-fingerprints` prints them"
        )
    if rule not in RULES:
        close = difflib.get_close_matches(rule, list(RULES), n=1)
        hint = f" Did you mean {close[0]}?" if close else " `phasediff rules` lists the rules."
        raise ValueError(f"'{text}' names an unknown rule '{rule}'.{hint}")
    return f"{rule}:{key.strip()}"


# -- reading ------------------------------------------------------------------


def parse_accept_file(text: str, source: str) -> AcceptList:
    """Validate the file's YAML; a mistake is a ``ConfigError`` naming the entry and the fix."""
    data, error, line = load_yaml(text)
    if error is not None:
        where = f" (line {line + 1})" if line is not None else ""
        raise ConfigError(f"{source} is not valid YAML{where}: {error}. Fix its syntax.")
    if data is None:
        return AcceptList(source=source)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source} must be a mapping with `version: {ACCEPT_VERSION}` and an `accept:` list."
        )
    unknown = sorted(str(key) for key in data if key not in ("version", "accept"))
    if unknown:
        raise ConfigError(
            f"{source}: unknown key '{unknown[0]}'. The file holds `version` and `accept`."
        )
    version = data.get("version", ACCEPT_VERSION)
    if version != ACCEPT_VERSION:
        raise ConfigError(
            f"{source}: version {version!r} is not supported; this phasediff reads "
            f"version {ACCEPT_VERSION}."
        )
    items = data.get("accept")
    if items is None:
        return AcceptList(source=source)
    if not isinstance(items, list):
        raise ConfigError(f"{source}: `accept` must be a list of entries.")
    entries = [
        _entry(item, f"{source}: accept entry {index}") for index, item in enumerate(items, 1)
    ]
    _check_duplicates(entries, source)
    return AcceptList(entries=tuple(entries), source=source)


def _entry(item: Any, where: str) -> Acceptance:
    if not isinstance(item, dict):
        raise ConfigError(f"{where} must be a mapping with `fingerprint` and `reason`.")
    unknown = sorted(str(key) for key in item if key not in _ENTRY_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key '{unknown[0]}'. An entry has fingerprint, reason and "
            "optionally phase."
        )
    fingerprint = item.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint.strip():
        raise ConfigError(f"{where} needs a `fingerprint` string (RULE:KEY).")
    try:
        fingerprint = check_fingerprint(fingerprint)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}.") from exc
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ConfigError(
            f"{where} ({fingerprint}) needs a `reason`: say why the change is intended."
        )
    phase = item.get("phase")
    if phase is not None:
        if isinstance(phase, bool) or not isinstance(phase, str | int | float):
            raise ConfigError(f'{where} ({fingerprint}): `phase` must be a phase id like "3".')
        phase = str(phase)
    return Acceptance(fingerprint=fingerprint, reason=collapse(reason), phase=phase)


def _scope(entry: Acceptance) -> tuple[str, str | None]:
    return (
        normalise_fingerprint(entry.fingerprint),
        None if entry.phase is None else phase_key(entry.phase),
    )


def _check_duplicates(entries: Sequence[Acceptance], source: str) -> None:
    seen: dict[tuple[str, str | None], int] = {}
    for index, entry in enumerate(entries, 1):
        scope = _scope(entry)
        if scope in seen:
            raise ConfigError(
                f"{source}: accept entries {seen[scope]} and {index} both acknowledge "
                f"{entry.fingerprint}. Keep one."
            )
        seen[scope] = index


def load_accept_file(repo: Repository, config: Config, rev: str | None) -> AcceptList:
    """The repository's acknowledged changes at ``rev`` (None: the working tree); none if absent."""
    path = config.accept_file
    if rev is None:
        file = repo.work_tree_file(path)
        if not file.is_file():
            return AcceptList(source=path)
        try:
            with file.open("rb") as stream:
                data = stream.read(MAX_ACCEPT_FILE + 1)
        except OSError as exc:
            raise ConfigError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    else:
        try:
            _, data = repo.read_file(rev, path)
        except DocumentError:
            return AcceptList(source=path)  # not there at that revision: nothing acknowledged
    if len(data) > MAX_ACCEPT_FILE:
        raise ConfigError(
            f"{path} is larger than {MAX_ACCEPT_FILE // (1024 * 1024)} MiB; an acknowledgement "
            "list is a few lines per change. Remove the entries that no longer match."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8. Re-save it as UTF-8.") from exc
    return parse_accept_file(text, path)


# -- applying -----------------------------------------------------------------


def acknowledge(comparison: Comparison, accepted: AcceptList) -> Comparison:
    """``comparison`` with each change the list acknowledges carrying its reason."""
    if not accepted.entries:
        return comparison
    phase = comparison.head.phase or comparison.base.phase
    changes = []
    for change in comparison.changes:
        entry = accepted.find(change, phase)
        changes.append(change if entry is None else replace(change, acknowledged=entry.reason))
    return replace(comparison, changes=tuple(changes))


def unused_entries(accepted: AcceptList, comparisons: Iterable[Comparison]) -> list[Acceptance]:
    """Entries that acknowledge none of the comparisons' changes (stale, or mistyped)."""
    pairs = [
        (change, comparison.head.phase or comparison.base.phase)
        for comparison in comparisons
        for change in comparison.changes
    ]
    return [
        entry
        for entry in accepted.entries
        if not any(entry.matches(change, phase) for change, phase in pairs)
    ]


def fingerprint_lines(changes: Iterable[Change], fail_on: str | None = None) -> str:
    """``FINGERPRINT<TAB>SEVERITY<TAB>description`` per change, at or above ``fail_on`` if given.

    An acknowledged change says so after its severity.  The output is for a
    terminal and for ``cut -f1``; document text is made terminal-safe.
    """
    threshold = Severity(fail_on).rank if fail_on is not None else 0
    lines = []
    for change in changes:
        if change.severity.rank < threshold:
            continue
        severity = change.severity.value
        if change.acknowledged is not None:
            severity += " (acknowledged)"
        fingerprint = terminal_safe(collapse(change.fingerprint))
        lines.append(f"{fingerprint}\t{severity}\t{terminal_safe(describe(change))}")
    return "".join(line + "\n" for line in lines)


# -- writing ------------------------------------------------------------------


def add_entries(
    text: str | None, new: Sequence[Acceptance], source: str
) -> tuple[str, list[Acceptance]]:
    """The file's text with ``new`` entries added, and the entries that were really new.

    An entry already present (same fingerprint and phase) is left as it is.
    New entries are appended to the existing text when that reads back as
    intended, so the file's comments and layout survive; otherwise (an
    unusual layout, ``accept: []``) the file is written afresh from its data.
    """
    current = parse_accept_file(text or "", source)
    present = {_scope(entry) for entry in current.entries}
    added: list[Acceptance] = []
    for entry in new:
        if _scope(entry) not in present:
            present.add(_scope(entry))
            added.append(entry)
    if text is not None and not added:
        return text, []
    expected = (*current.entries, *added)
    block = _entries_yaml(added)
    if text is not None and text.strip():
        data, _, _ = load_yaml(text)
        opener = "" if isinstance(data, dict) and "accept" in data else "accept:\n"
        candidate = text.rstrip("\n") + "\n" + opener + block
        try:
            if parse_accept_file(candidate, source).entries == expected:
                return candidate, added
        except ConfigError:
            pass
    fresh = HEADER + dump_yaml(
        {"version": ACCEPT_VERSION, "accept": [_entry_data(entry) for entry in expected]}
    )
    return fresh, added


def _entry_data(entry: Acceptance) -> dict[str, str]:
    data = {"fingerprint": entry.fingerprint, "reason": entry.reason}
    if entry.phase is not None:
        data["phase"] = entry.phase
    return data


def _entries_yaml(entries: Sequence[Acceptance]) -> str:
    if not entries:
        return ""
    text = dump_yaml([_entry_data(entry) for entry in entries])
    return "".join(f"  {line}\n" if line else "\n" for line in text.splitlines())
