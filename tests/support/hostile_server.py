"""A loopback HTTP server that answers badly on purpose: slowly, endlessly, hugely.

pytest-httpserver answers whole responses; the cases here need control of
every byte and every pause, so this is a raw TCP server whose answer is a
script of ``(bytes, pause)`` steps.  Every loop is bounded in count and in
time, and ``close`` stops the threads, so a client that does not give up
cannot hang the test run: it fails instead.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable

Script = Callable[[], Iterable[tuple[bytes, float]]]
"""What to send on a connection: each step's bytes, then how long to pause."""

MAX_SECONDS = 8.0
"""No connection is served longer than this, whatever its script."""


class HostileServer:
    """Serves ``script`` on every connection, after reading the request's headers."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.sent = 0  # bytes sent, over every connection
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def close(self) -> None:
        self._stop.set()
        for thread in [self._accepting, *self._threads]:
            thread.join(timeout=MAX_SECONDS)
        self._listener.close()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        ends = time.monotonic() + MAX_SECONDS
        with conn:
            conn.settimeout(1.0)
            try:
                request = b""
                while b"\r\n\r\n" not in request and len(request) < 65536:
                    data = conn.recv(4096)
                    if not data:
                        return
                    request += data
                for data, pause in self.script():
                    if self._stop.is_set() or time.monotonic() > ends:
                        return
                    if data:
                        conn.sendall(data)
                        self.sent += len(data)
                    if pause and self._stop.wait(pause):
                        return
            except OSError:
                return  # the client hung up: what a client that gives up does


def headers(*lines: str) -> bytes:
    return (
        "\r\n".join(["HTTP/1.1 200 OK", "Content-Type: application/json", *lines]) + "\r\n\r\n"
    ).encode()


def trickle(body: bytes = b" " * 40, pause: float = 0.3) -> Script:
    """Headers at once, then the body one byte per ``pause``."""

    def script() -> Iterable[tuple[bytes, float]]:
        yield headers(f"Content-Length: {len(body)}"), 0.0
        for index in range(len(body)):
            yield body[index : index + 1], pause

    return script


def trickled_headers(pause: float = 0.3) -> Script:
    """The status line and headers one byte per ``pause``: nothing ever reaches a body."""

    def script() -> Iterable[tuple[bytes, float]]:
        for byte in headers("X-Padding: " + "x" * 40):
            yield bytes([byte]), pause

    return script


def stall(seconds: float = 5.0) -> Script:
    """Headers, then silence: a read that waits its whole read timeout."""

    def script() -> Iterable[tuple[bytes, float]]:
        yield headers("Content-Length: 10"), seconds

    return script


def endless_chunks(chunk: int = 65536, most: int = 2000) -> Script:
    """A chunked JSON list that never ends (``most`` chunks at most: 128 MiB by default)."""

    def script() -> Iterable[tuple[bytes, float]]:
        yield headers("Transfer-Encoding: chunked"), 0.0
        piece = b"[" + b'"x",' * ((chunk - 1) // 4)
        for _ in range(most):
            yield b"%x\r\n%s\r\n" % (len(piece), piece), 0.0
            piece = b'"x",' * (chunk // 4)

    return script


def declared_huge(size: int = 400 * 2**20) -> Script:
    """A ``Content-Length`` of ``size`` bytes, of which a little is sent."""

    def script() -> Iterable[tuple[bytes, float]]:
        yield headers(f"Content-Length: {size}"), 0.0
        yield b"[" + b" " * 1000, 0.0

    return script


def slow_pages(pause: float = 0.4) -> Script:
    """An empty comment page after ``pause``, whose next-page link always names another page."""
    pages = iter(range(1, 1000))

    def script() -> Iterable[tuple[bytes, float]]:
        link = f'Link: </more?page={next(pages)}>; rel="next"'
        yield b"", pause
        yield headers("Content-Length: 2", link) + b"[]", 0.0

    return script
