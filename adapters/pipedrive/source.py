"""Pipedrive as a source, described for the shared declarative engine.

Reads go through v2 where it has the list (cursor pages of 500, 10 tokens a page) and v1 for users
and notes (start/limit). Deals come from two lists: `/deals` and, for the archived ones,
`/deals/archived` (20 tokens a page). Custom field values come back keyed by the field's 40-character hash
with option ids, nested under `custom_fields` in v2; the engine turns them into the canonical
typing with the `*Fields` definitions, read once.

Leads are v1 only, open (`/leads`, 20 tokens a page) and archived (`/leads/archived`, 40), paged in
`additional_data` itself. Labels are read as names: persons', organizations' and deals' from the
options of their `label_ids` field (the v2 field list, read once more per entity), leads' from
`/leadLabels` (one unpaged list). Files come from `/files` (100 a page, 20 tokens), their bytes
from `/files/{id}/download` (20); the list gives no MIME type, so it is told by the file's name.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from adapters.core.canonical import ContactPoint, Entity, FieldType, ProductPrice, Record
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    DeclarativeSource,
    FieldCatalog,
    FileContent,
    ForEach,
    Lookup,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.mapping import Getter, Raw, first, ident, number, ref, text, utc_time
from adapters.core.paginators import CursorInBody, OffsetPaginator, records_of
from adapters.pipedrive.client import (
    V1,
    V2,
    PipedriveClient,
    error_text,
    is_auth_failure,
    lead_pages,
)

# Pipedrive field type -> canonical type. Types missing here (user, org, people, address, time,
# timerange, daterange, boolean...) have no canonical form: those fields are skipped and listed
# in `skipped_fields`.
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


# Getters for Pipedrive's oddities ----------------------------------------------------------------


def _contacts(getter: str) -> Getter:
    """v2 emails/phones: [{value, label, primary}], kept as labelled."""

    def read(raw: Raw) -> list[ContactPoint]:
        return [
            ContactPoint(
                value=str(i["value"]),
                label=i.get("label") or "work",
                primary=bool(i.get("primary")),
            )
            for i in raw.get(getter) or []
            if isinstance(i, dict) and i.get("value")
        ]

    return read


def _hhmm(getter: str) -> Getter:
    """Pipedrive gives HH:MM or HH:MM:SS; the canonical model keeps HH:MM."""
    return lambda raw: (text(getter)(raw) or "")[:5] or None


def _address(raw: Raw) -> str | None:
    address = raw.get("address")
    return text("value")(address) if isinstance(address, dict) else text("address")(raw)


def _prices(raw: Raw) -> list[ProductPrice]:
    return [
        ProductPrice(price=number("price")(p) or 0.0, currency=p["currency"])
        for p in raw.get("prices") or []
        if isinstance(p, dict) and p.get("currency")
    ]


def _activity_person(raw: Raw) -> str | None:
    """v2 activities name their person among `participants` (the primary one first)."""
    participants = [p for p in raw.get("participants") or [] if isinstance(p, dict)]
    primary = [p for p in participants if p.get("primary")] or participants
    return ident(primary[0].get("person_id")) if primary else None


def _other_participants(raw: Raw) -> list[str]:
    """The persons taking part besides the main one."""
    main = _activity_person(raw)
    ids = [ident(p.get("person_id")) for p in raw.get("participants") or [] if isinstance(p, dict)]
    return [i for i in ids if i and i != main]


def _custom_values(raw: Raw) -> dict[str, Any]:
    return raw.get("custom_fields") or {}


def _options(raw: Raw) -> list[tuple[str, str]]:
    return [
        (str(o.get("id")), str(o["label"]))
        for o in raw.get("options") or []
        if isinstance(o, dict) and o.get("label")
    ]


def _label_options(body: Any) -> list[Raw]:
    """The options of the `label_ids` field on a page of a v2 field list: the labels."""
    return [
        option
        for definition in (body or {}).get("data") or []
        if isinstance(definition, dict) and definition.get("field_code") == LABEL_FIELD
        for option in definition.get("options") or []
        if isinstance(option, dict)
    ]


def _label_lookup(entity: Entity, size: int) -> Lookup:
    path = V2 + FIELDS_PATH[entity]
    paginator = CursorInBody(limit=size)
    return Lookup(f"{entity.value} labels", path, "id", paginator=paginator, rows=_label_options)


LEAD_LABELS = Lookup("leads labels", V1 + "/leadLabels", "id")


def _labels(entity: Entity, name: str) -> Any:
    """Set a record's labels to the names of the label ids it carries (unknown ids left out)."""
    table_name = f"{entity.value} labels"

    def amend(record: Record, raw: Raw, state: RunState) -> None:
        table = state[table_name]
        ids = [str(i) for i in raw.get("label_ids") or []]
        record.labels = [str(table[i][name]) for i in ids if i in table]  # type: ignore[attr-defined]

    return {"needs": (table_name,), "amend": amend}


def _mime(raw: Raw) -> str | None:
    return mimetypes.guess_type(str(raw.get("file_name") or raw.get("name") or ""))[0]


# The description ------------------------------------------------------------------------------

# Delta reads: the lists that take `updated_since` (RFC 3339, "later than or equal to") in the
# official specs: v2 persons, organizations, deals (both lists), products, activities; v1 notes.
# Users, pipelines and stages take none: a delta session reads them whole.
CHANGED = ChangedSince("updated_since")

DEAL_LISTS = ("/deals", "/deals/archived")
LEAD_LISTS = ("/leads", "/leads/archived")
LABEL_FIELD = "label_ids"
FILE_PAGE = 100  # the most `/files` gives a page
LEAD_FIELDS: dict[str, Getter] = {
    "source_id": "id",
    "title": first("title", lambda r: ""),
    "person_source_id": ref("person_id"),
    "org_source_id": ref("organization_id"),
    "owner_source_id": ref("owner_id"),
    "value": number("value.amount"),
    "currency": text("value.currency"),
    "expected_close_date": text("expected_close_date"),
    "add_time": utc_time("add_time"),
}
FILE_FIELDS: dict[str, Getter] = {
    "source_id": "id",
    "name": first("name", "file_name"),
    "mime_type": _mime,
    "size": lambda raw: int(raw["file_size"]) if raw.get("file_size") is not None else None,
    "deal_source_id": ref("deal_id"),
    "person_source_id": ref("person_id"),
    "org_source_id": ref("org_id"),
    "lead_source_id": ref("lead_id"),
    "activity_source_id": ref("activity_id"),
    "product_source_id": ref("product_id"),
    "content_ref": lambda raw: str(raw["id"]),
    "add_time": utc_time("add_time"),
}
DEAL_FIELDS: dict[str, Getter] = {
    "source_id": "id",
    "title": first("title", lambda r: ""),
    "value": number("value"),
    "currency": text("currency"),
    "status": first("status", lambda r: "open"),
    "person_source_id": ref("person_id"),
    "org_source_id": ref("org_id"),
    "pipeline_source_id": ref("pipeline_id"),
    "stage_source_id": ref("stage_id"),
    "owner_source_id": ref("owner_id"),
    "expected_close_date": text("expected_close_date"),
    "won_time": utc_time("won_time"),
    "lost_time": utc_time("lost_time"),
    "lost_reason": text("lost_reason"),
    "is_archived": lambda raw: bool(raw.get("is_archived")),
    "archive_time": utc_time("archive_time"),
    "add_time": utc_time("add_time"),
}


def _stream(
    entity: Entity, path: str, size: int, fields: dict[str, Getter], **extra: Any
) -> Stream:
    v1 = path.startswith(V1)
    paginator = OffsetPaginator(limit=size) if v1 else CursorInBody(limit=size)
    return Stream(entity, path, fields, paginator=paginator, **extra)


def _catalog(entity: Entity, size: int) -> FieldCatalog:
    return FieldCatalog(
        entity,
        V2 + FIELDS_PATH[entity],
        key="field_code",
        name=first("field_name", "field_code"),
        type="field_type",
        types=FIELD_TYPES,
        is_custom=lambda raw: bool(raw.get("is_custom_field")),
        options=_options,
        paginator=CursorInBody(limit=size),
    )


LINE_ITEM_FIELDS: dict[str, Getter] = {
    "source_id": "id",
    "deal_source_id": ref("deal_id"),
    "product_source_id": ref("product_id"),
    "item_price": number("item_price"),
    "quantity": number("quantity"),
    "discount": number("discount"),
    "discount_type": first("discount_type", lambda raw: "percentage"),
    "tax": number("tax"),
    "comments": text("comments"),
}


def _deal_ids(path: str, size: int) -> Lookup:
    """The ids of the deals of a list, for reading their products a hundred deals at a time.
    Only the ids are kept: the table lives for the whole run (a 100,000-record company's deals
    held whole were a measured part of a worker's growth)."""
    return Lookup(
        "deal ids" + path,
        V2 + path,
        "id",
        paginator=CursorInBody(limit=size),
        params={},
        rows=_ids_only,
    )


def _ids_only(body: Any) -> list[Raw]:
    return [{"id": row.get("id")} for row in records_of(body, "data")]


def _line_items(path: str, size: int) -> Stream:
    """The products on the deals of a list: `/deals/products` takes up to 100 deal ids."""
    return _stream(
        Entity.deal_products,
        V2 + "/deals/products",
        size,
        LINE_ITEM_FIELDS,
        params={"deal_ids": "{deals}"},
        for_each=ForEach("deal ids" + path, {"deals": "id"}, batch=100),
    )


def pipedrive_spec(page_size: int = 500) -> SourceSpec:
    n = page_size
    # The lists with custom fields all take `updated_since` too.
    custom = {"custom_values": _custom_values, "changed_since": CHANGED}
    streams = (
        _stream(
            Entity.users,
            V1 + "/users",
            n,
            {
                "source_id": "id",
                "name": first("name", lambda r: ""),
                "email": text("email"),
                "active": lambda raw: bool(raw.get("active_flag", raw.get("activated", True))),
            },
        ),
        _stream(
            Entity.organizations,
            V2 + "/organizations",
            n,
            {
                "source_id": "id",
                "name": first("name", lambda r: ""),
                "address": _address,
                "owner_source_id": ref("owner_id"),
                "add_time": utc_time("add_time"),
            },
            **custom,
            **_labels(Entity.organizations, "label"),
        ),
        _stream(
            Entity.persons,
            V2 + "/persons",
            n,
            {
                "source_id": "id",
                "name": first("name", lambda r: ""),
                "first_name": text("first_name"),
                "last_name": text("last_name"),
                "emails": _contacts("emails"),
                "phones": _contacts("phones"),
                "org_source_id": ref("org_id"),
                "owner_source_id": ref("owner_id"),
                "add_time": utc_time("add_time"),
            },
            **custom,
            **_labels(Entity.persons, "label"),
        ),
        _stream(Entity.pipelines, V2 + "/pipelines", n, {"source_id": "id", "name": "name"}),
        _stream(
            Entity.stages,
            V2 + "/stages",
            n,
            {
                "source_id": "id",
                "name": "name",
                "pipeline_source_id": ref("pipeline_id"),
                "order_nr": lambda raw: int(raw.get("order_nr") or 0),
                "deal_probability": "deal_probability",
            },
        ),
        _stream(
            Entity.products,
            V2 + "/products",
            n,
            {
                "source_id": "id",
                "name": first("name", lambda r: ""),
                "code": text("code"),
                "unit": text("unit"),
                "tax": number("tax"),
                "prices": _prices,
                "owner_source_id": ref("owner_id"),
            },
            **custom,
        ),
        # Since July 2025 the deals list leaves archived deals out: they have a list of their own.
        *(
            _stream(
                Entity.deals, V2 + path, n, DEAL_FIELDS, **custom, **_labels(Entity.deals, "label")
            )
            for path in DEAL_LISTS
        ),
        *(
            Stream(
                Entity.leads,
                V1 + path,
                LEAD_FIELDS,
                paginator=lead_pages(n),
                changed_since=CHANGED,
                **_labels(Entity.leads, "name"),
            )
            for path in LEAD_LISTS
        ),
        *(_line_items(path, n) for path in DEAL_LISTS),
        _stream(
            Entity.activities,
            V2 + "/activities",
            n,
            {
                "source_id": "id",
                "subject": first("subject", lambda r: ""),
                "type": first("type", lambda r: "task"),
                "due_date": text("due_date"),
                "due_time": _hhmm("due_time"),
                "duration": _hhmm("duration"),
                "done": lambda raw: bool(raw.get("done")),
                "note": text("note"),
                "deal_source_id": ref("deal_id"),
                "person_source_id": _activity_person,
                "participant_source_ids": _other_participants,
                "org_source_id": ref("org_id"),
                "lead_source_id": ref("lead_id"),
                "owner_source_id": ref("owner_id"),
            },
            changed_since=CHANGED,
        ),
        _stream(
            Entity.notes,
            V1 + "/notes",
            n,
            {
                "source_id": "id",
                "content": first("content", lambda r: ""),
                "deal_source_id": ref("deal_id"),
                "person_source_id": ref("person_id"),
                "org_source_id": ref("org_id"),
                "lead_source_id": ref("lead_id"),
                "owner_source_id": ref("user_id"),
                "add_time": utc_time("add_time"),
            },
            changed_since=CHANGED,
        ),
        # `/files` takes no updated_since: a delta session reads it whole. Deleted files are
        # kept out of the list; a file still flagged inactive is left out all the same.
        _stream(
            Entity.files,
            V1 + "/files",
            min(n, FILE_PAGE),
            FILE_FIELDS,
            keep=lambda raw: raw.get("active_flag", True) is not False,
        ),
    )
    return SourceSpec(
        name="Pipedrive",
        streams=streams,
        check=AccountCheck(
            V1 + "/users/me",
            {
                "company_id": "data.company_id",
                "company_name": "data.company_name",
                "company_domain": "data.company_domain",
                "user_id": "data.id",
                "user_name": "data.name",
                "user_email": "data.email",
            },
        ),
        field_catalogs=tuple(_catalog(entity, n) for entity in FIELDS_PATH),
        lookups=(
            *(_deal_ids(path, n) for path in DEAL_LISTS),
            *(
                _label_lookup(entity, n)
                for entity in (Entity.organizations, Entity.persons, Entity.deals)
            ),
            LEAD_LABELS,
        ),
        files=FileContent(path=lambda ref: f"{V1}/files/{ref}/download"),
        error_text=error_text,
        is_auth_failure=is_auth_failure,
    )


def pipedrive_source(client: PipedriveClient, *, count_records: bool = True) -> DeclarativeSource:
    """The spec run over the Pipedrive client's connection (its auth, pacing and page size).
    No list gives a total (v2 has no count endpoint): records are counted as they are read."""
    return DeclarativeSource(
        pipedrive_spec(client.page_size), client.api, count_records=count_records
    )
