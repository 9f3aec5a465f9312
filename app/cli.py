"""The `ferry` command."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import typer
from rich.console import Console

cli = typer.Typer(help="Ferry: CRM migrations into Pipedrive.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
accounts_cli = typer.Typer(help="Accounts and API keys.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(accounts_cli, name="accounts")
console = Console(stderr=True)

ROOT = Path(__file__).resolve().parent.parent


def upgrade_database() -> None:
    from alembic import command
    from alembic.config import Config

    # The migrations ship inside the package (app/migrations): no alembic.ini or checkout needed.
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    upgrade_database()
    console.print("database is up to date")


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
) -> None:
    """Serve the API (and, in embedded mode, run the jobs in this process)."""
    import uvicorn

    from app.config import get_settings
    from app.logs import configure_logging

    if "FERRY_PUBLIC_URL" not in os.environ:
        os.environ["FERRY_PUBLIC_URL"] = f"http://{_display_host(host)}:{port}"
        get_settings.cache_clear()
    settings = get_settings()
    if settings.embedded:
        upgrade_database()  # one command serves: the SQLite file is created and kept current
    configure_logging(settings.log_level)
    mode = (
        "embedded (SQLite, in-process jobs)" if settings.embedded else "distributed (arq workers)"
    )
    console.print(f"Ferry serving on {settings.public_url} in {mode} mode")
    console.print(f"API docs: {settings.public_url}/docs")
    console.print("Get an API key: .venv/bin/ferry accounts create NAME")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, log_config=None)


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


@cli.command()
def worker() -> None:
    """Run an arq worker (needs FERRY_REDIS_URL and FERRY_DATABASE_URL)."""
    from arq.worker import run_worker

    from app.config import get_settings
    from app.logs import configure_logging

    settings = get_settings()
    if settings.embedded:
        console.print("FERRY_REDIS_URL is not set: in embedded mode 'ferry serve' runs the jobs.")
        raise typer.Exit(2)
    configure_logging(settings.log_level)
    from workers.settings import WorkerSettings

    run_worker(WorkerSettings)  # type: ignore[arg-type]


@accounts_cli.command("create")
def accounts_create(name: str) -> None:
    """Create an account; prints its webhook secret, then its API key as the last line."""
    from app.accounts.service import create_account
    from app.db import dispose_engine, sessionmaker

    async def _create() -> tuple[str, str, str]:
        try:
            async with sessionmaker()() as db:
                account, secret, key = await create_account(db, name)
                return account.id, secret, key
        finally:
            await dispose_engine()

    upgrade_database()
    account_id, secret, key = asyncio.run(_create())
    console.print(f"account {name} created: {account_id}")
    console.print("webhook secret (signs the webhooks you receive; rotate it through the API):")
    print(secret, flush=True)
    console.print("API key (send it as 'Authorization: Bearer <key>'; it is shown only now):")
    print(key, flush=True)


def main() -> None:
    cli()
