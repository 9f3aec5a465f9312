"""Load: write each staged record to the target, one request per record, in dependency order.
The target id is committed with the record's state and its ledger link, so a resumed run, or a
later session of the same pair, skips what exists.

Per record, against the ledger: linked and unchanged (same fingerprint) is left alone; linked
and changed is updated with one PATCH; not linked is matched to a record the target already
holds (merge), else created.

A create whose outcome is unknown (its answer lost, a crash mid-batch) leaves its record
`pending`. Before the entity counts as loaded, and so before anything that links to it is sent,
pending records are reconciled against the target: found ones are loaded, absent ones are sent
again, ones that cannot be told apart are reported instead of guessed."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from adapters.core.canonical import LINK_FIELDS, LIST_LINK_FIELDS, Entity, parse_record
from adapters.core.errors import BudgetExhausted, RecordRejected, TransientError
from adapters.core.protocols import (
    MergeCandidate,
    PendingWrite,
    TargetField,
    TargetId,
    Written,
)
from app.db import utcnow
from app.ledger import service as ledger
from app.models import RecordLink, StagedRecord
from workers.pipeline import files, overrides
from workers.pipeline.context import Cancelled, ChunkEnded, RunContext

BATCH = 50
# Rounds of send-then-reconcile in one run before the run gives up and is retried later: a
# target that loses every answer must not keep a worker forever.
MAX_ROUNDS = 6
CREATE, UPDATE, FILL = "create", "update", "fill"  # what a pending record's write is

Fields = dict[tuple[Entity, str], TargetField]


async def match_users(ctx: RunContext, owners: dict[str, str] | None = None) -> None:
    """Users are matched by e-mail to the target's users (or as `owners` maps them), never
    created; their links are `reused` setup."""
    progress = await ctx.progress(Entity.users.value)
    if progress.load_done:
        return
    by_email = {u.email.lower(): u.id for u in await ctx.target.users() if u.email}
    owners = {k.lower(): v.lower() for k, v in (owners or {}).items()}
    rows = await _rows(ctx, Entity.users, "staged", limit=None)
    known = await ledger.links(ctx.db, ctx.pair, Entity.users, [r.source_id for r in rows])
    for row in rows:
        email = (row.canonical.get("email") or "").lower()
        target_id = by_email.get(owners.get(email, email))
        if target_id is None:  # their records go to the default owner
            row.state = "skipped"
            progress.skipped += 1
            continue
        row.state, row.target_id = "loaded", target_id
        progress.loaded += 1
        progress.matched += 1
        ledger.record(
            ctx.db, ctx.pair, ctx.session.id, Entity.users, row.source_id, Written(target_id),
            origin=ledger.REUSED, print_=None, existing=known.get(row.source_id),
        )  # fmt: skip
    progress.load_done = True
    await ctx.db.commit()


async def load_entity(ctx: RunContext, entity: Entity, fields: Fields, default_owner: int) -> None:
    progress = await ctx.progress(entity.value)
    if progress.load_done:
        return
    await _reconcile_pending(ctx, entity)  # what a crashed run may have written
    for _ in range(MAX_ROUNDS):
        while rows := await _rows(ctx, entity, "staged", limit=BATCH):
            prepared = await _prepare(ctx, entity, rows, fields, default_owner)
            await _send(ctx, entity, prepared)
        if not await _reconcile_pending(ctx, entity):
            if entity in WHOLES:  # Pipedrive re-stamps a deal when its products change
                await ledger.touch_wholes(ctx.db, ctx.pair, entity, WHOLES[entity], ctx.session.id)
            progress.load_done = True
            await ctx.db.commit()
            return
    raise TransientError(
        f"{entity.value}: the target kept losing the answers to creates; trying again later"
    )


# Records that live under another (a deal's products): writing them changes the whole too.
WHOLES = {Entity.deal_products: Entity.deals}


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
    """Map a batch to target payloads, decide each record's write against the ledger, and mark
    the writes pending in one commit: from here on a crash leaves the batch to be reconciled
    against the target, never re-created blindly."""
    links = await ledger.resolve(ctx.db, ctx.pair, _wanted_links(rows))
    await ctx.target.ensure_labels(
        entity, {n for r in rows for n in r.canonical.get("labels") or []}
    )

    def resolve(linked: Entity, source_id: str | None) -> TargetId | None:
        return links.get((linked.value, source_id)) if source_id else None

    known = await ledger.links(ctx.db, ctx.pair, entity, [r.source_id for r in rows])
    writes: list[StagedRecord] = []
    new: list[StagedRecord] = []
    for row in rows:
        if (mapped := overrides.mapped_stage(ctx, row, known)) is not None:  # never created
            _link(ctx, entity, row, Written(mapped), ledger.REUSED, known.get(row.source_id))
            await _settle(ctx, row, mapped, "matched")
            continue
        try:
            record = parse_record(entity, row.canonical)
            payload = ctx.target.build_payload(entity, record, resolve, fields, default_owner)
        except RecordRejected as exc:
            await _fail(ctx, row, "map", exc.code, exc.message)
            continue
        except (ValueError, KeyError, TypeError) as exc:
            await _fail(ctx, row, "map", "mapping_failed", str(exc))
            continue
        row.payload = payload
        link = known.get(row.source_id)
        if link is None:
            new.append(row)
        elif link.fingerprint == ledger.fingerprint(payload) or link.origin == ledger.REUSED:
            await _settle(ctx, row, link.target_id, "unchanged")
        else:
            _pend(row, UPDATE, link.target_id)
            writes.append(row)
    writes += await _merge(ctx, entity, new)
    await ctx.db.commit()
    return writes


def _wanted_links(rows: list[StagedRecord]) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for field, linked_entity in LINK_FIELDS.items():
            if value := row.canonical.get(field):
                wanted[linked_entity.value].add(str(value))
        for field, linked_entity in LIST_LINK_FIELDS.items():
            wanted[linked_entity.value].update(str(v) for v in row.canonical.get(field) or [])
    return wanted


def _pend(row: StagedRecord, action: str, target_id: TargetId | None = None) -> None:
    row.state, row.action, row.attempted_at = "pending", action, utcnow()
    row.target_id = target_id


async def _merge(ctx: RunContext, entity: Entity, rows: list[StagedRecord]) -> list[StagedRecord]:
    """Records not linked yet: link the ones the target already holds (filling their empty
    fields when asked), create the rest."""
    merge = ctx.merge
    matched = {}
    if merge is not None and rows:
        candidates = [MergeCandidate(r.source_id, r.payload or {}) for r in rows]
        matched = await ctx.target.match(entity, candidates, await ctx.taken(entity))
    writes = []
    for row in rows:
        found = matched.get(row.source_id)
        if found is None:
            _pend(row, CREATE)
            writes.append(row)
            continue
        (await ctx.taken(entity)).add(found.id)
        _link(ctx, entity, row, Written(found.id), ledger.MATCHED, None)
        await _settle(ctx, row, found.id, "matched")
        if merge and merge.get("fill_empty") and found.fill:
            _pend(row, FILL, found.id)
            row.payload = found.fill
            writes.append(row)
    return writes


async def _settle(ctx: RunContext, row: StagedRecord, target_id: TargetId, outcome: str) -> None:
    """The record is in the target: count how it got there."""
    row.state, row.target_id = "loaded", target_id
    progress = await ctx.progress(row.entity)
    progress.loaded += 1
    setattr(progress, outcome, getattr(progress, outcome) + 1)


def _link(
    ctx: RunContext,
    entity: Entity,
    row: StagedRecord,
    written: Written,
    origin: str,
    existing: RecordLink | None,
) -> None:
    print_ = ledger.fingerprint(row.payload) if row.payload is not None else None
    parent = ctx.target.parent_of(entity, row.payload) if row.payload is not None else None
    ledger.record(
        ctx.db, ctx.pair, ctx.session.id, entity, row.source_id, written,
        origin=origin, print_=print_, existing=existing, parent_id=parent,
    )  # fmt: skip


async def _send(ctx: RunContext, entity: Entity, prepared: list[StagedRecord]) -> None:
    for index, row in enumerate(prepared):
        try:
            await (_create if row.action == CREATE else _update)(ctx, entity, row)
        except BudgetExhausted:
            await _unsend(ctx, prepared[index:])  # a 429 wrote nothing
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
        if entity is Entity.files:
            written = await files.carry(ctx, row)
        else:
            written = await ctx.target.create(entity, row.payload)
    except files.NotRead as exc:  # nothing was sent
        await _fail(ctx, row, "load", exc.code, exc.message)
        await ctx.db.commit()
        return
    except RecordRejected as exc:
        await _fail(ctx, row, "load", exc.code, exc.message)
        await ctx.db.commit()
        return
    except TransientError:
        return  # sent, answer lost: stays pending until reconciled
    origin = ledger.REUSED if written.reused else ledger.CREATED
    _link(ctx, entity, row, written, origin, None)
    await _settle(ctx, row, written.id, "matched" if written.reused else "created")
    ctx.count_tokens()
    await ctx.db.commit()


async def _update(ctx: RunContext, entity: Entity, row: StagedRecord) -> None:
    """An update (the source record changed) or a fill (empty fields of a matched record).
    Both are idempotent: a lost answer is sent again."""
    assert row.payload is not None and row.target_id is not None
    try:
        written = await ctx.target.update(entity, row.target_id, row.payload)
    except RecordRejected as exc:
        await _fail(ctx, row, "load", exc.code, exc.message)
        await ctx.db.commit()
        return
    except TransientError:
        return  # stays pending: sent again before the entity is done
    link = (await ledger.links(ctx.db, ctx.pair, entity, [row.source_id]))[row.source_id]
    if row.action == UPDATE:
        _link(ctx, entity, row, written, link.origin, link)
        await _settle(ctx, row, written.id, "updated")
    else:  # the match was counted already; the link keeps the full payload's fingerprint
        link.target_updated_at = written.updated_at
        row.state = "loaded"
    ctx.count_tokens()
    await ctx.db.commit()


async def _unsend(ctx: RunContext, rows: list[StagedRecord]) -> None:
    for row in rows:
        if row.action == FILL:
            continue  # already linked and counted: only its fill is outstanding
        row.state = "staged"
    await ctx.db.commit()


async def _reconcile_pending(ctx: RunContext, entity: Entity) -> int:
    """Settle writes whose outcome is unknown. Updates and fills are sent again (idempotent);
    creates are looked for in the target. Returns how many creates turned out absent and are
    staged to be sent again."""
    rows = await _rows(ctx, entity, "pending", limit=None)
    repeatable = [r for r in rows if r.action in (UPDATE, FILL)]
    if repeatable:
        await _send(ctx, entity, repeatable)
    creates = [r for r in rows if r.action not in (UPDATE, FILL)]
    if not creates:
        return 0
    pending = [
        PendingWrite(row.source_id, row.payload or {}, row.attempted_at or utcnow())
        for row in creates
    ]
    result = await ctx.target.reconcile(entity, pending, await ctx.taken(entity))
    resend = 0
    for row in creates:
        if row.source_id in result.found:
            target_id = result.found[row.source_id]
            (await ctx.taken(entity)).add(target_id)
            _link(ctx, entity, row, Written(target_id), ledger.CREATED, None)
            await _settle(ctx, row, target_id, "created")
        elif row.source_id in result.ambiguous:
            await _fail(ctx, row, "load", "outcome_ambiguous", _ambiguous(result.ambiguous, row))
        else:
            row.state = "staged"
            resend += 1
    await ctx.db.commit()
    return resend


def _ambiguous(candidates: dict[str, list[TargetId]], row: StagedRecord) -> str:
    ids = ", ".join(str(i) for i in candidates[row.source_id])
    return (
        "The answer to its create was lost and several records in the target match it "
        f"exactly (ids {ids}); none was claimed. Check them by hand."
    )


async def _fail(ctx: RunContext, row: StagedRecord, stage: str, code: str, message: str) -> None:
    row.state = "failed"
    (await ctx.progress(row.entity)).failed += 1
    ctx.note(row.entity, row.source_id, stage, code, message)
