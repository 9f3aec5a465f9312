"""What of the reference company Insightly can hold: the company a migration from it carries.
Every change says what Insightly lacks; everything else is kept."""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.core.canonical import Activity, ContactPoint, CustomFieldDef, FieldType, Person
from adapters.insightly.render import EVENT_TYPES, phone_slots, primary_email
from adapters.insightly.shapes import PHONE_SLOTS
from adapters.reference.dataset import ReferenceCompany


def held(company: ReferenceCompany) -> ReferenceCompany:
    """The company as Insightly holds it; every change says what Insightly lacks."""
    replace = dataclasses.replace
    return replace(
        company,
        persons=[_held_person(p) for p in company.persons],
        # Pipeline stages carry no win probability (only opportunities have PROBABILITY).
        stages=[s.model_copy(update={"deal_probability": None}) for s in company.stages],
        # A product has no unit and no tax rate.
        products=[
            _held_values(p).model_copy(update={"unit": None, "tax": None}) for p in company.products
        ],
        # An opportunity record has no field for why it was lost (state reasons are a catalog
        # set when the state changes; the record does not return the one chosen).
        deals=[_held_values(d).model_copy(update={"lost_reason": None}) for d in company.deals],
        organizations=[_held_values(o) for o in company.organizations],
        activities=[_held_activity(a) for a in company.activities],
        custom_fields=[_held_field(f) for f in company.custom_fields],
    )


def _held_person(person: Person) -> Person:
    email = primary_email(person)
    slots = phone_slots(person.phones)
    phones = [
        ContactPoint(value=slots[slot], label=label) for slot, label in PHONE_SLOTS if slot in slots
    ]
    if phones:
        phones[0].primary = True
    update = {
        # A contact is FIRST_NAME + LAST_NAME; there is no display name of its own (so a
        # family-name-first name like 山田 太郎 reads first name first).
        "name": " ".join(x for x in (person.first_name, person.last_name) if x) or person.name,
        # One EMAIL_ADDRESS per contact: the primary address stays, the others are lost.
        "emails": [ContactPoint(value=email, label="work", primary=True)] if email else [],
        # Fixed phone slots (PHONE, PHONE_MOBILE, PHONE_HOME, PHONE_OTHER, PHONE_ASSISTANT):
        # the labels are the slots', read back in slot order.
        "phones": phones,
    }
    return _held_values(person).model_copy(update=update)


def _held_activity(activity: Activity) -> Activity:
    if activity.type in EVENT_TYPES:
        # An Event has a start and an end but no kind and no completion state.
        return activity.model_copy(
            update={
                "type": "meeting",
                "done": False,
                "duration": activity.duration if activity.due_time else None,
            }
        )
    # A Task has a due *date* only: no time of day, no duration.
    return activity.model_copy(update={"due_time": None, "duration": None})


def _held_field(definition: CustomFieldDef) -> CustomFieldDef:
    # No currency or phone custom field types: amounts are NUMERIC, phone numbers TEXT.
    kind = {FieldType.monetary: FieldType.double, FieldType.phone: FieldType.varchar}.get(
        definition.field_type, definition.field_type
    )
    return definition.model_copy(update={"field_type": kind})


def _held_values(record: Any) -> Any:
    """Monetary custom values keep their amount only (see `_held_field`)."""
    values = {
        key: value["value"] if isinstance(value, dict) and "currency" in value else value
        for key, value in record.custom_fields.items()
    }
    return record.model_copy(update={"custom_fields": values})
