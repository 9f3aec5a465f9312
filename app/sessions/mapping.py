"""Mapping overrides (`options.mapping`): every name is checked against what the source and the
target hold when the session is created, and resolved to the target's keys and ids, stored in
the session's options under RESOLVED so that the worker never resolves a name again:

    {"fields": {entity: {source field key: Pipedrive field key | None}},
     "stages": {source stage id: Pipedrive stage id},
     "owners": {source e-mail: Pipedrive e-mail}, "default_owner": Pipedrive user id | None}
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from adapters.core.canonical import CustomFieldDef, Entity, FieldType, Stage, User
from adapters.core.errors import AdapterError
from adapters.core.protocols import (
    SourceAdapter,
    TargetAdapter,
    TargetFieldInfo,
    TargetStage,
    TargetUser,
)
from app.connections.service import Endpoint, Role, open_source, open_target
from app.errors import FerryError, Unprocessable
from app.models import MigrationSession
from app.sessions.schemas import MappingOptions

RESOLVED = "mapping_resolved"
MAX_CHOICES = 100
SHOWN_CHOICES = 10  # in the message; `details.choices` has up to MAX_CHOICES

# The canonical values a Pipedrive field of each type holds (what the target converts to it).
_TEXTUAL = (FieldType.varchar, FieldType.phone, FieldType.double, FieldType.date, FieldType.enum)
ACCEPTS: dict[FieldType, frozenset[FieldType]] = {
    FieldType.varchar: frozenset(_TEXTUAL),
    FieldType.text: frozenset((*_TEXTUAL, FieldType.text)),
    FieldType.phone: frozenset((FieldType.phone, FieldType.varchar)),
    FieldType.double: frozenset((FieldType.double,)),
    FieldType.monetary: frozenset((FieldType.monetary, FieldType.double)),
    FieldType.date: frozenset((FieldType.date,)),
    FieldType.enum: frozenset((FieldType.enum,)),
    FieldType.set: frozenset((FieldType.set, FieldType.enum)),
}

T = TypeVar("T")
WHERE = "options.mapping"


def _fold(text: str) -> str:
    return re.sub(r"\s*/\s*", " / ", " ".join(text.split())).casefold()


@dataclass
class _Choices(Generic[T]):
    """What a name may pick: items by id (exact) or by name (case-insensitive)."""

    missing: str  # e.g. "the source has no stage", followed by the value
    by_id: dict[str, T] = field(default_factory=dict)
    by_name: dict[str, list[T]] = field(default_factory=lambda: defaultdict(list))
    labels: list[tuple[T, str, str]] = field(default_factory=list)  # item, short, long

    def add(self, item: T, ids: list[str], names: list[str], short: str, long: str) -> None:
        for key in ids:
            self.by_id.setdefault(key, item)
        for name in dict.fromkeys(_fold(n) for n in names):
            self.by_name[name].append(item)
        self.labels.append((item, short, long))

    def pick(self, value: str | int, where: str) -> T:
        text = str(value)
        if text in self.by_id:
            return self.by_id[text]
        found = self.by_name.get(_fold(text), [])
        if len(found) == 1:
            return found[0]
        if found:
            longs = [long for item, _, long in self.labels if item in found]
            raise invalid(where, text, f"{text!r} names several; name one of them", longs)
        raise invalid(where, text, f"{self.missing} {text!r}", self.choices())

    def choices(self, keep: Callable[[T], bool] = lambda _: True) -> list[str]:
        """Short labels, or long ones where a short one repeats."""
        counts = Counter(_fold(short) for _, short, _ in self.labels)
        return list(
            dict.fromkeys(
                short if counts[_fold(short)] == 1 else long
                for item, short, long in self.labels
                if keep(item)
            )
        )


def invalid(
    where: str, value: str, problem: str, choices: list[str], label: str = "Choices"
) -> Unprocessable:
    """The 422 of a wrong name: where it was, what is wrong, what it could have been."""
    shown = ", ".join(choices[:SHOWN_CHOICES]) + (", ..." if len(choices) > SHOWN_CHOICES else "")
    listed = f" {label}: {shown}." if choices else " There is nothing to choose from."
    details = {"location": where, "value": value, "choices": choices[:MAX_CHOICES]}
    return Unprocessable(
        f"{where}: {problem}.{listed}",
        code="invalid_mapping",
        details={**details, "total": len(choices)},
    )


async def resolve_mapping(
    session: MigrationSession, mapping: MappingOptions | None, source: Endpoint, target: Endpoint
) -> None:
    """Check `mapping` against both systems and keep its resolution in the session's options.
    Raises Unprocessable (`invalid_mapping`) on the first wrong name."""
    if mapping is None:
        return
    reader, writer = open_source(source), open_target(target)
    try:
        resolved = await _Resolver(mapping, reader, writer).resolve()
    finally:
        await reader.aclose()
        await writer.aclose()
    session.options = {**(session.options or {}), RESOLVED: resolved}


async def _read(role: Role, call: Awaitable[T]) -> T:
    """A read of the source or the target; what goes wrong with the vendor is a 502."""
    try:
        return await call
    except (AdapterError, httpx.HTTPError) as exc:
        reason = exc.message if isinstance(exc, AdapterError) else type(exc).__name__
        code = exc.code if isinstance(exc, AdapterError) else "connection_failed"
        raise FerryError(
            f"Reading the {role} to check {WHERE} failed: {reason}",
            code=f"{role}_{code}",
            status_code=502,
            details={"role": role},
        ) from None


async def _records(source: SourceAdapter, entity: Entity) -> list[Any]:
    if entity not in source.entities:
        return []

    async def read() -> list[Any]:
        return [item.record async for page in source.extract(entity) for item in page.items]

    return await _read("source", read())


@dataclass
class _Resolver:
    mapping: MappingOptions
    source: SourceAdapter
    target: TargetAdapter

    async def resolve(self) -> dict[str, Any]:
        m = self.mapping
        users = await self._target_users() if m.owners or m.default_owner is not None else None
        default_owner = None
        if users is not None and m.default_owner is not None:
            default_owner = users.pick(m.default_owner, f"{WHERE}.default_owner").id
        return {
            "fields": await self._fields() if m.fields else {},
            "stages": await self._stages() if m.stages else {},
            "owners": await self._owners(users) if users is not None and m.owners else {},
            "default_owner": default_owner,
        }

    async def _fields(self) -> dict[str, dict[str, str | None]]:
        definitions = await _read("source", self.source.custom_fields())
        resolved: dict[str, dict[str, str | None]] = {}
        for entity_name, overrides in self.mapping.fields.items():
            entity = Entity(entity_name)
            where = f"{WHERE}.fields.{entity.value}"
            sources: _Choices[CustomFieldDef] = _Choices(
                f"the source has no {entity.value} custom field"
            )
            for d in definitions:
                if d.entity is entity:
                    sources.add(d, [d.key], [d.name], d.name, d.key)
            targets: _Choices[TargetFieldInfo] = _Choices(
                f"Pipedrive has no {entity.value} custom field"
            )
            for f in await _read("target", self.target.fields(entity)):
                targets.add(f, [f.key], [f.name], f.name, f.key)
            out = resolved.setdefault(entity.value, {})
            for source_name, target_name in overrides.items():
                definition = sources.pick(source_name, where)
                if target_name is None:
                    out[definition.key] = None
                    continue
                target_where = f"{where}[{source_name!r}]"
                chosen = targets.pick(target_name, target_where)
                _check_type(targets, target_where, target_name, definition, chosen)
                out[definition.key] = chosen.key
        return resolved

    async def _stages(self) -> dict[str, int]:
        pipelines = {p.source_id: p.name for p in await _records(self.source, Entity.pipelines)}
        sources: _Choices[Stage] = _Choices("the source has no stage")
        for s in await _records(self.source, Entity.stages):
            _add_stage(sources, s, s.source_id, s.name, pipelines.get(s.pipeline_source_id, ""))
        targets: _Choices[TargetStage] = _Choices("Pipedrive has no stage")
        for t in await _read("target", self.target.stages()):
            _add_stage(targets, t, str(t.id), t.name, t.pipeline_name)
        resolved = {}
        for source_name, target_name in self.mapping.stages.items():
            stage = sources.pick(source_name, f"{WHERE}.stages")
            resolved[stage.source_id] = targets.pick(
                target_name, f"{WHERE}.stages[{source_name!r}]"
            ).id
        return resolved

    async def _target_users(self) -> _Choices[TargetUser]:
        users: _Choices[TargetUser] = _Choices("Pipedrive has no active user with the e-mail")
        for u in await _read("target", self.target.users()):
            if u.email:
                users.add(u, [], [u.email], u.email, u.email)
        return users

    async def _owners(self, targets: _Choices[TargetUser]) -> dict[str, str]:
        sources: _Choices[User] = _Choices("the source has no user with the e-mail")
        for u in await _records(self.source, Entity.users):
            if u.email and _fold(u.email) not in sources.by_name:  # one per e-mail
                sources.add(u, [], [u.email], u.email, u.email)
        resolved = {}
        for source_email, target_email in self.mapping.owners.items():
            user = sources.pick(source_email, f"{WHERE}.owners")
            chosen = targets.pick(target_email, f"{WHERE}.owners[{source_email!r}]")
            resolved[str(user.email).lower()] = str(chosen.email).lower()
        return resolved


def _add_stage(choices: _Choices[Any], item: Any, id_: str, name: str, pipeline: str) -> None:
    full = f"{pipeline} / {name}"
    choices.add(item, [id_], [name, full], name, full)


def _check_type(
    targets: _Choices[TargetFieldInfo],
    where: str,
    value: str,
    definition: CustomFieldDef,
    chosen: TargetFieldInfo,
) -> None:
    def holds(f: TargetFieldInfo) -> bool:
        return f.field_type is not None and definition.field_type in ACCEPTS[f.field_type]

    if not holds(chosen):
        raise invalid(
            where,
            value,
            f"the source field {definition.name!r} is of type {definition.field_type.value}, "
            f"which the Pipedrive field {chosen.name!r} (of type {chosen.type_name}) cannot hold",
            targets.choices(holds),
            label="Fields that can",
        )
