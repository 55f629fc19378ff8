"""History: the phase documents across commits, as semantic changes, fast.

``walk_history`` is ``phasediff log``: every commit that changed a phase
document, newest first, each with the changes between the document's version
before and after it.  ``build_changelog`` is ``phasediff changelog``: each
phase's document at one revision against another, every change attributed to
the commits that brought it.  ``follow_path`` follows one document through
renames between two revisions.

Cost (DESIGN.md, "History, fast"): one ``git log --raw -M`` pass over the
phase-document pathspecs gives every commit with the blob SHAs before and
after, so a commit's pair of versions is known without reading anything;
blobs come through the repository's one long-lived ``cat-file --batch``
reader.  Each distinct pair of blobs is diffed once ever: its changes are kept
in the persistent cache (``cache.py``), and a warm run reads no blob at all.
A cold run parses each distinct blob once, reusing the parse of every section
whose text it has seen (``parse_document_cached``), and spreads the work over
the CPUs when there is a lot of it.

Phase identity: a version's phase is its ``**Phase:**`` field, else what its
path says (``documents.phase_from_text``/``phase_from_path``); a rename that
``git log -M`` reports keeps the document, so a move is a version like any
other and, when the text is the same, no change at all.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import gc
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from phasediff.cache import StoredLog, chunk_digest, encode
from phasediff.changes import Change, Comparison, Kind, Side
from phasediff.codec import DecodeError, decoder, encoder
from phasediff.diff import DiffOptions, diff_documents, phase_renumbered
from phasediff.documents import (
    PHASE_FIELD_LINES,
    DocumentRef,
    declared_phase,
    find_phase,
    is_candidate,
    is_placeholder,
    load_text,
    pathspecs,
    phase_from_path,
    phase_key,
    phase_of,
    phase_sort_key,
)
from phasediff.errors import DocumentError, PhasediffError, RepositoryError, UnknownPhaseError
from phasediff.gitrepo import LogEntry, MissingObjectError, Repository
from phasediff.markdown import ChunkCache, chunk_texts
from phasediff.model import Diagnostic, PhaseDocument
from phasediff.parse import parse_document_cached

if TYPE_CHECKING:
    from phasediff.cache import Cache, ChunkStore
    from phasediff.config import Config
    from phasediff.project import Project

SHORT_SHA = 7
#: Below this many pairs to compute, worker processes cost more than they save.
PARALLEL_MIN_PAIRS = 400
#: Fewest pairs per task handed to a worker, so that each task's first parse (of
#: whole documents, its section cache being cold) stays a small share of it.
TASK_PAIRS = 200
#: Parsed documents kept in memory during a walk (pairs come in document order).
DOCUMENT_LRU = 32
#: Pairs between two ``gc.freeze`` calls (see ``_frozen_heap``).
FREEZE_EVERY = 100
_BOM = b"\xef\xbb\xbf"  # what ``load_text`` drops from the start of a document

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called as pairs of versions are compared."""


# -- results --------------------------------------------------------------------


@dataclass(frozen=True)
class Commit:
    """A commit as history reports it; ``date`` is the author date, ISO 8601."""

    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    date: str
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:SHORT_SHA]


@dataclass(frozen=True)
class DocumentChange:
    """What one commit did to one phase document.

    ``status`` is ``added``, ``modified``, ``renamed`` (moved, maybe edited too)
    or ``deleted``; ``comparison`` holds the version before (``base``, at the
    first parent) and after (``head``, at the commit).  A document that is
    added is compared with an empty one, so its changes list what it brought.
    """

    status: str
    phase: str
    comparison: Comparison
    #: The head's parse notes that the base did not have: what this commit broke.
    introduced: tuple[Diagnostic, ...] = ()
    #: The commit whose version of the document could not be read, when the base is
    #: the last readable version before it (or nothing, when none is).
    skipped_base: str | None = None
    #: Where the document is at the end of the walk (through later moves): which
    #: document, whatever its phase then.
    end_path: str | None = None

    @property
    def semantic(self) -> bool:
        """False for a change of form only (re-wrapped, re-ordered, CRLF, moved)."""
        return bool(self.comparison.changes)


@dataclass(frozen=True)
class Entry:
    """One commit of ``phasediff log`` and the phase documents it changed."""

    commit: Commit
    documents: tuple[DocumentChange, ...]

    @property
    def semantic(self) -> bool:
        return any(document.semantic for document in self.documents)


@dataclass(frozen=True)
class Skipped:
    """A version that could not be read (a missing object, not UTF-8); the rest still counts."""

    commit: str
    path: str
    blob: str
    reason: str

    @property
    def message(self) -> str:
        return f"skipped {self.path} at {self.commit[:SHORT_SHA]}: {self.reason}"


@dataclass(frozen=True)
class Revision:
    """A revision as the user named it (None: not given) and the commit it resolved to."""

    rev: str | None
    sha: str | None


@dataclass(frozen=True)
class History:
    """``phasediff log``: entries newest first."""

    since: Revision
    until: Revision
    phases: tuple[str, ...]
    first_parent: bool
    entries: tuple[Entry, ...]
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True)
class PhaseRelease:
    """One phase in a changelog: its document at ``since`` against ``until``.

    ``status`` is ``added``, ``removed``, ``changed`` or ``unchanged``;
    ``attributions[i]`` are the commits (oldest first) that brought
    ``comparison.changes[i]``; ``commits`` every commit of the range that
    changed the phase's document.
    """

    phase: str
    name: str | None
    status: str
    comparison: Comparison
    attributions: tuple[tuple[Commit, ...], ...]
    commits: tuple[Commit, ...]
    #: An added phase is compared with the phase before it at ``until`` (its
    #: phase-against-phase drift); None when it is compared with nothing.
    compared_with: str | None = None


@dataclass(frozen=True)
class Changelog:
    """``phasediff changelog``: release notes of a range over all phases, in phase order."""

    since: Revision
    until: Revision
    date: str | None  # the author date of the ``until`` commit
    phases: tuple[PhaseRelease, ...]
    commits: tuple[Commit, ...]  # every commit of the range that changed a phase document
    skipped: tuple[Skipped, ...] = ()


# -- revisions and shallow clones -------------------------------------------------


SHALLOW_HINT = (
    "Fetch the full history with `git fetch --unshallow` (in GitHub Actions, set "
    "`fetch-depth: 0` on actions/checkout)"
)


def resolve_range(repo: Repository, since: str | None, until: str) -> tuple[Revision, Revision]:
    """Resolve a range, refusing a shallow clone unless the range is all present.

    A shallow clone (CI checkouts by default) lacks the older commits, so a
    walk from the root would silently start at the cut.  With ``since``
    given, the walk is exact when ``since`` is present and an ancestor of
    ``until``; otherwise the message says how to fetch what is missing.
    """
    until_sha = repo.resolve(until)
    if not repo.is_shallow():
        return Revision(since, None if since is None else repo.resolve(since)), Revision(
            until, until_sha
        )
    if since is None:
        raise RepositoryError(
            f"The repository at {repo.root} is a shallow clone, so its history is cut short "
            f"and phase documents seem to appear from nowhere. {SHALLOW_HINT}, or pass "
            "--from REV with a revision the clone has."
        )
    if not repo.has_commit(since):
        raise RepositoryError(
            f"Revision '{since}' is not in this shallow clone ({repo.root}). {SHALLOW_HINT}, "
            "or fetch the tag (`git fetch --tags`)."
        )
    since_sha = repo.resolve(since)
    try:
        complete = repo.merge_base(since_sha, until_sha) == since_sha
    except RepositoryError:
        complete = False
    if not complete:
        raise RepositoryError(
            f"This shallow clone ({repo.root}) does not hold all the history between "
            f"'{since}' and '{until}'. {SHALLOW_HINT}."
        )
    return Revision(since, since_sha), Revision(until, until_sha)


@dataclass(frozen=True)
class Origin:
    """Where a document at the end of a range was at its start.

    ``path`` is its path at the start (through renames, whatever its phase);
    None when a commit of the range ``added`` it.  ``first`` is the oldest
    commit of the range that changed it, if any.
    """

    path: str | None
    added: str | None
    first: str | None


def trace_back(
    repo: Repository, config: Config, paths: Iterable[str], since_sha: str, until_sha: str
) -> dict[str, Origin]:
    """Where each document at ``paths`` in ``until_sha`` was in ``since_sha``: one ``git log``,
    read newest first, each rename moving a path back to where it came from."""
    current = {path: path for path in paths}
    added: dict[str, str] = {}
    first: dict[str, str] = {}
    for entry in repo.log(pathspecs(config), since_sha, until_sha):
        for start, path in current.items():
            if start in added:
                continue
            for change in entry.changes:
                if change.new_path != path:
                    continue
                first[start] = entry.sha
                if change.status == "A":
                    added[start] = entry.sha
                elif change.status == "R" and change.old_path:
                    current[start] = change.old_path
                break
    return {
        start: Origin(None if start in added else path, added.get(start), first.get(start))
        for start, path in current.items()
    }


def follow_path(
    repo: Repository, config: Config, path: str, since_sha: str, until_sha: str
) -> str | None:
    """Where the document at ``path`` in ``since_sha`` is in ``until_sha``; None if deleted.

    One ``git log -M`` over the phase-document pathspecs, replayed oldest
    first: each rename moves the path on, a deletion ends it (unless a later
    commit adds it back at the same place).
    """
    current: str | None = path
    last = path
    for entry in reversed(repo.log(pathspecs(config), since_sha, until_sha)):
        for change in entry.changes:
            if current is not None and change.old_path == current:
                if change.status == "R":
                    current = last = change.new_path or current
                elif change.status == "D":
                    current = None
            elif current is None and change.status == "A" and change.new_path == last:
                current = last
    return current


# -- the walk ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Version:
    """One version of a phase document: where, which content, which phase."""

    path: str
    blob: str
    phase: str


@dataclass(frozen=True)
class _Pair:
    """A document change of one commit, before its comparison is known."""

    status: str
    base: _Version | None
    head: _Version | None
    base_rev: str | None
    head_rev: str
    age: int  # the commit's position in the log, 0 for the newest
    index: int = -1  # the change's position in the commit's raw diff
    skipped_base: str | None = None  # see ``DocumentChange.skipped_base``

    @property
    def phase(self) -> str:
        version = self.head or self.base
        assert version is not None
        return version.phase

    @property
    def lineage(self) -> str:
        """The document a pair belongs to, for ordering work so that sections repeat."""
        version = self.head or self.base
        assert version is not None
        return version.path


@dataclass
class _Stored:
    """What the cache keeps per pair of blobs: the changes, the head's parse notes and paths.

    The paths are those the changes were computed under; a later walk that
    meets the same blobs at other paths (a move) re-labels the changes.
    """

    changes: tuple[Change, ...]
    diagnostics: tuple[Diagnostic, ...]
    introduced: tuple[Diagnostic, ...]
    base_path: str | None
    head_path: str | None


def options_digest(options: DiffOptions) -> str:
    """What in the settings changes a diff: rule severities and declared renames."""
    data = {
        "severities": {
            rule: None if severity is None else severity.value
            for rule, severity in sorted(options.severities.items())
        },
        "renames": dict(sorted(options.renames.items())),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def pair_key(digest: str, base_blob: str | None, head_blob: str | None) -> str:
    return f"{digest}:{base_blob or '-'}:{head_blob or '-'}"


class _Walk:
    """One history walk: reads, phases, pairs and comparisons, with the caches."""

    def __init__(self, project: Project, progress: Progress | None) -> None:
        self.repo = project.repo
        self.config = project.config
        self.options = project.options
        self.cache: Cache = project.cache
        self.chunks: ChunkStore = project.chunks
        self.stored_documents: set[str] = set()  # parsed documents the cache already holds
        self.progress = progress
        self.digest = options_digest(self.options)
        # Texts read, kept as UTF-8 bytes: a str holding one emoji takes four bytes a
        # character, and a cold walk keeps every version until its pairs are compared.
        self.texts: dict[str, bytes] = {}
        self.fields: dict[str, str | None] = {}
        self.unreadable: dict[str, str] = {}
        self.skipped: dict[str, Skipped] = {}  # by blob: one line per unreadable version
        self.documents: collections.OrderedDict[str, PhaseDocument] = collections.OrderedDict()
        self.candidates: dict[str, bool] = {}
        self.lineages = _Lineages()

    # -- versions and their phases ---------------------------------------------------

    def candidate(self, path: str) -> bool:
        found = self.candidates.get(path)
        if found is None:
            found = self.candidates[path] = is_candidate(path, self.config)
        return found

    def candidate_blobs(self, log: Sequence[LogEntry]) -> Iterator[tuple[str, str, str]]:
        """``(blob, path, commit)`` of every phase-document version ``log`` names."""
        for entry in log:
            parent = entry.parents[0] if entry.parents else entry.sha
            for change in entry.changes:
                if change.old_blob and change.old_path and self.candidate(change.old_path):
                    yield change.old_blob, change.old_path, parent
                if change.new_blob and change.new_path and self.candidate(change.new_path):
                    yield change.new_blob, change.new_path, entry.sha

    def known_phases(self, log: Sequence[LogEntry]) -> list[str]:
        """Every phase a version in ``log`` belongs to, in natural order."""
        seen: dict[str, str] = {}
        for blob, path, _ in self.candidate_blobs(log):
            phase = phase_of(self.fields.get(blob), path)
            if phase is not None and not is_placeholder(phase):
                seen.setdefault(phase_key(phase), phase)
        return sorted(seen.values(), key=phase_sort_key)

    def read(self, blob: str, path: str, commit: str) -> bool:
        """Read ``blob`` (learning its phase); False (and a ``Skipped``) when it cannot be."""
        if blob in self.texts:
            return True
        reason = self.unreadable.get(blob)
        if reason is None:
            try:
                data = self.repo.read_blob(blob)
                text = load_text(data, path, commit[:SHORT_SHA])
            except MissingObjectError:
                reason = (
                    f"object {blob[:SHORT_SHA]} is missing from this clone; "
                    "fetch it or use a full clone"
                )
            except DocumentError as exc:
                reason = str(exc)
            else:
                # The text's UTF-8 is the blob's bytes without a byte-order mark: no re-encoding.
                self.texts[blob] = data.removeprefix(_BOM)
                if blob not in self.fields:
                    self.fields[blob] = declared_phase(_head(text))
                    self.cache.put_phase(blob, self.fields[blob])
                return True
            self.unreadable[blob] = reason
        self.skipped.setdefault(blob, Skipped(commit, path, blob, reason))
        return False

    def text(self, blob: str) -> str:
        return self.texts[blob].decode("utf-8")

    def prime_fields(self, versions: Iterable[tuple[str, str, str]]) -> list[str]:
        """Learn what the cache knows of the ``**Phase:**`` fields; return the blobs it does not."""
        missing = list({blob: None for blob, _, _ in versions if blob not in self.fields})
        self.fields.update(self.cache.phases(missing))
        return [blob for blob in missing if blob not in self.fields]

    def load_fields(self, versions: Iterable[tuple[str, str, str]]) -> None:
        """Learn the ``**Phase:**`` field of every ``(blob, path, commit)``: cache, else read."""
        wanted = {blob: (path, commit) for blob, path, commit in versions}
        for blob in self.prime_fields((blob, "", "") for blob in wanted):
            path, commit = wanted[blob]
            self.read(blob, path, commit)  # reading records the field

    def version(
        self, path: str | None, blob: str | None, commit: str, provisional: bool = False
    ) -> _Version | None:
        """The phase-document version at ``path``/``blob``, or None if it is none.

        ``provisional`` does not read a blob to learn its phase: such a version
        is good for computing its comparisons, not yet for showing them.
        """
        if path is None or blob is None or not self.candidate(path):
            return None
        if blob not in self.fields:
            if provisional:
                return _Version(path, blob, phase_from_path(path) or "")
            # An unreadable version keeps the phase its path names: its pair is then
            # bridged over it (``bridge``) rather than taken for an addition.
            self.read(blob, path, commit)
        phase = phase_of(self.fields.get(blob), path)
        if phase is None or is_placeholder(phase):
            return None
        return _Version(path, blob, phase)

    def pairs_of(self, entry: LogEntry, age: int, provisional: bool = False) -> list[_Pair]:
        base_rev = entry.parents[0] if entry.parents else None
        pairs: list[_Pair] = []
        for index, change in enumerate(entry.changes):
            base = head = None
            if change.status != "A":
                parent = base_rev or entry.sha
                base = self.version(change.old_path, change.old_blob, parent, provisional)
            if change.status != "D":
                head = self.version(change.new_path, change.new_blob, entry.sha, provisional)
            if base is None and head is None:
                continue
            status = _status(base, head)
            pairs.append(_Pair(status, base, head, base_rev, entry.sha, age, index))
        return pairs

    def final_phase(self, pair: _Pair) -> str | None:
        """The key of the phase the document of ``pair`` ends the walk in (its latest version)."""
        lineage = self.lineages.of.get((pair.head_rev, pair.index))
        if lineage is None:
            return None
        blob, path, _ = self.lineages.versions[lineage][-1]
        phase = phase_of(self.fields.get(blob), path)
        return None if phase is None else phase_key(phase)

    def final_path(self, pair: _Pair) -> str | None:
        """Where the document of ``pair`` is at the end of the walk (its latest version)."""
        lineage = self.lineages.of.get((pair.head_rev, pair.index))
        if lineage is None or not self.lineages.versions[lineage]:
            return None
        return self.lineages.versions[lineage][-1][1]

    def bridge(self, pair: _Pair) -> _Pair | None:
        """``pair`` with its unreadable base replaced by the last readable version before it.

        None when there is nothing to compare: the head cannot be read either, or
        a deleted document has no readable version left.  Without a readable
        version before, the head is compared with nothing, and says so.
        """
        if pair.base is None or pair.base.blob not in self.unreadable:
            return None
        if pair.head is not None and not self.read(pair.head.blob, pair.head.path, pair.head_rev):
            return None
        skipped = self.skipped.get(pair.base.blob)
        lost = skipped.commit if skipped else pair.base_rev or pair.head_rev
        base: _Version | None = None
        base_rev: str | None = None
        for blob, path, commit in self.lineages.before(pair):
            if self.read(blob, path, commit):
                base, base_rev = self.version(path, blob, commit), commit
                break
        if pair.head is None and base is None:
            return None
        status = pair.status if base is None else _status(base, pair.head)
        return replace(pair, status=status, base=base, base_rev=base_rev, skipped_base=lost)

    # -- comparisons ------------------------------------------------------------------

    def compare(self, pairs: Sequence[_Pair]) -> dict[str, _Stored]:
        """The stored changes of every pair: from the cache, else computed (and cached)."""
        keys = {self.key(pair): pair for pair in pairs}
        found: dict[str, _Stored] = {}
        found.update(self.cache.pairs(keys, _Stored))
        todo = [pair for key, pair in keys.items() if key not in found]
        # Document order, oldest first: consecutive versions share most of their sections.
        todo.sort(key=lambda pair: (pair.lineage, -pair.age))
        keep = self.tips(pairs)
        if len(todo) >= PARALLEL_MIN_PAIRS and _cpus() > 1:
            found.update(self.compute_parallel(todo, keep))
        else:
            found.update(self.compute_serial(todo, keep))
        return found

    def key(self, pair: _Pair) -> str:
        return pair_key(
            self.digest,
            pair.base.blob if pair.base else None,
            pair.head.blob if pair.head else None,
        )

    def readable(self, pair: _Pair) -> bool:
        """Read both texts; a pair with an unreadable side is skipped (and reported)."""
        for version, commit in ((pair.base, pair.base_rev), (pair.head, pair.head_rev)):
            if version is not None and not self.read(
                version.blob, version.path, commit or pair.head_rev
            ):
                return False
        return True

    @staticmethod
    def tips(pairs: Iterable[_Pair]) -> set[str]:
        """The newest version of each document: the base of the next commit's pair."""
        newest: dict[str, str] = {}
        for pair in pairs:  # newest first
            if pair.head is not None:
                newest.setdefault(pair.head.path, pair.head.blob)
        return set(newest.values())

    def document(self, blob: str) -> PhaseDocument:
        if blob in self.documents:
            self.documents.move_to_end(blob)
            return self.documents[blob]
        doc = self.cache.document(blob)
        if doc is None:
            doc = parse_document_cached(self.text(blob), self.chunks)
        else:
            self.stored_documents.add(blob)
        self.documents[blob] = doc
        if len(self.documents) > DOCUMENT_LRU:
            self.documents.popitem(last=False)
        return doc

    def compute_serial(self, todo: Sequence[_Pair], keep: set[str]) -> dict[str, _Stored]:
        found: dict[str, _Stored] = {}
        with _frozen_heap() as freeze:
            for done, pair in enumerate(todo, 1):
                if not self.readable(pair):
                    continue
                base = self.document(pair.base.blob) if pair.base else PhaseDocument()
                head = self.document(pair.head.blob) if pair.head else PhaseDocument()
                stored = _diff(base, head, pair, self.options)
                found[self.key(pair)] = stored
                self.cache.put_pair(self.key(pair), stored)
                if done % FREEZE_EVERY == 0:
                    freeze()
                if self.progress is not None:
                    self.progress(done, len(todo))
        # The newest versions, parsed, for the next run; what the cache holds already
        # is not encoded again.
        for blob in keep:
            if blob not in self.texts or not self.cache.enabled:
                continue
            document = self.document(blob)
            if blob not in self.stored_documents:
                self.cache.put_document(blob, document)
            for text, chunk in _chunks_of(self.text(blob), self.chunks):
                if text in self.chunks.fresh:
                    self.cache.put_chunk(chunk_digest(text), chunk)
        return found

    def compute_parallel(self, todo: Sequence[_Pair], keep: set[str]) -> dict[str, _Stored]:
        # Few, long runs of one document each keep the workers' section caches warm;
        # eight per worker still balance the load and move the progress bar.
        size = max(TASK_PAIRS, -(-len(todo) // (_cpus() * 8)))
        tasks = [todo[i : i + size] for i in range(0, len(todo), size)]
        found: dict[str, _Stored] = {}
        done = 0
        with _pool() as pool:
            futures: list[Future[_TaskResult]] = []
            for task in tasks:
                # Reading the next task's blobs overlaps with the workers' parsing.
                task = [pair for pair in task if self.readable(pair)]
                blobs = {v.blob for pair in task for v in (pair.base, pair.head) if v is not None}
                payload = _Task(
                    pairs=list(task),
                    texts={blob: self.texts[blob] for blob in blobs},
                    options=self.options,
                    digest=self.digest,
                    keep=keep & blobs,
                    with_cache=self.cache.enabled,
                )
                futures.append(pool.submit(_run_task, payload))
            for future in futures:
                result = future.result()
                for key, stored in result.pairs:
                    found[key] = stored
                for key, value in result.encoded_pairs:
                    self.cache.put_pair_encoded(key, value)
                for blob, value in result.documents:
                    self.cache.put_document_encoded(blob, value)
                for digest, value in result.chunks:
                    self.cache.put_chunk_encoded(digest, value)
                done += result.count
                if self.progress is not None:
                    self.progress(done, len(todo))
        return found

    def document_change(self, pair: _Pair, stored: _Stored) -> DocumentChange:
        return DocumentChange(
            pair.status,
            pair.phase,
            self.comparison(pair, stored),
            stored.introduced,
            pair.skipped_base,
            self.final_path(pair),
        )

    def comparison(self, pair: _Pair, stored: _Stored) -> Comparison:
        base_path = pair.base.path if pair.base else None
        head_path = pair.head.path if pair.head else None
        changes = stored.changes
        if (stored.base_path, stored.head_path) != (base_path, head_path):
            changes = tuple(
                replace(
                    change,
                    path=base_path if change.path == stored.base_path else head_path,
                )
                for change in changes
            )
        if (
            pair.base is not None
            and pair.head is not None
            and not any(change.rule == "phase-renumbered" for change in changes)
        ):
            # A move into another phase's directory: the document's path names its phase.
            renumbered = phase_renumbered(
                pair.base.phase, pair.head.phase, self.options, pair.head.path
            )
            changes = renumbered + changes
        return Comparison(
            base=_side(pair.base, pair.base_rev, pair.phase),
            head=_side(pair.head, pair.head_rev, pair.phase),
            changes=changes,
            diagnostics=stored.diagnostics,
        )


@dataclass
class _Lineages:
    """Which document each change of a walk belongs to, through renames whatever its phase.

    ``of`` maps ``(commit, change index)`` to a lineage; ``versions`` lists each
    lineage's versions ``(blob, path, commit)`` oldest first, and ``bases`` the
    position there of each change's version before.
    """

    of: dict[tuple[str, int], int] = field(default_factory=dict)
    versions: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)
    bases: dict[tuple[str, int], int] = field(default_factory=dict)

    def before(self, pair: _Pair) -> Iterator[tuple[str, str, str]]:
        """The versions of ``pair``'s document older than its base, newest first."""
        lineage = self.of.get((pair.head_rev, pair.index))
        position = self.bases.get((pair.head_rev, pair.index), -1)
        if lineage is None:
            return
        versions = self.versions[lineage]
        for found in range(position - 1, -1, -1):
            yield versions[found]


def _trace(walk: _Walk, log: Sequence[LogEntry]) -> _Lineages:
    """Follow every phase document of ``log`` (newest first) through its renames.

    Replayed oldest first: an addition starts a document, a rename (``git log
    -M``) carries it to its new path — to another phase's directory too — and a
    deletion ends it.  A document that exists before the walk starts at its
    first change's version before.
    """
    traced = _Lineages()
    at: dict[str, int] = {}
    for entry in reversed(log):
        parent = entry.parents[0] if entry.parents else entry.sha
        for index, change in enumerate(entry.changes):
            old = change.old_path if change.old_path and walk.candidate(change.old_path) else None
            new = change.new_path if change.new_path and walk.candidate(change.new_path) else None
            if old is None and new is None:
                continue
            lineage = at.pop(old, None) if old is not None else None
            if lineage is None:
                lineage = len(traced.versions)
                traced.versions[lineage] = []
                if old is not None and change.old_blob:
                    traced.versions[lineage].append((change.old_blob, old, parent))
            versions = traced.versions[lineage]
            traced.of[(entry.sha, index)] = lineage
            traced.bases[(entry.sha, index)] = len(versions) - 1
            if new is not None and change.new_blob:
                at[new] = lineage
                versions.append((change.new_blob, new, entry.sha))
    return traced


def _head(text: str) -> str:
    """The start of ``text`` that holds its first ``PHASE_FIELD_LINES`` lines (or all of it)."""
    end = -1
    for _ in range(PHASE_FIELD_LINES):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[: end + 1]


def _status(base: _Version | None, head: _Version | None) -> str:
    if base is None:
        return "added"
    if head is None:
        return "deleted"
    return "renamed" if base.path != head.path else "modified"


def _side(version: _Version | None, rev: str | None, phase: str) -> Side:
    if version is None:
        return Side(phase=phase, rev=rev, path=None, blob=None)
    return Side(phase=version.phase, rev=rev, path=version.path, blob=version.blob)


def _diff(base: PhaseDocument, head: PhaseDocument, pair: _Pair, options: DiffOptions) -> _Stored:
    base_path = pair.base.path if pair.base else None
    head_path = pair.head.path if pair.head else None
    known = {(d.code, d.message) for d in base.diagnostics}
    introduced = tuple(d for d in head.diagnostics if (d.code, d.message) not in known)
    if base == head:
        # Equal models differ only in form (DESIGN.md, "Identity and noise"): no change.
        return _Stored((), head.diagnostics, introduced, base_path, head_path)
    base_side = Side(phase=pair.phase, rev=None, path=base_path)
    head_side = Side(phase=pair.phase, rev=None, path=head_path)
    comparison = diff_documents(base, head, base_side, head_side, options)
    return _Stored(comparison.changes, comparison.diagnostics, introduced, base_path, head_path)


def _chunks_of(text: str, chunks: ChunkCache) -> Iterator[tuple[str, Any]]:
    """The parsed chunks of ``text`` that ``chunks`` holds, to keep them across runs."""
    for chunk_text in chunk_texts(text):
        parsed = chunks.get(chunk_text)
        if parsed is not None:
            yield chunk_text, parsed


@contextlib.contextmanager
def _frozen_heap() -> Iterator[Callable[[], None]]:
    """Keep the cyclic garbage collector off the long-lived heap while parsing.

    A walk allocates millions of small objects and keeps many (the section
    cache), so each full collection rescans a growing heap: about a sixth of
    parse time.  ``gc.freeze`` moves what exists to a generation the collector
    skips; calling the yielded function every so often freezes what the walk
    has kept since, and the heap thaws at the end.
    """
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def _cpus() -> int:
    with contextlib.suppress(AttributeError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextlib.contextmanager
def _pool() -> Iterator[ProcessPoolExecutor]:
    """Worker processes for one walk; they never outlive it, nor the parent.

    On any exception (Ctrl-C, SIGTERM, SIGHUP: see ``cli.common``) queued work
    is cancelled and the workers are stopped at once instead of finishing the
    walk.  A parent killed outright cannot stop them: each worker asks the
    kernel to kill it when the parent dies (``_worker_start``).
    """
    methods = multiprocessing.get_all_start_methods()
    # fork starts a worker in milliseconds with every module already imported.
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = ProcessPoolExecutor(
        max_workers=_cpus(),
        mp_context=context,
        initializer=_worker_start,
        initargs=(os.getpid(),),
    )
    # With fork, the first submit starts every worker.  The stop signals are held
    # meanwhile, so none reaches a worker before ``_worker_start`` has set its own
    # handlers (a worker would otherwise run the parent's and print a traceback);
    # one that arrived for the parent is delivered as soon as they are released.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        pool.submit(int)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    try:
        yield pool
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now (SIGTERM, then SIGKILL)."""
    processes = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.terminate()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join(WORKER_STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join(WORKER_STOP_SECONDS)


#: How long a stopped worker gets to exit before it is killed.
WORKER_STOP_SECONDS = 2.0
#: The signals that stop a walk (``cli.common``); held while workers are forked.
_STOP_SIGNALS = frozenset(
    number
    for number in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None))
    if number is not None
)
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _worker_start(parent: int) -> None:
    """A worker's first act: die with the parent, leave Ctrl-C to it.

    The terminal sends SIGINT to the whole process group; the parent stops the
    workers itself, so a worker ignores it (no traceback of its own).  SIGTERM
    and SIGHUP get their default action back (the parent's handlers were
    inherited by the fork).  On Linux the kernel kills the worker when the
    parent dies however it dies; elsewhere a thread watches for the parent.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if number is not None:
            signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # held by ``_pool``
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the worker got this far
        os._exit(1)


def _die_with_parent() -> bool:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)``: whether the kernel took the job."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


# -- worker processes ---------------------------------------------------------------


@dataclass
class _Task:
    pairs: list[_Pair]
    texts: dict[str, bytes]
    options: DiffOptions
    digest: str
    keep: set[str]
    with_cache: bool


@dataclass
class _TaskResult:
    """A worker's results: pairs as values, and what the cache keeps already encoded
    (so the encoding runs in the workers, not in the parent)."""

    count: int
    pairs: list[tuple[str, _Stored]] = field(default_factory=list)
    encoded_pairs: list[tuple[str, bytes | None]] = field(default_factory=list)
    documents: list[tuple[str, bytes | None]] = field(default_factory=list)
    chunks: list[tuple[str, bytes | None]] = field(default_factory=list)


# Kept between the tasks a worker process runs: its section cache.
_WORKER_CHUNKS: dict[str, Any] = {}


def _run_task(task: _Task) -> _TaskResult:
    """Parse and diff one run of pairs in a worker."""
    result = _TaskResult(count=len(task.pairs))
    documents: collections.OrderedDict[str, PhaseDocument] = collections.OrderedDict()

    def document(blob: str) -> PhaseDocument:
        if blob not in documents:
            documents[blob] = parse_document_cached(task.texts[blob].decode(), _WORKER_CHUNKS)
            if len(documents) > DOCUMENT_LRU:
                documents.popitem(last=False)
        return documents[blob]

    gc.freeze()  # see _frozen_heap; a worker process ends with the run, so it never thaws
    for done, pair in enumerate(task.pairs, 1):
        if done % FREEZE_EVERY == 0:
            gc.freeze()
        base = document(pair.base.blob) if pair.base else PhaseDocument()
        head = document(pair.head.blob) if pair.head else PhaseDocument()
        stored = _diff(base, head, pair, task.options)
        base_blob = pair.base.blob if pair.base else None
        key = pair_key(task.digest, base_blob, pair.head.blob if pair.head else None)
        result.pairs.append((key, stored))
        if task.with_cache:
            result.encoded_pairs.append((key, encode(stored)))
    if task.with_cache:
        for blob in sorted(task.keep):
            text = task.texts[blob].decode("utf-8")
            doc = parse_document_cached(text, _WORKER_CHUNKS)
            result.documents.append((blob, encode(doc)))
            kept = _chunks_of(text, _WORKER_CHUNKS)
            result.chunks.extend((chunk_digest(text), encode(chunk)) for text, chunk in kept)
    return result


# -- phasediff log ----------------------------------------------------------------

#: Commits to follow back, through the batch reader, looking for the tip a cached walk
#: ended at; beyond this a fresh ``git log`` is cheaper than the search.
LOG_REACH = 2000
#: Runs of encoded records a cached walk is kept in before they are merged into one.
LOG_RUNS = 16


@dataclass(frozen=True)
class EntryRenderer:
    """How ``render_history`` turns an entry into text (a renderer's, passed in by the CLI).

    ``key`` names everything the text depends on besides the entry (format,
    colour); rendered entries are kept in the cache under it.
    """

    key: str
    render: Callable[[Entry], str]


@dataclass(frozen=True)
class RenderedEntry:
    """One commit's entry as text: from the cache, or rendered by this run."""

    sha: str
    semantic: bool
    text: str


@dataclass(frozen=True)
class RenderedHistory:
    """``History`` with every entry already text: what ``phasediff log`` prints."""

    since: Revision
    until: Revision
    phases: tuple[str, ...]
    first_parent: bool
    entries: tuple[RenderedEntry, ...]
    skipped: tuple[Skipped, ...] = ()


class StreamedHistory:
    """``RenderedHistory`` whose entries come one by one, as the log prints them.

    ``entries`` is consumed once; ``skipped`` is complete only after it is, and
    the cache's new rows are flushed when the last entry has come.
    """

    def __init__(
        self,
        since: Revision,
        until: Revision,
        phases: tuple[str, ...],
        first_parent: bool,
        entries: Iterator[RenderedEntry],
        walk: _Walk,
    ) -> None:
        self.since = since
        self.until = until
        self.phases = phases
        self.first_parent = first_parent
        self.entries = entries
        self._walk = walk

    @property
    def skipped(self) -> tuple[Skipped, ...]:
        return tuple(self._walk.skipped.values())


def walk_history(
    project: Project,
    *,
    phases: Sequence[str] = (),
    since: str | None = None,
    until: str = "HEAD",
    first_parent: bool = True,
    max_count: int | None = None,
    semantic_only: bool = False,
    progress: Progress | None = None,
) -> History:
    """Every commit in ``since..until`` that changed a phase document, newest first.

    ``phases`` keeps the documents of those phases (and commits changing
    them); ``semantic_only`` drops commits whose changes are all of form;
    ``max_count`` stops after that many entries.  Versions that cannot be read
    are listed in ``skipped``; the rest of the history is still reported.
    """
    since_rev, until_rev = resolve_range(project.repo, since, until)
    walk = _Walk(project, progress)
    log = _log(project, since_rev, until_rev, first_parent).entries()
    wanted = _wanted_phases(walk, log, phases, until)
    computed = _entries(walk, log, wanted, _window(len(log), max_count))
    entries = tuple(_select((entry for _, entry, _ in computed), semantic_only, max_count))
    project.cache.flush()
    return History(
        since=since_rev,
        until=until_rev,
        phases=tuple(phases),
        first_parent=first_parent,
        entries=entries,
        skipped=tuple(walk.skipped.values()),
    )


def render_history(
    project: Project,
    renderer: EntryRenderer,
    *,
    phases: Sequence[str] = (),
    since: str | None = None,
    until: str = "HEAD",
    first_parent: bool = True,
    max_count: int | None = None,
    semantic_only: bool = False,
    progress: Progress | None = None,
) -> RenderedHistory:
    """``stream_history``, every entry collected."""
    stream = stream_history(
        project,
        renderer,
        phases=phases,
        since=since,
        until=until,
        first_parent=first_parent,
        max_count=max_count,
        semantic_only=semantic_only,
        progress=progress,
    )
    entries = tuple(stream.entries)
    return RenderedHistory(
        since=stream.since,
        until=stream.until,
        phases=stream.phases,
        first_parent=stream.first_parent,
        entries=entries,
        skipped=stream.skipped,
    )


def stream_history(
    project: Project,
    renderer: EntryRenderer,
    *,
    phases: Sequence[str] = (),
    since: str | None = None,
    until: str = "HEAD",
    first_parent: bool = True,
    max_count: int | None = None,
    semantic_only: bool = False,
    progress: Progress | None = None,
) -> StreamedHistory:
    """``walk_history``, each entry rendered by ``renderer``, and kept rendered.

    A commit's entry depends only on the commit, the settings, the phases
    asked for and the renderer, so its text is cached under those: a warm run
    reads one row per commit and renders nothing, an incremental one renders
    the new commits only.  An entry with a version that could not be read is
    never kept, so its warning comes back on every run until the object does.

    Entries come as they are consumed: a warm run holds the stored rows as
    bytes and no more; each becomes text only when its turn comes.
    """
    since_rev, until_rev = resolve_range(project.repo, since, until)
    walk = _Walk(project, progress)
    log = _log(project, since_rev, until_rev, first_parent)
    wanted = _wanted_phases(walk, log.entries() if phases else [], phases, until)
    digest = _entry_digest(walk, wanted, renderer)
    fates = _fates(walk, log.entries()) if phases else {}
    keys = [f"{digest}:{sha}{fates.get(sha, '')}" for sha in log.shas]
    stored = project.cache.entries(keys)
    for key in [key for key, value in stored.items() if not _readable_entry(value)]:
        del stored[key]  # a row that does not read back is a miss
    missing = [index for index, key in enumerate(keys) if key not in stored]
    records = log.head(missing[-1] + 1) if missing else []
    todo = [records[index] for index in missing]
    computed = _entries(walk, todo, wanted, _window(len(todo), max_count))

    def items() -> Iterator[RenderedEntry | None]:
        for sha, key in zip(log.shas, keys, strict=True):
            value = stored.pop(key, None)
            if value is None:
                _, entry, complete = next(computed)
                value = _ABSENT if entry is None else _encode_entry(entry, renderer)
                if complete:
                    project.cache.put_entry(key, value)
            yield _decode_entry(sha, value)

    def entries() -> Iterator[RenderedEntry]:
        yield from _select(items(), semantic_only, max_count)
        project.cache.flush()

    return StreamedHistory(
        since=since_rev,
        until=until_rev,
        phases=tuple(phases),
        first_parent=first_parent,
        entries=entries(),
        walk=walk,
    )


class _Semantic(Protocol):
    @property
    def semantic(self) -> bool: ...


_S = TypeVar("_S", bound=_Semantic)


def _select(items: Iterable[_S | None], semantic_only: bool, max_count: int | None) -> Iterator[_S]:
    """The entries to show, newest first; stops consuming ``items`` once there are enough."""
    kept = 0
    for item in items:
        if item is None or (semantic_only and not item.semantic):
            continue
        yield item
        kept += 1
        if max_count is not None and kept >= max_count:
            break


_ABSENT = b"-"  # the commit changed no phase document asked for
_SEMANTIC = b"S"
_FORM_ONLY = b"F"


def _encode_entry(entry: Entry, renderer: EntryRenderer) -> bytes:
    flag = _SEMANTIC if entry.semantic else _FORM_ONLY
    return flag + renderer.render(entry).encode("utf-8", "surrogatepass")


def _readable_entry(value: bytes) -> bool:
    """Whether ``_decode_entry`` reads ``value`` (checked without keeping the text)."""
    try:
        _decode_entry("", value)
    except DecodeError:
        return False
    return True


def _decode_entry(sha: str, value: bytes) -> RenderedEntry | None:
    """A stored entry (None: the commit has none); ``DecodeError`` when it is not one."""
    flag = value[:1]
    if flag == _ABSENT and len(value) == 1:
        return None
    if flag not in (_SEMANTIC, _FORM_ONLY):
        raise DecodeError("not a stored log entry")
    try:
        text = value[1:].decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise DecodeError(str(exc)) from None
    return RenderedEntry(sha=sha, semantic=flag == _SEMANTIC, text=text)


def _entry_digest(walk: _Walk, wanted: set[str], renderer: EntryRenderer) -> str:
    """What a rendered entry depends on besides its commit and the code (the cache's key)."""
    data = {
        "diff": walk.digest,
        "globs": walk.config.globs,
        "exclude": walk.config.exclude,
        "phases": sorted(wanted),
        "renderer": renderer.key,
        "mailmap": walk.repo.mailmap_key,  # an entry shows the mailmapped author
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _window(commits: int, max_count: int | None) -> int:
    """Commits to compare at once: all of them, or a few more than ``--max-count`` needs."""
    return commits if max_count is None else max(64, 2 * max_count)


def _wanted_phases(
    walk: _Walk, log: Sequence[LogEntry], phases: Sequence[str], until: str
) -> set[str]:
    """The keys of the phases asked for; a phase no version in ``log`` declares is an error."""
    if phases:
        walk.load_fields(walk.candidate_blobs(log))
        _check_phases(phases, walk.known_phases(log), until)
        walk.lineages = _trace(walk, log)
    return {phase_key(phase) for phase in phases}


def _fates(walk: _Walk, log: Sequence[LogEntry]) -> dict[str, str]:
    """Per commit, the phases its documents end the walk in: what picks its changes for
    ``log PHASE`` besides the commit itself, so part of its rendered entry's key."""
    fates: dict[str, str] = {}
    for entry in log:
        ends = {
            walk.final_phase(_Pair("", None, None, None, entry.sha, 0, index)) or ""
            for index in range(len(entry.changes))
        }
        fates[entry.sha] = ":" + ",".join(sorted(ends - {""}))
    return fates


@dataclass
class _Log:
    """The commits of a walk, newest first: every SHA at once, their records on demand.

    The cache keeps a walk as its SHAs and runs of encoded records, one run per
    walk that extended it, newest first: a warm ``phasediff log`` (which needs
    only the SHAs) decodes nothing, an incremental one encodes only its new
    commits.  ``reload`` reads the walk from git again, should a stored run not
    read back.
    """

    shas: list[str]
    fresh: list[LogEntry]  # the newest commits, as this run's ``git log`` gave them
    stored: list[bytes]  # the older ones: encoded runs of records, newest first
    reload: Callable[[], list[LogEntry]]
    _all: list[LogEntry] | None = None

    def head(self, count: int) -> list[LogEntry]:
        """The records of the newest ``count`` commits."""
        if count <= len(self.fresh):
            return self.fresh[:count]
        return self.entries()[:count]

    def entries(self) -> list[LogEntry]:
        """The record of every commit."""
        if self._all is None:
            records = list(self.fresh)
            for run in self.stored:
                loaded = _decode_log(run)
                if loaded is None:
                    records = self.reload()
                    break
                records += loaded
            if [record.sha for record in records] != self.shas:
                records = self.reload()
            self._all = records
        return self._all


_LOG_RUN = decoder(list[LogEntry])
_encode_log = encoder(list[LogEntry])


def _decode_log(run: bytes) -> list[LogEntry] | None:
    try:
        return _LOG_RUN(run)
    except DecodeError:
        return None


def _log(project: Project, since: Revision, until: Revision, first_parent: bool) -> _Log:
    """The commits of the walk: one ``git log``, for only the commits since the cached tip.

    A first-parent walk is a chain, so the walk that ended at an earlier tip on
    the chain is the tail of this one: ``git log ^TIP`` gives the head, and the
    two together are exactly what a full ``git log`` would print.  Whether the
    tip is on the chain is asked of the batch reader, commit by commit, within
    ``LOG_REACH``; when it is not (another branch, a rewritten history) the
    walk is read whole.
    """
    repo, cache = project.repo, project.cache
    tip = until.sha
    assert tip is not None
    specs = pathspecs(project.config)

    def read_whole() -> list[LogEntry]:
        return repo.log(specs, since.sha, tip, first_parent)

    if not first_parent or not cache.enabled:
        whole = read_whole()
        return _Log([entry.sha for entry in whole], whole, [], read_whole)
    mailmap = repo.mailmap_key  # the records hold mailmapped names
    slot = hashlib.sha256(json.dumps([specs, since.sha, mailmap]).encode()).hexdigest()[:16]
    cached = cache.log(slot)

    def read_again() -> list[LogEntry]:
        # A stored run did not read back: the walk read whole replaces it in the cache.
        whole = read_whole()
        cache.put_log(slot, StoredLog(tip, [entry.sha for entry in whole], [_encode_log(whole)]))
        return whole

    if cached is not None and repo.first_parent_reaches(tip, cached.tip, LOG_REACH):
        fresh = repo.log(specs, since.sha, tip, exclude=[cached.tip])
        log = _Log([entry.sha for entry in fresh] + cached.shas, fresh, cached.runs, read_again)
    else:
        cached, fresh = None, read_whole()
        log = _Log([entry.sha for entry in fresh], fresh, [], read_whole)
    if cached is None or cached.tip != tip:
        runs = ([_encode_log(fresh)] if fresh else []) + log.stored
        if len(runs) > LOG_RUNS:
            runs = [_encode_log(log.entries())]
        cache.put_log(slot, StoredLog(tip, log.shas, runs))
    return log


def _entries(
    walk: _Walk, log: Sequence[LogEntry], wanted: set[str], window: int
) -> Iterator[tuple[LogEntry, Entry | None, bool]]:
    """Each commit of ``log`` in order, with its entry (None: no phase document asked for
    changed) and whether the entry is complete (no version of it went unread).

    Commits are compared ``window`` at a time, the window doubling, so that a
    caller that stops early (``--max-count``) does not pay for the whole log.
    """
    # Without a phase to pick, no blob need be read before comparing: versions whose
    # phase is not cached yet are compared provisionally, read as the work goes.
    provisional = not wanted
    if provisional:
        walk.prime_fields(walk.candidate_blobs(log))
        # With phases asked for, ``_wanted_phases`` traced the whole walk already.
        walk.lineages = _trace(walk, log)

    def chosen(entry: LogEntry, age: int, provisional: bool = False) -> list[_Pair]:
        # A phase's document is what is that phase now (its lineage ends there), and
        # whatever document was that phase on the way.
        return [
            pair
            for pair in walk.pairs_of(entry, age, provisional)
            if not wanted
            or phase_key(pair.phase) in wanted
            or (pair.base is not None and phase_key(pair.base.phase) in wanted)
            or walk.final_phase(pair) in wanted
        ]

    start = 0
    while start < len(log):
        batch = log[start : start + window]
        ages = range(start, start + len(batch))
        stored = walk.compare(
            [p for e, age in zip(batch, ages, strict=True) for p in chosen(e, age, provisional)]
        )
        pairs_by_entry = [chosen(entry, age) for entry, age in zip(batch, ages, strict=True)]
        # A version that turned out to be no phase document (a template) makes another pair.
        stored.update(
            walk.compare(
                [p for pairs in pairs_by_entry for p in pairs if walk.key(p) not in stored]
            )
        )
        # A pair whose base could not be read compares the last readable version instead.
        bridged = {
            (pair.head_rev, pair.index): found
            for pairs in pairs_by_entry
            for pair in pairs
            if walk.key(pair) not in stored and (found := walk.bridge(pair)) is not None
        }
        stored.update(walk.compare(list(bridged.values())))
        start += window
        window *= 2
        for entry, pairs in zip(batch, pairs_by_entry, strict=True):
            pairs = [bridged.get((pair.head_rev, pair.index), pair) for pair in pairs]
            documents = tuple(
                walk.document_change(pair, stored[key])
                for pair in pairs
                if (key := walk.key(pair)) in stored
            )
            complete = len(documents) == len(pairs) and not any(
                blob in walk.unreadable
                for change in entry.changes
                for blob in (change.old_blob, change.new_blob)
                if blob is not None
            )
            result = Entry(_commit(entry), _sorted_documents(documents)) if documents else None
            yield entry, result, complete


def _check_phases(phases: Sequence[str], known: Sequence[str], until: str) -> None:
    """A phase no version in the range declares is a typo, not an empty history."""
    keys = {phase_key(phase) for phase in known}
    for phase in phases:
        if phase_key(phase) not in keys:
            listed = ", ".join(known) or "none"
            raise UnknownPhaseError(
                f"Phase '{phase}' has no document in the history of {until}. "
                f"Phases found: {listed}."
            )


def _commit(entry: LogEntry) -> Commit:
    return Commit(
        sha=entry.sha,
        parents=entry.parents,
        author=entry.author_name,
        email=entry.author_email,
        date=entry.date,
        subject=entry.subject,
    )


def _sorted_documents(documents: tuple[DocumentChange, ...]) -> tuple[DocumentChange, ...]:
    if len(documents) < 2:
        return documents
    return tuple(
        sorted(
            documents,
            key=lambda d: (phase_sort_key(d.phase), d.comparison.head.path or "", d.status),
        )
    )


# -- phasediff changelog -------------------------------------------------------------


def build_changelog(
    project: Project,
    *,
    since: str,
    until: str = "HEAD",
    first_parent: bool = True,
    progress: Progress | None = None,
) -> Changelog:
    """Release notes for ``since..until`` over all phases, changes attributed to commits."""
    history = walk_history(
        project, since=since, until=until, first_parent=first_parent, progress=progress
    )
    assert history.since.sha is not None and history.until.sha is not None
    base_refs = _refs_by_phase(project, since)
    head_refs = _refs_by_phase(project, until)
    chronological = list(reversed(history.entries))
    by_phase: dict[str, list[tuple[Entry, DocumentChange]]] = collections.defaultdict(list)
    by_end: dict[str, list[tuple[Entry, DocumentChange]]] = collections.defaultdict(list)
    for entry in chronological:
        for document in entry.documents:
            # A document counts for its phase, and for the phase it was before a move.
            base_phase = document.comparison.base.phase or ""
            for key in dict.fromkeys((phase_key(document.phase), phase_key(base_phase))):
                by_phase[key].append((entry, document))
            if document.end_path is not None:
                by_end[document.end_path].append((entry, document))
    releases: list[PhaseRelease] = []
    unreadable: list[Skipped] = []
    for base_ref, head_ref in _release_pairs(project, base_refs, head_refs, history):
        phase = (head_ref or base_ref or _never()).phase
        try:
            base_doc = project.load(base_ref)[1] if base_ref else PhaseDocument()
            head_doc = project.load(head_ref)[1] if head_ref else PhaseDocument()
            previous = _previous_phase(head_refs, phase_key(phase)) if base_ref is None else None
            if previous is not None:
                # What a new phase brings is its drift over the phase before it, not its text.
                comparison = project.compare_phases(previous.phase, phase, until)
            else:
                comparison = diff_documents(
                    base_doc,
                    head_doc,
                    _ref_side(base_ref, since, phase),
                    _ref_side(head_ref, until, phase),
                    project.options,
                )
        except (DocumentError, MissingObjectError) as exc:
            # One unreadable document leaves its phase out of the notes, not every phase.
            ref, sha = (head_ref, history.until.sha) if head_ref else (base_ref, history.since.sha)
            assert ref is not None
            unreadable.append(Skipped(sha, ref.path, ref.blob or "", str(exc)))
            continue
        if base_ref is not None and head_ref is not None:
            comparison = _with_renumbering(comparison, base_ref, head_ref, project.options)
        if head_ref is not None and base_ref is not None and head_ref.path in by_end:
            touching = by_end[head_ref.path]  # the document, whatever phase it had
        else:
            touching = by_phase.get(phase_key(phase), [])
        attribution = Attribution(touching)
        status = "added" if base_ref is None else "removed" if head_ref is None else "changed"
        if status == "changed" and not comparison.changes:
            status = "unchanged"
        releases.append(
            PhaseRelease(
                phase=phase,
                name=(head_doc if head_ref else base_doc).overview.name,
                status=status,
                comparison=comparison,
                attributions=tuple(attribution.commits(change) for change in comparison.changes),
                commits=_unique(_commit_of(entry) for entry, _ in touching),
                compared_with=previous.phase if previous is not None else None,
            )
        )
    project.cache.flush()
    return Changelog(
        since=history.since,
        until=history.until,
        date=_date_of(project.repo, history),
        phases=tuple(releases),
        commits=_unique(entry.commit for entry in chronological),
        skipped=(
            *history.skipped,
            *(skip for skip in unreadable if skip.blob not in {s.blob for s in history.skipped}),
        ),
    )


class Attribution:
    """Which commits of ``touching`` (oldest first) brought each change of a phase about.

    A commit counts when it changed the same entity (section and key) and,
    for a change of one field, that field, a field inside it or the entity
    as a whole.  Without such a commit, the commits that changed the same
    section count; without those, none does.  The commits' own changes are
    indexed by section and key once, so each change looks only at the changes
    of its own entity: linear in the changes, however many share a section.
    """

    def __init__(self, touching: Sequence[tuple[Entry, DocumentChange]]) -> None:
        #: (section, key) -> (position, commit, field) of every own change, oldest first.
        self.by_key: dict[tuple[str, str], list[tuple[int, Commit, str | None]]] = (
            collections.defaultdict(list)
        )
        self.by_section: dict[str, list[Commit]] = collections.defaultdict(list)
        self._section_commits: dict[str, tuple[Commit, ...]] = {}
        position = 0
        for entry, document in touching:
            for own in document.comparison.changes:
                for key in _keys(own):
                    self.by_key[(own.section, key)].append((position, entry.commit, own.field))
                self.by_section[own.section].append(entry.commit)
                position += 1

    def commits(self, change: Change) -> tuple[Commit, ...]:
        exact: dict[int, Commit] = {}
        for key in _keys(change):
            for position, commit, own_field in self.by_key.get((change.section, key), ()):
                if _fields_meet(change.field, own_field):
                    exact[position] = commit
        if exact:
            return _unique(exact[position] for position in sorted(exact))
        section = self._section_commits.get(change.section)
        if section is None:
            section = _unique(self.by_section.get(change.section, ()))
            self._section_commits[change.section] = section
        return section


def attribute(
    change: Change, touching: Sequence[tuple[Entry, DocumentChange]]
) -> tuple[Commit, ...]:
    """The commits of ``touching`` that brought ``change`` about (see ``Attribution``)."""
    return Attribution(touching).commits(change)


def _keys(change: Change) -> set[str]:
    keys = {change.key.casefold()}
    if change.kind is Kind.RENAMED:
        keys.update(
            value.casefold() for value in (change.old, change.new) if isinstance(value, str)
        )
    return keys


def _fields_meet(wanted: str | None, own: str | None) -> bool:
    if wanted is None or own is None or wanted == own:
        return True
    return own.startswith(wanted + ".") or wanted.startswith(own + ".")


def _unique(commits: Iterable[Commit]) -> tuple[Commit, ...]:
    seen: dict[str, Commit] = {}
    for commit in commits:
        seen.setdefault(commit.sha, commit)
    return tuple(seen.values())


def _commit_of(entry: Entry) -> Commit:
    return entry.commit


def _refs_by_phase(project: Project, rev: str) -> dict[str, DocumentRef]:
    refs = project.refs(rev)
    found: dict[str, DocumentRef] = {}
    for ref in refs:
        key = phase_key(ref.phase)
        if key not in found:
            found[key] = find_phase(refs, ref.phase, rev)  # a phase two documents claim is an error
    return found


def _release_pairs(
    project: Project,
    base_refs: dict[str, DocumentRef],
    head_refs: dict[str, DocumentRef],
    history: History,
) -> list[tuple[DocumentRef | None, DocumentRef | None]]:
    """Each document at the range's end with what it was at the start, in phase order.

    A document is followed back through its moves, so one that moved to another
    phase's directory is that phase's document renumbered, not one phase added
    and another removed.  What no move links pairs by phase id; the rest was
    added or removed.
    """
    assert history.since.sha is not None and history.until.sha is not None
    base_by_path = {ref.path: key for key, ref in base_refs.items()}
    origins = trace_back(
        project.repo,
        project.config,
        [ref.path for ref in head_refs.values()],
        history.since.sha,
        history.until.sha,
    )
    pairs: dict[str, str | None] = {}  # head key -> base key
    for key, ref in head_refs.items():
        origin = origins[ref.path]
        base_key = base_by_path.get(origin.path) if origin.path is not None else None
        if base_key is not None and base_key not in pairs.values():
            pairs[key] = base_key
    paired = set(pairs.values())
    for key in head_refs:
        if key not in pairs and key in base_refs and key not in paired:
            pairs[key] = key
            paired.add(key)
    found: list[tuple[DocumentRef | None, DocumentRef | None]] = [
        (base_refs[base] if base is not None else None, head_refs[head])
        for head, base in pairs.items()
    ]
    found += [(None, head_refs[key]) for key in head_refs if key not in pairs]
    found += [(base_refs[key], None) for key in base_refs if key not in paired]
    return sorted(found, key=lambda pair: phase_sort_key((pair[1] or pair[0] or _never()).phase))


def _with_renumbering(
    comparison: Comparison, base: DocumentRef, head: DocumentRef, options: DiffOptions
) -> Comparison:
    """``comparison`` saying first that the document moved to another phase, when it did."""
    if any(change.rule == "phase-renumbered" for change in comparison.changes):
        return comparison  # its **Phase:** field said so already
    renumbered = phase_renumbered(base.phase, head.phase, options, head.path)
    return (
        replace(comparison, changes=renumbered + comparison.changes) if renumbered else comparison
    )


def _previous_phase(refs: dict[str, DocumentRef], key: str) -> DocumentRef | None:
    """The phase just before phase ``key`` among ``refs`` (one revision's phases), if any."""
    ordered = sorted(refs.values(), key=lambda ref: phase_sort_key(ref.phase))
    keys = [phase_key(ref.phase) for ref in ordered]
    index = keys.index(key) if key in keys else 0
    return ordered[index - 1] if index > 0 else None


def _ref_side(ref: DocumentRef | None, rev: str, phase: str) -> Side:
    if ref is None:
        return Side(phase=phase, rev=rev, path=None, blob=None)
    return Side(phase=ref.phase, rev=rev, path=ref.path, blob=ref.blob)


def _date_of(repo: Repository, history: History) -> str | None:
    """The author date of the ``until`` commit (one short ``git log`` when no entry has it)."""
    for entry in history.entries:
        if entry.commit.sha == history.until.sha:
            return entry.commit.date
    assert history.until.sha is not None
    found = repo.log([], None, history.until.sha, max_count=1)
    return found[0].date if found else None


def _never() -> DocumentRef:
    raise AssertionError("a phase key comes from a ref")


# -- where the documents went ------------------------------------------------------------


def find_deletion(project: Project, rev: str | None) -> tuple[Commit, list[str]] | None:
    """The commit that deleted the phase documents that ``rev`` (None: HEAD) lacks, and
    the paths it deleted; None when no commit before it deleted any."""
    config = project.config
    for entry in project.repo.log(pathspecs(config), None, rev or "HEAD"):
        deleted = [
            change.old_path
            for change in entry.changes
            if change.status == "D" and change.old_path and is_candidate(change.old_path, config)
        ]
        if deleted:
            return _commit(entry), deleted
    return None


# -- one phase at two revisions --------------------------------------------------------


def find_origin(
    project: Project, ref: DocumentRef, rev: str, head_rev: str | None
) -> DocumentRef | None:
    """What the document ``ref`` (at ``head_rev``, None: the working tree) was at ``rev``.

    Followed back through its moves whatever its phase there; None when a
    commit between the two added it (it is then compared with nothing, as
    added).  When it has no document at ``rev`` and was not added since, that
    is an error naming the nearest revision where it has one.
    """
    repo = project.repo
    since = repo.resolve(rev)
    until = repo.resolve(head_rev or "HEAD")
    origin = trace_back(repo, project.config, [ref.path], since, until)[ref.path]
    if origin.added is not None:
        return None
    for found in project.refs(rev):
        if found.path == origin.path:
            return found
    if follow_path(repo, project.config, ref.path, until, since) is None:
        return None  # a range read backwards: deleted on the way is added, read back
    nearest = origin.first or until
    raise DocumentError(
        f"Phase {ref.phase} has no document at {rev}, and no commit up to "
        f"{head_rev or 'HEAD'} added it; the nearest revision where it has one is "
        f"{nearest[:SHORT_SHA]}: compare from there (--from {nearest[:SHORT_SHA]})."
    )


def find_or_follow(
    project: Project, phase: str, rev: str | None, other: DocumentRef | None, other_rev: str | None
) -> DocumentRef | None:
    """Phase ``phase``'s document at ``rev`` (None: working tree), or None if it has none.

    When no document there declares the phase but ``other`` (the same phase
    at an earlier revision) does, the document is followed through renames
    from ``other_rev`` to ``rev``: a document moved to a path that no longer
    names its phase is still the same document.
    """
    try:
        return project.find(phase, rev)
    except UnknownPhaseError:
        pass
    if other is None or other_rev is None:
        return None
    repo = project.repo
    target = "HEAD" if rev is None else rev
    try:
        path = follow_path(
            repo, project.config, other.path, repo.resolve(other_rev), repo.resolve(target)
        )
    except PhasediffError:
        return None
    if path is None:
        return None  # deleted on the way: compared with nothing, as removed
    if rev is None and not (repo.root / path).is_file():
        return None
    if rev is not None and path not in repo.list_files(rev):
        raise DocumentError(
            f"Phase {other.phase} has no document at {rev}, and no commit from {other_rev} "
            f"to {rev} deleted it; `phasediff log {other.phase}` lists the commits where it "
            "has one."
        )
    return DocumentRef(phase=other.phase, path=path, rev=rev, blob=None)


__all__ = [
    "Attribution",
    "Changelog",
    "Commit",
    "DocumentChange",
    "Entry",
    "EntryRenderer",
    "History",
    "PhaseRelease",
    "RenderedEntry",
    "RenderedHistory",
    "Revision",
    "Skipped",
    "StreamedHistory",
    "attribute",
    "build_changelog",
    "find_or_follow",
    "follow_path",
    "render_history",
    "resolve_range",
    "stream_history",
    "walk_history",
]
