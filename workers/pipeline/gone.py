"""Records the ledger links that the source no longer has. They are reported, never deleted in
the target. Only an entity read in full can tell: a changed-since read does not list the
records that did not change."""

from __future__ import annotations

from sqlalchemy import select

from adapters.core.canonical import Entity
from app.ledger import service as ledger
from app.models import StagedRecord
from workers.pipeline.context import RunContext

LISTED = 200  # gone records listed one by one in the session's errors; the count says the rest


async def note_gone(ctx: RunContext, entity: Entity) -> None:
    progress = await ctx.progress(entity.value)
    if progress.gone is not None or not progress.extract_done:
        return
    if ctx.session.changed_since is not None and ctx.source.reads_changes(entity):
        return  # unknown: stays None
    read = await ctx.db.execute(
        select(StagedRecord.source_id).where(
            StagedRecord.session_id == ctx.session.id, StagedRecord.entity == entity.value
        )
    )
    gone = sorted(await ledger.linked_source_ids(ctx.db, ctx.pair, entity) - set(read.scalars()))
    for source_id in gone[:LISTED]:
        message = "No longer in the source; its Pipedrive record is left as it is."
        ctx.note(entity.value, source_id, "extract", "gone_from_source", message)
    progress.gone = len(gone)
    await ctx.db.commit()
