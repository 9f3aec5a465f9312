"""Redtail CRM (public API v1) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): `https://crm.redtailtechnology.com`
`/api/public/v1`; a user key from `GET /authentication`, then `Userkeyauth`; lists paged by
`?page=N` with a `pagesize` header, `meta.total_pages`; individuals and businesses in one list of
contacts; one list of opportunity stages; notes listed under each contact; tag groups' members
read once per group as the contacts' labels.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from adapters.core.auth import CredentialField, TokenExchangeAuth
from adapters.core.canonical import ContactPoint, Entity
from adapters.core.declarative import (
    AccountCheck,
    ForEach,
    Join,
    Lookup,
    SourceSpec,
    Stream,
)
from adapters.core.mapping import Getter, Raw, joined, number, ref, text, utc_time
from adapters.core.paginators import PageNumber, PageRequest, Token

API = "/api/public/v1"
DEFAULT_BASE_URL = "https://crm.redtailtechnology.com"
PAGE_SIZE = 200
PERSON, BUSINESS = "Crm::Contact::Individual", "Crm::Contact::Business"
PIPELINE_ID = "1"  # no pipelines: one list of stages


class HeaderSizedPages(PageNumber):
    """`?page=N`; the size goes in the `pagesize` header (SourceSpec.headers)."""

    def request_for(self, token: Token | None) -> PageRequest:
        return PageRequest({self.page_param: token})


def paged(records: str) -> HeaderSizedPages:
    return HeaderSizedPages(
        size=PAGE_SIZE, records_path=records, total_pages_path="meta.total_pages"
    )


def redtail_auth(credentials: dict[str, str], base_url: str) -> TokenExchangeAuth:
    key = credentials["api_key"]

    def b64(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    login = f"{key}:{credentials['username']}:{credentials['password']}"
    return TokenExchangeAuth(
        f"{base_url.rstrip('/')}{API}/authentication",
        {},
        secret_keys=(),
        method="GET",
        login_headers={"Authorization": f"Basic {b64(login)}"},
        token_field="authenticated_user.user_key",
        present=lambda user_key: f"Userkeyauth {b64(f'{key}:{user_key}')}",
    )


def points(key: str, value: str) -> Getter:
    def read(raw: Raw) -> list[ContactPoint]:
        return [
            ContactPoint(
                value=str(p[value]), label=p.get("type"), primary=bool(p.get("is_primary"))
            )
            for p in raw.get(key) or []
            if p.get(value)
        ]

    return read


def contact(kind: str, into: str = "_contact") -> Getter:
    """The linked contact's id when it is of this kind (person or business)."""
    return lambda raw: ref("id")(raw[into]) if (raw.get(into) or {}).get("type") == kind else None


def due(raw: Raw) -> tuple[str | None, str | None]:
    start = utc_time("start_date")(raw)
    if not start:
        return None, None
    return start[:10], None if raw.get("all_day") else start[11:16]


def duration(raw: Raw) -> str | None:
    if raw.get("all_day") or not raw.get("end_date") or not raw.get("start_date"):
        return None
    start, end = (
        datetime.fromisoformat(raw[k].replace("Z", "+00:00")) for k in ("start_date", "end_date")
    )
    minutes = int((end - start).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}" if minutes else None


def _stream(
    entity: Entity, path: str, records: str, fields: dict[str, Getter], **extra: Any
) -> Stream:
    return Stream(
        entity,
        f"{API}/{path}",
        {"source_id": ref("id"), **fields},
        paginator=paged(records),
        records=records,
        **extra,
    )


def first_linked(raw: Raw) -> Any:
    linked = raw.get("linked_contacts") or []
    return linked[0]["contact_id"] if linked else None


def noteable(raw: Raw) -> Any:
    linked = raw.get("note_associations") or []
    return linked[0]["noteable_id"] if linked else None


CONTACT_JOIN = (Join("contacts", ref("contact_id"), "_contact"),)
TAG_GROUPS = Lookup(
    "tag_groups", f"{API}/lists/tag_groups", ref("id"), "tag_groups", paged("tag_groups")
)
# Each tag group's members, keyed by contact: a list per group, none per contact.
TAG_MEMBERS = Lookup(
    "tag_members",
    f"{API}/tag_groups/{{group}}/contacts",
    ref("id"),
    "contacts",
    paged("contacts"),
    many=True,
    for_each=ForEach("tag_groups", {"group": "id", "name": "name"}, tag="_group"),
)
TAGGED = (Join("tag_members", ref("id"), "_groups"),)


def labels(raw: Raw) -> list[str]:
    """The names of the tag groups the contact is a member of."""
    return [str(m["_group"]["name"]) for m in raw.get("_groups") or []]


STREAMS = (
    _stream(
        Entity.users,
        "lists/database_users",
        "database_users",
        {"name": joined("first_name", "last_name"), "email": text("email")},
    ),
    _stream(
        Entity.organizations,
        "contacts",
        "contacts",
        {
            "name": text("company_name"),
            "address": text(lambda raw: ((raw.get("addresses") or [{}])[0]).get("street_address")),
            "owner_source_id": ref("servicing_advisor_id"),
            "labels": labels,
        },
        keep=lambda raw: raw.get("type") == BUSINESS,
        joins=TAGGED,
    ),
    _stream(
        Entity.persons,
        "contacts",
        "contacts",
        {
            "name": text("full_name"),
            "first_name": text("first_name"),
            "last_name": text("last_name"),
            "emails": points("emails", "address"),
            "phones": points("phones", "number"),
            "org_source_id": ref("employer_id"),
            "owner_source_id": ref("servicing_advisor_id"),
            "labels": labels,
        },
        keep=lambda raw: raw.get("type") == PERSON,
        joins=TAGGED,
    ),
    _stream(
        Entity.pipelines,
        "lists/opportunity_stages",
        "opportunity_stages",
        {"source_id": lambda raw: PIPELINE_ID, "name": lambda raw: "Pipeline"},
        select=lambda raws, state: raws[:1],
    ),
    _stream(
        Entity.stages,
        "lists/opportunity_stages",
        "opportunity_stages",
        {
            "name": text("name"),
            "pipeline_source_id": lambda raw: PIPELINE_ID,
            "order_nr": "position",
        },
        select=lambda raws, state: [{**r, "position": i} for i, r in enumerate(raws, 1)],
    ),
    _stream(
        Entity.deals,
        "opportunities",
        "opportunities",
        {
            "title": text("name"),
            "value": number("amount"),
            "status": lambda raw: raw.get("status") or "open",
            "person_source_id": contact(PERSON),
            "org_source_id": contact(BUSINESS),
            "pipeline_source_id": lambda raw: PIPELINE_ID,
            "stage_source_id": ref("stage_id"),
            "owner_source_id": ref("owner_id"),
            "expected_close_date": lambda raw: text("close_date")(raw) and raw["close_date"][:10],
        },
        joins=CONTACT_JOIN,
    ),
    _stream(
        Entity.activities,
        "activities",
        "activities",
        {
            "subject": lambda raw: raw.get("subject") or "",
            "type": lambda raw: raw.get("activity_code") or "task",
            "due_date": lambda raw: due(raw)[0],
            "due_time": lambda raw: due(raw)[1],
            "duration": duration,
            "done": lambda raw: bool(raw.get("completed")),
            "note": text("description"),
            "owner_source_id": ref("owner_id"),
            "person_source_id": contact(PERSON),
            "org_source_id": contact(BUSINESS),
        },
        joins=(Join("contacts", first_linked, "_contact"),),
    ),
    _stream(
        Entity.notes,
        "contacts/{contact}/notes",
        "notes",
        {
            "content": lambda raw: raw.get("body") or "",
            "add_time": utc_time("created_at"),
            "owner_source_id": ref("added_by"),
            "person_source_id": contact(PERSON),
            "org_source_id": contact(BUSINESS),
        },
        for_each=ForEach("contacts", {"contact": "id"}),
        joins=(Join("contacts", noteable, "_contact"),),
    ),
)

SPEC = SourceSpec(
    name="Redtail CRM",
    streams=STREAMS,
    check=AccountCheck(
        f"{API}/lists/database_users",
        {
            "user_id": ref("database_users.0.id"),
            "user_name": lambda body: joined("first_name", "last_name")(
                (body.get("database_users") or [{}])[0]
            ),
        },
    ),
    lookups=(
        Lookup("contacts", f"{API}/contacts", ref("id"), "contacts", paged("contacts")),
        TAG_GROUPS,
        TAG_MEMBERS,
    ),
    headers={"pagesize": str(PAGE_SIZE)},
    id="redtail",
    # Redtail issues the API key to the integrator; the username and password are the
    # CRM user's. Together they buy a user key at GET /authentication.
    credentials=(
        CredentialField("api_key", "API key"),
        CredentialField("username", "Username", secret=False),
        CredentialField("password", "Password"),
    ),
    auth=redtail_auth,
    default_base_url=DEFAULT_BASE_URL,
)
