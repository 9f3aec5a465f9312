"""Solve360 (Solve CRM) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): `https://secure.solve360.com`, HTTP Basic
(e-mail, API token), JSON asked for with `Accept: application/json`; lists of contacts and
companies paged by `start`/`limit` (at most 5000), their records keyed `id<N>` beside the list's
`count`; `layout=1` lays each record's fields flat. What a record holds besides (its categories,
its related company, its owner, and its nested notes, tasks, events and opportunities) is read
once per run from `GET /{type}/{id}`, one request a record (the `details` table); owners are the
users of `/ownership`; custom field definitions are `/{type}/fields`. Opportunity statuses are
the stages of one pipeline. No changed-since filter is documented: delta runs read everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adapters.core.auth import BasicAuth, CredentialField
from adapters.core.canonical import ContactPoint, Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    Derived,
    FieldCatalog,
    ForEach,
    Join,
    Lookup,
    SourceSpec,
    Stream,
)
from adapters.core.mapping import Getter, Raw, between, first, joined, number, ref, text, utc_time
from adapters.core.paginators import OffsetPaginator

DEFAULT_BASE_URL = "https://secure.solve360.com"
PAGE = 500
PIPELINE_ID = "opportunities"
OPEN = {"discussion": "Discussion", "pending": "Pending", "on-hold": "On hold"}
CONTACT, COMPANY = "1", "40"
NOTE, EVENT, TASK, OPPORTUNITY = "3", "4", "14", "32"
TYPES = {
    "text": FieldType.varchar,
    "textarea": FieldType.text,
    "number": FieldType.double,
    "date": FieldType.date,
    "pulldown": FieldType.enum,
    "checkbox": FieldType.set,
}


def pages() -> OffsetPaginator:
    return OffsetPaginator(
        start_param="start",
        limit_param="limit",
        limit=PAGE,
        more_path=None,
        next_start_path=None,
        records_path=None,
        total_path="count",
    )


def keyed(body: Any) -> list[Raw]:
    """The records of an id-keyed answer ({"id31507": {...}, "count": ..., "status": ...})."""
    if not isinstance(body, dict):
        return []
    return [row for key, row in body.items() if key.startswith("id") and isinstance(row, dict)]


def listed(body: Any, key: str) -> list[Raw]:
    """A nested list that XML or JSON may give as one object or as none."""
    found = (body or {}).get(key) or []
    return [found] if isinstance(found, dict) else [r for r in found if isinstance(r, dict)]


def of_detail(getter: Any) -> Getter:
    return lambda raw: getter(raw.get("_detail") or {})


def company(detail: Raw) -> str | None:
    related = listed(detail.get("relateditems"), "relatedto")
    return next((str(r["id"]) for r in related if str(r.get("typeid")) == COMPANY), None)


def categories(detail: Raw) -> list[str]:
    return [str(c["name"]) for c in listed(detail.get("categories"), "category") if c.get("name")]


def points(columns: dict[str, str]) -> Getter:
    def read(raw: Raw) -> list[ContactPoint]:
        found = [(label, raw.get(column)) for column, label in columns.items() if raw.get(column)]
        return [
            ContactPoint(value=str(v), label=lb, primary=i == 0) for i, (lb, v) in enumerate(found)
        ]

    return read


def items(detail: Raw) -> Iterable[Raw]:
    """A record's nested activities (task lists opened), each with its record at `_parent`."""
    record = detail.get("item") or {}
    parent = {"id": record.get("id"), "typeid": str(record.get("typeid"))}
    for item in keyed(record.get("activities")):
        yield {**item, "_parent": parent}
        for child in keyed(item.get("children")):
            yield {**child, "_parent": parent}


def of_type(*typeids: str) -> Any:
    return lambda detail: [i for i in items(detail) if str(i.get("typeid")) in typeids]


def parent(typeid: str) -> Getter:
    return lambda raw: ref("_parent.id")(raw) if raw["_parent"]["typeid"] == typeid else None


def status(raw: Raw) -> str:
    return str((raw.get("fields") or {}).get("status") or "discussion")


def stage(raw: Raw) -> str:
    return status(raw) if status(raw) in OPEN else "discussion"  # closed: in the first stage


PARENTS: dict[str, Getter] = {
    "person_source_id": parent(CONTACT),
    "org_source_id": parent(COMPANY),
}
ON_DETAIL = (Join("details", ref("id"), "_detail"),)


def record_stream(entity: Entity, path: str, fields: dict[str, Getter]) -> Stream:
    return Stream(
        entity,
        path,
        {
            "source_id": ref("id"),
            "owner_source_id": of_detail(ref("item.ownership")),
            "labels": of_detail(categories),
            **fields,
        },
        paginator=pages(),
        records=None,
        rows=keyed,
        params={"layout": 1},
        total=lambda response, body: int(body["count"]) if body and "count" in body else None,
        joins=ON_DETAIL,
    )


def nested(entity: Entity, typeids: tuple[str, ...], fields: dict[str, Getter]) -> Stream:
    return Stream(
        entity,
        "",
        {"source_id": ref("id"), **PARENTS, **fields},
        rows_of="details",
        explode=of_type(*typeids),
    )


def catalog(entity: Entity, path: str) -> FieldCatalog:
    return FieldCatalog(
        entity,
        path,
        key="name",
        name="label",
        type="type",
        types=TYPES,
        records="fields",
        is_custom=lambda raw: str(raw.get("name", "")).startswith("custom"),
        options=lambda raw: [(v, v) for v in str(raw.get("values") or "").split("\n") if v],
        separator="\n",
    )


def record_list(name: str) -> Lookup:
    return Lookup(name, f"/{name}", ref("id"), records=None, paginator=pages(), rows=keyed)


STREAMS = (
    Stream(
        Entity.users,
        "/ownership",
        {"source_id": ref("id"), "name": "name", "email": text("email")},
        records=None,
        rows=lambda body: [r for r in keyed(body) if r.get("type") == "user"],
    ),
    record_stream(
        Entity.organizations,
        "/companies",
        {"name": first("name", lambda raw: ""), "address": text("mainaddress")},
    ),
    record_stream(
        Entity.persons,
        "/contacts",
        {
            "name": joined("firstname", "lastname"),
            "first_name": text("firstname"),
            "last_name": text("lastname"),
            "emails": points(
                {"businessemail": "work", "personalemail": "home", "otheremail": "other"}
            ),
            "phones": points(
                {"businessphonedirect": "work", "cellularphone": "mobile", "homephone": "home"}
            ),
            "org_source_id": of_detail(company),
        },
    ),
    Stream(Entity.pipelines, "", {"source_id": "id", "name": "name"}, rows_of="pipeline"),
    Stream(
        Entity.stages,
        "",
        {"source_id": "id", "name": "name", "pipeline_source_id": "pipeline", "order_nr": "order"},
        rows_of="statuses",
    ),
    nested(
        Entity.deals,
        (OPPORTUNITY,),
        {
            "title": first("fields.title", lambda raw: ""),
            "value": number("fields.valuation"),
            "status": lambda raw: status(raw) if status(raw) in ("won", "lost") else "open",
            "pipeline_source_id": lambda raw: PIPELINE_ID,
            "stage_source_id": stage,
            "owner_source_id": ref("fields.assignedto"),
            "expected_close_date": lambda raw: (
                (text("fields.forecastclose")(raw) or "")[:10] or None
            ),
        },
    ),
    nested(
        Entity.activities,
        (TASK, EVENT),
        {
            "subject": first("fields.title", lambda raw: ""),
            "type": lambda raw: "task" if str(raw["typeid"]) == TASK else "meeting",
            "due_date": lambda raw: (
                (text("fields.duedate")(raw) or text("fields.start")(raw) or "")[:10] or None
            ),
            "due_time": lambda raw: (text("fields.start")(raw) or "")[11:16] or None,
            "duration": between("fields.start", "fields.end"),
            "done": lambda raw: str((raw.get("fields") or {}).get("completed")) == "1",
            "note": text("fields.details"),
            "owner_source_id": ref("fields.assignedto"),
        },
    ),
    nested(
        Entity.notes,
        (NOTE,),
        {
            "content": first("fields.details", lambda raw: ""),
            "add_time": utc_time("created"),
            "owner_source_id": ref("fields.creatorid"),
        },
    ),
)


def both(state: Any) -> dict[str, Any]:
    """Contacts and companies, each row naming its list (the path of its detail)."""
    rows = {f"c{k}": {**v, "_kind": "contacts"} for k, v in state["contacts"].items()}
    rows |= {f"o{k}": {**v, "_kind": "companies"} for k, v in state["companies"].items()}
    return rows


SPEC = SourceSpec(
    name="Solve360",
    streams=STREAMS,
    check=AccountCheck("/ownership", {"users": lambda body: len(keyed(body))}),
    lookups=(
        record_list("contacts"),
        record_list("companies"),
        Lookup(
            "details",
            "/{kind}/{id}",
            ref("item.id"),
            records=None,
            rows=lambda body: [body],
            for_each=ForEach("records", {"kind": "_kind", "id": "id"}),
        ),
    ),
    derived=(
        Derived("records", ("contacts", "companies"), both),
        Derived(
            "pipeline",
            (),
            lambda state: {PIPELINE_ID: {"id": PIPELINE_ID, "name": "Opportunities"}},
        ),
        Derived(
            "statuses",
            (),
            lambda state: {
                key: {"id": key, "name": name, "pipeline": PIPELINE_ID, "order": n}
                for n, (key, name) in enumerate(OPEN.items(), 1)
            },
        ),
    ),
    field_catalogs=(
        catalog(Entity.organizations, "/companies/fields"),
        catalog(Entity.persons, "/contacts/fields"),
    ),
    headers={"Accept": "application/json"},
    id="solve360",
    # The user's e-mail and API token (Solve menu > My Account > API Reference).
    credentials=(
        CredentialField("email", "E-mail address", secret=False),
        CredentialField("api_token", "API token"),
    ),
    auth=lambda credentials, _url: BasicAuth(credentials["email"], credentials["api_token"]),
    default_base_url=DEFAULT_BASE_URL,
)
