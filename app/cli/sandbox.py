"""`ferry sandbox` and `ferry systems`: emulated vendor accounts to try migrations on, and what
each system takes."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.api import DEFAULT_URL, ApiKeyOption, UrlOption, connect
from app.cli.output import console, print_json, stdout

sandbox_cli = typer.Typer(
    help="Emulated vendor accounts (the server's sandbox).", no_args_is_help=True
)


@sandbox_cli.command("create")
def sandbox_create(
    system: Annotated[str, typer.Argument(help="A system id (ferry systems)")],
    empty: Annotated[
        bool, typer.Option("--empty", help="Only the company's users (a target to fill)")
    ] = False,
    size: Annotated[int, typer.Option(help="Persons in the seeded reference company")] = 50,
    pair: Annotated[
        bool,
        typer.Option("--pair", help="Also an empty sandbox Pipedrive to migrate into"),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON instead")] = False,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """Create a sandbox account; prints it and a ready-to-paste `ferry migrate` line (stdout).

    Sandbox credentials are shown this once: they open nothing but the emulator."""
    api = connect(url, api_key)
    dataset = "empty" if empty else "reference"
    account = api.post("/sandbox/accounts", {"system": system, "dataset": dataset, "size": size})
    target = None
    if pair:
        target = api.post("/sandbox/accounts", {"system": "pipedrive", "dataset": "empty"})
    if as_json:
        print_json({"source": account, "target": target} if pair else account)
        return
    _describe(account)
    if target is not None:
        _describe(target)
        print(migrate_line(account, target), flush=True)
    elif empty and system == "pipedrive":
        console.print("Migrate into it with:")
        print(f"{_ferry()} migrate --from SYSTEM ... {_side('target', account)}", flush=True)
    else:
        console.print("Migrate it with (give your target Pipedrive, or use --pair):")
        print(migrate_line(account, None), flush=True)


def _describe(account: dict[str, Any]) -> None:
    held = "empty" if account["dataset"] == "empty" else f"reference, {account['size']} persons"
    console.print(f"sandbox {account['system']} ({held}): {account['id']}  {account['base_url']}")


def _ferry() -> str:
    """How to call ferry again: its name when the shell finds this one, else the path used."""
    invoked = sys.argv[0]
    on_path = shutil.which("ferry")
    if on_path and Path(on_path).resolve() == Path(invoked).resolve():
        return "ferry"
    return shlex.quote(invoked)


def migrate_line(source: dict[str, Any], target: dict[str, Any] | None) -> str:
    to = (
        _side("target", target)
        if target
        else "--target-url https://YOURCOMPANY.pipedrive.com --target-cred api_token=YOUR_TOKEN"
    )
    return (
        f"{_ferry()} migrate --from {source['system']} --to pipedrive "
        f"{_side('source', source)} {to}"
    )


def _side(role: str, account: dict[str, Any]) -> str:
    parts = [f"--{role}-url", shlex.quote(account["base_url"])]
    for field, value in (account.get("credentials") or {}).items():
        parts += [f"--{role}-cred", shlex.quote(f"{field}={value}")]
    return " ".join(parts)


def systems(
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON instead")] = False,
    url: UrlOption = DEFAULT_URL,
    api_key: ApiKeyOption = None,
) -> None:
    """The systems Ferry reads and writes, with the credential fields each takes."""
    found = connect(url, api_key).get("/v1/systems")
    if as_json:
        print_json(found)
        return
    table = Table("id", "name", "roles", "credentials (* secret)", "default base URL", box=None)
    for system in found:
        fields = ", ".join(
            f["name"] + ("*" if f["secret"] else "") + ("" if f["required"] else "?")
            for f in system["credential_fields"]
        )
        table.add_row(
            system["id"],
            system["name"],
            ",".join(system["roles"]),
            fields,
            system["default_base_url"] or "(your own)",
        )
    stdout.print(table)
