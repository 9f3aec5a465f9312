"""Keap (Infusionsoft) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): REST v1 under `/crm/rest/v1`, lists by
`limit` / `offset` in `{"<resource>": [...], "count", "next"}`; the key in `X-Keap-API-Key`.
Stages come from v2 (`/crm/rest/v2/opportunities/stages`, `page_size` / `page_token`), the one
list that has their probability; v1 serves everything else. One sales pipeline; a closed deal
sits in the account's win or loss stage (`/setting/application/configuration`), read here as
won or lost in the pipeline's first stage. Amounts are in the account's currency
(`/account/profile`). Custom values `custom_fields: [{id, content}]`, definitions under
`/{contacts,companies,opportunities}/model`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.core.canonical import ContactPoint, Entity
from adapters.core.declarative import (
    AccountCheck,
    Derived,
    FieldCatalog,
    Join,
    Lookup,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.mapping import (
    Getter,
    Raw,
    const,
    joined,
    number,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.paginators import CursorInBody, OffsetPaginator

V1 = "/crm/rest/v1"
V2 = "/crm/rest/v2"
DEFAULT_BASE_URL = "https://api.infusionsoft.com"
API_PATH = "/crm/rest"
PIPELINE_ID = "1"  # the account's one sales pipeline
LIMIT = 1000
FIELD_TYPES = {
    "Text": "varchar",
    "TextArea": "text",
    "Name": "varchar",
    "Email": "varchar",
    "Website": "varchar",
    "State": "varchar",
    "SocialSecurityNumber": "varchar",
    "WholeNumber": "double",
    "DecimalNumber": "double",
    "Percent": "double",
    "Year": "double",
    "Currency": "monetary",
    "Date": "date",
    "DateTime": "date",
    "Dropdown": "enum",
    "Radio": "enum",
    "YesNo": "enum",
    "ListBox": "set",
    "PhoneNumber": "phone",
}
TASK_TYPES = {"call": "call", "email": "email"}  # the other task types are plain tasks


def pages(records: str) -> OffsetPaginator:
    """`next` is a URL; a short page is the last (a page is full at `limit`)."""
    return OffsetPaginator(
        start_param="offset",
        limit=LIMIT,
        more_path=None,
        next_start_path=None,
        records_path=records,
    )


def total(records: str) -> Any:
    return lambda response, body: (body or {}).get("count")


def one(body: Any) -> list[Raw]:
    return [body] if isinstance(body, dict) else []


def custom_values(raw: Raw) -> dict[str, Any]:
    return {str(v.get("id")): v.get("content") for v in raw.get("custom_fields") or []}


def points(path: str, value_key: str, typed: bool) -> Getter:
    """E-mails or phones in their slot order (EMAIL1 / PHONE1 first: the main one)."""

    def read(raw: Raw) -> list[ContactPoint]:
        items = sorted(raw.get(path) or [], key=lambda item: str(item.get("field")))
        found = [
            ContactPoint(
                value=str(item[value_key]),
                label=str(item.get("type") or "work").lower() if typed else "work",
            )
            for item in items
            if item.get(value_key)
        ]
        if found:
            found[0].primary = True
        return found

    return read


def account_currency(raw: Raw) -> str | None:
    return (raw.get("_profile") or {}).get("currency_code")


def deal_state(raw: Raw) -> str:
    states = ((raw.get("_config") or {}).get("opportunity") or {}).get("states") or {}
    stage = raw.get("stage") or {}
    for status, state in (("won", "win"), ("lost", "loss")):
        wanted = str((states.get(state) or {}).get("stage") or "")
        if wanted and wanted in (str(stage.get("name")), str(stage.get("id"))):
            return status
    return "open"


def deal_stage(raw: Raw) -> str | None:
    """A closed deal's stage is its state: it is read into the pipeline's first stage."""
    if deal_state(raw) != "open":
        return (raw.get("_first") or {}).get("id")
    return ref("stage.id")(raw)


def lost_reason(raw: Raw) -> str | None:
    reasons = (raw.get("stage") or {}).get("reasons") or []
    return str(reasons[0]) if deal_state(raw) == "lost" and reasons else None


def open_stages(raws: list[Raw], state: RunState) -> list[Raw]:
    """The stages a deal can be open in: not the account's win and loss stages."""
    config = state["configuration"].get("configuration")
    return [raw for raw in raws if deal_state({"_config": config, "stage": raw}) == "open"]


def first_stage(tables: RunState) -> Mapping[str, Any]:
    stages = sorted(tables["stages"].values(), key=lambda s: s.get("order") or 0)
    return {"first": stages[0]} if stages else {}


def duration(raw: Raw) -> str | None:
    start, end = (utc_time(k)(raw) for k in ("start_date", "end_date"))
    if not start or not end or start >= end:
        return None
    from datetime import datetime

    minutes = int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).seconds // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _v1(entity: Entity, path: str, records: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    return Stream(
        entity,
        f"{V1}/{path}",
        {"source_id": ref("id"), **fields},
        paginator=pages(records),
        records=records,
        total=total(records),
        **extra,
    )


def _catalog(entity: Entity, path: str) -> FieldCatalog:
    return FieldCatalog(
        entity,
        f"{V1}/{path}/model",
        key=ref("id"),
        name="label",
        type="field_type",
        types=FIELD_TYPES,  # type: ignore[arg-type]
        records="custom_fields",
        options=lambda raw: [(str(o["id"]), str(o["label"])) for o in raw.get("options") or []],
    )


PROFILE = Join("profile", const("account"), "_profile")
WITH_CUSTOM = {"optional_properties": "custom_fields"}
STREAMS = (
    _v1(
        Entity.users,
        "users",
        "users",
        {
            "name": joined("given_name", "family_name"),
            "email": text("email_address"),
            "active": lambda raw: raw.get("status") != "Inactive",
        },
    ),
    _v1(
        Entity.organizations,
        "companies",
        "companies",
        {
            "name": text("company_name"),
            "address": lambda raw: (
                joined(
                    *(f"address.{k}" for k in ("line1", "line2", "locality", "region", "zip_code")),
                    sep=", ",
                )(raw)
                or None
            ),
        },
        params=WITH_CUSTOM,
        custom_values=custom_values,
        joins=(PROFILE,),
        record_currency=account_currency,
    ),
    _v1(
        Entity.persons,
        "contacts",
        "contacts",
        {
            "name": joined("given_name", "family_name"),
            "first_name": text("given_name"),
            "last_name": text("family_name"),
            "emails": points("email_addresses", "email", typed=False),
            "phones": points("phone_numbers", "number", typed=True),
            "org_source_id": ref("company.id"),
            "owner_source_id": ref("owner_id"),
        },
        params=WITH_CUSTOM,
        custom_values=custom_values,
        joins=(PROFILE,),
        record_currency=account_currency,
    ),
    Stream(
        Entity.pipelines,
        f"{V2}/opportunities/stages",
        {"source_id": const(PIPELINE_ID), "name": const("Sales pipeline")},
        paginator=CursorInBody("next_page_token", "page_token", "page_size", LIMIT),
        records="stages",
        select=lambda raws, state: raws[:1],
    ),
    Stream(
        Entity.stages,
        f"{V2}/opportunities/stages",
        {
            "source_id": ref("id"),
            "name": text("name"),
            "pipeline_source_id": const(PIPELINE_ID),
            "order_nr": "order",
            "deal_probability": "probability",
        },
        paginator=CursorInBody("next_page_token", "page_token", "page_size", LIMIT),
        records="stages",
        needs=("configuration",),
        select=open_stages,
    ),
    _v1(
        Entity.products,
        "products",
        "products",
        {
            "name": text("product_name"),
            "code": text("sku"),
            "prices": lambda raw: (
                [{"price": float(raw["product_price"]), "currency": account_currency(raw)}]
                if raw.get("product_price") is not None
                else []
            ),
        },
        joins=(PROFILE,),
    ),
    _v1(
        Entity.deals,
        "opportunities",
        "opportunities",
        {
            "title": text("opportunity_title"),
            "value": number("projected_revenue_high"),
            "currency": lambda raw: (
                account_currency(raw) if raw.get("projected_revenue_high") is not None else None
            ),
            "status": deal_state,
            "person_source_id": ref("contact.id"),
            "pipeline_source_id": const(PIPELINE_ID),
            "stage_source_id": deal_stage,
            "owner_source_id": ref("user.id"),
            "expected_close_date": utc_date("estimated_close_date"),
            "lost_reason": lost_reason,
        },
        custom_values=custom_values,
        joins=(
            PROFILE,
            Join("configuration", const("configuration"), "_config"),
            Join("first_stage", const("first"), "_first"),
        ),
        record_currency=account_currency,
    ),
    _v1(
        Entity.activities,
        "tasks",
        "tasks",
        {
            "subject": lambda raw: raw.get("title") or "",
            "type": lambda raw: TASK_TYPES.get(str(raw.get("type") or "").lower(), "task"),
            "due_date": utc_date("due_date"),
            "due_time": utc_hhmm("due_date"),
            "done": lambda raw: bool(raw.get("completed")),
            "note": text("description"),
            "person_source_id": ref("contact.id"),
            "owner_source_id": ref("user_id"),
        },
    ),
    _v1(
        Entity.activities,
        "appointments",
        "appointments",
        {
            "subject": lambda raw: raw.get("title") or "",
            "type": const("meeting"),
            "due_date": utc_date("start_date"),
            "due_time": utc_hhmm("start_date"),
            "duration": duration,
            "note": text("description"),
            "person_source_id": ref("contact_id"),
            "owner_source_id": ref("user"),
        },
    ),
    _v1(
        Entity.notes,
        "notes",
        "notes",
        {
            "content": lambda raw: raw.get("body") or "",
            "add_time": utc_time("date_created"),
            "person_source_id": ref("contact_id"),
            "owner_source_id": ref("user_id"),
        },
    ),
)

SPEC = SourceSpec(
    name="Keap",
    streams=STREAMS,
    check=AccountCheck(f"{V1}/account/profile", {"account_name": "name", "user_email": "email"}),
    field_catalogs=(
        _catalog(Entity.organizations, "companies"),
        _catalog(Entity.persons, "contacts"),
        _catalog(Entity.deals, "opportunities"),
    ),
    lookups=(
        Lookup("profile", f"{V1}/account/profile", const("account"), rows=one),
        Lookup(
            "configuration",
            f"{V1}/setting/application/configuration",
            const("configuration"),
            rows=one,
        ),
        Lookup(
            "stages",
            f"{V2}/opportunities/stages",
            ref("id"),
            records="stages",
            paginator=CursorInBody("next_page_token", "page_token", "page_size", LIMIT),
        ),
    ),
    derived=(Derived("first_stage", ("stages",), first_stage),),
)
