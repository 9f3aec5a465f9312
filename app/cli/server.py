"""`ferry serve` and `ferry worker`: the service's own processes."""

from __future__ import annotations

import os

import typer

from app.cli.database import upgrade_database
from app.cli.output import console


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
    console.print(f"Data: {_where_data_lives()}")
    console.print(f"Status page: {settings.public_url}/  API docs: {settings.public_url}/docs")
    console.print("Get an API key: .venv/bin/ferry accounts create NAME")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, log_config=None)


def _where_data_lives() -> str:
    from sqlalchemy.engine import make_url

    from app.config import get_settings

    settings = get_settings()
    if settings.database_url:  # never the password
        url = make_url(settings.database_url)
        where = f"{url.get_backend_name()} database {url.database} on {url.host or 'localhost'}"
    else:
        where = str(settings.data_file("ferry.db"))
    if settings.secret_key is None:
        where += f", encryption key {settings.data_file('secret.key')}"
    return where + " (FERRY_DATA_DIR, FERRY_DATABASE_URL and FERRY_SECRET_KEY move it)"


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


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
