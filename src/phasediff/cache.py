"""The persistent cache: parsed documents, parsed sections and pair diffs, in SQLite.

A history run parses thousands of document versions; a second run should
parse none.  What is kept, each under a key that names its content:

* ``phases``: a blob's own ``**Phase:**`` value (or none), by blob SHA, so a
  warm run knows which phase each version belongs to without reading it;
* ``pairs``: the changes between two blobs, by both blob SHAs and the diff
  options, which is all a warm ``phasediff log`` needs;
* ``documents``: parsed documents, by blob SHA (the newest version of each
  document, and what other commands parse), so that the next commit's pair
  only parses the new version;
* ``chunks``: the generic parse of a stretch of text between two headings, by
  the SHA-256 of the text (see ``markdown.parse_markdown_cached``), so that
  parsing a new version only walks the sections it changed;
* ``logs``: the commits of one walk (``git log``'s parsed output) and the tip
  they end at, per pathspecs and start, so that the next run asks git only for
  the commits since that tip (``StoredLog``);
* ``entries``: one commit's ``phasediff log`` entry as text, by commit SHA and
  a digest of everything its text depends on (settings, phases asked for,
  format, colour), so that a warm run renders nothing.

Git's blob SHA is itself a hash of the content.  Every key also carries a
fingerprint of the code that computed the value: the cache schema, the parser
version, phasediff's version and a hash of the source of the modules that
decide what a document parses and diffs to (so a developer who changes the
parser without bumping ``PARSER_VERSION`` still never reads stale values).
On opening, entries of any other fingerprint are dropped.

The database is one SQLite file (by default ``<git common dir>/phasediff/
cache.sqlite3``) in WAL mode: concurrent runs read while one writes, and a run
writes what it computed in one transaction at the end.  One serialized file
would be the wrong shape, because rewriting it whole after a few commits costs
more than the run.

The file is untrusted input: CI restores it from shared storage, and anyone
who can write to it chooses what a run reads.  Values are therefore data, not
objects: JSON read back through the model's type hints (``codec.py``, whose
``FORMAT`` the meta table records), never pickles, so a crafted row can at
worst be a miss.

The cache never makes a run fail.  A file that is not a database, is
truncated, or was written by an incompatible schema or format is deleted and
rebuilt; a row that does not read back as what was asked for is a miss (and
is written again); a database that stays locked or cannot be written is
skipped with a warning.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from phasediff import __version__
from phasediff.codec import FORMAT, DecodeError, EncodeError, decoder, encoder
from phasediff.markdown import ParsedChunk
from phasediff.model import PhaseDocument
from phasediff.parse import PARSER_VERSION

SCHEMA = 3
"""Bump when the tables or the shape of a stored value change."""

FILE_NAME = "cache.sqlite3"
#: How long one attempt waits for a lock; locked attempts are retried (``_retry``) for up
#: to ``OPEN_PATIENCE_S`` when opening and ``WRITE_PATIENCE_S`` when writing the results.
BUSY_TIMEOUT_MS = 200
OPEN_PATIENCE_S = 3.0
WRITE_PATIENCE_S = 30.0
_BATCH = 500  # keys per SELECT ... IN (...): below SQLite's oldest variable limit (999)
_TABLES = ("phases", "pairs", "documents", "chunks", "logs", "entries")

T = TypeVar("T")


@functools.cache
def code_fingerprint() -> str:
    """16 hex digits naming the code that produced cached values.

    Every file of the package counts, found by walking it (a module added or
    renamed is a new fingerprint), each under its relative path.
    """
    digest = hashlib.sha256(f"{SCHEMA}:{FORMAT}:{PARSER_VERSION}:{__version__}".encode())
    digest.update(f"{sys.version_info.major}.{sys.version_info.minor}".encode())
    for name, content in _package_files(Path(__file__).resolve().parent):
        digest.update(f"\0{name}\0{len(content)}\0".encode("utf-8", "surrogateescape"))
        digest.update(content)
    return digest.hexdigest()[:16]


def _package_files(package: Path) -> Iterator[tuple[str, bytes]]:
    """Each source file under ``package`` (relative path, content), in path order.

    Nothing when the package is not a directory (a zipped install: the version
    stands alone).  Compiled files and caches are no source.
    """
    if not package.is_dir():
        return
    found = sorted(
        path
        for path in package.rglob("*")
        if "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo")
    )
    for path in found:
        with contextlib.suppress(OSError):
            if path.is_file():
                yield path.relative_to(package).as_posix(), path.read_bytes()


def default_cache_dir(git_dir: Path) -> Path:
    """``<git common dir>/phasediff``: shared by all worktrees of one repository."""
    common = git_dir
    pointer = git_dir / "commondir"  # a linked worktree's git dir names the shared one
    with contextlib.suppress(OSError):
        common = (git_dir / pointer.read_text(encoding="utf-8").strip()).resolve()
    return common / "phasediff"


class StoredLog(NamedTuple):
    """A walk as the cache keeps it: the tip it ended at, its commits' SHAs (newest
    first) and their records as runs of encoded ``LogEntry`` lists (newest first,
    see ``codec``; a run is one line of ASCII JSON)."""

    tip: str
    shas: list[str]
    runs: list[bytes]


class Cache:
    """A key-value view of the cache database; every failure degrades to a miss.

    Reads go to the database at once (in batches); writes are kept until
    ``flush``, which writes them in one transaction.  ``warnings`` collects
    what a user should hear about (on stderr), at most one line per problem.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.fingerprint = code_fingerprint()
        self.warnings: list[str] = []
        self._pending: dict[str, dict[str, bytes]] = {table: {} for table in _TABLES}
        self._connection: sqlite3.Connection | None = None
        if path is not None:
            self._connection = self._open(path)

    @classmethod
    def disabled(cls) -> Cache:
        """A cache that holds nothing and writes nothing (``--no-cache``)."""
        return cls(None)

    @property
    def enabled(self) -> bool:
        return self._connection is not None

    # -- typed accessors ---------------------------------------------------------

    def phases(self, blobs: Iterable[str]) -> dict[str, str | None]:
        """The stored ``**Phase:**`` value of each blob that has one stored (None: no field)."""
        return self._decoded("phases", blobs, _Phase)

    def put_phase(self, blob: str, phase: str | None) -> None:
        self._put("phases", blob, _encode_phase(phase))

    def pairs(self, keys: Iterable[str], kind: type[T]) -> dict[str, T]:
        """Stored pair values (read back as ``kind``) by key; unreadable ones are misses."""
        return self._decoded("pairs", keys, kind)

    def put_pair(self, key: str, value: Any) -> None:
        self.put_pair_encoded(key, encode(value))

    def put_pair_encoded(self, key: str, value: bytes | None) -> None:
        """Store a pair value encoded elsewhere (by a worker process; None: not storable)."""
        if value is not None:
            self._put("pairs", key, value)

    def document(self, blob: str) -> PhaseDocument | None:
        return self._decoded("documents", [blob], PhaseDocument).get(blob)

    def put_document(self, blob: str, document: PhaseDocument) -> None:
        self.put_document_encoded(blob, encode(document))

    def put_document_encoded(self, blob: str, value: bytes | None) -> None:
        if value is not None:
            self._put("documents", blob, value)

    def log(self, slot: str) -> StoredLog | None:
        """The walk last kept under ``slot``, if any."""
        for _, value in self._get_many("logs", [slot]):
            head, _, rest = value.partition(b"\n")
            try:
                tip, shas = _LOG_HEAD(head)
            except DecodeError:
                return None
            return StoredLog(
                tip, shas.split("\n") if shas else [], rest.split(b"\n") if rest else []
            )
        return None

    def put_log(self, slot: str, log: StoredLog) -> None:
        head = encoder(tuple[str, str])((log.tip, "\n".join(log.shas)))
        self._put("logs", slot, b"\n".join([head, *log.runs]))

    def entries(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Stored rendered log entries by key (the caller checks what they hold)."""
        return dict(self._get_many("entries", keys))

    def put_entry(self, key: str, value: bytes) -> None:
        self._put("entries", key, value)

    def chunk(self, digest: str) -> ParsedChunk | None:
        return self._decoded("chunks", [digest], ParsedChunk).get(digest)

    def put_chunk(self, digest: str, chunk: ParsedChunk) -> None:
        self.put_chunk_encoded(digest, encode(chunk))

    def put_chunk_encoded(self, digest: str, value: bytes | None) -> None:
        if value is not None:
            self._put("chunks", digest, value)

    def _decoded(self, table: str, keys: Iterable[str], kind: type[T]) -> dict[str, T]:
        read = decoder(kind)
        found: dict[str, T] = {}
        for key, value in self._get_many(table, keys):
            with contextlib.suppress(DecodeError):
                found[key] = read(value)
        return found

    # -- lifecycle -----------------------------------------------------------------

    def flush(self) -> None:
        """Write everything put since the last flush, in one transaction."""
        rows = {table: items for table, items in self._pending.items() if items}
        self._pending = {table: {} for table in _TABLES}
        if not rows or self._connection is None:
            return
        prefix = self.fingerprint + ":"
        connection = self._connection

        def write() -> None:
            for table, items in rows.items():
                connection.executemany(
                    f"INSERT OR REPLACE INTO {table} (key, value) VALUES (?, ?)",
                    ((prefix + key, value) for key, value in items.items()),
                )

        try:
            # Another run writing its results holds the lock: wait for it, in short tries.
            _retry(lambda: _transaction(connection, write), WRITE_PATIENCE_S)
        except sqlite3.OperationalError as exc:
            # Locked past the timeout, disk full, read-only: this run's results are not kept.
            self._warn(f"not updated ({_reason(exc)})")
        except sqlite3.DatabaseError as exc:
            self._discard(exc)

    def close(self) -> None:
        """Flush and close; the cache holds nothing afterwards."""
        self.flush()
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------

    def _open(self, path: Path) -> sqlite3.Connection | None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._warn(f"disabled: cannot create {path.parent} ({exc.strerror or exc})")
            return None
        for attempt in range(2):
            try:
                return self._connect(path)
            except sqlite3.OperationalError as exc:
                if attempt == 0 and "locked" not in str(exc) and "busy" not in str(exc):
                    _delete(path)  # e.g. a truncated file: start over once
                    continue
                self._warn(f"disabled: {path} cannot be used ({_reason(exc)})")
                return None
            except sqlite3.DatabaseError:
                if attempt == 0:
                    _delete(path)  # not a database (or damaged): rebuild it
                    continue
                self._warn(f"disabled: {path} cannot be rebuilt")
                return None
        return None

    def _connect(self, path: Path) -> sqlite3.Connection:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _retry(lambda: connection.execute("PRAGMA journal_mode = WAL"), OPEN_PATIENCE_S)
            connection.execute("PRAGMA synchronous = NORMAL")
            if not self._ready(connection):  # reading needs no lock; preparing does
                _retry(lambda: self._prepare(connection), OPEN_PATIENCE_S)
        except sqlite3.Error:
            connection.close()
            raise
        return connection

    def _ready(self, connection: sqlite3.Connection) -> bool:
        """Whether the tables exist and hold this code's values (nothing to write first)."""
        try:
            names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            if not {"meta", *_TABLES} <= names:
                return False
            meta = dict(connection.execute("SELECT name, value FROM meta").fetchall())
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                return False  # ``_prepare`` waits for the lock
            raise
        _check_meta(meta)
        return meta.get("fingerprint") == self.fingerprint

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """Create the tables; drop the values of any other code (one write transaction)."""

        def prepare() -> None:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            for table in _TABLES:
                connection.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} "
                    "(key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID"
                )
            meta = dict(connection.execute("SELECT name, value FROM meta").fetchall())
            _check_meta(meta)
            if meta.get("fingerprint") != self.fingerprint:
                # Another version of phasediff wrote it: its entries can never be read.
                for table in _TABLES:
                    connection.execute(
                        f"DELETE FROM {table} WHERE substr(key, 1, 17) != ?",
                        (self.fingerprint + ":",),
                    )
                connection.executemany(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
                    (
                        ("schema", str(SCHEMA)),
                        ("format", FORMAT),
                        ("fingerprint", self.fingerprint),
                    ),
                )

        _transaction(connection, prepare)

    def _put(self, table: str, key: str, value: bytes) -> None:
        if self._connection is not None:
            self._pending[table][key] = value

    def _get_many(self, table: str, keys: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        pending = self._pending[table]
        wanted: list[str] = []
        for key in keys:
            if key in pending:
                yield key, pending[key]
            else:
                wanted.append(key)
        if self._connection is None or not wanted:
            return
        prefix = self.fingerprint + ":"
        start = len(prefix)
        for index in range(0, len(wanted), _BATCH):
            batch = [prefix + key for key in wanted[index : index + _BATCH]]
            marks = ",".join("?" * len(batch))
            try:
                rows = self._connection.execute(
                    f"SELECT key, value FROM {table} WHERE key IN ({marks})", batch
                ).fetchall()
            except sqlite3.OperationalError as exc:
                self._warn(f"not read ({_reason(exc)})")
                return
            except sqlite3.DatabaseError as exc:
                self._discard(exc)
                return
            for key, value in rows:
                if type(value) is bytes and type(key) is str:  # SQLite lets a row hold any type
                    yield key[start:], value

    def _discard(self, exc: sqlite3.DatabaseError) -> None:
        """The database turned out damaged mid-run: drop it; the next run rebuilds it."""
        self._warn(f"damaged ({_reason(exc)}); it will be rebuilt")
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None
        if self.path is not None:
            _delete(self.path)

    def _warn(self, problem: str) -> None:
        message = f"phasediff cache {self.path}: {problem}."
        if message not in self.warnings:
            self.warnings.append(message)


_LOG_HEAD = decoder(tuple[str, str])
_Phase: Any = str | None
_encode_phase = encoder(_Phase)


def encode(value: Any) -> bytes | None:
    """``value`` as the cache stores it (see ``codec``), or None when it has no stored form."""
    try:
        return encoder(type(value))(value)
    except EncodeError:
        return None


def _check_meta(meta: dict[str, str]) -> None:
    """A database of another schema or format is rebuilt (``DatabaseError``), not read."""
    if meta.get("schema") not in (None, str(SCHEMA)):
        raise sqlite3.DatabaseError(f"cache schema {meta.get('schema')}")
    if meta and meta.get("format") != FORMAT:
        raise sqlite3.DatabaseError(f"cache format {meta.get('format')}")


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _transaction(connection: sqlite3.Connection, body: Callable[[], None]) -> None:
    """``body`` in one write transaction, the write lock taken up front (``BEGIN
    IMMEDIATE``): a transaction that reads first and writes later could only fail
    when another run wrote in between, never wait for it."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        body()
        connection.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise


def _retry(action: Callable[[], object], patience: float) -> None:
    """``action``, tried again while the database is locked, for up to ``patience`` s."""
    deadline = time.monotonic() + patience
    delay = 0.01
    while True:
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def _reason(exc: sqlite3.Error) -> str:
    return str(exc) or type(exc).__name__


def _delete(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{path}{suffix}").unlink()


def chunk_digest(text: str) -> str:
    """The key a chunk of text is kept under: its SHA-256."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class ChunkStore:
    """A run's section cache (``markdown.ChunkCache``): in memory, backed by ``cache``.

    A chunk not seen in this run is looked up in the persistent cache, so the
    first version a run parses reuses the sections of the last version the
    previous run kept.
    """

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.memory: dict[str, ParsedChunk] = {}
        #: The chunks this run parsed itself: the only ones worth writing back.
        self.fresh: set[str] = set()

    def get(self, key: str, /) -> ParsedChunk | None:
        found = self.memory.get(key)
        if found is None and self.cache.enabled:
            found = self.cache.chunk(chunk_digest(key))
            if found is not None:
                self.memory[key] = found
        return found

    def __setitem__(self, key: str, value: ParsedChunk, /) -> None:
        self.memory[key] = value
        self.fresh.add(key)
