"""Sessions as the API shows them. Lists load every session's progress in one query."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.models import MigrationSession, SessionEntity
from app.sessions import progress as estimate
from app.sessions.preview_schemas import PreviewReport
from app.sessions.schemas import (
    EntityProgress,
    FieldMapEntry,
    MergeOptions,
    SampleOptions,
    SessionErrorSummary,
    SessionMode,
    SessionOptions,
    SessionOut,
    SessionStatus,
    SystemRef,
)

OPTION_KEYS = frozenset(SessionOptions.model_fields)
COUNTS = ("created", "updated", "matched", "unchanged", "deleted", "gone")


async def session_out(db: AsyncSession, session: MigrationSession) -> SessionOut:
    return (await sessions_out(db, [session]))[0]


async def sessions_out(db: AsyncSession, sessions: list[MigrationSession]) -> list[SessionOut]:
    if not sessions:
        return []
    rows = await db.execute(
        select(SessionEntity)
        .where(SessionEntity.session_id.in_([s.id for s in sessions]))
        .order_by(SessionEntity.session_id, SessionEntity.position)
    )
    entities: dict[str, list[SessionEntity]] = defaultdict(list)
    for row in rows.scalars():
        entities[row.session_id].append(row)
    return [_out(session, entities[session.id]) for session in sessions]


def _entity_progress(row: SessionEntity, writing: bool) -> EntityProgress:
    return EntityProgress(
        total=row.total,
        extracted=row.extracted,
        loaded=row.loaded,
        skipped=row.skipped,
        failed=row.failed,
        percent=estimate.entity_percent(row, writing),
        **{name: getattr(row, name) for name in COUNTS},
    )


def _out(session: MigrationSession, rows: list[SessionEntity]) -> SessionOut:
    writing = estimate.writes(session)
    progress = {row.entity: _entity_progress(row, writing) for row in rows}
    percent = estimate.session_percent(session, rows)
    error = (
        SessionErrorSummary(code=session.error_code, message=session.error_message or "")
        if session.error_code
        else None
    )
    options = session.options or {}
    sample, merge = options.get("sample"), options.get("merge")
    return SessionOut(
        id=session.id,
        status=SessionStatus(session.status),
        mode=SessionMode(session.mode),
        undoes=session.undoes,
        resumes=session.resumes,
        sample=SampleOptions(**sample) if sample else None,
        merge=MergeOptions(**merge) if merge else None,
        tokens_spent=session.tokens_spent,
        rate_limited=session.rate_limited or 0,
        report=PreviewReport.model_validate(session.report) if session.report else None,
        phase=session.phase,
        warnings=list(session.warnings or []),
        source=SystemRef(system=session.source_system, base_url=session.source_base_url),
        target=SystemRef(system=session.target_system, base_url=session.target_base_url),
        entities=session.entities,
        options=SessionOptions(**{k: v for k, v in options.items() if k in OPTION_KEYS}),
        webhook_url=session.webhook_url,
        webhook_status=session.webhook_status,
        progress=progress,
        percent=percent,
        eta=estimate.eta(session, percent, utcnow(), rows),
        field_map=[FieldMapEntry(**entry) for entry in session.field_map]
        if session.field_map is not None
        else None,
        error=error,
        cancel_requested=session.cancel_requested,
        paused_until=session.paused_until,
        created_at=session.created_at,
        started_at=session.started_at,
        finished_at=session.finished_at,
    )
