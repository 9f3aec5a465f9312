"""Leads and attached files of the reference company in HubSpot's shapes (see `render`).

- Leads (`/crm/v3/objects/leads`): `hs_lead_name`, `hs_lead_label` (an option value: HOT, WARM,
  COLD by default; the portal added WEBINAR), `hs_pipeline` / `hs_pipeline_stage` of the lead
  pipeline, `hubspot_owner_id`, `createdate`; associated with their primary contact (type 578,
  `lead_to_primary_contact`) and company.
- Files (Files API v3): `name` without the extension, `extension`, `size`, `type` (IMG,
  DOCUMENT, MOVIE, AUDIO, OTHER), private access. A file on a record hangs on a note on the
  record (`hs_attachment_ids`, ids joined with ";", an empty body); one on an activity on the
  call, meeting, task or e-mail itself. The bytes stay in the row (`_bytes`, `_mime`) for the
  emulator's signed URL.
"""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import File, Lead
from adapters.hubspot.properties import _definition
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.ids import kind_and_number
from adapters.reference.prospects import LEAD_LABELS

Raw = dict[str, Any]
LEAD_PIPELINE = "lead-pipeline-id"
NEW_STAGE = "new-stage-id"
QUALIFIED_STAGE = "qualified-stage-id"  # a lead qualified into a deal: the deal carries it
CARRIER_NOTE_BASE = 60_500_000_000  # the note a file on a record hangs on, per file number
FILE_TYPES = {"image": "IMG", "video": "MOVIE", "audio": "AUDIO", "text": "DOCUMENT"}
DOCUMENTS = ("application/pdf", "application/msword", "application/vnd")


def label_value(label: str) -> str:
    """An option's internal value (HubSpot's own are upper case: HOT, WARM, COLD)."""
    return label.upper()


def lead_label_property() -> Raw:
    options = [
        {"label": label, "value": label_value(label), "displayOrder": i, "hidden": False}
        for i, label in enumerate(LEAD_LABELS)
    ]
    return _definition(
        "hs_lead_label", "Lead label", ("enumeration", "select"), hubspotDefined=True,
        groupName="lead_information", options=options,
    )  # fmt: skip


def lead_properties(lead: Lead, hid: Any) -> Raw:
    return {
        "hs_lead_name": lead.title,
        "hs_lead_label": label_value(lead.labels[0]) if lead.labels else None,
        "hs_pipeline": LEAD_PIPELINE,
        "hs_pipeline_stage": NEW_STAGE,
        "hubspot_owner_id": hid(lead.owner_source_id),
    }


def lead_links(lead: Lead, hid: Any) -> dict[str, list[tuple[str, str]]]:
    person, org = hid(lead.person_source_id), hid(lead.org_source_id)
    return {
        "contacts": [(person, "lead_to_primary_contact")] if person else [],
        "companies": [(org, "lead_to_primary_company")] if org else [],
    }


def split_name(name: str) -> tuple[str, str]:
    """("Angebot_2026-001", "pdf"): HubSpot keeps a file's name without its extension."""
    stem, dot, extension = name.rpartition(".")
    return (stem, extension) if dot and stem else (name, "")


def file_type(mime: str | None) -> str:
    mime = mime or ""
    if mime.startswith(DOCUMENTS) or mime in ("text/plain", "text/csv"):
        return "DOCUMENT"
    return FILE_TYPES.get(mime.partition("/")[0], "OTHER")


def file_row(file: File, data: bytes, file_id: str, created: str) -> Raw:
    stem, extension = split_name(file.name)
    return {
        "id": file_id,
        "name": stem,
        "extension": extension,
        "path": f"/engagements-attachments/{file.name}",
        "parentFolderId": "180000000000",
        "size": len(data),
        "type": file_type(file.mime_type),
        "access": "PRIVATE",
        "isUsableInContent": False,
        "sourceGroup": "CONTENT",
        "createdAt": created,
        "updatedAt": created,
        "archived": False,
        "_bytes": data,
        "_mime": file.mime_type or "application/octet-stream",
    }


def carrier_note_id(file: File) -> str:
    return str(CARRIER_NOTE_BASE + kind_and_number(file.source_id)[1])


def record_parent(file: File) -> tuple[str, str, str] | None:
    """(object type, reference id, association type) of a file's note; None: on an activity."""
    for kind, value, link in (
        ("deals", file.deal_source_id, "note_to_deal"),
        ("contacts", file.person_source_id, "note_to_contact"),
        ("companies", file.org_source_id, "note_to_company"),
        ("leads", file.lead_source_id, "note_to_lead"),
    ):
        if value:
            return kind, value, link
    return None


def attachments(company: ReferenceCompany) -> dict[str, list[File]]:
    """activity source id -> the files on it."""
    out: dict[str, list[File]] = {}
    for file in company.files:
        if file.activity_source_id:
            out.setdefault(file.activity_source_id, []).append(file)
    return out
