"""The extract -> map -> load pipeline of one session run, and the undo of a session."""

from __future__ import annotations

from sqlalchemy import func, select

from adapters.core.canonical import CUSTOM_FIELD_ENTITIES, Entity
from app.models import SessionEntity
from workers.pipeline import overrides
from workers.pipeline.context import RunContext
from workers.pipeline.extract import extract_entity
from workers.pipeline.field_map import note_field_map
from workers.pipeline.gone import note_gone
from workers.pipeline.handover import keep_fields, keep_target, kept_fields, kept_target
from workers.pipeline.load import Fields, load_entity, match_users
from workers.pipeline.preview import preview
from workers.pipeline.sample import select_sample
from workers.pipeline.undo import delete_entity, stage_created, undo_entities

# A session moves forward through these; a resumed run never moves it back.
PHASES = ("extract", "sampled", "load", "undo")


def _entities(ctx: RunContext) -> list[Entity]:
    return [Entity(e) for e in ctx.session.entities]


async def run_pipeline(ctx: RunContext) -> None:
    """Idempotent: every step skips what an earlier run of the same session finished."""
    if ctx.session.mode == "undo":
        await run_undo(ctx)
        return
    entities = _entities(ctx)
    await _advance(ctx, "extract")
    for entity in entities:
        await extract_entity(ctx, entity)
        if entity is not Entity.users and ctx.plan != "sample":
            await note_gone(ctx, entity)
    if ctx.plan == "sample":
        await select_sample(ctx, int((ctx.session.options.get("sample") or {})["per_entity"]))
    if ctx.session.mode == "preview":
        await preview(ctx)
        return
    await _advance(ctx, "load")
    ctx.target.restore_state(kept_target(ctx.session))  # what an earlier run resolved
    await match_users(ctx, overrides.owners(ctx))
    default_owner = await overrides.default_owner(ctx)  # also learns whether it is an admin's
    fields = await _custom_fields(ctx, entities)
    await _set_warnings(ctx)  # what the target says of itself (a token that keeps no dates)
    keep_target(ctx.session, ctx.target.kept_state())
    await ctx.db.commit()
    for entity in entities:
        if entity is not Entity.users:
            await load_entity(ctx, entity, fields, default_owner)
    ctx.count_tokens()


async def run_undo(ctx: RunContext) -> None:
    entities = undo_entities(ctx.session.entities)
    await _advance(ctx, "extract")
    for entity in entities:
        await stage_created(ctx, entity)
    await _advance(ctx, "undo")
    for entity in entities:
        await delete_entity(ctx, entity)
    ctx.count_tokens()


async def _advance(ctx: RunContext, phase: str) -> None:
    current = PHASES.index(ctx.session.phase) if ctx.session.phase in PHASES else -1
    if PHASES.index(phase) > current:
        ctx.session.phase = phase
        await ctx.db.commit()


async def _custom_fields(ctx: RunContext, entities: list[Entity]) -> Fields:
    """Find or create the target fields of the entities still to load (a list read per
    entity), once per session: the session's later runs keep what the first one resolved
    (see workers/pipeline/handover.py)."""
    if ctx.session.field_map is None:  # known from here on, even when no field is carried
        ctx.session.field_map = []
    if not ctx.session.options.get("custom_fields", True):
        return {}
    kept = kept_fields(ctx.session)
    if kept is not None:
        return kept
    fields = await _resolve_fields(ctx, entities)
    keep_fields(ctx.session, fields)
    return fields


async def _resolve_fields(ctx: RunContext, entities: list[Entity]) -> Fields:
    wanted = [
        e
        for e in CUSTOM_FIELD_ENTITIES
        if e in entities and not (await ctx.progress(e.value)).load_done
    ]
    if not wanted:
        return {}
    definitions = [d for d in await ctx.source.custom_fields() if d.entity in wanted]
    rest, mapped, notes = await overrides.split_fields(ctx, definitions)
    fields = await ctx.target.ensure_custom_fields(rest) if rest else {}
    await _set_warnings(ctx, *notes)
    await note_field_map(ctx, definitions, fields, mapped)
    return {**fields, **mapped}


async def _set_warnings(ctx: RunContext, *more: str) -> None:
    """Fields the source has but cannot hand over, and fields the target could not match."""
    skipped = [f"source field not carried: {s}" for s in ctx.source.skipped_fields]
    problems = [f"target field: {p}" for p in ctx.target.field_problems]
    said = [*(ctx.session.warnings or []), *skipped, *problems, *ctx.target.notices, *more]
    warnings = list(dict.fromkeys(said))
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
