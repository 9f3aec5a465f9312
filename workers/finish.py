"""Ending a session: final status, timestamps, and the webhook enqueued after commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.models import MigrationSession
from app.sessions.schemas import SessionStatus
from workers.queue import JobQueue


async def finish_session(
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
    session.finished_at = utcnow()
    if error_code:
        session.error_code = error_code
        session.error_message = error_message
    if session.webhook_url:
        session.webhook_status = "pending"
    await db.commit()
    if session.webhook_url:
        await queue.enqueue("send_webhook", session.id, job_id=f"webhook:{session.id}")
