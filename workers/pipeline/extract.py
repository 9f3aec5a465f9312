"""Extract: read each entity page by page and stage every record (raw + canonical)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.core.canonical import Entity
from adapters.core.protocols import Page
from app.models import StagedRecord
from workers.pipeline.context import RunContext
from workers.pipeline.limits import enforce_max_records


async def extract_entity(ctx: RunContext, entity: Entity) -> None:
    progress = await ctx.progress(entity.value)
    if progress.extract_done:
        return
    since = ctx.session.changed_since if entity is not Entity.users else None
    async for page in ctx.source.extract(entity, progress.extract_cursor, since=since):
        progress.extracted += await _stage(ctx, entity, page)
        for problem in page.problems:  # a record the source could not read: failed, said why
            ctx.note(entity.value, problem.source_id, "extract", problem.code, problem.message)
        progress.failed += len(page.problems)
        await enforce_max_records(ctx)  # fails the session before anything is loaded
        progress.extract_cursor = page.next_cursor
        await ctx.db.commit()  # checkpoint: a resumed run starts at the next page
        await ctx.checkpoint()
    progress.extract_done = True
    if progress.total is None:
        progress.total = progress.extracted  # the source gave no count: now we know it
    elif progress.total != progress.extracted:
        # Never rewritten to fit: the user is told the source's count and what was read.
        ctx.session.warnings = [
            *(ctx.session.warnings or []),
            f"{entity.value}: the source counted {progress.total} records, "
            f"{progress.extracted} were read",
        ]
    await ctx.db.commit()


async def _stage(ctx: RunContext, entity: Entity, page: Page) -> int:
    if not page.items:
        return 0
    rows: list[dict[str, Any]] = [
        {
            "session_id": ctx.session.id,
            "entity": entity.value,
            "source_id": item.record.source_id,
            "raw": item.raw,
            "canonical": item.record.model_dump(mode="json"),
            "state": "staged",
        }
        for item in page.items
    ]
    insert = pg_insert if ctx.db.get_bind().dialect.name == "postgresql" else sqlite_insert
    staged = 0
    for chunk in _chunks(rows):
        # A page read twice (a resumed run) stages nothing twice.
        statement = (
            insert(StagedRecord)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["session_id", "entity", "source_id"])
        )
        result = await ctx.db.execute(statement)
        staged += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return staged


CHUNK = 100


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rows in statements of 100, the rest in powers of two (64, 32, ... 1). Every count of
    rows in one INSERT is a statement of its own in SQLAlchemy's and the driver's caches, about
    50 KB each: pages of any length (a deal's products, an entity's last page) would fill them
    as a session goes on. These are eight statements whatever the pages."""
    chunks = [rows[i : i + CHUNK] for i in range(0, len(rows) - len(rows) % CHUNK, CHUNK)]
    rest = rows[len(rows) - len(rows) % CHUNK :]
    size = 64
    while rest:
        if len(rest) >= size:
            chunks.append(rest[:size])
            rest = rest[size:]
        size //= 2
    return chunks
