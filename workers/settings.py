"""arq worker settings: `ferry worker` (or `arq workers.settings.WorkerSettings`)."""

from __future__ import annotations

from typing import Any

from arq.connections import RedisSettings

from app.config import get_settings
from app.db import dispose_engine
from workers.jobs import run_session, send_webhook
from workers.queue import ArqQueue


async def startup(ctx: dict[str, Any]) -> None:
    ctx["queue"] = ArqQueue(ctx["redis"])


async def shutdown(ctx: dict[str, Any]) -> None:
    await dispose_engine()


def _redis_settings() -> RedisSettings:
    url = get_settings().redis_url
    return RedisSettings.from_dsn(url) if url else RedisSettings()


class WorkerSettings:
    functions = [run_session, send_webhook]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = _redis_settings()
    # A run hands over after FERRY_CHUNK_SECONDS; the timeout leaves room for rate-limit waits.
    job_timeout = 900
    max_tries = 20
    max_jobs = 10
    keep_result = 3600
