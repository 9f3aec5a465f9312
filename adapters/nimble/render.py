"""The reference company in Nimble's record shapes (`render`) and what Nimble holds of it
(`HOLDS`, `held`).

- People and companies are one list of contacts (`record_type`); values are keyed by field
  label, each a list of `{value, modifier}`; a person names its company in `parent company`
  (`extra_value`: the company's id). No primary flag: the first value listed is the main one.
- Deals live in Nimble's separate v2 deals API, which this source does not read: deals,
  pipelines, stages and products are not carried, and a note or task keeps only its contacts.
- Tasks are plain tasks due on a day, with no duration; a note sits on contacts.
- Custom fields are not read by this source yet (none kept).
- A contact's tags ({tag, id}: nimblecrm/api-docs, responses.rst) are its labels, on people and
  companies alike. Nimble has no lead object (a lead is a contact with a "lead status" field) and
  its API v1 serves no attachments: no leads, no files.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from adapters.core.canonical import ContactPoint, Note
from adapters.core.emulation import Tables
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, Holds, Names, listed
from adapters.reference.ids import IdScheme

IDS = IdScheme("nimble")
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
LABELS = ("work", "home", "mobile", "other")
Raw = dict[str, Any]


def _contacts_only(company: ReferenceCompany) -> ReferenceCompany:
    """No deals: a note or task loses its deal; a note left on nothing is not kept."""
    notes: list[Note] = []
    for note in company.notes:
        note = note.model_copy(update={"deal_source_id": None})
        if note.person_source_id:
            notes.append(note.model_copy(update={"org_source_id": None}))
        elif note.org_source_id:
            notes.append(note)
    return dataclasses.replace(
        company,
        pipelines=[],
        stages=[],
        deals=[],
        products=[],
        notes=notes,
        activities=[a.model_copy(update={"deal_source_id": None}) for a in company.activities],
    )


HOLDS = Holds(
    keeps_field=lambda field: False,
    names=Names.display_order,
    emails=listed(labels=LABELS, other="other"),
    phones=listed(labels=LABELS, other="other"),
    products=False,
    activity_types={kind: "task" for kind in ACTIVITY_TYPES},
    date_only=frozenset({"task"}),
    no_duration=frozenset({"task"}),
    labels=True,
    extra=(_contacts_only,),
)
held = HOLDS.held


def _values(*pairs: tuple[str, Any]) -> dict[str, list[Raw]]:
    return {label: [{"value": v, "label": label, "modifier": ""}] for label, v in pairs if v}


def _points(label: str, points: list[ContactPoint]) -> list[Raw]:
    return [{"value": p.value, "label": label, "modifier": p.label} for p in points]


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    orgs = {o.source_id: o for o in kept.organizations}
    contacts: list[Raw] = []
    for org in kept.organizations:
        fields = _values(("company name", org.name))
        if org.address:
            fields["address"] = [
                {"value": repr({"street": org.address}), "label": "address", "modifier": "work"}
            ]
        contacts.append(_contact(org.source_id, "company", org.owner_source_id, fields, org.labels))
    for person in kept.persons:
        fields = _values(("first name", person.first_name), ("last name", person.last_name))
        if not person.first_name and not person.last_name:
            fields = _values(("first name", person.name))
        if person.emails:
            fields["email"] = _points("email", person.emails)
        if person.phones:
            fields["phone"] = _points("phone", person.phones)
        if person.org_source_id:
            org = orgs[person.org_source_id]
            fields["parent company"] = [
                {
                    "value": org.name,
                    "label": "parent company",
                    "modifier": "",
                    "extra_value": IDS.hex24(org.source_id),
                }
            ]
        contacts.append(
            _contact(person.source_id, "person", person.owner_source_id, fields, person.labels)
        )
    return {
        "users": [
            {
                "user_id": IDS.hex24(u.source_id),
                "name": u.name,
                "email": u.email,
                "is_active": u.active,
            }
            for u in kept.users
        ],
        "contacts": contacts,
        "notes": [
            {
                "id": IDS.hex24(n.source_id),
                "note": n.content,
                "contacts": [IDS.hex24(n.person_source_id or n.org_source_id)],
                "owner_id": IDS.hex24(n.owner_source_id),
                "created": n.add_time or STAMP,
                "updated": n.add_time or STAMP,
            }
            for n in kept.notes
        ],
        "tasks": [
            {
                "id": IDS.hex24(a.source_id),
                "subject": a.subject,
                "notes": a.note or "",
                "due_date": a.due_date,
                "completed": a.done,
                "owner_id": IDS.hex24(a.owner_source_id),
                "related_to": [IDS.hex24(i) for i in (a.person_source_id, a.org_source_id) if i],
                "related": {
                    "contacts": [
                        {"id": IDS.hex24(source_id), "contact_type": kind}
                        for kind, source_id in (
                            ("person", a.person_source_id),
                            ("company", a.org_source_id),
                        )
                        if source_id
                    ],
                    "deals": [],
                    "new_deals": [],
                },
            }
            for a in kept.activities
        ],
    }


def tag(name: str) -> Raw:
    """A tag as a contact lists it: its text and a 24-hex id of its own."""
    return {"tag": name, "id": hashlib.sha1(name.encode()).hexdigest()[:24]}


def _contact(
    source_id: str, kind: str, owner: str | None, fields: dict[str, Any], labels: list[str]
) -> Raw:
    return {
        "id": IDS.hex24(source_id),
        "record_type": kind,
        "owner_id": IDS.hex24(owner),
        "fields": fields,
        "tags": [tag(name) for name in labels],
        "created": STAMP,
        "updated": STAMP,
    }
