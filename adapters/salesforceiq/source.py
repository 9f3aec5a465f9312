"""SalesforceIQ (RelateIQ, API v2) as a source, described for the shared declarative engine
(vendor facts and their sources: the emulator's docstring; record shapes and what becomes what:
render's). A contact is joined to the account of its company's name (account names are unique
in SalesforceIQ: creating one of a known name finds it); a deal's person is its first contact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.core.auth import BasicAuth, CredentialField
from adapters.core.canonical import ContactPoint, Entity
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    Derived,
    FieldCatalog,
    ForEach,
    Join,
    Lookup,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.http import error_text_at
from adapters.core.mapping import Getter, Raw, contact_points, number, ref, text, utc_date, utc_time
from adapters.core.paginators import OffsetPaginator
from adapters.salesforceiq import render as siq

API = "/v2"
CHANGED = ChangedSince("modifiedDate", "{epoch}000")  # epoch milliseconds
# The vendor's types as `kind` names them ("MultiList": a multi-select List).
TYPES = {("Multi" if multi else "") + kind: t for t, (kind, multi) in siq.VENDOR_TYPE.items()}
STYPES = {"personal": "home"}  # metadata.stype -> canonical label
OUTCOMES = {siq.WON: "won", siq.LOST: "lost"}


def pages() -> OffsetPaginator:
    return OffsetPaginator(
        start_param="_start",
        limit_param="_limit",
        limit=200,
        more_path=None,
        next_start_path=None,
        records_path="objects",
    )


def raws(record: Raw, key: str) -> list[Any]:
    """A field's raw values in `fieldValues` ({field id: [{raw}]})."""
    items = (record.get("fieldValues") or {}).get(key) or []
    return [item.get("raw") for item in items if item.get("raw") not in (None, "")]


def values(record: Raw) -> dict[str, Any]:
    """`fieldValues` as {field id: raw}, several raws (a multi-select) as a list."""
    found = {key: raws(record, key) for key in record.get("fieldValues") or {}}
    return {key: each[0] if len(each) == 1 else each for key, each in found.items() if each}


def raw(key: str) -> Callable[[Raw], Any]:
    """The first raw value of a field."""
    return lambda record: next(iter(raws(record, key)), None)


def prop(name: str) -> Callable[[Raw], Any]:
    """The first value of a contact's property ({name: [{value, metadata}]})."""
    return lambda record: text("value")(((record.get("properties") or {}).get(name) or [{}])[0])


def points(name: str) -> Callable[[Raw], list[ContactPoint]]:
    """E-mails or phones: `metadata.stype` the label, `metadata.primary` "true" the main one."""

    def flat(record: Raw) -> list[Raw]:
        items = (record.get("properties") or {}).get(name) or []
        return [{**(item.get("metadata") or {}), "value": item.get("value")} for item in items]

    def primary(record: Raw) -> list[Raw]:
        return [{**p, "primary": str(p.get("primary")).lower() == "true"} for p in flat(record)]

    return contact_points(primary, label_key="stype", labels=STYPES)


def kind(field: Raw) -> str:
    multi = field.get("dataType") == "List" and field.get("isMultiSelect")
    return "MultiList" if multi else str(field.get("dataType"))


def status_labels(listed: Raw) -> dict[str, str]:
    """A list's Status options, {option id: label}: its stages, then the outcomes."""
    for field in listed.get("fields") or []:
        if str(field.get("id")) == siq.STATUS:
            return {str(o["id"]): o["display"] for o in field.get("listOptions") or []}
    return {}


def stages(listed: Raw) -> list[Raw]:
    """A list's stages: its Status options but the outcomes."""
    labels = status_labels(listed).items()
    return [
        {"id": f"{listed['id']}.{key}", "name": name, "listId": listed["id"], "order": i}
        for i, (key, name) in enumerate(((k, n) for k, n in labels if n not in OUTCOMES), 1)
    ]


def outcome(item: Raw) -> str:
    label = status_labels(item.get("_list") or {}).get(str(raw(siq.STATUS)(item)), "")
    return OUTCOMES.get(label, "open")


def stage(item: Raw) -> str | None:
    """The deal's stage; a closed deal's is its pipeline's first."""
    chosen = raw(siq.STATUS)(item)
    if outcome(item) == "open":
        return f"{item['listId']}.{chosen}" if chosen is not None else None
    return next((s["id"] for s in stages(item.get("_list") or {})), None)


def close(status: str, form: Callable[[Getter], Callable[[Raw], Any]]) -> Getter:
    """Close Date (epoch ms) as the deal's close (`status`) or its expected close ("open")."""
    read = form(number(raw(siq.CLOSE)))
    return lambda item: read(item) if outcome(item) == status else None


def list_fields(state: RunState) -> dict[str, Raw]:
    """The custom fields of every list, by id (the lists share their custom fields' ids)."""
    found: dict[str, Raw] = {}
    for field in (f for listed in state["lists"].values() for f in listed.get("fields") or []):
        if field["id"] not in siq.BUILT_IN:
            found.setdefault(field["id"], field)
    return found


def _catalog(entity: Entity, path: str, **extra: Any) -> FieldCatalog:
    return FieldCatalog(
        entity,
        path,
        key=ref("id"),
        name="name",
        type=kind,
        types=TYPES,
        is_custom=lambda field: str(field.get("id")) not in siq.BUILT_IN,
        options=lambda f: [(str(o["id"]), o["display"]) for o in f.get("listOptions") or []],
        **extra,
    )


def _stream(entity: Entity, path: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    mapping = {"source_id": ref("id"), **fields}
    return Stream(entity, API + path, mapping, paginator=pages(), records="objects", **extra)


STREAMS = (
    _stream(Entity.users, "/users", {"name": text("name"), "email": text("email")}),
    _stream(
        Entity.organizations,
        "/accounts",
        {"name": text("name"), "address": raw(siq.ADDRESS), "owner_source_id": raw(siq.OWNER)},
        custom_values=values,
        changed_since=CHANGED,
    ),
    _stream(
        Entity.persons,
        "/contacts",
        {
            "name": lambda record: prop("name")(record) or "",
            "emails": points("email"),
            "phones": points("phone"),
            "org_source_id": ref("_account.id"),
        },
        joins=(Join("accounts_by_name", prop("company"), "_account"),),
        changed_since=CHANGED,
    ),
    _stream(Entity.pipelines, "/lists", {"name": text("title")}),
    _stream(
        Entity.stages,
        "/lists",
        {"name": text("name"), "pipeline_source_id": ref("listId"), "order_nr": "order"},
        explode=stages,
    ),
    _stream(
        Entity.deals,
        "/lists/{list}/listitems",
        {
            "title": lambda item: item.get("name") or "",
            "value": number(raw(siq.REVENUE)),
            "currency": raw(siq.CURRENCY),
            "status": outcome,
            "person_source_id": lambda item: (item.get("contactIds") or [None])[0],
            "org_source_id": ref("accountId"),
            "pipeline_source_id": ref("listId"),
            "stage_source_id": stage,
            "owner_source_id": raw(siq.OWNER),
            "expected_close_date": close("open", utc_date),
            "won_time": close("won", utc_time),
            "lost_time": close("lost", utc_time),
        },
        custom_values=values,
        changed_since=CHANGED,
        for_each=ForEach("lists", {"list": "id"}),
        joins=(Join("lists", "listId", "_list"),),
    ),
)

SPEC = SourceSpec(
    name="SalesforceIQ",
    streams=STREAMS,
    check=AccountCheck(
        API + "/users",
        {
            "user_id": lambda body: ((body.get("objects") or [{}])[0]).get("id"),
            "user_name": lambda body: ((body.get("objects") or [{}])[0]).get("name"),
        },
        params={"_limit": 1},
    ),
    field_catalogs=(
        _catalog(Entity.organizations, API + "/accounts/fields", records="fields"),
        _catalog(Entity.deals, "", rows_of="list_fields"),
    ),
    lookups=(
        Lookup("lists", API + "/lists", "id", "objects", pages()),
        Lookup("accounts_by_name", API + "/accounts", "name", "objects", pages()),
    ),
    derived=(Derived("list_fields", ("lists",), list_fields),),
    error_text=error_text_at("userMessage", "errorMessage"),  # {statusCode, userMessage, ...}
    id="salesforceiq",
    # Settings > Integrations > API: a key and its secret, sent as HTTP Basic key:secret.
    credentials=(
        CredentialField("api_key", "API key"),
        CredentialField("api_secret", "API secret"),
    ),
    auth=lambda c, _url: BasicAuth(c["api_key"], c["api_secret"], secret_username=True),
    default_base_url="https://api.salesforceiq.com",
    api_path=API,
)
