"""`ferry uploads`: a CRM's CSV export (files, or a zip of them) uploaded as a file source."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from app.cli.api import DEFAULT_URL, ApiKeyOption, CliFailure, UrlOption, api_failure, connect
from app.cli.exits import ExitCode
from app.cli.output import console, print_json

uploads_cli = typer.Typer(help="CSV exports uploaded as a source.", no_args_is_help=True)

UPLOAD_TIMEOUT = 600.0  # a 200 MB export over a slow link


def upload_files(
    url: str,
    key: str,
    files: list[Path],
    *,
    system: str = "csv",
    entities: dict[str, str] | None = None,
    source_account: str | None = None,
) -> dict[str, Any]:
    """POST /v1/uploads with the files streamed from disk; the upload as the API answers."""
    form: dict[str, str] = {"system": system}
    if entities:
        form["entities"] = json.dumps(entities)
    if source_account:
        form["source_account"] = source_account
    with ExitStack() as stack:
        parts = []
        for path in files:
            if not path.is_file():
                raise CliFailure(f"{path} is not a file.", ExitCode.USAGE)
            kind = "application/zip" if path.suffix.lower() == ".zip" else "text/csv"
            parts.append(("files", (path.name, stack.enter_context(path.open("rb")), kind)))
        try:
            with httpx.Client(
                base_url=url, headers={"authorization": f"Bearer {key}"}, timeout=UPLOAD_TIMEOUT
            ) as http:
                response = http.post("/v1/uploads", data=form, files=parts)
        except httpx.TransportError as exc:
            raise CliFailure(
                f"could not reach Ferry at {url} ({type(exc).__name__}).", ExitCode.UNREACHABLE
            ) from None
    if response.status_code >= 400:
        raise api_failure(response)
    answer: dict[str, Any] = response.json()
    return answer


@uploads_cli.command("create")
def uploads_create(
    files: Annotated[list[Path], typer.Argument(help="CSV files (one per entity) or one .zip")],
    system: Annotated[
        str, typer.Option(help="Whose export: csv (any system's) or e.g. salesforceiq")
    ] = "csv",
    entity: Annotated[
        list[str] | None,
        typer.Option(help="FILE=ENTITY for a file whose name does not say it (repeatable)"),
    ] = None,
    source_account: Annotated[
        str | None, typer.Option(help="A name for the exported account (shared ledger)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON instead")] = False,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Upload an export; prints the upload id (stdout) and what each file holds."""
    api = connect(url, api_key)
    named = {}
    for pair in entity or []:
        name, sep, value = pair.partition("=")
        if not sep:
            raise CliFailure(f"--entity takes FILE=ENTITY, not {pair!r}.", ExitCode.USAGE)
        named[name] = value
    upload = upload_files(
        api.url, api.key, files, system=system, entities=named, source_account=source_account
    )
    if as_json:
        print_json(upload)
        return
    for file in upload["files"]:
        console.print(f"{file['name']}: {file['rows']} {file['entity']} rows")
    print(upload["id"], flush=True)


@uploads_cli.command("list")
def uploads_list(url: UrlOption = DEFAULT_URL, api_key: ApiKeyOption = None) -> None:
    """Your uploads (JSON)."""
    print_json(connect(url, api_key).get("/v1/uploads"))
