"""A session's life, in one place: queued, claimed by a run, handed over, paused, retried,
cancelled, finished, announced by webhook. The API and the workers both call this module; the
workers only bring the work (`Work`), run here behind one error boundary, so that every session
ends or is retried whatever its run raises.

Who may touch a running session is decided by a lease in the database: a run claims the session
(only the current run number, only when no live lease is held), renews the lease every few seconds
while it works, and gives it up when it hands over or finishes. A worker killed with SIGKILL stops
renewing; once its lease has run out the sweep gives the session to another worker. Every change
of hands is a conditional UPDATE, so two runs never work on one session at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.core.errors import (
    AdapterError,
    BudgetExhausted,
    ConnectionFailed,
    TransientError,
    Unreachable,
)
from app.config import get_settings
from app.db import sessionmaker, utcnow
from app.errors import FerryError
from app.logs import session_event
from app.models import Account, MigrationSession, WebhookDelivery
from app.outbound import outbound_client
from app.security import decrypt_json, sign_webhook
from app.sessions.schemas import TERMINAL_STATUSES, SessionStatus
from app.sessions.views import session_out
from app.urls import check_outbound_url
from workers.pipeline.retention import EVERY_SECONDS, purge_staged
from workers.queue import JobQueue

log = logging.getLogger("ferry.sessions")

LEASE_SECONDS = 10.0  # how long a run may go unheard from before the session is given away
RENEW_SECONDS = 3.0
CANCEL_GRACE_SECONDS = 5.0  # a run stops by itself at its next checkpoint; past this it is stopped
MAX_RETRIES = 8  # transient failures in a row before the session fails
MAX_INTERNAL_RETRIES = 3  # unexpected errors (bugs, database trouble) in a row

OPEN_STATUSES = (SessionStatus.queued.value, SessionStatus.running.value)


class Cancelled(Exception):
    """The user asked the session to stop."""


class ChunkEnded(Exception):
    """This run has had its share of time: hand the session back to the queue."""


@dataclass
class Outcome:
    """What a run's work ended with when it did not raise: the final status."""

    status: SessionStatus


Work = Callable[[AsyncSession, MigrationSession], Awaitable[Outcome]]


def job_id(session_id: str, run: int) -> str:
    return f"session:{session_id}:{run}"


async def enqueue_run(queue: JobQueue, session: MigrationSession, defer: float = 0.0) -> None:
    """The job of the session's current run number; older numbers are stale and do nothing."""
    await queue.enqueue(
        "run_session",
        session.id,
        session.run_count,
        job_id=job_id(session.id, session.run_count),
        defer=defer,
    )


# --- running -------------------------------------------------------------------------------


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run(session_id: str, run_number: int | None, queue: JobQueue, work: Work) -> str:
    """One run of a session: claim it, do `work` while holding the lease, end or hand over."""
    owner = new_owner()
    async with sessionmaker()() as db:
        session = await db.get(MigrationSession, session_id)
        if session is None or session.status in TERMINAL_STATUSES:
            return "nothing to do"
        if run_number is not None and run_number != session.run_count:
            return "stale run"
        if session.paused_until and session.paused_until > utcnow():
            await hand_over(db, session, queue, at=session.paused_until)
            return "paused"
        first_run = session.started_at is None
        if not await _claim(db, session, owner):
            return "held by another run"
        if first_run:
            session_event("started", session)
        if session.cancel_requested:
            await finish(db, session, SessionStatus.cancelled, queue)
            return "cancelled"
        return await _run_holding_lease(db, session, queue, owner, work)


async def _claim(db: AsyncSession, session: MigrationSession, owner: str) -> bool:
    now = utcnow()
    claimed = await db.execute(
        update(MigrationSession)
        .where(
            MigrationSession.id == session.id,
            MigrationSession.status.in_(OPEN_STATUSES),
            MigrationSession.run_count == session.run_count,
            _lease_free(now),
        )
        .values(
            lease_owner=owner,
            lease_until=now + timedelta(seconds=LEASE_SECONDS),
            status=SessionStatus.running.value,
            started_at=session.started_at or now,
            paused_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    await db.commit()
    await db.refresh(session)
    return _rowcount(claimed) == 1


def _lease_free(now: datetime) -> Any:
    return or_(MigrationSession.lease_until.is_(None), MigrationSession.lease_until < now)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class _Keeper:
    """Why the lease keeper stopped the work, if it did."""

    reason: str | None = None


async def _run_holding_lease(
    db: AsyncSession, session: MigrationSession, queue: JobQueue, owner: str, work: Work
) -> str:
    keeper = _Keeper()
    task = asyncio.create_task(_guarded(db, session, queue, work))
    renewer = asyncio.create_task(_keep_lease(session.id, owner, task, keeper))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if keeper.reason is None:  # the queue stopped this job (shutdown): let it run again
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            raise
        return await _after_stopped(session.id, queue, keeper.reason)
    finally:
        renewer.cancel()
        with contextlib.suppress(BaseException):
            await renewer
        await _release(session.id, owner)


async def _keep_lease(
    session_id: str, owner: str, task: asyncio.Task[str], keeper: _Keeper
) -> None:
    """Renew the lease while the work runs; stop the work if the lease was lost or if a cancel
    was asked for and the work did not stop by itself within the grace period."""
    cancel_seen: float | None = None
    loop = asyncio.get_running_loop()
    while not task.done():
        await asyncio.sleep(RENEW_SECONDS)
        try:
            cancel = await _renew(session_id, owner)
        except Exception:  # noqa: BLE001 - a database hiccup: try again at the next beat
            log.warning("session %s: lease renewal failed", session_id, exc_info=True)
            continue
        if cancel is None:
            keeper.reason = "lease lost"
        elif cancel:
            cancel_seen = cancel_seen or loop.time()
            if loop.time() - cancel_seen >= CANCEL_GRACE_SECONDS:
                keeper.reason = "cancelled"
        if keeper.reason:
            task.cancel()
            return


async def _renew(session_id: str, owner: str) -> bool | None:
    """Extends the lease; returns the cancel flag, or None when the lease is no longer ours."""
    async with sessionmaker()() as db:
        result = await db.execute(
            update(MigrationSession)
            .where(MigrationSession.id == session_id, MigrationSession.lease_owner == owner)
            .values(lease_until=utcnow() + timedelta(seconds=LEASE_SECONDS))
            .execution_options(synchronize_session=False)
        )
        flag = await db.scalar(
            select(MigrationSession.cancel_requested).where(MigrationSession.id == session_id)
        )
        await db.commit()
    return bool(flag) if _rowcount(result) == 1 else None


async def _release(session_id: str, owner: str) -> None:
    with contextlib.suppress(Exception):  # an unreleased lease simply runs out
        async with sessionmaker()() as db:
            await db.execute(
                update(MigrationSession)
                .where(MigrationSession.id == session_id, MigrationSession.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )
            await db.commit()


async def _after_stopped(session_id: str, queue: JobQueue, reason: str) -> str:
    """The keeper stopped the work: end a cancelled session; a lost lease is another run's."""
    if reason != "cancelled":
        return reason
    async with sessionmaker()() as db:
        session = await db.get(MigrationSession, session_id)
        if session is not None and session.status not in TERMINAL_STATUSES:
            await finish(db, session, SessionStatus.cancelled, queue)
    return "cancelled"


async def _guarded(db: AsyncSession, session: MigrationSession, queue: JobQueue, work: Work) -> str:
    """The error boundary: whatever the work raises, the session ends, pauses or is retried."""
    try:
        outcome = await work(db, session)
    except Cancelled:
        await finish(db, session, SessionStatus.cancelled, queue)
        return "cancelled"
    except ChunkEnded:
        session.retry_count = 0  # a run that worked until its deadline made progress
        if await hand_over(db, session, queue):
            session_event("handed_over", session, run=session.run_count)
        return "handed over"
    except BudgetExhausted as exc:
        if await hand_over(db, session, queue, at=exc.resume_at):
            session_event("paused", session, until=exc.resume_at, code=exc.code)
        return "paused until the budget resets"
    except (TransientError, Unreachable) as exc:
        await db.rollback()
        return await _retry_or_fail(db, session, queue, exc.code, exc.message, MAX_RETRIES)
    except (ConnectionFailed, AdapterError) as exc:
        await fail(db, session, queue, exc.code, exc.message)
        return "failed"
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a bug or the database: logged whole, retried a few times
        log.exception("session %s: unexpected error", session.id)
        await db.rollback()
        message = f"Unexpected error in the migration run ({type(exc).__name__})."
        return await _retry_or_fail(
            db, session, queue, "internal_error", message, MAX_INTERNAL_RETRIES
        )
    await finish(db, session, outcome.status, queue)
    return outcome.status.value


async def _retry_or_fail(
    db: AsyncSession,
    session: MigrationSession,
    queue: JobQueue,
    code: str,
    message: str,
    limit: int,
) -> str:
    await db.refresh(session)
    session.retry_count += 1
    if session.retry_count > limit:
        await fail(db, session, queue, code, f"{message} (gave up after {limit} retries)")
        return "failed"
    backoff = min(2.0**session.retry_count, 60.0)
    session_event("retrying", session, code=code, attempt=session.retry_count, wait=backoff)
    await hand_over(db, session, queue, at=datetime.now(UTC) + timedelta(seconds=backoff))
    return "retrying"


# --- changing hands ------------------------------------------------------------------------


async def hand_over(
    db: AsyncSession,
    session: MigrationSession,
    queue: JobQueue,
    at: datetime | None = None,
    *,
    unheld_only: bool = False,
) -> bool:
    """Give the session to its next run (now or at `at`): only from the current run number,
    so that of two runs trying at once one wins, and with `unheld_only` (the sweep) only while
    no live run holds the lease, checked in the same statement: a run that claimed the session
    a moment ago keeps it. Returns whether this call handed it over."""
    current = session.run_count
    conditions = [MigrationSession.id == session.id, MigrationSession.run_count == current]
    if unheld_only:
        conditions.append(_lease_free(utcnow()))
    moved = await db.execute(
        update(MigrationSession)
        .where(*conditions)
        .values(
            run_count=current + 1,
            lease_owner=None,
            lease_until=None,
            retry_count=session.retry_count,
            paused_until=at if at and at > utcnow() else None,
        )
        .execution_options(synchronize_session=False)
    )
    await db.commit()
    await db.refresh(session)
    if _rowcount(moved) != 1:
        return False
    defer = max(0.0, (at - datetime.now(UTC)).total_seconds()) if at else 0.0
    await enqueue_run(queue, session, defer=defer)
    return True


async def finish(
    db: AsyncSession,
    session: MigrationSession,
    status: SessionStatus,
    queue: JobQueue,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
) -> None:
    session.status = status.value
    session.phase = None
    session.paused_until = None
    session.lease_owner = None
    session.lease_until = None
    session.finished_at = utcnow()
    if error_code:
        session.error_code = error_code
        session.error_message = error_message
    if session.webhook_url:
        session.webhook_status = "pending"
    await db.commit()
    event = "failed" if status is SessionStatus.failed else "finished"
    session_event(event, session, status=status.value, code=error_code, tokens=session.tokens_spent)
    if session.webhook_url:
        await queue.enqueue("send_webhook", session.id, job_id=f"webhook:{session.id}")


async def fail(
    db: AsyncSession, session: MigrationSession, queue: JobQueue, code: str, message: str
) -> None:
    await finish(
        db, session, SessionStatus.failed, queue, error_code=code, error_message=message[:2000]
    )


async def cancel(db: AsyncSession, session: MigrationSession, queue: JobQueue) -> None:
    """Ask the session to stop. One that no run holds ends here and now; one that a run holds
    is stopped by that run at its next checkpoint, or by its lease keeper shortly after."""
    session.cancel_requested = True
    await db.commit()
    session_event("cancel_requested", session)
    await _end_cancelled(db, session, queue)


async def _end_cancelled(db: AsyncSession, session: MigrationSession, queue: JobQueue) -> None:
    """End a cancel-requested session here, unless a live run holds it (that run ends it)."""
    now = utcnow()
    ended = await db.execute(
        update(MigrationSession)
        .where(
            MigrationSession.id == session.id,
            MigrationSession.status.in_(OPEN_STATUSES),
            _lease_free(now),
        )
        .values(status=SessionStatus.cancelled.value)
        .execution_options(synchronize_session=False)
    )
    await db.commit()
    await db.refresh(session)
    if _rowcount(ended) == 1:
        await finish(db, session, SessionStatus.cancelled, queue)


# --- the webhook ---------------------------------------------------------------------------


async def deliver_webhook(session_id: str, job_try: int) -> str:
    """POST the finished session to its webhook, signed. Returns "delivered", "failed" (tries
    used up) or "pending" (the caller retries later, see `webhook_backoff`)."""
    settings = get_settings()
    async with sessionmaker()() as db:
        session = await db.get(MigrationSession, session_id)
        if session is None or not session.webhook_url or session.webhook_status != "pending":
            return "nothing to send"
        account = await db.get(Account, session.account_id)
        assert account is not None
        body = json.dumps(
            {
                "event": "session.finished",
                "session": (await session_out(db, session)).model_dump(mode="json"),
            }
        ).encode()
        attempt = await _post_signed(
            session.webhook_url, body, decrypt_json(account.webhook_secret_enc)
        )
        session.webhook_attempts += 1
        delivered = attempt.delivered
        db.add(attempt.row(session.id, session.webhook_attempts))
        if delivered:
            session.webhook_status = "delivered"
        elif job_try >= settings.webhook_max_tries:
            session.webhook_status = "failed"
        await db.commit()
        return session.webhook_status or ""


def webhook_backoff(job_try: int) -> float:
    return float(min(get_settings().webhook_backoff_seconds * 2 ** (job_try - 1), 3600))


@dataclass
class _Attempt:
    """What one delivery attempt came to, as the session's delivery list shows it."""

    at: datetime
    seconds: float
    status_code: int | None = None
    error: str | None = None  # never the URL or the body: they may hold secrets

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def row(self, session_id: str, number: int) -> WebhookDelivery:
        return WebhookDelivery(
            session_id=session_id,
            attempt=number,
            attempted_at=self.at,
            status_code=self.status_code,
            error=self.error,
            duration_ms=round(self.seconds * 1000),
            delivered=self.delivered,
        )


def _failure(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.HTTPError):
        return f"no answer ({type(exc).__name__})"
    if isinstance(exc, FerryError):
        return f"refused: {exc.code}"
    return f"failed: {getattr(exc, 'code', type(exc).__name__)}"


async def _post_signed(url: str, body: bytes, secret: str) -> _Attempt:
    headers = {
        "content-type": "application/json",
        "user-agent": "Ferry-Webhook/1",
        "ferry-signature": sign_webhook(secret, int(time.time()), body),
    }
    attempt = _Attempt(at=utcnow(), seconds=0.0)
    started = time.monotonic()
    try:
        # Checked again now (the host may resolve elsewhere), and at connect time by the client.
        await check_outbound_url(url, field="webhook_url")
        async with outbound_client(timeout=get_settings().webhook_timeout) as client:
            response = await client.post(url, content=body, headers=headers)
    except (httpx.HTTPError, FerryError, AdapterError) as exc:
        log.info("webhook delivery failed: %s", type(exc).__name__)
        attempt.error = _failure(exc)
    else:
        attempt.status_code = response.status_code
    attempt.seconds = time.monotonic() - started
    return attempt


# --- the sweep -----------------------------------------------------------------------------


async def sweep(queue: JobQueue) -> int:
    """Give every open session that nothing works on to a new run: its lease ran out (a killed
    worker) or it never had one, and no job of its current run is waiting in the queue.
    Returns how many sessions were re-queued."""
    now = utcnow()
    async with sessionmaker()() as db:
        rows = await db.execute(
            select(MigrationSession).where(
                MigrationSession.status.in_(OPEN_STATUSES),
                _lease_free(now),
                or_(MigrationSession.paused_until.is_(None), MigrationSession.paused_until < now),
                # Untouched for a lease's length: a job just handed the session is given time
                # to be picked up and claim it before the session counts as orphaned.
                MigrationSession.updated_at < now - timedelta(seconds=LEASE_SECONDS),
            )
        )
        requeued = 0
        for session in rows.scalars():
            if session.cancel_requested:
                await _end_cancelled(db, session, queue)  # no run to hand it to is needed
                continue
            if await queue.is_waiting(job_id(session.id, session.run_count)):
                continue
            if await hand_over(db, session, queue, unheld_only=True):
                session_event("requeued", session, reason="no run holds it")
                requeued += 1
        await _requeue_webhooks(db, queue, now)
        return requeued


async def _requeue_webhooks(db: AsyncSession, queue: JobQueue, now: datetime) -> None:
    """A webhook whose job was lost (a worker killed between finishing and enqueueing)."""
    rows = await db.execute(
        select(MigrationSession.id).where(
            MigrationSession.webhook_status == "pending",
            MigrationSession.finished_at < now - timedelta(seconds=30),
        )
    )
    for session_id in rows.scalars():
        webhook_job = f"webhook:{session_id}"
        if not await queue.is_waiting(webhook_job):
            await queue.enqueue("send_webhook", session_id, job_id=webhook_job)


async def sweep_forever(queue: JobQueue, every: float = 5.0) -> None:
    """Embedded mode's sweep (distributed mode runs `sweep` as an arq cron job), which also
    purges staged rows past retention at start and hourly (the workers' cron elsewhere)."""
    purged_at = -EVERY_SECONDS
    while True:
        try:
            await sweep(queue)
            if time.monotonic() - purged_at >= EVERY_SECONDS:
                purged_at = time.monotonic()
                await purge_staged()
        except Exception:  # noqa: BLE001 - the next round tries again
            log.warning("sweep failed", exc_info=True)
        await asyncio.sleep(every)
