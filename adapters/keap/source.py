"""Keap (Infusionsoft) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): REST v1 under `/crm/rest/v1`, lists by
`limit` / `offset` in `{"<resource>": [...], "count", "next"}`; the key in `X-Keap-API-Key`.
Stages come from v2 (`/crm/rest/v2/opportunities/stages`, `page_size` / `page_token`), the one
list that has their probability; v1 serves everything else. One sales pipeline; a closed deal
sits in the account's win or loss stage (`/setting/application/configuration`), read here as
won or lost in the pipeline's first stage. Amounts are in the account's currency
(`/account/profile`). Custom values `custom_fields: [{id, content}]`, definitions under
`/{contacts,companies,opportunities}/model`. Tags label contacts (`tag_ids`) and companies (a
list per tag); files are listed whole by `/files` and fetched base64 one at a time
(attached.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from adapters.core.auth import CredentialField, HeaderAuth
from adapters.core.canonical import ContactPoint, Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    Derived,
    FieldCatalog,
    FileContent,
    ForEach,
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
    first,
    joined,
    minutes_hhmm,
    number,
    parse_time,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.paginators import CursorInBody, OffsetPaginator
from adapters.keap.attached import FILE_FIELDS, company_labels, contact_labels, tag_names

V1 = "/crm/rest/v1"
V2 = "/crm/rest/v2"
DEFAULT_BASE_URL = "https://api.infusionsoft.com"
API_PATH = "/crm/rest"
PIPELINE_ID = "1"  # the account's one sales pipeline
LIMIT = 1000
CONFIG = const("configuration")  # the key of the one row of a settings lookup
TASK_TYPES = {"call": "call", "email": "email"}  # the other task types are plain tasks
STAGE_PAGES = CursorInBody("next_page_token", "page_token", "page_size", LIMIT)
FIELD_TYPES = {
    **dict.fromkeys(("Text", "Name", "Email", "Website", "State", "YesNo"), FieldType.varchar),
    **dict.fromkeys(("WholeNumber", "DecimalNumber", "Percent", "Year"), FieldType.double),
    **dict.fromkeys(("Date", "DateTime"), FieldType.date),
    **dict.fromkeys(("Dropdown", "Radio"), FieldType.enum),
    "SocialSecurityNumber": FieldType.varchar,
    "TextArea": FieldType.text,
    "Currency": FieldType.monetary,
    "ListBox": FieldType.set,
    "PhoneNumber": FieldType.phone,
}


def retry_after(response: httpx.Response) -> float | None:
    """A 429 has no Retry-After; the x-keap-product-* headers say which quota ran out: the
    day's (until it refills), the rolling minute's, or else the per-second spike arrest."""
    if response.status_code != 429:
        return None
    said = response.headers
    expiry = said.get("x-keap-product-quota-expiry-time", "")
    if said.get("x-keap-product-quota-available") == "0" and expiry.isdigit():
        seconds = int(expiry) / (1000 if len(expiry) > 11 else 1)  # milliseconds, or seconds
        return max(seconds - time.time(), 1.0)
    return 60.0 if said.get("x-keap-product-throttle-available") == "0" else 1.0


def one(body: Any) -> list[Raw]:
    return [body] if isinstance(body, dict) else []


def custom_values(raw: Raw) -> dict[str, Any]:
    return {str(v.get("id")): v.get("content") for v in raw.get("custom_fields") or []}


def points(path: str, value_key: str, typed: bool) -> Getter:
    """E-mails or phones in their slot order (EMAIL1 / PHONE1 first: the main one)."""

    def read(raw: Raw) -> list[ContactPoint]:
        items = sorted(raw.get(path) or [], key=lambda item: str(item.get("field")))
        labels = [str(i.get("type") or "work").lower() if typed else "work" for i in items]
        found = [
            ContactPoint(value=str(i[value_key]), label=label)
            for i, label in zip(items, labels, strict=True)
            if i.get(value_key)
        ]
        return [p.model_copy(update={"primary": n == 0}) for n, p in enumerate(found)]

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
    stages = open_stages(list(tables["stages"].values()), tables)
    stages.sort(key=lambda s: s.get("order") or 0)
    return {"first": stages[0]} if stages else {}


def duration(raw: Raw) -> str | None:
    start, end = (parse_time(raw.get(k)) for k in ("start_date", "end_date"))
    if not start or not end or start >= end:
        return None
    return minutes_hhmm(const((end - start).total_seconds() / 60))(raw)


def _v1(entity: Entity, path: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    """A v1 list: `next` is a URL, and a short page is the last (a page is full at `limit`)."""
    records = path.rsplit("/", 1)[-1]
    return Stream(
        entity,
        f"{V1}/{path}",
        {"source_id": ref("id"), **fields},
        paginator=_pages(records),
        records=records,
        total=lambda response, body: (body or {}).get("count"),
        **extra,
    )


def _catalog(entity: Entity, path: str) -> FieldCatalog:
    return FieldCatalog(
        entity,
        f"{V1}/{path}/model",
        key=ref("id"),
        name="label",
        type="field_type",
        types=FIELD_TYPES,
        records="custom_fields",
        options=lambda raw: [(str(o["id"]), str(o["label"])) for o in raw.get("options") or []],
    )


def _pages(records: str) -> OffsetPaginator:
    return OffsetPaginator("offset", "limit", LIMIT, None, None, records)


PROFILE = Join("profile", const("account"), "_profile")
TAG_NAMES = Join("tag_names", const("all"), "_tag_names")
# Companies and contacts list their custom values only when asked to.
CUSTOM: dict[str, Any] = dict(custom_values=custom_values, record_currency=account_currency)
ADDRESS = joined(
    *(f"address.{k}" for k in ["line1", "line2", "locality", "region", "zip_code"]), sep=", "
)
TASK_OR_MEETING = {"subject": first("title", const("")), "note": text("description")}
STREAMS = (
    _v1(
        Entity.users,
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
        {
            "name": text("company_name"),
            "address": lambda raw: ADDRESS(raw) or None,
            "labels": company_labels,
        },
        params={"optional_properties": "custom_fields"},
        joins=(PROFILE, TAG_NAMES, Join("tagged_companies", ref("id"), "_tagged")),
        **CUSTOM,
    ),
    _v1(
        Entity.persons,
        "contacts",
        {
            "name": joined("given_name", "family_name"),
            "first_name": text("given_name"),
            "last_name": text("family_name"),
            "emails": points("email_addresses", "email", typed=False),
            "phones": points("phone_numbers", "number", typed=True),
            "org_source_id": ref("company.id"),
            "owner_source_id": ref("owner_id"),
            "labels": contact_labels,
        },
        changed_since=ChangedSince("since"),
        params={"optional_properties": "custom_fields,tag_ids"},
        joins=(PROFILE, TAG_NAMES),
        **CUSTOM,
    ),
    Stream(
        Entity.pipelines,
        f"{V2}/opportunities/stages",
        {"source_id": const(PIPELINE_ID), "name": const("Sales pipeline")},
        rows_of="first_stage",  # no list of pipelines: one, named so here
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
        paginator=STAGE_PAGES,
        records="stages",
        needs=("configuration",),
        select=open_stages,
    ),
    _v1(
        Entity.products,
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
        {
            "title": text("opportunity_title"),
            "value": number("projected_revenue_high"),
            "currency": account_currency,
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
            Join("configuration", CONFIG, "_config"),
            Join("first_stage", const("first"), "_first"),
        ),
        record_currency=account_currency,
    ),
    _v1(
        Entity.activities,
        "tasks",
        {
            **TASK_OR_MEETING,
            "type": lambda raw: TASK_TYPES.get(str(raw.get("type") or "").lower(), "task"),
            "due_date": utc_date("due_date"),
            "due_time": utc_hhmm("due_date"),
            "done": lambda raw: bool(raw.get("completed")),
            "person_source_id": ref("contact.id"),
            "owner_source_id": ref("user_id"),
        },
    ),
    _v1(
        Entity.activities,
        "appointments",
        {
            **TASK_OR_MEETING,
            "type": const("meeting"),
            "due_date": utc_date("start_date"),
            "due_time": utc_hhmm("start_date"),
            "duration": duration,
            "person_source_id": ref("contact_id"),
            "owner_source_id": ref("user"),
        },
    ),
    _v1(
        Entity.notes,
        "notes",
        {
            "content": lambda raw: raw.get("body") or "",
            "add_time": utc_time("date_created"),
            "person_source_id": ref("contact_id"),
            "owner_source_id": ref("user_id"),
        },
    ),
    # Files in a user's or the company's file box hang on no record: left behind.
    _v1(Entity.files, "files", FILE_FIELDS, keep=lambda raw: raw.get("contact_id") is not None),
)

SPEC = SourceSpec(
    name="Keap",
    streams=STREAMS,
    retry_after=retry_after,
    check=AccountCheck(f"{V1}/account/profile", {"account_name": "name", "user_email": "email"}),
    field_catalogs=(
        _catalog(Entity.organizations, "companies"),
        _catalog(Entity.persons, "contacts"),
        _catalog(Entity.deals, "opportunities"),
    ),
    lookups=(
        Lookup("profile", f"{V1}/account/profile", const("account"), rows=one),
        Lookup("configuration", f"{V1}/setting/application/configuration", CONFIG, rows=one),
        Lookup("stages", f"{V2}/opportunities/stages", ref("id"), "stages", STAGE_PAGES),
        Lookup("tags", f"{V1}/tags", ref("id"), "tags", _pages("tags")),
        Lookup(
            "tagged_companies",
            f"{V1}/tags/{{tag}}/companies",
            ref("company.id"),
            "companies",
            _pages("companies"),
            many=True,
            for_each=ForEach("tags", {"tag": ref("id")}, tag="_tag"),
        ),
    ),
    derived=(
        Derived("first_stage", ("stages", "configuration"), first_stage),
        Derived("tag_names", ("tags",), tag_names),
    ),
    # A file's bytes: its descriptor with `file_data` base64 (the list carries no bytes).
    files=FileContent(
        path=lambda ref: f"{V1}/files/{ref}?optional_properties=file_data", base64="file_data"
    ),
    id="keap",
    # A personal access token or service account key (Settings > API), sent in
    # `X-Keap-API-Key`; an OAuth2 access token is a bearer token instead.
    credentials=(CredentialField("api_key", "Service account key or personal access token"),),
    auth=lambda credentials, _url: HeaderAuth("X-Keap-API-Key", credentials["api_key"]),
    default_base_url=DEFAULT_BASE_URL,
    api_path=API_PATH,
)
