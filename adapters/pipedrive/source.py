"""Pipedrive as a source: read every entity page by page and map it to the canonical model.

Reads go through v2 where it has the list (10 tokens per page of 500) and v1 for users and notes.
Custom field values come back keyed by the field's 40-character hash with option ids; the source
translates them to the canonical typing (labels, {"value", "currency"}) with the field
definitions, read once per entity.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from adapters.core.canonical import (
    CUSTOM_FIELD_ENTITIES,
    LOAD_ORDER,
    Activity,
    ContactPoint,
    CustomFieldDef,
    Deal,
    Entity,
    FieldType,
    Note,
    Organization,
    Person,
    Pipeline,
    Product,
    ProductPrice,
    Record,
    Stage,
    User,
)
from adapters.core.fields import SourceField, canonical_custom_fields
from adapters.core.protocols import ConnectionInfo, Page, StagedItem
from adapters.pipedrive.client import ListPage, PipedriveClient

# Pipedrive field type -> canonical type. Types missing here (user, org, people, address, time,
# timerange, daterange, boolean...) have no canonical form: those fields are skipped and listed
# in `PipedriveSource.skipped_fields`.
FIELD_TYPES: dict[str, FieldType] = {
    "varchar": FieldType.varchar,
    "varchar_auto": FieldType.varchar,
    "text": FieldType.text,
    "double": FieldType.double,
    "int": FieldType.double,
    "monetary": FieldType.monetary,
    "date": FieldType.date,
    "enum": FieldType.enum,
    "set": FieldType.set,
    "phone": FieldType.phone,
}

# The `*Fields` endpoint of each entity that can hold custom fields.
FIELDS_PATH: dict[Entity, str] = {
    Entity.organizations: "/organizationFields",
    Entity.persons: "/personFields",
    Entity.products: "/productFields",
    Entity.deals: "/dealFields",
}


# Reading helpers -------------------------------------------------------------------------------


def ref_id(value: Any) -> str | None:
    """A linked id as a string: Pipedrive gives ints, or objects with `id`/`value` in v1."""
    if isinstance(value, dict):
        value = value.get("id", value.get("value"))
    if value is None or value == "" or isinstance(value, bool):
        return None
    return str(value)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _hhmm(value: Any) -> str | None:
    """Pipedrive gives HH:MM or HH:MM:SS; the canonical model keeps HH:MM."""
    text = _text(value)
    return text[:5] if text else None


def _rfc3339(value: Any) -> str | None:
    """v1 times are "YYYY-MM-DD HH:MM:SS" in UTC; v2 already RFC 3339."""
    text = _text(value)
    if text and " " in text and "T" not in text:
        return text.replace(" ", "T") + "Z"
    return text


def _contacts(values: Any) -> list[ContactPoint]:
    points = []
    for item in values or []:
        if isinstance(item, dict) and item.get("value"):
            label = item.get("label") or "work"
            points.append(
                ContactPoint(
                    value=str(item["value"]), label=label, primary=bool(item.get("primary"))
                )
            )
    return points


def _float(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# Custom field values ---------------------------------------------------------------------------


def custom_values(raw: dict[str, Any], fields: dict[str, SourceField]) -> dict[str, Any]:
    """v2 nests values under `custom_fields`; v1 puts them at the top level."""
    nested = raw.get("custom_fields") or {}
    values = {code: nested.get(code, raw.get(code)) for code in fields}
    return canonical_custom_fields(values, fields)


# Raw -> canonical, per entity ----------------------------------------------------------------

Fields = dict[str, SourceField]


def map_user(raw: dict[str, Any], fields: Fields) -> User:
    active = raw.get("active_flag", raw.get("activated", True))
    return User(
        source_id=str(raw["id"]),
        name=raw.get("name") or "",
        email=_text(raw.get("email")),
        active=bool(active),
    )


def map_organization(raw: dict[str, Any], fields: Fields) -> Organization:
    address = raw.get("address")
    if isinstance(address, dict):
        address = address.get("value")
    return Organization(
        source_id=str(raw["id"]),
        name=raw.get("name") or "",
        address=_text(address),
        owner_source_id=ref_id(raw.get("owner_id")),
        custom_fields=custom_values(raw, fields),
    )


def map_person(raw: dict[str, Any], fields: Fields) -> Person:
    return Person(
        source_id=str(raw["id"]),
        name=raw.get("name") or "",
        first_name=_text(raw.get("first_name")),
        last_name=_text(raw.get("last_name")),
        emails=_contacts(raw.get("emails", raw.get("email"))),
        phones=_contacts(raw.get("phones", raw.get("phone"))),
        org_source_id=ref_id(raw.get("org_id")),
        owner_source_id=ref_id(raw.get("owner_id")),
        custom_fields=custom_values(raw, fields),
    )


def map_pipeline(raw: dict[str, Any], fields: Fields) -> Pipeline:
    return Pipeline(source_id=str(raw["id"]), name=raw.get("name") or "")


def map_stage(raw: dict[str, Any], fields: Fields) -> Stage:
    probability = raw.get("deal_probability")
    return Stage(
        source_id=str(raw["id"]),
        name=raw.get("name") or "",
        pipeline_source_id=ref_id(raw.get("pipeline_id")) or "",
        order_nr=int(raw.get("order_nr") or 0),
        deal_probability=None if probability is None else int(probability),
    )


def map_product(raw: dict[str, Any], fields: Fields) -> Product:
    prices = [
        ProductPrice(price=_float(p.get("price")) or 0.0, currency=p["currency"])
        for p in raw.get("prices") or []
        if isinstance(p, dict) and p.get("currency")
    ]
    return Product(
        source_id=str(raw["id"]),
        name=raw.get("name") or "",
        code=_text(raw.get("code")),
        unit=_text(raw.get("unit")),
        tax=_float(raw.get("tax")),
        prices=prices,
        owner_source_id=ref_id(raw.get("owner_id")),
        custom_fields=custom_values(raw, fields),
    )


def map_deal(raw: dict[str, Any], fields: Fields) -> Deal:
    return Deal(
        source_id=str(raw["id"]),
        title=raw.get("title") or "",
        value=_float(raw.get("value")),
        currency=_text(raw.get("currency")),
        status=raw.get("status") or "open",
        person_source_id=ref_id(raw.get("person_id")),
        org_source_id=ref_id(raw.get("org_id")),
        pipeline_source_id=ref_id(raw.get("pipeline_id")),
        stage_source_id=ref_id(raw.get("stage_id")),
        owner_source_id=ref_id(raw.get("owner_id", raw.get("user_id"))),
        expected_close_date=_text(raw.get("expected_close_date")),
        won_time=_rfc3339(raw.get("won_time")),
        lost_time=_rfc3339(raw.get("lost_time")),
        lost_reason=_text(raw.get("lost_reason")),
        custom_fields=custom_values(raw, fields),
    )


def _activity_person(raw: dict[str, Any]) -> str | None:
    if raw.get("person_id"):
        return ref_id(raw["person_id"])
    participants = [p for p in raw.get("participants") or [] if isinstance(p, dict)]
    primary = [p for p in participants if p.get("primary")] or participants
    return ref_id(primary[0].get("person_id")) if primary else None


def map_activity(raw: dict[str, Any], fields: Fields) -> Activity:
    return Activity(
        source_id=str(raw["id"]),
        subject=raw.get("subject") or "",
        type=raw.get("type") or "task",
        due_date=_text(raw.get("due_date")),
        due_time=_hhmm(raw.get("due_time")),
        duration=_hhmm(raw.get("duration")),
        done=bool(raw.get("done")),
        note=_text(raw.get("note")),
        deal_source_id=ref_id(raw.get("deal_id")),
        person_source_id=_activity_person(raw),
        org_source_id=ref_id(raw.get("org_id")),
        owner_source_id=ref_id(raw.get("owner_id", raw.get("user_id"))),
    )


def map_note(raw: dict[str, Any], fields: Fields) -> Note:
    return Note(
        source_id=str(raw["id"]),
        content=raw.get("content") or "",
        deal_source_id=ref_id(raw.get("deal_id")),
        person_source_id=ref_id(raw.get("person_id")),
        org_source_id=ref_id(raw.get("org_id")),
        owner_source_id=ref_id(raw.get("user_id")),
        add_time=_rfc3339(raw.get("add_time")),
    )


@dataclass(frozen=True)
class EntityRead:
    version: str  # "v1" or "v2"
    path: str
    mapper: Callable[[dict[str, Any], Fields], Record]


READS: dict[Entity, EntityRead] = {
    Entity.users: EntityRead("v1", "/users", map_user),
    Entity.organizations: EntityRead("v2", "/organizations", map_organization),
    Entity.persons: EntityRead("v2", "/persons", map_person),
    Entity.pipelines: EntityRead("v2", "/pipelines", map_pipeline),
    Entity.stages: EntityRead("v2", "/stages", map_stage),
    Entity.products: EntityRead("v2", "/products", map_product),
    Entity.deals: EntityRead("v2", "/deals", map_deal),
    Entity.activities: EntityRead("v2", "/activities", map_activity),
    Entity.notes: EntityRead("v1", "/notes", map_note),
}


def source_field(raw: dict[str, Any], entity: Entity) -> SourceField | None:
    """A `*Fields` item as a SourceField; None when built-in or of a type we cannot carry."""
    kind = FIELD_TYPES.get(raw.get("field_type", ""))
    if not raw.get("is_custom_field") or kind is None:
        return None
    options = [o for o in raw.get("options") or [] if isinstance(o, dict) and o.get("label")]
    has_options = kind in (FieldType.enum, FieldType.set)
    definition = CustomFieldDef(
        entity=entity,
        key=raw["field_code"],
        name=raw.get("field_name") or raw["field_code"],
        field_type=kind,
        options=[str(o["label"]) for o in options] if has_options else [],
    )
    return SourceField(definition, {str(o.get("id")): str(o["label"]) for o in options})


class PipedriveSource:
    entities: tuple[Entity, ...] = LOAD_ORDER

    def __init__(self, client: PipedriveClient, *, count_records: bool = True) -> None:
        self.client = client
        # Counting walks every list (no count endpoint in v2): 10 tokens per 500 records.
        self.count_records = count_records
        self.skipped_fields: list[str] = []  # "deals: Region (address)": fields we cannot carry
        self._fields: dict[Entity, Fields] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def check(self) -> ConnectionInfo:
        me = await self.client.get_v1("/users/me")
        account = {
            "company_id": me.get("company_id"),
            "company_name": me.get("company_name"),
            "company_domain": me.get("company_domain"),
            "user_id": me.get("id"),
            "user_name": me.get("name"),
            "user_email": me.get("email"),
        }
        counts = (
            {entity.value: await self.count(entity) for entity in self.entities}
            if self.count_records
            else {}
        )
        return ConnectionInfo(account=account, counts=counts)

    async def count(self, entity: Entity) -> int:
        """Pipedrive has no count endpoint for most entities: page through with limit 500."""
        total = 0
        async for page in self._pages(entity, None):
            total += len(page.items)
        return total

    async def custom_fields(self) -> list[CustomFieldDef]:
        definitions = []
        for entity in CUSTOM_FIELD_ENTITIES:
            fields = await self._fields_of(entity)
            definitions += [f.definition for f in fields.values()]
        return definitions

    async def extract(self, entity: Entity, cursor: str | None = None) -> AsyncIterator[Page]:
        read = READS[entity]
        fields = await self._fields_of(entity)
        async for page in self._pages(entity, cursor):
            items = [StagedItem(raw=raw, record=read.mapper(raw, fields)) for raw in page.items]
            yield Page(items=items, next_cursor=page.next_cursor)

    def _pages(self, entity: Entity, cursor: str | None) -> AsyncIterator[ListPage]:
        read = READS[entity]
        iterate = self.client.iter_v1 if read.version == "v1" else self.client.iter_v2
        return iterate(read.path, start=cursor)

    async def _fields_of(self, entity: Entity) -> Fields:
        if entity not in FIELDS_PATH:
            return {}
        if entity not in self._fields:
            self._fields[entity] = await self._load_fields(entity)
        return self._fields[entity]

    async def _load_fields(self, entity: Entity) -> Fields:
        fields: Fields = {}
        async for page in self.client.iter_v2(FIELDS_PATH[entity]):
            for raw in page.items:
                field = source_field(raw, entity)
                if field:
                    fields[field.definition.key] = field
                elif raw.get("is_custom_field"):
                    self.skipped_fields.append(
                        f"{entity.value}: {raw.get('field_name')} ({raw.get('field_type')})"
                    )
        return fields
