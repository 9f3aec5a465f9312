"""What of the reference company a Sugar instance can hold, each change with the reason.

Sugar facts behind the changes (Sugar Developer Guide 14.x, Modules and Vardefs):
- A contact's shown name is built from first_name and last_name in the user's name format
  (default "s f l"); there is no free display name. E-mail addresses carry no label, only a
  primary flag. Phones sit in fixed fields: phone_work, phone_mobile, phone_home, phone_other.
- Opportunities have one `sales_stage` dropdown (`sales_stage_dom`) for the whole instance: no
  pipelines. A closed opportunity's stage *is* "Closed Won"/"Closed Lost"; it keeps no won/lost
  time (only date_closed) and has no lost-reason field. Its currency fields share the record's
  currency_id.
- The product catalogue (ProductTemplates) has one currency per product, no unit of measure,
  only a Taxable/Non-Taxable class (rates live in TaxRates, applied on quotes), and no owner.
- Calls and Meetings start at a datetime and have a duration; Tasks have a due datetime and no
  duration; none of them has a kind beyond its module. An activity or note has one parent
  (parent_type + parent_id) plus a contact.
- Notes keep their text in `description`, a `text` column: 65,535 bytes on MySQL.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.core.canonical import (
    Activity,
    ContactPoint,
    Deal,
    Note,
    Person,
    Pipeline,
    Product,
    Stage,
)
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.held import given_name_first, without_archive
from adapters.sugarcrm.naming import PIPELINE_ID, PIPELINE_NAME

NOTE_LIMIT_BYTES = 65_535
PHONE_SLOTS = (("phone_work", "work"), ("phone_mobile", "mobile"), ("phone_home", "home"))
SPARE_SLOT = ("phone_other", "other")
MEETING_KINDS = ("meeting", "lunch")


def held(company: ReferenceCompany) -> ReferenceCompany:
    company = without_archive(company)
    first_stage = company.stages[0].source_id if company.stages else None
    return dataclasses.replace(
        company,
        persons=[_held_person(p) for p in company.persons],
        # One sales-stage dropdown: every stage sits in it, in list order.
        pipelines=[Pipeline(source_id=PIPELINE_ID, name=PIPELINE_NAME)],
        stages=[
            Stage(
                source_id=s.source_id,
                name=s.name,
                pipeline_source_id=PIPELINE_ID,
                order_nr=position,
                deal_probability=s.deal_probability,
            )
            for position, s in enumerate(company.stages, start=1)
        ],
        products=[_held_product(p) for p in company.products],
        deals=[_held_deal(d, first_stage) for d in company.deals],
        activities=[_held_activity(a) for a in company.activities],
        notes=[_held_note(n) for n in company.notes],
    )


def phone_slots(phones: list[ContactPoint]) -> list[tuple[str, ContactPoint]]:
    """Each phone in the field of its label; one more goes to phone_other, the rest are lost."""
    taken: dict[str, ContactPoint] = {}
    by_label = dict((label, slot) for slot, label in PHONE_SLOTS)
    for phone in phones:
        slot = by_label.get(phone.label)
        if slot is None or slot in taken:
            slot = SPARE_SLOT[0]
        taken.setdefault(slot, phone)
    order = [slot for slot, _ in (*PHONE_SLOTS, SPARE_SLOT)]
    return [(slot, taken[slot]) for slot in order if slot in taken]


def slot_label(slot: str) -> str:
    return dict((*PHONE_SLOTS, SPARE_SLOT))[slot]


def _held_person(person: Person) -> Person:
    phones = [
        ContactPoint(value=p.value, label=slot_label(slot), primary=index == 0)
        for index, (slot, p) in enumerate(phone_slots(person.phones))
    ]
    emails = [ContactPoint(value=e.value, label="work", primary=e.primary) for e in person.emails]
    name = given_name_first(person)
    return person.model_copy(update={"name": name, "emails": emails, "phones": phones})


def in_currency(values: dict[str, Any], currency: str | None) -> dict[str, Any]:
    """Currency fields are amounts in the record's one currency_id."""
    if not currency:
        return values
    return {
        key: {**value, "currency": currency} if isinstance(value, dict) else value
        for key, value in values.items()
    }


def _held_product(product: Product) -> Product:
    prices = product.prices[:1]
    currency = prices[0].currency if prices else None
    update = {
        "prices": prices,
        "unit": None,
        "tax": None,
        "owner_source_id": None,
        "custom_fields": in_currency(product.custom_fields, currency),
    }
    return product.model_copy(update=update)


def _held_deal(deal: Deal, first_stage: str | None) -> Deal:
    update: dict[str, Any] = {
        "pipeline_source_id": PIPELINE_ID,
        "custom_fields": in_currency(deal.custom_fields, deal.currency),
        "won_time": None,
        "lost_time": None,
        "lost_reason": None,
    }
    if deal.status != "open":
        # The open stage a deal was closed from is gone: it arrives in the first stage.
        update["stage_source_id"] = first_stage
    return deal.model_copy(update=update)


def _held_activity(activity: Activity) -> Activity:
    update: dict[str, Any] = {}
    if activity.deal_source_id:
        update["org_source_id"] = None  # the parent is the opportunity; its account is not kept
    if activity.due_time is None:
        update["due_time"] = "00:00"  # date_start/date_due are datetimes: midnight for a day
    if activity.type in MEETING_KINDS:
        update["type"] = "meeting"
    elif activity.type != "call":
        update.update(type="task", duration=None)
    return activity.model_copy(update=update)


def truncate_note(content: str) -> str:
    """The note text as a 65,535-byte column keeps it (cut on a character boundary)."""
    raw = content.encode()
    if len(raw) <= NOTE_LIMIT_BYTES:
        return content
    return raw[:NOTE_LIMIT_BYTES].decode("utf-8", "ignore")


def _held_note(note: Note) -> Note:
    update: dict[str, Any] = {"content": truncate_note(note.content)}
    if note.deal_source_id:
        update["org_source_id"] = None  # one parent: the opportunity
    return note.model_copy(update=update)
