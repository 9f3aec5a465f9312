"""What of the reference company Dynamics 365 can hold, each change with the reason."""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.core.canonical import Activity, ContactPoint, Deal, Note, Person, Product
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.held import given_name_first, without_archive

NOTE_MAX = 100_000  # annotation.notetext holds at most 100,000 characters
EMAIL_SLOTS = ("work", "home", "other")  # emailaddress1..3, in that order
# Phone columns in the order the source reads them, with the label each one means.
PHONE_SLOTS = (("telephone1", "work"), ("mobilephone", "mobile"), ("telephone2", "home"))
SPARE_PHONE = "telephone3"


def held(company: ReferenceCompany) -> ReferenceCompany:
    company = without_archive(company)
    return dataclasses.replace(
        company,
        persons=[_person(p) for p in company.persons],
        # A business process flow stage has no win probability (opportunities carry their own).
        stages=[s.model_copy(update={"deal_probability": None}) for s in company.stages],
        products=[_product(p) for p in company.products],
        deals=[_deal(d) for d in company.deals],
        activities=[_activity(a) for a in company.activities],
        notes=[_note(n) for n in company.notes],
    )


def phone_slots(phones: list[ContactPoint]) -> dict[str, str]:
    """Contact phone columns for a person's phones: by label, a clash going to telephone3."""
    columns = dict((label, column) for column, label in PHONE_SLOTS)
    slots: dict[str, str] = {}
    for phone in phones:
        column = columns.get(phone.label, SPARE_PHONE)
        if column in slots:
            column = SPARE_PHONE
        if column not in slots:
            slots[column] = phone.value
    return slots


def _person(person: Person) -> Person:
    # fullname is computed from firstname and lastname in the org's name format ("First Last"):
    # a name written family name first (山田 太郎) comes back in that order.
    name = given_name_first(person)
    # Three e-mail columns without labels: emailaddress1 is the primary one.
    ordered = sorted(person.emails, key=lambda e: not e.primary)[: len(EMAIL_SLOTS)]
    emails = [
        ContactPoint(value=e.value, label=label, primary=i == 0)
        for i, (e, label) in enumerate(zip(ordered, EMAIL_SLOTS, strict=False))
    ]
    # Phones sit in typed columns (business, mobile, home, telephone 3) with no primary flag.
    slots = phone_slots(person.phones)
    order = [*(column for column, _ in PHONE_SLOTS), SPARE_PHONE]
    labels = {**{column: label for column, label in PHONE_SLOTS}, SPARE_PHONE: "other"}
    present = [column for column in order if column in slots]
    phones = [
        ContactPoint(value=slots[column], label=labels[column], primary=i == 0)
        for i, column in enumerate(present)
    ]
    return person.model_copy(update={"name": name, "emails": emails, "phones": phones})


def _with_currency(values: dict[str, Any], currency: str | None) -> dict[str, Any]:
    """Money columns have no currency of their own: they are in the record's currency."""
    return {
        key: {**value, "currency": currency} if isinstance(value, dict) and currency else value
        for key, value in values.items()
    }


def _product(product: Product) -> Product:
    currency = product.prices[0].currency if product.prices else None
    return product.model_copy(
        update={
            # Products have no tax rate (tax is an amount on quote and order lines) and are
            # owned by the organization, not by a user.
            "tax": None,
            "owner_source_id": None,
            "custom_fields": _with_currency(product.custom_fields, currency),
        }
    )


def _deal(deal: Deal) -> Deal:
    return deal.model_copy(
        update={
            # An opportunity has one transaction currency, for its value and its Money columns.
            "custom_fields": _with_currency(deal.custom_fields, deal.currency),
            # actualclosedate is a date without a time.
            "won_time": _midnight(deal.won_time),
            "lost_time": _midnight(deal.lost_time),
        }
    )


def _midnight(moment: str | None) -> str | None:
    return f"{moment[:10]}T00:00:00Z" if moment else None


def _activity(activity: Activity) -> Activity:
    update: dict[str, Any] = {}
    if activity.type == "lunch":
        update["type"] = "meeting"  # an appointment has no kind: a lunch is an appointment
    elif activity.type == "deadline":
        update["type"] = "task"  # a deadline is a task with a due date
    kind = update.get("type", activity.type)
    if kind == "task":
        # A task has no party list (no From/To, no attendees): its one link is Regarding, which
        # holds one record. Phone calls, appointments and e-mails keep their person and
        # organization as activity parties (recipients / attendees) beside the Regarding deal.
        update.update(_one_parent(activity))
    if kind == "meeting" and activity.due_time is None:
        update["duration"] = None  # an all-day appointment lasts the day
    elif kind != "meeting" and activity.due_time is None:
        # Tasks, phone calls and e-mails have a due date *and time*: a day is its midnight.
        update["due_time"] = "00:00"
    if kind in ("task", "email"):
        update["duration"] = None
    return activity.model_copy(update=update)


def _one_parent(record: Activity | Note) -> dict[str, Any]:
    """A task's Regarding and a note's Object hold one record: the deal first, else the person,
    else the organization."""
    if record.deal_source_id:
        return {"person_source_id": None, "org_source_id": None}
    if record.person_source_id:
        return {"org_source_id": None}
    return {}


def _note(note: Note) -> Note:
    return note.model_copy(update={**_one_parent(note), "content": note.content[:NOTE_MAX]})
