"""Insightly's leads, tags and file attachments for the declarative engine (the facts: the
emulator's docstring).

A lead holds its person and company as fields of its own, so the Leads list is read three
times: as the lead, as a person of its own and (when it names an ORGANISATION_NAME) as an
organization of its own; the person and organization carry the lead's id as "lead-{LEAD_ID}"
(Insightly numbers contacts, organisations and leads apart: a bare id could be a contact's).
A converted lead (CONVERTED true) is already its contact and is left out.

Files: Insightly lists no file across records, so each organisation's, contact's,
opportunity's and open lead's `/{Object}/{id}/FileAttachments` list is asked once (the ids from
one brief list of each), and a file's bytes come from `/FileAttachments/{FILE_ID}`."""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import ContactPoint, Entity
from adapters.core.declarative import FileContent, ForEach, Lookup, Stream
from adapters.core.mapping import Getter, Raw, ident, joined, number, ref, text, utc_time
from adapters.core.naming import lead_title
from adapters.core.paginators import OffsetPaginator

API = "/v3.1"


def tags(raw: Raw) -> list[str]:
    return [str(t["TAG_NAME"]) for t in raw.get("TAGS") or [] if t.get("TAG_NAME")]


def _own(raw: Raw) -> str:
    return f"lead-{raw['LEAD_ID']}"


def _own_org(raw: Raw) -> str | None:
    return _own(raw) if raw.get("ORGANISATION_NAME") else None


def _phones(raw: Raw) -> list[ContactPoint]:
    slots = (("PHONE", "work"), ("MOBILE", "mobile"))
    points = [ContactPoint(value=str(raw[k]), label=lbl) for k, lbl in slots if raw.get(k)]
    return [p.model_copy(update={"primary": i == 0}) for i, p in enumerate(points)]


def _emails(raw: Raw) -> list[ContactPoint]:
    email = text("EMAIL")(raw)
    return [ContactPoint(value=email, label="work", primary=True)] if email else []


# A lead has no title (its TITLE is the person's job title): "Name (Company)".
LEAD_FIELDS: dict[str, Getter] = {
    "source_id": "LEAD_ID",
    "title": lambda raw: lead_title(
        joined("FIRST_NAME", "LAST_NAME")(raw), raw.get("ORGANISATION_NAME")
    ),
    "person_source_id": _own,
    "org_source_id": _own_org,
    "owner_source_id": ref("OWNER_USER_ID"),
    "labels": tags,
    "add_time": utc_time("DATE_CREATED_UTC"),
}
PERSON_FIELDS: dict[str, Getter] = {
    "source_id": _own,
    "name": joined("FIRST_NAME", "LAST_NAME"),
    "first_name": text("FIRST_NAME"),
    "last_name": text("LAST_NAME"),
    "emails": _emails,
    "phones": _phones,
    "org_source_id": _own_org,
    "owner_source_id": ref("OWNER_USER_ID"),
}
ORG_FIELDS: dict[str, Getter] = {
    "source_id": _own,
    "name": lambda raw: str(raw["ORGANISATION_NAME"]),
    "owner_source_id": ref("OWNER_USER_ID"),
}
# Open leads only, filtered by the vendor (so its X-Total-Count counts them); the companies are
# those leads that name one (not countable: filtered here).
OPEN_LEADS = {"field_name": "CONVERTED", "field_value": "false"}
LEAD_AS: tuple[tuple[Entity, dict[str, Getter], dict[str, Any]], ...] = (
    (Entity.leads, LEAD_FIELDS, {}),
    (Entity.persons, PERSON_FIELDS, {}),
    (Entity.organizations, ORG_FIELDS, {"keep": lambda raw: bool(raw.get("ORGANISATION_NAME"))}),
)


def is_open(raw: Raw) -> bool:
    return not raw.get("CONVERTED")


# Files: the records whose FileAttachments lists are read, with their id field and the link a
# file on them gets.
FILE_OBJECTS: dict[str, tuple[str, str]] = {
    "Organisations": ("ORGANISATION_ID", "org_source_id"),
    "Contacts": ("CONTACT_ID", "person_source_id"),
    "Opportunities": ("OPPORTUNITY_ID", "deal_source_id"),
    "Leads": ("LEAD_ID", "lead_source_id"),
}
FILES = FileContent(path=lambda file_id: f"{API}/FileAttachments/{file_id}")


def _size(raw: Raw) -> int | None:
    value = number("FILE_SIZE")(raw)
    return int(value) if value is not None else None


def _file_fields(link: str) -> dict[str, Getter]:
    return {
        "source_id": "FILE_ID",
        "name": lambda raw: str(raw.get("FILE_NAME") or ""),
        "mime_type": text("CONTENT_TYPE"),
        "size": _size,
        link: lambda raw: ident(raw["_parent"]["id"]),
        "content_ref": lambda raw: str(raw["FILE_ID"]),
        "add_time": utc_time("DATE_CREATED_UTC"),
    }


def file_lookups(pages: OffsetPaginator) -> tuple[Lookup, ...]:
    """Each object's record ids (one brief list; open leads only), then each record's files,
    tagged with the record's id."""
    out: list[Lookup] = []
    for name, (id_field, _) in FILE_OBJECTS.items():
        out.append(
            Lookup(
                f"ids:{name}",
                f"{API}/{name}",
                id_field,
                records=None,
                paginator=pages,
                params={"brief": "true"},
                rows=(lambda body: [r for r in body if is_open(r)]) if name == "Leads" else None,
            )
        )
        out.append(
            Lookup(
                f"files:{name}",
                f"{API}/{name}/{{id}}/FileAttachments",
                "FILE_ID",
                records=None,
                paginator=pages,
                for_each=ForEach(f"ids:{name}", {"id": id_field}, tag="_parent"),
            )
        )
    return tuple(out)


def file_streams() -> tuple[Stream, ...]:
    return tuple(
        Stream(Entity.files, f"{API}/{name}/{{id}}/FileAttachments", _file_fields(link),
               rows_of=f"files:{name}")
        for name, (_, link) in FILE_OBJECTS.items()
    )  # fmt: skip
