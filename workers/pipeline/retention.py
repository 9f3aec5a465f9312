"""Retention: the staged rows of finished sessions (each source record's raw and canonical JSON,
about 2 KB a record) are deleted once the session ended more than FERRY_RETENTION_DAYS ago.

What a user still needs of an old session stays: the session with its progress, warnings and
field map, its record errors, its webhook deliveries, and the ledger (app/ledger), which is all
that later sessions of the pair and an undo read. Rows still `pending` (a write whose answer
never came) stay too: a resume of the session settles them against the target first."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from app.config import get_settings
from app.db import sessionmaker, utcnow
from app.models import MigrationSession, StagedRecord
from app.sessions.schemas import TERMINAL_STATUSES

log = logging.getLogger(__name__)

BATCH = 5_000  # rows per DELETE: short transactions, never one lock over millions of rows
KEPT_STATES = ("pending",)
# How often the embedded sweep and the workers' cron look for rows to purge.
EVERY_SECONDS = 3600.0


async def purge_staged(now: datetime | None = None) -> int:
    """Deletes the staged rows past retention; returns how many went."""
    cutoff = (now or utcnow()) - timedelta(days=get_settings().retention_days)
    expired = select(MigrationSession.id).where(
        MigrationSession.status.in_(TERMINAL_STATUSES), MigrationSession.finished_at < cutoff
    )
    batch = (
        select(StagedRecord.id)
        .where(StagedRecord.session_id.in_(expired), StagedRecord.state.not_in(KEPT_STATES))
        .limit(BATCH)
    )
    purged = 0
    async with sessionmaker()() as db:
        while True:
            result = await db.execute(delete(StagedRecord).where(StagedRecord.id.in_(batch)))
            await db.commit()
            deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
            purged += deleted
            if deleted < BATCH:
                break
    if purged:
        log.info("purged %d staged records of sessions finished before %s", purged, cutoff)
    return purged


async def purge_job(ctx: dict[str, object]) -> int:
    """The workers' hourly cron job (and once at every worker's start)."""
    return await purge_staged()
