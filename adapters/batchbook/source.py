"""Batchbook (BB2 API v1) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): `https://{account}.batchbook.com/api/v1/`,
`?auth_token=`; lists paged by `page`, 30 a page, in `{"<resource>": [...]}`; notes and
activities are `communications` by `type`, tags on people and companies are labels, their contacts in `participants[].contact_id` (a
person's or a company's id: told apart by the account's companies, read once as a lookup).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.core.auth import CredentialField, QueryParamAuth
from adapters.core.canonical import ContactPoint, Entity, FieldType
from adapters.core.declarative import AccountCheck, FieldCatalog, Join, Lookup, SourceSpec, Stream
from adapters.core.mapping import Getter, Raw, joined, ref, text
from adapters.core.paginators import PageNumber

API = "/api/v1"
SIZE = 30


def paged(records: str) -> PageNumber:
    return PageNumber(size=SIZE, records_path=records)


def utc(value: Any) -> str | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def points(key: str) -> Getter:
    def read(raw: Raw) -> list[ContactPoint]:
        return [
            ContactPoint(value=p[key], label=p.get("label"), primary=bool(p.get("primary")))
            for p in raw.get(key.replace("address", "email").replace("number", "phone") + "s") or []
            if p.get(key)
        ]

    return read


def company(raw: Raw) -> str | None:
    for link in raw.get("company_affiliations") or []:
        if link.get("current") and link.get("company_id") is not None:
            return str(link["company_id"])
    return None


def party(companies: bool) -> Getter:
    """The first participant that is (or is not) one of the account's companies."""

    def read(raw: Raw) -> str | None:
        known = {str(c["id"]) for c in raw.get("_companies") or []}
        for p in raw.get("participants") or []:
            contact = p.get("contact_id")
            if contact is not None and (str(contact) in known) == companies:
                return str(contact)
        return None

    return read


def tags(raw: Raw) -> list[str]:
    """A contact's tags ({id, name}) as its labels."""
    return [t["name"] for t in raw.get("tags") or [] if t.get("name")]


def owner(raw: Raw) -> str | None:
    for permission in raw.get("permissions") or []:
        if permission.get("created_by") is not None:
            return str(permission["created_by"])
    return None


def is_note(raw: Raw) -> bool:
    return raw.get("type") == "note"


PARENTS: dict[str, Getter] = {
    "person_source_id": party(companies=False),
    "org_source_id": party(companies=True),
    "owner_source_id": owner,
}
COMPANIES = Lookup(
    "companies",
    f"{API}/companies.json",
    key=lambda r: "all",
    records="companies",
    paginator=paged("companies"),
    many=True,
)
ON_COMPANIES = (Join("companies", on=lambda raw: "all", into="_companies"),)


SETS = {Entity.organizations: "Company fields", Entity.persons: "Person fields"}


def definitions(body: Any) -> list[Raw]:
    """Each set's definitions, with the set's name."""
    return [
        {**d, "_set": s["custom_field_set"]["name"]}
        for s in body.get("custom_field_sets") or []
        for d in s["custom_field_set"].get("custom_field_definitions_attributes") or []
    ]


FIELD_SETS = Lookup(
    "field_definitions",
    f"{API}/custom_field_sets.json",
    key=ref("id"),
    rows=definitions,
    paginator=PageNumber(size=25, records_path="custom_field_sets"),  # 25 sets a page
)


def kind(raw: Raw) -> str:
    if raw.get("type") == "MultipleChoice":
        return "checkboxes" if str((raw.get("options") or {}).get("primary")) == "3" else "choice"
    return str(raw.get("type"))


TYPES = {
    "Text": FieldType.text,
    "Number": FieldType.double,
    "Currency": FieldType.double,
    "Date": FieldType.date,
    "Phone": FieldType.phone,
    "choice": FieldType.enum,
    "checkboxes": FieldType.set,
}


def catalog(entity: Entity) -> FieldCatalog:
    return FieldCatalog(
        entity,
        f"{API}/custom_field_sets.json",
        key=ref("id"),
        name="name",
        type=kind,
        types=TYPES,
        rows_of="field_definitions",
        is_custom=lambda raw: raw.get("_set") == SETS[entity],
        options=lambda raw: [(s, s) for s in (raw.get("options") or {}).get("subfields") or []],
    )


def custom_values(raw: Raw) -> dict[str, Any]:
    return {
        str(v["custom_field_definition_id"]): v.get("text_value")
        for record in raw.get("cf_records") or []
        for v in record.get("custom_field_values") or []
    }


def _stream(entity: Entity, name: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    return Stream(
        entity,
        f"{API}/{name}.json",
        {"source_id": ref("id"), **fields},
        paginator=paged(name),
        records=name,
        **extra,
    )


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
            "address": lambda raw: next(
                (a.get("address_1") for a in raw.get("addresses") or [] if a.get("address_1")),
                None,
            ),
            "labels": tags,
        },
        custom_values=custom_values,
    ),
    _stream(
        Entity.persons,
        "people",
        {
            "name": joined("first_name", "last_name"),
            "first_name": text("first_name"),
            "last_name": text("last_name"),
            "emails": points("address"),
            "phones": points("number"),
            "org_source_id": company,
            "labels": tags,
        },
        custom_values=custom_values,
    ),
    _stream(
        Entity.activities,
        "communications",
        {
            "subject": lambda raw: raw.get("title") or "",
            "type": lambda raw: raw.get("type") or "call",
            "due_date": lambda raw: (utc(raw.get("date")) or "")[:10] or None,
            "due_time": lambda raw: (utc(raw.get("date")) or "")[11:16] or None,
            "note": text("body"),
            **PARENTS,
        },
        select=lambda raws, state: [r for r in raws if not is_note(r)],
        joins=ON_COMPANIES,
    ),
    _stream(
        Entity.notes,
        "communications",
        {
            "content": lambda raw: raw.get("body") or "",
            "add_time": lambda r: utc(r.get("date")),
            **PARENTS,
        },
        select=lambda raws, state: [r for r in raws if is_note(r)],
        params={"communication_type": "note"},
        joins=ON_COMPANIES,
    ),
)

SPEC = SourceSpec(
    name="Batchbook",
    streams=STREAMS,
    check=AccountCheck(
        f"{API}/users.json",
        {
            "user_id": ref("users.0.id"),
            "user_name": lambda body: joined("first_name", "last_name")(
                (body.get("users") or [{}])[0]
            ),
        },
    ),
    lookups=(COMPANIES, FIELD_SETS),
    field_catalogs=(catalog(Entity.organizations), catalog(Entity.persons)),
    id="batchbook",
    # The user's API key (https://{account}.batchbook.com/preferences): sent as `?auth_token=`.
    credentials=(CredentialField("auth_token", "API key (auth_token)"),),
    auth=lambda credentials, _url: QueryParamAuth("auth_token", credentials["auth_token"]),
)
