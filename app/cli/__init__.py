"""The `ferry` command (entry point `app.cli:main`): one module per command group."""

from app.cli.database import upgrade_database
from app.cli.main import cli, main

__all__ = ["cli", "main", "upgrade_database"]
