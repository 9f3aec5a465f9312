"""The `ferry` command: the service's processes, its local accounts, and a client of a running
server's API."""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from app.cli.accounts import accounts_cli
from app.cli.api import CliFailure
from app.cli.database import db_cli
from app.cli.exits import HELP as EXIT_HELP
from app.cli.migrate import migrate
from app.cli.output import console
from app.cli.sandbox import sandbox_cli, systems
from app.cli.server import serve, worker
from app.cli.sessions import sessions_cli
from app.cli.uploads import uploads_cli

cli = typer.Typer(
    help=f"Ferry: CRM migrations into Pipedrive.\n\n{EXIT_HELP}",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
cli.add_typer(db_cli, name="db", rich_help_panel="Running Ferry")
cli.command(rich_help_panel="Running Ferry")(serve)
cli.command(rich_help_panel="Running Ferry")(worker)
cli.add_typer(accounts_cli, name="accounts", rich_help_panel="Running Ferry")
cli.command(rich_help_panel="Migrating (over the API)")(migrate)
cli.add_typer(sessions_cli, name="sessions", rich_help_panel="Migrating (over the API)")
cli.add_typer(uploads_cli, name="uploads", rich_help_panel="Migrating (over the API)")
cli.add_typer(sandbox_cli, name="sandbox", rich_help_panel="Migrating (over the API)")
cli.command(rich_help_panel="Migrating (over the API)")(systems)


def main() -> None:
    try:
        cli()
    except CliFailure as failure:
        prefix = f"error {failure.code}: " if failure.code else "error: "
        console.print(Text.assemble((prefix, "red"), failure.message))
        sys.exit(failure.exit_code)
