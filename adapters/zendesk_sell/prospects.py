"""Zendesk Sell's leads and documents as it holds the reference company (`own_records`,
`documents`) and in its API's shapes (`lead_row`, `document_row`).

- A lead (`/v2/leads`) is a person at a company held on the lead itself: `first_name`,
  `last_name`, `organization_name` (one of the last two is required), one `email`, `phone`,
  `mobile`, `fax`, an `address`, `owner_id`, `status` and `tags`. It links to no contact, and
  has no value, currency or close date. So each lead comes back with a person of its own (when
  it names one) and an organization of its own (when it names a company), both under the lead's
  id; its title is "Name (Company)". Its tags are its labels. Notes, tasks and calls hang on a
  lead by `resource_type` "lead".
- A document (`/v2/documents`) is attached to one lead, contact (a person or a company) or deal:
  `name`, `content_type`, `size`, `created_at` and an expiring `download_url`. Sell attaches no
  document to a task, call or note, so a file on an activity has no place.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.core.canonical import File, Lead
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.holds import leads_with_their_own_records, one_part_last
from adapters.reference.ids import IdScheme

LEAD_STATUS = "New"  # Sell's first lead status: not worked, not converted
Raw = dict[str, Any]


# Each lead with a person and an organization of its own (see the module docstring).
own_records = leads_with_their_own_records(
    names=one_part_last, company_as_person=False, emails=lambda points: points[:1], addressed=True
)


def documents(ids: IdScheme) -> Any:
    """Files as documents: fetched by the document's id."""

    def held(company: ReferenceCompany) -> ReferenceCompany:
        files = [f.model_copy(update={"content_ref": str(ids.integer(f.source_id))})
                 for f in company.files]  # fmt: skip
        return dataclasses.replace(company, files=files)

    return held


def lead_row(kept: ReferenceCompany, lead: Lead, ids: IdScheme) -> Raw:
    """A held lead as Sell lists it, from its own person and organization."""
    person = next((p for p in kept.persons if p.source_id == lead.person_source_id), None)
    org = next((o for o in kept.organizations if o.source_id == lead.org_source_id), None)
    phones = {point.label: point.value for point in person.phones} if person else {}
    where = dict.fromkeys(("line1", "city", "postal_code", "state", "country"))
    return {
        "id": ids.integer(lead.source_id),
        "first_name": person.first_name if person else None,
        "last_name": person.last_name if person else None,
        "organization_name": org.name if org else None,
        "title": None,  # the person's job title
        "description": None,
        "status": LEAD_STATUS,
        "source_id": None,
        "unqualified_reason_id": None,
        "owner_id": ids.integer(lead.owner_source_id),
        "creator_id": ids.integer(lead.owner_source_id),
        "email": person.emails[0].value if person and person.emails else None,
        **{key: phones.get(label) for key, label in (("phone", "work"), ("mobile", "mobile"))},
        "fax": phones.get("fax"),
        "address": {**where, "line1": org.address if org else None},
        "tags": lead.labels,
        "custom_fields": {},
        "created_at": lead.add_time,
    }


def _attached_to(file: File, ids: IdScheme) -> Raw:
    for link, kind in (("deal_source_id", "deal"), ("lead_source_id", "lead"),
                       ("person_source_id", "contact"), ("org_source_id", "contact")):  # fmt: skip
        if getattr(file, link):
            return {"resource_type": kind, "resource_id": ids.integer(getattr(file, link))}
    raise ValueError(f"{file.source_id} is attached to nothing Sell holds")


def document_row(file: File, data: bytes, ids: IdScheme, owner: str | None) -> Raw:
    """A document as Sell lists it (its `download_url` is made per answer), with its bytes."""
    return {
        "id": ids.integer(file.source_id),
        **_attached_to(file, ids),
        "creator_id": ids.integer(owner),
        "name": file.name,
        "content_type": file.mime_type or "application/octet-stream",
        "size": len(data),
        "created_at": file.add_time,
        "updated_at": file.add_time,
        "_bytes": data,
    }
