"""The git layer: the only module that imports GitPython.

Everything above this module sees full commit SHAs, POSIX paths relative to the
repository root, bytes, and small frozen records.  Every git failure leaves this
module as a ``phasediff.errors`` exception whose message names the input and the fix.

Process budget, because history runs must cost little more than git itself:

* ``log`` runs exactly one ``git log`` subprocess, however long the history;
* blobs are read through GitPython's persistent ``git cat-file --batch`` process,
  so reading any number of blobs (``read_file`` at a revision, ``read_blob``) costs
  one process for the lifetime of the ``Repository``.  Nothing here uses
  ``--batch-check``, which GitPython would run as a second persistent process;
* ``resolve``, ``list_files``, ``is_shallow``, ``has_commit`` and ``merge_base``
  each run one short ``git`` subprocess per call, so callers resolve a revision
  once and pass the SHA around.

Working-tree reads (``rev=None``) go to the disk only: they never read or write
the index or HEAD, apart from ``git ls-files`` listing which paths are tracked.
"""

from __future__ import annotations

import configparser
import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType

import git

from phasediff.errors import DocumentError, OutsideRepositoryError, RepositoryError

_NULL_SHA = re.compile(r"^0+$")
_GITLINK_MODE = "160000"

# One commit header of ``log``'s output.  The marker token only has to be told
# apart from a raw diff line (which starts with ":") at the start of a record;
# paths and header fields are consumed positionally, so no value can be mistaken
# for it.  Fields are separated by NUL, which no commit field or path can contain.
_COMMIT_MARKER = b"\x1ephasediff-commit"
_LOG_FORMAT = "%x1ephasediff-commit%x00%H%x00%P%x00%aN%x00%aE%x00%aI%x00%s"
_HEADER_FIELDS = 6


class MissingObjectError(RepositoryError):
    """An object that history names is absent from the object database.

    Happens in partial clones and damaged mirrors.  It is a ``RepositoryError``
    so a caller that does not care still reports it, and a separate class so the
    history walker can catch it and skip that one version.  ``blob`` is the
    missing object's SHA when it is a file's content (its path is in the tree).
    """

    def __init__(self, message: str, blob: str | None = None) -> None:
        super().__init__(message)
        self.blob = blob


@dataclass(frozen=True)
class FileChange:
    """One file changed by a commit, as ``git log --raw -M`` reports it.

    ``status`` is ``"A"`` (added), ``"M"`` (modified, including a type change),
    ``"D"`` (deleted) or ``"R"`` (renamed, possibly with edits).  Absent sides
    are None: an added file has no old path or blob, a deleted file no new ones.
    """

    status: str
    old_path: str | None
    new_path: str | None
    old_blob: str | None
    new_blob: str | None

    @property
    def path(self) -> str:
        """The path after the change, or before it for a deletion."""
        path = self.new_path if self.new_path is not None else self.old_path
        assert path is not None  # every status has at least one side
        return path


@dataclass(frozen=True)
class LogEntry:
    """One commit of ``Repository.log``; ``date`` is the author date, ISO 8601 with offset."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: str
    subject: str
    changes: tuple[FileChange, ...]


class Repository:
    """A git repository, opened once per run, read through a small typed surface."""

    def __init__(self, repo: git.Repo) -> None:
        self._repo = repo
        # A lazy fetch in a partial clone must fail, not wait for a password.
        repo.git.update_environment(GIT_TERMINAL_PROMPT="0")
        self.git_dir: Path = Path(repo.git_dir)
        work_tree = repo.working_tree_dir
        self.is_bare: bool = work_tree is None
        #: The work tree; for a bare repository, the git directory itself.
        self.root: Path = Path(work_tree) if work_tree is not None else self.git_dir
        self._resolved: dict[str, str] = {}

    @classmethod
    def open(cls, path: Path) -> Repository:
        """Open the repository containing ``path``, searching parent directories like git does."""
        try:
            repo = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise RepositoryError(
                f"Not a git repository: {path.resolve()} (nor any directory above it). "
                "Run phasediff inside a git work tree, or pass --repo PATH."
            ) from exc
        return cls(repo)

    def close(self) -> None:
        """Stop the persistent ``cat-file`` process; the object is unusable afterwards."""
        self._repo.close()

    def __enter__(self) -> Repository:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Repository({str(self.root)!r})"

    # -- revisions -----------------------------------------------------------

    def resolve(self, rev: str) -> str:
        """The full SHA of the commit ``rev`` names; annotated tags are peeled to their commit."""
        sha = self._try_resolve(rev)
        if sha is not None:
            return sha
        if not rev or rev.startswith("-") or "\n" in rev:
            raise RepositoryError(_not_found(rev))
        if not self._has_any_commit():
            raise RepositoryError(
                f"Revision '{rev}' not found: the repository at {self.root} has no commits yet. "
                "Commit the phase documents first, or compare the working tree."
            )
        # Not "rev-parse --verify": it accepts any full SHA without looking for the object.
        if self._succeeds("cat-file", "-e", rev):
            raise RepositoryError(
                f"Revision '{rev}' does not name a commit. Use a branch, tag or commit SHA."
            )
        message = _not_found(rev)
        if self.is_shallow():
            message += (
                " This clone is shallow, so older commits and tags may be missing: "
                "run `git fetch --unshallow --tags`, or set `fetch-depth: 0` in actions/checkout."
            )
        raise RepositoryError(message)

    def has_commit(self, sha_or_rev: str) -> bool:
        """Whether ``sha_or_rev`` names a commit present here (False for a shallow clone's gap)."""
        return self._try_resolve(sha_or_rev) is not None

    def is_shallow(self) -> bool:
        """Whether history is truncated (``git clone --depth``), so old revisions may be absent."""
        return self._run("rev-parse", "--is-shallow-repository").strip() == b"true"

    def merge_base(self, a: str, b: str) -> str:
        """The best common ancestor of two revisions, as a full SHA."""
        sha_a, sha_b = self.resolve(a), self.resolve(b)
        try:
            out: bytes = self._repo.git.merge_base(sha_a, sha_b, stdout_as_string=False)
        except git.GitCommandError as exc:
            if exc.status != 1:
                raise RepositoryError(f"git merge-base failed: {_stderr_text(exc)}") from exc
            message = f"Revisions '{a}' and '{b}' have no common ancestor."
            if self.is_shallow():
                message += " This clone is shallow: run `git fetch --unshallow`."
            else:
                message += " Compare them directly instead."
            raise RepositoryError(message) from exc
        return out.decode("ascii").strip()

    # -- files and blobs -----------------------------------------------------

    def list_files(self, rev: str | None) -> list[str]:
        """Sorted POSIX paths of the files at commit ``rev``, or in the working tree for None.

        The working tree means tracked and untracked-but-not-ignored files that
        exist on disk: a tracked file deleted in the work tree is not listed, a
        new file not yet added is.  Submodules are not files and are skipped.
        """
        if rev is None:
            self._require_work_tree()
            out = self._run("ls-files", "-z", "--cached", "--others", "--exclude-standard")
            paths = {_decode_path(item) for item in out.split(b"\0") if item}
            return sorted(path for path in paths if (self.root / path).is_file())
        sha = self.resolve(rev)
        out = self._run("ls-tree", "-r", "-z", "--full-tree", sha)
        files = []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, path = record.partition(b"\t")
            if meta.split(b" ")[1] == b"blob":
                files.append(_decode_path(path))
        return sorted(files)

    def read_file(self, rev: str | None, path: str) -> tuple[str | None, bytes]:
        """The blob SHA and bytes of ``path`` at commit ``rev``, or in the working tree for None.

        At a revision the bytes come from the object database through the batch
        reader, so the work tree and index are never touched.  From the working
        tree the SHA is what ``git hash-object`` would print (without filters): a
        cheap, content-addressed cache key.
        """
        _check_relative(path)
        if rev is None:
            self._require_work_tree()
            try:
                data = self.work_tree_file(path).read_bytes()
            except FileNotFoundError as exc:
                raise DocumentError(
                    f"{path} not found in the working tree. "
                    "Check the path, or compare a revision where it exists."
                ) from exc
            except OSError as exc:
                raise DocumentError(f"{path} in the working tree cannot be read: {exc}") from exc
            return blob_sha(data), data
        if "\n" in path or not _is_utf8(path):
            # The batch protocol is line based and its requests UTF-8 text; such a path
            # (a newline, or bytes that are not UTF-8) is asked for by its blob.
            return self._read_file_via_tree(rev, path)
        try:
            sha, kind, _, data = self._repo.git.get_object_data(f"{rev}:{path}")
        except ValueError as exc:
            if not _is_missing(exc):
                self._reset_batch()
                raise RepositoryError(f"Reading {path} at {rev} failed: {exc}") from exc
            self.resolve(rev)  # an unknown revision explains itself better than a missing path
            blob = self._tree_blob(rev, path)
            if blob is not None:
                # The path is in the tree; only its content is absent (a partial or damaged clone).
                raise MissingObjectError(missing_object_message(blob, path, rev), blob) from exc
            raise DocumentError(
                f"{path} not found at {rev}. `git ls-tree -r --name-only {rev}` lists its files."
            ) from exc
        if _ascii(kind) != "blob":
            raise DocumentError(f"{path} at {rev} is a {_ascii(kind)}, not a file. Name a file.")
        return _ascii(sha), data

    def work_tree_file(self, path: str) -> Path:
        """``path`` in the work tree, refused when it resolves outside the repository.

        A committed symbolic link (``ARCHITECTURE.md -> ../../secret.md``) or a linked
        directory would make a run read, print or write any file on the machine; at a
        revision git stores the link itself, so revision reads never need this.
        """
        _check_relative(path)
        file = self.root / path
        resolved = file.resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise OutsideRepositoryError(
                f"{path} in the working tree leads through a symbolic link to {resolved}, "
                "outside the repository, so it is not read or written. Replace the link by a "
                "file inside the repository."
            )
        return file

    def read_blob(self, sha: str) -> bytes:
        """The bytes of blob ``sha``, through the same long-lived batch reader.

        Raises ``MissingObjectError`` when the object database lacks it.
        """
        try:
            _, kind, _, data = self._repo.git.get_object_data(sha)
        except ValueError as exc:
            if _is_missing(exc):
                raise MissingObjectError(
                    f"Object {sha} is missing from the repository at {self.root} "
                    "(a partial or damaged clone?). Run `git fetch` to restore it, "
                    "or `git fsck` to find the damage."
                ) from exc
            self._reset_batch()
            raise RepositoryError(f"Reading object {sha} failed: {exc}") from exc
        if _ascii(kind) != "blob":
            raise RepositoryError(f"Object {sha} is a {_ascii(kind)}, not a blob.")
        data_bytes: bytes = data
        return data_bytes

    # -- history -------------------------------------------------------------

    def log(
        self,
        paths_or_pathspecs: list[str],
        since_rev: str | None,
        until_rev: str,
        first_parent: bool = True,
        max_count: int | None = None,
        exclude: Sequence[str] = (),
    ) -> list[LogEntry]:
        """The commits in ``since_rev..until_rev`` that touched the paths, newest first.

        One ``git log`` subprocess, whatever the length of the history.
        ``since_rev`` None means from the root commit.  A plain string is matched
        as a glob from the repository root (``:(top,glob)`` magic, so ``**``
        spans directories); a string starting with ``:`` is passed as a pathspec
        unchanged (e.g. ``:(glob,icase,exclude)**/templates/**``).  An empty list
        means the whole repository.

        Renames are detected (``-M``) between paths the pathspecs cover, so a
        ``git mv docs/phase-3 docs/phases/phase-3`` is one ``R`` change when both
        locations match.

        Merge commits are always diffed against their first parent
        (``--diff-merges=first-parent``, git >= 2.31).  With ``first_parent``
        (the default) only the mainline is walked, so each merge carries what its
        branch brought in, once.  Without it every commit that touched the paths
        is listed, side-branch commits included; a branch's change then appears
        on its own commit and again on the merge that brought it in.

        ``exclude`` names commits whose ancestry is left out as well (``^SHA``):
        what a walk already knows up to an earlier tip.
        """
        until = self.resolve(until_rev)
        revision = until if since_rev is None else f"{self.resolve(since_rev)}..{until}"
        excluded = [f"^{self.resolve(rev)}" for rev in exclude]
        args = [
            "-z",
            "--raw",
            "--no-abbrev",
            "-M",
            "--root",
            "--diff-merges=first-parent",
            f"--format={_LOG_FORMAT}",
            "--encoding=UTF-8",
            "--no-color",
            "--no-show-signature",
            "--no-follow",
            "--no-relative",
        ]
        if first_parent:
            args.append("--first-parent")
        if max_count is not None:
            args.append(f"--max-count={max_count}")
        pathspecs = [
            spec if spec.startswith(":") else f":(top,glob){spec}" for spec in paths_or_pathspecs
        ]
        args += [revision, *excluded, "--", *pathspecs]
        return parse_log(self._run("log", *args))

    def first_parent_reaches(self, descendant: str, ancestor: str, limit: int) -> bool:
        """Whether following first parents from ``descendant`` meets ``ancestor`` within
        ``limit`` steps (both full SHAs).

        Commits are read through the batch reader, so asking costs no process; a
        missing commit (a shallow clone's edge) ends the search with False.
        """
        sha = descendant
        for _ in range(limit + 1):
            if sha == ancestor:
                return True
            try:
                _, kind, _, data = self._repo.git.get_object_data(sha)
            except ValueError as exc:
                if not _is_missing(exc):
                    self._reset_batch()
                return False
            if _ascii(kind) != "commit":
                return False
            parent = _first_parent(data)
            if parent is None:
                return False
            sha = parent
        return False

    # -- local configuration ---------------------------------------------------

    def get_config(self, key: str) -> str | None:
        """The repository-local value of ``key`` (``.git/config``), None when unset."""
        try:
            out = self._run("config", "--local", "--get", key)
        except RepositoryError:
            return None
        return out.decode("utf-8", "replace").rstrip("\n")

    def set_config(self, key: str, value: str) -> None:
        """Set ``key`` in the repository-local git config (never the user's global one)."""
        self._run("config", "--local", key, value)

    # -- internals -----------------------------------------------------------

    def _run(self, command: str, *args: str) -> bytes:
        """Run one git command, returning raw stdout; failures become RepositoryError."""
        try:
            out: bytes = self._repo.git.execute(
                [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", command, *args],
                stdout_as_string=False,
                strip_newline_in_stdout=False,
            )
        except git.GitCommandError as exc:
            raise RepositoryError(f"git {command} failed: {_stderr_text(exc)}") from exc
        return out

    def _succeeds(self, command: str, *args: str) -> bool:
        try:
            self._run(command, *args)
        except RepositoryError:
            return False
        return True

    def _try_resolve(self, rev: str) -> str | None:
        if not rev or rev.startswith("-") or "\n" in rev:
            return None  # not a revision, and must never reach git as an option
        sha = self._resolved.get(rev)
        if sha is None:
            try:
                out = self._run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
            except RepositoryError:
                return None
            sha = out.decode("ascii").strip()
            # A run resolves once: refs do not move under it, and a SHA names itself.
            self._resolved[rev] = self._resolved[sha] = sha
        return sha

    @functools.cached_property
    def mailmap_key(self) -> str:
        """A digest of the mailmap that ``log``'s author names and emails go through.

        git reads ``.mailmap`` at the top of the work tree, the file named by
        ``mailmap.file`` and the blob named by ``mailmap.blob`` (``HEAD:.mailmap``
        by default in a bare repository): a walk cached under one mailmap is stale
        under another.
        """
        digest = hashlib.sha256()
        files = [] if self.is_bare else [self.root / ".mailmap"]
        blob = "HEAD:.mailmap" if self.is_bare else ""
        try:
            reader = self._repo.config_reader()
            named = str(reader.get_value("mailmap", "file", ""))
            blob = str(reader.get_value("mailmap", "blob", blob))
        except (configparser.Error, OSError, ValueError):  # git itself will complain
            named = ""
        if named:
            files.append(Path(named).expanduser())
        for path in files:
            try:
                digest.update(b"file\0" + path.read_bytes() + b"\0")
            except OSError:
                digest.update(b"none\0")
        if blob and not blob.startswith("-") and "\n" not in blob:
            try:
                sha = self._run("rev-parse", "--verify", "--quiet", f"{blob}^{{blob}}").strip()
            except RepositoryError:
                sha = b"none"
            digest.update(b"blob\0" + sha)
        return digest.hexdigest()[:16]

    def _has_any_commit(self) -> bool:
        return bool(self._run("rev-list", "--max-count=1", "--all").strip())

    def _require_work_tree(self) -> None:
        if self.is_bare:
            raise RepositoryError(
                f"{self.git_dir} is a bare repository and has no working tree. "
                "Compare revisions instead."
            )

    def _reset_batch(self) -> None:
        # After an unexpected answer the batch reader may be out of step with its
        # requests (or dead); drop it, and the next read starts a fresh one.
        self._repo.git.clear_cache()

    def _tree_blob(self, rev: str, path: str) -> str | None:
        """The blob SHA ``path`` has in the tree of ``rev``, or None when it is not there."""
        out = self._run(
            "ls-tree", "-z", "--full-tree", self.resolve(rev), "--", f":(literal){path}"
        )
        for record in out.split(b"\0"):
            meta, _, name = record.partition(b"\t")
            if record and _decode_path(name) == path:
                _, kind, blob = meta.decode("ascii").split(" ")
                return blob if kind == "blob" else None
        return None

    def _read_file_via_tree(self, rev: str, path: str) -> tuple[str | None, bytes]:
        sha = self.resolve(rev)
        out = self._run("ls-tree", "-z", "--full-tree", sha, "--", f":(literal){path}")
        for record in out.split(b"\0"):
            meta, _, name = record.partition(b"\t")
            if record and _decode_path(name) == path:
                _, kind, blob = meta.decode("ascii").split(" ")
                if kind != "blob":
                    raise DocumentError(f"{path!r} at {rev} is a {kind}, not a file.")
                try:
                    return blob, self.read_blob(blob)
                except MissingObjectError as exc:
                    message = missing_object_message(blob, path, rev)
                    raise MissingObjectError(message, blob) from exc
        raise DocumentError(
            f"{path!r} not found at {rev}. `git ls-tree -r --name-only {rev}` lists its files."
        )


def _first_parent(commit: bytes) -> str | None:
    """The first ``parent`` line of a raw commit object, None for a root commit."""
    for line in commit.split(b"\n"):
        if not line:  # the header ends at the first empty line
            break
        if line.startswith(b"parent "):
            return line[7:].decode("ascii").strip()
    return None


def missing_object_message(blob: str, path: str, rev: str | None) -> str:
    """What to say when ``path``'s content (object ``blob``) at ``rev`` is absent."""
    where = "" if rev is None else f" at {_short(rev)}"
    return (
        f"Object {blob[:7]} of {path}{where} is missing from this clone; "
        "fetch it or use a full clone."
    )


def _short(rev: str) -> str:
    """A full SHA shortened for display; a revision as the user wrote it kept."""
    return rev[:7] if re.fullmatch(r"[0-9a-f]{40}", rev) else rev


def blob_sha(data: bytes) -> str:
    """The SHA-1 git gives these bytes as a blob, as ``git hash-object`` computes it."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def parse_log(output: bytes) -> list[LogEntry]:
    """Parse ``git log -z --raw --no-abbrev`` output written with ``_LOG_FORMAT``.

    Public so that the parser can be tested on crafted output.  The stream is a
    NUL-separated token list: a commit marker, six header fields, then for each
    changed file a ``:<modes> <shas> <status>`` token followed by one path (two
    for a rename or copy).  git puts a newline between a header and its first
    raw line; it is stripped where a record starts.
    """
    tokens = output.split(b"\0")
    entries: list[LogEntry] = []
    header: list[bytes] | None = None
    changes: list[FileChange] = []
    index = 0

    def flush() -> None:
        if header is not None:
            entries.append(_entry(header, changes))

    while index < len(tokens):
        token = tokens[index].lstrip(b"\n")
        if not token:
            index += 1
        elif token == _COMMIT_MARKER:
            flush()
            header = tokens[index + 1 : index + 1 + _HEADER_FIELDS]
            if len(header) != _HEADER_FIELDS:
                raise RepositoryError("git log output ended inside a commit header.")
            changes = []
            index += 1 + _HEADER_FIELDS
        elif token.startswith(b":") and header is not None:
            change, index = _raw_change(token, tokens, index)
            if change is not None:
                changes.append(change)
        else:
            raise RepositoryError(f"Unexpected git log output near {token[:60]!r}.")
    flush()
    return entries


def _entry(header: list[bytes], changes: list[FileChange]) -> LogEntry:
    sha, parents, name, email, date, subject = (
        field.decode("utf-8", errors="replace") for field in header
    )
    return LogEntry(
        sha=sha,
        parents=tuple(parents.split()),
        author_name=name,
        author_email=email,
        date=date,
        subject=subject,
        changes=tuple(changes),
    )


def _raw_change(token: bytes, tokens: list[bytes], index: int) -> tuple[FileChange | None, int]:
    """Parse one raw diff line at ``tokens[index]``; return it and the index after its paths."""
    fields = token[1:].decode("ascii").split(" ")
    if len(fields) != 5:
        raise RepositoryError(f"Unexpected raw diff line in git log output: {token[:80]!r}.")
    old_mode, new_mode, old_sha, new_sha, status = fields
    letter = status[:1]
    if letter in ("R", "C"):
        old_path, new_path = tokens[index + 1], tokens[index + 2]
        index += 3
    else:
        old_path = new_path = tokens[index + 1]
        index += 2
    if _GITLINK_MODE in (old_mode, new_mode):
        return None, index  # a submodule moved: not a document
    old_blob = None if _NULL_SHA.match(old_sha) else old_sha
    new_blob = None if _NULL_SHA.match(new_sha) else new_sha
    if letter == "C":
        # Only reported when copy detection is configured; a copy adds a file.
        return FileChange("A", None, _decode_path(new_path), None, new_blob), index
    if letter == "A":
        return FileChange("A", None, _decode_path(new_path), None, new_blob), index
    if letter == "D":
        return FileChange("D", _decode_path(old_path), None, old_blob, None), index
    if letter == "R":
        return FileChange(
            "R", _decode_path(old_path), _decode_path(new_path), old_blob, new_blob
        ), index
    # M, and T (a type change, e.g. file <-> symlink), which a reader sees as a modification.
    path = _decode_path(new_path)
    return FileChange("M", path, path, old_blob, new_blob), index


def _ascii(value: object) -> str:
    """A batch-reader header field as text (GitPython annotates str but hands out bytes)."""
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def _decode_path(raw: bytes) -> str:
    # git stores path bytes verbatim; non-UTF-8 bytes survive as surrogates.
    return raw.decode("utf-8", errors="surrogateescape")


def _is_utf8(path: str) -> bool:
    """Whether ``path`` holds no undecodable bytes (surrogates from ``_decode_path``)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_relative(path: str) -> None:
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts:
        raise DocumentError(
            f"{path!r} is not a path inside the repository. Use a POSIX path relative to its root."
        )


def _is_missing(exc: ValueError) -> bool:
    """Whether a GitPython batch error is cat-file's ``<name> missing`` answer."""
    return str(exc).rstrip("'\"").endswith(" missing")


def _not_found(rev: str) -> str:
    return f"Revision '{rev}' not found. Use a branch, tag or commit SHA; `git tag` lists tags."


def _stderr_text(exc: git.GitCommandError) -> str:
    """git's own message, from GitPython's decorated ``stderr``, on one line."""
    text = str(exc.stderr or "").strip()
    prefix = "stderr: '"
    if text.startswith(prefix):
        text = text[len(prefix) :].removesuffix("'")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return " ".join(lines) or f"exit status {exc.status}"
