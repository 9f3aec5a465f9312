"""Job functions, shared by the arq worker and the in-process runner of embedded mode.
Jobs may run more than once: each one starts by reading where the session stands."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from arq import Retry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.core.errors import BudgetExhausted, ConnectionFailed
from adapters.core.registry import get_system
from app.config import get_settings
from app.connections.service import Endpoint, open_source, open_target
from app.db import sessionmaker, utcnow
from app.errors import FerryError
from app.models import Account, MigrationSession
from app.security import decrypt_json, sign_webhook
from app.sessions.schemas import TERMINAL_STATUSES, SessionStatus
from app.sessions.service import enqueue_run, session_out
from app.urls import check_outbound_url
from workers.finish import finish_session
from workers.pipeline.context import Cancelled, ChunkEnded, RunContext
from workers.pipeline.run import failed_count, run_pipeline
from workers.queue import JobQueue

log = logging.getLogger("ferry.jobs")


async def run_session(ctx: dict[str, Any], session_id: str) -> str:
    queue: JobQueue = ctx["queue"]
    async with sessionmaker()() as db:
        session = await db.get(MigrationSession, session_id)
        if session is None or session.status in TERMINAL_STATUSES:
            return "nothing to do"
        if session.cancel_requested:
            await finish_session(db, session, SessionStatus.cancelled, queue)
            return "cancelled"
        if session.paused_until and session.paused_until > utcnow():
            await _hand_over(db, session, queue, session.paused_until)
            return "paused"
        session.status = SessionStatus.running.value
        session.started_at = session.started_at or utcnow()
        session.paused_until = None
        await db.commit()
        return await _run(db, session, queue)


async def _run(db: AsyncSession, session: MigrationSession, queue: JobQueue) -> str:
    source = open_source(_endpoint(session, "source"))
    target = open_target(_endpoint(session, "target"))
    deadline = time.monotonic() + get_settings().chunk_seconds
    run = RunContext(db, session, source, target, deadline)
    try:
        await run_pipeline(run)
    except Cancelled:
        await finish_session(db, session, SessionStatus.cancelled, queue)
        return "cancelled"
    except ChunkEnded:
        await _hand_over(db, session, queue)
        return "handed over"
    except BudgetExhausted as exc:
        session.paused_until = exc.resume_at
        await _hand_over(db, session, queue, exc.resume_at)
        return "paused until the budget resets"
    except ConnectionFailed as exc:
        await finish_session(
            db, session, SessionStatus.failed, queue, error_code=exc.code, error_message=exc.message
        )
        return "failed"
    finally:
        await source.aclose()
        await target.aclose()
    status = (
        SessionStatus.completed_with_errors if await failed_count(run) else SessionStatus.completed
    )
    await finish_session(db, session, status, queue)
    return status.value


def _endpoint(session: MigrationSession, role: str) -> Endpoint:
    system = get_system(getattr(session, f"{role}_system"))
    assert system is not None
    credentials = decrypt_json(getattr(session, f"{role}_credentials_enc"))
    return Endpoint(system, credentials, getattr(session, f"{role}_base_url"))


async def _hand_over(
    db: AsyncSession, session: MigrationSession, queue: JobQueue, at: datetime | None = None
) -> None:
    """Queue the next run of this session (a new job id: this job's id is still taken)."""
    session.run_count += 1
    await db.commit()
    defer = max(0.0, (at - datetime.now(UTC)).total_seconds()) if at else 0.0
    await enqueue_run(queue, session, defer=defer)


async def send_webhook(ctx: dict[str, Any], session_id: str) -> str:
    settings = get_settings()
    async with sessionmaker()() as db:
        session = await db.get(MigrationSession, session_id)
        if session is None or not session.webhook_url or session.webhook_status == "delivered":
            return "nothing to send"
        account = await db.get(Account, session.account_id)
        assert account is not None
        body = json.dumps(
            {
                "event": "session.finished",
                "session": (await session_out(db, session)).model_dump(mode="json"),
            }
        ).encode()
        delivered = await _post_signed(
            session.webhook_url, body, decrypt_json(account.webhook_secret_enc)
        )
        session.webhook_attempts += 1
        job_try = int(ctx.get("job_try", 1))
        if delivered:
            session.webhook_status = "delivered"
        elif job_try >= settings.webhook_max_tries:
            session.webhook_status = "failed"
        await db.commit()
        if session.webhook_status == "pending":
            raise Retry(defer=min(settings.webhook_backoff_seconds * 2 ** (job_try - 1), 3600))
        return session.webhook_status or ""


async def _post_signed(url: str, body: bytes, secret: str) -> bool:
    headers = {
        "content-type": "application/json",
        "user-agent": "Ferry-Webhook/1",
        "ferry-signature": sign_webhook(secret, int(time.time()), body),
    }
    try:
        await check_outbound_url(url, field="webhook_url")  # the host may resolve elsewhere now
        async with httpx.AsyncClient(timeout=get_settings().webhook_timeout) as client:
            response = await client.post(url, content=body, headers=headers)
    except (httpx.HTTPError, FerryError) as exc:
        log.info("webhook delivery failed: %s", type(exc).__name__)
        return False
    return response.is_success


async def resume_unfinished(queue: JobQueue) -> None:
    """Embedded mode has no durable queue: on start, pick up what the last process left."""
    async with sessionmaker()() as db:
        rows = await db.execute(
            select(MigrationSession).where(
                MigrationSession.status.in_(
                    [SessionStatus.queued.value, SessionStatus.running.value]
                )
            )
        )
        sessions = list(rows.scalars())
        pending_hooks = await db.execute(
            select(MigrationSession.id).where(MigrationSession.webhook_status == "pending")
        )
        hook_ids = list(pending_hooks.scalars())
    for session in sessions:
        await enqueue_run(queue, session)
    for session_id in hook_ids:
        await queue.enqueue("send_webhook", session_id, job_id=f"webhook:{session_id}")


JOBS = {"run_session": run_session, "send_webhook": send_webhook}
