"""`ferry sessions`: the account's sessions on a running server."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.api import DEFAULT_URL, ApiKeyOption, CliFailure, UrlOption, connect
from app.cli.exits import ExitCode
from app.cli.output import console, print_json, stdout
from app.cli.watch import counts_line, exit_code, session_view, watch

sessions_cli = typer.Typer(
    help="Sessions on a running server (over its API).", no_args_is_help=True
)

SessionId = Annotated[str, typer.Argument(help="The session's id")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead")]


@sessions_cli.command("list")
def sessions_list(
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 20,
    as_json: JsonFlag = False,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """The account's sessions, newest first."""
    page = connect(url, api_key).get("/v1/sessions", limit=limit)
    if as_json:
        print_json(page)
        return
    table = Table("id", "status", "mode", "source", "created", "progress", box=None)
    for session in page["data"]:
        table.add_row(
            session["id"],
            session["status"],
            session["mode"],
            session["source"]["system"],
            _moment(session["created_at"]),
            counts_line(session),
        )
    stdout.print(table)


@sessions_cli.command("show")
def sessions_show(
    session_id: SessionId,
    as_json: JsonFlag = False,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """One session: status, phase, progress per entity, its error and warnings."""
    session = connect(url, api_key).get(f"/v1/sessions/{session_id}")
    if as_json:
        print_json(session)
        return
    stdout.print(session_view(session))
    stdout.print(
        f"{session['source']['system']} -> {session['target']['system']}; created "
        f"{_moment(session['created_at'])}, started {_moment(session['started_at'])}, finished "
        f"{_moment(session['finished_at'])}; Pipedrive tokens spent {session['tokens_spent']}",
        markup=False,
    )
    for warning in session.get("warnings") or []:
        stdout.print(f"warning: {warning}", markup=False)
    failed = sum(p["failed"] for p in session["progress"].values())
    if failed:
        stdout.print(f"{failed} records failed: ferry sessions errors {session_id}")


@sessions_cli.command("watch")
def sessions_watch(
    session_id: SessionId,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Follow a session until it ends; the exit code says how it ended."""
    finish(watch(connect(url, api_key), session_id))


@sessions_cli.command("errors")
def sessions_errors(
    session_id: SessionId,
    entity: Annotated[str | None, typer.Option(help="Only this entity's")] = None,
    as_json: JsonFlag = False,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """The records a session could not carry, with the reason of each."""
    api = connect(url, api_key)
    errors: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = api.get(f"/v1/sessions/{session_id}/errors", entity=entity, cursor=cursor, limit=500)
        # Filtered here too, in case the server does not filter by entity.
        errors.extend(e for e in page["data"] if entity in (None, e["entity"]))
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if as_json:
        print_json(errors)
        return
    if not errors:
        console.print(f"session {session_id} has no failed records")
        return
    table = Table("entity", "source id", "stage", "code", "message", box=None)
    for error in errors:
        table.add_row(
            error["entity"],
            error["source_id"] or "",
            error["stage"],
            error["code"],
            error["message"],
        )
    stdout.print(table)


@sessions_cli.command("cancel")
def sessions_cancel(
    session_id: SessionId,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Stop a session within seconds; what was loaded stays recorded."""
    session = connect(url, api_key).post(f"/v1/sessions/{session_id}/cancel")
    console.print(f"session {session['id']} is {session['status']}; cancel requested")


@sessions_cli.command("undo")
def sessions_undo(
    session_id: SessionId,
    force: Annotated[
        bool, typer.Option(help="Delete records edited in Pipedrive since Ferry wrote them too")
    ] = False,
    wait: Annotated[bool, typer.Option(help="Watch the undo until it ends")] = True,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Delete what a session created in Pipedrive (a session of mode undo)."""
    api = connect(url, api_key)
    undo = api.post(f"/v1/sessions/{session_id}/undo", {"force": force})
    console.print(f"undo session {undo['id']} started")
    print(undo["id"], flush=True)
    if wait:
        finish(watch(api, undo["id"]))


@sessions_cli.command("resume")
def sessions_resume(
    session_id: SessionId,
    wait: Annotated[bool, typer.Option(help="Watch the session until it ends")] = True,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Finish what a failed, cancelled or completed_with_errors session left undone (a new
    session through the ledger: nothing is created twice); prints the new session's id."""
    api = connect(url, api_key)
    session = api.post(f"/v1/sessions/{session_id}/resume")
    console.print(f"session {session['id']} resumes {session_id}")
    print(session["id"], flush=True)
    if wait:
        finish(watch(api, session["id"]))


def _moment(value: str | None) -> str:
    return value[:19].replace("T", " ") if value else "-"


def finish(session: dict[str, Any]) -> None:
    """Ends the command with the exit code of how the session ended."""
    code = exit_code(session)
    if code is ExitCode.COMPLETED:
        return
    hint = ""
    if code is ExitCode.COMPLETED_WITH_ERRORS:
        hint = f": ferry sessions errors {session['id']}"
    elif session.get("error"):
        hint = f": {session['error']['code']}: {session['error']['message']}"
    raise CliFailure(f"session {session['id']} ended {session['status']}{hint}", code)
