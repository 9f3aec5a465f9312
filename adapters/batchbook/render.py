"""The reference company as Batchbook holds it (`HOLDS`, `held`) and in its API's record shapes
(`render`: one table per list endpoint).

How Batchbook keeps what Pipedrive links several ways:
- Contacts have no owner. No deals, pipelines, stages or products: a note or activity on a deal alone is not kept, one on
  a deal and a contact keeps the contact.
- A person lists `emails` and `phones` ({address|number, label, primary}) and names its company
  in `company_affiliations` ({company_id, current}).
- Notes and activities are `communications`, told apart by `type` ("note"; an activity's kind is
  the type, Batchbook takes new type names). A communication happens at a `date` (a time, no
  duration, no completion) and names its contacts in `participants` ({type, contact_id}); who
  logged it is its permission's `created_by`.
- Custom fields are definitions in `custom_field_sets` (one set per kind of contact here), their
  values in a record's `cf_records` ({custom_field_set_id, custom_field_values:
  [{custom_field_definition_id, text_value}]}). Types Text, Number, Date, Phone, Currency (an
  amount) and MultipleChoice (`options.primary` "1" a dropdown, "3" checkboxes).
- Tags ({id, name}) on people and companies are their labels. No leads, no attachments: the API
  has no lead object and serves no files (batchblue/batchbook-api sections).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from adapters.core.canonical import CustomFieldDef, Entity, FieldType
from adapters.core.emulation import Tables
from adapters.core.fields import vendor_value
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import Holds, Names, listed
from adapters.reference.ids import IdScheme

IDS = IdScheme("batchbook")
KINDS = frozenset({"call", "meeting", "task", "deadline", "email", "lunch"})
UPDATED = datetime(REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day, 8, tzinfo=UTC)
Raw = dict[str, Any]
SETS = {Entity.organizations: (41, "Company fields"), Entity.persons: (42, "Person fields")}
VENDOR_TYPE = {
    FieldType.text: "Text",
    FieldType.double: "Number",
    FieldType.date: "Date",
    FieldType.phone: "Phone",
    FieldType.enum: "MultipleChoice",
    FieldType.set: "MultipleChoice",
}


def field_sets(fields: list[CustomFieldDef]) -> list[Raw]:
    ids = {f.key: 600 + i for i, f in enumerate(fields, 1)}
    return [
        {
            "custom_field_set": {
                "id": set_id,
                "name": name,
                "custom_field_definitions_attributes": [
                    {
                        "id": ids[f.key],
                        "name": f.name,
                        "type": VENDOR_TYPE[f.field_type],
                        "options": {
                            "subfields": list(f.options),
                            "primary": "3" if f.field_type is FieldType.set else "1",
                        },
                        "position": ids[f.key] - 600,
                    }
                    for f in fields
                    if f.entity is entity
                ],
            }
        }
        for entity, (set_id, name) in SETS.items()
    ]


def cf_records(fields: list[CustomFieldDef], entity: Entity, values: dict[str, Any]) -> list[Raw]:
    ids = {f.key: 600 + i for i, f in enumerate(fields, 1)}
    by_key = {f.key: f for f in fields if f.entity is entity}
    stored = [
        {"custom_field_definition_id": ids[key], "text_value": vendor_value(by_key[key], value)}
        for key, value in values.items()
    ]
    return (
        [{"custom_field_set_id": SETS[entity][0], "custom_field_values": stored}] if stored else []
    )


def without_deals(company: ReferenceCompany) -> ReferenceCompany:
    """Batchbook has no deals: links to them go, and what hung on a deal alone with them."""

    def kept(items: list[Any]) -> list[Any]:
        out = [i.model_copy(update={"deal_source_id": None}) for i in items]
        return [i for i in out if i.person_source_id or i.org_source_id]

    return dataclasses.replace(
        company,
        pipelines=[],
        stages=[],
        products=[],
        deals=[],
        # A contact has no owner in Batchbook.
        organizations=[
            o.model_copy(update={"owner_source_id": None}) for o in company.organizations
        ],
        persons=[p.model_copy(update={"owner_source_id": None}) for p in company.persons],
        activities=kept(company.activities),
        notes=kept(company.notes),
    )


HOLDS = Holds(
    field_types={FieldType.varchar: FieldType.text, FieldType.monetary: FieldType.double},
    keeps_field=lambda f: f.entity in SETS,  # only contacts (no deals, no products)
    inactive_users=False,  # the user list does not say who left
    names=Names.display_order,  # a person is shown as first_name last_name
    products=False,
    lost_reason=False,
    emails=listed(labels=("work", "home", "other")),
    phones=listed(labels=("work", "mobile", "home", "other")),
    timed=KINDS,  # a communication's `date` is a time
    no_duration=KINDS,
    no_done=KINDS,
    labels=True,
    extra=(without_deals,),
)
held = HOLDS.held


def stamp(moment: datetime) -> str:
    """Batchbook's times, ISO 8601 with an offset ("2012-06-19T14:32:20-04:00"), here in UTC."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def rfc(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def points(items: list[Any], key: str) -> list[Raw]:
    return [{key: p.value, "label": p.label, "primary": p.primary} for p in items]


def tag_ids(company: ReferenceCompany) -> dict[str, int]:
    """An id per tag name: the account's tags, numbered by name."""
    names = {n for r in (*company.organizations, *company.persons) for n in r.labels}
    return {name: 900 + i for i, name in enumerate(sorted(names), 1)}


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    ids = tag_ids(kept)

    def tags(labels: list[str]) -> list[Raw]:
        return [{"id": ids[name], "name": name} for name in labels]

    base = {"created_at": stamp(UPDATED), "updated_at": stamp(UPDATED)}
    return {
        "users": [
            {
                "id": IDS.integer(u.source_id),
                "first_name": u.name.partition(" ")[0],
                "last_name": u.name.partition(" ")[2],
                "email": u.email,
                **base,
            }
            for u in kept.users
        ],
        "companies": [
            {
                "id": IDS.integer(o.source_id),
                "name": o.name,
                "addresses": [{"address_1": o.address, "label": "work", "primary": True}]
                if o.address
                else [],
                "tags": tags(o.labels),
                "cf_records": cf_records(kept.custom_fields, Entity.organizations, o.custom_fields),
                **base,
            }
            for o in kept.organizations
        ],
        "people": [
            {
                "id": IDS.integer(p.source_id),
                "first_name": p.first_name,
                "last_name": p.last_name,
                "emails": points(p.emails, "address"),
                "phones": points(p.phones, "number"),
                "company_affiliations": [
                    {"company_id": IDS.integer(p.org_source_id), "current": True}
                ]
                if p.org_source_id
                else [],
                "tags": tags(p.labels),
                "cf_records": cf_records(kept.custom_fields, Entity.persons, p.custom_fields),
                **base,
            }
            for p in kept.persons
        ],
        "custom_field_sets": field_sets(kept.custom_fields),
        "communications": [
            *(_note(n, base) for n in kept.notes),
            *(_activity(a, base) for a in kept.activities),
        ],
    }


def _parties(item: Any) -> list[Raw]:
    out = []
    for kind, source_id in (("to", item.person_source_id), ("cc", item.org_source_id)):
        if source_id:
            out.append({"type": kind, "contact_id": IDS.integer(source_id)})
    return out


def _by(owner: str | None) -> list[Raw]:
    return [{"user_id": IDS.integer(owner), "created_by": IDS.integer(owner)}] if owner else []


def _note(n: Any, base: Raw) -> Raw:
    return {
        "id": IDS.integer(n.source_id),
        "title": None,
        "body": n.content,
        "type": "note",
        "date": stamp(rfc(n.add_time) or UPDATED),
        "participants": _parties(n),
        "permissions": _by(n.owner_source_id),
        **base,
    }


def _activity(a: Any, base: Raw) -> Raw:
    at = (
        datetime.fromisoformat(f"{a.due_date}T{a.due_time or '00:00'}+00:00")
        if a.due_date
        else None
    )
    return {
        "id": IDS.integer(a.source_id),
        "title": a.subject,
        "body": a.note,
        "type": a.type,
        "date": stamp(at) if at else None,
        "participants": _parties(a),
        "permissions": _by(a.owner_source_id),
        **base,
    }
