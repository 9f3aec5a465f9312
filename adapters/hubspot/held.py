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
- Leads (CRM v3 `leads`, developers.hubspot.com/docs/api-reference/crm-leads-v3/guide): a lead
  has a name (`hs_lead_name`), an owner, a `createdate`, and must be associated with an
  existing contact (it may also be with a company). It has no amount, currency or close date
  (a deal has those once the lead is qualified). Its "Lead label" (`hs_lead_label`, Hot / Warm /
  Cold by default, the portal may add options) is one value: HubSpot's only label, and only on
  leads (contacts, companies and deals have none). Notes, calls and tasks may be associated with
  a lead.
- Files: a file attached to a record is a file of the file manager (Files API v3: `name` without
  its extension, `extension`, `size` in bytes, no MIME type) named in `hs_attachment_ids` of a
  note on the record, or of the call, meeting, task or e-mail itself. Products take none.
"""

from __future__ import annotations

import dataclasses

from adapters.core.canonical import Activity, ContactPoint, DealProduct, FieldType
from adapters.core.naming import mime_type
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, FILE_PARENTS, Holds, Names, listed, slotted

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


def _leads(company: ReferenceCompany) -> ReferenceCompany:
    """A lead needs a contact: a company's lead without one cannot be in HubSpot, nor its notes
    and activities. What is left keeps no value, currency or close date, one label at most
    (`hs_lead_label`), and its activities are engagements like any other."""
    leads = [
        lead.model_copy(
            update={"value": None, "currency": None, "expected_close_date": None,
                    "labels": lead.labels[:1]}
        )
        for lead in company.leads
        if lead.person_source_id
    ]  # fmt: skip
    kept = {lead.source_id for lead in leads}
    return dataclasses.replace(
        company,
        organizations=[o.model_copy(update={"labels": []}) for o in company.organizations],
        persons=[p.model_copy(update={"labels": []}) for p in company.persons],
        deals=[d.model_copy(update={"labels": []}) for d in company.deals],
        leads=leads,
        lead_notes=[n for n in company.lead_notes if n.lead_source_id in kept],
        lead_activities=[
            _duration(a.model_copy(update={"due_time": a.due_time or "00:00"}))
            for a in company.lead_activities
            if a.lead_source_id in kept
        ],
    )


def _files(company: ReferenceCompany) -> ReferenceCompany:
    """HubSpot keeps no MIME type: a file's type is what its extension says."""
    files = [f.model_copy(update={"mime_type": mime_type(f.name)}) for f in company.files]
    return dataclasses.replace(company, files=files)


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
    # Leads with a contact; `hs_lead_label` is the one label HubSpot has (leads only).
    leads=True,
    labels=True,
    # Files on notes and engagements: on anything but a product.
    files=True,
    file_parents=frozenset(FILE_PARENTS) - {"product_source_id"},
    # An engagement's further contacts are its other associated contacts.
    participants=True,
    extra=(_unit_discounts, _leads, _files),
)

held = HOLDS.held
