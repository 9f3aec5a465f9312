"""`ferry db`: the database schema."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.output import console

db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def upgrade_database() -> None:
    from alembic import command
    from alembic.config import Config

    # The migrations ship inside the package (app/migrations): no alembic.ini or checkout needed.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    upgrade_database()
    console.print("database is up to date")
