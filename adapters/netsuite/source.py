"""NetSuite (SuiteTalk REST web services, SuiteQL) as a source, described for the shared engine
(vendor facts in the emulator's docstring): every list a SuiteQL query (adapters/core/
query_reads.py); token-based authentication (OAuth 1.0a, adapters/core/oauth1.py) or OAuth 2.0
M2M (a client assertion, adapters/core/client_assertion.py), as the credentials given say. The
base URL is the account's host, `https://<account id>.suitetalk.api.netsuite.com` (lower case,
`_` as `-`). Records are read with `SELECT *`, so custom columns come whatever records they
apply to; their definitions from `customfield`, choices from each custom list's table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from adapters.core.auth import CredentialAuth, CredentialField
from adapters.core.canonical import Entity, FieldType, Record
from adapters.core.client_assertion import client_assertion_auth
from adapters.core.declarative import (
    AccountCheck,
    Derived,
    FieldCatalog,
    ForEach,
    Join,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.http import default_error_text
from adapters.core.mapping import Getter, Raw, columns, const, first, number, ref, text
from adapters.core.oauth1 import OAuth1
from adapters.core.query_reads import QueryApi
from adapters.core.us_dates import DATE, hhmm_between, iso_date, iso_hhmm, iso_time

API = QueryApi("NetSuite", "/services/rest/query/v1/suiteql")
SUITEQL = API.path
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
TOKEN_BASED = ("consumer_key", "consumer_secret", "token_id", "token_secret")
PIPELINE_ID = "1"  # NetSuite has no pipelines: every opportunity status is in this one
OPPORTUNITIES = "FROM transaction WHERE type = 'Opprtnty'"
CUSTOM_TYPES = {
    **dict.fromkeys(("Free-Form Text", "Email Address", "Hyperlink"), FieldType.varchar),
    **dict.fromkeys(("Long Text", "Text Area", "Rich Text"), FieldType.text),
    **dict.fromkeys(("Decimal Number", "Integer Number", "Currency", "Percent"), FieldType.double),
    "Date": FieldType.date,
    "List/Record": FieldType.enum,
    "Multiple Select": FieldType.set,
    "Phone Number": FieldType.phone,
}
KINDS = {"phonecall": "call", "calendarevent": "meeting", "task": "task"}
# Token-based authentication's (Setup > Integration > Manage Integrations, Access Tokens) or
# OAuth 2.0 M2M's (the integration's client ID; Setup > Integration > OAuth 2.0 Client
# Credentials (M2M) Setup maps a certificate to it) credentials: one set or the other, none
# required alone, as (name, label, secret).
EITHER = (
    ("consumer_key", "Consumer key (token-based auth: integration record)", True),
    ("consumer_secret", "Consumer secret (token-based auth)", True),
    ("token_id", "Token ID (token-based auth: access token)", True),
    ("token_secret", "Token secret (token-based auth)", True),
    ("client_id", "Client ID (OAuth 2.0 M2M: integration record)", False),
    ("certificate_id", "Certificate ID (OAuth 2.0 M2M mapping)", False),
    ("private_key", "Certificate private key, PEM (OAuth 2.0 M2M)", True),
)


def error_text(response: httpx.Response) -> str:
    try:
        detail = response.json()["o:errorDetails"][0]
        return f"{detail['o:errorCode']}: {detail['detail']}"
    except (ValueError, LookupError, TypeError):
        return default_error_text(response)


def custom_values(raw: Raw) -> dict[str, Any]:
    """Custom columns, their dates (M/D/YYYY) as ISO dates."""
    dated = {k: iso_date(v) for k, v in raw.items() if isinstance(v, str) and DATE.fullmatch(v)}
    return {k: dated.get(k, v) for k, v in raw.items() if k.startswith("cust")}


def choices(state: RunState) -> dict[str, Any]:
    """The custom field definitions, each with its list's (id, name) choices."""
    listed, out = state["list_values"], {}
    for key, field in state["fields"].items():
        values = listed.get(str(field.get("fieldvaluetyperecord")), [])
        out[key] = {**field, "_options": [(v["id"], v["name"]) for v in values]}
    return out


def prices(state: RunState) -> dict[str, Any]:
    """Each item's base prices (price level 1), one per currency, the currency as its code."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in (r for rows in state["pricing"].values() for r in rows):
        code = state["currencies"].get(row.get("currency"), {}).get("symbol")
        out.setdefault(row["item"], []).append({"price": row["unitprice"], "currency": code})
    return out


def _catalog(entity: Entity, placement: str) -> FieldCatalog:
    return FieldCatalog(
        entity,
        SUITEQL,
        key=_script_id,
        name="name",
        type="fieldvaluetype",
        types=CUSTOM_TYPES,
        is_custom=lambda raw: raw.get("fieldtype") == placement,
        options=lambda raw: raw.get("_options") or [],
        rows_of="custom_fields",
    )


def _linked(entity: Entity, query: str, fields: Mapping[str, Getter], **extra: Any) -> Stream:
    """A stream whose entity links say a customer id or a contact's: see `kind_of`."""
    return API.stream(entity, query, fields, needs=("customers",), amend=kind_of, **extra)


def kind_of(record: Record, raw: Raw, state: RunState) -> None:
    """Puts an entity link where it belongs: a customer id is an organization or (isperson
    'T') a person; any other entity a contact (a person)."""
    customers = state["customers"]
    org, person = getattr(record, "org_source_id", None), getattr(record, "person_source_id", None)
    if org is not None and customers.get(org, {}).get("isperson", "T") == "T":
        record.org_source_id, record.person_source_id = None, org  # type: ignore[attr-defined]
    elif person is not None and customers.get(person, {}).get("isperson") == "F":
        record.person_source_id, record.org_source_id = None, person  # type: ignore[attr-defined]


ENTITY: dict[str, Getter] = {
    "source_id": ref("id"),
    "name": "entityid",
    "first_name": text("firstname"),
    "last_name": text("lastname"),
    "owner_source_id": ref("salesrep"),
    "emails": columns(("email", "work"), ("altemail", "other")),
    "phones": columns(
        ("phone", "work"), ("mobilephone", "mobile"), ("homephone", "home"), ("altphone", "other")
    ),
}


def _activities(table: str, owner: str) -> Stream:
    """Tasks (due on a date) or calls and events (`starttime` to `endtime`, "h:mm am")."""
    timed = table != "task"
    fields: dict[str, Getter] = {
        "source_id": ref("id"),
        "subject": first("title", const("")),
        "type": const(KINDS[table]),
        "due_date": lambda raw: iso_date(raw.get("duedate") or raw.get("startdate")),
        "due_time": lambda raw: iso_hhmm(raw.get("starttime")) if timed else None,
        "duration": lambda raw: hhmm_between(raw.get("starttime"), raw.get("endtime")),
        "done": lambda raw: raw.get("status") == "COMPLETE",
        "note": text("message"),
        "owner_source_id": ref(owner),
        "deal_source_id": ref("transaction"),
        "person_source_id": ref("contact"),
        "org_source_id": ref("company"),
    }
    return _linked(Entity.activities, f"SELECT * FROM {table} ORDER BY id", fields)


def _deal_status(raw: Raw) -> str:
    return {"C": "won", "D": "lost"}.get(str(raw.get("status")), "open")


def _closed(kind: str) -> Getter:
    return lambda raw: iso_time(raw.get("closedate")) if _deal_status(raw) == kind else None


def auth(c: dict[str, str], base_url: str) -> CredentialAuth:
    """Token-based authentication when its four credentials are given, else OAuth 2.0 M2M: a
    client assertion (scope rest_webservices, valid 5 minutes) for a bearer token of 60."""
    if all(c.get(k) for k in TOKEN_BASED):
        return OAuth1(*(c[k] for k in TOKEN_BASED), realm=c.get("account_id"))
    return client_assertion_auth(
        base_url.rstrip("/").removesuffix("/services/rest") + TOKEN_PATH,
        client_id=c.get("client_id", ""),
        key_id=c.get("certificate_id", ""),
        private_key=c.get("private_key", ""),
        claims={"scope": "rest_webservices"},
    )


def _positions(rows: list[Raw], state: RunState) -> list[Raw]:
    return [{**row, "_position": i} for i, row in enumerate(rows, 1)]


def _script_id(raw: Raw) -> str:
    return str(raw.get("scriptid")).lower()


SPEC = SourceSpec(
    name="NetSuite",
    streams=(
        API.stream(
            Entity.users,
            "SELECT id, entityid, email, isinactive FROM employee ORDER BY id",
            {
                "source_id": ref("id"),
                "name": "entityid",
                "email": text("email"),
                "active": lambda raw: raw.get("isinactive") != "T",
            },
        ),
        API.stream(
            Entity.organizations,
            "SELECT * FROM customer WHERE isperson = 'F' ORDER BY id",
            {k: ENTITY[k] for k in ("source_id", "owner_source_id")}
            | {"name": first("companyname", "entityid")},
            custom_values=custom_values,
        ),
        API.stream(
            Entity.persons,
            "SELECT * FROM customer WHERE isperson = 'T' ORDER BY id",
            ENTITY,
            custom_values=custom_values,
        ),
        API.stream(
            Entity.persons,
            "SELECT * FROM contact ORDER BY id",
            {**ENTITY, "owner_source_id": const(None), "org_source_id": ref("company")},
            custom_values=custom_values,
        ),
        API.stream(
            Entity.products,
            "SELECT * FROM item ORDER BY id",
            {
                "source_id": ref("id"),
                "name": first("displayname", "itemid"),
                "code": text("itemid"),
                "prices": "_prices",
            },
            custom_values=custom_values,
            joins=(Join("prices", "id", "_prices"),),
        ),
        Stream(
            Entity.pipelines,
            SUITEQL,
            {"source_id": const(PIPELINE_ID), "name": const("Opportunities")},
            rows_of="pipeline",
        ),
        API.stream(
            Entity.stages,
            "SELECT id, name, probability FROM entitystatus WHERE stage = 'PROSPECT' ORDER BY id",
            {
                "source_id": ref("id"),
                "name": "name",
                "pipeline_source_id": const(PIPELINE_ID),
                "order_nr": "_position",
                "deal_probability": number("probability"),
            },
            select=_positions,
        ),
        _linked(
            Entity.deals,
            f"SELECT * {OPPORTUNITIES} ORDER BY id",
            {
                "source_id": ref("id"),
                "title": first("title", "tranid"),
                "value": number("projectedtotal"),
                "currency": text("_currency.symbol"),
                "status": _deal_status,
                "org_source_id": ref("entity"),
                "pipeline_source_id": const(PIPELINE_ID),
                "stage_source_id": ref("entitystatus"),
                "owner_source_id": ref("salesrep"),
                "expected_close_date": lambda raw: iso_date(raw.get("expectedclosedate")),
                "won_time": _closed("won"),
                "lost_time": _closed("lost"),
            },
            custom_values=custom_values,
            joins=(Join("currencies", "currency", "_currency"),),
        ),
        # An opportunity's item lines (its main line holds no item); a sale's quantity is
        # negative, as it leaves the inventory.
        API.stream(
            Entity.deal_products,
            "SELECT * FROM transactionline WHERE mainline = 'F' "
            f"AND transaction IN (SELECT id {OPPORTUNITIES}) ORDER BY uniquekey",
            {
                "source_id": ref("uniquekey"),
                "deal_source_id": ref("transaction"),
                "product_source_id": ref("item"),
                "item_price": number("rate"),
                "quantity": lambda raw: abs(float(raw.get("quantity") or 1)),
                "comments": text("memo"),
            },
            delta=False,  # a line has no lastmodifieddate of its own
        ),
        _activities("task", "assigned"),
        _activities("phonecall", "assigned"),
        _activities("calendarevent", "organizer"),
        _linked(
            Entity.notes,
            "SELECT * FROM note ORDER BY id",
            {
                "source_id": ref("id"),
                "content": first("note", "title", const("")),
                "owner_source_id": ref("author"),
                "add_time": lambda raw: iso_time(raw.get("notedate")),
                "deal_source_id": ref("transaction"),
                "person_source_id": ref("entity"),
            },
        ),
    ),
    lookups=(
        API.lookup("customers", "SELECT id, isperson FROM customer ORDER BY id", "id"),
        API.lookup("currencies", "SELECT id, symbol FROM currency ORDER BY id", "id"),
        API.lookup(
            "pricing",
            "SELECT item, currency, unitprice FROM pricing WHERE pricelevel = '1' ORDER BY item",
            "item",
            many=True,
        ),
        API.lookup(
            "fields",
            "SELECT scriptid, name, fieldtype, fieldvaluetype, fieldvaluetyperecord "
            "FROM customfield WHERE isinactive = 'F' ORDER BY scriptid",
            _script_id,
        ),
        API.lookup(
            "lists", "SELECT internalid, scriptid FROM customlist ORDER BY scriptid", "internalid"
        ),
        # Each list's values from its own table, keyed by the list's internal id.
        API.lookup(
            "list_values",
            lambda p: f"SELECT id, name FROM {p['list']} WHERE isinactive = 'F' ORDER BY id",
            "_list.id",
            params={"list": "{list}"},
            many=True,
            for_each=ForEach("lists", {"list": _script_id, "id": ref("internalid")}, tag="_list"),
        ),
    ),
    derived=(
        Derived("pipeline", (), lambda state: {PIPELINE_ID: {"id": PIPELINE_ID}}),
        Derived("custom_fields", ("fields", "list_values"), choices),
        Derived("prices", ("pricing", "currencies"), prices),
    ),
    field_catalogs=(
        _catalog(Entity.organizations, "ENTITY"),
        _catalog(Entity.persons, "ENTITY"),
        _catalog(Entity.products, "ITEM"),
        _catalog(Entity.deals, "BODY"),
    ),
    check=AccountCheck(
        f"{SUITEQL}?limit=1",
        {"account": lambda body: str(body["links"][0]["href"]).split("/services/")[0]},
        body={"q": "SELECT id FROM employee ORDER BY id"},
    ),
    headers={"Prefer": "transient"},
    error_text=error_text,
    id="netsuite",
    credentials=(
        CredentialField(
            "account_id", "Account ID (the realm, e.g. 1234567 or 1234567_SB1)", secret=False
        ),
        *(
            CredentialField(name, label, secret=secret, required=False)
            for name, label, secret in EITHER
        ),
    ),
    auth=auth,
    api_path="/services/rest",
)
