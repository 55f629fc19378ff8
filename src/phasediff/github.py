"""The GitHub REST API, as far as the pull-request bot needs it: the only module importing httpx.

Four calls: who the token is (``GET /user``), list a pull request's issue
comments (every page, following the ``Link: rel="next"`` header rather than
guessing page counts), create one, update one.  Requests carry
``Authorization: Bearer``, the v3 media type and a pinned API version, and
bounded timeouts.  Idempotent requests (GET, PATCH) are retried twice on a
connection failure or a gateway error (502, 503, 504); a POST never is, since
a lost answer may hide a comment that was created.

The token is checked before use (printable ASCII, no spaces), and never
printed: errors leave as ``GitHubError`` (exit 3) with one line built here,
never from an httpx exception's text; what the server said is redacted,
stripped of control characters and only then shortened (``phasediff.redact``).
A 403 is its own class, ``GitHubForbiddenError``, because the bot falls back
to the step summary when a pull request from a fork gets a read-only token.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from phasediff import __version__
from phasediff.errors import PhasediffError, UsageError
from phasediff.redact import redact_url, safe_text, strip_controls

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
PER_PAGE = 100
MAX_PAGES = 1000
MAX_EVENT_BYTES = 32 * 2**20  # GitHub caps an event's payload at 25 MB
RETRIES = 2
READ_TIMEOUT = 20.0  # seconds one socket read may wait
CONNECT_TIMEOUT = 10.0
REQUEST_DEADLINE = 60.0
"""Seconds one request may take in all, connecting to last byte (a read timeout is per read)."""
RUN_DEADLINE = 300.0
"""Seconds every request of one client may take together, retries and pauses included."""
MAX_RESPONSE_BYTES = 32 * 2**20
"""The largest answer read; a page of 100 comments of 65,536 characters each fits."""

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_RETRY_STATUSES = frozenset({502, 503, 504})
_IDEMPOTENT = frozenset({"GET", "PATCH"})


class GitHubError(PhasediffError):
    """A GitHub API call failed (exit 3); ``status`` is the HTTP status, None without an answer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubForbiddenError(GitHubError):
    """403: the token may not do this (a fork's read-only token), or a rate limit hit."""


class GitHubRateLimitError(GitHubForbiddenError):
    """403 with no requests left in the rate limit: no answer says anything about the token."""


ACTIONS_LOGIN = "github-actions[bot]"
"""Who a workflow's ``GITHUB_TOKEN`` comments as; ``GET /user`` refuses such a token (403)."""


@dataclass(frozen=True)
class IssueComment:
    id: int
    body: str
    url: str  # the comment's page, for people; without control characters
    author: str = ""  # the login of the comment's author ("" when GitHub does not say)


@dataclass(frozen=True)
class PullRequestEvent:
    """What a ``pull_request`` workflow event says about its pull request."""

    number: int | None = None
    base: str | None = None
    head: str | None = None


def check_repository(text: str) -> str:
    """``OWNER/NAME``, or ``UsageError`` saying how to write it."""
    if not _REPOSITORY.fullmatch(text) or any(part in (".", "..") for part in text.split("/")):
        raise UsageError(f"'{text}' is not a GitHub repository. Write it as OWNER/NAME.")
    return text


def check_token(token: str, source: str = "The token") -> str:
    """``token`` if it can go into a header as it is, else ``UsageError`` naming ``source``.

    GitHub's tokens are printable ASCII without spaces.  Anything else (a line
    break pasted into a secret, a non-ASCII character) is said here, before
    use: an HTTP library would fail on it with an error quoting the whole
    header, or send it and get a confusing answer.  The message never quotes
    the token.
    """
    for index, char in enumerate(token):
        if "!" <= char <= "~":
            continue
        if char in "\r\n":
            what = "a line break"
        elif char == "\t":
            what = "a tab"
        elif char.isspace():
            what = "a space"
        elif char.isascii():
            what = "a control character"
        else:
            what = "a non-ASCII character"
        raise UsageError(
            f"{source} holds {what} (character {index + 1} of {len(token)}); a GitHub token is "
            "printable ASCII without spaces. Set the secret again without it."
        )
    return token


def check_api_url(text: str) -> str:
    """An http(s) API root without a trailing slash, or ``UsageError``; never echoes a password."""
    url = text.strip().rstrip("/")
    shown = redact_url(url)
    advice = "Use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server."
    try:
        parts = urlsplit(url)
        _ = parts.port  # ValueError for a port that is not a number in range
        host = parts.hostname or ""
        host.encode("idna")
        httpx.URL(url)
    except (ValueError, UnicodeError, httpx.InvalidURL) as exc:
        raise UsageError(f"'{shown}' is not a valid API URL. {advice}") from exc
    if (
        parts.scheme not in ("http", "https")
        or not host
        or strip_controls(url) != url
        or " " in url
    ):
        raise UsageError(f"'{shown}' is not an API URL. {advice}")
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            f"'{shown}' holds a user name or password. Remove it from the API URL: the token "
            "goes in GITHUB_TOKEN."
        )
    return url


def read_pull_request_event(path: Path) -> PullRequestEvent:
    """The pull request named by the event file at ``path`` (``GITHUB_EVENT_PATH``).

    An event without a pull request (a push, a schedule) gives an empty
    event, so that flags can still name everything.
    """
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_EVENT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"Cannot read the event file {path}: {exc.strerror or exc}.") from exc
    if len(raw) > MAX_EVENT_BYTES:
        raise UsageError(
            f"The event file {path} is over {MAX_EVENT_BYTES // 2**20} MiB; GitHub's events "
            "are far smaller. Point GITHUB_EVENT_PATH at the workflow's event file."
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError as exc:
        raise UsageError(
            f"The event file {path} is nested too deeply to read; it is not a GitHub event."
        ) from exc
    except ValueError as exc:  # UnicodeDecodeError included
        raise UsageError(f"The event file {path} is not JSON: {strip_controls(str(exc))}.") from exc
    pull = data.get("pull_request") if isinstance(data, dict) else None
    if not isinstance(pull, dict):
        return PullRequestEvent()
    number = pull.get("number", data.get("number"))
    return PullRequestEvent(
        number=number if isinstance(number, int) and not isinstance(number, bool) else None,
        base=_sha(pull.get("base")),
        head=_sha(pull.get("head")),
    )


def _sha(side: Any) -> str | None:
    sha = side.get("sha") if isinstance(side, dict) else None
    return sha if isinstance(sha, str) and sha else None


@dataclass(frozen=True)
class _Answer:
    """A response read whole (within the deadline and the size cap)."""

    status_code: int
    headers: httpx.Headers
    url: httpx.URL
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def links(self) -> dict[str | None, dict[str, str]]:
        return httpx.Response(self.status_code, headers=self.headers).links


class _Watchdog:
    """Shuts down a request's sockets when its deadline passes, so no read outlives it.

    It learns the sockets from httpcore's ``trace`` extension as they connect
    (the client keeps no idle connections, so every request connects).
    ``shutdown`` from another thread wakes a blocked ``recv``; the request then
    fails, and the caller sees ``expired``.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._finished = False
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._finished = True  # no shutdown after this: the socket may be closed and reused
        self._timer.cancel()

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket: it only wakes the reader.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _LateError(Exception):
    """A request's deadline passed between two chunks of its answer."""


class GitHub:
    """A small GitHub REST client for one API root and one token; use it as a context manager."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        retries: int = RETRIES,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = REQUEST_DEADLINE,
        run_deadline: float = RUN_DEADLINE,
        max_bytes: int = MAX_RESPONSE_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = check_api_url(api_url)
        self._token = check_token(token)
        self._retries = retries
        self._sleep = sleep
        self._deadline = deadline
        self._run_deadline = run_deadline
        self._run_ends = time.monotonic() + run_deadline
        self._max_bytes = max_bytes
        self._origin = _origin(self.api_url)
        self._client = httpx.Client(
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"phasediff/{__version__}",
            },
            timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            follow_redirects=False,  # a redirect elsewhere must not carry the token along
            # A fresh connection per request, so the deadline's watchdog sees every socket.
            limits=httpx.Limits(max_keepalive_connections=0),
            transport=transport,
        )

    def __enter__(self) -> GitHub:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- the calls ---------------------------------------------------------------

    def login(self) -> str:
        """The login the token acts as: ``GET /user``, or ``ACTIONS_LOGIN`` when that is refused.

        GitHub answers ``GET /user`` for a personal or user-to-server token and
        refuses it (403, "Resource not accessible by integration") for an
        installation token, which a workflow's ``GITHUB_TOKEN`` is.
        """
        try:
            response = self._request("GET", f"{self.api_url}/user", what="find who the token is")
        except GitHubRateLimitError:
            raise
        except GitHubForbiddenError:
            return ACTIONS_LOGIN
        data = _json(response, "who the token is")
        login = data.get("login") if isinstance(data, dict) else None
        if not isinstance(login, str) or not login:
            raise GitHubError("GitHub answered GET /user without a login.")
        return login

    def issue_comments(self, repository: str, number: int) -> Iterator[IssueComment]:
        """Every comment of issue or pull request ``number``, oldest first, page after page."""
        url: str | None = (
            f"{self.api_url}/repos/{repository}/issues/{number}/comments?per_page={PER_PAGE}&page=1"
        )
        seen: set[str] = set()
        while url is not None:
            if url in seen or len(seen) >= MAX_PAGES:
                raise GitHubError(
                    f"Listing the comments of {repository}#{number} did not end after "
                    f"{len(seen)} pages; the API's Link headers loop."
                )
            seen.add(url)
            response = self._request("GET", url, what=f"list the comments of {repository}#{number}")
            items = _json(response, "the comment list")
            if not isinstance(items, list):
                raise GitHubError(
                    f"GitHub answered the comment list of {repository}#{number} with something "
                    "other than a list."
                )
            for item in items:
                yield _comment(item)
            url = self._next_page(response)

    def find_comment(
        self, repository: str, number: int, own: Callable[[str], bool], *, author: str
    ) -> IssueComment | None:
        """The first comment by ``author`` whose body ``own`` recognises, through every page.

        Anyone can write the bot's marker into a comment; only the token's own
        comments are ever taken for the bot's (logins compare case-insensitively,
        as GitHub's do).
        """
        author = author.casefold()
        for comment in self.issue_comments(repository, number):
            if comment.author.casefold() == author and own(comment.body):
                return comment
        return None

    def create_comment(self, repository: str, number: int, body: str) -> IssueComment:
        url = f"{self.api_url}/repos/{repository}/issues/{number}/comments"
        response = self._request(
            "POST", url, body={"body": body}, what=f"comment on {repository}#{number}"
        )
        return _comment(_json(response, "the new comment"))

    def update_comment(self, repository: str, comment_id: int, body: str) -> IssueComment:
        url = f"{self.api_url}/repos/{repository}/issues/comments/{comment_id}"
        response = self._request(
            "PATCH",
            url,
            body={"body": body},
            what=f"update comment {comment_id} in {repository}",
            forbidden="GitHub refused to edit it; nothing was changed. The token must be the "
            "comment's author and have `pull-requests: write` permission.",
        )
        return _comment(_json(response, "the updated comment"))

    # -- plumbing ----------------------------------------------------------------

    def _next_page(self, response: _Answer) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        try:
            url = str(response.url.join(link))
            origin = _origin(url)
        except (ValueError, httpx.InvalidURL) as exc:
            raise GitHubError("GitHub's next-page link is not a URL; not following it.") from exc
        if origin != self._origin:
            raise GitHubError(
                f"GitHub's next-page link points to another host ({strip_controls(origin)}); "
                "not following it with the token."
            )
        return url

    def _request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        body: dict[str, Any] | None = None,
        forbidden: str | None = None,
    ) -> _Answer:
        attempts = 1 + (self._retries if method in _IDEMPOTENT else 0)
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                answer = self._exchange(method, url, body, what)
            except httpx.TimeoutException as exc:
                if last:
                    raise GitHubError(
                        f"Could not {what}: {self.api_url} did not answer in time."
                    ) from exc
            except httpx.TransportError as exc:
                if last:
                    raise GitHubError(
                        f"Could not {what}: cannot reach {self.api_url} "
                        f"({type(exc).__name__}). Check the network and --api-url."
                    ) from exc
            except httpx.DecodingError as exc:  # e.g. a body that says gzip and is not
                raise GitHubError(
                    f"Could not {what}: {self.api_url} sent an answer that does not decode."
                ) from exc
            else:
                if answer.is_success:
                    return answer
                if last or answer.status_code not in _RETRY_STATUSES:
                    raise self._error(answer, what, forbidden)
            self._sleep(min(float(attempt), max(0.0, self._run_ends - time.monotonic())))
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _exchange(self, method: str, url: str, body: dict[str, Any] | None, what: str) -> _Answer:
        """One request, read whole within its deadline and the size cap, or ``GitHubError``.

        httpx's timeouts bound each socket read, not the request: a server
        sending a byte now and then would hold it for ever.  So every request
        gets a deadline (the sooner of its own and the run's), a watchdog that
        shuts the socket down when it passes, even mid-read, and a body read
        chunk by chunk up to ``max_bytes``.  A request that ran out of time is
        not retried: the server that trickled once will again.
        """
        now = time.monotonic()
        ends = min(now + self._deadline, self._run_ends)
        if ends <= now:
            raise self._late(what, run=True)
        read = min(READ_TIMEOUT, ends - now)
        timeout = httpx.Timeout(read, connect=min(CONNECT_TIMEOUT, read))
        with _Watchdog(ends - now) as watchdog:
            try:
                with self._client.stream(
                    method, url, json=body, timeout=timeout, extensions={"trace": watchdog.trace}
                ) as response:
                    content = self._read(response, ends, what)
                    return _Answer(response.status_code, response.headers, response.url, content)
            except _LateError as exc:
                raise self._late(what, run=ends == self._run_ends) from exc
            except httpx.TransportError as exc:
                if watchdog.expired or time.monotonic() >= ends:
                    raise self._late(what, run=ends == self._run_ends) from exc
                raise

    def _read(self, response: httpx.Response, ends: float, what: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_large(what)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise self._too_large(what)
            if time.monotonic() >= ends:
                raise _LateError
            chunks.append(chunk)
        return b"".join(chunks)

    def _late(self, what: str, *, run: bool) -> GitHubError:
        if run:
            return GitHubError(
                f"Could not {what}: the calls to {self.api_url} took over "
                f"{self._run_deadline:g} s in all; giving up."
            )
        return GitHubError(
            f"Could not {what}: {self.api_url} did not finish answering within "
            f"{self._deadline:g} s."
        )

    def _too_large(self, what: str) -> GitHubError:
        limit = self._max_bytes
        size = f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit:,} bytes"
        return GitHubError(
            f"Could not {what}: {self.api_url} answered with more than {size}; giving up."
        )

    def _error(self, response: _Answer, what: str, forbidden: str | None = None) -> GitHubError:
        status = response.status_code
        detail = _message(response, self._token)
        said = f" ({detail})" if detail else ""
        if status == 403:
            if response.headers.get("x-ratelimit-remaining") == "0":
                return GitHubRateLimitError(
                    f"Could not {what}: GitHub's API rate limit is exhausted (403){said}.", 403
                )
            if forbidden is not None:  # a refusal the caller does not fall back from
                return GitHubError(f"Could not {what}: HTTP 403{said}. {forbidden}", 403)
            return GitHubForbiddenError(
                f"Could not {what}: the token may not do that (403){said}. A pull request "
                "from a fork gets a read-only token; `pull-requests: write` permission is needed.",
                403,
            )
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            to = f" to {safe_text(redact_url(location), (self._token,))}" if location else ""
            return GitHubError(
                f"Could not {what}: HTTP {status}, a redirect{to}, which is not followed (it "
                "would carry the token). Set --api-url (GITHUB_API_URL) to the API root itself, "
                "or --repo to a renamed repository's new name.",
                status,
            )
        hints = {
            401: "GitHub rejected the token. Check GITHUB_TOKEN.",
            404: "Not found: check --repo and --pr, and that the token can see the repository.",
            422: "GitHub refused the request's content.",
        }
        hint = hints.get(status, "GitHub's API failed." if status >= 500 else "")
        return GitHubError(f"Could not {what}: HTTP {status}{said}. {hint}".rstrip(), status)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{(parts.hostname or '').casefold()}:{port}"


def _json(response: _Answer, what: str) -> Any:
    try:
        return json.loads(response.content)
    except RecursionError as exc:
        raise GitHubError(f"GitHub answered {what} with JSON nested too deeply.") from exc
    except ValueError as exc:
        raise GitHubError(f"GitHub answered {what} with something that is not JSON.") from exc


def _comment(item: Any) -> IssueComment:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        raise GitHubError("GitHub answered with a comment that has no id.")
    body = item.get("body")
    url = item.get("html_url")
    user = item.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return IssueComment(
        id=item["id"],
        body=body if isinstance(body, str) else "",
        url=redact_url(url) if isinstance(url, str) else "",  # printed: no escapes, no password
        author=login if isinstance(login, str) else "",
    )


def _message(response: _Answer, token: str) -> str:
    """GitHub's own ``message`` from an error answer, fit for one line; never headers.

    The token is masked before the message is shortened, so no prefix of it survives a cut.
    """
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, str):
        return ""
    return safe_text(message, (token,))
