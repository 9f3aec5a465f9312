"""The field map a session used: where each source custom field went in Pipedrive, kept on the
session for people to check (GET /v1/sessions/{id} `field_map`)."""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import CustomFieldDef, Entity
from adapters.core.protocols import TargetField
from workers.pipeline.context import RunContext

FieldKeys = dict[tuple[Entity, str], TargetField]


async def note_field_map(
    ctx: RunContext, definitions: list[CustomFieldDef], found: FieldKeys, mapped: FieldKeys
) -> None:
    """Adds the fields this run resolved to those earlier runs of the session noted: a field
    an earlier run created stays `created` when a later run finds it by name."""
    entries: dict[tuple[str, str], dict[str, Any]] = {
        (e["entity"], e["source_key"]): e for e in ctx.session.field_map or []
    }
    for definition in definitions:
        place = (definition.entity, definition.key)
        field = mapped.get(place) or found.get(place)
        if field is None or (definition.entity.value, definition.key) in entries:
            continue
        entries[(definition.entity.value, definition.key)] = {
            "entity": definition.entity.value,
            "source_key": definition.key,
            "source_name": definition.name,
            "target_key": field.key,
            "origin": _origin(ctx, place in mapped, field),
        }
    field_map = list(entries.values())
    if field_map != ctx.session.field_map:
        ctx.session.field_map = field_map
        await ctx.db.commit()


def _origin(ctx: RunContext, is_mapped: bool, field: TargetField) -> str:
    if is_mapped:
        return "mapped"
    return "created" if field.key in ctx.target.created_fields else "matched"
