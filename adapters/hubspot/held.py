"""What of the reference company HubSpot can hold, each change with the reason.

HubSpot facts behind the changes (developers.hubspot.com/docs, knowledge.hubspot.com):
- A contact has one `email` plus `hs_additional_emails` (no labels, no other primary), and two
  phone properties: `phone` and `mobilephone`.
- A number property holds a bare number: a "currency" number is shown in the record's (or the
  account's) currency, so a custom amount cannot keep a currency of its own.
- Products have `price` and, with several currencies, `hs_price_{currency}`; they have no unit
  of measure, and tax rates are set on line items and quotes, not on products.
- Engagements (calls, meetings, tasks, e-mails) always carry a timestamp; tasks have no duration
  and there is no "deadline" kind. Notes' `hs_note_body` is limited to 65,536 characters.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.core.canonical import (
    Activity,
    ContactPoint,
    FieldType,
    Note,
    Person,
    Product,
)
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.held import names_in_display_order, retyped_custom_fields, without_archive

NOTE_BODY_LIMIT = 65_536
# Canonical activity types that HubSpot keeps as a call or meeting engagement with a duration;
# everything else becomes a task (open calls, tasks, deadlines, open e-mails) or a logged e-mail.
TIMED_KINDS = ("meeting", "lunch")


def held(company: ReferenceCompany) -> ReferenceCompany:
    company = without_archive(company)
    # A HubSpot number property (even one shown as currency) keeps no currency per value.
    company = retyped_custom_fields(company, {FieldType.monetary: FieldType.double})
    return dataclasses.replace(
        company,
        persons=[_held_person(p) for p in company.persons],
        products=[_held_product(p) for p in company.products],
        activities=[_held_activity(a) for a in company.activities],
        notes=[_held_note(n) for n in company.notes],
    )


def phone_slots(phones: list[ContactPoint]) -> tuple[ContactPoint | None, ContactPoint | None]:
    """(phone, mobilephone): the first mobile number and the first other one. A contact has no
    third phone property, so further numbers have nowhere to go."""
    ordered = sorted(phones, key=lambda p: not p.primary)
    mobile = next((p for p in ordered if p.label == "mobile"), None)
    other = next((p for p in ordered if p is not mobile), None)
    return other, mobile


def _held_person(person: Person) -> Person:
    first, last = names_in_display_order(person)
    # One `email` (the primary) and unlabeled additional addresses.
    emails = sorted(person.emails, key=lambda e: not e.primary)
    phone, mobile = phone_slots(person.phones)
    phones = []
    if phone:
        phones.append(ContactPoint(value=phone.value, label="work"))
    if mobile:
        phones.append(ContactPoint(value=mobile.value, label="mobile"))
    if phones:
        phones[0].primary = True
    return person.model_copy(
        update={
            "first_name": first,
            "last_name": last,
            "emails": [
                ContactPoint(value=e.value, label="work", primary=i == 0)
                for i, e in enumerate(emails)
            ],
            "phones": phones,
        }
    )


def _held_product(product: Product) -> Product:
    return product.model_copy(
        update={
            # No unit of measure on HubSpot products; tax is a line item / quote matter.
            "unit": None,
            "tax": None,
        }
    )


def engagement_kind(activity: Activity) -> str:
    """Which HubSpot object holds an activity: calls and e-mails that happened are logged as
    such; meetings (and lunches) are meetings; whatever is still to do is a task."""
    if activity.type in TIMED_KINDS:
        return "meetings"
    if activity.done and activity.type == "call":
        return "calls"
    if activity.done and activity.type == "email":
        return "emails"
    return "tasks"


def _held_activity(activity: Activity) -> Activity:
    kind = engagement_kind(activity)
    update: dict[str, Any] = {
        # Every engagement has a timestamp: an all-day one sits at midnight UTC.
        "due_time": activity.due_time or "00:00",
    }
    if activity.type == "deadline":
        update["type"] = "task"  # HubSpot has no deadline kind: it is a to-do task
    if kind in ("tasks", "emails"):
        update["duration"] = None  # tasks and logged e-mails have no duration
    return activity.model_copy(update=update)


def _held_note(note: Note) -> Note:
    # HubSpot refuses a longer note body, so a note in HubSpot is at most this long.
    return note.model_copy(update={"content": note.content[:NOTE_BODY_LIMIT]})
