"""Capsule CRM (API v2) as a source, described for the shared declarative engine.

Vendor facts the description relies on (sources in the emulator's docstring):
- `https://api.capsulecrm.com/api/v2/`, `Authorization: Bearer <token>`.
- Lists: `page` / `perPage` (at most 100), `{"<plural>": [...]}`, next page in the `Link`
  header (rel="next"). `since=` (ISO 8601) on parties and opportunities.
- People and organisations are one list, `/parties`, told apart by `type`; their custom values
  come with `embed=fields` as `[{definition: {id}, value}]` (numbers as strings). Party field
  definitions are shared and carry a `captureRule` (person | organisation | absent: both).
- An opportunity has one `party`; `embed=party` gives the full party, so a person's
  organisation; `embed=milestone` gives the milestone's `complete`, `probability` and
  `pipeline`. A closed opportunity sits on a Won (probability 100) or Lost (0) milestone and
  keeps its stage in `lastOpenMilestone`.
- Milestones are listed per pipeline (`/pipelines/{id}/milestones`; `/milestones` covers only
  the oldest pipeline): the stages stream is walked once per row of the pipelines lookup.
- `/tasks` answers only open tasks unless `status` lists the others; `dueTime` is in the
  owner's time zone, read from `embed=owner` (`User.timezone`). Tasks and entries sit on one
  party, opportunity or project.
- `/users` is not paged; a user's e-mail is on the user's party (`embed=party`).
- Over the hourly limit: 429 with `X-RateLimit-Reset` (epoch seconds) and no Retry-After.
- Tags come with `embed=tags` on parties and opportunities (`[{id, name}]`): read as labels.
- Files are attachments of entries (`attachments: [{id, filename, contentType, size}]`), listed
  in the `/entries` feed itself (no request per record or per file); the bytes are at
  `GET /attachments/{id}`. A file hangs on its entry's record; a note with attachments and no
  text is how a file is attached to a record, and is carried as the file alone.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from adapters.capsule.shapes import CATEGORY_TYPES, FIELD_TYPES, utc_due
from adapters.core.auth import CredentialField, bearer
from adapters.core.canonical import Entity
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    FieldCatalog,
    FileContent,
    ForEach,
    Lookup,
    SourceSpec,
    Stream,
)
from adapters.core.http import seconds_until_reset
from adapters.core.mapping import (
    Getter,
    Raw,
    contact_points,
    first,
    ident,
    joined,
    number,
    ref,
    text,
    utc_date,
    utc_time,
)
from adapters.core.paginators import LinkHeader

API = "/api/v2"
PAGE = {"perPage": 100}  # the most Capsule gives in one page
DEFAULT_BASE_URL = "https://api.capsulecrm.com"


# --- getters for Capsule's shapes --------------------------------------------------------------


def custom_values(raw: Raw) -> dict[str, Any]:
    return {
        str((item.get("definition") or {}).get("id")): item.get("value")
        for item in raw.get("fields") or []
    }


def is_type(kind: str) -> Any:
    return lambda raw: raw.get("type") == kind


def party_of(kind: str) -> Getter:
    """The opportunity's (or task's, or entry's) party id when it is a `kind`."""

    def read(raw: Raw) -> str | None:
        party = raw.get("party") or {}
        return ident(party) if party.get("type") == kind else None

    return read


def deal_org(raw: Raw) -> str | None:
    """An opportunity's organisation: its party, or the organisation of its person."""
    party = raw.get("party") or {}
    if party.get("type") == "organisation":
        return ident(party)
    return ident(party.get("organisation"))


def deal_status(raw: Raw) -> str:
    milestone = raw.get("milestone") or {}
    if not milestone.get("complete"):
        return "open"
    return "won" if (milestone.get("probability") or 0) > 0 else "lost"


def deal_stage(raw: Raw) -> str | None:
    milestone = raw.get("milestone") or {}
    return ident(raw.get("lastOpenMilestone") if milestone.get("complete") else milestone)


def closed_as(status: str) -> Getter:
    stamp = utc_time("closedOn")
    return lambda raw: stamp(raw) if deal_status(raw) == status else None


def task_due(raw: Raw) -> tuple[str | None, str | None]:
    if not raw.get("dueOn"):
        return None, None
    zone = (raw.get("owner") or {}).get("timezone")
    return utc_due(str(raw["dueOn"]), raw.get("dueTime"), zone)


def task_type(raw: Raw) -> str:
    name = str((raw.get("category") or {}).get("name") or "")
    return CATEGORY_TYPES.get(name.strip().lower(), "task")


def address(raw: Raw) -> str | None:
    for item in raw.get("addresses") or []:
        found = joined("street", "city", "zip", "state", "country", sep=", ")(item)
        if found:
            return found
    return None


def user_email(raw: Raw) -> str | None:
    emails = (raw.get("party") or {}).get("emailAddresses") or []
    return next((e.get("address") for e in emails if e.get("address")), None)


def tag_names(raw: Raw) -> list[str]:
    return [str(tag["name"]) for tag in raw.get("tags") or [] if tag.get("name")]


def is_file_carrier(raw: Raw) -> bool:
    """A note with attachments and no text: a file attached to a record."""
    return bool(raw.get("attachments")) and not str(raw.get("content") or "").strip()


def attachments(raw: Raw) -> list[Raw]:
    """An entry's attachments, each with the entry it hangs on (`_on`)."""
    return [{**item, "_on": raw} for item in raw.get("attachments") or []]


def on_entry(getter: Getter) -> Getter:
    return lambda raw: getter(raw["_on"])


def options(raw: Raw) -> list[tuple[str, str]]:
    return [(str(option), str(option)) for option in raw.get("options") or []]


def retry_after(response: httpx.Response) -> float | None:
    """Capsule says when the hourly window resets (epoch seconds) instead of Retry-After;
    one second more covers the header's rounding."""
    wait = seconds_until_reset(response.headers.get("x-ratelimit-reset", ""), time.time())
    return None if wait is None else wait + 1


# --- the description ---------------------------------------------------------------------------


def _paged(entity: Entity, path: str, key: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    params = {**PAGE, **extra.pop("params", {})}
    return Stream(
        entity, API + path, fields, paginator=LinkHeader(), records=key, params=params, **extra
    )


def _parties(entity: Entity, kind: str, fields: dict[str, Getter]) -> Stream:
    return _paged(
        entity,
        "/parties",
        "parties",
        {
            "source_id": ref("id"),
            "owner_source_id": ref("owner"),
            "labels": tag_names,
            **fields,
        },
        params={"embed": "fields,tags"},
        keep=is_type(kind),
        custom_values=custom_values,
        changed_since=ChangedSince("since"),
    )


def _catalog(entity: Entity, path: str, rule: str | None = None) -> FieldCatalog:
    return FieldCatalog(
        entity,
        API + path,
        key=ref("id"),
        name="name",
        type="type",
        types=FIELD_TYPES,
        records="definitions",
        is_custom=lambda raw: rule is None or raw.get("captureRule") in (None, rule),
        options=options,
        params=PAGE,
        paginator=LinkHeader(),
    )


ONE_PARENT = {
    "deal_source_id": ref("opportunity"),
    "person_source_id": party_of("person"),
    "org_source_id": party_of("organisation"),
}

USERS = Stream(
    Entity.users,
    API + "/users",
    {
        "source_id": ref("id"),
        "name": first("name", "username"),
        "email": user_email,
        "active": lambda raw: raw.get("status") == "ACTIVE",
    },
    records="users",
    params={"embed": "party"},
)
ORGANIZATIONS = _parties(
    Entity.organizations, "organisation", {"name": text("name"), "address": address}
)
PERSONS = _parties(
    Entity.persons,
    "person",
    {
        "name": joined("firstName", "lastName"),
        "first_name": text("firstName"),
        "last_name": text("lastName"),
        "emails": contact_points("emailAddresses", value_key="address", label_key="type"),
        "phones": contact_points("phoneNumbers", value_key="number", label_key="type"),
        "org_source_id": ref("organisation"),
    },
)
PIPELINES = _paged(
    Entity.pipelines, "/pipelines", "pipelines", {"source_id": ref("id"), "name": "name"}
)
# Walked once per pipeline; Won and Lost are outcomes, not stages.
STAGES = _paged(
    Entity.stages,
    "/pipelines/{pipeline}/milestones",
    "milestones",
    {
        "source_id": ref("id"),
        "name": "name",
        "pipeline_source_id": ref("pipeline"),
        "order_nr": first("displayOrder", lambda raw: 0),
        "deal_probability": "probability",
    },
    keep=lambda raw: not raw.get("complete"),
    for_each=ForEach("pipelines", {"pipeline": "id"}),
)
DEALS = _paged(
    Entity.deals,
    "/opportunities",
    "opportunities",
    {
        "source_id": ref("id"),
        "title": "name",
        "value": number("value.amount"),
        "currency": text("value.currency"),
        "status": deal_status,
        "person_source_id": party_of("person"),
        "org_source_id": deal_org,
        "pipeline_source_id": ref("milestone.pipeline"),
        "stage_source_id": deal_stage,
        "owner_source_id": ref("owner"),
        "expected_close_date": utc_date("expectedCloseOn"),
        "won_time": closed_as("won"),
        "lost_time": closed_as("lost"),
        "lost_reason": text("lostReason.name"),
        "labels": tag_names,
    },
    params={"embed": "party,milestone,fields,tags"},
    custom_values=custom_values,
    changed_since=ChangedSince("since"),
)
ACTIVITIES = _paged(
    Entity.activities,
    "/tasks",
    "tasks",
    {
        "source_id": ref("id"),
        "subject": first("description", lambda raw: ""),
        "type": task_type,
        "due_date": lambda raw: task_due(raw)[0],
        "due_time": lambda raw: task_due(raw)[1],
        "done": lambda raw: raw.get("status") == "COMPLETED",
        "note": text("detail"),
        "owner_source_id": ref("owner"),
        **ONE_PARENT,
    },
    params={"status": "open,completed,pending", "embed": "owner"},
)
NOTES = _paged(
    Entity.notes,
    "/entries",
    "entries",
    {
        "source_id": ref("id"),
        "content": first("content", lambda raw: ""),
        "owner_source_id": ref("creator"),
        "add_time": utc_time("entryAt"),
        **ONE_PARENT,
    },
    # E-mails and completed-task records share the feed; a note carrying files is the files.
    keep=lambda raw: raw.get("type") == "note" and not is_file_carrier(raw),
)
FILES = _paged(
    Entity.files,
    "/entries",
    "entries",
    {
        "source_id": ref("id"),
        "name": "filename",
        "mime_type": text("contentType"),
        "size": "size",
        "content_ref": ref("id"),
        "add_time": on_entry(utc_time("entryAt")),
        **{link: on_entry(getter) for link, getter in ONE_PARENT.items()},
    },
    explode=attachments,  # e-mails' attachments too: a file on the e-mail's record
)

SPEC = SourceSpec(
    name="Capsule CRM",
    streams=(USERS, ORGANIZATIONS, PERSONS, PIPELINES, STAGES, DEALS, ACTIVITIES, NOTES, FILES),
    check=AccountCheck(
        API + "/users/current",
        {
            "user_id": ref("user.id"),
            "user_name": "user.name",
            "user_email": lambda body: user_email(body.get("user") or {}),
        },
        params={"embed": "party"},
    ),
    field_catalogs=(
        _catalog(Entity.organizations, "/parties/fields/definitions", "organisation"),
        _catalog(Entity.persons, "/parties/fields/definitions", "person"),
        _catalog(Entity.deals, "/opportunities/fields/definitions"),
    ),
    lookups=(Lookup("pipelines", API + "/pipelines", "id", "pipelines", LinkHeader(), dict(PAGE)),),
    retry_after=retry_after,
    files=FileContent(path=lambda attachment: f"{API}/attachments/{attachment}"),
    id="capsule",
    # A personal access token (My Preferences > API Authentication Tokens) or an OAuth
    # access token: both go as `Authorization: Bearer`.
    credentials=(CredentialField("api_token", "API token"),),
    auth=bearer("api_token"),
    default_base_url=DEFAULT_BASE_URL,
)
