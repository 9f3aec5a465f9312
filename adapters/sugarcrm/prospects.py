"""SugarCRM's leads, tags and attachments for the declarative engine (the facts: `held.py`).

A lead is read three times from the Leads list (unconverted ones only: `converted` 0): as the
lead, as a person of its own and (when it names an account_name) as an organization of its own,
all under the lead's id. Attachments are the Notes that carry a file, listed in one Notes list
(`filename` not empty), with no request per record; their bytes are each note's
`/Notes/{id}/file/filename`."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.core import naming
from adapters.core.canonical import Entity
from adapters.core.declarative import ChangedSince, FileContent, Stream
from adapters.core.mapping import Getter, Raw, first, joined, text, utc_time
from adapters.core.paginators import Paginator

ACTIVITY_MODULES = ("Calls", "Meetings", "Tasks")
FILE_PARENTS = {
    "Opportunities": "deal_source_id",
    "Contacts": "person_source_id",
    "Accounts": "org_source_id",
    "Leads": "lead_source_id",
    **dict.fromkeys(ACTIVITY_MODULES, "activity_source_id"),
}
UNCONVERTED = {"filter[1][converted][$equals]": "0"}
WITH_FILE = {"filter[1][filename][$not_empty]": ""}
FILES = FileContent(path=lambda note_id: f"/Notes/{note_id}/file/filename")


def labels(raw: Raw) -> list[str]:
    """The `tag` field: `[{id, name}]`."""
    return [str(t["name"]) for t in raw.get("tag") or [] if isinstance(t, dict) and t.get("name")]


def parent_in(*modules: str) -> Getter:
    return lambda raw: (raw.get("parent_id") or None) if raw.get("parent_type") in modules else None


def lead_name(raw: Raw) -> str:
    return str(first(joined("first_name", "last_name"), "full_name", "account_name")(raw) or "")


def lead_title(raw: Raw) -> str:
    """Its opportunity_name, else its person at its company: "Name (Company)"."""
    if raw.get("opportunity_name"):
        return str(raw["opportunity_name"])
    return naming.lead_title(lead_name(raw), raw.get("account_name"))


def own_org(raw: Raw) -> str | None:
    return str(raw["id"]) if raw.get("account_name") else None


def is_file_only(raw: Raw) -> bool:
    """A Note with a file and no text is an attachment, not a note."""
    return bool(raw.get("filename")) and not raw.get("description")


LEAD_FIELDS = (
    "first_name,last_name,full_name,account_name,opportunity_name,email,phone_work,phone_mobile,"
    "phone_home,phone_other,assigned_user_id,date_entered,converted,tag"
)


def lead_streams(
    paginator: Paginator, changed: ChangedSince, phones: Getter, emails: Getter
) -> tuple[Stream, ...]:
    owner = text("assigned_user_id")
    mappings: dict[Entity, Mapping[str, Getter]] = {
        Entity.leads: {
            "source_id": "id",
            "title": lead_title,
            "person_source_id": "id",
            "org_source_id": own_org,
            "owner_source_id": owner,
            "labels": labels,
            "add_time": utc_time("date_entered"),
        },
        Entity.persons: {
            "source_id": "id",
            "name": lead_name,
            "first_name": text("first_name"),
            "last_name": text("last_name"),
            "emails": emails,
            "phones": phones,
            "org_source_id": own_org,
            "owner_source_id": owner,
        },
        Entity.organizations: {
            "source_id": "id",
            "name": text("account_name"),
            "owner_source_id": owner,
        },
    }
    return tuple(
        Stream(
            entity,
            "/Leads",
            fields,
            paginator,
            records="records",
            params={"fields": LEAD_FIELDS, **UNCONVERTED},
            changed_since=changed,
            keep=(lambda raw: bool(raw.get("account_name")))
            if entity is Entity.organizations
            else None,
        )
        for entity, fields in mappings.items()
    )


def file_stream(paginator: Paginator, changed: ChangedSince) -> Stream:
    fields: dict[str, Getter] = {
        "source_id": "id",
        "name": first("filename", "name", lambda raw: ""),
        "mime_type": text("file_mime_type"),
        "size": lambda raw: (
            int(raw["file_size"]) if raw.get("file_size") not in (None, "") else None
        ),
        **{
            link: parent_in(*(m for m, other in FILE_PARENTS.items() if other == link))
            for link in set(FILE_PARENTS.values())
        },
        "content_ref": "id",
        "add_time": utc_time("date_entered"),
    }
    return Stream(
        Entity.files,
        "/Notes",
        fields,
        paginator,
        records="records",
        params={
            "fields": "name,filename,file_mime_type,file_size,parent_type,parent_id,date_entered",
            **WITH_FILE,
        },
        changed_since=changed,
        # Attachments of e-mails and other modules have no parent a migration carries.
        keep=lambda raw: raw.get("parent_type") in FILE_PARENTS,
    )
