"""Act! (the Act! Web API, act.web.api) as a source, described for the shared declarative engine
(vendor facts, with their sources, in the emulator's docstring).

The API sits on the customer's own server or a per-customer cloud host (no default base URL);
`GET /authorize` with Basic username:password and `Act-Database-Name` answers a JWT, the bearer
of every call. Lists are OData over bare arrays; records link `contacts[]`, `companies[]` and
`opportunities[]`. Amounts are in the database's one currency, which no call names: the user
states it (`currency`); without it deals arrive without one and products are not read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.core.auth import CredentialField, TokenExchangeAuth, basic_token_login
from adapters.core.canonical import Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    FieldCatalog,
    FileContent,
    ForEach,
    Join,
    Lookup,
    SourceSpec,
    Stream,
)
from adapters.core.mapping import (
    Getter,
    Raw,
    between,
    columns,
    joined,
    nth_ref,
    number,
    ref,
    text,
    unless,
    utc_date,
    utc_hhmm,
    utc_time,
    value_at,
)
from adapters.core.naming import mime_type
from adapters.core.odata import odata_pages
from adapters.core.sdata import joined_rows

API_PATH = "/act.web.api"
# Act! field types (MetaData.Schema.NewColumn) as canonical ones; a picklist column is a choice.
# A Currency field is a bare amount in the database's one currency.
FIELD_TYPES = {
    **dict.fromkeys(
        ("Character", "InitialCaps", "Lowercase", "Uppercase", "Email", "Url"), FieldType.varchar
    ),
    **dict.fromkeys(("Number", "Decimal", "Currency"), FieldType.double),
    "Memo": FieldType.text,
    "Date": FieldType.date,
    "Phone": FieldType.phone,
    "Picklist": FieldType.enum,
    "MultiPicklist": FieldType.set,
}
RECORD_TYPES = {
    Entity.organizations: "company",
    Entity.persons: "contact",
    Entity.deals: "opportunity",
}
EMAILS = (("emailAddress", "work"), ("altEmailAddress", "other"), ("personalEmailAddress", "home"))
PHONES = (
    ("businessPhone", "work"),
    ("mobilePhone", "mobile"),
    ("homePhone", "home"),
    ("alternatePhone", "other"),
)
# Act!'s built-in activity types, and the custom ones the sandbox adds for the rest.
ACTIVITY_KINDS = {
    "Call": "call",
    "Meeting": "meeting",
    "To-do": "task",
    "Deadline": "deadline",
    "E-mail": "email",
    "Lunch": "lunch",
}
STATUSES = {"Open": "open", "Won": "won", "Lost": "lost", "Inactive": "lost"}
NO_CURRENCY = (
    "products: all, and deals' line items (Act! keeps amounts in the database's one currency, "
    "which no call names: give it as the connection's currency setting)"
)


def act_auth(credentials: dict[str, str], base_url: str) -> TokenExchangeAuth:
    host = base_url.rstrip("/").removesuffix(API_PATH)
    database = {"Act-Database-Name": credentials["database"]}
    login = (credentials["username"], credentials["password"])
    return basic_token_login(f"{host}{API_PATH}/authorize", *login, headers=database)


def custom(raw: Raw) -> dict[str, Any]:
    return raw.get("customFields") or {}


def _list(entity: Entity, path: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    """A list at `api/{path}`, OData-paged, changed since a time by its `edited` stamp."""
    extra.setdefault("changed_since", ChangedSince("$filter", "edited gt {iso}"))
    fields = {"source_id": ref("id"), **fields}
    return Stream(entity, f"/api/{path}", fields, paginator=odata_pages(), records=None, **extra)


def field_type(raw: Raw) -> str:
    picklist = raw.get("picklist")
    if picklist:
        return "MultiPicklist" if picklist.get("isMultiSelect") else "Picklist"
    return str(raw.get("type") or "")


LOOKUPS = (
    *(
        Lookup(f"{name}_{record_type}", f"/api/metadata/{record_type}/{name}", key, None)
        for record_type in RECORD_TYPES.values()
        for name, key in (("fields", "columnName"), ("picklists", "id"))
    ),
    # A contact's groups, from each group's members (one list a group, not one a contact).
    Lookup("groups", "/api/groups", "id", None, odata_pages()),
    Lookup(
        "members",
        "/api/groups/{id}/associated-contacts",
        "id",
        None,
        odata_pages(),
        {"$select": "id"},
        many=True,
        for_each=ForEach("groups", {"id": "id", "name": "name"}, tag="group"),
    ),
    Lookup("opportunity_ids", "/api/opportunities", "id", None, odata_pages(), {"$select": "id"}),
)
# A record type's columns, each with its picklist (`_picklist`).
DERIVED = tuple(
    joined_rows(f"defs_{rt}", f"fields_{rt}", Join(f"picklists_{rt}", "picklist.id", "_picklist"))
    for rt in RECORD_TYPES.values()
)
CATALOGS = tuple(
    FieldCatalog(
        entity,
        "",
        key="columnName",
        name="displayName",
        type=field_type,
        types=FIELD_TYPES,
        records=None,
        is_custom=lambda raw: bool(raw.get("isCustom")),
        options=lambda raw: [
            (i["value"], i["value"]) for i in (raw["_picklist"] or {}).get("items", [])
        ],
        separator=";",
        rows_of=f"defs_{record_type}",
    )
    for entity, record_type in RECORD_TYPES.items()
)
LINKS = {
    "person_source_id": nth_ref("contacts"),
    "org_source_id": nth_ref("companies"),
    "deal_source_id": nth_ref("opportunities"),
}


def activity(done: Any, type_name: str, subject: str, owner: str) -> dict[str, Getter]:
    """An open activity or a history record: due at `startTime` (a day only when timeless),
    the first of `contacts[]` its person, the others taking part."""
    timeless = lambda raw: raw.get("isTimeless") or raw.get("isAllDay")  # noqa: E731
    return {
        "subject": lambda raw: raw.get(subject) or "",
        "type": lambda raw: ACTIVITY_KINDS.get(str(value_at(raw, type_name) or ""), "task"),
        "due_date": utc_date("startTime"),
        "due_time": unless(timeless, utc_hhmm("startTime")),
        "duration": unless(timeless, between("startTime", "endTime")),
        "done": done,
        "note": text("details"),
        "owner_source_id": ref(owner),
        "participant_source_ids": lambda raw: [ref("id")(c) for c in raw["contacts"][1:]],
        **LINKS,
    }


def attachments(path: str, kind: str, links: Mapping[str, Getter]) -> Stream:
    """The files attached to a list's records (one `attachment` a record, known by the record's
    id), their bytes at `api/attachments/{kind}/{id}`."""
    return _list(
        Entity.files,
        path,
        {
            "name": "attachment.displayName",
            "mime_type": lambda raw: mime_type(raw["attachment"]["displayName"]),
            "size": "attachment.fileSize",
            "content_ref": lambda raw: f"{kind}/{raw['id']}",
            "add_time": utc_time("attachment.lastModified"),
            **links,
        },
        keep=lambda raw: bool(raw.get("attachment")),
    )


def closed(status: str, getter: Getter) -> Getter:
    """What an opportunity closed as `status` says of it (its close time, its reason)."""
    return lambda raw: value_at(raw, getter) if raw.get("status") == status else None


def priced(currency: str | None) -> Getter:
    """A product's one price, in the database's currency (none without it)."""
    one = lambda raw: {"price": raw["price"], "currency": currency}  # noqa: E731
    return lambda raw: [one(raw)] if currency and raw.get("price") is not None else []


STREAMS = (
    Stream(
        Entity.users,
        "/api/users",
        {
            "source_id": ref("id"),
            "name": lambda raw: raw.get("displayName") or joined("firstName", "lastName")(raw),
            "email": text("email"),
            "active": lambda raw: raw.get("status") == "Active",
        },
        records=None,  # one plain array: the users list takes no OData
    ),
    _list(
        Entity.organizations,
        "companies",
        {
            "name": text("name"),
            "address": text("address.line1"),
            "owner_source_id": ref("recordManagerID"),
            "add_time": utc_time("created"),
        },
        custom_values=custom,
    ),
    _list(
        Entity.persons,
        "contacts",
        {
            "name": text("fullName"),
            "first_name": text("firstName"),
            "last_name": text("lastName"),
            "emails": columns(*EMAILS),
            "phones": columns(*PHONES),
            "org_source_id": ref("companyID"),
            "owner_source_id": ref("recordManagerID"),
            "add_time": utc_time("created"),
            "labels": lambda raw: sorted(row["group"]["name"] for row in raw["_groups"] or []),
        },
        custom_values=custom,
        joins=(Join("members", ref("id"), "_groups"),),
    ),
    _list(Entity.pipelines, "opportunities/processes", {"name": text("name")}, changed_since=None),
    _list(
        Entity.stages,
        "opportunities/stages",
        {
            "name": text("name"),
            "pipeline_source_id": ref("process.id"),
            "order_nr": "number",
            "deal_probability": "probability",
        },
        changed_since=None,
    ),
    _list(
        Entity.products,
        "products",
        {
            "name": text("name"),
            "code": text("itemNumber"),
            "prices": priced(None),
        },
        changed_since=ChangedSince("$filter", "editDate gt {iso}"),
    ),
    _list(
        Entity.deals,
        "opportunities",
        {
            "title": text("name"),
            "value": number("productTotal"),
            "status": lambda raw: STATUSES.get(str(raw.get("status")), "open"),
            "person_source_id": nth_ref("contacts"),
            "org_source_id": nth_ref("companies"),
            "pipeline_source_id": ref("stage.process.id"),
            "stage_source_id": ref("stage.id"),
            "owner_source_id": ref("recordManagerID"),
            "expected_close_date": utc_date("estimatedCloseDate"),
            "won_time": closed("Won", utc_time("actualCloseDate")),
            "lost_time": closed("Lost", utc_time("actualCloseDate")),
            "lost_reason": closed("Lost", text("reason")),
            "add_time": utc_time("created"),
            "labels": lambda raw: [group["name"] for group in raw.get("groups") or []],
        },
        custom_values=custom,
    ),
    # Line items: one list per opportunity (no call lists them all).
    _list(
        Entity.deal_products,
        "opportunities/{id}/products",
        {
            "deal_source_id": ref("opportunityID"),
            "product_source_id": ref("productID"),
            "item_price": number("price"),
            "quantity": "quantity",
            "discount": lambda raw: raw.get("discount") or 0.0,  # a percentage
        },
        for_each=ForEach("opportunity_ids", {"id": "id"}),
        changed_since=None,
    ),
    # Scheduled activities; what was done is a history record, typed by its history type.
    _list(
        Entity.activities,
        "activities",
        activity(
            lambda raw: bool(raw.get("isCleared")), "activityTypeName", "subject", "scheduledForId"
        ),
    ),
    _list(
        Entity.activities,
        "history",
        activity(lambda raw: True, "historyType.activityTypeName", "regarding", "recordManagerID"),
    ),
    _list(
        Entity.notes,
        "notes",
        {
            "content": lambda raw: raw.get("noteText") or "",
            "add_time": utc_time("displayDate"),
            "owner_source_id": ref("recordManagerID"),
            **LINKS,
        },
    ),
    # Documents are history items of their own, on contacts, companies and opportunities.
    attachments("documents", "documents", LINKS),
    attachments("history", "history", {"activity_source_id": ref("id")}),
    attachments("activities", "activities", {"activity_source_id": ref("id")}),
)


def with_currency(spec: SourceSpec, settings: Mapping[str, str]) -> tuple[SourceSpec, list[str]]:
    """The spec for a connection: amounts in the currency it states; without one, no products
    or line items (a price needs a currency) and deals without a currency."""
    code = settings.get("currency", "").strip().upper()
    if not code:
        unpriced = (Entity.products, Entity.deal_products)
        return spec.without(*unpriced), [NO_CURRENCY]
    money = {
        Entity.deals: {"currency": lambda raw: code},
        Entity.products: {"prices": priced(code)},
    }
    return spec.with_fields(money), []


SPEC = SourceSpec(
    name="Act!",
    streams=STREAMS,
    # No call names the database or the signed-in user: the user list proves the credentials.
    check=AccountCheck(
        "/api/users", {"users": lambda body: len(body) if isinstance(body, list) else None}
    ),
    field_catalogs=CATALOGS,
    lookups=LOOKUPS,
    derived=DERIVED,
    files=FileContent(path=lambda content_ref: f"/api/attachments/{content_ref}"),
    id="act",
    credentials=(
        CredentialField("username", "Act! user name", secret=False),
        CredentialField("password", "Password"),
        CredentialField("database", "Database name (Act-Database-Name)", secret=False),
        # Act! names no currency: without it, no products (see `with_currency`).
        CredentialField("currency", "The database's currency (ISO code)", False, False),
    ),
    auth=act_auth,
    default_base_url=None,  # the customer's own server, or a per-customer Act! cloud host
    api_path=API_PATH,
    api_in_root=True,
)
