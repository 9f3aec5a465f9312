"""Job functions, shared by the arq worker and the in-process runner of embedded mode.
Jobs may run more than once: the session lifecycle decides whether a run may work at all,
and the pipeline starts each run by reading where the session stands."""

from __future__ import annotations

import time
from typing import Any

from arq import Retry
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.connections.service import open_source, open_target, stored_endpoint
from app.models import MigrationSession
from app.sessions import lifecycle
from app.sessions.schemas import SessionStatus
from workers.pipeline.context import RunContext
from workers.pipeline.run import failed_count, run_pipeline
from workers.queue import Job, JobQueue


async def run_session(ctx: dict[str, Any], session_id: str, run: int | None = None) -> str:
    queue: JobQueue = ctx["queue"]
    return await lifecycle.run(session_id, run, queue, migrate)


async def migrate(db: AsyncSession, session: MigrationSession) -> lifecycle.Outcome:
    """The work of one run: extract, map and load until done or the chunk's time is up."""
    source = open_source(stored_endpoint(session, "source"))
    target = open_target(stored_endpoint(session, "target"))
    deadline = time.monotonic() + get_settings().chunk_seconds
    run = RunContext(db, session, source, target, deadline)
    try:
        await run_pipeline(run)
    finally:
        await source.aclose()
        await target.aclose()
    failed = await failed_count(run)
    return lifecycle.Outcome(
        SessionStatus.completed_with_errors if failed else SessionStatus.completed
    )


async def send_webhook(ctx: dict[str, Any], session_id: str) -> str:
    job_try = int(ctx.get("job_try", 1))
    status = await lifecycle.deliver_webhook(session_id, job_try)
    if status == "pending":
        raise Retry(defer=lifecycle.webhook_backoff(job_try))
    return status


async def sweep_sessions(ctx: dict[str, Any]) -> int:
    """Re-queue sessions that no run holds (killed workers, lost jobs)."""
    return await lifecycle.sweep(ctx["queue"])


JOBS: dict[str, Job] = {"run_session": run_session, "send_webhook": send_webhook}
