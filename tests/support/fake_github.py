"""A stand-in for the GitHub REST API's issue comments, served by pytest-httpserver on loopback.

It keeps the comments of one pull request in memory, pages them with real
``Link: <…>; rel="next"`` headers (at ``page_size`` per page whatever
``per_page`` asks, so a client that counts instead of following links is
caught), checks the headers GitHub requires, and records every request, so
tests assert what the bot read and wrote.  ``fail`` makes a method answer an
error status, for ``times`` requests (``None``: for ever).

Like GitHub, it refuses ``GET /user`` to an installation token (a workflow's
``GITHUB_TOKEN``: 403 "Resource not accessible by integration") and writes
that token's comments as ``github-actions[bot]``; with ``login`` set, the
token is a user's, ``GET /user`` names it and its comments are by it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "ghs_TESTTOKENthatMustNeverLeak0123456789"
ACTIONS_BOT = "github-actions[bot]"
REPOSITORY = "acme/platform"
NUMBER = 7

_LIST = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)/comments$")
_ONE = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)$")


@dataclass
class Failure:
    status: int
    times: int | None = None  # None: every request
    message: str = "Server Error"
    headers: dict[str, str] = field(default_factory=dict)


class FakeGitHub:
    """One repository, one pull request, its comments; every request recorded."""

    def __init__(
        self,
        server: HTTPServer,
        *,
        repository: str = REPOSITORY,
        number: int = NUMBER,
        page_size: int = 20,
        token: str = TOKEN,
        login: str | None = None,
    ) -> None:
        self.server = server
        self.repository = repository
        self.number = number
        self.page_size = page_size
        self.token = token
        self.login = login  # None: an installation token, as GITHUB_TOKEN is
        self.comments: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, str]] = []  # method, path, query
        self.fail: dict[str, Failure] = {}
        self._next_id = 1000
        server.expect_request(re.compile(r"^/.*")).respond_with_handler(self._handle)

    @property
    def api_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path, _ in self.requests if method != "GET"]

    def add_comment(self, body: str, *, user: str = "someone") -> int:
        self._next_id += 1
        self.comments.append(
            {
                "id": self._next_id,
                "body": body,
                "user": {"login": user},
                "html_url": f"https://github.test/{self.repository}/pull/{self.number}"
                f"#issuecomment-{self._next_id}",
            }
        )
        return self._next_id

    @property
    def author(self) -> str:
        """Who the token's comments are by."""
        return self.login if self.login is not None else ACTIONS_BOT

    def add_own_comment(self, body: str) -> int:
        """A comment the token wrote earlier."""
        return self.add_comment(body, user=self.author)

    def own_comments(self, comment_id: str = "default") -> list[dict[str, Any]]:
        """The token's comments that carry the marker of ``comment_id``."""
        mark = f"<!-- phasediff:{comment_id} -->"
        return [
            c
            for c in self.comments
            if c["body"].split("\n", 1)[0] == mark and c["user"]["login"] == self.author
        ]

    # -- serving ---------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        self.requests.append((request.method, request.path, request.query_string.decode()))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"message": "Bad credentials"}, 401)
        if request.headers.get("Accept") != "application/vnd.github+json":
            return _json({"message": "wrong Accept header"}, 415)
        if request.headers.get("X-GitHub-Api-Version") != "2022-11-28":
            return _json({"message": "wrong API version"}, 400)
        failure = self.fail.get(request.method)
        if failure is not None and failure.times != 0:
            if failure.times is not None:
                failure.times -= 1
            return _json({"message": failure.message}, failure.status, failure.headers)
        if request.path == "/user" and request.method == "GET":
            if self.login is None:
                return _json({"message": "Resource not accessible by integration"}, 403)
            return _json({"login": self.login, "id": 1, "type": "User"}, 200)
        listing = _LIST.match(request.path)
        if listing and listing["repo"] == self.repository and int(listing["number"]) == self.number:
            if request.method == "GET":
                return self._list(request)
            if request.method == "POST":
                self.add_comment(json.loads(request.data)["body"], user=self.author)
                return _json(self.comments[-1], 201)
        one = _ONE.match(request.path)
        if one and one["repo"] == self.repository and request.method == "PATCH":
            for comment in self.comments:
                if comment["id"] == int(one["id"]):
                    if comment["user"]["login"] != self.author and self.login is None:
                        # An installation token may not edit a person's comment.
                        return _json({"message": "Resource not accessible by integration"}, 403)
                    comment["body"] = json.loads(request.data)["body"]
                    return _json(comment, 200)
        return _json({"message": "Not Found"}, 404)

    def _list(self, request: Request) -> Response:
        page = int(request.args.get("page", "1"))
        start = (page - 1) * self.page_size
        items = self.comments[start : start + self.page_size]
        headers = {}
        if start + self.page_size < len(self.comments):
            url = self.server.url_for(request.path)
            headers["Link"] = (
                f'<{url}?per_page=100&page={page + 1}>; rel="next", '
                f"<{url}?per_page=100&page={-(-len(self.comments) // self.page_size)}>; "
                'rel="last"'
            )
        return _json(items, 200, headers)


def _json(data: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, headers=headers or {}, content_type="application/json"
    )
