"""Sample: a small slice of what was read, whose links hold. The first `per_entity` records of
each entity are picked, then every record they link to (a deal's person, organization and stage,
a stage's pipeline, a note's deal...) and the parts of every record picked (a deal's products:
its value is their sum), until nothing picked points outside the slice. The rest
is set aside (`outside`); a later full session of the pair loads it, and nothing of the sample
twice (the ledger links it)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select, update

from adapters.core.canonical import LINK_FIELDS, LIST_LINK_FIELDS, Entity
from app.models import SessionEntity, StagedRecord
from workers.pipeline.context import RunContext

Key = tuple[str, str]  # (entity, source id)
# Records that are parts of another (entity -> the link field to the whole, the whole's entity).
PARTS: dict[str, tuple[str, Entity]] = {
    Entity.deal_products.value: ("deal_source_id", Entity.deals)
}


async def select_sample(ctx: RunContext, per_entity: int) -> None:
    """Once per session, in one transaction; selecting again would pick the same slice."""
    if ctx.session.phase != "extract":
        return
    rows = await ctx.db.execute(
        select(StagedRecord.entity, StagedRecord.source_id, StagedRecord.canonical)
        .where(StagedRecord.session_id == ctx.session.id, StagedRecord.entity != "users")
        .order_by(StagedRecord.id)
    )
    parents: dict[Key, list[Key]] = {}
    parts: dict[Key, list[Key]] = defaultdict(list)
    firsts: dict[str, list[Key]] = defaultdict(list)
    for entity, source_id, canonical in rows:
        key = (entity, source_id)
        parents[key] = _parents(canonical)
        if entity in PARTS and canonical.get(PARTS[entity][0]):
            whole_of = PARTS[entity]
            parts[(whole_of[1].value, str(canonical[whole_of[0]]))].append(key)
        if len(firsts[entity]) < per_entity:
            firsts[entity].append(key)
    for whole, its_parts in parts.items():
        if whole in parents:  # a part goes with its whole: the whole "links" to it too
            parents[whole] = parents[whole] + its_parts
    picked = _closure([k for keys in firsts.values() for k in keys], parents)
    await _set_aside(ctx, picked)
    ctx.session.phase = "sampled"
    await ctx.db.commit()


def _parents(canonical: dict[str, Any]) -> list[Key]:
    single = [
        (linked.value, str(canonical[field]))
        for field, linked in LINK_FIELDS.items()
        if linked is not Entity.users and canonical.get(field)
    ]
    several = [
        (linked.value, str(value))
        for field, linked in LIST_LINK_FIELDS.items()
        for value in canonical.get(field) or []
    ]
    return single + several


def _closure(start: list[Key], parents: dict[Key, list[Key]]) -> set[Key]:
    picked: set[Key] = set()
    todo = list(start)
    while todo:
        key = todo.pop()
        if key in picked or key not in parents:  # a link to a record the source did not give
            continue
        picked.add(key)
        todo += parents[key]
    return picked


async def _set_aside(ctx: RunContext, picked: set[Key]) -> None:
    by_entity: dict[str, list[str]] = defaultdict(list)
    for entity, source_id in picked:
        by_entity[entity].append(source_id)
    await ctx.db.execute(
        update(StagedRecord)
        .where(
            StagedRecord.session_id == ctx.session.id,
            StagedRecord.entity != "users",
            StagedRecord.state == "staged",
        )
        .values(state="outside")
    )
    for entity, source_ids in by_entity.items():
        for start in range(0, len(source_ids), 500):
            await ctx.db.execute(
                update(StagedRecord)
                .where(
                    StagedRecord.session_id == ctx.session.id,
                    StagedRecord.entity == entity,
                    StagedRecord.source_id.in_(source_ids[start : start + 500]),
                    StagedRecord.state == "outside",
                )
                .values(state="staged")
            )
    for progress in (
        await ctx.db.execute(
            select(SessionEntity).where(
                SessionEntity.session_id == ctx.session.id, SessionEntity.entity != "users"
            )
        )
    ).scalars():
        progress.total = len(by_entity.get(progress.entity, []))
