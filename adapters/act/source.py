"""Act! (the Act! Web API, act.web.api) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): the API lives at `https://{host}/act.web.api`
on the customer's own server (Act! Premium) or a per-customer cloud host, so there is no default
base URL; every call names its database in `Act-Database-Name`; `GET /authorize` with Basic
username:password answers a JWT (the bare token as text), sent as a bearer afterwards and
fetched again when a call comes back 401. Lists take OData `$top`/`$skip` and answer a plain
JSON array (no envelope, no count): a short page is the last. Ids are GUIDs; notes, activities,
histories and opportunities link `contacts[]`, `companies[]`, `opportunities[]`; custom values
sit in `customFields` by column name, defined at `api/metadata/{recordType}/fields`.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from adapters.core.auth import CredentialField, TokenExchangeAuth
from adapters.core.canonical import ContactPoint, Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    Derived,
    FieldCatalog,
    Lookup,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.mapping import Getter, Raw, joined, number, ref, text, utc_time, value_at
from adapters.core.paginators import OffsetPaginator

API_PATH = "/act.web.api"
PAGE = 200
# Act! field types (MetaData.Schema.NewColumn) as canonical ones; a picklist column is a choice.
FIELD_TYPES = {
    **dict.fromkeys(("Character", "InitialCaps", "Lowercase", "Uppercase", "Email", "Url"),
                    FieldType.varchar),
    "Memo": FieldType.text, "Number": FieldType.double, "Decimal": FieldType.double,
    "Currency": FieldType.double,  # a bare amount in the database's one currency
    "Date": FieldType.date, "Phone": FieldType.phone,
    "Picklist": FieldType.enum, "MultiPicklist": FieldType.set,
}  # fmt: skip
RECORD_TYPES = {Entity.organizations: "company", Entity.persons: "contact",
                Entity.deals: "opportunity"}  # fmt: skip
EMAILS = (("emailAddress", "work"), ("altEmailAddress", "other"), ("personalEmailAddress", "home"))
PHONES = (("businessPhone", "work"), ("mobilePhone", "mobile"), ("homePhone", "home"),
          ("alternatePhone", "other"))  # fmt: skip
# Act!'s built-in activity types, and the custom ones the sandbox adds for the rest.
ACTIVITY_KINDS = {"Call": "call", "Meeting": "meeting", "To-do": "task", "Deadline": "deadline",
                  "E-mail": "email", "Lunch": "lunch"}  # fmt: skip
STATUSES = {"Open": "open", "Won": "won", "Lost": "lost", "Inactive": "lost"}


def pages() -> OffsetPaginator:
    """OData `$skip`/`$top` over a bare array: a full page may have more after it."""
    return OffsetPaginator(start_param="$skip", limit_param="$top", limit=PAGE, more_path=None,
                           next_start_path=None, records_path=None)  # fmt: skip


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
        filled = [(raw.get(column), label) for column, label in columns if raw.get(column)]
        return [
            ContactPoint(value=str(value), label=label, primary=i == 0)
            for i, (value, label) in enumerate(filled)
        ]

    return read


def when(raw: Raw) -> tuple[str | None, str | None, str | None]:
    """(due date, due time, duration) of an activity or a history record (UTC)."""
    start = utc_time("startTime")(raw)
    if not start:
        return None, None, None
    if raw.get("isTimeless") or raw.get("isAllDay"):
        return start[:10], None, None
    end = utc_time("endTime")(raw)
    minutes = 0
    if end:
        stamps = [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in (start, end)]
        minutes = int((stamps[1] - stamps[0]).total_seconds() // 60)
    duration = f"{minutes // 60:02d}:{minutes % 60:02d}" if minutes > 0 else None
    return start[:10], start[11:16], duration


def kind(name: Any) -> str:
    return ACTIVITY_KINDS.get(str(name or ""), "task")


def when_status(status: str, getter: Getter) -> Getter:
    return lambda raw: value_at(raw, getter) if raw.get("status") == status else None


def custom(raw: Raw) -> dict[str, Any]:
    return raw.get("customFields") or {}


def _list(entity: Entity, path: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    return Stream(
        entity,
        f"/api/{path}",
        {"source_id": ref("id"), **fields},
        paginator=pages(),
        records=None,
        **extra,
    )


def edited(field: str = "edited") -> ChangedSince:
    return ChangedSince("$filter", f"{field} gt {{iso}}")


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


FIELD_LOOKUPS = tuple(
    Lookup(f"{name}_{record_type}", f"/api/metadata/{record_type}/{name}", key, None)
    for record_type in RECORD_TYPES.values()
    for name, key in (("fields", "columnName"), ("picklists", "id"))
)
DERIVED = tuple(
    Derived(f"defs_{rt}", (f"fields_{rt}", f"picklists_{rt}"), definitions(rt))
    for rt in RECORD_TYPES.values()
)
CATALOGS = tuple(
    FieldCatalog(entity, "", key="columnName", name="displayName", type=field_type,
                 types=FIELD_TYPES, records=None, is_custom=lambda raw: bool(raw.get("isCustom")),
                 options=lambda raw: [(i["value"], i["value"]) for i in raw["_items"]],
                 separator=";", rows_of=f"defs_{record_type}")
    for entity, record_type in RECORD_TYPES.items()
)  # fmt: skip


LINKS = {"person_source_id": linked("contacts"), "org_source_id": linked("companies"),
         "deal_source_id": linked("opportunities")}  # fmt: skip


def activity(done: Any, type_name: Getter, subject: str, owner: str) -> dict[str, Getter]:
    return {
        "subject": lambda raw: raw.get(subject) or "",
        "type": lambda raw: kind(value_at(raw, type_name)),
        "due_date": lambda raw: when(raw)[0],
        "due_time": lambda raw: when(raw)[1],
        "duration": lambda raw: when(raw)[2],
        "done": done,
        "note": text("details"),
        "owner_source_id": ref(owner),
        "participant_source_ids": lambda raw: [
            str(c["id"]) for c in (raw.get("contacts") or [])[1:] if c.get("id")
        ],
        **LINKS,
    }


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
        changed_since=edited(),
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
        },
        custom_values=custom,
        changed_since=edited(),
    ),
    _list(Entity.pipelines, "opportunities/processes", {"name": text("name")}),
    _list(
        Entity.stages,
        "opportunities/stages",
        {
            "name": text("name"),
            "pipeline_source_id": ref("process.id"),
            "order_nr": "number",
            "deal_probability": "probability",
        },
    ),
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
            "won_time": when_status("Won", utc_time("actualCloseDate")),
            "lost_time": when_status("Lost", utc_time("actualCloseDate")),
            "lost_reason": when_status("Lost", text("reason")),
            "add_time": utc_time("created"),
        },
        custom_values=custom,
        changed_since=edited(),
    ),
    # Scheduled activities; what was done is a history record (below), typed by its history type.
    _list(
        Entity.activities,
        "activities",
        activity(
            lambda raw: bool(raw.get("isCleared")), "activityTypeName", "subject", "scheduledForId"
        ),
        changed_since=edited(),
    ),
    _list(
        Entity.activities,
        "history",
        activity(lambda raw: True, "historyType.activityTypeName", "regarding", "recordManagerID"),
        changed_since=edited(),
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
        changed_since=edited(),
    ),
)

SPEC = SourceSpec(
    name="Act!",
    streams=STREAMS,
    # No call names the database or the signed-in user: the user list proves the credentials.
    check=AccountCheck(
        "/api/users", {"users": lambda body: len(body) if isinstance(body, list) else None}
    ),
    field_catalogs=CATALOGS,
    lookups=FIELD_LOOKUPS,
    derived=DERIVED,
    id="act",
    credentials=(
        CredentialField("username", "Act! user name", secret=False),
        CredentialField("password", "Password"),
        CredentialField("database", "Database name (Act-Database-Name)", secret=False),
    ),
    auth=act_auth,
    default_base_url=None,  # the customer's own server, or a per-customer Act! cloud host
    api_path=API_PATH,
    api_in_root=True,
)
