"""What of the reference company Dynamics 365 can hold, each rule with the reason."""

from __future__ import annotations

import dataclasses

from adapters.core.canonical import Activity, ContactPoint, DealProduct
from adapters.dynamics365.source import tax_rate
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.holds import (
    ACTIVITY_TYPES,
    CloseTime,
    Holds,
    Names,
    Parents,
    _activity,
    listed,
    parents,
    slots,
    slotted,
)

NOTE_MAX = 100_000  # annotation.notetext holds at most 100,000 characters
EMAIL_SLOTS = ("work", "home", "other")  # emailaddress1..3, in that order
# Phone columns in the order the source reads them, with the label each one means.
PHONE_SLOTS = (("telephone1", "work"), ("mobilephone", "mobile"), ("telephone2", "home"))
SPARE_PHONE = ("telephone3", "other")
PHONE_LABELS = tuple(label for _, label in PHONE_SLOTS)


def phone_slots(phones: list[ContactPoint]) -> dict[str, str]:
    """Contact phone columns for a person's phones: by label, a clash going to telephone3."""
    columns = dict(label_column[::-1] for label_column in (*PHONE_SLOTS, SPARE_PHONE))
    return {
        columns[label]: value
        for label, value in slots(phones, PHONE_LABELS, SPARE_PHONE[1]).items()
    }


def _task_regarding(activity: Activity) -> Activity:
    """A task has no party list (no From/To, no attendees): its one link is Regarding, which
    holds one record. Phone calls, appointments and e-mails keep their person and organization
    as activity parties (recipients / attendees) beside the Regarding deal."""
    if activity.type != "task":
        return activity
    return activity.model_copy(update=parents(activity, Parents.one))


def line_amounts(item: DealProduct) -> tuple[float, float, float, float]:
    """An opportunityproduct's Money columns for a line, to the cent (Precision 2): baseamount
    (price x quantity), manualdiscountamount (a percentage discount becomes what it takes off,
    to the cent that leaves the line's sum), the line before tax (extendedamount less tax) and
    tax (an amount: the rate of the line)."""
    base = round(item.item_price * item.quantity, 2)
    off = item.discount if item.discount_type == "amount" else round(base - item.sum, 2)
    net = round(base - off, 2)
    return base, off, net, round(net * item.tax / 100, 2)


def _line_items(company: ReferenceCompany) -> ReferenceCompany:
    """Dataverse keeps a line's discount and tax as amounts: the discount arrives as an amount,
    the tax as the rate its amount is (a cent's rounding can move it by a hundredth)."""

    def held(item: DealProduct) -> DealProduct:
        _, off, net, tax = line_amounts(item)
        update = {"discount": off, "discount_type": "amount", "tax": tax_rate(net, tax)}
        return item.model_copy(update=update)

    return dataclasses.replace(company, deal_products=[held(i) for i in company.deal_products])


def _lead_activities(company: ReferenceCompany) -> ReferenceCompany:
    """A lead's tasks and phone calls are activities like the others (Regarding the lead):
    the same rules hold for them (a task's day is its midnight and it has no duration)."""
    rules = [_activity(a, HOLDS) for a in company.lead_activities]
    return dataclasses.replace(company, lead_activities=rules)


HOLDS = Holds(
    # A business process flow stage has no win probability (opportunities carry their own).
    stage_probability=False,
    # fullname is computed from firstname and lastname in the org's name format ("First Last"):
    # a name written family name first (山田 太郎) comes back in that order.
    names=Names.given_first,
    # Three e-mail columns without labels: emailaddress1 is the primary one.
    emails=listed(labels=EMAIL_SLOTS),
    # Phones sit in typed columns (business, mobile, home, telephone 3) with no primary flag.
    phones=slotted(PHONE_LABELS, SPARE_PHONE[1]),
    # Products have no tax rate (tax is an amount on quote and order lines) and are owned by the
    # organization, not by a user.
    product_tax=False,
    product_owner=False,
    # Money columns have no currency of their own: they are in the record's (an opportunity's
    # one transaction currency, for its value and its Money columns).
    record_currency=True,
    # actualclosedate is a date without a time.
    close_time=CloseTime.day,
    # createdon: when an account, contact or opportunity was made (UTC, to the second); for an
    # imported one, the overriddencreatedon it was given.
    created_times=True,
    # An appointment has no kind (a lunch is an appointment); a deadline is a task with a due
    # date. Tasks, phone calls and e-mails have a due date *and time*: a day is its midnight; an
    # all-day appointment lasts the day; tasks and e-mails have no duration.
    activity_types={"lunch": "meeting", "deadline": "task"},
    timed=ACTIVITY_TYPES - {"meeting"},
    all_day_no_duration=frozenset({"meeting"}),
    no_duration=frozenset({"task", "email"}),
    activity=_task_regarding,
    # A note's Object holds one record: the deal first, else the person, else the organization.
    note_parents=Parents.one,
    note_chars=NOTE_MAX,
    # Opportunity products: any number per opportunity, the same product more than once, a
    # fractional quantity (Precision 5), a description (2,000 characters) for the comment.
    deal_products=True,
    # Open leads (statecode 0) for an existing contact and/or account (Existing Contact /
    # Existing Account), with their notes and activities (Regarding the lead). A lead that
    # names neither gives its own name and company as a person and an organization of their
    # own (the source reads them); the reference company's leads all name theirs.
    # An appointment's further contacts are more required attendees (a call's, more recipients).
    participants=True,
    leads=True,
    # A note with isdocument true is an attachment, on any of the records a note hangs on
    # (accounts, contacts, opportunities, leads, products, tasks, calls, appointments, e-mails).
    files=True,
    # No labels or tags on accounts, contacts, opportunities or leads.
    labels=False,
    extra=(_line_items, _lead_activities),
)

held = HOLDS.held
