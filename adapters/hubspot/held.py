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
"""

from __future__ import annotations

from adapters.core.canonical import Activity, ContactPoint, FieldType
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
)

held = HOLDS.held
