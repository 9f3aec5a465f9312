"""Zoho CRM's leads and attachments for the declarative engine (the facts: `source.py`).

A lead is read three times from the Leads list: as the lead, as a person of its own and (when it
names a Company) as an organization of its own, all under the lead's id. Attachments are each
record's Attachments related list, one request per account, contact, deal and lead, under a list
of that module's ids: also of each task, event, call and product (files hang on them too)."""

from __future__ import annotations

from adapters.core.canonical import Entity
from adapters.core.declarative import ChangedSince, ForEach, Lookup, Stream
from adapters.core.mapping import Getter, contact_points, first, ref, text, utc_time
from adapters.core.naming import lead_title, mime_type
from adapters.core.paginators import CursorInBody, PageNumber
from adapters.zoho.getters import (
    attachment_path,
    lead_name,
    lead_org,
    lead_phones,
    parent,
    size,
    tags,
)

# Attachments: each record's Attachments related list, one request per record (Zoho lists no
# attachments across records) of every module Zoho attaches files to; each module's record ids
# are one list of it (200 a page; the Deals one is shared with the line items).
ATTACHMENT_MODULES = {
    "Accounts": ("account_ids", "Account_Name"),
    "Contacts": ("contact_ids", "Last_Name"),
    "Deals": ("deal_ids", "Deal_Name"),
    "Leads": ("lead_ids", "Last_Name"),
    "Tasks": ("task_ids", "Subject"),
    "Events": ("event_ids", "Event_Title"),
    "Calls": ("call_ids", "Subject"),
    "Products": ("product_ids", "Product_Name"),
}
FILE_FIELDS: dict[str, Getter] = {
    "source_id": "id",
    "name": first("File_Name", lambda r: ""),
    "mime_type": lambda raw: mime_type(raw.get("File_Name")),
    "size": size,
    "deal_source_id": parent("Deals"),
    "person_source_id": parent("Contacts"),
    "org_source_id": parent("Accounts"),
    "lead_source_id": parent("Leads"),
    "activity_source_id": parent("Tasks", "Events", "Calls"),
    "product_source_id": parent("Products"),
    "content_ref": attachment_path,
    "add_time": utc_time("Created_Time"),
}


def attachment_lookups(size: int) -> tuple[Lookup, ...]:
    return tuple(
        Lookup(
            name,
            f"/{module}",
            "id",
            paginator=CursorInBody("info.next_page_token", "page_token", "per_page", size),
            params={"fields": field},
        )
        for module, (name, field) in ATTACHMENT_MODULES.items()
        if name != "deal_ids"
    )


def file_streams(size: int) -> tuple[Stream, ...]:
    return tuple(
        Stream(
            Entity.files,
            f"/{module}/{{id}}/Attachments",
            FILE_FIELDS,
            PageNumber(size=size),
            params={"fields": "File_Name,Size,Parent_Id,Created_Time"},
            for_each=ForEach(name, {"id": "id"}),
        )
        for module, (name, _) in ATTACHMENT_MODULES.items()
    )


# Leads: a person at a company held on the lead, read as the lead, a person of its own and
# (when it names a Company) an organization of its own, all under the lead's id.
LEAD_FIELDS = (
    "First_Name,Last_Name,Full_Name,Company,Email,Secondary_Email,Phone,Mobile,Owner,"
    "Created_Time,Tag"
)
LEAD_AS: dict[Entity, dict[str, Getter]] = {
    Entity.leads: {
        "source_id": "id",
        "title": lambda raw: lead_title(lead_name(raw), raw.get("Company")),
        "person_source_id": "id",
        "org_source_id": lead_org,
        "owner_source_id": ref("Owner"),
        "labels": tags,
        "add_time": utc_time("Created_Time"),
    },
    Entity.persons: {
        "source_id": "id",
        "name": lead_name,
        "first_name": text("First_Name"),
        "last_name": text("Last_Name"),
        "emails": contact_points("Email", "Secondary_Email"),
        "phones": lead_phones,
        "org_source_id": lead_org,
        "owner_source_id": ref("Owner"),
        "add_time": utc_time("Created_Time"),
    },
    Entity.organizations: {
        "source_id": "id",
        "name": text("Company"),
        "owner_source_id": ref("Owner"),
        "add_time": utc_time("Created_Time"),
    },
}


def lead_stream(entity: Entity, size: int) -> Stream:
    """The Leads list read as `entity` (no custom fields: a lead's are not a contact's)."""
    return Stream(
        entity,
        "/Leads",
        LEAD_AS[entity],
        CursorInBody("info.next_page_token", "page_token", "per_page", size),
        params={"fields": LEAD_FIELDS},
        changed_since=ChangedSince("If-Modified-Since", header=True),
        keep=(lambda raw: bool(raw.get("Company"))) if entity is Entity.organizations else None,
    )
