"""Phase discovery: which files are phase documents, which phase each one is, and their text.

A file is a candidate when its path matches one of the configured globs and
none of the excludes.  Its phase id comes from the document's own
``**Phase:** N`` field when that holds a real value, else from the path
(``phase-1-docker-compose`` -> ``1``, ``phase1`` -> ``1``, ``phase-mvp`` ->
``mvp``).  A candidate whose phase is still the template's placeholder (``X``,
``N``, ``[X]``) or that names no phase at all is not a phase document.

Phase ids compare case-insensitively and ignore leading zeros (``MVP`` ==
``mvp``, ``01`` == ``1``); the document's own spelling is what is displayed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from phasediff.config import Config
from phasediff.errors import DocumentError, OutsideRepositoryError, UnknownPhaseError
from phasediff.gitrepo import MissingObjectError, Repository, missing_object_message
from phasediff.globs import compile_glob, safe_pathspec

#: How far into a document the ``**Phase:**`` field is looked for (it sits in the overview).
PHASE_FIELD_LINES = 60

# The template's unfilled values; "template" for a directory like docs/phase-template/.
_PLACEHOLDERS = frozenset({"x", "n", "[x]", "[n]", "template"})

_PHASE_FIELD = re.compile(
    r"^\s*(?:[-*+]\s+)?\*\*phase(?::\*\*|\*\*\s*:)\s*(?P<value>.+?)\s*$", re.I
)
_PHASE_VALUE = re.compile(
    r"^(?:phase\s*[-_]?\s*)?(?P<id>\d+(?:\.\d+)*[a-z]?(?!\w)|[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*)",
    re.I,
)
# A path component naming a phase: "phase-2.5", "phase1", "Phase_2", "phase-1-docker-compose",
# "phase-mvp".  A word id needs a separator, so that "phases/" names no phase.
_PATH_PHASE = re.compile(
    r"^phase(?:[-_ ]?(?P<number>\d+(?:\.\d+)*[a-z]?)|[-_ ](?P<word>[a-z][a-z0-9]*))(?:[-_ .].*)?$",
    re.I,
)
_DIGITS = re.compile(r"\d+")
_CHUNKS = re.compile(r"\d+|\D+")
_PHASE_PREFIX = re.compile(r"^phase(?:[-_ ]+|(?=\d))", re.I)


@dataclass(frozen=True)
class DocumentRef:
    """Where one phase document is: its phase, path, revision (None = working tree), blob SHA."""

    phase: str
    path: str
    rev: str | None
    blob: str | None


@dataclass(frozen=True)
class SourceDocument:
    """A phase document's text, with where it came from."""

    ref: DocumentRef
    text: str


# -- globs --------------------------------------------------------------------


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` (POSIX, relative to the root) matches one of the globs."""
    return any(compile_glob(pattern).fullmatch(path) for pattern in patterns)


def is_candidate(path: str, config: Config) -> bool:
    """Whether ``path`` may hold a phase document under ``config``'s globs and excludes."""
    return matches_any(path, config.globs) and not matches_any(path, config.exclude)


def pathspecs(config: Config) -> list[str]:
    """``config``'s globs as git pathspecs for ``Repository.log``, excludes included."""
    specs = [f":(top,glob,icase){safe_pathspec(glob)}" for glob in config.globs]
    # A broadened exclude would hide documents: an unsafe one is left to discovery's filter.
    specs += [
        f":(top,glob,icase,exclude){glob}" for glob in config.exclude if safe_pathspec(glob) == glob
    ]
    return specs


# -- phase ids ----------------------------------------------------------------


def phase_from_path(path: str) -> str | None:
    """The phase a path names, from its deepest component that names one (file stem first)."""
    pure = PurePosixPath(path)
    components = [pure.stem, *reversed(pure.parent.parts)]
    for component in components:
        found = _PATH_PHASE.match(component)
        if found:
            number = found.group("number")
            if number is not None:
                return _DIGITS.sub(lambda digits: str(int(digits.group())), number)
            return found.group("word")
    return None


def phase_from_text(text: str) -> str | None:
    """The value of the document's ``**Phase:**`` field, or None if absent or a placeholder.

    Emphasis and backticks are stripped and only the id is kept: ``3 (Tracing)``
    gives ``3``, ``**Phase:** MVP`` gives ``MVP``.
    """
    for line in text.splitlines()[:PHASE_FIELD_LINES]:
        field = _PHASE_FIELD.match(line)
        if field is None:
            continue
        value = re.sub(r"[*`]", "", field.group("value")).strip(" _\t")
        if value.casefold() in _PLACEHOLDERS or value.startswith("["):
            return None  # "[X]", "[Phase number]": the template, unfilled
        found = _PHASE_VALUE.match(value)
        if found is None or is_placeholder(found.group("id")):
            return None
        return found.group("id")
    return None


_TITLE_PREFIX = "title:"
_DOTTED_TITLE = re.compile(r"^#\s+phase[-_ ]?(?P<id>\d+(?:\.\d+)+)(?![\w.])", re.IGNORECASE)


def declared_phase(text: str) -> str | None:
    """What a document says of its phase: its ``**Phase:**`` field, else a dotted phase in
    its title (``# Phase 3.1 …``, kept as ``title:3.1`` for ``phase_of`` to weigh)."""
    field = phase_from_text(text)
    if field is not None:
        return field
    for line in text.splitlines()[:PHASE_FIELD_LINES]:
        if line.startswith("#"):
            found = _DOTTED_TITLE.match(line.strip())
            return _TITLE_PREFIX + found.group("id") if found else None
    return None


def phase_of(declared: str | None, path: str) -> str | None:
    """A document's phase from what it declares (``declared_phase``) and its path.

    The field wins.  A dotted title counts only where the path writes the same
    number without its dots (``phase31`` titled "Phase 3.1" is phase 3.1), for
    a directory name cannot hold the dot that the title can.
    """
    from_path = phase_from_path(path)
    if declared is None:
        return from_path
    if not declared.startswith(_TITLE_PREFIX):
        return declared
    dotted = declared[len(_TITLE_PREFIX) :]
    return dotted if from_path is not None and from_path == dotted.replace(".", "") else from_path


def is_placeholder(phase: str) -> bool:
    """Whether ``phase`` is the template's unfilled value, not a real phase."""
    return phase.casefold() in _PLACEHOLDERS


def phase_key(phase: str) -> str:
    """The identity of a phase id: case-folded, leading zeros and a ``phase-`` prefix dropped.

    So a user's ``Phase-3`` or ``MVP`` finds the document that says ``3`` or ``mvp``.
    """
    bare = _PHASE_PREFIX.sub("", phase.strip(), count=1) or phase.strip()
    return _DIGITS.sub(lambda digits: str(int(digits.group())), bare).casefold()


def phase_sort_key(phase: str) -> tuple[tuple[tuple[int, int, str], ...], str]:
    """Natural order: ``2 < 2.5 < 2.9 < 2.10 < 10``, numeric before non-numeric ids.

    Digit runs compare as numbers and come before text at the same position;
    the id itself breaks the remaining ties, so the order is total.
    """
    chunks = tuple(
        (0, int(chunk), "") if chunk.isdigit() else (1, 0, chunk.casefold())
        for chunk in _CHUNKS.findall(phase_key(phase))
    )
    return chunks, phase


# -- discovery ----------------------------------------------------------------


def discover(repo: Repository, rev: str | None, config: Config) -> list[DocumentRef]:
    """The phase documents at ``rev`` (None = working tree), sorted by phase, then path.

    Every candidate is read to find its ``**Phase:**`` field.  A document that
    is not valid UTF-8 is still discovered (its field decoded leniently);
    ``read_document`` reports the encoding error when it is actually needed, so
    one broken document does not stop comparisons of the others.  Two
    documents may claim the same phase; both are listed and ``find_phase``
    reports the clash.  ``rev`` is kept as given in each ref for display; the
    blob SHA pins the content.
    """
    commit = None if rev is None else repo.resolve(rev)
    refs: list[DocumentRef] = []
    for path in repo.list_files(commit):
        if not is_candidate(path, config):
            continue
        try:
            blob, data = repo.read_file(commit, path)
        except MissingObjectError as exc:
            # Its content is absent from this clone: listed by its path, and reading it
            # says what is missing when it is actually needed.
            blob, data = exc.blob, b""
        except OutsideRepositoryError:
            # A link out of the repository: listed by its path, never read; reading it
            # says why when it is actually needed.
            blob, data = None, b""
        text = data.decode("utf-8", errors="replace")
        phase = phase_of(declared_phase(text), path)
        if phase is None or is_placeholder(phase):
            continue
        refs.append(DocumentRef(phase=phase, path=path, rev=rev, blob=blob))
    refs.sort(key=lambda ref: (phase_sort_key(ref.phase), ref.path))
    return refs


#: File names listed per directory in a discovery hint.
HINT_FILES = 4


def discovery_hints(files: Iterable[str], refs: Sequence[DocumentRef], config: Config) -> list[str]:
    """Notes on phase directories whose documents the globs miss, and the setting to fix it.

    A directory named like a phase (``docs/phase4/``, ``docs/phase31/``) that
    holds markdown but no phase document was most likely meant to: its document
    has another name (``ACTION_TRANSACTION_ARCHITECTURE.md``) or sits beside
    files the globs do not name.  The last note is the ``globs`` setting that
    includes them.
    """
    found = {PurePosixPath(ref.path).parent for ref in refs}
    homes = {directory.parent for directory in found}  # where the phase directories are
    missed: dict[PurePosixPath, list[str]] = {}
    for path in files:
        pure = PurePosixPath(path)
        if pure.suffix.casefold() != ".md" or pure.parent in found:
            continue
        if not _PATH_PHASE.match(pure.parent.name) or matches_any(path, config.exclude):
            continue
        missed.setdefault(pure.parent, []).append(pure.name)
    # Beside the phase directories found, or holding an architecture document: not any
    # directory that happens to start with "phase" (evidence/phase2_run/).
    missed = {
        directory: names
        for directory, names in missed.items()
        if directory.parent in homes or any("architecture" in n.casefold() for n in names)
    }
    notes: list[str] = []
    globs: list[str] = []
    for directory, names in sorted(missed.items()):
        names.sort()
        shown = ", ".join(names[:HINT_FILES]) + (
            f" and {len(names) - HINT_FILES} more" if len(names) > HINT_FILES else ""
        )
        notes.append(
            f"{directory}/ is named like a phase directory, but none of its files matches "
            f"the globs: {shown}."
        )
        named = [name for name in names if "architecture" in name.casefold()]
        if named:
            glob = "**/phase*/*ARCHITECTURE*.md"
        else:
            glob = f"{directory}/{'README.md' if 'README.md' in names else names[0]}"
        if glob not in globs and glob not in config.globs:
            globs.append(glob)
    if globs:
        listed = ", ".join(f'"{glob}"' for glob in (*config.globs, *globs))
        notes.append(f"To include them, set in [tool.phasediff]: globs = [{listed}]")
    return notes


def find_phase(refs: Sequence[DocumentRef], phase: str, rev: str | None = None) -> DocumentRef:
    """The one document of ``phase`` among ``refs`` (from ``discover``).

    ``rev`` only words the message when ``refs`` is empty; otherwise the refs'
    own revision is named.
    """
    where = _where(refs[0].rev if refs else rev)
    if not refs:
        raise UnknownPhaseError(
            f"No phase documents found {where} (looked for docs/phase-N/ARCHITECTURE.md "
            "and similar). Set globs in [tool.phasediff] if yours live elsewhere."
        )
    key = phase_key(phase)
    found = [ref for ref in refs if phase_key(ref.phase) == key]
    if not found:
        raise UnknownPhaseError(
            f"Phase '{phase}' not found {where}. Known phases: {', '.join(known_phases(refs))}."
        )
    if len(found) > 1:
        paths = ", ".join(ref.path for ref in found)
        raise DocumentError(
            f"Phase '{phase}' is claimed by {len(found)} documents {where}: {paths}. "
            "Set globs (or exclude) in [tool.phasediff] so that only one matches, "
            "or correct their **Phase:** fields."
        )
    return found[0]


def known_phases(refs: Iterable[DocumentRef]) -> list[str]:
    """The distinct phase ids of ``refs`` in natural order, each in its first spelling."""
    seen: dict[str, str] = {}
    for ref in sorted(refs, key=lambda ref: (phase_sort_key(ref.phase), ref.path)):
        seen.setdefault(phase_key(ref.phase), ref.phase)
    return list(seen.values())


# -- text ---------------------------------------------------------------------


def load_text(data: bytes, path: str, rev: str | None) -> str:
    """Decode a document as UTF-8, dropping a byte-order mark; anything else is an error."""
    bom = b"\xef\xbb\xbf"
    body = data[len(bom) :] if data.startswith(bom) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(data) - len(body))
        raise DocumentError(
            f"{path} {_where(rev)} is not UTF-8 (byte 0x{data[offset]:02x} at offset {offset}). "
            "Re-save it as UTF-8."
        ) from exc


def read_document(repo: Repository, ref: DocumentRef) -> SourceDocument:
    """The text of ``ref``; from the object database by blob at a revision, else from disk.

    For the working tree the file is read afresh and the returned ref carries
    the blob SHA of what was read.
    """
    if ref.rev is not None and ref.blob is not None:
        try:
            data = repo.read_blob(ref.blob)
        except MissingObjectError as exc:
            message = missing_object_message(ref.blob, ref.path, ref.rev)
            raise MissingObjectError(message, ref.blob) from exc
    else:
        blob, data = repo.read_file(ref.rev, ref.path)
        ref = replace(ref, blob=blob)
    return SourceDocument(ref=ref, text=load_text(data, ref.path, ref.rev))


def _where(rev: str | None) -> str:
    return "in the working tree" if rev is None else f"at {rev}"
