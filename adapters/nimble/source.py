"""Nimble (API v1) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): bearer token; lists paged by `page` /
`per_page` (at most 100) in `{"meta": {pages...}, "resources": [...]}`; people and companies
are `/contacts` by `record_type`, values keyed by label as lists of `{value, modifier}`, tags
(`[{tag, id}]`, listed unless `tags=0`) their labels;
notes are read per contact (`/contact/{id}/notes`); tasks at `/activities/task`.
"""

from __future__ import annotations

import ast
from typing import Any

from adapters.core.auth import CredentialField, bearer
from adapters.core.canonical import Entity
from adapters.core.declarative import AccountCheck, ForEach, Join, Lookup, SourceSpec, Stream
from adapters.core.mapping import (
    Getter,
    Raw,
    contact_points,
    first,
    joined,
    ref,
    text,
    utc_time,
    value_at,
)
from adapters.core.paginators import PageNumber

API = "/api/v1"
DEFAULT_BASE_URL = "https://api.nimble.com"


def pages() -> PageNumber:
    return PageNumber(size=100, records_path="resources", total_pages_path="meta.pages")


def value(label: str, key: str = "value") -> Getter:
    """The first value of a label's list."""

    def read(raw: Raw) -> Any:
        values = (raw.get("fields") or {}).get(label) or []
        found = values[0].get(key) if values else None
        return found if found not in ("", None) else None

    return read


def address(raw: Raw) -> str | None:
    found = value_at(raw, value("address"))
    return ast.literal_eval(found).get("street") if found else None


def tags(raw: Raw) -> list[str]:
    """A contact's tags ({tag, id}) as its labels."""
    return [t["tag"] for t in raw.get("tags") or [] if t.get("tag")]


def related(kind: str) -> Getter:
    def read(raw: Raw) -> str | None:
        contacts = (raw.get("related") or {}).get("contacts") or []
        return next((c["id"] for c in contacts if c.get("contact_type") == kind), None)

    return read


def note_parent(kind: str) -> Getter:
    """A note's contact (joined from the contacts read first) when it is a `kind`."""

    def read(raw: Raw) -> str | None:
        contact = raw.get("_contact") or {}
        return contact.get("id") if contact.get("record_type") == kind else None

    return read


def _list(entity: Entity, path: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    return Stream(entity, API + path, fields, paginator=pages(), records="resources", **extra)


USERS = _list(
    Entity.users,
    "/users",
    {
        "source_id": ref("user_id"),
        "name": "name",
        "email": text("email"),
        "active": "is_active",
    },
)
ORGANIZATIONS = _list(
    Entity.organizations,
    "/contacts",
    {
        "source_id": ref("id"),
        "owner_source_id": ref("owner_id"),
        "name": value("company name"),
        "address": address,
        "labels": tags,
    },
    params={"record_type": "company"},
)
PERSONS = _list(
    Entity.persons,
    "/contacts",
    {
        "source_id": ref("id"),
        "owner_source_id": ref("owner_id"),
        "name": joined(value("first name"), value("last name")),
        "first_name": value("first name"),
        "last_name": value("last name"),
        "emails": contact_points("fields.email", label_key="modifier"),
        "phones": contact_points("fields.phone", label_key="modifier"),
        "org_source_id": value("parent company", "extra_value"),
        "labels": tags,
    },
    params={"record_type": "person"},
)
ACTIVITIES = _list(
    Entity.activities,
    "/activities/task",
    {
        "source_id": ref("id"),
        "subject": first("subject", lambda raw: ""),
        "type": lambda raw: "task",
        "due_date": text("due_date"),
        "done": lambda raw: bool(raw.get("completed")),
        "note": text("notes"),
        "owner_source_id": ref("owner_id"),
        "person_source_id": related("person"),
        "org_source_id": related("company"),
    },
)
NOTES = _list(
    Entity.notes,
    "/contact/{contact}/notes",
    {
        "source_id": ref("id"),
        "content": first("note", lambda raw: ""),
        "owner_source_id": ref("owner_id"),
        "add_time": utc_time("created"),
        "person_source_id": note_parent("person"),
        "org_source_id": note_parent("company"),
    },
    for_each=ForEach("contacts", {"contact": "id"}),
    joins=(Join("contacts", lambda raw: (raw.get("contacts") or [None])[0], "_contact"),),
)

SPEC = SourceSpec(
    name="Nimble",
    streams=(USERS, ORGANIZATIONS, PERSONS, ACTIVITIES, NOTES),
    check=AccountCheck(
        API + "/myself", {"user_id": ref("user_id"), "user_name": "name", "user_email": "email"}
    ),
    lookups=(
        Lookup("contacts", API + "/contacts", "id", "resources", pages(), {"record_type": "all"}),
    ),
    id="nimble",
    # An API key (Settings > API Token) or an OAuth access token: both are a bearer token.
    credentials=(CredentialField("access_token", "Access token"),),
    auth=bearer("access_token"),
    default_base_url=DEFAULT_BASE_URL,
)
