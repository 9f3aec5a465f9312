"""Load: write each staged record to the target, one request per record, in dependency order,
many requests in flight at once (see `_Sender`). The target id is committed with the record's
state and its ledger link, so a resumed run, or a later session of the same pair, skips what
exists.

Per record, against the ledger: linked and unchanged (same fingerprint) is left alone; linked
and changed is updated with one PATCH; not linked is matched to a record the target already
holds (merge), else created.

A create whose outcome is unknown (its answer lost, a crash mid-batch) leaves its record
`pending`. Before the entity counts as loaded, and so before anything that links to it is sent,
pending records are reconciled against the target: found ones are loaded, absent ones are sent
again, ones that cannot be told apart are reported instead of guessed."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from adapters.core.canonical import LINK_FIELDS, LIST_LINK_FIELDS, Entity, parse_record
from adapters.core.errors import AdapterError, BudgetExhausted, RecordRejected, TransientError
from adapters.core.protocols import (
    MergeCandidate,
    PendingWrite,
    TargetField,
    TargetId,
    Written,
)
from app.config import get_settings
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
# Answers are committed BATCH at a time, or at least this often: progress stays live when the
# target is slow.
COMMIT_SECONDS = 1.0

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
        # The next batch is prepared while the last writes of the one before are in flight.
        async with _Sender(ctx, entity) as sender:
            while rows := await _rows(ctx, entity, "staged", limit=BATCH):
                await sender.send(await _prepare(ctx, entity, rows, fields, default_owner))
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
    the writes pending (committed by the sender before any is sent): from there on a crash
    leaves the batch to be reconciled against the target, never re-created blindly."""
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


# Sending: many writes in flight, answers applied by one loop ------------------------------


@dataclass
class _Answer:
    """What came of one write, applied to the database by the loop that sent it (the database
    session is never touched from the tasks that wait on the target)."""

    row: StagedRecord
    key: Any = None  # its sequence (see `_sequence`)
    written: Written | None = None
    refused: AdapterError | None = None  # the target (or the source of a file) said no
    stop: BaseException | None = None  # ends the loading: budget spent, credentials refused...
    unsent: bool = False  # nothing was written: back to staged
    # None of these: the answer was lost, the record stays pending until reconciled


class _Sender:
    """Sends an entity's prepared writes concurrently: up to FERRY_MAX_IN_FLIGHT at once (each
    request still paced by the target's rate limiter), so a target that takes 100-300 ms to
    answer still sees its window used. Its answers are written to the database in batches (see
    COMMIT_SECONDS), not one commit per record: a crash between an answer and the commit holding it leaves that
    record `pending`, and the reconciliation finds it in the target (correct, only slower than
    had it been committed). Used as `async with`: leaving waits for what is in flight and
    commits it, so a stop (budget, cancel, chunk end, a fatal error) leaves every record either
    written and linked, pending, or staged, never sent twice."""

    def __init__(self, ctx: RunContext, entity: Entity) -> None:
        self.ctx, self.entity = ctx, entity
        self.limit = files.IN_FLIGHT if entity is Entity.files else get_settings().max_in_flight
        self.in_flight: set[asyncio.Task[_Answer]] = set()
        self.last_of: dict[Any, asyncio.Task[_Answer]] = {}  # the latest write of a sequence
        self.links: dict[str, RecordLink] = {}  # of the updates and fills in flight
        self.stop: BaseException | None = None
        self.uncommitted, self.committed_at = 0, time.monotonic()

    async def __aenter__(self) -> _Sender:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: Any, tb: Any) -> None:
        if kind is not None and not issubclass(kind, Exception):  # the job itself is cancelled
            for task in self.in_flight:
                task.cancel()  # their records stay pending: reconciled by the next run
            return
        while self.in_flight:
            await self._take_answers()
        await self.ctx.db.commit()
        if kind is None and self.stop is not None:
            raise self.stop

    async def send(self, rows: list[StagedRecord]) -> None:
        """Launch these writes (marked pending: committed here, before any is sent), waiting
        for answers whenever the bound is reached."""
        await self._commit()
        self.links.update(await self._links_of(rows))
        for index, row in enumerate(rows):
            while len(self.in_flight) >= self.limit and self.stop is None:
                await self._take_answers()
            if self.stop is not None:
                await _unsend(self.ctx, rows[index:])
                raise self.stop
            self._launch(row)

    def _launch(self, row: StagedRecord) -> None:
        key = _sequence(self.entity, row)
        after = self.last_of.get(key) if key is not None else None
        task = asyncio.create_task(self._write(row, key, after))
        self.in_flight.add(task)
        if key is not None:
            self.last_of[key] = task

    async def _write(
        self, row: StagedRecord, key: Any, after: asyncio.Task[_Answer] | None
    ) -> _Answer:
        if after is not None:  # the one before it in its sequence is answered first
            await asyncio.wait([after])
            if self.stop is not None:
                return _Answer(row, key, unsent=True)
        try:
            return _Answer(row, key, written=await _call(self.ctx, self.entity, row))
        except (RecordRejected, files.NotRead) as exc:
            return _Answer(row, key, refused=exc)
        except TransientError:
            return _Answer(row, key)  # sent, answer lost: pending until reconciled
        except BudgetExhausted as exc:  # a 429 wrote nothing (or the file was not read)
            return _Answer(row, key, stop=exc, unsent=True)
        except Exception as exc:  # this one may or may not exist: reconciled
            return _Answer(row, key, stop=exc)

    async def _take_answers(self) -> None:
        done, self.in_flight = await asyncio.wait(
            self.in_flight, return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            answer = task.result()
            if answer.key is not None and self.last_of.get(answer.key) is task:
                del self.last_of[answer.key]
            await self._apply(answer)
        self.uncommitted += len(done)
        if self.uncommitted >= BATCH or time.monotonic() - self.committed_at >= COMMIT_SECONDS:
            await self._commit()
        try:
            await self.ctx.checkpoint()
        except (Cancelled, ChunkEnded) as exc:
            self.stop = self.stop or exc

    async def _apply(self, answer: _Answer) -> None:
        ctx, row = self.ctx, answer.row
        if answer.stop is not None:
            self.stop = self.stop or answer.stop
        if answer.unsent:
            await _unsend(ctx, [row], commit=False)
        elif answer.refused is not None:
            await _fail(ctx, row, "load", answer.refused.code, answer.refused.message)
        elif answer.written is not None:
            await self._written(row, answer.written)

    async def _written(self, row: StagedRecord, written: Written) -> None:
        ctx, entity = self.ctx, self.entity
        if row.action == CREATE:
            origin = ledger.REUSED if written.reused else ledger.CREATED
            _link(ctx, entity, row, written, origin, None)
            await _settle(ctx, row, written.id, "matched" if written.reused else "created")
            return
        link = self.links.pop(row.source_id)
        if row.action == UPDATE:
            _link(ctx, entity, row, written, link.origin, link)
            await _settle(ctx, row, written.id, "updated")
        else:  # the match was counted already; the link keeps the full payload's fingerprint
            link.target_updated_at = written.updated_at
            row.state = "loaded"

    async def _links_of(self, rows: list[StagedRecord]) -> dict[str, RecordLink]:
        """The links updates and fills bring up to date: one query per batch."""
        ids = [r.source_id for r in rows if r.action != CREATE]
        return await ledger.links(self.ctx.db, self.ctx.pair, self.entity, ids) if ids else {}

    async def _commit(self) -> None:
        self.ctx.count_tokens()
        await self.ctx.db.commit()
        self.uncommitted, self.committed_at = 0, time.monotonic()


def _sequence(entity: Entity, row: StagedRecord) -> Any:
    """Writes whose order the target keeps go one after another: pipelines (their order, and a
    name met twice reused rather than made twice), a pipeline's stages (the same), a deal's
    line items. None: no order to keep, sent as soon as there is room."""
    payload = row.payload or {}
    if entity is Entity.pipelines:
        return "pipelines"
    if entity is Entity.stages:
        return ("stages", payload.get("pipeline_id"))
    if entity is Entity.deal_products:
        return ("deal", payload.get("deal_id"))
    return None


async def _call(ctx: RunContext, entity: Entity, row: StagedRecord) -> Written:
    """The one request of a write (a file: its download from the source, then its upload)."""
    assert row.payload is not None
    if row.action != CREATE:  # an update (the source record changed) or a fill: idempotent
        assert row.target_id is not None
        return await ctx.target.update(entity, row.target_id, row.payload)
    if entity is Entity.files:
        return await files.carry(ctx, row)
    return await ctx.target.create(entity, row.payload)


async def _unsend(ctx: RunContext, rows: list[StagedRecord], commit: bool = True) -> None:
    """Writes that were not sent go back to staged."""
    for row in rows:
        if row.action == FILL:
            continue  # already linked and counted: only its fill is outstanding
        row.state = "staged"
    if commit:
        await ctx.db.commit()


async def _reconcile_pending(ctx: RunContext, entity: Entity) -> int:
    """Settle writes whose outcome is unknown. Updates and fills are sent again (idempotent);
    creates are looked for in the target. Returns how many creates turned out absent and are
    staged to be sent again."""
    rows = await _rows(ctx, entity, "pending", limit=None)
    repeatable = [r for r in rows if r.action in (UPDATE, FILL)]
    if repeatable:
        async with _Sender(ctx, entity) as sender:
            await sender.send(repeatable)
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
