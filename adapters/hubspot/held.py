"""What of the reference company HubSpot can hold, each rule with the reason.

HubSpot facts behind the rules (developers.hubspot.com/docs, knowledge.hubspot.com):
- A contact has one `email` plus `hs_additional_emails` (no labels, no other primary), and two
  phone properties: `phone` and `mobilephone`.
- A number property holds a bare number: a "currency" number is shown in the record's (or the
  account's) currency, so a custom amount cannot keep a currency of its own.
- Products have `price` and, with several currencies, `hs_price_{currency}`; they have no unit
  of measure, and tax rates are set on line items and quotes, not on products.
- Engagements (calls, meetings, tasks, e-mails) always carry a timestamp; tasks have no duration
  and there is no "deadline" kind. Notes' `hs_note_body` is limited to 65,536 characters.
- Line items (`line_items`, one per product on a deal, a product may recur): `price` per unit,
  `quantity`, a discount either as `hs_discount_percentage` or as `discount`, an amount off
  each unit ("Unit discount": amount = (price - discount) x quantity), a tax rate from the
  account's tax library (`hs_tax_rate`, a percentage) and a `description`.
- Companies, contacts and deals carry `createdate` ("Create Date", type datetime), an ISO 8601
  UTC time with milliseconds in CRM v3 (the legacy v1/v2 APIs gave epoch milliseconds); it can
  be set on create (imports and migrations back-date records that way).
"""

from __future__ import annotations

import dataclasses

from adapters.core.canonical import Activity, ContactPoint, DealProduct, FieldType
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, Holds, Names, listed, slotted

NOTE_BODY_LIMIT = 65_536
# Canonical activity types that HubSpot keeps as a call or meeting engagement with a duration;
# everything else becomes a task (open calls, tasks, deadlines, open e-mails) or a logged e-mail.
TIMED_KINDS = ("meeting", "lunch")
# `phone` takes the first number that is not the (first) mobile one; a contact has no third
# phone property, so further numbers have nowhere to go.
PHONES = slotted(("work", "mobile"), "work", primary_first=True)


def phone_slots(phones: list[ContactPoint]) -> tuple[ContactPoint | None, ContactPoint | None]:
    """(phone, mobilephone) of a contact with these phones."""
    slots = {p.label: p for p in PHONES(phones)}
    return slots.get("work"), slots.get("mobile")


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


def _duration(activity: Activity) -> Activity:
    """Tasks and logged e-mails have no duration."""
    if engagement_kind(activity) in ("tasks", "emails"):
        return activity.model_copy(update={"duration": None})
    return activity


def unit_discount(item: DealProduct) -> float:
    """An amount off the line as HubSpot's `discount` keeps it: per unit, in cents."""
    return round(item.discount / (item.quantity or 1), 2)


def _unit_discounts(company: ReferenceCompany) -> ReferenceCompany:
    """An amount off a line is kept per unit, so it comes back as the cents per unit times
    the quantity."""
    items = [
        item.model_copy(update={"discount": round(unit_discount(item) * item.quantity, 2)})
        if item.discount_type == "amount"
        else item
        for item in company.deal_products
    ]
    return dataclasses.replace(company, deal_products=items)


HOLDS = Holds(
    # A HubSpot number property (even one shown as currency) keeps no currency per value.
    field_types={FieldType.monetary: FieldType.double},
    names=Names.display_order,
    # One `email` (the primary) and unlabeled additional addresses.
    emails=listed(labels={}),
    phones=PHONES,
    # No unit of measure on HubSpot products; tax is a line item / quote matter.
    product_unit=False,
    product_tax=False,
    # HubSpot has no deadline kind: it is a to-do task. Every engagement has a timestamp: an
    # all-day one sits at midnight UTC.
    activity_types={"deadline": "task"},
    timed=ACTIVITY_TYPES,
    activity=_duration,
    # HubSpot refuses a longer note body, so a note in HubSpot is at most this long.
    note_chars=NOTE_BODY_LIMIT,
    deal_products=True,
    # `createdate` keeps when a company, contact or deal was created, to the millisecond.
    created_times=True,
    extra=(_unit_discounts,),
)

held = HOLDS.held
