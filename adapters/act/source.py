"""Act! (the Act! Web API, act.web.api) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): the API lives at `https://{host}/act.web.api`
on the customer's own server (Act! Premium) or a per-customer cloud host, so there is no default
base URL; every call names its database in `Act-Database-Name`; `GET /authorize` with Basic
username:password answers a JWT (the bare token as text), sent as a bearer afterwards and
fetched again when a call comes back 401. Lists take OData `$top`/`$skip` and answer a plain
JSON array (no envelope, no count): a short page is the last. Ids are GUIDs; notes, activities,
histories, documents and opportunities link `contacts[]`, `companies[]`, `opportunities[]`;
custom values sit in `customFields` by column name, defined at `api/metadata/{recordType}/fields`.
Amounts are in the database's one currency, which no call names: the user states it (the
`currency` setting); without it deals arrive without a currency and products are not read.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from typing import Any

from adapters.core.auth import CredentialField, TokenExchangeAuth
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
    between,
    joined,
    number,
    ref,
    text,
    utc_time,
    value_at,
)
from adapters.core.naming import mime_type
from adapters.core.paginators import OffsetPaginator

API_PATH = "/act.web.api"
PAGE = 200
# Act! field types (MetaData.Schema.NewColumn) as canonical ones; a picklist column is a choice.
# A Currency field is a bare amount in the database's one currency.
FIELD_TYPES = {
    **dict.fromkeys(("Character", "InitialCaps", "Lowercase", "Uppercase", "Email", "Url"),
                    FieldType.varchar),
    **dict.fromkeys(("Number", "Decimal", "Currency"), FieldType.double),
    "Memo": FieldType.text, "Date": FieldType.date, "Phone": FieldType.phone,
    "Picklist": FieldType.enum, "MultiPicklist": FieldType.set,
}  # fmt: skip
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


def pages() -> OffsetPaginator:
    """OData `$skip`/`$top` over a bare array: a full page may have more after it."""
    return OffsetPaginator(
        start_param="$skip",
        limit_param="$top",
        limit=PAGE,
        more_path=None,
        next_start_path=None,
        records_path=None,
    )


def act_auth(credentials: dict[str, str], base_url: str) -> TokenExchangeAuth:
    host = base_url.rstrip("/").removesuffix(API_PATH)
    pair = f"{credentials['username']}:{credentials['password']}".encode()
    return TokenExchangeAuth(
        f"{host}{API_PATH}/authorize",
        {},
        secret_keys=(),
        method="GET",
        login_headers={"Authorization": f"Basic {base64.b64encode(pair).decode()}"},
        bare_token=True,
        headers={"Act-Database-Name": credentials["database"]},
    )


def linked(kind: str, index: int = 0) -> Getter:
    """The id of the record at `index` of a `contacts[]`/`companies[]`/`opportunities[]` list."""

    def read(raw: Raw) -> str | None:
        items = raw.get(kind) or []
        return ref("id")(items[index]) if len(items) > index else None

    return read


def points(columns: tuple[tuple[str, str], ...]) -> Getter:
    """Fixed columns as a list of contact points; the first filled is the primary."""

    def read(raw: Raw) -> list[ContactPoint]:
        filled = [(raw[column], label) for column, label in columns if raw.get(column)]
        return [
            ContactPoint(value=str(value), label=label, primary=i == 0)
            for i, (value, label) in enumerate(filled)
        ]

    return read


def names(path: str) -> Getter:
    """The names of an embedded list (an opportunity's `groups[]`), or of joined rows."""
    return lambda raw: [str(value_at(item, path)) for item in raw.get("groups") or []]


def custom(raw: Raw) -> dict[str, Any]:
    return raw.get("customFields") or {}


def _list(entity: Entity, path: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    """A list at `api/{path}`, OData-paged, changed since a time by its `edited` stamp."""
    extra.setdefault("changed_since", ChangedSince("$filter", "edited gt {iso}"))
    return Stream(entity, f"/api/{path}", {"source_id": ref("id"), **fields}, paginator=pages(),
                  records=None, **extra)  # fmt: skip


def field_type(raw: Raw) -> str:
    picklist = raw.get("picklist")
    if picklist:
        return "MultiPicklist" if picklist.get("isMultiSelect") else "Picklist"
    return str(raw.get("type") or "")


def definitions(record_type: str) -> Any:
    """A record type's columns with their picklist's items (`_items`): one derived table."""

    def build(state: RunState) -> dict[str, Any]:
        lists = state[f"picklists_{record_type}"]
        out = {}
        for key, column in state[f"fields_{record_type}"].items():
            picklist = lists.get(str((column.get("picklist") or {}).get("id")), {})
            out[key] = {**column, "_items": picklist.get("items") or []}
        return out

    return build


LOOKUPS = (
    *(
        Lookup(f"{name}_{record_type}", f"/api/metadata/{record_type}/{name}", key, None)
        for record_type in RECORD_TYPES.values()
        for name, key in (("fields", "columnName"), ("picklists", "id"))
    ),
    # A contact's groups, from each group's members (one list a group, not one a contact).
    Lookup("groups", "/api/groups", "id", None, pages()),
    Lookup(
        "members",
        "/api/groups/{id}/associated-contacts",
        "id",
        None,
        pages(),
        {"$select": "id"},
        many=True,
        for_each=ForEach("groups", {"id": "id", "name": "name"}, tag="group"),
    ),  # fmt: skip
    Lookup("opportunity_ids", "/api/opportunities", "id", None, pages(), {"$select": "id"}),
)
DERIVED = tuple(
    Derived(f"defs_{rt}", (f"fields_{rt}", f"picklists_{rt}"), definitions(rt))
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
        options=lambda raw: [(i["value"], i["value"]) for i in raw["_items"]],
        separator=";",
        rows_of=f"defs_{record_type}",
    )
    for entity, record_type in RECORD_TYPES.items()
)
LINKS = {
    "person_source_id": linked("contacts"),
    "org_source_id": linked("companies"),
    "deal_source_id": linked("opportunities"),
}


def activity(done: Any, type_name: str, subject: str, owner: str) -> dict[str, Getter]:
    """An open activity or a history record: due at `startTime` (a day only when timeless),
    the first of `contacts[]` its person, the others taking part."""
    timeless = lambda raw: raw.get("isTimeless") or raw.get("isAllDay")  # noqa: E731
    return {
        "subject": lambda raw: raw.get(subject) or "",
        "type": lambda raw: ACTIVITY_KINDS.get(str(value_at(raw, type_name) or ""), "task"),
        "due_date": lambda raw: (utc_time("startTime")(raw) or "")[:10] or None,
        "due_time": lambda raw: None if timeless(raw) else (utc_time("startTime")(raw) or "")[11:16] or None,
        "duration": lambda raw: None if timeless(raw) else between("startTime", "endTime")(raw),
        "done": done,
        "note": text("details"),
        "owner_source_id": ref(owner),
        "participant_source_ids": lambda raw: [
            str(c["id"]) for c in (raw.get("contacts") or [])[1:] if c.get("id")
        ],
        **LINKS,
    }  # fmt: skip


def attachments(path: str, kind: str, links: Mapping[str, Getter]) -> Stream:
    """The files attached to a list's records (one `attachment` a record, known by the record's
    id), their bytes at `api/attachments/{kind}/{id}`."""
    label = lambda raw: text("attachment.displayName")(raw) or ""  # noqa: E731
    return _list(
        Entity.files,
        path,
        {
            "name": label,
            "mime_type": lambda raw: mime_type(label(raw)),
            "size": "attachment.fileSize",
            "content_ref": lambda raw: f"{kind}/{raw['id']}",
            "add_time": utc_time("attachment.lastModified"),
            **links,
        },
        keep=lambda raw: bool(raw.get("attachment")),
    )


def priced(currency: str | None) -> Getter:
    """A product's one price, in the database's currency (none without it)."""
    return lambda raw: [] if raw.get("price") is None or not currency else [
        {"price": raw["price"], "currency": currency}]  # fmt: skip


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
            "emails": points(EMAILS),
            "phones": points(PHONES),
            "org_source_id": ref("companyID"),
            "owner_source_id": ref("recordManagerID"),
            "add_time": utc_time("created"),
            "labels": lambda raw: sorted(row["group"]["name"] for row in raw["_groups"] or []),
        },
        custom_values=custom,
        joins=(Join("members", ref("id"), "_groups"),),
    ),
    _list(
        Entity.pipelines, "opportunities/processes", {"name": text("name")}, changed_since=None
    ),  # fmt: skip
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
    ),  # fmt: skip
    _list(
        Entity.deals,
        "opportunities",
        {
            "title": text("name"),
            "value": number("productTotal"),
            "status": lambda raw: STATUSES.get(str(raw.get("status")), "open"),
            "person_source_id": linked("contacts"),
            "org_source_id": linked("companies"),
            "pipeline_source_id": ref("stage.process.id"),
            "stage_source_id": ref("stage.id"),
            "owner_source_id": ref("recordManagerID"),
            "expected_close_date": lambda raw: (text("estimatedCloseDate")(raw) or "")[:10] or None,
            "won_time": lambda raw: closed(raw, "Won"),
            "lost_time": lambda raw: closed(raw, "Lost"),
            "lost_reason": lambda raw: text("reason")(raw) if raw.get("status") == "Lost" else None,
            "add_time": utc_time("created"),
            "labels": names("name"),
        },
        custom_values=custom,
    ),  # fmt: skip
    # Line items: one list per opportunity (no call lists them all).
    Stream(
        Entity.deal_products,
        "/api/opportunities/{id}/products",
        {
            "source_id": ref("id"),
            "deal_source_id": ref("opportunityID"),
            "product_source_id": ref("productID"),
            "item_price": number("price"),
            "quantity": "quantity",
            "discount": lambda raw: raw.get("discount") or 0.0,  # a percentage
        },
        paginator=pages(),
        records=None,
        for_each=ForEach("opportunity_ids", {"id": "id"}),
    ),
    # Scheduled activities; what was done is a history record, typed by its history type.
    _list(
        Entity.activities,
        "activities",
        activity(
            lambda raw: bool(raw.get("isCleared")), "activityTypeName", "subject", "scheduledForId"
        ),
    ),  # fmt: skip
    _list(
        Entity.activities,
        "history",
        activity(lambda raw: True, "historyType.activityTypeName", "regarding", "recordManagerID"),
    ),  # fmt: skip
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


def closed(raw: Raw, status: str) -> str | None:
    return utc_time("actualCloseDate")(raw) if raw.get("status") == status else None


def with_currency(spec: SourceSpec, settings: Mapping[str, str]) -> tuple[SourceSpec, list[str]]:
    """The spec for a connection: amounts in the currency it states; without one, no products
    or line items (a price needs a currency) and deals without a currency."""
    code = settings.get("currency", "").strip().upper()
    if code:
        money = {
            Entity.deals: {"currency": lambda raw: code},
            Entity.products: {"prices": priced(code)},
        }
        return dataclasses.replace(spec, streams=tuple(
            dataclasses.replace(s, fields={**s.fields, **money.get(s.entity, {})})
            for s in spec.streams)), []  # fmt: skip
    kept = tuple(s for s in spec.streams if s.entity not in (Entity.products, Entity.deal_products))
    return dataclasses.replace(spec, streams=kept), [NO_CURRENCY]


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
        CredentialField(
            "currency",
            "The database's currency, ISO code (Act! names none; without it no products)",
            secret=False,
            required=False,
        ),
    ),
    auth=act_auth,
    default_base_url=None,  # the customer's own server, or a per-customer Act! cloud host
    api_path=API_PATH,
    api_in_root=True,
)
