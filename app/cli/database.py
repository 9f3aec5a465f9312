"""`ferry db`: the database schema."""

from __future__ import annotations

import fcntl
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
    # `ferry serve` and `ferry accounts create` run this at once on a fresh data directory: one
    # upgrades, the other then finds the schema up to date (PostgreSQL: env.py's advisory lock).
    with _data_dir_lock():
        command.upgrade(config, "head")


class _data_dir_lock:
    def __enter__(self) -> None:
        from app.config import get_settings

        directory = get_settings().data_dir.expanduser()
        directory.mkdir(parents=True, exist_ok=True)
        self._file = open(directory / ".schema.lock", "w")  # noqa: SIM115  (held until exit)
        fcntl.flock(self._file, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    upgrade_database()
    console.print("database is up to date")
