"""SugarCRM REST v11 described for the declarative engine: streams, mappings, field catalogs,
the currency lookup and the account check. The vendor facts it relies on are in `source.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from adapters.core.auth import CredentialField, TokenExchangeAuth, password_login
from adapters.core.canonical import ContactPoint, Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    Derived,
    FieldCatalog,
    Join,
    Lookup,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.http import default_error_text
from adapters.core.mapping import (
    Getter,
    Raw,
    first,
    joined,
    number,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.paginators import OffsetPaginator, Paginator
from adapters.sugarcrm.naming import (
    CLOSED_LOST,
    CLOSED_WON,
    MODULES,
    PIPELINE_ID,
    PIPELINE_NAME,
    PROBABILITY_LIST,
    STAGE_LIST,
)
from adapters.sugarcrm.prospects import (
    FILES,
    file_stream,
    is_file_only,
    labels,
    lead_streams,
)

API = "/rest/v11"
PAGE_SIZE = 200
METADATA = "/metadata"
CHANGED = ChangedSince("filter[0][date_modified][$gt]")
CONTACTS_LINK = '{"name":"contacts","fields":["id"]}'
PHONES = (("phone_work", "work"), ("phone_mobile", "mobile"), ("phone_home", "home"),
          ("phone_other", "other"))  # fmt: skip
FIELD_TYPES: dict[str, FieldType] = {
    "varchar": FieldType.varchar,
    "name": FieldType.varchar,
    "url": FieldType.varchar,
    "text": FieldType.text,
    "int": FieldType.double,
    "decimal": FieldType.double,
    "float": FieldType.double,
    "currency": FieldType.monetary,
    "date": FieldType.date,
    "enum": FieldType.enum,
    "radioenum": FieldType.enum,
    "multienum": FieldType.set,
    "phone": FieldType.phone,
}


# --- the metadata document, read once and reshaped into the tables streams read -------------

META_LOOKUP = Lookup(
    "metadata",
    METADATA,
    key=lambda raw: "",
    params={
        "type_filter": "modules,app_list_strings",
        "module_filter": ",".join(MODULES.values()),
    },  # fmt: skip
    rows=lambda body: [body] if isinstance(body, dict) else [],
)
FIRST = "first"  # the key of the one row of "first_open": the stage closed deals go to


def _meta(state: RunState) -> dict[str, Any]:
    return dict(state["metadata"].get("") or {})


def _dropdowns(state: RunState) -> dict[str, Any]:
    return _meta(state).get("app_list_strings") or {}


def _open_stages(state: RunState) -> list[tuple[str, str]]:
    return [
        (key, label)
        for key, label in (_dropdowns(state).get(STAGE_LIST) or {}).items()
        if key and key not in (CLOSED_WON, CLOSED_LOST)
    ]


def _stages(state: RunState) -> dict[str, Any]:
    probabilities = _dropdowns(state).get(PROBABILITY_LIST) or {}
    return {
        key: {"key": key, "label": label, "order": n, "probability": probabilities.get(key)}
        for n, (key, label) in enumerate(_open_stages(state), start=1)
    }


def _first_open(state: RunState) -> dict[str, Any]:
    stages = _open_stages(state)
    return {FIRST: stages[0][0] if stages else None}


def _definitions(module: str) -> Derived:
    """A module's field definitions, each with its dropdown's (key, label) options."""

    def build(state: RunState) -> dict[str, Any]:
        lists = _dropdowns(state)
        meta = (_meta(state).get("modules") or {}).get(module) or {}
        return {
            name: {
                **d,
                "_options": [
                    (k, v) for k, v in (lists.get(d.get("options") or "") or {}).items() if k
                ],
            }
            for name, d in (meta.get("fields") or {}).items()
            if isinstance(d, dict)
        }

    return Derived(f"fields:{module}", ("metadata",), build)


DERIVED = (
    Derived(
        "pipelines",
        ("metadata",),
        lambda state: {PIPELINE_ID: {"id": PIPELINE_ID, "name": PIPELINE_NAME}},
    ),
    Derived("stages", ("metadata",), _stages),
    Derived("first_open", ("metadata",), _first_open),
    *(_definitions(module) for module in MODULES.values()),
)


# --- getters -------------------------------------------------------------------------------


def error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return default_error_text(response)
    if isinstance(body, dict) and (body.get("error_message") or body.get("error")):
        return str(body.get("error_message") or body.get("error"))
    return default_error_text(response)


def emails(raw: Raw) -> list[ContactPoint]:
    """Sugar's addresses have no label; `primary_address` marks the primary one."""
    items = [e for e in raw.get("email") or [] if isinstance(e, dict) and e.get("email_address")]
    points = [
        ContactPoint(value=str(e["email_address"]), primary=bool(e.get("primary_address")))
        for e in items
    ]
    if points and not any(p.primary for p in points):
        points[0].primary = True
    return points


def phones(raw: Raw) -> list[ContactPoint]:
    points = [ContactPoint(value=str(raw[f]), label=lbl) for f, lbl in PHONES if raw.get(f)]
    if points:
        points[0].primary = True
    return points


def parent(module: str) -> Getter:
    return lambda raw: raw.get("parent_id") or None if raw.get("parent_type") == module else None


def linked_contact(raw: Raw) -> str | None:
    """The first contact of a `contacts` link asked for in `fields`."""
    records = (raw.get("contacts") or {}).get("records") or []
    return str(records[0]["id"]) if records and records[0].get("id") else None


def duration(raw: Raw) -> str | None:
    hours, minutes = int(raw.get("duration_hours") or 0), int(raw.get("duration_minutes") or 0)
    return f"{hours:02d}:{minutes:02d}" if hours or minutes else None


def iso(raw: Raw) -> str | None:
    return (raw.get("_currency") or {}).get("iso4217")


def product_prices(raw: Raw) -> list[dict[str, Any]]:
    price = number("discount_price")(raw)
    return [] if price is None or not iso(raw) else [{"price": price, "currency": iso(raw)}]


def _links() -> dict[str, Getter]:
    return {
        "lead_source_id": parent("Leads"),
        "deal_source_id": parent("Opportunities"),
        "org_source_id": parent("Accounts"),
        "owner_source_id": text("assigned_user_id"),
    }


# --- the description -------------------------------------------------------------------------


def paginator(size: int) -> Paginator:
    return OffsetPaginator(
        start_param="offset",
        limit_param="max_num",
        limit=size,
        more_path=None,
        next_start_path="next_offset",
        records_path="records",
        end_marker=-1,
    )


def _stream(
    entity: Entity, module: str, fields: Mapping[str, Getter], wanted: str, size: int, **kw: Any
) -> Stream:
    return Stream(
        entity,
        f"/{module}",
        fields,
        paginator(size),
        records="records",
        params={"fields": wanted},
        changed_since=CHANGED,
        custom_param="fields",
        record_currency=iso,
        **kw,
    )


def _catalog(entity: Entity) -> FieldCatalog:
    return FieldCatalog(
        entity,
        METADATA,
        key="name",
        name=first("labelValue", "name"),
        type="type",
        types=FIELD_TYPES,
        rows_of=f"fields:{MODULES[entity]}",
        is_custom=lambda raw: (
            raw.get("source") == "custom_fields" or str(raw.get("name", "")).endswith("_c")
        ),
        options=lambda raw: raw.get("_options") or [],
        separator=",",
        quote="^",
    )


def _activity_streams(size: int) -> tuple[Stream, ...]:
    def timed(module: str, kind: str) -> Stream:
        mapping: dict[str, Getter] = {
            "source_id": "id",
            "subject": first("name", lambda r: ""),
            "type": lambda raw: kind,
            "due_date": utc_date("date_start"),
            "due_time": utc_hhmm("date_start"),
            "duration": duration,
            "done": lambda raw: raw.get("status") == "Held",
            "note": text("description"),
            "person_source_id": first(linked_contact, parent("Contacts")),
            **_links(),
        }
        wanted = "name,date_start,duration_hours,duration_minutes,status,description,parent_type,"
        return _stream(
            Entity.activities,
            module,
            mapping,
            wanted + f"parent_id,assigned_user_id,{CONTACTS_LINK}",
            size,
        )

    tasks = _stream(
        Entity.activities,
        "Tasks",
        {
            "source_id": "id",
            "subject": first("name", lambda r: ""),
            "type": lambda raw: "task",
            "due_date": utc_date("date_due"),
            "due_time": utc_hhmm("date_due"),
            "done": lambda raw: raw.get("status") == "Completed",
            "note": text("description"),
            "person_source_id": first("contact_id", parent("Contacts")),
            **_links(),
        },
        "name,date_due,status,description,parent_type,parent_id,contact_id,assigned_user_id",
        size,
    )
    return timed("Calls", "call"), timed("Meetings", "meeting"), tasks


DEFAULT_CLIENT_ID = "sugar"
DEFAULT_PLATFORM = "base"


def sugar_auth(credentials: dict[str, str], base_url: str) -> TokenExchangeAuth:
    """Sugar's password grant at the instance's `oauth2/token`."""
    grant = {
        "grant_type": "password",
        "client_id": credentials.get("client_id") or DEFAULT_CLIENT_ID,
        "client_secret": credentials.get("client_secret") or "",
        "username": credentials["username"],
        "password": credentials["password"],
        "platform": credentials.get("platform") or DEFAULT_PLATFORM,
    }
    root = base_url.rstrip("/").removesuffix(API) + API
    return password_login(f"{root}/oauth2/token", grant, header="OAuth-Token")


CREDENTIALS = (
    CredentialField("username", "Username", secret=False),
    CredentialField("password", "Password"),
    CredentialField(
        "client_id",
        f"OAuth key (default {DEFAULT_CLIENT_ID})",
        secret=False,
        required=False,
    ),
    CredentialField("client_secret", "OAuth secret (only for a custom OAuth key)", required=False),
    CredentialField(
        "platform",
        f"API platform (default {DEFAULT_PLATFORM}; register one for integrations)",
        secret=False,
        required=False,
    ),
)


def sugar_spec(page_size: int = PAGE_SIZE) -> SourceSpec:
    currency = (Join("currencies", "currency_id", "_currency"),)

    def status(raw: Raw) -> str:
        return {CLOSED_WON: "won", CLOSED_LOST: "lost"}.get(str(raw.get("sales_stage")), "open")

    def stage(raw: Raw) -> str | None:
        # A closed deal's stage is Closed Won/Lost: it goes to the first open stage.
        return text("sales_stage")(raw) if status(raw) == "open" else raw.get("_first_open")

    streams = (
        _stream(
            Entity.users,
            "Users",
            {
                "source_id": "id",
                "name": first("full_name", joined("first_name", "last_name"), "user_name"),
                "email": lambda raw: next((e.value for e in emails(raw) if e.primary), None),
                "active": lambda raw: raw.get("status", "Active") == "Active",
            },
            "user_name,full_name,first_name,last_name,email,status",
            page_size,
        ),
        _stream(
            Entity.organizations,
            "Accounts",
            {
                "source_id": "id",
                "name": first("name", lambda r: ""),
                "address": first(
                    joined(
                        "billing_address_street",
                        "billing_address_city",
                        "billing_address_state",
                        "billing_address_postalcode",
                        "billing_address_country",
                        sep=", ",
                    )
                ),  # fmt: skip
                "owner_source_id": text("assigned_user_id"),
                "labels": labels,
            },
            "name,billing_address_street,billing_address_city,billing_address_state,"
            "billing_address_postalcode,billing_address_country,assigned_user_id,currency_id,tag",
            page_size,
            joins=currency,
        ),
        _stream(
            Entity.persons,
            "Contacts",
            {
                "source_id": "id",
                "name": first(joined("first_name", "last_name"), "full_name"),
                "first_name": text("first_name"),
                "last_name": text("last_name"),
                "emails": emails,
                "phones": phones,
                "org_source_id": text("account_id"),
                "owner_source_id": text("assigned_user_id"),
                "labels": labels,
            },
            "first_name,last_name,full_name,email,phone_work,phone_mobile,phone_home,phone_other,"
            "account_id,assigned_user_id,currency_id,tag",
            page_size,
            joins=currency,
        ),
        Stream(
            Entity.pipelines, METADATA, {"source_id": "id", "name": "name"}, rows_of="pipelines"
        ),
        Stream(
            Entity.stages,
            METADATA,
            {
                "source_id": "key",
                "name": "label",
                "pipeline_source_id": lambda raw: PIPELINE_ID,
                "order_nr": "order",
                "deal_probability": lambda raw: (
                    int(float(raw["probability"])) if raw.get("probability") else None
                ),
            },
            rows_of="stages",
        ),
        _stream(
            Entity.products,
            "ProductTemplates",
            {
                "source_id": "id",
                "name": first("name", lambda r: ""),
                "code": text("mft_part_num"),
                "prices": product_prices,
            },
            "name,mft_part_num,discount_price,list_price,currency_id",
            page_size,
            joins=currency,
        ),
        _stream(
            Entity.deals,
            "Opportunities",
            {
                "source_id": "id",
                "title": first("name", lambda r: ""),
                "value": number("amount"),
                "currency": lambda raw: iso(raw) if number("amount")(raw) is not None else None,
                "status": status,
                "person_source_id": linked_contact,
                "org_source_id": text("account_id"),
                "pipeline_source_id": lambda raw: PIPELINE_ID,
                "stage_source_id": stage,
                "owner_source_id": text("assigned_user_id"),
                "expected_close_date": utc_date("date_closed"),
                "labels": labels,
            },
            "name,amount,currency_id,sales_stage,date_closed,account_id,assigned_user_id,tag,"
            + CONTACTS_LINK,
            page_size,
            joins=(*currency, Join("first_open", on=lambda raw: FIRST, into="_first_open")),
        ),
        *_activity_streams(page_size),
        _stream(
            Entity.notes,
            "Notes",
            {
                "source_id": "id",
                "content": first("description", "name", lambda r: ""),
                "person_source_id": first("contact_id", parent("Contacts")),
                "add_time": utc_time("date_entered"),
                **_links(),
            },
            "name,description,parent_type,parent_id,contact_id,assigned_user_id,date_entered,"
            "filename",
            page_size,
            keep=lambda raw: not is_file_only(raw),
        ),
        *lead_streams(paginator(page_size), CHANGED, phones, emails),
        file_stream(paginator(page_size), CHANGED),
    )
    return SourceSpec(
        name="SugarCRM",
        streams=streams,
        check=AccountCheck(
            "/me",
            {
                "user_id": "current_user.id",
                "user_name": "current_user.full_name",
                "login": "current_user.user_name",
            },
        ),
        field_catalogs=tuple(_catalog(entity) for entity in MODULES),
        derived=DERIVED,
        lookups=(
            META_LOOKUP,
            Lookup(
                "currencies",
                "/Currencies",
                key="id",
                records="records",
                paginator=paginator(page_size),
            ),
        ),  # fmt: skip
        error_text=error_text,
        id="sugarcrm",
        credentials=CREDENTIALS,
        auth=sugar_auth,
        api_path=API,
        api_in_root=True,
        files=FILES,
    )


SPEC = sugar_spec()
