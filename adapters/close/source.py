"""Close (close.com, formerly Close.io) as a source, described for the shared declarative engine.

Vendor facts the description relies on (see the emulator's docstring for where they come from):
- `https://api.close.com/api/v1/<resource>/` (trailing slashes); HTTP Basic, API key as the user
  name, empty password.
- Lists: `_skip` / `_limit` (at most 100), `{"data": [...], "has_more": bool}`; `_fields` trims
  records. Ids are prefixed strings (`lead_`, `cont_`, `oppo_`, `acti_`, `task_`, `stat_`...).
- `_skip` stops at 10,000 (a 400 past it), so lists are read the ways Close documents for
  going further (pages.py): leads and contacts through the Advanced Filtering API
  (`POST /data/search/`, a cursor in the body), the lists that filter on `date_created`
  (opportunities, tasks, activities) in creation-time windows, newest first. Small lists (users,
  pipelines, field definitions) keep `_skip`.
- Counting: opportunity lists carry `total_results` (read from one page of ids); Close
  documents no count for the other lists read here (the lead list's `total_results` counts
  individuals too, and organizations are named leads only), so those are counted while they
  are extracted.
- A lead is the company and holds its contacts; a lead without a name is an individual (its
  display_name is the contact's), so only named leads are organizations.
- Custom values sit in records as `custom.<cf id>`; definitions at `/custom_field/<object>/`
  (types text, number, date, datetime, choices with `accepts_multiple_values`, user, contact).
  Leads and contacts have no owner of their own: a `user` custom field ("Owner") holds it.
- Opportunities: value in cents with `value_currency`; no title (the `note` is its text);
  `status_type` active / won / lost; `date_won` is the (expected) close date. Pipelines hold
  their statuses inline. A won or lost opportunity no longer says which stage it stood in: its
  OpportunityStatusChange activity does (`old_status_id`), and a lost status's label is the
  reason it was lost.
- Activities: calls, meetings, e-mails (`/activity/<type>/`) and tasks (`/task/`) hang on a lead
  and maybe a contact; notes are `/activity/note/` with `note_html`. Ids never collide across
  them (`acti_` / `task_`).
- Changed since: only the opportunity list filters on `date_updated__gt`; the lead and contact
  lists have no update filter and the activity lists filter on creation only, so those streams
  are read whole.
- 429: `{"error": {"rate_reset": seconds}}`; errors `{"error": "..."}` or
  `{"errors": [...], "field-errors": {...}}`.
- Files: notes and e-mails carry `attachments: [{url, filename, content_type, size}]` (the URL
  the Files API handed out, `https://app.close.com/go/file/...`); there is no list of files, so
  they are read from the note and e-mail lists themselves (no request per record or file), and
  fetched from their URL with the API key. An attachment has no id or date: its id is the key
  in its URL, its date its activity's. A note with attachments and no text is how a file is
  put on a lead: it is carried as the files alone. No tags anywhere, and no leads but companies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import httpx

from adapters.close.pages import CreatedWindows, search_pages
from adapters.core.auth import CredentialField, api_key_as_username
from adapters.core.canonical import Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    FieldCatalog,
    FileContent,
    Join,
    Lookup,
    PostRead,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.http import header_retry_after, structured_rate_limit
from adapters.core.mapping import (
    Getter,
    Raw,
    const,
    contact_points,
    first,
    joined,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.paginators import OffsetPaginator

API = "/api/v1"
DEFAULT_BASE_URL = "https://api.close.com"
SEARCH = f"{API}/data/search/"
OWNER = "owner"  # a search param (not sent): also name the owner's `user` custom fields
PAGE_SIZE = 100  # the most `_limit` allows
LABELS = {"office": "work", "direct": "work", "mobile": "mobile", "home": "home"}
FIELD_TYPES: dict[str, FieldType] = {
    "text": FieldType.text,
    "number": FieldType.double,
    "date": FieldType.date,
    "datetime": FieldType.date,
    "choices": FieldType.enum,  # FieldCatalog.type reads `kind` below (set when multiple)
    "choices_multiple": FieldType.set,
}
STATUS_TYPES = {"active": "open", "won": "won", "lost": "lost"}
DONE_EMAIL = {"sent", "inbox", "archived"}


def pages() -> OffsetPaginator:
    return OffsetPaginator(
        start_param="_skip",
        limit_param="_limit",
        limit=PAGE_SIZE,
        more_path="has_more",
        next_start_path=None,
    )


# --- getters where Close is odd --------------------------------------------------------------


def owner_from_user_field(raw: Raw) -> str | None:
    """The owner of a lead or contact: the value of its `user` custom field (the one named like
    an owner when there are several), joined in as `_user_fields`."""
    fields = raw.get("_user_fields") or []
    ranked = sorted(fields, key=lambda f: "owner" not in str(f.get("name", "")).lower())
    for field in ranked:
        value = raw.get(f"custom.{field.get('id')}")
        if value:
            return str(value)
    return None


def named_lead(getter: str) -> Any:
    """The lead as an organization, only when it has a name (joined in as `_lead`)."""

    def read(raw: Raw) -> str | None:
        lead = raw.get("_lead") or {}
        return str(raw[getter]) if raw.get(getter) and lead.get("name") else None

    return read


def contact_or_individual(raw: Raw) -> str | None:
    """The record's contact; on an individual's lead (no name) without one, that individual."""
    if raw.get("contact_id"):
        return str(raw["contact_id"])
    lead = raw.get("_lead") or {}
    contacts = lead.get("contact_ids") or []
    return str(contacts[0]) if contacts and not lead.get("name") else None


def address(raw: Raw) -> str | None:
    addresses = raw.get("addresses") or []
    if not addresses:
        return None
    parts = ("address_1", "address_2", "city", "state", "zipcode", "country")
    return joined(*parts, sep=", ")(addresses[0]) or None


def cents(raw: Raw) -> float | None:
    value = raw.get("value")
    return None if value is None else value / 100


def currency(raw: Raw) -> str | None:
    return raw.get("value_currency") if raw.get("value") is not None else None


def stage(raw: Raw) -> str | None:
    """An active opportunity's status is its stage; a closed one's is the status it left."""
    if raw.get("status_type") == "active":
        return raw.get("status_id")
    changes = [c for c in raw.get("_status_changes") or [] if c.get("old_status_type") == "active"]
    changes.sort(key=lambda c: str(c.get("date_created")))
    return changes[-1]["old_status_id"] if changes else None


def closed_at(kind: str, field: str) -> Any:
    def read(raw: Raw) -> str | None:
        day = raw.get(field) if raw.get("status_type") == kind else None
        return f"{day[:10]}T00:00:00Z" if day else None

    return read


def lost_reason(raw: Raw) -> str | None:
    return raw.get("status_label") if raw.get("status_type") == "lost" else None


def seconds_hhmm(raw: Raw) -> str | None:
    seconds = raw.get("duration") or 0
    if not seconds:
        return None
    minutes = int(seconds) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def is_file_carrier(raw: Raw) -> bool:
    """A note with attachments and no text: files put on a lead."""
    return bool(raw.get("attachments")) and not plain(raw.get("note_html") or raw.get("note"))


def plain(markup: Any) -> str:
    return re.sub(r"<[^>]+>|&nbsp;|\s", "", str(markup or ""))


def attachments(raw: Raw) -> list[Raw]:
    """An activity's attachments, each with the activity's links and date."""
    keep = ("lead_id", "contact_id", "date_created")
    return [
        {**item, **{k: raw.get(k) for k in keep}, "_on": raw.get("id")}
        for item in raw.get("attachments") or []
    ]


def file_key(raw: Raw) -> str:
    """The key in an attachment's URL (`.../go/file/<key>/`), unique per upload."""
    return str(raw.get("url") or "").rstrip("/").rpartition("/")[2]


def field_kind(raw: Raw) -> str:
    kind = str(raw.get("type"))
    return "choices_multiple" if kind == "choices" and raw.get("accepts_multiple_values") else kind


def choices(raw: Raw) -> list[tuple[str, str]]:
    return [(str(c), str(c)) for c in raw.get("choices") or []]


# --- the description --------------------------------------------------------------------------


def _stream(entity: Entity, path: str, fields: Mapping[str, Getter], **extra: Any) -> Stream:
    return Stream(entity, f"{API}/{path}/", fields, paginator=pages(), **extra)


def _timeline(
    entity: Entity, path: str, fields: Mapping[str, Getter], *, ordered: bool = False, **extra: Any
) -> Stream:
    """A list read in creation-time windows; `ordered` lists are asked to sort newest first
    (activity lists always do)."""
    params = {"_order_by": "-date_created"} if ordered else {}
    return Stream(
        entity, f"{API}/{path}/", fields, paginator=CreatedWindows(), params=params, **extra
    )


def _search(object_type: str, fields: str, *, owner: bool = False) -> dict[str, Any]:
    """An Advanced Filtering read: a POST (that changes nothing) whose body carries the query,
    the fields and the page; `owner` names the object's `user` custom fields too, where a lead or
    contact keeps its owner."""
    params = {"object_type": object_type, "_fields": fields, **({OWNER: True} if owner else {})}
    needs = (f"{object_type}_user_fields",) if owner else ()
    return {"paginator": search_pages(), "params": params, "post": SEARCH_READ, "needs": needs}


def _search_body(params: Mapping[str, Any], state: RunState) -> dict[str, Any]:
    """All records of one object type, with the fields named (and the owner's fields)."""
    object_type = params["object_type"]
    fields = [name for name in str(params.get("_fields", "")).split(",") if name]
    if params.get(OWNER):
        user_fields = state[f"{object_type}_user_fields"].get("user", [])
        fields += [f"custom.{field['id']}" for field in user_fields]
    return {
        "query": {
            "type": "and",
            "queries": [{"type": "object_type", "object_type": object_type}],
        },
        "_fields": {object_type: list(dict.fromkeys(fields))},
    }


SEARCH_READ = PostRead(_search_body)


def _catalog(entity: Entity, close_object: str) -> FieldCatalog:
    return FieldCatalog(
        entity,
        f"{API}/custom_field/{close_object}/",
        key=lambda raw: f"custom.{raw['id']}",
        name="name",
        type=field_kind,
        types=FIELD_TYPES,
        # User fields are carried as the record's owner; contact fields point at records.
        is_custom=lambda raw: raw.get("type") != "user",
        options=choices,
        paginator=pages(),
    )


def _user_fields(close_object: str) -> Lookup:
    return Lookup(
        f"{close_object}_user_fields",
        f"{API}/custom_field/{close_object}/",
        key=lambda raw: str(raw.get("type")),
        paginator=pages(),
        many=True,
    )


LEADS = Lookup(
    "leads",
    SEARCH,
    key="id",
    **_search("lead", "id,name,contact_ids"),
)
STATUS_CHANGES = Lookup(
    "status_changes",
    f"{API}/activity/status_change/opportunity/",
    key="opportunity_id",
    paginator=CreatedWindows(),
    many=True,
)
ON_LEAD = Join("leads", on="lead_id", into="_lead")


def _links(owner: str = "user_id") -> dict[str, Getter]:
    return {
        "org_source_id": named_lead("lead_id"),
        "person_source_id": contact_or_individual,
        "owner_source_id": ref(owner),
    }


ACTIVITY_TIME = {"due_date": utc_date("activity_at"), "due_time": utc_hhmm("activity_at")}

# A file on a note with a contact is the contact's (one record a file); else its lead's.
FILE_LINKS: dict[str, Getter] = {
    "org_source_id": lambda raw: None if raw.get("contact_id") else named_lead("lead_id")(raw),
    "person_source_id": contact_or_individual,
}

STREAMS: tuple[Stream, ...] = (
    _stream(
        Entity.users,
        "user",
        {"source_id": "id", "name": joined("first_name", "last_name"), "email": text("email")},
    ),
    Stream(
        Entity.organizations,
        SEARCH,
        {
            "source_id": "id",
            "name": "name",
            "address": address,
            "owner_source_id": owner_from_user_field,
        },
        **_search("lead", "id,name,addresses", owner=True),
        custom_param="_fields",
        keep=lambda raw: bool(raw.get("name")),
        joins=(Join("lead_user_fields", on=const("user"), into="_user_fields"),),
    ),
    Stream(
        Entity.persons,
        SEARCH,
        {
            "source_id": "id",
            "name": first("name", "display_name"),
            "emails": contact_points("emails", value_key="email", label_key="type", labels=LABELS),
            "phones": contact_points(
                "phones", value_key="phone_formatted", label_key="type", labels=LABELS
            ),
            "org_source_id": named_lead("lead_id"),
            "owner_source_id": owner_from_user_field,
        },
        **_search("contact", "id,lead_id,name,display_name,emails,phones", owner=True),
        custom_param="_fields",
        joins=(ON_LEAD, Join("contact_user_fields", on=const("user"), into="_user_fields")),
    ),
    _stream(Entity.pipelines, "pipeline", {"source_id": "id", "name": "name"}),
    _stream(
        Entity.stages,
        "pipeline",
        {
            "source_id": "id",
            "name": "label",
            "pipeline_source_id": "pipeline_id",
            "order_nr": "order_nr",
        },
        explode=lambda raw: [
            {**status, "pipeline_id": raw["id"], "order_nr": n}
            for n, status in enumerate(
                [s for s in raw.get("statuses") or [] if s.get("type") == "active"], start=1
            )
        ],
    ),
    _timeline(
        Entity.deals,
        "opportunity",
        {
            "source_id": "id",
            "title": first("note", "lead_name", const("Opportunity")),
            "value": cents,
            "currency": currency,
            "status": lambda raw: STATUS_TYPES.get(str(raw.get("status_type")), "open"),
            "person_source_id": ref("contact_id"),
            "org_source_id": named_lead("lead_id"),
            "pipeline_source_id": ref("pipeline_id"),
            "stage_source_id": stage,
            "owner_source_id": ref("user_id"),
            "expected_close_date": utc_date("date_won"),
            "won_time": closed_at("won", "date_won"),
            "lost_time": closed_at("lost", "date_lost"),
            "lost_reason": lost_reason,
        },
        ordered=True,
        changed_since=ChangedSince("date_updated__gt"),
        joins=(ON_LEAD, Join("status_changes", on="id", into="_status_changes")),
        total=lambda response, body: body.get("total_results") if isinstance(body, dict) else None,
    ),
    _timeline(
        Entity.activities,
        "activity/call",
        {
            "source_id": "id",
            "subject": const("Call"),
            "type": const("call"),
            "duration": seconds_hhmm,
            "done": const(True),
            "note": text("note"),
            **ACTIVITY_TIME,
            **_links(),
        },
        joins=(ON_LEAD,),
    ),
    _timeline(
        Entity.activities,
        "activity/meeting",
        {
            "source_id": "id",
            "subject": first("title", const("Meeting")),
            "type": const("meeting"),
            "duration": seconds_hhmm,
            "done": lambda raw: raw.get("status") == "completed",
            "note": text("note"),
            **ACTIVITY_TIME,
            **_links(),
        },
        joins=(ON_LEAD,),
    ),
    _timeline(
        Entity.activities,
        "activity/email",
        {
            "source_id": "id",
            "subject": first("subject", const("E-mail")),
            "type": const("email"),
            "done": lambda raw: raw.get("status") in DONE_EMAIL,
            "note": text("body_text"),
            **ACTIVITY_TIME,
            **_links(),
        },
        joins=(ON_LEAD,),
    ),
    _timeline(
        Entity.activities,
        "task",
        {
            "source_id": "id",
            "subject": first("text", const("Task")),
            "type": const("task"),
            "done": lambda raw: bool(raw.get("is_complete")),
            "due_date": utc_date("date"),
            "due_time": utc_hhmm("date"),
            **_links("assigned_to"),
        },
        ordered=True,
        joins=(ON_LEAD,),
    ),
    _timeline(
        Entity.notes,
        "activity/note",
        {
            "source_id": "id",
            "content": first("note_html", "note"),
            "add_time": utc_time("date_created"),
            **_links(),
        },
        joins=(ON_LEAD,),
        keep=lambda raw: not is_file_carrier(raw),
    ),
    *(
        _timeline(
            Entity.files,
            f"activity/{kind}",
            {
                "source_id": file_key,
                "name": "filename",
                "mime_type": text("content_type"),
                "size": "size",
                "content_ref": "url",
                "add_time": utc_time("date_created"),
                **links,
            },
            explode=attachments,
            joins=(ON_LEAD,),
        )
        for kind, links in (
            ("note", FILE_LINKS),
            ("email", {"activity_source_id": ref("_on")}),
        )
    ),
)


def error_text(response: httpx.Response) -> str:
    """`{"error": "..."}`, `{"error": {"message": ...}}` or `{"errors": [...]}`."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if not isinstance(body, dict):
        return response.reason_phrase
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or response.reason_phrase)
    if error:
        return str(error)
    problems = [str(e) for e in body.get("errors") or []]
    problems += [f"{k}: {v}" for k, v in (body.get("field-errors") or {}).items()]
    return "; ".join(problems) or response.reason_phrase


def retry_after(response: httpx.Response) -> float | None:
    """Close says how long to wait in the 429 body (`error.rate_reset`), or in the `RateLimit`
    header's `reset=`; a Retry-After header, when present, wins."""
    given = header_retry_after(response)
    if given is not None:
        return given
    try:
        error = response.json().get("error")
        if isinstance(error, dict) and error.get("rate_reset") is not None:
            return float(error["rate_reset"])
    except (ValueError, AttributeError):
        pass
    return structured_rate_limit(response.headers.get("ratelimit", ""))[1]
    return None


def _ids_only(stream: Stream) -> Stream:
    """The stream as counting reads its first page: ids only (and what paging or `keep`
    needs), no joins, no owner fields."""
    if stream.path == SEARCH:
        fields = "id,name" if stream.keep else "id"
        params: dict[str, Any] = {**stream.params, "_fields": fields, OWNER: False}
    elif isinstance(stream.paginator, CreatedWindows):
        params = {**stream.params, "_fields": "id,date_created"}
    else:
        return stream
    return replace(stream, params=params, custom_param=None, joins=(), needs=())


SPEC = SourceSpec(
    name="Close",
    streams=STREAMS,
    check=AccountCheck(
        f"{API}/me/",
        account={
            "name": joined("first_name", "last_name"),
            "email": "email",
            "company": lambda raw: ((raw.get("organizations") or [{}])[0]).get("name"),
        },
    ),
    field_catalogs=(
        _catalog(Entity.organizations, "lead"),
        _catalog(Entity.persons, "contact"),
        _catalog(Entity.deals, "opportunity"),
    ),
    lookups=(LEADS, STATUS_CHANGES, _user_fields("lead"), _user_fields("contact")),
    error_text=error_text,
    retry_after=retry_after,
    counting=_ids_only,
    files=FileContent(path=lambda url: url),  # the attachment's own URL, with the API key
    id="close",
    credentials=(CredentialField("api_key", "API key"),),
    auth=api_key_as_username("api_key"),
    default_base_url=DEFAULT_BASE_URL,
    api_path=API,
)
