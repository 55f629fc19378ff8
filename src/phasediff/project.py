"""A repository's phase documents, read, parsed once per blob, and compared.

This is where git meets the pure core: ``Project`` resolves what a command
names (a phase, ``PHASE@REV``, ``REV:path``, a plain file) to documents,
parses each distinct blob once, and hands the parsed values to ``diff``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from phasediff.cache import FILE_NAME, Cache, ChunkStore, default_cache_dir
from phasediff.changes import Comparison, Side
from phasediff.config import Config, load_config
from phasediff.diff import DiffOptions, diff_documents, diff_phases, phase_renumbered
from phasediff.documents import (
    DocumentRef,
    discover,
    find_phase,
    load_text,
    phase_key,
    read_document,
)
from phasediff.effective import Effective, effective_architectures
from phasediff.errors import DocumentError, UnknownPhaseError, UsageError
from phasediff.gitrepo import Repository, blob_sha
from phasediff.history import find_deletion, find_or_follow, find_origin
from phasediff.model import PhaseDocument
from phasediff.parse import parse_document, parse_document_cached
from phasediff.rules import resolve_severities

#: Characters of a commit subject quoted in an error message.
SUBJECT_LIMIT = 60

_PHASE_SPEC = re.compile(r"^(?P<phase>[\w.\-]+)(?:@(?P<rev>.+))?$")


@dataclass(frozen=True)
class Spec:
    """One side of a comparison as the user named it."""

    phase: str | None = None
    rev: str | None = None  # None: the working tree
    path: str | None = None  # a file: at ``rev`` when set, else on disk

    @property
    def label(self) -> str:
        where = "working tree" if self.rev is None else self.rev
        if self.phase is not None:
            return f"phase {self.phase} @ {where}"
        return f"{self.path} @ {where}"


def parse_spec(text: str, default_rev: str | None, cwd: Path) -> Spec:
    """``3``, ``3@v2.0``, ``v2.0:docs/phase-3/ARCHITECTURE.md`` or a path on disk."""
    if not text.strip():
        raise UsageError("An empty phase was given. Name a phase (3), PHASE@REV or a file.")
    candidate = cwd / text
    if (text.endswith(".md") or "/" in text) and candidate.is_file():
        return Spec(path=str(candidate.resolve()))
    if ":" in text:
        rev, _, path = text.partition(":")
        if not rev or not path:
            raise UsageError(
                f"'{text}' is not REV:PATH. Write it like v2.0:docs/phase-3/ARCHITECTURE.md."
            )
        return Spec(rev=rev, path=path.lstrip("/"))
    match = _PHASE_SPEC.match(text)
    if match is None or text.endswith(".md"):
        raise UsageError(
            f"'{text}' is neither a phase, PHASE@REV, REV:PATH nor an existing file. "
            "Run `phasediff phases` to list phases."
        )
    return Spec(phase=match.group("phase"), rev=match.group("rev") or default_rev)


class Project:
    """One repository, its settings, and the documents parsed so far (by blob SHA)."""

    def __init__(self, repo: Repository, config: Config, cache: Cache | None = None) -> None:
        self.repo = repo
        self.config = config
        #: Parsed documents, sections and pair diffs kept across runs (``cache.py``).
        self.cache = cache if cache is not None else Cache.disabled()
        self.chunks = ChunkStore(self.cache)
        self.options = DiffOptions(
            severities=resolve_severities(config.rules), renames=dict(config.renames)
        )
        self._refs: dict[str | None, list[DocumentRef]] = {}
        self._parsed: dict[str, PhaseDocument] = {}
        self._effective: dict[tuple[str | None, str], Effective] = {}

    @classmethod
    def open(cls, path: Path, *, cache: bool = False, cache_dir: Path | None = None) -> Project:
        """The repository containing ``path``; with ``cache``, the persistent cache too.

        The cache lives in ``cache_dir``, by default in the repository's git
        directory (``<git dir>/phasediff/``).
        """
        repo = Repository.open(path)
        config = load_config(repo.root)
        if not cache:
            return cls(repo, config)
        directory = cache_dir if cache_dir is not None else default_cache_dir(repo.git_dir)
        return cls(repo, config, Cache(directory / FILE_NAME))

    def close(self) -> None:
        """Write what the cache holds and stop the repository's reader."""
        self.cache.close()
        self.repo.close()

    # -- documents -------------------------------------------------------------

    def refs(self, rev: str | None) -> list[DocumentRef]:
        """The phase documents at ``rev`` (None = working tree), in phase order."""
        if rev not in self._refs:
            self._refs[rev] = discover(self.repo, rev, self.config)
        return self._refs[rev]

    def find(self, phase: str, rev: str | None) -> DocumentRef:
        refs = self.refs(rev)
        if not refs:
            raise self.no_documents(rev)
        return find_phase(refs, phase, rev)

    def no_documents(self, rev: str | None) -> UnknownPhaseError:
        """The error for a revision without phase documents: who deleted them, if a commit did.

        A working tree whose documents are deleted but not committed is pointed
        at HEAD; a revision whose documents a commit deleted, at that commit's
        parent, where ``--rev`` reads them.
        """
        where = "in the working tree" if rev is None else f"at {rev}"
        if rev is None and self.refs("HEAD"):
            return UnknownPhaseError(
                f"No phase documents {where}: they are deleted but not committed. "
                "`--rev HEAD` reads them as last committed."
            )
        deletion = find_deletion(self, rev)
        if deletion is not None:
            commit, paths = deletion
            what = paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more"
            return UnknownPhaseError(
                f"No phase documents {where}: commit {commit.short} "
                f'("{_elide(commit.subject)}") '
                f"deleted them ({what}). `--rev {commit.short}^` reads them as they were."
            )
        return UnknownPhaseError(
            f"No phase documents found {where} (looked for docs/phase-N/ARCHITECTURE.md and "
            "similar). Set globs in [tool.phasediff] if yours live elsewhere."
        )

    def parse_text(self, text: str, blob: str) -> PhaseDocument:
        if blob not in self._parsed:
            document = self.cache.document(blob)
            if document is None and self.cache.enabled:
                document = parse_document_cached(text, self.chunks)
                self.cache.put_document(blob, document)
            self._parsed[blob] = document or parse_document(text)
        return self._parsed[blob]

    def load(self, ref: DocumentRef) -> tuple[DocumentRef, PhaseDocument]:
        """Read and parse ``ref``; the returned ref carries the blob SHA read."""
        if ref.blob is not None and ref.blob in self._parsed and ref.rev is not None:
            return ref, self._parsed[ref.blob]
        source = read_document(self.repo, ref)
        blob = source.ref.blob or blob_sha(source.text.encode("utf-8"))
        return replace(source.ref, blob=blob), self.parse_text(source.text, blob)

    def load_spec_text(self, spec: Spec) -> tuple[Side, PhaseDocument, str]:
        """``load_spec``, with the document's text (for ``show --coverage``)."""
        side, doc = self.load_spec(spec)
        if spec.phase is not None:
            source = read_document(self.repo, self.find(spec.phase, spec.rev))
            return side, doc, source.text
        assert spec.path is not None
        if spec.rev is None:
            data = Path(spec.path).read_bytes()
        else:
            data = self.repo.read_file(self.repo.resolve(spec.rev), spec.path)[1]
        return side, doc, load_text(data, spec.path, spec.rev)

    def load_spec(self, spec: Spec) -> tuple[Side, PhaseDocument]:
        if spec.phase is not None:
            ref, doc = self.load(self.find(spec.phase, spec.rev))
            return Side(phase=ref.phase, rev=spec.rev, path=ref.path, blob=ref.blob), doc
        assert spec.path is not None
        if spec.rev is None:
            path = Path(spec.path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise DocumentError(f"Cannot read {path}: {exc.strerror}.") from exc
            blob = blob_sha(data)
            doc = self.parse_text(load_text(data, str(path), None), blob)
            shown = self._display_path(path)
        else:
            commit = self.repo.resolve(spec.rev)
            blob_found, data = self.repo.read_file(commit, spec.path)
            blob = blob_found or blob_sha(data)
            doc = self.parse_text(load_text(data, spec.path, spec.rev), blob)
            shown = spec.path
        return Side(phase=doc.overview.phase, rev=spec.rev, path=shown, blob=blob), doc

    def _display_path(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.repo.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def effective(self, phase: str, rev: str | None) -> Effective:
        """Phase ``phase``'s effective architecture: every phase up to it at ``rev``, folded."""
        wanted = phase_key(self.find(phase, rev).phase)
        key = (rev, wanted)
        if key not in self._effective:
            chain: list[tuple[str, PhaseDocument]] = []
            for ref in self.refs(rev):
                _, doc = self.load(ref)
                chain.append((ref.phase, doc))
                if phase_key(ref.phase) == wanted:
                    break
            for state in effective_architectures(chain, self.options.renames):
                self._effective[(rev, phase_key(state.phase))] = state
        return self._effective[key]

    # -- comparisons -----------------------------------------------------------

    def compare(self, base: Spec, head: Spec, *, scope: str = "all") -> Comparison:
        """Two phases through their effective architectures, else two documents entry by entry.

        ``scope`` applies between two phases: ``all`` compares every other
        section after the architecture, ``architecture`` stops there.
        """
        if base.rev is not None:
            self.repo.resolve(base.rev)
        if head.rev is not None:
            self.repo.resolve(head.rev)
        if (
            base.phase is not None
            and head.phase is not None
            and phase_key(base.phase) == phase_key(head.phase)
            and base.rev != head.rev
        ):
            return self.compare_revisions(base.phase, base.rev, head.rev)
        base_side, base_doc = self.load_spec(base)
        head_side, head_doc = self.load_spec(head)
        phases_differ = (
            base.phase is not None
            and head.phase is not None
            and phase_key(base.phase) != phase_key(head.phase)
        )
        if phases_differ:
            assert base.phase is not None and head.phase is not None
            return diff_phases(
                self.effective(base.phase, base.rev),
                self.effective(head.phase, head.rev),
                base_side,
                head_side,
                self.options,
                scope=scope,
            )
        return diff_documents(base_doc, head_doc, base_side, head_side, self.options)

    def compare_phases(self, base: str, head: str, rev: str | None) -> Comparison:
        """Phase ``base`` against phase ``head``, both at ``rev`` (None: the working tree)."""
        return self.compare(Spec(phase=base, rev=rev), Spec(phase=head, rev=rev))

    def compare_revisions(
        self, phase: str, base_rev: str | None, head_rev: str | None
    ) -> Comparison:
        """One phase's document at two revisions (None: the working tree), entry by entry.

        The document is followed through renames between the two; where it does
        not exist (not yet, or no longer) it is an empty document, so what it
        holds reads as added or removed.  It must exist at one of them.
        """
        base_ref = find_or_follow(self, phase, base_rev, None, None)
        head_ref = find_or_follow(self, phase, head_rev, base_ref, base_rev)
        if base_ref is None and head_ref is None:
            self.find(phase, head_rev)  # says where it was looked for and which phases exist
            self.find(phase, base_rev)
        if base_ref is None and head_ref is not None and base_rev is not None:
            # Another phase's document then, moved here since; or added since; else an error.
            base_ref = find_origin(self, head_ref, base_rev, head_rev)
        base_side, base_doc = self._load_side(base_ref, phase, base_rev)
        head_side, head_doc = self._load_side(head_ref, phase, head_rev)
        comparison = diff_documents(base_doc, head_doc, base_side, head_side, self.options)
        if base_ref is not None and head_ref is not None:
            renumbered = phase_renumbered(base_ref.phase, head_ref.phase, self.options, None)
            if renumbered and not any(c.rule == "phase-renumbered" for c in comparison.changes):
                comparison = replace(comparison, changes=renumbered + comparison.changes)
        return comparison

    def _load_side(
        self, ref: DocumentRef | None, phase: str, rev: str | None
    ) -> tuple[Side, PhaseDocument]:
        if ref is None:
            return Side(phase=phase, rev=rev, path=None, blob=None), PhaseDocument()
        ref, doc = self.load(ref)
        return Side(phase=ref.phase, rev=rev, path=ref.path, blob=ref.blob), doc


def _elide(subject: str) -> str:
    return subject if len(subject) <= SUBJECT_LIMIT else subject[: SUBJECT_LIMIT - 1] + "…"
