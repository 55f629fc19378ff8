"""``phasediff comment`` (the pull-request bot) and ``phasediff accept`` (intended changes)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from phasediff.accept import Acceptance, add_entries, check_fingerprint, load_accept_file
from phasediff.changes import Severity
from phasediff.cli.common import (
    fail_on_option,
    gate,
    run_command,
    write_output,
    write_stdout,
    write_step_summary,
)
from phasediff.comment import (
    Action,
    CommentOptions,
    check_comment_id,
    is_own_comment,
    marker,
    plan_action,
    render_comment,
)
from phasediff.errors import ConfigError, UsageError
from phasediff.github import (
    ACTIONS_LOGIN,
    DEFAULT_API_URL,
    REQUEST_DEADLINE,
    RUN_DEADLINE,
    GitHub,
    GitHubForbiddenError,
    PullRequestEvent,
    check_api_url,
    check_repository,
    check_token,
    read_pull_request_event,
)
from phasediff.project import Project
from phasediff.pullrequest import PullRequestDrift, acknowledge_drift, pull_request_drift
from phasediff.render import Format, render_comparison
from phasediff.render.common import plural

COMMENT_EXIT_CODES = (
    "Exit codes: 0 done (also when a read-only token could not post: the report then goes "
    "to the job summary); 1 an unacknowledged change at or above --fail-on; 2 usage error; "
    "3 runtime error (git, the GitHub API, or GitHub refusing to edit the bot's comment)."
)

checkout_option = click.option(
    "--checkout",
    "checkout",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The local git checkout holding both commits (clone with fetch-depth: 0).",
)


@click.command("comment", epilog=COMMENT_EXIT_CODES)
@click.option(
    "--repo",
    "repository",
    default=None,
    metavar="OWNER/NAME",
    help="The GitHub repository (default: $GITHUB_REPOSITORY).",
)
@click.option(
    "--pr",
    "number",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="The pull request number (default: from the event).",
)
@click.option(
    "--base",
    default=None,
    metavar="REV",
    help="The target branch's commit (default: from the event).",
)
@click.option(
    "--head",
    default=None,
    metavar="REV",
    help="The pull request's head commit (default: from the event).",
)
@click.option(
    "--api-url",
    default=None,
    metavar="URL",
    help=f"The GitHub API root (default: $GITHUB_API_URL, else {DEFAULT_API_URL}).",
)
@click.option(
    "--id",
    "comment_id",
    default="default",
    metavar="ID",
    show_default=True,
    help="Names this bot's comment (<!-- phasediff:ID -->), so several can coexist.",
)
@click.option(
    "--bot-login",
    default=None,
    envvar="PHASEDIFF_BOT_LOGIN",
    metavar="LOGIN",
    help="The login the token comments as; only that login's comment is updated, never one "
    f"someone else wrote with the marker (default: GitHub's GET /user, or {ACTIONS_LOGIN} "
    "for a workflow's GITHUB_TOKEN; set it for another GitHub App's token: APP-SLUG[bot]). "
    "Also $PHASEDIFF_BOT_LOGIN.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=RUN_DEADLINE,
    show_default=True,
    metavar="SECONDS",
    help=f"Give up on GitHub's API after this many seconds in all; one request gets at most "
    f"{REQUEST_DEADLINE:g}, however slowly the server answers.",
)
@click.option(
    "--against-previous-phase",
    is_flag=True,
    help="Also show how each touched phase now differs from the phase before it.",
)
@click.option(
    "--annotate",
    is_flag=True,
    help="Also print GitHub workflow commands (::error/::warning) on the document lines of "
    "each touched phase's breaking changes and warnings, so they show inline on the PR.",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the body and the action it would take; no network."
)
@fail_on_option
@checkout_option
@run_command
def comment_command(
    repository: str | None,
    number: int | None,
    base: str | None,
    head: str | None,
    api_url: str | None,
    comment_id: str,
    bot_login: str | None,
    timeout: float,
    against_previous_phase: bool,
    annotate: bool,
    dry_run: bool,
    fail_on: str | None,
    checkout: Path,
) -> int:
    """Post (or update) the pull request's architectural-drift comment.

    \b
    In a GitHub Actions `pull_request` job it needs no arguments: the pull
    request, its base and head come from $GITHUB_EVENT_PATH, the repository
    from $GITHUB_REPOSITORY, the API from $GITHUB_API_URL and the token from
    $GITHUB_TOKEN (or $GH_TOKEN); flags override all but the token.  The head
    is compared with its branch point, `git merge-base BASE HEAD`, for every
    phase document the pull request touches.  One comment per pull request
    (and --id), updated in place; nothing is posted while there is no drift.
    Only a comment the token's own login wrote is updated (see --bot-login).
    """
    try:
        options = CommentOptions(comment_id=check_comment_id(comment_id))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    event = _event()
    number = number if number is not None else event.number
    base = base or event.base
    head = head or event.head
    if base is None or head is None:
        raise UsageError(
            "No pull request to compare. Run in a pull_request workflow (GITHUB_EVENT_PATH), "
            "or pass --base REV and --head REV."
        )
    repository = repository or os.environ.get("GITHUB_REPOSITORY") or None
    if repository is not None:
        repository = check_repository(repository)
    api = check_api_url(api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL)
    token = "" if dry_run else _token()  # a dry run sends nothing: no token needed
    if not dry_run:
        _require_target(repository, number, token)

    project = Project.open(checkout)
    drift = pull_request_drift(project, base, head, against_previous=against_previous_phase)
    # The head's own file: a pull request acknowledges its own intended changes.
    drift = acknowledge_drift(drift, load_accept_file(project.repo, project.config, drift.head))
    options = CommentOptions(
        comment_id=options.comment_id,
        accept_file=project.config.accept_file,
        gate=Severity(fail_on) if fail_on is not None else Severity.BREAKING,
    )
    body = render_comment(drift, options)
    code = gate(drift.changes, exit_code=False, fail_on=fail_on)
    if annotate:
        for touched in drift.phases:
            if touched.comparison is not None:
                write_stdout(render_comparison(touched.comparison, Format.GITHUB))

    if dry_run:
        write_stdout(body)
        click.echo(_dry_run_action(drift, repository, number, options.comment_id), err=True)
        if code != 0:
            write_step_summary(body)
        return code
    assert repository is not None and number is not None
    summarised = False
    where = f"{repository}#{number}"
    deadline = min(REQUEST_DEADLINE, timeout)
    with GitHub(api, token, deadline=deadline, run_deadline=timeout) as github:
        try:
            login = bot_login or github.login()
            existing = github.find_comment(
                repository,
                number,
                lambda text: is_own_comment(text, options.comment_id),
                author=login,
            )
            action = plan_action(body, drift.has_drift, existing.body if existing else None)
            if action is Action.CREATE:
                created = github.create_comment(repository, number, body)
                click.echo(f"phasediff: commented on {where}: {created.url}", err=True)
        except GitHubForbiddenError as exc:  # a fork's read-only token: the summary instead
            click.echo(f"Warning: {exc}", err=True)
            summarised = write_step_summary(body)
            if summarised:
                click.echo("phasediff: the report is in the job summary instead.", err=True)
            else:
                write_stdout(body)
        else:
            # Editing is not the fork case: a refusal here is an error (exit 3), not a fallback.
            if action is Action.UPDATE:
                assert existing is not None
                updated = github.update_comment(repository, existing.id, body)
                click.echo(f"phasediff: updated the comment on {where}: {updated.url}", err=True)
            elif action is Action.UNCHANGED:
                click.echo(
                    f"phasediff: the comment on {where} is up to date; nothing sent.", err=True
                )
            elif action is Action.SKIP:
                click.echo(f"phasediff: no phase drift in {where}; nothing posted.", err=True)
    if code != 0:
        write_stdout(body)
        if not summarised:
            write_step_summary(body)
    return code


def _event() -> PullRequestEvent:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return PullRequestEvent()
    return read_pull_request_event(Path(path))


def _token() -> str:
    """$GITHUB_TOKEN, else $GH_TOKEN, checked before use ("" when neither is set)."""
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        value = os.environ.get(name)
        if value:
            return check_token(value, name)
    return ""


def _require_target(repository: str | None, number: int | None, token: str) -> None:
    if repository is None:
        raise UsageError("No repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY.")
    if number is None:
        raise UsageError("No pull request number: pass --pr N, or run in a pull_request workflow.")
    if not token:
        raise UsageError(
            "GITHUB_TOKEN is not set. In a workflow, pass it with `env: GITHUB_TOKEN: "
            "${{ secrets.GITHUB_TOKEN }}`; or use --dry-run to only print the comment."
        )


def _dry_run_action(
    drift: PullRequestDrift, repository: str | None, number: int | None, comment_id: str
) -> str:
    where = f"{repository or 'OWNER/NAME'}#{number if number is not None else 'N'}"
    mark = marker(comment_id)
    if drift.has_drift:
        return (
            f"Dry run: would create the comment marked {mark} on {where}, or update it in place "
            "if it exists and says something else. Nothing was sent."
        )
    return (
        f"Dry run: no phase drift; would post nothing on {where}, or update an earlier comment "
        f"marked {mark} to say the drift is gone. Nothing was sent."
    )


@click.command("accept")
@click.argument("fingerprints", nargs=-1)
@click.option("--reason", required=True, help="Why the changes are intended (kept in the file).")
@click.option(
    "--phase",
    default=None,
    metavar="PHASE",
    help="Acknowledge the FINGERPRINTS in this phase only (default: in any phase).",
)
@click.option(
    "--base",
    default=None,
    metavar="REV",
    help="Also acknowledge every change the branch brings since its branch point with BASE "
    "(as `phasediff comment` sees it), at or above --fail-on.",
)
@click.option(
    "--head",
    default="HEAD",
    show_default=True,
    metavar="REV",
    help="With --base: the branch's head commit.",
)
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    default=Severity.BREAKING.value,
    show_default=True,
    help="With --base: the least severe change to acknowledge.",
)
@click.option("--dry-run", is_flag=True, help="Print the new file instead of writing it.")
@click.option(
    "--repo",
    "repo_path",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The git repository (any directory inside its work tree).",
)
@run_command
def accept_command(
    fingerprints: tuple[str, ...],
    reason: str,
    phase: str | None,
    base: str | None,
    head: str,
    fail_on: str,
    dry_run: bool,
    repo_path: Path,
) -> int:
    """Acknowledge intended changes in the acknowledged-changes file.

    \b
    phasediff accept --reason "Replaced by Grafana Alloy" component-removed:Promtail
    phasediff accept --reason "Phase 3 retires Promtail" --base origin/main

    Acknowledged changes are still reported, but no longer fail --fail-on or
    --exit-code.  Fingerprints are RULE:KEY[#FIELD]; `phasediff diff
    --print-fingerprints` and the pull-request comment show them.  The file is
    [tool.phasediff] accept_file (default .phasediff-accept.yaml).
    """
    if not reason.strip():
        raise UsageError("--reason is empty. Say why the changes are intended.")
    if not fingerprints and base is None:
        raise UsageError(
            "Name the changes: give FINGERPRINTS, or --base REV to acknowledge what the "
            "branch brings."
        )
    entries = []
    for text in fingerprints:
        try:
            entries.append(Acceptance(check_fingerprint(text), reason.strip(), phase))
        except ValueError as exc:
            raise UsageError(f"{exc}.") from exc
    project = Project.open(repo_path)
    path = project.repo.work_tree_file(project.config.accept_file)
    current = _read_text(path, project.config.accept_file)
    if base is not None:
        accepted = load_accept_file(project.repo, project.config, None)
        drift = acknowledge_drift(pull_request_drift(project, base, head), accepted)
        threshold = Severity(fail_on).rank
        for touched in drift.phases:
            for change in touched.changes:
                if change.acknowledged is None and change.severity.rank >= threshold:
                    entries.append(Acceptance(change.fingerprint, reason.strip(), touched.phase))
    text, added = add_entries(current, entries, project.config.accept_file)
    names = ", ".join(entry.fingerprint for entry in added)
    if dry_run:
        write_stdout(text)
        click.echo(
            f"Dry run: would add {plural(len(added), 'entry', 'entries')} to "
            f"{project.config.accept_file}" + (f": {names}." if added else "."),
            err=True,
        )
        return 0
    if not added:
        click.echo(f"Nothing to add: {project.config.accept_file} already has them.", err=True)
        return 0
    write_output(text, path)
    click.echo(f"Added to {project.config.accept_file}: {names}.", err=True)
    return 0


def _read_text(path: Path, shown: str) -> str | None:
    if not path.is_file():
        return None
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{shown} cannot be read: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown} is not UTF-8. Re-save it as UTF-8.") from exc
