"""Migration sessions: create (check, store, commit, then enqueue), read, cancel."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.core.canonical import LOAD_ORDER, Entity
from adapters.core.errors import ConnectionFailed
from adapters.core.protocols import ConnectionInfo
from app.config import get_settings
from app.connections import service as connections
from app.errors import Conflict, FerryError, NotFound, Unprocessable
from app.ledger import service as ledger
from app.logs import session_event
from app.models import Account, MigrationSession, RecordError, SessionEntity, WebhookDelivery
from app.security import encrypt_json
from app.sessions import lifecycle, resume
from app.sessions.mapping import resolve_mapping
from app.sessions.schemas import (
    TERMINAL_STATUSES,
    WRITING_MODES,
    MergeOptions,
    SampleOptions,
    SessionCreate,
    UndoRequest,
)
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
# A delta reads from a while before its baseline started: the source's clock and ours differ,
# and what is read twice is compared by fingerprint and left alone.
DELTA_MARGIN = timedelta(minutes=5)


async def create_session(
    db: AsyncSession, account: Account, body: SessionCreate, queue: JobQueue, preview: bool = False
) -> MigrationSession:
    """With `preview`, a session of mode preview that reads and reports what `body` would do."""
    mapping = body.options.mapping
    columns = mapping.columns if mapping else None
    source = await connections.resolve_endpoint(
        body.source, "source", account_id=account.id, columns=columns
    )
    target = await connections.resolve_endpoint(body.target, "target", account_id=account.id)
    if body.webhook_url:
        await check_outbound_url(body.webhook_url, field="webhook_url")
    if body.sample is not None and body.mode != "sample":
        raise Unprocessable("`sample` goes with mode sample.", code="sample_without_sample_mode")
    entities = _entities(body.entities, source.system.entities)
    source_info = await _checked(source, "source")
    target_info = await _checked(target, "target")
    _enforce_max_records(source_info.counts, entities)
    pair = ledger.Pair(
        account.id,
        ledger.endpoint_key(source.system.id, source_info, source.base_url),
        ledger.endpoint_key(target.system.id, target_info, target.base_url),
    )
    if pair.source_key == pair.target_key:  # it would copy every record onto itself
        raise Unprocessable(
            f"The source and the target are the same company ({pair.source_key}); "
            "give a target that is another company.",
            code="same_company",
        )
    if not preview:  # a preview writes nothing, so it may run beside a session of the pair
        await _refuse_busy(db, pair)
    changed_since = await _delta_start(db, pair) if body.mode == "delta" else None

    session = MigrationSession(
        account_id=account.id,
        mode="preview" if preview else body.mode,
        source_key=pair.source_key,
        target_key=pair.target_key,
        changed_since=changed_since,
        source_system=source.system.id,
        source_base_url=source.base_url,
        source_credentials_enc=encrypt_json(source.credentials),
        target_system=target.system.id,
        target_base_url=target.base_url,
        target_credentials_enc=encrypt_json(target.credentials),
        entities=[e.value for e in entities],
        options=_options(body),
        webhook_url=body.webhook_url,
    )
    await resolve_mapping(session, body.options.mapping, source, target)  # 422 on a wrong name
    # A delta's count is what changed, known once read; the vendor's totals count everything.
    counts = {} if body.mode == "delta" else source_info.counts
    await _store(db, session, entities, counts)
    session_event("created", session)
    await lifecycle.enqueue_run(queue, session)
    return session


async def _store(
    db: AsyncSession,
    session: MigrationSession,
    entities: list[Entity],
    counts: dict[str, int],
    carried: dict[str, int] | None = None,
) -> None:
    """With `carried` (a resume), the resumed session's writes in flight are staged too."""
    db.add(session)
    await db.flush()
    for position, entity in enumerate(entities):
        db.add(
            SessionEntity(
                session_id=session.id,
                entity=entity.value,
                position=position,
                total=counts.get(entity.value),
                extracted=(carried or {}).get(entity.value, 0),
            )
        )
    if carried and session.resumes:
        await db.flush()
        await resume.carry_pending(db, session.resumes, session.id)
    try:
        await db.commit()  # commit first: a job must never see a session that is not there
    except IntegrityError:  # another session of the pair was stored in the meantime
        await db.rollback()
        raise Conflict(
            "Another session between the same source account and Pipedrive company has just "
            "started; wait for it to end before starting another.",
            code="pair_busy",
        ) from None


def _options(body: SessionCreate) -> dict[str, object]:
    merge = MergeOptions() if body.merge is True else body.merge or None
    sample = body.sample or SampleOptions() if body.mode == "sample" else None
    return {
        **body.options.model_dump(),
        "plan": body.mode,  # what a preview previews; the mode itself otherwise
        "merge": merge.model_dump() if merge else None,
        "sample": sample.model_dump() if sample else None,
    }


async def _refuse_busy(db: AsyncSession, pair: ledger.Pair) -> None:
    running = await ledger.open_session(db, pair)
    if running is not None:
        raise Conflict(
            f"Session {running.id} between the same source account and Pipedrive company is "
            "still running; wait for it to end (or cancel it) before starting another.",
            code="pair_busy",
            details={"session_id": running.id},
        )


async def _delta_start(db: AsyncSession, pair: ledger.Pair) -> datetime:
    base = await ledger.baseline(db, pair)
    if base is None:
        raise Conflict(
            "A delta brings over what changed since the last completed full or delta session "
            "between this source account and this Pipedrive company, and there is none (or an "
            "undo came after it). Run a full session first.",
            code="no_baseline",
        )
    return (base.started_at or base.created_at) - DELTA_MARGIN


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


async def _checked(endpoint: connections.Endpoint, role: connections.Role) -> ConnectionInfo:
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


def errors_query(
    session_id: str, entity: str | None = None, code: str | None = None, after: int | None = None
) -> Select[RecordError]:
    """A session's record errors in id order (a keyset: `after` the last id seen)."""
    query = select(RecordError).where(RecordError.session_id == session_id)
    if entity is not None:
        query = query.where(RecordError.entity == entity)
    if code is not None:
        query = query.where(RecordError.code == code)
    if after is not None:
        query = query.where(RecordError.id > after)
    return query.order_by(RecordError.id)


async def list_errors(
    db: AsyncSession,
    account: Account,
    session_id: str,
    limit: int,
    after: int | None,
    entity: str | None = None,
    code: str | None = None,
) -> tuple[list[RecordError], str | None]:
    await get_session(db, account, session_id)
    query = errors_query(session_id, entity, code, after)
    rows = list((await db.execute(query.limit(limit + 1))).scalars())
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def undo_session(
    db: AsyncSession, account: Account, session_id: str, body: UndoRequest, queue: JobQueue
) -> MigrationSession:
    """A session of mode undo that deletes what `session_id` created."""
    undone = await get_session(db, account, session_id)
    if undone.mode not in WRITING_MODES or not undone.source_key or not undone.target_key:
        raise Unprocessable(
            f"A session of mode {undone.mode} created nothing to undo.", code="nothing_to_undo"
        )
    if undone.status not in TERMINAL_STATUSES:
        raise Conflict(
            "The session is still running; cancel it or wait for it to end, then undo it.",
            code="session_running",
        )
    await _refuse_busy(db, ledger.pair_of(undone))
    await _checked(connections.stored_endpoint(undone, "target"), "target")
    session = MigrationSession(
        account_id=account.id,
        mode="undo",
        undoes=undone.id,
        source_key=undone.source_key,
        target_key=undone.target_key,
        source_system=undone.source_system,
        source_base_url=undone.source_base_url,
        source_credentials_enc=undone.source_credentials_enc,
        target_system=undone.target_system,
        target_base_url=undone.target_base_url,
        target_credentials_enc=undone.target_credentials_enc,
        entities=[e for e in undone.entities if e != Entity.users.value],
        options={"force": body.force, "merge": None, "sample": None},
        webhook_url=undone.webhook_url,
    )
    entities = [Entity(e) for e in reversed(session.entities)]
    await _store(db, session, entities, {})
    session_event("created", session, undoes=undone.id)
    await lifecycle.enqueue_run(queue, session)
    return session


async def resume_session(
    db: AsyncSession, account: Account, session_id: str, queue: JobQueue
) -> MigrationSession:
    """A new session that finishes what `session_id` left undone: the same source, target
    (credentials as stored), entities, options and webhook. It goes through the ledger, so
    nothing the resumed session linked is created again."""
    resumed = await get_session(db, account, session_id)
    resume.check_resumable(resumed)
    await _refuse_busy(db, ledger.pair_of(resumed))
    source_info = await _checked(connections.stored_endpoint(resumed, "source"), "source")
    await _checked(connections.stored_endpoint(resumed, "target"), "target")
    entities = [Entity(e) for e in resumed.entities]
    _enforce_max_records(source_info.counts, entities)
    session = resume.continuation(resumed)
    counts = {} if session.mode == "delta" else source_info.counts
    carried = await resume.pending_counts(db, resumed.id)
    await _store(db, session, entities, counts, carried)
    await lifecycle.enqueue_run(queue, session)
    return session


async def list_webhook_deliveries(
    db: AsyncSession, account: Account, session_id: str
) -> list[WebhookDelivery]:
    """Every attempt, oldest first (at most FERRY_WEBHOOK_MAX_TRIES per session)."""
    await get_session(db, account, session_id)
    rows = await db.execute(
        select(WebhookDelivery)
        .where(WebhookDelivery.session_id == session_id)
        .order_by(WebhookDelivery.id)
    )
    return list(rows.scalars())
