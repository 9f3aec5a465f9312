"""`ferry migrate`: start a session on a running server and watch it to its end."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.api import DEFAULT_URL, Api, ApiKeyOption, CliFailure, UrlOption, connect
from app.cli.exits import ExitCode
from app.cli.output import console
from app.cli.sessions import finish
from app.cli.uploads import upload_files
from app.cli.watch import watch

CREDENTIALS_HELP = "Credentials, from (first wins) flags, a file, the environment"


def migrate(
    source_system: Annotated[
        str, typer.Option("--from", help="The source system's id (ferry systems, GET /v1/systems)")
    ],
    target_system: Annotated[
        str, typer.Option("--to", help="The target system (pipedrive)")
    ] = "pipedrive",
    source_url: Annotated[
        str | None,
        typer.Option(
            envvar="FERRY_SOURCE_URL", help="The source's API root (default: the vendor's)"
        ),
    ] = None,
    target_url: Annotated[
        str | None,
        typer.Option(
            envvar="FERRY_TARGET_URL",
            help="The Pipedrive company URL, e.g. https://acme.pipedrive.com",
        ),
    ] = None,
    source_cred: Annotated[
        list[str] | None,
        typer.Option(
            metavar="FIELD=VALUE",
            help="A source credential, repeatable; or FERRY_SOURCE_<FIELD> in the environment",
            rich_help_panel=CREDENTIALS_HELP,
            show_default=False,
        ),
    ] = None,
    target_cred: Annotated[
        list[str] | None,
        typer.Option(
            metavar="FIELD=VALUE",
            help="A target credential, repeatable; or FERRY_TARGET_<FIELD> in the environment",
            rich_help_panel=CREDENTIALS_HELP,
            show_default=False,
        ),
    ] = None,
    credentials: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help='A JSON file: {"source": {FIELD: VALUE...}, "target": {FIELD: VALUE...}}',
            rich_help_panel=CREDENTIALS_HELP,
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    upload: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="The source's CSV export (files, or a zip; repeatable) instead of credentials: "
            "uploaded first (ferry uploads create)",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    entities: Annotated[
        str | None,
        typer.Option(help="Comma-separated entities to migrate (default: all the source has)"),
    ] = None,
    mode: Annotated[str, typer.Option(help="full, sample or delta")] = "full",
    webhook_url: Annotated[
        str | None, typer.Option(help="Called with a signed POST when the session ends")
    ] = None,
    max_file_bytes: Annotated[
        int | None,
        typer.Option(min=1, help="Attached files above this size stay behind (each reported)"),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(help="Watch the session until it ends (--no-wait: print its id and exit)"),
    ] = True,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Start a migration and watch it: a bar per entity and an ETA, until it ends.

    The exit code says how it ended (see ferry --help). Credentials are never printed."""
    api = connect(url, api_key)
    from_file = _credentials_file(credentials)
    if upload:
        uploaded = upload_files(api.url, api.key, upload, system=source_system)
        console.print(f"upload {uploaded['id']} created")
        source = {"system": source_system, "upload_id": uploaded["id"]}
    else:
        source = _endpoint(api, "source", source_system, source_url, source_cred, from_file)
    body: dict[str, Any] = {
        "source": source,
        "target": _endpoint(api, "target", target_system, target_url, target_cred, from_file),
        "mode": mode,
    }
    if entities:
        body["entities"] = [e.strip() for e in entities.split(",") if e.strip()]
    if webhook_url:
        body["webhook_url"] = webhook_url
    if max_file_bytes:
        body["options"] = {"max_file_bytes": max_file_bytes}
    session = api.post("/v1/sessions", body)
    console.print(f"session {session['id']} created ({session['status']})")
    if not wait:
        print(session["id"], flush=True)
        return
    finish(watch(api, session["id"]))


def _endpoint(
    api: Api,
    role: str,
    system: str,
    base_url: str | None,
    flags: list[str] | None,
    from_file: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """{system, credentials, base_url} of one side, credentials gathered from every place."""
    creds = _from_environment(role, _credential_fields(api, system))
    creds.update(from_file.get(role, {}))
    creds.update(_from_flags(role, flags or []))
    endpoint: dict[str, Any] = {"system": system, "credentials": creds}
    if base_url:
        endpoint["base_url"] = base_url
    return endpoint


def _credential_fields(api: Api, system: str) -> list[str]:
    for known in api.get("/v1/systems"):
        if known["id"] == system:
            return [field["name"] for field in known["credential_fields"]]
    return []  # the server names the unknown system itself, with its own code


def _from_environment(role: str, fields: list[str]) -> dict[str, str]:
    prefix = f"FERRY_{role.upper()}_"
    return {f: os.environ[prefix + f.upper()] for f in fields if os.environ.get(prefix + f.upper())}


def _from_flags(role: str, flags: list[str]) -> dict[str, str]:
    creds = {}
    for flag in flags:
        field, sep, value = flag.partition("=")
        if not sep or not field.strip():
            # Not repeated: what was typed may be the secret itself.
            raise CliFailure(
                f"--{role}-cred takes FIELD=VALUE, e.g. --{role}-cred api_token=...",
                ExitCode.USAGE,
            )
        creds[field.strip()] = value
    return creds


def _credentials_file(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CliFailure(
            f"{path}: not a JSON file ({type(exc).__name__})", ExitCode.USAGE
        ) from None
    valid = isinstance(data, dict) and all(
        isinstance(data.get(role, {}), dict) for role in ("source", "target")
    )
    if not valid:
        raise CliFailure(
            f'{path}: expected {{"source": {{FIELD: VALUE}}, "target": {{FIELD: VALUE}}}}',
            ExitCode.USAGE,
        )
    return {
        role: {k: str(v) for k, v in data.get(role, {}).items()} for role in ("source", "target")
    }
