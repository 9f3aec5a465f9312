"""What of the reference company a Sugar instance can hold, each rule with the reason.

Sugar facts behind the rules (Sugar Developer Guide 14.x, Modules and Vardefs):
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

from adapters.core.canonical import ContactPoint
from adapters.reference.holds import (
    ACTIVITY_TYPES,
    CloseTime,
    Holds,
    Names,
    Parents,
    listed,
    slots,
    slotted,
)
from adapters.sugarcrm.naming import PIPELINE_ID, PIPELINE_NAME

NOTE_LIMIT_BYTES = 65_535
PHONE_SLOTS = (("phone_work", "work"), ("phone_mobile", "mobile"), ("phone_home", "home"))
SPARE_SLOT = ("phone_other", "other")
PHONE_LABELS = tuple(label for _, label in PHONE_SLOTS)
MEETING_KINDS = ("meeting", "lunch")


def phone_slots(phones: list[ContactPoint]) -> list[tuple[str, ContactPoint]]:
    """Each phone in the field of its label; one more goes to phone_other, the rest are lost."""
    fields = {label: field for field, label in (*PHONE_SLOTS, SPARE_SLOT)}
    return [
        (fields[label], ContactPoint(value=value, label=label))
        for label, value in slots(phones, PHONE_LABELS, SPARE_SLOT[1]).items()
    ]


HOLDS = Holds(
    # One sales-stage dropdown: every stage sits in it, in list order.
    one_pipeline=(PIPELINE_ID, PIPELINE_NAME),
    names=Names.given_first,
    emails=listed(primary_first=False, labels={}, first_is_primary=False),
    phones=slotted(PHONE_LABELS, SPARE_SLOT[1]),
    prices=1,
    product_unit=False,
    product_tax=False,
    product_owner=False,
    record_currency=True,
    close_time=CloseTime.none,
    lost_reason=False,
    # The open stage a deal was closed from is gone: it arrives in the first stage.
    closed_in_first_stage=True,
    # The parent is the opportunity; its account is not kept.
    activity_parents=Parents.no_org_with_deal,
    # Calls and Meetings (a lunch is a meeting); everything else is a Task, without duration.
    # date_start/date_due are datetimes: midnight for a day.
    activity_types={"lunch": "meeting", "deadline": "task", "email": "task"},
    timed=ACTIVITY_TYPES,
    no_duration=frozenset({"task"}),
    note_parents=Parents.no_org_with_deal,
    note_bytes=NOTE_LIMIT_BYTES,
)

held = HOLDS.held
