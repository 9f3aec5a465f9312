"""Insightly (API v3.1) as a source, described for the shared declarative engine.

Vendor facts the description relies on (see the emulator's docstring for where they come from):
- Each customer lives on a pod: `https://api.{pod}.insightly.com/v3.1/` (the "API URL" in User
  Settings). HTTP Basic with the API key as the user name and a blank password.
- Lists take `skip` / `top` (at most 500) and answer a bare JSON array; `count_total=true` puts
  the total in `X-Total-Count`. Field names are UPPER_SNAKE, ids are integers. `brief=false`
  keeps `LINKS` (the record's relations) and `CUSTOMFIELDS` inline, so no per-record request.
- Changed since: `/{Object}/Search?updated_after_utc=...` (another path than the list).
- Custom values: `CUSTOMFIELDS: [{FIELD_NAME: "..__c", FIELD_VALUE}]`; definitions at
  `/CustomFields/{Object}` with `CUSTOM_FIELD_OPTIONS: [{OPTION_ID, OPTION_VALUE}]`.
- Activities are two objects: Tasks (a due *date*, a completion flag and a user-defined
  category: Call, Email...) and Events (calendar appointments with UTC start and end, no kind,
  no completion). Their ids are separate sequences, so source ids carry a prefix.
- A contact has one EMAIL_ADDRESS and fixed phone slots (PHONE, PHONE_MOBILE, PHONE_HOME...).
- A product has one DEFAULT_PRICE in its CURRENCY_CODE; other currencies are price-book entries.
- Errors are ASP.NET Web API bodies: `{"Message": "..."}`.

Two reference tables are read once per run and joined into records (`Lookup`/`Join`): task
categories (for the activity type) and price-book entries (product prices in other currencies).
Leads, tags and file attachments: `prospects.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.core.auth import CredentialField, api_key_as_username
from adapters.core.canonical import Entity, ProductPrice
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    DeclarativeSource,
    FieldCatalog,
    Join,
    Lookup,
    SourceSpec,
    Stream,
)
from adapters.core.http import ApiClient
from adapters.core.mapping import (
    Getter,
    Raw,
    first,
    joined,
    lookup,
    number,
    ref,
    text,
    utc_date,
    utc_time,
)
from adapters.core.paginators import OffsetPaginator
from adapters.insightly.prospects import (
    FILES,
    LEAD_AS,
    OPEN_LEADS,
    file_lookups,
    file_streams,
    tags,
)
from adapters.insightly.shapes import (
    CUSTOM_FIELD_OBJECTS,
    FIELD_TYPES,
    MULTISELECT_SEPARATOR,
    OPPORTUNITY_STATES,
    TASK_CATEGORY_TYPES,
    address,
    custom_values,
    emails,
    error_text,
    event_duration,
    event_time,
    linked,
    note_content,
    options,
    phones,
    prefixed,
    total_count,
)

API = "/v3.1"
PAGE_SIZE = 500  # the most `top` allows


def _pages(size: int) -> OffsetPaginator:
    return OffsetPaginator(
        start_param="skip",
        limit_param="top",
        limit=size,
        more_path=None,
        next_start_path=None,
        records_path=None,
    )


def _lookups(size: int) -> tuple[Lookup, ...]:
    return (
        Lookup("task_categories", f"{API}/TaskCategories", "CATEGORY_ID", None, _pages(size)),
        Lookup("price_book", f"{API}/PricebookEntry", "PRODUCT_ID", None, _pages(size), many=True),
        *file_lookups(_pages(size)),
    )


# The description ------------------------------------------------------------------------------


def _stream(
    entity: Entity,
    path: str,
    fields: Mapping[str, Getter],
    size: int = PAGE_SIZE,
    *,
    search: Mapping[str, str] | None = None,
    **extra: Any,
) -> Stream:
    """The list at `path`; with `search` ({field_name, field_value}) its Search, filtered."""
    return Stream(
        entity,
        API + path + ("/Search" if search else ""),
        fields,
        paginator=_pages(size),
        records=None,
        params={"brief": "false", "count_total": "true", **(search or {})},
        changed_since=ChangedSince("updated_after_utc", path=f"{API}{path}/Search"),
        total=total_count,
        **extra,
    )


def _catalog(entity: Entity) -> FieldCatalog:
    return FieldCatalog(
        entity,
        f"{API}/CustomFields/{CUSTOM_FIELD_OBJECTS[entity]}",
        key="FIELD_NAME",
        name=first("FIELD_LABEL", "FIELD_NAME"),
        type="FIELD_TYPE",
        types=FIELD_TYPES,
        records=None,
        is_custom=lambda raw: str(raw.get("FIELD_NAME", "")).endswith("__c"),
        options=options,
        separator=MULTISELECT_SEPARATOR,
    )


def _task_type(raw: Raw) -> str:
    name = str((raw.get("_category") or {}).get("CATEGORY_NAME") or "")
    return TASK_CATEGORY_TYPES.get(name.strip().lower(), "task")


def _product_prices(raw: Raw) -> list[ProductPrice]:
    """The default price, then the other currencies' active price-book entries."""
    prices = []
    default = number("DEFAULT_PRICE")(raw)
    if default is not None and raw.get("CURRENCY_CODE"):
        prices.append(ProductPrice(price=default, currency=str(raw["CURRENCY_CODE"])))
    seen = {p.currency for p in prices}
    for entry in raw.get("_prices") or []:
        price, currency = number("PRICE")(entry), entry.get("CURRENCY_CODE")
        if price is None or not currency or entry.get("ACTIVE", True) is False:
            continue
        if currency not in seen:
            prices.append(ProductPrice(price=price, currency=str(currency)))
            seen.add(currency)
    return prices


def _activity_streams(size: int) -> tuple[Stream, ...]:
    links = {
        "deal_source_id": first(linked("Opportunity"), ref("OPPORTUNITY_ID")),
        "person_source_id": linked("Contact"),
        "org_source_id": linked("Organisation"),
        "lead_source_id": linked("Lead"),
        "owner_source_id": first(ref("RESPONSIBLE_USER_ID"), ref("OWNER_USER_ID")),
    }

    tasks = _stream(
        Entity.activities,
        "/Tasks",
        {
            "source_id": prefixed("task", "TASK_ID"),
            "subject": first("TITLE", lambda r: ""),
            "type": _task_type,
            "due_date": utc_date("DUE_DATE"),
            "done": lambda raw: bool(raw.get("COMPLETED")),
            "note": text("DETAILS"),
            **links,
        },
        size,
        joins=(Join("task_categories", on="CATEGORY_ID", into="_category"),),
    )
    events = _stream(
        Entity.activities,
        "/Events",
        {
            "source_id": prefixed("event", "EVENT_ID"),
            "subject": first("TITLE", lambda r: ""),
            "type": lambda raw: "meeting",  # an event is an appointment; it has no kind
            "due_date": utc_date("START_DATE_UTC"),
            "due_time": event_time,
            "duration": event_duration,
            "done": lambda raw: False,  # events have no completion state
            "note": text("DETAILS"),
            **links,
        },
        size,
    )
    return tasks, events


def insightly_spec(page_size: int = PAGE_SIZE) -> SourceSpec:
    custom: dict[str, Any] = {"custom_values": custom_values, "size": page_size}
    streams = (
        _stream(
            Entity.users,
            "/Users",
            {
                "source_id": "USER_ID",
                "name": joined("FIRST_NAME", "LAST_NAME"),
                "email": text("EMAIL_ADDRESS"),
                "active": lambda raw: bool(raw.get("ACTIVE", True)),
            },
            page_size,
        ),
        _stream(
            Entity.organizations,
            "/Organisations",
            {
                "source_id": "ORGANISATION_ID",
                "name": first("ORGANISATION_NAME", lambda r: ""),
                "address": first(address("ADDRESS_BILLING"), address("ADDRESS_SHIP")),
                "owner_source_id": ref("OWNER_USER_ID"),
                "labels": tags,
            },
            **custom,
        ),
        _stream(
            Entity.persons,
            "/Contacts",
            {
                "source_id": "CONTACT_ID",
                "name": joined("FIRST_NAME", "LAST_NAME"),
                "first_name": text("FIRST_NAME"),
                "last_name": text("LAST_NAME"),
                "emails": emails,
                "phones": phones,
                "org_source_id": ref("ORGANISATION_ID"),
                "owner_source_id": ref("OWNER_USER_ID"),
                "labels": tags,
            },
            **custom,
        ),
        _stream(
            Entity.pipelines,
            "/Pipelines",
            {"source_id": "PIPELINE_ID", "name": first("PIPELINE_NAME", lambda r: "")},
            page_size,
            keep=lambda raw: raw.get("FOR_OPPORTUNITIES", True) is not False,
        ),
        _stream(
            Entity.stages,
            "/PipelineStages",
            {
                "source_id": "STAGE_ID",
                "name": first("STAGE_NAME", lambda r: ""),
                "pipeline_source_id": ref("PIPELINE_ID"),
                "order_nr": lambda raw: int(raw.get("STAGE_ORDER") or 0),
            },
            page_size,
        ),
        _stream(
            Entity.products,
            "/Product",
            {
                "source_id": "PRODUCT_ID",
                "name": first("PRODUCT_NAME", lambda r: ""),
                "code": text("PRODUCT_CODE"),
                "prices": _product_prices,
                "owner_source_id": ref("OWNER_USER_ID"),
            },
            joins=(Join("price_book", on="PRODUCT_ID", into="_prices"),),
            **custom,
        ),
        _stream(
            Entity.deals,
            "/Opportunities",
            {
                "source_id": "OPPORTUNITY_ID",
                "title": first("OPPORTUNITY_NAME", lambda r: ""),
                "value": first(number("OPPORTUNITY_VALUE"), number("BID_AMOUNT")),
                "currency": text("BID_CURRENCY"),
                "status": lookup(
                    lambda raw: str(raw.get("OPPORTUNITY_STATE") or "").upper(),
                    OPPORTUNITY_STATES,
                    "open",
                ),
                "person_source_id": linked("Contact"),
                "org_source_id": ref("ORGANISATION_ID"),
                "pipeline_source_id": ref("PIPELINE_ID"),
                "stage_source_id": ref("STAGE_ID"),
                "owner_source_id": first(ref("OWNER_USER_ID"), ref("RESPONSIBLE_USER_ID")),
                "expected_close_date": utc_date("FORECAST_CLOSE_DATE"),
                "won_time": _closed_when("WON"),
                "lost_time": _closed_when("LOST", "ABANDONED"),
                "labels": tags,
            },
            **custom,
        ),
        *_activity_streams(page_size),
        _stream(
            Entity.notes,
            "/Notes",
            {
                "source_id": "NOTE_ID",
                "content": note_content,
                "deal_source_id": linked("Opportunity"),
                "person_source_id": linked("Contact"),
                "org_source_id": linked("Organisation"),
                "lead_source_id": linked("Lead"),
                "owner_source_id": ref("OWNER_USER_ID"),
                "add_time": utc_time("DATE_CREATED_UTC"),
            },
            page_size,
        ),
        *(
            _stream(
                entity, "/Leads", fields, page_size, search=OPEN_LEADS, custom_values=_none, **keep
            )
            for entity, fields, keep in LEAD_AS
        ),
        *file_streams(),
    )
    return SourceSpec(
        name="Insightly",
        streams=streams,
        check=AccountCheck(
            f"{API}/Users/Me",
            {
                "user_id": "USER_ID",
                "user_name": joined("FIRST_NAME", "LAST_NAME"),
                "user_email": "EMAIL_ADDRESS",
                "instance_id": "INSTANCE_ID",
            },
        ),
        field_catalogs=tuple(_catalog(entity) for entity in CUSTOM_FIELD_OBJECTS),
        lookups=_lookups(page_size),
        error_text=error_text,
        id="insightly",
        credentials=(CredentialField("api_key", "API key"),),
        auth=api_key_as_username("api_key"),
        api_path=API,
        files=FILES,
    )


def _none(raw: Raw) -> dict[str, Any]:
    return {}  # a lead's custom fields are the Leads object's, not a contact's


def _closed_when(*states: str) -> Getter:
    def read(raw: Raw) -> str | None:
        if str(raw.get("OPPORTUNITY_STATE") or "").upper() not in states:
            return None
        return utc_time("ACTUAL_CLOSE_DATE")(raw)

    return read


SPEC = insightly_spec()


def insightly_source(
    client: ApiClient, *, count_records: bool = True, page_size: int = PAGE_SIZE
) -> DeclarativeSource:
    """The spec at a page size (tests use small pages to cross page boundaries)."""
    return DeclarativeSource(insightly_spec(page_size), client, count_records=count_records)
