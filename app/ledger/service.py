"""The record ledger: which target record stands for which source record, between one source
account and one target company, across sessions. Full sessions skip what it links, deltas
compare against its fingerprints, merges add to it, undo takes from it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, cast, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.core.canonical import Entity
from adapters.core.protocols import ConnectionInfo, TargetId, Written
from app.db import utcnow
from app.models import MigrationSession, RecordLink

# Account fields that name the account itself (not the user), in the order they are tried. A
# vendor whose check names none is identified by its base URL: one per instance (SugarCRM), or
# one for all accounts on a host whose record ids are unique across accounts (Capsule, Zoho).
IDENTITY_KEYS = ("company_id", "organization_id", "portal_id", "instance_id", "account_id")

CREATED, MATCHED, REUSED = "created", "matched", "reused"


@dataclass(frozen=True)
class Pair:
    account_id: str
    source_key: str
    target_key: str


def endpoint_key(system: str, info: ConnectionInfo, base_url: str) -> str:
    identity = next(
        (str(info.account[k]) for k in IDENTITY_KEYS if info.account.get(k) not in (None, "")),
        base_url,
    )
    return f"{system}:{identity}"


def pair_of(session: MigrationSession) -> Pair:
    assert session.source_key and session.target_key
    return Pair(session.account_id, session.source_key, session.target_key)


def fingerprint(payload: dict[str, Any]) -> str:
    """What was written, in a form that changes when any written value changes."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _of(pair: Pair, entity: str) -> Any:
    return (
        (RecordLink.account_id == pair.account_id)
        & (RecordLink.source_key == pair.source_key)
        & (RecordLink.target_key == pair.target_key)
        & (RecordLink.entity == entity)
    )


async def links(
    db: AsyncSession, pair: Pair, entity: Entity, source_ids: Iterable[str]
) -> dict[str, RecordLink]:
    wanted = list(set(source_ids))
    if not wanted:
        return {}
    query = select(RecordLink).where(_of(pair, entity.value), RecordLink.source_id.in_(wanted))
    return {link.source_id: link for link in (await db.execute(query)).scalars()}


async def resolve(
    db: AsyncSession, pair: Pair, wanted: dict[str, set[str]]
) -> dict[tuple[str, str], TargetId]:
    """Target ids of linked records, by (entity, source id)."""
    found: dict[tuple[str, str], TargetId] = {}
    for entity, source_ids in wanted.items():
        query = select(RecordLink.source_id, RecordLink.target_id).where(
            _of(pair, entity), RecordLink.source_id.in_(list(source_ids))
        )
        for source_id, target_id in await db.execute(query):
            found[(entity, source_id)] = target_id
    return found


async def taken(db: AsyncSession, pair: Pair, entity: Entity) -> set[TargetId]:
    """Target ids that stand for some source record already: never matched or claimed again."""
    query = select(RecordLink.target_id).where(_of(pair, entity.value))
    return set((await db.execute(query)).scalars())


def record(
    db: AsyncSession,
    pair: Pair,
    session_id: str,
    entity: Entity,
    source_id: str,
    written: Written,
    *,
    origin: str,
    print_: str | None,
    existing: RecordLink | None = None,
    parent_id: int | None = None,
) -> RecordLink:
    """Add the link, or bring an existing one up to date after a write (same transaction as the
    staged record's new state, so the two never disagree)."""
    link = existing or RecordLink(
        account_id=pair.account_id,
        source_key=pair.source_key,
        target_key=pair.target_key,
        entity=entity.value,
        source_id=source_id,
        origin=origin,
        created_by=session_id,
    )
    link.target_id = written.id
    if parent_id is not None:
        link.parent_id = parent_id
    link.fingerprint = print_
    link.target_updated_at = written.updated_at
    link.written_by = session_id
    link.written_at = utcnow()
    if existing is None:
        db.add(link)
    return link


async def touch_wholes(
    db: AsyncSession, pair: Pair, parts: Entity, wholes: Entity, session_id: str
) -> None:
    """The records this session's `parts` live under (the deals of its line items) were
    changed by those writes, so the update time their own write's answer gave is stale: they
    are marked written now, with no answer to compare (undo then goes by Ferry's clock)."""
    # Target ids are text (a lead's is a UUID); the parents they are compared with, integers.
    parents = select(cast(RecordLink.parent_id, String)).where(
        _of(pair, parts.value), RecordLink.written_by == session_id
    )
    await db.execute(
        update(RecordLink)
        .where(_of(pair, wholes.value), RecordLink.target_id.in_(parents))
        .values(target_updated_at=None, written_at=utcnow())
    )


async def created_by(db: AsyncSession, session_id: str, entity: Entity) -> list[RecordLink]:
    query = (
        select(RecordLink)
        .where(
            RecordLink.created_by == session_id,
            RecordLink.entity == entity.value,
            RecordLink.origin == CREATED,
        )
        .order_by(RecordLink.id)
    )
    return list((await db.execute(query)).scalars())


async def forget(db: AsyncSession, pair: Pair, entity: Entity, source_ids: list[str]) -> None:
    """Undone records leave the ledger: a later full session creates them again."""
    if source_ids:
        await db.execute(
            delete(RecordLink).where(_of(pair, entity.value), RecordLink.source_id.in_(source_ids))
        )


async def linked_source_ids(db: AsyncSession, pair: Pair, entity: Entity) -> set[str]:
    query = select(RecordLink.source_id).where(_of(pair, entity.value))
    return set((await db.execute(query)).scalars())


async def baseline(db: AsyncSession, pair: Pair) -> MigrationSession | None:
    """The pair's last completed full or delta session: where a delta starts from. A sample
    is no baseline (what it left out has not arrived), and neither is anything before a
    completed undo (what it deleted would not come back unless it changed)."""
    last = (await db.execute(_completed(pair, ("full", "delta")).limit(1))).scalars().first()
    undo = (await db.execute(_completed(pair, ("undo",)).limit(1))).scalars().first()
    if last is None or (undo is not None and _started(undo) > _started(last)):
        return None
    return last


def _completed(pair: Pair, modes: tuple[str, ...]) -> Any:
    return (
        select(MigrationSession)
        .where(
            MigrationSession.account_id == pair.account_id,
            MigrationSession.source_key == pair.source_key,
            MigrationSession.target_key == pair.target_key,
            MigrationSession.mode.in_(modes),
            MigrationSession.status.in_(("completed", "completed_with_errors")),
        )
        .order_by(MigrationSession.created_at.desc())
    )


def _started(session: MigrationSession) -> datetime:
    return session.started_at or session.created_at


async def open_session(db: AsyncSession, pair: Pair) -> MigrationSession | None:
    """A session of the pair still running: two at once would both create the same records."""
    query = select(MigrationSession).where(
        MigrationSession.account_id == pair.account_id,
        MigrationSession.source_key == pair.source_key,
        MigrationSession.target_key == pair.target_key,
        MigrationSession.status.in_(("queued", "running")),
        MigrationSession.mode != "preview",
    )
    return (await db.execute(query.limit(1))).scalars().first()


def moment(value: str | None) -> datetime | None:
    """An RFC 3339 or Pipedrive v1 ("YYYY-MM-DD HH:MM:SS", UTC) time as an aware datetime."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
