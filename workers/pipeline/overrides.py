"""Mapping overrides in the worker: what app/sessions/mapping.py resolved when the session was
created (target keys and ids, never names), applied to custom fields, stages and owners."""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import CustomFieldDef, Entity, FieldType
from adapters.core.protocols import TargetField, TargetFieldInfo
from app.ledger import service as ledger
from app.models import RecordLink, StagedRecord
from app.sessions.mapping import RESOLVED
from workers.pipeline.context import RunContext


def resolved(ctx: RunContext) -> dict[str, Any]:
    return dict((ctx.session.options or {}).get(RESOLVED) or {})


def owners(ctx: RunContext) -> dict[str, str]:
    """{source e-mail: Pipedrive e-mail}, as match_users takes it."""
    return dict(resolved(ctx).get("owners") or {})


async def default_owner(ctx: RunContext) -> int:
    """The mapped default owner, else the token's user."""
    mapped = resolved(ctx).get("default_owner")
    return int(mapped) if mapped is not None else (await ctx.target.me()).id


async def split_fields(
    ctx: RunContext, definitions: list[CustomFieldDef]
) -> tuple[list[CustomFieldDef], dict[tuple[Entity, str], TargetField], list[str]]:
    """The source fields left to find or create by name; those the mapping sends to an existing
    Pipedrive field, as that field (its key, type and options); and warnings: fields mapped to
    null are not carried, nor created."""
    mapped: dict[str, dict[str, str | None]] = resolved(ctx).get("fields") or {}
    rest: list[CustomFieldDef] = []
    fields: dict[tuple[Entity, str], TargetField] = {}
    warnings: list[str] = []
    existing: dict[Entity, dict[str, TargetFieldInfo]] = {}
    for definition in definitions:
        entity = definition.entity
        overrides = mapped.get(entity.value) or {}
        if definition.key not in overrides:
            rest.append(definition)
            continue
        key = overrides[definition.key]
        if key is None:
            warnings.append(f"not carried by mapping: {entity.value}: {definition.name}")
            continue
        if entity not in existing:
            existing[entity] = {f.key: f for f in await ctx.target.fields(entity)}
        info = existing[entity].get(key)
        if info is None or info.field_type is None:
            warnings.append(
                f"target field: {entity.value} field {key!r}, mapped for {definition.name!r}, "
                "is no longer in Pipedrive: not carried"
            )
            continue
        fields[(entity, definition.key)] = TargetField(
            info.key, info.field_type.value, dict(info.option_ids)
        )
        warnings += _missing_options(definition, info)
    return rest, fields, warnings


def _missing_options(definition: CustomFieldDef, info: TargetFieldInfo) -> list[str]:
    if info.field_type not in (FieldType.enum, FieldType.set):
        return []
    known = {label.strip().casefold() for label in info.option_ids}
    missing = [o for o in definition.options if o.strip().casefold() not in known]
    if not missing:
        return []
    return [
        f"target field: {definition.entity.value} field {info.name!r}, mapped for "
        f"{definition.name!r}, has no option {', '.join(map(repr, missing))}: those values "
        "are not carried"
    ]


def mapped_stage(ctx: RunContext, row: StagedRecord, known: dict[str, RecordLink]) -> int | None:
    """The Pipedrive stage a staged stage is mapped to (None: not mapped, it is loaded as any
    other). A link an earlier session left to another stage is re-pointed by the caller and
    becomes `reused`, so that no undo ever deletes the mapped stage."""
    if row.entity != Entity.stages.value:
        return None
    target = (resolved(ctx).get("stages") or {}).get(row.source_id)
    if target is None:
        return None
    link = known.get(row.source_id)
    if link is not None and link.target_id != int(target):
        link.origin = ledger.REUSED
    return int(target)
