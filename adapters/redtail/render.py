"""The reference company as Redtail CRM holds it (`HOLDS`, `held`) and in its API's record
shapes (`render`: one table per list).

- People and companies are one list of contacts, typed `Crm::Contact::Individual` or
  `Crm::Contact::Business`; a person names its business in `employer_id`; emails and phones
  are nested lists with a type and `is_primary`. An owner is the `servicing_advisor_id`.
- An opportunity names one `contact_id` (the person, else the business), a `stage_id` from one
  list of stages (no pipelines), an `amount` without currency, a `close_date`; no won/lost time.
- An activity links contacts (`linked_contacts`), not opportunities; a note sits under one
  contact (`note_associations`). Both keep the person, else the business.
- Custom (user-defined) fields and products are not carried by this source.
- Tags are tag groups: named groups that contacts (individuals and businesses) are members of,
  read as the members' labels, in the order of the groups (by name here). Opportunities have
  none. No lead object (a prospect is a contact), and no documented route serves a document's
  bytes (the legacy REST API lists `contacts/{id}/documents` metadata only): no leads, no files.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.core.emulation import Tables
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, CloseTime, Holds, Names
from adapters.reference.ids import IdScheme

IDS = IdScheme("redtail")
PERSON, BUSINESS = "Crm::Contact::Individual", "Crm::Contact::Business"
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
Raw = dict[str, Any]


def _one_contact(company: ReferenceCompany) -> ReferenceCompany:
    """A deal, activity or note names one contact: the person, else the business."""

    def one(record: Any, **more: Any) -> Any:
        org = None if record.person_source_id else record.org_source_id
        return record.model_copy(update={"org_source_id": org, **more})

    notes = [
        one(n, deal_source_id=None) for n in company.notes if n.person_source_id or n.org_source_id
    ]
    return dataclasses.replace(
        company,
        deals=[one(d) for d in company.deals],
        activities=[one(a, deal_source_id=None) for a in company.activities],
        notes=notes,
    )


def _tag_groups(company: ReferenceCompany) -> ReferenceCompany:
    """Labels only on contacts, in tag group order (by name); opportunities carry none."""

    def grouped(records: list[Any]) -> list[Any]:
        return [r.model_copy(update={"labels": sorted(r.labels)}) for r in records]

    return dataclasses.replace(
        company,
        organizations=grouped(company.organizations),
        persons=grouped(company.persons),
        deals=[d.model_copy(update={"labels": []}) for d in company.deals],
    )


HOLDS = Holds(
    keeps_field=lambda field: False,
    inactive_users=False,
    one_pipeline=("pl1", "Pipeline"),
    stage_probability=False,
    names=Names.display_order,
    products=False,
    close_time=CloseTime.none,
    lost_reason=False,
    deal=lambda d: d.model_copy(update={"currency": None}),  # amounts carry no currency
    all_day_no_duration=ACTIVITY_TYPES,
    labels=True,
    extra=(_one_contact, _tag_groups),
)
held = HOLDS.held


def _points(points: Any, key: str) -> list[Raw]:
    return [{key: p.value, "type": p.label, "is_primary": bool(p.primary)} for p in points or []]


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    base = {"created_at": STAMP, "updated_at": STAMP}
    contacts: list[Raw] = [
        {
            "id": IDS.integer(o.source_id),
            "type": BUSINESS,
            "company_name": o.name,
            "addresses": [{"street_address": o.address}] if o.address else [],
            "servicing_advisor_id": IDS.integer(o.owner_source_id),
            "emails": [],
            "phones": [],
            **base,
        }
        for o in kept.organizations
    ]
    contacts += [
        {
            "id": IDS.integer(p.source_id),
            "type": PERSON,
            "first_name": p.first_name,
            "last_name": p.last_name,
            "full_name": " ".join(filter(None, (p.first_name, p.last_name))) or p.name,
            "employer_id": IDS.integer(p.org_source_id),
            "servicing_advisor_id": IDS.integer(p.owner_source_id),
            "emails": _points(p.emails, "address"),
            "phones": _points(p.phones, "number"),
            **base,
        }
        for p in kept.persons
    ]
    contacts_tagged = [(o.source_id, BUSINESS, o.labels) for o in kept.organizations]
    contacts_tagged += [(p.source_id, PERSON, p.labels) for p in kept.persons]
    groups = {n: i for i, n in enumerate(sorted({n for *_, ls in contacts_tagged for n in ls}), 1)}
    return {
        "tag_groups": [{"id": i, "name": n, "description": None} for n, i in groups.items()],
        "tag_members": [
            {"tag_group_id": groups[name], "id": IDS.integer(source_id), "type": kind}
            for source_id, kind, labels in contacts_tagged
            for name in labels
        ],
        "database_users": [
            {
                "id": IDS.integer(u.source_id),
                "first_name": u.name.partition(" ")[0],
                "last_name": u.name.partition(" ")[2],
                "email": u.email,
            }
            for u in kept.users
        ],
        "contacts": contacts,
        "opportunity_stages": [
            {"id": IDS.integer(s.source_id), "name": s.name}
            for s in sorted(kept.stages, key=lambda s: s.order_nr)
        ],
        "opportunities": [
            {
                "id": IDS.integer(d.source_id),
                "name": d.title,
                "amount": d.value,
                "status": d.status,
                "contact_id": IDS.integer(d.person_source_id or d.org_source_id),
                "stage_id": IDS.integer(d.stage_source_id),
                "owner_id": IDS.integer(d.owner_source_id),
                "close_date": d.expected_close_date,
                **base,
            }
            for d in kept.deals
        ],
        "activities": [_activity(a, base) for a in kept.activities],
        "notes": [
            {
                "id": IDS.integer(n.source_id),
                "body": n.content,
                "added_by": IDS.integer(n.owner_source_id),
                "note_associations": [
                    {
                        "noteable_type": "Crm::Contact",
                        "noteable_id": IDS.integer(n.person_source_id or n.org_source_id),
                    }
                ],
                **base,
                "created_at": n.add_time or STAMP,
            }
            for n in kept.notes
        ],
    }


def _activity(a: Any, base: Raw) -> Raw:
    start = datetime.fromisoformat(f"{a.due_date}T{a.due_time or '00:00'}+00:00")
    hours, _, minutes = (a.duration or "00:00").partition(":")
    end = start + timedelta(hours=int(hours), minutes=int(minutes))
    contact = a.person_source_id or a.org_source_id
    return {
        "id": IDS.integer(a.source_id),
        "subject": a.subject,
        "description": a.note,
        "activity_code": a.type,
        "all_day": a.due_time is None,
        "start_date": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if a.due_date else None,
        "end_date": end.strftime("%Y-%m-%dT%H:%M:%SZ") if a.due_date else None,
        "completed": a.done,
        "owner_id": IDS.integer(a.owner_source_id),
        "linked_contacts": [{"contact_id": IDS.integer(contact)}] if contact else [],
        **base,
    }
