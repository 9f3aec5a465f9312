"""Resuming a session that ended before its work was done: a new session of the same pair that
goes through the ledger, plus the writes the old one left in flight, to be settled first."""

from __future__ import annotations

from sqlalchemy import func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.models import MigrationSession, StagedRecord
from app.sessions.schemas import TERMINAL_STATUSES, WRITING_MODES, SessionStatus

RESUMABLE = frozenset(
    {SessionStatus.failed, SessionStatus.cancelled, SessionStatus.completed_with_errors}
)
# A write whose answer never came: the target may hold the record without the ledger knowing.
IN_FLIGHT = "pending"
CARRIED_COLUMNS = ("entity", "source_id", "raw", "canonical", "state", "action", "payload")


def check_resumable(session: MigrationSession) -> None:
    if session.mode not in WRITING_MODES or not session.source_key or not session.target_key:
        raise Conflict(
            f"A session of mode {session.mode} cannot be resumed; start it again instead.",
            code="not_resumable",
        )
    if session.status not in TERMINAL_STATUSES:
        raise Conflict(
            "The session is still running; wait for it to end (or cancel it), then resume it.",
            code="session_not_finished",
        )
    if SessionStatus(session.status) not in RESUMABLE:
        raise Conflict(
            "The session completed: nothing is left to resume. A delta session brings over "
            "what changed in the source since.",
            code="not_resumable",
        )


def continuation(resumed: MigrationSession) -> MigrationSession:
    """The new session: a full one (a sample resumes as full), or a delta from the same moment."""
    mode = "delta" if resumed.mode == "delta" else "full"
    return MigrationSession(
        account_id=resumed.account_id,
        mode=mode,
        resumes=resumed.id,
        source_key=resumed.source_key,
        target_key=resumed.target_key,
        changed_since=resumed.changed_since if mode == "delta" else None,
        source_system=resumed.source_system,
        source_base_url=resumed.source_base_url,
        source_credentials_enc=resumed.source_credentials_enc,  # still encrypted
        target_system=resumed.target_system,
        target_base_url=resumed.target_base_url,
        target_credentials_enc=resumed.target_credentials_enc,
        entities=list(resumed.entities),
        options={**(resumed.options or {}), "plan": mode, "sample": None},
        webhook_url=resumed.webhook_url,
    )


async def pending_counts(db: AsyncSession, session_id: str) -> dict[str, int]:
    """Per entity, the writes in flight when the session ended."""
    rows = await db.execute(
        select(StagedRecord.entity, func.count())
        .where(StagedRecord.session_id == session_id, StagedRecord.state == IN_FLIGHT)
        .group_by(StagedRecord.entity)
    )
    return {entity: int(count) for entity, count in rows.tuples()}


async def carry_pending(db: AsyncSession, old_id: str, new_id: str) -> None:
    """Stage the old session's writes in flight in the new one, still pending, so that its load
    looks for them in the target before writing them (as after a crash) instead of creating
    them again. Its extract then finds them staged and leaves them."""
    columns = [getattr(StagedRecord, name) for name in CARRIED_COLUMNS]
    await db.execute(
        insert(StagedRecord).from_select(
            ["session_id", *CARRIED_COLUMNS, "attempted_at"],
            select(literal(new_id), *columns, StagedRecord.attempted_at).where(
                StagedRecord.session_id == old_id, StagedRecord.state == IN_FLIGHT
            ),
        )
    )
