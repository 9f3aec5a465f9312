"""Pipeline CRM (PipelineDeals API v3) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): `https://api.pipelinecrm.com/api/v3/`,
`?api_key=`; lists paged by `page`/`per_page` (at most 200) in
`{"entries": [...], "pagination": {"pages": ...}}`; times like `2012/02/07 15:26:10 -0500`;
one list of deal stages (one pipeline); custom values in `custom_fields.custom_label_{id}`,
field labels under `admin/*_custom_field_labels` with their dropdown entries. People's tags are
`predefined_contacts_tags` ({id, name}); documents are one `documents` list, each document's
bytes behind the `public_link` of `documents/{id}` (signed for an hour: asked for afresh at each
download, fetched without the key).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.core.auth import CredentialField, QueryParamAuth
from adapters.core.canonical import ContactPoint, Entity
from adapters.core.declarative import AccountCheck, FieldCatalog, FileContent, SourceSpec, Stream
from adapters.core.mapping import Getter, Raw, joined, number, ref, text, value_at
from adapters.core.naming import mime_type
from adapters.core.paginators import PageNumber

API = "/api/v3"
DEFAULT_BASE_URL = "https://api.pipelinecrm.com"
ADDRESS = ("address_1", "city", "state", "postal_code", "country")
PIPELINE_ID = "1"  # the account's one list of stages
FIELD_TYPES = {
    "text": "text",
    "numeric": "double",
    "currency": "double",
    "date": "date",
    "dropdown": "enum",
    "multi_select": "set",
}


def paged() -> PageNumber:
    return PageNumber(size=200, records_path="entries", total_pages_path="pagination.pages")


def moment(getter: Getter) -> Any:
    """A Pipeline CRM time ("2012/02/07 15:26:10 -0500") as RFC 3339 UTC."""

    def read(raw: Raw) -> str | None:
        value = value_at(raw, getter)
        if not value:
            return None
        parsed = datetime.strptime(str(value), "%Y/%m/%d %H:%M:%S %z").astimezone(UTC)
        return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")

    return read


def day(getter: Getter) -> Any:
    def read(raw: Raw) -> str | None:
        value = value_at(raw, getter)
        return str(value)[:10].replace("/", "-") if value else None

    return read


def closed(status: str) -> Getter:
    when = moment("closed_time")
    return lambda raw: when(raw) if raw.get("status") == status else None


def is_event(raw: Raw) -> bool:
    return raw.get("type") == "CalendarEvent"


def due(raw: Raw) -> tuple[str | None, str | None]:
    if not is_event(raw):
        return day("due_date")(raw), None
    start = moment("start_time")(raw)
    if not start:
        return None, None
    return start[:10], None if raw.get("all_day") else start[11:16]


def duration(raw: Raw) -> str | None:
    if not is_event(raw) or raw.get("all_day") or not raw.get("end_time"):
        return None
    start, end = (
        datetime.strptime(raw[k], "%Y/%m/%d %H:%M:%S %z") for k in ("start_time", "end_time")
    )
    minutes = int((end - start).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}" if minutes else None


def slots(*named: tuple[str, str]) -> Getter:
    """Addresses kept in fixed fields, each with its label; the first one is the main one."""

    def read(raw: Raw) -> list[ContactPoint]:
        found = [(raw.get(key), label) for key, label in named]
        points = [ContactPoint(value=str(v), label=label) for v, label in found if v]
        if points:
            points[0].primary = True
        return points

    return read


def custom_values(raw: Raw) -> dict[str, Any]:
    return {
        key.removeprefix("custom_label_"): value
        for key, value in (raw.get("custom_fields") or {}).items()
    }


def tags(raw: Raw) -> list[str]:
    return [str(t["name"]) for t in raw.get("predefined_contacts_tags") or [] if t.get("name")]


def options(raw: Raw) -> list[tuple[str, str]]:
    entries = raw.get("custom_field_label_dropdown_entries") or []
    return [(str(e["id"]), str(e["name"])) for e in entries]


def _stream(entity: Entity, path: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    return Stream(
        entity,
        f"{API}/{path}.json",
        {"source_id": ref("id"), **fields},
        paginator=paged(),
        records="entries",
        params={"per_page": 200},
        **extra,
    )


def _catalog(entity: Entity, kind: str) -> FieldCatalog:
    return FieldCatalog(
        entity,
        f"{API}/admin/{kind}_custom_field_labels.json",
        key=ref("id"),
        name="name",
        type="field_type",
        types={k: v for k, v in FIELD_TYPES.items()},  # type: ignore[misc]
        records="entries",
        options=options,
        params={"per_page": 200},
        paginator=paged(),
    )


PARENTS = {
    "deal_source_id": ref("deal_id"),
    "person_source_id": ref("person_id"),
    "org_source_id": ref("company_id"),
    "owner_source_id": ref("user_id"),
}
STREAMS = (
    _stream(
        Entity.users,
        "users",
        {"name": joined("first_name", "last_name"), "email": text("email")},
    ),
    _stream(
        Entity.organizations,
        "companies",
        {
            "name": text("name"),
            "address": lambda raw: joined(*ADDRESS, sep=", ")(raw) or None,
            "owner_source_id": ref("user_id"),
        },
        custom_values=custom_values,
    ),
    _stream(
        Entity.persons,
        "people",
        {
            "name": text("full_name"),
            "first_name": text("first_name"),
            "last_name": text("last_name"),
            "emails": slots(("email", "work"), ("email2", "work"), ("home_email", "home")),
            "phones": slots(
                ("phone", "work"), ("mobile", "mobile"), ("home_phone", "home"), ("fax", "fax")
            ),
            "org_source_id": ref("company_id"),
            "owner_source_id": ref("user_id"),
            "labels": tags,
        },
        custom_values=custom_values,
    ),
    _stream(
        Entity.pipelines,
        "admin/deal_stages",
        {"source_id": lambda raw: PIPELINE_ID, "name": lambda raw: "Pipeline"},
        select=lambda raws, state: raws[:1],
    ),
    _stream(
        Entity.stages,
        "admin/deal_stages",
        {
            "name": text("name"),
            "pipeline_source_id": lambda raw: str(raw.get("deal_pipeline_id") or PIPELINE_ID),
            "deal_probability": "percent",
            "order_nr": "position",
        },
        # Stages come in the account's order (one page holds them all); number them so.
        select=lambda raws, state: [{**r, "position": i} for i, r in enumerate(raws, 1)],
    ),
    _stream(
        Entity.deals,
        "deals",
        {
            "title": text("name"),
            "value": number("value"),
            "currency": text("currency.code"),
            "status": lambda raw: raw.get("status") or "open",
            "person_source_id": ref("primary_contact_id"),
            "org_source_id": ref("company_id"),
            "pipeline_source_id": lambda raw: PIPELINE_ID,
            "stage_source_id": ref("deal_stage_id"),
            "owner_source_id": ref("user_id"),
            "expected_close_date": day("expected_close_date"),
            "won_time": closed("won"),
            "lost_time": closed("lost"),
        },
        custom_values=custom_values,
    ),
    _stream(
        Entity.activities,
        "calendar_entries",
        {
            "subject": lambda raw: raw.get("name") or "",
            "type": lambda raw: (raw.get("category") or {}).get("name") or "task",
            "due_date": lambda raw: due(raw)[0],
            "due_time": lambda raw: due(raw)[1],
            "duration": duration,
            "done": lambda raw: bool(raw.get("complete")),
            "note": text("description"),
            **PARENTS,
        },
    ),
    _stream(
        Entity.notes,
        "notes",
        {
            "content": lambda raw: raw.get("content") or "",
            "add_time": moment("created_at"),
            **PARENTS,
        },
    ),
    # One list of every document (no request per file); sizes are in kilobytes only.
    _stream(
        Entity.files,
        "documents",
        {
            "name": lambda raw: raw.get("title") or "",
            "mime_type": lambda raw: mime_type(raw.get("title")),
            "deal_source_id": ref("deal_id"),
            "person_source_id": ref("person_id"),
            "org_source_id": ref("company_id"),
            "content_ref": ref("id"),
            "add_time": moment("created_at"),
        },
    ),
)

SPEC = SourceSpec(
    name="Pipeline CRM",
    streams=STREAMS,
    check=AccountCheck(
        f"{API}/users.json",
        {
            "user_id": ref("entries.0.id"),
            "user_name": lambda body: joined("first_name", "last_name")(
                (body.get("entries") or [{}])[0]
            ),
        },
        params={"per_page": 1},
    ),
    files=FileContent(path=lambda ref: f"{API}/documents/{ref}.json", link="public_link"),
    field_catalogs=(
        _catalog(Entity.organizations, "company"),
        _catalog(Entity.persons, "person"),
        _catalog(Entity.deals, "deal"),
    ),
    id="pipelinecrm",
    # The account's API key (Account settings > API): sent as `?api_key=`.
    credentials=(CredentialField("api_key", "API key"),),
    auth=lambda credentials, _url: QueryParamAuth("api_key", credentials["api_key"]),
    default_base_url=DEFAULT_BASE_URL,
)
