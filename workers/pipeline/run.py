"""The extract -> map -> load pipeline of one session run."""

from __future__ import annotations

from sqlalchemy import func, select

from adapters.core.canonical import CUSTOM_FIELD_ENTITIES, Entity
from app.models import SessionEntity
from workers.pipeline.context import RunContext
from workers.pipeline.extract import extract_entity
from workers.pipeline.load import Fields, load_entity, match_users


def _entities(ctx: RunContext) -> list[Entity]:
    return [Entity(e) for e in ctx.session.entities]


async def run_pipeline(ctx: RunContext) -> None:
    """Idempotent: every step skips what an earlier run of the same session finished."""
    entities = _entities(ctx)
    await _set_phase(ctx, "extract")
    for entity in entities:
        await extract_entity(ctx, entity)
    await _set_phase(ctx, "load")
    await match_users(ctx)
    fields = await _custom_fields(ctx, entities)
    default_owner = (await ctx.target.me()).id
    for entity in entities:
        if entity is not Entity.users:
            await load_entity(ctx, entity, fields, default_owner)


async def _set_phase(ctx: RunContext, phase: str) -> None:
    if ctx.session.phase != phase:
        ctx.session.phase = phase
        await ctx.db.commit()


async def _custom_fields(ctx: RunContext, entities: list[Entity]) -> Fields:
    """Find or create the target fields each run (a list read per entity): cheap, and it
    keeps the mapping true even if someone changed the target's fields in between."""
    if not ctx.session.options.get("custom_fields", True):
        return {}
    wanted = [e for e in CUSTOM_FIELD_ENTITIES if e in entities]
    if not wanted:
        return {}
    definitions = [d for d in await ctx.source.custom_fields() if d.entity in wanted]
    fields = await ctx.target.ensure_custom_fields(definitions) if definitions else {}
    await _set_warnings(ctx)
    return fields


async def _set_warnings(ctx: RunContext) -> None:
    """Fields the source has but cannot hand over, and fields the target could not match."""
    skipped = [f"source field not carried: {s}" for s in ctx.source.skipped_fields]
    problems = [f"target field: {p}" for p in ctx.target.field_problems]
    warnings = list(dict.fromkeys([*(ctx.session.warnings or []), *skipped, *problems]))
    if warnings != list(ctx.session.warnings or []):
        ctx.session.warnings = warnings
        await ctx.db.commit()


async def failed_count(ctx: RunContext) -> int:
    total = await ctx.db.scalar(
        select(func.coalesce(func.sum(SessionEntity.failed), 0)).where(
            SessionEntity.session_id == ctx.session.id
        )
    )
    return int(total or 0)
