"""The record limit (FERRY_MAX_RECORDS), enforced as the source is read.

Counting a source before a session starts would read every page of any list whose vendor gives
no total, so only vendors' own totals are checked when a session is created
(app/sessions/service.py); records are counted while they are extracted, and a session that
reads past the limit fails there, before anything is loaded."""

from __future__ import annotations

from sqlalchemy import select

from adapters.core.canonical import Entity
from adapters.core.errors import TooManyRecords
from app.config import get_settings
from app.models import SessionEntity
from workers.pipeline.context import RunContext


async def enforce_max_records(ctx: RunContext) -> None:
    """Raise TooManyRecords once the records extracted so far (users aside: they are matched,
    not migrated) exceed the limit. Reads the progress rows as this run holds them, so a page
    just staged counts before it is committed."""
    limit = get_settings().max_records
    rows = await ctx.db.scalars(
        select(SessionEntity).where(
            SessionEntity.session_id == ctx.session.id,
            SessionEntity.entity != Entity.users.value,
        )
    )
    extracted = sum(row.extracted for row in rows)
    if extracted > limit:
        raise TooManyRecords(
            f"The source holds more records to migrate than this service's limit: {extracted} "
            f"were read, the limit is {limit}. Nothing was loaded. Migrate fewer entities, or "
            f"raise the limit (FERRY_MAX_RECORDS) and start a new session."
        )
