"""Undo: delete, in reverse dependency order, exactly what another session created: never what
it matched or reused, never users. Records edited in the target since Ferry last wrote them are
kept and listed, unless forced. The ledger is the checkpoint: each delete and the removal of its
link are committed together, so a resumed run (a crash, a hand-over) starts where the last
stopped, and a delete whose answer was lost is simply sent again (a second DELETE finds nothing).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.core.canonical import LOAD_ORDER, Entity
from adapters.core.protocols import TargetId
from app.ledger import service as ledger
from app.models import RecordLink, StagedRecord
from workers.pipeline.context import RunContext

UNDO_ORDER = tuple(e for e in reversed(LOAD_ORDER) if e is not Entity.users)
# Pipedrive's clock and ours differ a little: look for edits from a while before our writes,
# and allow a second between the time a write's answer gave and the one a list gives.
CLOCK_MARGIN = timedelta(minutes=5)
SAME_MOMENT = timedelta(seconds=1)


def undo_entities(entities: list[str]) -> list[Entity]:
    return [e for e in UNDO_ORDER if e.value in entities]


async def stage_created(ctx: RunContext, entity: Entity) -> None:
    """What the undone session created, as this session's records to delete (once)."""
    progress = await ctx.progress(entity.value)
    if progress.extract_done:
        return
    assert ctx.session.undoes is not None
    links = await ledger.created_by(ctx.db, ctx.session.undoes, entity)
    if links:
        rows: list[dict[str, object]] = [
            {
                "session_id": ctx.session.id,
                "entity": entity.value,
                "source_id": link.source_id,
                "raw": {},
                "canonical": {},
                "target_id": link.target_id,
                "state": "staged",
            }
            for link in links
        ]
        insert = pg_insert if ctx.db.get_bind().dialect.name == "postgresql" else sqlite_insert
        await ctx.db.execute(
            insert(StagedRecord)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["session_id", "entity", "source_id"])
        )
    progress.total = progress.extracted = len(links)
    progress.extract_done = True
    await ctx.db.commit()


async def delete_entity(ctx: RunContext, entity: Entity) -> None:
    progress = await ctx.progress(entity.value)
    if progress.load_done:
        return
    rows = list(
        (
            await ctx.db.execute(
                select(StagedRecord)
                .where(
                    StagedRecord.session_id == ctx.session.id,
                    StagedRecord.entity == entity.value,
                    StagedRecord.state == "staged",
                )
                .order_by(StagedRecord.id)
            )
        ).scalars()
    )
    links = await ledger.links(ctx.db, ctx.pair, entity, [r.source_id for r in rows])
    force = bool((ctx.session.options or {}).get("force"))
    current = {} if force else await _current_times(ctx, entity, list(links.values()))
    for row in rows:
        link = links.get(row.source_id)
        if link is not None and link.target_id in current and _edited(link, current):
            await _keep(ctx, row, link)
        elif link is not None and link.created_by == ctx.session.undoes:
            # False: it was gone already (a deal's products go with the deal)
            await ctx.target.delete(entity, link.target_id, link.parent_id)
            await ledger.forget(ctx.db, ctx.pair, entity, [row.source_id])
            row.state = "loaded"
            progress.deleted += 1
        else:
            row.state = "loaded"  # undone before (another undo of the same session)
        ctx.count_tokens()
        await ctx.db.commit()
        await ctx.checkpoint()
    progress.load_done = True
    await ctx.db.commit()


async def _current_times(
    ctx: RunContext, entity: Entity, links: list[RecordLink]
) -> dict[TargetId, str | None]:
    """The target's update times of the records to delete: one paged list read per entity."""
    if not links:
        return {}
    since = min(link.written_at for link in links) - CLOCK_MARGIN
    parents = frozenset(link.parent_id for link in links if link.parent_id is not None)
    ids = {link.target_id for link in links}
    return await ctx.target.updated_times(entity, ids, since, parents)


def _edited(link: RecordLink, current: dict[TargetId, str | None]) -> bool:
    now = ledger.moment(current.get(link.target_id))
    if now is None:
        return False
    written = ledger.moment(link.target_updated_at)
    if written is None:  # reconciled after a lost answer: only our own clock to go by
        return now > link.written_at + CLOCK_MARGIN
    return abs(now - written) > SAME_MOMENT


async def _keep(ctx: RunContext, row: StagedRecord, link: RecordLink) -> None:
    row.state = "skipped"
    (await ctx.progress(row.entity)).skipped += 1
    message = (
        f"Kept: Pipedrive record {link.target_id} was edited after Ferry wrote it. "
        'Undo with {"force": true} to delete it anyway.'
    )
    ctx.note(row.entity, row.source_id, "undo", "edited_in_target", message)
