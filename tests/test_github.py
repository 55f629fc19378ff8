"""The GitHub client against a real HTTP server on loopback (pytest-httpserver)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from phasediff.errors import UsageError
from phasediff.github import (
    MAX_EVENT_BYTES,
    GitHub,
    GitHubError,
    GitHubForbiddenError,
    PullRequestEvent,
    check_api_url,
    check_repository,
    check_token,
    read_pull_request_event,
)
from tests.support.fake_github import NUMBER, REPOSITORY, TOKEN, Failure, FakeGitHub
from tests.support.hostile_server import (
    HostileServer,
    Script,
    declared_huge,
    endless_chunks,
    headers,
    slow_pages,
    stall,
    trickle,
    trickled_headers,
)

MARK = "<!-- phasediff:default -->"


def own(body: str) -> bool:
    return body.startswith(MARK)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake API is on loopback: no proxy from the environment in between."""
    for name in list(os.environ):
        if name.casefold() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeGitHub:
    return FakeGitHub(httpserver)


def client(fake: FakeGitHub, sleeps: list[float] | None = None) -> GitHub:
    return GitHub(fake.api_url, TOKEN, sleep=(sleeps if sleeps is not None else []).append)


def test_the_comment_on_page_3_is_found_by_following_links(fake: FakeGitHub) -> None:
    for index in range(50):
        fake.add_comment(f"comment {index} mentioning {MARK} in passing")
    fake.add_comment(f"{MARK}\nsomeone else's, with the marker")
    target = fake.add_own_comment(f"{MARK}\nthe bot's")
    fake.add_comment("a later one")
    with client(fake) as github:
        found = github.find_comment(REPOSITORY, NUMBER, own, author=fake.author)
    assert found is not None and found.id == target
    assert [query for _, _, query in fake.requests] == [
        "per_page=100&page=1",
        "per_page=100&page=2",
        "per_page=100&page=3",
    ]


def test_listing_reads_every_page_and_stops_without_a_next_link(fake: FakeGitHub) -> None:
    for index in range(41):
        fake.add_comment(f"c{index}")
    with client(fake) as github:
        bodies = [c.body for c in github.issue_comments(REPOSITORY, NUMBER)]
        assert github.find_comment(REPOSITORY, NUMBER, own, author=fake.author) is None
    assert bodies == [f"c{index}" for index in range(41)]
    assert len(fake.requests) == 6  # three pages, twice


def test_requests_carry_githubs_headers(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        f"/repos/{REPOSITORY}/issues/{NUMBER}/comments",
        method="POST",
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
        json={"body": "hello"},
    ).respond_with_json({"id": 5, "body": "hello", "html_url": "https://x/5"}, status=201)
    with GitHub(httpserver.url_for("/"), TOKEN) as github:
        created = github.create_comment(REPOSITORY, NUMBER, "hello")
    assert (created.id, created.body, created.url) == (5, "hello", "https://x/5")
    httpserver.check_assertions()


def test_update_patches_the_comment_in_place(fake: FakeGitHub) -> None:
    comment_id = fake.add_own_comment(f"{MARK}\nold")
    with client(fake) as github:
        updated = github.update_comment(REPOSITORY, comment_id, f"{MARK}\nnew")
    assert updated.id == comment_id
    assert fake.comments[0]["body"] == f"{MARK}\nnew"
    assert fake.writes == [("PATCH", f"/repos/{REPOSITORY}/issues/comments/{comment_id}")]


def test_login_is_the_users_or_the_actions_bot_for_an_installation_token(
    httpserver: HTTPServer,
) -> None:
    fake = FakeGitHub(httpserver)
    with client(fake) as github:
        assert github.login() == "github-actions[bot]"  # GitHub refuses GET /user: 403
    fake.login = "octo-dev"
    with client(fake) as github:
        assert github.login() == "octo-dev"
    fake.fail["GET"] = Failure(
        403, message="API rate limit exceeded", headers={"X-RateLimit-Remaining": "0"}
    )
    with client(fake) as github, pytest.raises(GitHubForbiddenError, match="rate limit"):
        github.login()


def test_403_is_its_own_error(fake: FakeGitHub) -> None:
    fake.fail["POST"] = Failure(403, message="Resource not accessible by integration")
    with client(fake) as github, pytest.raises(GitHubForbiddenError) as raised:
        github.create_comment(REPOSITORY, NUMBER, "x")
    message = str(raised.value)
    assert "(403) (Resource not accessible by integration)" in message
    assert "pull-requests: write" in message
    assert raised.value.exit_code == 3


def test_403_from_a_rate_limit_says_so(fake: FakeGitHub) -> None:
    fake.fail["GET"] = Failure(
        403, message="API rate limit exceeded", headers={"X-RateLimit-Remaining": "0"}
    )
    with client(fake) as github, pytest.raises(GitHubForbiddenError, match="rate limit"):
        list(github.issue_comments(REPOSITORY, NUMBER))


def test_a_500_on_post_is_not_retried(fake: FakeGitHub) -> None:
    fake.fail["POST"] = Failure(500)
    sleeps: list[float] = []
    with client(fake, sleeps) as github, pytest.raises(GitHubError) as raised:
        github.create_comment(REPOSITORY, NUMBER, "x")
    assert raised.value.status == 500
    assert str(raised.value) == (
        f"Could not comment on {REPOSITORY}#{NUMBER}: HTTP 500 (Server Error). GitHub's API failed."
    )
    assert len(fake.requests) == 1 and sleeps == []


def test_gateway_errors_on_reads_are_retried_a_little(fake: FakeGitHub) -> None:
    fake.fail["GET"] = Failure(502, times=2)
    sleeps: list[float] = []
    with client(fake, sleeps) as github:
        assert list(github.issue_comments(REPOSITORY, NUMBER)) == []
    assert sleeps == [1.0, 2.0]
    fake.fail["GET"] = Failure(503)
    with client(fake, sleeps) as github, pytest.raises(GitHubError) as raised:
        list(github.issue_comments(REPOSITORY, NUMBER))
    assert raised.value.status == 503


def test_an_unreachable_api_is_one_clear_line() -> None:
    github = GitHub("http://127.0.0.1:9", TOKEN, retries=0)
    with github, pytest.raises(GitHubError) as raised:
        github.create_comment(REPOSITORY, NUMBER, "x")
    assert str(raised.value).startswith(
        f"Could not comment on {REPOSITORY}#{NUMBER}: cannot reach http://127.0.0.1:9 ("
    )
    assert TOKEN not in str(raised.value)


def test_the_token_is_redacted_from_what_the_server_echoes(fake: FakeGitHub) -> None:
    fake.fail["PATCH"] = Failure(422, message=f"token {TOKEN} is not allowed here")
    with client(fake) as github, pytest.raises(GitHubError) as raised:
        github.update_comment(REPOSITORY, 1, "x")
    assert TOKEN not in str(raised.value)
    assert "token *** is not allowed here" in str(raised.value)


def test_the_token_is_masked_before_a_long_message_is_shortened(fake: FakeGitHub) -> None:
    fake.fail["PATCH"] = Failure(422, message="x" * 175 + f" {TOKEN} trailing words")
    with client(fake) as github, pytest.raises(GitHubError) as raised:
        github.update_comment(REPOSITORY, 1, "x")
    assert TOKEN[:8] not in str(raised.value)  # before: a 24-character prefix survived the cut
    assert "***" in str(raised.value)


def test_escapes_in_what_the_server_says_are_not_printed(fake: FakeGitHub) -> None:
    fake.fail["POST"] = Failure(422, message="bad\x1b]0;owned\x07 body\x1b[2J")
    with client(fake) as github, pytest.raises(GitHubError) as raised:
        github.create_comment(REPOSITORY, NUMBER, "x")
    assert "\x1b" not in str(raised.value) and "\x07" not in str(raised.value)
    assert "(bad ]0;owned body [2J)" in str(raised.value)


def test_a_redirect_is_not_followed_and_says_what_to_set(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/repos/{REPOSITORY}/issues/{NUMBER}/comments").respond_with_data(
        "", status=302, headers={"Location": "https://u:pw@elsewhere.test/api/v3/x"}
    )
    github = GitHub(httpserver.url_for("/"), TOKEN)
    with github, pytest.raises(GitHubError) as raised:
        list(github.issue_comments(REPOSITORY, NUMBER))
    assert str(raised.value) == (  # before: "HTTP 302." and nothing else
        f"Could not list the comments of {REPOSITORY}#{NUMBER}: HTTP 302, a redirect to "
        "https://***@elsewhere.test/api/v3/x, which is not followed (it would carry the "
        "token). Set --api-url (GITHUB_API_URL) to the API root itself, or --repo to a renamed "
        "repository's new name."
    )
    assert len(httpserver.log) == 1


def test_a_comment_url_is_printed_without_escapes(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/repos/{REPOSITORY}/issues/{NUMBER}/comments").respond_with_json(
        {"id": 5, "html_url": "https://x.test/5\x1b]8;;https://evil.test\x07here\x1b]8;;\x07"},
        status=201,
    )
    with GitHub(httpserver.url_for("/"), TOKEN) as github:
        created = github.create_comment(REPOSITORY, NUMBER, "hello")
    assert created.url == "https://x.test/5 ]8;;https://evil.test here ]8;;"


def test_a_next_link_to_another_host_is_not_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/repos/{REPOSITORY}/issues/{NUMBER}/comments").respond_with_json(
        [], headers={"Link": '<http://evil.test/steal?page=2>; rel="next"'}
    )
    github = GitHub(httpserver.url_for("/"), TOKEN)
    with github, pytest.raises(GitHubError, match="another host"):
        list(github.issue_comments(REPOSITORY, NUMBER))
    assert len(httpserver.log) == 1


def test_bad_credentials_say_which_variable(fake: FakeGitHub) -> None:
    with GitHub(fake.api_url, "wrong") as github, pytest.raises(GitHubError) as raised:
        list(github.issue_comments(REPOSITORY, NUMBER))
    assert raised.value.status == 401
    assert "Check GITHUB_TOKEN" in str(raised.value)


# -- inputs -------------------------------------------------------------------------


def test_read_pull_request_event(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(
        json.dumps(
            {
                "action": "synchronize",
                "number": 12,
                "pull_request": {
                    "number": 12,
                    "base": {"sha": "a" * 40},
                    "head": {"sha": "b" * 40},
                },
            }
        )
    )
    assert read_pull_request_event(path) == PullRequestEvent(12, "a" * 40, "b" * 40)
    path.write_text(json.dumps({"ref": "refs/heads/main"}))
    assert read_pull_request_event(path) == PullRequestEvent()
    path.write_text("{")
    with pytest.raises(UsageError, match="not JSON"):
        read_pull_request_event(path)
    with pytest.raises(UsageError, match="Cannot read the event file"):
        read_pull_request_event(tmp_path / "missing.json")


def test_a_hostile_event_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    depth = 100_000  # before: RecursionError, an internal error
    path.write_text('{"pull_request": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(UsageError, match="nested too deeply to read; it is not a GitHub event"):
        read_pull_request_event(path)
    path.write_bytes(b'{"pull_request": "\xff"}')
    with pytest.raises(UsageError, match="is not JSON"):
        read_pull_request_event(path)
    with path.open("wb") as stream:
        stream.truncate(MAX_EVENT_BYTES + 1)  # sparse: no disk used
    with pytest.raises(UsageError, match="is over 32 MiB"):
        read_pull_request_event(path)


@pytest.mark.parametrize("bad", ["acme", "acme/", "/x", "a/b/c", "../x", "a b/c"])
def test_check_repository(bad: str) -> None:
    assert check_repository("acme-corp/platform.docs") == "acme-corp/platform.docs"
    with pytest.raises(UsageError, match="OWNER/NAME"):
        check_repository(bad)


def test_check_api_url() -> None:
    assert check_api_url("https://ghe.example/api/v3/") == "https://ghe.example/api/v3"
    with pytest.raises(UsageError, match="not an API URL"):
        check_api_url("api.github.com")


@pytest.mark.parametrize(
    "bad",
    [
        "http://[::1",  # ValueError from urlsplit before
        "http://host:abc",
        "http://host:99999",
        "http://ho st/api",  # went to the network before
        "https://a\nb.test",
        "https://\x00.test",
        "http://" + "a" * 70 + ".test",  # a DNS label too long: UnicodeError before
        "ftp://ghe.test",
    ],
)
def test_a_malformed_api_url_is_one_line(bad: str) -> None:
    with pytest.raises(UsageError) as raised:
        check_api_url(bad)
    (line,) = str(raised.value).splitlines()
    assert "API URL" in line and "https://HOST/api/v3" in line


@pytest.mark.parametrize("url", ["https://me:hunter2@ghe.test/api/v3", "https://hunter2@ghe.test"])
def test_an_api_url_with_a_password_is_refused_without_printing_it(url: str) -> None:
    with pytest.raises(UsageError) as raised:
        check_api_url(url)
    message = str(raised.value)
    assert "hunter2" not in message
    assert "'https://***@ghe.test" in message and "GITHUB_TOKEN" in message


@pytest.mark.parametrize(
    ("token", "what"),
    [
        ("ghs_abcé123", "a non-ASCII character (character 8 of 11)"),
        ("ghs_abc 123", "a space (character 8 of 11)"),
        ("ghs_abc123\n", "a line break (character 11 of 11)"),
        ("ghs_ab\tc", "a tab (character 7 of 8)"),
        ("ghs_ab\x00c", "a control character (character 7 of 8)"),
        ("ghs_ab\u00a0c", "a space (character 7 of 8)"),
    ],
)
def test_a_token_that_cannot_be_a_header_is_refused_before_use(token: str, what: str) -> None:
    with pytest.raises(UsageError) as raised:
        check_token(token, "GITHUB_TOKEN")
    message = str(raised.value)
    assert message.startswith(f"GITHUB_TOKEN holds {what}; a GitHub token is printable ASCII")
    assert token not in message and "ghs_" not in message
    with pytest.raises(UsageError):
        GitHub("http://127.0.0.1:9", token)
    assert check_token(TOKEN) == TOKEN


# -- hostile servers: time and memory stay bounded ----------------------------------


@pytest.fixture
def hostile() -> Iterator[Callable[[Script], HostileServer]]:
    servers: list[HostileServer] = []

    def start(script: Script) -> HostileServer:
        servers.append(HostileServer(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def timed_failure(github: GitHub, call: Callable[[GitHub], object]) -> tuple[str, float]:
    started = time.monotonic()
    with github, pytest.raises(GitHubError) as raised:
        call(github)
    return str(raised.value), time.monotonic() - started


def comments(github: GitHub) -> object:
    return list(github.issue_comments(REPOSITORY, NUMBER))


@pytest.mark.parametrize(
    "script",
    [trickle(), trickled_headers(), stall()],
    ids=["a body byte every 0.3 s", "a header byte every 0.3 s", "headers, then silence"],
)
def test_a_slow_server_cannot_hold_a_request_past_its_deadline(
    hostile: Callable[[Script], HostileServer], script: Script
) -> None:
    """Before: httpx's timeouts are per read, so one byte every 5 s held the bot for minutes."""
    server = hostile(script)
    message, took = timed_failure(GitHub(server.url, TOKEN, deadline=1.0), comments)
    assert message == (
        f"Could not list the comments of {REPOSITORY}#{NUMBER}: {server.url} did not finish "
        "answering within 1 s."
    )
    assert took < 4.0  # slack for a loaded machine; before: 40 bytes took 12 s
    assert server.connections == 1  # a request out of time is not retried


def test_the_run_has_a_deadline_across_requests(
    hostile: Callable[[Script], HostileServer],
) -> None:
    server = hostile(slow_pages(pause=0.4))
    github = GitHub(server.url, TOKEN, deadline=10.0, run_deadline=1.5)
    message, took = timed_failure(github, comments)
    assert message == (
        f"Could not list the comments of {REPOSITORY}#{NUMBER}: the calls to {server.url} "
        "took over 1.5 s in all; giving up."
    )
    assert took < 4.5  # before: 1000 pages, 400 s
    assert 2 <= server.connections <= 5


def test_an_endless_body_stops_at_the_cap(hostile: Callable[[Script], HostileServer]) -> None:
    """Before: an endless chunked body grew until MemoryError."""
    server = hostile(endless_chunks())
    github = GitHub(server.url, TOKEN, max_bytes=2**20)
    message, _ = timed_failure(github, comments)
    assert message == (
        f"Could not list the comments of {REPOSITORY}#{NUMBER}: {server.url} answered with "
        "more than 1 MiB; giving up."
    )
    assert server.sent < 16 * 2**20  # the client hung up soon after the cap: memory bounded


def test_a_declared_huge_answer_is_refused_before_reading(
    hostile: Callable[[Script], HostileServer],
) -> None:
    """Before: a 400 MB comment list took 1.35 GB."""
    server = hostile(declared_huge())
    message, took = timed_failure(GitHub(server.url, TOKEN), comments)
    assert message.endswith(f"{server.url} answered with more than 32 MiB; giving up.")
    assert took < 3.0  # the client does not wait for 400 MB it will not read


def test_an_answer_that_does_not_decode_is_one_line(
    hostile: Callable[[Script], HostileServer],
) -> None:
    def script() -> Iterator[tuple[bytes, float]]:
        yield headers("Content-Encoding: gzip", "Content-Length: 10") + b"not gzip!!", 0.0

    server = hostile(script)
    message, _ = timed_failure(GitHub(server.url, TOKEN), comments)  # before: internal error
    assert message == (
        f"Could not list the comments of {REPOSITORY}#{NUMBER}: {server.url} sent an answer "
        "that does not decode."
    )


def test_an_answer_within_the_cap_and_deadline_is_read_whole(
    hostile: Callable[[Script], HostileServer],
) -> None:
    server = hostile(trickle(b"[]", pause=0.05))
    with GitHub(server.url, TOKEN, deadline=2.0, max_bytes=2) as github:
        assert comments(github) == []
