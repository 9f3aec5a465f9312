"""arq worker settings: `ferry worker` (or `arq workers.settings.WorkerSettings`)."""

from __future__ import annotations

from typing import Any

from arq import cron
from arq.connections import RedisSettings

from app.config import get_settings
from app.db import dispose_engine
from app.ops.counters import start_counting, stop_counting
from app.ratelimit import install_limiter
from workers.jobs import run_session, send_webhook, sweep_sessions
from workers.pipeline.retention import purge_job
from workers.queue import ArqQueue


async def startup(ctx: dict[str, Any]) -> None:
    ctx["queue"] = ArqQueue(ctx["redis"])
    # The vendor calls this worker makes, added to Redis in batches for /metrics.
    ctx["call_counter_flusher"] = start_counting(ctx["redis"])
    # Every session of every worker paces from the same windows and budgets, kept in Redis.
    install_limiter(ctx["redis"])


async def shutdown(ctx: dict[str, Any]) -> None:
    await stop_counting(ctx.get("call_counter_flusher"))
    await dispose_engine()


def _redis_settings() -> RedisSettings:
    url = get_settings().redis_url
    return RedisSettings.from_dsn(url) if url else RedisSettings()


class WorkerSettings:
    functions = [run_session, send_webhook]
    # Every 5 s one worker (cron job ids are unique per time) re-queues sessions whose run died.
    cron_jobs = [
        cron(sweep_sessions, second=set(range(0, 60, 5)), run_at_startup=True),
        # Hourly, and at start: staged rows of sessions finished FERRY_RETENTION_DAYS ago go.
        cron(purge_job, minute=17, second=0, run_at_startup=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = _redis_settings()
    # A run hands over after FERRY_CHUNK_SECONDS. A killed worker's session does not wait for
    # this timeout: its lease runs out in seconds and the sweep gives it to another worker.
    job_timeout = 600
    max_tries = 20
    max_jobs = get_settings().worker_max_jobs
    keep_result = 3600
    # `arq --check` (the compose health check) looks for this heartbeat, written every 10 s.
    health_check_interval = 10
