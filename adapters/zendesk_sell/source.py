"""Zendesk Sell (formerly Base CRM, Core API v2) as a source, for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): `https://api.getbase.com/v2/`, a bearer
token and a `User-Agent`; lists paged by `page`/`per_page` (at most 100) in `{"items": [{"data":
{...}}], "meta": {"links": {"next_page": url}}}`; people and companies are one `contacts` list
read twice with `is_organization`; won and lost are stages (category) a deal sits in; custom
values are keyed by the field's name; contacts, deals and leads carry `tags` (their labels).
A lead is read three times from `/v2/leads`: as the lead, as a person of its own (when it has a
last name) and as an organization of its own (when it has an organization name), all under the
lead's id. Documents are listed per kind of record (lead, contact, deal) for a hundred records
a request (`resource_id` takes a comma-separated list); each is fetched by its `download_url`,
asked afresh from `/v2/documents/:id` (it expires after 90 minutes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from adapters.core import naming
from adapters.core.auth import CredentialField, bearer
from adapters.core.canonical import ContactPoint, Entity
from adapters.core.declarative import (
    AccountCheck,
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
from adapters.core.http import default_error_text
from adapters.core.mapping import (
    Getter,
    Raw,
    contact_points,
    first,
    joined,
    minutes_hhmm,
    number,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.paginators import NextUrl

API = "/v2"
DEFAULT_BASE_URL = "https://api.getbase.com"
USER_AGENT = "Ferry/1.0 (CRM migration to Pipedrive)"
PAGE = {"per_page": 100}
CLOSED = ("won", "lost")
FIELD_TYPES = {
    "string": "varchar",
    "text": "text",
    "number": "double",
    "date": "date",
    "list": "enum",
    "multi_select_list": "set",
    "phone": "phone",
    "email": "varchar",
    "url": "varchar",
}
US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _unwrap(raw: Raw) -> list[Raw]:
    return [raw["data"]] if isinstance(raw.get("data"), dict) else []


def paged() -> NextUrl:
    return NextUrl(next_url_path="meta.links.next_page")


def _stream(entity: Entity, path: str, fields: Mapping[str, Getter], **extra: Any) -> Stream:
    params = {**PAGE, **extra.pop("params", {})}
    return Stream(
        entity,
        f"{API}/{path}",
        {"source_id": ref("id"), **fields},
        paginator=paged(),
        records="items",
        params=params,
        explode=_unwrap,
        **extra,
    )


def custom_values(raw: Raw) -> dict[str, Any]:
    """Values by field name; a date (M/D/YYYY) as ISO."""
    out = dict(raw.get("custom_fields") or {})
    for name, value in out.items():
        if isinstance(value, str) and (found := US_DATE.fullmatch(value)):
            month, day, year = found.groups()
            out[name] = f"{year}-{int(month):02d}-{int(day):02d}"
    return out


def phones(raw: Raw) -> list[ContactPoint]:
    """`phone` (work), `mobile` and `fax`; the first one found is the main one."""
    columns = (("phone", "work"), ("mobile", "mobile"), ("fax", "fax"))
    points = [p for key, label in columns for p in contact_points(key, default_label=label)(raw)]
    return [point.model_copy(update={"primary": i == 0}) for i, point in enumerate(points)]


ADDRESS = tuple(f"address.{k}" for k in ("line1", "city", "postal_code", "state", "country"))


def parent(kind: str) -> Getter:
    """The record a task, call or note hangs on, when it is of this kind."""
    return lambda raw: raw.get("resource_id") if raw.get("resource_type") == kind else None


def stage_of(raw: Raw) -> Raw:
    return raw.get("stage") or {}


def first_stages(state: RunState) -> dict[str, str]:
    """Each pipeline's first open stage (the lowest position): where a closed deal arrives."""
    stages = [r for r in state["stages"].values() if r.get("category") not in CLOSED]
    by_last = sorted(stages, key=lambda r: -r["position"])  # the first one is written last
    return {str(r["pipeline_id"]): str(r["id"]) for r in by_last}


def closed_stage(record: Any, raw: Raw, state: RunState) -> None:
    """A won or lost deal arrives in its pipeline's first stage, as Pipedrive keeps it."""
    stage = stage_of(raw)
    if stage.get("category") in CLOSED:
        record.stage_source_id = state["first_stages"].get(str(stage.get("pipeline_id")))


def closed_at(status: str) -> Getter:
    when = utc_time("last_stage_change_at")
    return lambda raw: when(raw) if stage_of(raw).get("category") == status else None


def primary_person(raw: Raw) -> Any:
    """The deal's primary contact, unless that contact is its organization."""
    contact = raw.get("contact_id")
    return None if contact is None or contact == raw.get("organization_id") else contact


def _on_contact(record: Any, raw: Raw, state: RunState) -> None:
    """A record on a `contact` hangs on a person or on a company: the companies' ids say."""
    if str(record.person_source_id) in state["companies"]:
        record.org_source_id, record.person_source_id = record.person_source_id, None


ON_CONTACT: dict[str, Any] = {"needs": ("companies",), "amend": _on_contact}


def tags(raw: Raw) -> list[str]:
    return [str(tag) for tag in raw.get("tags") or [] if tag]


def lead_title(raw: Raw) -> str:
    """A lead as Sell shows it: "Name (Company)", else the one it has."""
    return naming.lead_title(joined("first_name", "last_name")(raw), raw.get("organization_name"))


def own(present: str) -> Getter:
    """The lead's own person or organization: under the lead's id, when the lead names one."""
    return lambda raw: raw.get("id") if raw.get(present) else None


CONTACT = {"owner_source_id": ref("owner_id"), "labels": tags}
PARENTS = {
    "deal_source_id": ref(parent("deal")),
    "person_source_id": ref(parent("contact")),
    "lead_source_id": ref(parent("lead")),
}
ADDED = utc_time("created_at")
LEAD_AS: dict[Entity, dict[str, Getter]] = {
    Entity.leads: {
        "title": lead_title,
        "person_source_id": ref(own("last_name")),
        "org_source_id": ref(own("organization_name")),
        "owner_source_id": ref("owner_id"),
        "labels": tags,
        "add_time": ADDED,
    },
    Entity.persons: {
        "name": joined("first_name", "last_name"),
        "first_name": text("first_name"),
        "last_name": text("last_name"),
        "emails": contact_points("email"),
        "phones": phones,
        "org_source_id": ref(own("organization_name")),
        "owner_source_id": ref("owner_id"),
    },
    Entity.organizations: {
        "name": text("organization_name"),
        "address": lambda raw: joined(*ADDRESS, sep=", ")(raw) or None,
        "owner_source_id": ref("owner_id"),
    },
}
LEAD_NEEDS = {Entity.persons: "last_name", Entity.organizations: "organization_name"}


def lead_stream(entity: Entity) -> Stream:
    needed = LEAD_NEEDS.get(entity)
    keep = (lambda raw: bool(raw.get(needed))) if needed else None
    return _stream(entity, "leads", LEAD_AS[entity], keep=keep)


FILE_FIELDS: dict[str, Getter] = {
    "name": first("name", lambda raw: ""),
    "mime_type": text("content_type"),
    "size": "size",
    **PARENTS,
    "content_ref": ref("id"),
    "add_time": ADDED,
}
ATTACHED_TO = {"deal": "deal_ids", "contact": "contact_ids", "lead": "lead_ids"}


def document_stream(kind: str) -> Stream:
    """The documents of a hundred records of a kind a request."""
    return _stream(
        Entity.files,
        "documents",
        FILE_FIELDS,
        params={"resource_type": kind, "resource_id": "{ids}"},
        for_each=ForEach(ATTACHED_TO[kind], {"ids": "id"}, batch=100),
        **(ON_CONTACT if kind == "contact" else {}),
    )


STREAMS = (
    _stream(
        Entity.users,
        "users",
        {
            "name": text("name"),
            "email": text("email"),
            "active": lambda raw: raw.get("status") != "inactive",
        },
    ),
    _stream(
        Entity.organizations,
        "contacts",
        {
            "name": text("name"),
            "address": lambda raw: joined(*ADDRESS, sep=", ")(raw) or None,
            **CONTACT,
        },
        params={"is_organization": "true"},
        custom_values=custom_values,
    ),
    _stream(
        Entity.persons,
        "contacts",
        {
            "name": first(joined("first_name", "last_name"), "name"),
            "first_name": text("first_name"),
            "last_name": text("last_name"),
            "emails": contact_points("email"),
            "phones": phones,
            "org_source_id": ref("contact_id"),
            **CONTACT,
        },
        params={"is_organization": "false"},
        custom_values=custom_values,
    ),
    _stream(Entity.pipelines, "pipelines", {"name": text("name")}),
    _stream(
        Entity.stages,
        "stages",
        {
            "name": text("name"),
            "pipeline_source_id": ref("pipeline_id"),
            "order_nr": "position",
            "deal_probability": "likelihood",
        },
        keep=lambda raw: raw.get("category") not in CLOSED,
    ),
    _stream(
        Entity.products,
        "products",
        {
            "name": text("name"),
            "code": text("sku"),
            "prices": lambda raw: [
                {"price": float(p["amount"]), "currency": p["currency"]}
                for p in raw.get("prices") or []
                if p.get("amount") not in (None, "")
            ],
        },
    ),
    _stream(
        Entity.deals,
        "deals",
        {
            "title": text("name"),
            "value": number("value"),
            "currency": text("currency"),
            "status": lambda raw: c if (c := stage_of(raw).get("category")) in CLOSED else "open",
            "person_source_id": ref(primary_person),
            "org_source_id": ref("organization_id"),
            "pipeline_source_id": ref(lambda raw: stage_of(raw).get("pipeline_id")),
            "stage_source_id": ref("stage_id"),
            "owner_source_id": ref("owner_id"),
            "expected_close_date": text("estimated_close_date"),
            "won_time": closed_at("won"),
            "lost_time": closed_at("lost"),
            "lost_reason": text("loss_reason.name"),
            "labels": tags,
        },
        custom_values=custom_values,
        joins=(
            Join("stages", ref("stage_id"), "stage"),
            Join("loss_reasons", ref("loss_reason_id"), "loss_reason"),
        ),
        needs=("first_stages",),
        amend=closed_stage,
    ),
    _stream(
        Entity.activities,
        "tasks",
        {
            "subject": lambda raw: raw.get("content") or "",
            "type": lambda raw: "task",
            "due_date": utc_date("due_date"),
            "due_time": utc_hhmm("due_date"),
            "done": lambda raw: bool(raw.get("completed")),
            **PARENTS,
            "owner_source_id": ref("owner_id"),
        },
        **ON_CONTACT,
    ),
    _stream(
        Entity.activities,
        "calls",
        {
            "subject": lambda raw: raw.get("summary") or "",
            "type": lambda raw: "call",
            "done": lambda raw: True,  # a call is logged once made
            "due_date": utc_date("made_at"),
            "due_time": utc_hhmm("made_at"),
            "duration": minutes_hhmm("duration", unit_seconds=1),
            "deal_source_id": ref(lambda raw: (raw.get("associated_deal_ids") or [None])[0]),
            "person_source_id": ref(parent("contact")),
            "lead_source_id": ref(parent("lead")),
            "owner_source_id": ref("user_id"),
        },
        **ON_CONTACT,
    ),
    _stream(
        Entity.notes,
        "notes",
        {
            "content": lambda raw: raw.get("content") or "",
            "add_time": utc_time("created_at"),
            **PARENTS,
            "owner_source_id": ref("creator_id"),
        },
        **ON_CONTACT,
    ),
    *(lead_stream(entity) for entity in LEAD_AS),
    *(document_stream(kind) for kind in ATTACHED_TO),
)


def _rows(body: Any) -> list[Raw]:
    return [item["data"] for item in (body or {}).get("items") or []]


def _ids(body: Any) -> list[Raw]:
    return [{"id": r["id"]} for r in _rows(body)]


def _lookup(name: str, path: str, rows: Any = _rows, **params: Any) -> Lookup:
    return Lookup(name, f"{API}/{path}", ref("id"), None, paged(), {**PAGE, **params}, rows=rows)


def _catalog(entity: Entity, resource: str, scope: str | None) -> FieldCatalog:
    return FieldCatalog(
        entity,
        f"{API}/{resource}/custom_fields",
        key=ref("data.name"),
        name="data.name",
        type="data.type",
        types=FIELD_TYPES,  # type: ignore[arg-type]
        records="items",
        is_custom=(lambda raw: bool(raw["data"].get(scope))) if scope else (lambda raw: True),
        options=lambda raw: [
            (str(c["id"]), str(c["name"])) for c in raw["data"].get("choices") or []
        ],
        params=PAGE,
        paginator=paged(),
    )


def error_text(response: httpx.Response) -> str:
    """The messages of Sell's `errors` list, else what the body says."""
    try:
        return "; ".join(e["error"]["message"] for e in response.json()["errors"])
    except (ValueError, KeyError, TypeError):
        return default_error_text(response)


SPEC = SourceSpec(
    name="Zendesk Sell",
    streams=STREAMS,
    check=AccountCheck(
        f"{API}/users/self",
        {"user_id": ref("data.id"), "user_name": text("data.name"), "email": text("data.email")},
    ),
    field_catalogs=(
        _catalog(Entity.organizations, "contact", "for_company"),
        _catalog(Entity.persons, "contact", "for_contact"),
        _catalog(Entity.deals, "deal", None),
    ),
    lookups=(
        _lookup("stages", "stages"),
        _lookup("loss_reasons", "loss_reasons"),
        # Only the companies' ids: what tells a task's contact is a company (few, small rows).
        _lookup(
            "companies",
            "contacts",
            lambda body: [{"id": r["id"]} for r in _rows(body)],
            is_organization="true",
        ),
        # The ids whose documents are listed, a hundred a request.
        *(
            _lookup(name, path, _ids)
            for path, name in (
                ("deals", "deal_ids"),
                ("contacts", "contact_ids"),
                ("leads", "lead_ids"),
            )
        ),
    ),
    derived=(Derived("first_stages", ("stages",), first_stages),),
    headers={"User-Agent": USER_AGENT},
    error_text=error_text,
    id="zendesk_sell",
    # A personal access token (Settings > Integrations > OAuth > Access Tokens) or an OAuth
    # access token: either is sent as `Authorization: Bearer <token>`.
    credentials=(CredentialField("access_token", "Access token"),),
    auth=bearer("access_token"),
    default_base_url=DEFAULT_BASE_URL,
    files=FileContent(path=lambda ref: f"{API}/documents/{ref}", link="data.download_url"),
)
