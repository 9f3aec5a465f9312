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
- Tags (Sugar 7.7+, the Tags module): the `tag` field of Accounts, Contacts, Opportunities and
  Leads, `[{id, name}]`: names only, no colour.
- Leads: the Leads module, `converted` false until converted into a contact (and account and
  opportunity). A lead holds its own person (first_name, last_name required, email, the phone
  fields) and its company only as text (`account_name`); its `opportunity_name` is the
  opportunity it would become. Its opportunity_amount is free text without a currency, and it
  has no expected close date. Its notes and activities hang on it (parent_type "Leads").
- Attachments are Notes with a file (`filename`, `file_mime_type`, `file_size`) on one parent:
  an account, contact, opportunity, lead, call, meeting or task. The Documents module (files
  with revisions, related to records through links) is not read.
"""

from __future__ import annotations

from adapters.core.canonical import ContactPoint
from adapters.reference.holds import (
    ACTIVITY_TYPES,
    FILE_PARENTS,
    CloseTime,
    Holds,
    Names,
    Parents,
    leads_with_their_own_records,
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
    labels=True,
    # Each lead comes back with a person of its own (under the lead's id) and, when it names a
    # company, an organization of its own (account_name is text). A lead without a person has
    # its company's name as its last_name (Sugar requires one). Its title is its
    # opportunity_name; it keeps no value, currency or expected close date.
    leads=True,
    files=True,
    # Products have no attachments (Notes do not hang on ProductTemplates).
    file_parents=frozenset(FILE_PARENTS) - {"product_source_id"},
    extra=(leads_with_their_own_records(title=None),),
)

held = HOLDS.held
