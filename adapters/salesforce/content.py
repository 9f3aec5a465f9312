"""Salesforce leads and files as source streams (facts in prospects.py and attachments.py).

- Leads are the unconverted Lead rows (`IsConverted = false`), one SOQL list. A lead holds its
  own contact details, so the same rows are read twice more: as persons (those with a name:
  `LastName != '[not provided]'`) and as organizations (those with a company), each with the
  lead's id; the lead links to both.
- Files come from the ContentDocumentLinks to each parent object's records (a query per
  object, shared with the ContentNotes: see runtime.py), each document once with every record
  it sits on; no request per file until its bytes are fetched, from its latest version's
  VersionData (`GET /sobjects/ContentVersion/{id}/VersionData`, bytes with a Content-Length).
"""

from __future__ import annotations

import mimetypes
from typing import Any

from adapters.core.canonical import Entity
from adapters.core.declarative import FileContent, Stream
from adapters.core.mapping import Raw, contact_points, joined, ref, text, utc_time
from adapters.salesforce.getters import linked_with_prefix, phones
from adapters.salesforce.prospects import NOT_PROVIDED, shown_title
from adapters.salesforce.runtime import API, FILE_DOCUMENTS, Soql, soql_stream

LEAD_FIELDS = ("Id", "Name", "FirstName", "LastName", "Company", "Email", "Phone",
               "MobilePhone", "Street", "PostalCode", "City", "State", "Country", "OwnerId",
               "CreatedDate")  # fmt: skip
OPEN_LEADS = "IsConverted = false"
OWNED = {"owner_source_id": ref("OwnerId"), "add_time": utc_time("CreatedDate")}


def _named(raw: Raw) -> bool:
    return bool(raw.get("LastName")) and raw.get("LastName") != NOT_PROVIDED


def _company(raw: Raw) -> str | None:
    company = raw.get("Company")
    return company if company and company != NOT_PROVIDED else None


def lead_title(raw: Raw) -> str:
    return shown_title(raw.get("Name") if _named(raw) else None, _company(raw))


def _own_id(present: Any) -> Any:
    return lambda raw: raw.get("Id") if present(raw) else None


def lead_streams() -> tuple[Stream, ...]:
    org_of_lead = _own_id(_company)
    return (
        soql_stream(
            Entity.leads,
            Soql("Lead", LEAD_FIELDS, (OPEN_LEADS,)),
            {"source_id": "Id", "title": lead_title, "person_source_id": _own_id(_named),
             "org_source_id": org_of_lead, **OWNED},
            custom=False,
        ),
        soql_stream(
            Entity.persons,
            Soql("Lead", LEAD_FIELDS, (OPEN_LEADS, f"LastName != '{NOT_PROVIDED}'")),
            {"source_id": "Id", "name": "Name", "first_name": text("FirstName"),
             "last_name": text("LastName"), "emails": contact_points("Email"),
             "phones": phones, "org_source_id": org_of_lead, **OWNED},
            custom=False,
        ),
        soql_stream(
            Entity.organizations,
            Soql("Lead", LEAD_FIELDS, (OPEN_LEADS, f"Company != '{NOT_PROVIDED}'")),
            {"source_id": "Id", "name": "Company",
             "address": joined("Street", "PostalCode", "City", "State", "Country", sep=", "),
             **OWNED},
            custom=False,
        ),
    )  # fmt: skip


def file_name(raw: Raw) -> str:
    """The name it was uploaded under (PathOnClient, without any folders), else the title."""
    path = (raw.get("LatestPublishedVersion") or {}).get("PathOnClient")
    if path:
        return str(path).replace("\\", "/").rsplit("/", 1)[-1]
    title, extension = str(raw.get("Title") or "file"), raw.get("FileExtension")
    return f"{title}.{extension}" if extension else title


def _activity(raw: Raw) -> str | None:
    return linked_with_prefix("_links", "00T")(raw) or linked_with_prefix("_links", "00U")(raw)


FILE_STREAM = Stream(
    Entity.files,
    API + "/query",  # listed from the links the lookups read: no request of its own
    {
        "source_id": "Id",
        "name": file_name,
        "mime_type": lambda raw: mimetypes.guess_type(file_name(raw))[0],
        "size": "ContentSize",
        "deal_source_id": linked_with_prefix("_links", "006"),
        "person_source_id": linked_with_prefix("_links", "003"),
        "org_source_id": linked_with_prefix("_links", "001"),
        "lead_source_id": linked_with_prefix("_links", "00Q"),
        "activity_source_id": _activity,
        "product_source_id": linked_with_prefix("_links", "01t"),
        "content_ref": "LatestPublishedVersionId",
        "add_time": utc_time("CreatedDate"),
    },
    rows_of=FILE_DOCUMENTS,
)
FILES = FileContent(path=lambda version: f"{API}/sobjects/ContentVersion/{version}/VersionData")
