"""A repository's phase documents, read, parsed once per blob, and compared.

This is where git meets the pure core: ``Project`` resolves what a command
names (a phase, ``PHASE@REV``, ``REV:path``, a plain file) to documents,
parses each distinct blob once, and hands the parsed values to ``diff``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from phasediff.changes import Comparison, Side
from phasediff.config import Config, load_config
from phasediff.diff import DiffOptions, diff_documents, diff_phases
from phasediff.documents import (
    DocumentRef,
    discover,
    find_phase,
    load_text,
    phase_key,
    read_document,
)
from phasediff.effective import Effective, effective_architectures
from phasediff.errors import DocumentError, UsageError
from phasediff.gitrepo import Repository, blob_sha
from phasediff.model import PhaseDocument
from phasediff.parse import parse_document
from phasediff.rules import resolve_severities

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

    def __init__(self, repo: Repository, config: Config) -> None:
        self.repo = repo
        self.config = config
        self.options = DiffOptions(
            severities=resolve_severities(config.rules), renames=dict(config.renames)
        )
        self._refs: dict[str | None, list[DocumentRef]] = {}
        self._parsed: dict[str, PhaseDocument] = {}
        self._effective: dict[tuple[str | None, str], Effective] = {}

    @classmethod
    def open(cls, path: Path) -> Project:
        repo = Repository.open(path)
        return cls(repo, load_config(repo.root))

    # -- documents -------------------------------------------------------------

    def refs(self, rev: str | None) -> list[DocumentRef]:
        """The phase documents at ``rev`` (None = working tree), in phase order."""
        if rev not in self._refs:
            self._refs[rev] = discover(self.repo, rev, self.config)
        return self._refs[rev]

    def find(self, phase: str, rev: str | None) -> DocumentRef:
        return find_phase(self.refs(rev), phase, rev)

    def parse_text(self, text: str, blob: str) -> PhaseDocument:
        if blob not in self._parsed:
            self._parsed[blob] = parse_document(text)
        return self._parsed[blob]

    def load(self, ref: DocumentRef) -> tuple[DocumentRef, PhaseDocument]:
        """Read and parse ``ref``; the returned ref carries the blob SHA read."""
        if ref.blob is not None and ref.blob in self._parsed and ref.rev is not None:
            return ref, self._parsed[ref.blob]
        source = read_document(self.repo, ref)
        blob = source.ref.blob or blob_sha(source.text.encode("utf-8"))
        return replace(source.ref, blob=blob), self.parse_text(source.text, blob)

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

    def compare(self, base: Spec, head: Spec) -> Comparison:
        """Two phases through their effective architectures, else two documents entry by entry."""
        if base.rev is not None:
            self.repo.resolve(base.rev)
        if head.rev is not None:
            self.repo.resolve(head.rev)
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
            )
        return diff_documents(base_doc, head_doc, base_side, head_side, self.options)
