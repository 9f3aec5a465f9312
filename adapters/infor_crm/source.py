"""Infor CRM (Saleslogix) as a source, described for the shared declarative engine over SData
(adapters/core/sdata.py); the vendor facts and their sources are in the emulator's docstring,
what a migration carries in render's. Stages are the "Opportunity Stage" picklist's items;
notes are History of Type atNote, done activities the other History.
"""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    FieldCatalog,
    FileContent,
    Join,
    Lookup,
    SourceSpec,
    Stream,
)
from adapters.core.mapping import (
    Getter,
    Raw,
    joined,
    minutes_hhmm,
    number,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
    value_at,
)
from adapters.core.sdata import (
    FileColumns,
    LeadColumns,
    SDataPages,
    and_where,
    basic_login,
    changed_since,
    closed,
    error_text,
    feed_lookup,
    feed_stream,
    joined_rows,
    points,
)

SDATA = "/sdata/slx"
DYNAMIC = f"{SDATA}/dynamic/-"
SYSTEM = f"{SDATA}/system/-"
JSON = {"format": "json"}
STAGES = {**JSON, "where": "name eq 'Opportunity Stage'", "include": "items"}
TYPES = {"atPhoneCall": "call", "atAppointment": "meeting", "atToDo": "task", "atEMail": "email"}
STATUS = {"Closed - Won": "won", "Closed - Lost": "lost"}
NOT_ACTIVITIES = "Type ne 'atNote' and Type ne 'atDatabaseChange'"
BASE = {**JSON, "where": "name eq 'BaseCurrency'"}
PICKLIST = Join("picklists", text("pickListName"), "_picklist")
ENTITIES = {Entity.organizations: "Account", Entity.persons: "Contact"}
ENTITIES |= {Entity.deals: "Opportunity", Entity.products: "Product"}
# Property data types as canonical ones (a Currency property is a bare amount: a number).
FIELD_TYPES = {
    **dict.fromkeys(("Text", "Unicode Text", "Email", "Url", "Char"), FieldType.varchar),
    **dict.fromkeys(("Decimal", "Double", "Integer", "Currency"), FieldType.double),
    **{"Memo": FieldType.text, "Phone": FieldType.phone, "DateTime": FieldType.date},
    **{"PickList": FieldType.enum, "PickList (multiple)": FieldType.set},
}
# The properties the streams read themselves: every other one a user may write is custom.
OWN = {
    "Account": {"AccountName", "Address", "AccountManager"},
    "Contact": {"FirstName", "LastName", "Email", "SecondaryEmail", "WorkPhone", "HomePhone"}
    | {"Mobile", "Account", "AccountManager"},
    "Opportunity": {"Description", "SalesPotential", "ExchangeRateCode", "Status", "Stage"}
    | {"Account", "AccountManager", "EstimatedClose", "ActualClose"},
    "Product": {"Name", "ActualId", "Unit", "Price", "Status"},
}


def items(picklist: Raw) -> list[Raw]:
    """A picklist's items, each with the picklist's key."""
    listed = (picklist.get("items") or {}).get("$resources") or []
    return [{**item, "_picklist": picklist.get("$key")} for item in listed]


def properties(entity: str) -> str:
    """The metadata feed of an entity's properties."""
    return f"{SDATA}/metadata/-/entities('{entity}')/properties"


def percent(fraction: float) -> float:
    """A Discount (a fraction of the price) as a percentage."""
    return round(fraction * 100, 4)


def data_type(raw: Raw) -> str:
    """A property's type; a PickList whose picklist allows several items is a multi-choice."""
    kind = str(raw.get("dataType") or "")
    return f"{kind} (multiple)" if (raw.get("_picklist") or {}).get("allowMultiples") else kind


def catalog(entity: Entity, name: str) -> FieldCatalog:
    return FieldCatalog(
        entity,
        "",
        key=text("propertyName"),
        name=lambda raw: raw.get("displayName") or raw.get("propertyName"),
        type=data_type,
        types=FIELD_TYPES,
        records=None,
        is_custom=lambda raw: (
            not (raw.get("isKey") or raw.get("isReadOnly"))
            and raw.get("propertyName") not in OWN[name]
        ),
        options=lambda raw: [(i["text"], i["text"]) for i in items(raw.get("_picklist") or {})],
        rows_of=f"defs_{name}",
    )


def price(raw: Raw) -> list[dict[str, Any]]:
    """A product's one Price, in the base currency."""
    found = number("Price")(raw)
    return [] if found is None else [{"price": found, "currency": value_at(raw, "_base.value")}]


def timed(getter: Getter) -> Getter:
    """The time of day of a StartDate, unless the activity is timeless (all day)."""
    return lambda raw: None if raw.get("Timeless") else utc_hhmm(getter)(raw)


def _feed(entity: Entity, path: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    changed = extra.pop("changed", changed_since("ModifyDate"))
    params = {**JSON, **extra.pop("params", {})}
    return feed_stream(entity, path, fields, changed, params=params, **extra)


LINKS: dict[str, Getter] = {
    "lead_source_id": ref("LeadId"),
    "deal_source_id": ref("OpportunityId"),
    "person_source_id": ref("ContactId"),
    "org_source_id": ref("AccountId"),
    "owner_source_id": ref("UserId"),
}


def _activities(path: str, done: bool, **extra: Any) -> Stream:
    return _feed(
        Entity.activities,
        path,
        {
            "subject": lambda raw: raw.get("Description") or "",
            "type": lambda raw: TYPES.get(raw.get("Type") or "", "task"),
            "due_date": utc_date("StartDate"),
            "due_time": timed("StartDate"),
            "duration": minutes_hhmm("Duration"),
            "done": lambda raw: done,
            "note": text("LongNotes"),
            **LINKS,
        },
        **extra,
    )


# An attachment's record: the most particular one it names (one on a contact names its account
# too, one on an activity its contact, account, opportunity or lead).
ATTACHED = {"activityId": "activity_source_id", "historyId": "activity_source_id"}
ATTACHED |= {"opportunityId": "deal_source_id", "leadId": "lead_source_id"}
ATTACHED |= {"contactId": "person_source_id", "accountId": "org_source_id"}
ATTACHMENTS = FileColumns("fileName", "fileSize", "attachDate", ATTACHED)
# A lead's person and company: its own properties (no title of its own: "Name (Company)").
LEADS = LeadColumns(
    first="FirstName",
    last="LastName",
    company="Company",
    email="Email",
    phones=(("WorkPhone", "work"), ("Mobile", "mobile")),
    owner="AccountManager.$key",
    created="CreateDate",
)
FILES = FileContent(path=lambda key: f"{SYSTEM}/attachments('{key}')/file")


STREAMS = (
    _feed(
        Entity.users,
        f"{DYNAMIC}/users",
        {
            "name": joined("UserInfo.FirstName", "UserInfo.LastName"),
            "email": text("UserInfo.Email"),
        },
    ),
    _feed(
        Entity.organizations,
        f"{DYNAMIC}/accounts",
        {
            "name": text("AccountName"),
            "address": text("Address.Address1"),
            "owner_source_id": ref("AccountManager.$key"),
        },
    ),
    _feed(
        Entity.persons,
        f"{DYNAMIC}/contacts",
        {
            "name": joined("FirstName", "LastName"),
            "first_name": text("FirstName"),
            "last_name": text("LastName"),
            "emails": points(("Email", "work"), ("SecondaryEmail", "home")),
            "phones": points(("WorkPhone", "work"), ("HomePhone", "home"), ("Mobile", "mobile")),
            "org_source_id": ref("Account.$key"),
            "owner_source_id": ref("AccountManager.$key"),
        },
    ),
    _feed(Entity.pipelines, f"{SYSTEM}/picklists", {"name": text("name")}, params=STAGES),
    Stream(
        Entity.stages,
        f"{SYSTEM}/picklists",
        {
            "source_id": ref("$key"),
            "name": text("text"),
            "pipeline_source_id": ref("_picklist"),
            "order_nr": lambda raw: int(raw.get("number") or 0),
        },
        paginator=SDataPages(),
        records="$resources",
        params=STAGES,
        explode=items,
    ),
    _feed(
        Entity.products,
        f"{DYNAMIC}/products",
        {"name": text("Name"), "code": text("ActualId"), "unit": text("Unit"), "prices": price},
        joins=(Join("options", lambda raw: "BaseCurrency", "_base"),),
        needs=("options",),
    ),
    _feed(
        Entity.deals,
        f"{DYNAMIC}/opportunities",
        {
            "title": lambda raw: raw.get("Description") or "",
            "value": number("SalesPotential"),
            "currency": text("ExchangeRateCode"),
            "status": lambda raw: STATUS.get(raw.get("Status") or "", "open"),
            "person_source_id": ref("_primary.Contact.$key"),
            "org_source_id": ref("Account.$key"),
            "pipeline_source_id": ref("_stage._picklist"),
            "stage_source_id": ref("_stage.$key"),
            "owner_source_id": ref("AccountManager.$key"),
            "expected_close_date": utc_date("EstimatedClose"),
            "won_time": closed("won", "Status", STATUS, utc_time("ActualClose")),
            "lost_time": closed("lost", "Status", STATUS, utc_time("ActualClose")),
        },
        joins=(
            Join("primary_contacts", ref("$key"), "_primary"),
            Join("stage_items", text("Stage"), "_stage"),
        ),
        needs=("primary_contacts", "stage_items"),
    ),
    _feed(
        Entity.deal_products,
        f"{DYNAMIC}/opportunityProducts",
        {
            "deal_source_id": ref("Opportunity.$key"),
            "product_source_id": ref("Product.$key"),
            "item_price": number("Price"),
            "quantity": number("Quantity"),
            "discount": lambda raw: percent(float(raw.get("Discount") or 0)),
            "discount_type": lambda raw: "percentage",
        },
    ),
    *LEADS.streams(f"{DYNAMIC}/leads", changed_since("ModifyDate"), params=JSON),
    _activities(f"{SYSTEM}/activities", done=False),
    _activities(f"{DYNAMIC}/history", done=True, query=and_where(NOT_ACTIVITIES)),
    _feed(
        Entity.notes,
        f"{DYNAMIC}/history",
        {
            "content": lambda raw: raw.get("LongNotes") or raw.get("Notes") or "",
            "add_time": utc_time("CompletedDate"),
            **LINKS,
        },
        query=and_where("Type eq 'atNote'"),
    ),
    ATTACHMENTS.stream(  # file attachments (dataType R), not URL links (U)
        f"{SYSTEM}/attachments", None, params={**JSON, "where": "dataType eq 'R'"}
    ),
)

SPEC = SourceSpec(
    name="Infor CRM",
    streams=STREAMS,
    check=AccountCheck(
        f"{DYNAMIC}/users",
        {
            "users": "$totalResults",
            "first_user": lambda body: ((body.get("$resources") or [{}])[0]).get("UserName"),
        },
        params={**JSON, "count": 1},
    ),
    field_catalogs=tuple(catalog(entity, name) for entity, name in ENTITIES.items()),
    derived=tuple(  # each property with the picklist it names
        joined_rows(f"defs_{name}", f"properties_{name}", PICKLIST) for name in ENTITIES.values()
    ),
    lookups=(
        *(
            feed_lookup(f"properties_{name}", properties(name), text("propertyName"), JSON)
            for name in ENTITIES.values()
        ),
        feed_lookup("picklists", f"{SYSTEM}/picklists", text("name"), {**JSON, "include": "items"}),
        feed_lookup("options", f"{SYSTEM}/systemoptions", text("name"), BASE),
        feed_lookup(
            "primary_contacts",
            f"{DYNAMIC}/opportunityContacts",
            ref("Opportunity.$key"),
            {**JSON, "where": "IsPrimary eq true"},
        ),
        Lookup(
            "stage_items",
            f"{SYSTEM}/picklists",
            key=text("text"),
            paginator=SDataPages(),
            params=STAGES,
            rows=lambda body: [item for p in body.get("$resources") or [] for item in items(p)],
        ),
    ),
    files=FILES,
    error_text=error_text,
    id="infor_crm",
    # A user of the Infor CRM server (Web Client login); SData takes it as HTTP Basic.
    **basic_login("User name"),
    api_path=SDATA,
)
