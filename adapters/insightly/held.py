"""What of the reference company Insightly can hold: the company a migration from it carries.
Every change says what Insightly lacks; everything else is kept."""

from __future__ import annotations

import dataclasses

from adapters.core.canonical import Activity, ContactPoint, FieldType, Person
from adapters.insightly.render import EVENT_TYPES, phone_slots, primary_email
from adapters.insightly.shapes import PHONE_SLOTS
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.held import given_name_first, retyped_custom_fields, without_archive


def held(company: ReferenceCompany) -> ReferenceCompany:
    """The company as Insightly holds it; every change says what Insightly lacks."""
    company = without_archive(company)
    # No currency or phone custom field types: amounts are NUMERIC, phone numbers TEXT.
    company = retyped_custom_fields(
        company, {FieldType.monetary: FieldType.double, FieldType.phone: FieldType.varchar}
    )
    return dataclasses.replace(
        company,
        persons=[_held_person(p) for p in company.persons],
        # Pipeline stages carry no win probability (only opportunities have PROBABILITY).
        stages=[s.model_copy(update={"deal_probability": None}) for s in company.stages],
        # A product has no unit and no tax rate.
        products=[p.model_copy(update={"unit": None, "tax": None}) for p in company.products],
        # An opportunity record has no field for why it was lost (state reasons are a catalog
        # set when the state changes; the record does not return the one chosen).
        deals=[d.model_copy(update={"lost_reason": None}) for d in company.deals],
        activities=[_held_activity(a) for a in company.activities],
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
        "name": given_name_first(person),
        # One EMAIL_ADDRESS per contact: the primary address stays, the others are lost.
        "emails": [ContactPoint(value=email, label="work", primary=True)] if email else [],
        # Fixed phone slots (PHONE, PHONE_MOBILE, PHONE_HOME, PHONE_OTHER, PHONE_ASSISTANT):
        # the labels are the slots', read back in slot order.
        "phones": phones,
    }
    return person.model_copy(update=update)


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
