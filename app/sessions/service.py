"""Migration sessions: create (check, store, commit, then enqueue), read, cancel."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.core.canonical import LOAD_ORDER, Entity
from adapters.core.errors import ConnectionFailed
from app.config import get_settings
from app.connections import service as connections
from app.errors import Conflict, FerryError, NotFound, Unprocessable
from app.models import Account, MigrationSession, RecordError, SessionEntity
from app.security import encrypt_json
from app.sessions import lifecycle
from app.sessions.schemas import TERMINAL_STATUSES, SessionCreate
from app.sessions.views import session_out, sessions_out
from app.urls import check_outbound_url
from workers.queue import JobQueue

__all__ = ["session_out", "sessions_out"]


VENDOR_SIDE_CODES = frozenset(
    {
        "unreachable",
        "transient_error",
        "unreadable_response",
        "invalid_response",
        "connection_failed",
    }
)


async def create_session(
    db: AsyncSession, account: Account, body: SessionCreate, queue: JobQueue
) -> MigrationSession:
    source = await connections.resolve_endpoint(body.source, "source")
    target = await connections.resolve_endpoint(body.target, "target")
    if body.webhook_url:
        await check_outbound_url(body.webhook_url, field="webhook_url")
    entities = _entities(body.entities, source.system.entities)
    source_info = await _checked(source, "source")
    await _checked(target, "target")
    _enforce_max_records(source_info.counts, entities)

    session = MigrationSession(
        account_id=account.id,
        source_system=source.system.id,
        source_base_url=source.base_url,
        source_credentials_enc=encrypt_json(source.credentials),
        target_system=target.system.id,
        target_base_url=target.base_url,
        target_credentials_enc=encrypt_json(target.credentials),
        entities=[e.value for e in entities],
        options=body.options.model_dump(),
        webhook_url=body.webhook_url,
    )
    db.add(session)
    await db.flush()
    for position, entity in enumerate(entities):
        db.add(
            SessionEntity(
                session_id=session.id,
                entity=entity.value,
                position=position,
                total=source_info.counts.get(entity.value),
            )
        )
    await db.commit()  # commit first: a job must never see a session that is not there
    await lifecycle.enqueue_run(queue, session)
    return session


def _entities(requested: list[Entity] | None, offered: tuple[Entity, ...]) -> list[Entity]:
    wanted = set(requested or offered) | {Entity.users}  # users are read to map owners
    unsupported = sorted(e.value for e in wanted - set(offered))
    if unsupported:
        raise Unprocessable(
            f"The source does not offer: {', '.join(unsupported)}.",
            code="unsupported_entities",
            details={"entities": unsupported},
        )
    return [e for e in LOAD_ORDER if e in wanted]


async def _checked(endpoint: connections.Endpoint, role: connections.Role):  # type: ignore[no-untyped-def]
    try:
        return await connections.check(endpoint, role)
    except ConnectionFailed as exc:
        # The vendor's fault (down, answering garbage) is a bad gateway; the user's a 422.
        status = 502 if exc.code in VENDOR_SIDE_CODES else 422
        raise FerryError(
            f"The {role} connection failed: {exc.message}",
            code=f"{role}_{exc.code}",
            status_code=status,
            details={"role": role, "system": endpoint.system.id},
        ) from None


def _enforce_max_records(counts: dict[str, int], entities: list[Entity]) -> None:
    limit = get_settings().max_records
    total = sum(counts.get(e.value, 0) for e in entities if e is not Entity.users)
    if total > limit:
        raise Unprocessable(
            f"The source holds {total} records to migrate, above this service's limit of "
            f"{limit} (FERRY_MAX_RECORDS). Migrate fewer entities or raise the limit.",
            code="too_many_records",
            details={"records": total, "limit": limit},
        )


async def get_session(db: AsyncSession, account: Account, session_id: str) -> MigrationSession:
    session = await db.get(MigrationSession, session_id)
    if session is None or session.account_id != account.id:
        raise NotFound(f"No session {session_id}.", code="session_not_found")
    return session


async def list_sessions(
    db: AsyncSession, account: Account, limit: int, cursor: str | None
) -> tuple[list[MigrationSession], str | None]:
    query = select(MigrationSession).where(MigrationSession.account_id == account.id)
    if cursor:
        created_at, last_id = _decode_cursor(cursor)
        query = query.where(
            or_(
                MigrationSession.created_at < created_at,
                and_(MigrationSession.created_at == created_at, MigrationSession.id < last_id),
            )
        )
    query = query.order_by(MigrationSession.created_at.desc(), MigrationSession.id.desc())
    rows = list((await db.execute(query.limit(limit + 1))).scalars())
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def _encode_cursor(session: MigrationSession) -> str:
    raw = f"{session.created_at.isoformat()}|{session.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    invalid = Unprocessable("The cursor is not valid.", code="invalid_cursor")
    try:
        created_at, last_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        moment = datetime.fromisoformat(created_at)
        # A cursor is ours only if it could have come from us: an aware UTC time, a clean id.
        moment.astimezone(UTC)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    if moment.tzinfo is None or "\x00" in last_id or len(last_id) > 36:
        raise invalid
    return moment, last_id


async def cancel_session(
    db: AsyncSession, account: Account, session_id: str, queue: JobQueue
) -> MigrationSession:
    session = await get_session(db, account, session_id)
    if session.status in TERMINAL_STATUSES:
        raise Conflict(
            f"The session has already ended ({session.status}).", code="session_finished"
        )
    await lifecycle.cancel(db, session, queue)
    return session


async def list_errors(
    db: AsyncSession, account: Account, session_id: str, limit: int, after: int | None
) -> tuple[list[RecordError], str | None]:
    await get_session(db, account, session_id)
    query = select(RecordError).where(RecordError.session_id == session_id)
    if after is not None:
        query = query.where(RecordError.id > after)
    rows = list((await db.execute(query.order_by(RecordError.id).limit(limit + 1))).scalars())
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
