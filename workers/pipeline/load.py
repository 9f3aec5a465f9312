"""Load: create each staged record in the target, one request per record, in dependency order.
The target id is committed with the record's state, so a resumed run skips what exists.

A create whose outcome is unknown (its answer lost, a crash mid-batch) leaves its record
`pending`. Before the entity counts as loaded, and so before anything that links to it is sent,
pending records are reconciled against the target: found ones are loaded, absent ones are sent
again, ones that cannot be told apart are reported instead of guessed."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from adapters.core.canonical import LINK_FIELDS, Entity, parse_record
from adapters.core.errors import BudgetExhausted, RecordRejected, TransientError
from adapters.core.protocols import PendingWrite, TargetField
from app.db import utcnow
from app.models import RecordError, StagedRecord
from workers.pipeline.context import Cancelled, ChunkEnded, RunContext

BATCH = 50
# Rounds of send-then-reconcile in one run before the run gives up and is retried later: a
# target that loses every answer must not keep a worker forever.
MAX_ROUNDS = 6

Fields = dict[tuple[Entity, str], TargetField]


async def match_users(ctx: RunContext) -> None:
    """Users are matched by email to the target's users, never created."""
    progress = await ctx.progress(Entity.users.value)
    if progress.load_done:
        return
    by_email = {u.email.lower(): u.id for u in await ctx.target.users() if u.email}
    for row in await _rows(ctx, Entity.users, "staged", limit=None):
        email = (row.canonical.get("email") or "").lower()
        if email in by_email:
            row.state, row.target_id = "loaded", by_email[email]
            progress.loaded += 1
        else:  # their records go to the token's user
            row.state = "skipped"
            progress.skipped += 1
    progress.load_done = True
    await ctx.db.commit()


async def load_entity(ctx: RunContext, entity: Entity, fields: Fields, default_owner: int) -> None:
    progress = await ctx.progress(entity.value)
    if progress.load_done:
        return
    await _reconcile_pending(ctx, entity)  # what a crashed run may have created
    for _ in range(MAX_ROUNDS):
        while rows := await _rows(ctx, entity, "staged", limit=BATCH):
            prepared = await _prepare(ctx, entity, rows, fields, default_owner)
            await _send(ctx, entity, prepared)
        if not await _reconcile_pending(ctx, entity):
            progress.load_done = True
            await ctx.db.commit()
            return
    raise TransientError(
        f"{entity.value}: the target kept losing the answers to creates; trying again later"
    )


async def _rows(
    ctx: RunContext, entity: Entity, state: str, limit: int | None
) -> list[StagedRecord]:
    query = (
        select(StagedRecord)
        .where(
            StagedRecord.session_id == ctx.session.id,
            StagedRecord.entity == entity.value,
            StagedRecord.state == state,
        )
        .order_by(StagedRecord.id)
        .limit(limit)
    )
    return list((await ctx.db.execute(query)).scalars())


async def _prepare(
    ctx: RunContext, entity: Entity, rows: list[StagedRecord], fields: Fields, default_owner: int
) -> list[StagedRecord]:
    """Map a batch to target payloads and mark it pending in one commit: from here on a
    crash leaves the batch to be reconciled against the target, never re-created blindly."""
    links = await _resolve_links(ctx, rows)

    def resolve(linked: Entity, source_id: str | None) -> int | None:
        return links.get((linked.value, source_id)) if source_id else None

    prepared = []
    for row in rows:
        try:
            record = parse_record(entity, row.canonical)
            payload = ctx.target.build_payload(entity, record, resolve, fields, default_owner)
        except RecordRejected as exc:
            await _fail(ctx, row, "map", exc.code, exc.message)
            continue
        except (ValueError, KeyError, TypeError) as exc:
            await _fail(ctx, row, "map", "mapping_failed", str(exc))
            continue
        row.payload, row.state, row.attempted_at = payload, "pending", utcnow()
        prepared.append(row)
    await ctx.db.commit()
    return prepared


async def _resolve_links(ctx: RunContext, rows: list[StagedRecord]) -> dict[tuple[str, str], int]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for field, linked_entity in LINK_FIELDS.items():
            if value := row.canonical.get(field):
                wanted[linked_entity.value].add(str(value))
    links: dict[tuple[str, str], int] = {}
    for linked, source_ids in wanted.items():
        query = select(StagedRecord.source_id, StagedRecord.target_id).where(
            StagedRecord.session_id == ctx.session.id,
            StagedRecord.entity == linked,
            StagedRecord.state == "loaded",
            StagedRecord.source_id.in_(source_ids),
        )
        for source_id, target_id in await ctx.db.execute(query):
            if target_id is not None:
                links[(linked, source_id)] = target_id
    return links


async def _send(ctx: RunContext, entity: Entity, prepared: list[StagedRecord]) -> None:
    for index, row in enumerate(prepared):
        try:
            await _create(ctx, entity, row)
        except BudgetExhausted:
            await _unsend(ctx, prepared[index:])  # a 429 created nothing
            raise
        except Exception:
            await _unsend(ctx, prepared[index + 1 :])  # this one may or may not exist: reconcile
            raise
        try:
            await ctx.checkpoint()
        except (Cancelled, ChunkEnded):
            await _unsend(ctx, prepared[index + 1 :])
            raise


async def _create(ctx: RunContext, entity: Entity, row: StagedRecord) -> None:
    assert row.payload is not None
    try:
        target_id = await ctx.target.create(entity, row.payload)
    except RecordRejected as exc:
        await _fail(ctx, row, "load", exc.code, exc.message)
        await ctx.db.commit()
        return
    except TransientError:
        return  # sent, answer lost: stays pending until reconciled
    row.state, row.target_id = "loaded", target_id
    (await ctx.progress(entity.value)).loaded += 1
    await ctx.db.commit()


async def _unsend(ctx: RunContext, rows: list[StagedRecord]) -> None:
    for row in rows:
        row.state = "staged"
    await ctx.db.commit()


async def _reconcile_pending(ctx: RunContext, entity: Entity) -> int:
    """Settle records whose create may or may not have happened. Returns how many turned out
    absent and are staged to be sent again."""
    rows = await _rows(ctx, entity, "pending", limit=None)
    if not rows:
        return 0
    pending = [
        PendingWrite(row.source_id, row.payload or {}, row.attempted_at or utcnow()) for row in rows
    ]
    result = await ctx.target.reconcile(entity, pending, await _taken(ctx, entity))
    progress = await ctx.progress(entity.value)
    resend = 0
    for row in rows:
        if row.source_id in result.found:
            row.state, row.target_id = "loaded", result.found[row.source_id]
            progress.loaded += 1
        elif row.source_id in result.ambiguous:
            candidates = ", ".join(str(i) for i in result.ambiguous[row.source_id])
            message = (
                "The answer to its create was lost and several records in the target match it "
                f"exactly (ids {candidates}); none was claimed. Check them by hand."
            )
            await _fail(ctx, row, "load", "outcome_ambiguous", message)
        else:
            row.state = "staged"
            resend += 1
    await ctx.db.commit()
    return resend


async def _taken(ctx: RunContext, entity: Entity) -> set[int]:
    """Target ids already held by this session's records of the entity."""
    query = select(StagedRecord.target_id).where(
        StagedRecord.session_id == ctx.session.id,
        StagedRecord.entity == entity.value,
        StagedRecord.target_id.is_not(None),
    )
    return {int(i) for i in (await ctx.db.execute(query)).scalars() if i is not None}


async def _fail(ctx: RunContext, row: StagedRecord, stage: str, code: str, message: str) -> None:
    row.state = "failed"
    (await ctx.progress(row.entity)).failed += 1
    ctx.db.add(
        RecordError(
            session_id=ctx.session.id,
            entity=row.entity,
            source_id=row.source_id,
            stage=stage,
            code=code,
            message=message[:2000],
        )
    )
