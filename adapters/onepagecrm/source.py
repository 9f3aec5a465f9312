"""OnePageCRM (API v3) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): `https://app.onepagecrm.com/api/v3/`,
HTTP Basic `user_id:api_key`; lists paged by `page`/`per_page` (at most 100) in
`{"data": {"<plural>": [{"<singular>": {...}}], "max_page": M}}`; 24-hex ids; pipelines
carry their stages inline as {stage, label}, a deal names `pipeline_id` and `stage`; a contact's
`tags` are its labels.
- Files: deals, notes, calls and meetings carry `attachments` (id, filename, size; no type, no
  date), read from those lists (no request per file). The bytes are behind a `url` signed until
  `url_expires_at` and there is no GET of one attachment: the download re-reads the record
  (`GET /deals/{id}`...) and fetches its attachment's fresh URL without credentials. A note's
  file is its linked deal's, else its contact's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.core.auth import BasicAuth, CredentialField
from adapters.core.canonical import Entity
from adapters.core.declarative import AccountCheck, FieldCatalog, FileContent, SourceSpec, Stream
from adapters.core.mapping import Getter, Raw, contact_points, joined, number, ref, text
from adapters.core.naming import mime_type
from adapters.core.paginators import PageNumber

API = "/api/v3"
DEFAULT_BASE_URL = "https://app.onepagecrm.com"
STATUS = {"pending": "open", "won": "won", "lost": "lost"}


def stage_id(pipeline: Any, stage: Any) -> str | None:
    """A stage has no id of its own: its pipeline's id and its number."""
    return f"{pipeline}:{stage}" if pipeline and stage is not None else None


def closed(status: str) -> Getter:
    def read(raw: Raw) -> str | None:
        day = raw.get("close_date")
        return f"{day[:10]}T00:00:00Z" if day and raw.get("status") == status else None

    return read


def due_time(raw: Raw) -> str | None:
    when = raw.get("exact_time")
    return datetime.fromtimestamp(int(when), UTC).strftime("%H:%M") if when else None


def logged(raw: Raw, key: str, form: str) -> str | None:
    when = raw.get(key)
    return datetime.fromtimestamp(int(when), UTC).strftime(form) if when is not None else None


def stages(pipeline: Raw) -> list[Raw]:
    return [
        {**s, "pipeline_id": pipeline["id"], "position": i}
        for i, s in enumerate(pipeline.get("stages") or [], 1)
    ]


def _stream(
    entity: Entity, plural: str, one: str, fields: dict[str, Getter], **extra: Any
) -> Stream:
    unwrap = extra.pop("explode", None)
    return Stream(
        entity,
        f"{API}/{plural}",
        {"source_id": ref("id"), **fields},
        paginator=paged(plural),
        records=f"data.{plural}",
        explode=(lambda raw: unwrap(raw[one])) if unwrap else (lambda raw: [raw[one]]),
        **extra,
    )


FIELD_TYPES = {
    "single_line_text": "varchar",
    "multi_line_text": "text",
    "number": "double",
    "date": "date",
    "anniversary": "date",
    "select_box": "enum",
    "multiple_choice": "set",
}


def values_in(record_key: str, item_key: str) -> Any:
    def read(raw: Raw) -> dict[str, Any]:
        items = raw.get(record_key) or []
        return {str(i[item_key]["id"]): i.get("value") for i in items if i.get(item_key)}

    return read


def _catalog(entity: Entity, table: str, one: str) -> FieldCatalog:
    return FieldCatalog(
        entity,
        f"{API}/{table}",
        key=ref(f"{one}.id"),
        name=f"{one}.name",
        type=f"{one}.type",
        types=FIELD_TYPES,  # type: ignore[arg-type]
        records=f"data.{table}",
        is_custom=lambda raw: raw[one].get("type") in FIELD_TYPES,
        options=lambda raw: [(c, c) for c in raw[one].get("choices") or []],
        params={"per_page": 100},
        paginator=paged(table),
    )


def paged(plural: str) -> PageNumber:
    return PageNumber(size=100, records_path=f"data.{plural}", total_pages_path="data.max_page")


def logged_stream(kind: str) -> Stream:
    """Calls and meetings: logged on a contact at a Unix time, by an author named in words."""
    at = f"{kind}_time_int"
    return _stream(
        Entity.activities,
        f"{kind}s",
        kind,
        {
            "subject": lambda raw: raw.get("text") or "",
            "type": lambda raw: kind,
            "due_date": lambda raw: logged(raw, at, "%Y-%m-%d"),
            "due_time": lambda raw: logged(raw, at, "%H:%M"),
            "done": lambda raw: False,
            "person_source_id": ref("contact_id"),
        },
    )


def attachments(plural: str) -> Any:
    """A record's attachments, each with its links and where the download finds it again."""

    def explode(record: Raw) -> list[Raw]:
        links = {"activity_source_id": record["id"]}
        if plural == "deals":
            links = {"deal_source_id": record["id"]}
        elif plural == "notes":  # the note's linked deal's, else its contact's
            deal = record.get("linked_deal_id")
            links = {"deal_source_id": deal} if deal else {"person_source_id": record["contact_id"]}
        return [
            {**item, "_links": links, "_ref": f"{plural}/{record['id']}/{item['id']}"}
            for item in record.get("attachments") or []
        ]

    return explode


def file_stream(plural: str, one: str) -> Stream:
    return _stream(
        Entity.files,
        plural,
        one,
        {
            "name": lambda raw: raw.get("custom_filename") or raw.get("filename") or "",
            "mime_type": lambda raw: mime_type(raw.get("filename")),
            "size": "size",
            "content_ref": "_ref",
            **{
                link: (lambda key: lambda raw: raw["_links"].get(key))(link)
                for link in ("deal_source_id", "person_source_id", "activity_source_id")
            },
        },
        explode=attachments(plural),
    )


def fresh_url(body: Any, content_ref: str) -> Any:
    """The signed URL of the attachment `content_ref` names, in its record as just read."""
    plural, _, attachment_id = content_ref.split("/")
    record = (body.get("data") or {}).get(LISTS_ONE[plural]) or {}
    found = [a for a in record.get("attachments") or [] if a.get("id") == attachment_id]
    return found[0].get("url") if found else None


LISTS_ONE = {"deals": "deal", "notes": "note", "calls": "call", "meetings": "meeting"}

STREAMS = (
    _stream(
        Entity.users,
        "users",
        "user",
        {"name": joined("first_name", "last_name"), "email": text("email")},
    ),
    _stream(
        Entity.organizations,
        "companies",
        "company",
        {"name": text("name"), "address": text("address.address")},
        custom_values=values_in("company_fields", "company_field"),
    ),
    _stream(
        Entity.persons,
        "contacts",
        "contact",
        {
            "name": joined("first_name", "last_name"),
            "first_name": text("first_name"),
            "last_name": text("last_name"),
            "emails": contact_points("emails", label_key="type"),
            "phones": contact_points("phones", label_key="type"),
            "org_source_id": ref("company_id"),
            "owner_source_id": ref("owner_id"),
            "labels": lambda raw: [str(tag) for tag in raw.get("tags") or []],
        },
        custom_values=values_in("custom_fields", "custom_field"),
    ),
    _stream(Entity.pipelines, "pipelines", "pipeline", {"name": text("name")}),
    _stream(
        Entity.stages,
        "pipelines",
        "pipeline",
        {
            "source_id": lambda raw: stage_id(raw["pipeline_id"], raw["stage"]),
            "name": text("label"),
            "pipeline_source_id": ref("pipeline_id"),
            "deal_probability": "stage",
            "order_nr": "position",
        },
        explode=stages,
    ),
    _stream(
        Entity.deals,
        "deals",
        "deal",
        {
            "title": text("name"),
            "value": number("amount"),
            "currency": text("currency"),
            "status": lambda raw: STATUS.get(raw.get("status") or "", "open"),
            "person_source_id": ref("contact_id"),
            "org_source_id": ref("company_id"),
            "pipeline_source_id": ref("pipeline_id"),
            "stage_source_id": lambda raw: stage_id(raw.get("pipeline_id"), raw.get("stage")),
            "owner_source_id": ref("owner_id"),
            "expected_close_date": text("expected_close_date"),
            "won_time": closed("won"),
            "lost_time": closed("lost"),
        },
        custom_values=values_in("deal_fields", "deal_field"),
    ),
    _stream(
        Entity.activities,
        "actions",
        "action",
        {
            "subject": lambda raw: raw.get("text") or "",
            "type": lambda raw: "task",
            "due_date": text("date"),
            "due_time": due_time,
            "done": lambda raw: bool(raw.get("done")),
            "person_source_id": ref("contact_id"),
            "owner_source_id": ref("assignee_id"),
        },
    ),
    *(logged_stream(kind) for kind in ("call", "meeting")),
    _stream(
        Entity.notes,
        "notes",
        "note",
        {
            "content": lambda raw: raw.get("text") or "",
            "add_time": text("created_at"),
            "person_source_id": ref("contact_id"),
            "deal_source_id": ref("linked_deal_id"),
        },
    ),
    *(file_stream(plural, one) for plural, one in LISTS_ONE.items()),
)

SPEC = SourceSpec(
    name="OnePageCRM",
    streams=STREAMS,
    check=AccountCheck(
        f"{API}/users",
        {
            "user_id": ref("data.users.0.user.id"),
            "user_name": lambda body: joined("first_name", "last_name")(
                ((body.get("data") or {}).get("users") or [{}])[0].get("user") or {}
            ),
        },
        params={"per_page": 1},
    ),
    field_catalogs=(
        _catalog(Entity.persons, "custom_fields", "custom_field"),
        _catalog(Entity.organizations, "company_fields", "company_field"),
        _catalog(Entity.deals, "deal_fields", "deal_field"),
    ),
    id="onepagecrm",
    # Apps > Configuration > API: the user id (not secret) and the API key, sent as
    # HTTP Basic `user_id:api_key`.
    credentials=(
        CredentialField("user_id", "User ID", secret=False),
        CredentialField("api_key", "API key"),
    ),
    auth=lambda credentials, _url: BasicAuth(credentials["user_id"], credentials["api_key"]),
    default_base_url=DEFAULT_BASE_URL,
    files=FileContent(
        path=lambda ref: f"{API}/{ref.rpartition('/')[0]}",
        link=fresh_url,
    ),
)
