"""The reference company as a Salesforce org holds it: ids, objects, and what cannot be held.

Salesforce facts relied on (REST API / Object Reference):
- Ids are 15 case-sensitive characters starting with the object's key prefix (001 Account, 003
  Contact, 005 User, 006 Opportunity, 00T Task, 00U Event, 002 Note, 01t Product2, 01u
  PricebookEntry, 012 RecordType, 019 BusinessProcess, 01J OpportunityStage), returned in the
  18-character form: a 3-character suffix encodes which of the 15 are upper case.
- Contact has one standard Email; orgs that keep more add custom Email fields. Its Name is
  derived from FirstName and LastName in the reading user's locale (given name first here).
- Multi-currency orgs put one CurrencyIsoCode on each record: every currency field of the
  record (Amount and custom currency fields alike) is in that currency.
- Sales processes (BusinessProcess, chosen through the Opportunity's RecordType) each offer a
  subset of the org-wide OpportunityStage picklist; closing is a stage (IsClosed/IsWon), and
  OpportunityHistory keeps each stage an opportunity went through.
- A Task has a due date (ActivityDate) but no due time, a Status and IsClosed; an Event has a
  start (ActivityDateTime, or ActivityDate when IsAllDayEvent) and DurationInMinutes but no
  done flag. WhoId is the contact, WhatId one account or opportunity.
- A classic Note has one ParentId and a Body of at most 32,000 characters.
- Enhanced notes (Winter '16 on, the default in Lightning orgs) are ContentNote (API 32.0+): Id
  (the ContentDocument's, 069), Title and TextPreview (255 characters each), Content (base64:
  the note's HTML or plain text, whole), OwnerId, CreatedDate, LastModifiedDate, ContentSize,
  FileType "SNOTE", and no SystemModstamp. A note is linked to each record it sits on (and to
  its owner) by a ContentDocumentLink (06A: ContentDocumentId, LinkedEntityId, ShareType V/C/I,
  Visibility AllUsers/InternalUsers/SharedUsers), so it may sit on an account, a contact and an
  opportunity at once. ContentDocumentLink refuses a query not filtered by ContentDocumentId or
  LinkedEntityId (= or IN). Object Reference: ContentNote, ContentDocumentLink.
- Product2 has no owner and no tax rate; prices are PricebookEntry rows of the standard price
  book, one per currency.
- Line items are OpportunityLineItem (00k): OpportunityId, Product2Id, PricebookEntryId (an
  entry of the opportunity's Pricebook2Id in the opportunity's currency), Quantity (double,
  scale 2), UnitPrice (the sales price; ListPrice is the entry's), Discount (a percent, scale
  2), Subtotal, TotalPrice, Description (255 characters), SortOrder. There is no tax field and
  no amount discount; the same product may sit on an opportunity more than once. An
  opportunity with line items has its Amount computed as the sum of their TotalPrice.
  Deactivating a price book entry keeps the line items already using it. Object Reference /
  Field Reference: OpportunityLineItem, PricebookEntry, Opportunity.
- An org id is 15 characters too: "00D", the instance's two characters, a reserved "0" and nine
  base-62 characters, unique across Salesforce (the 18-character form in userinfo, the 15 in
  session ids "<org id>!<secret>"). Record ids do not embed it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime, timedelta
from typing import Any

from adapters.core.canonical import (
    ContactPoint,
    CustomFieldDef,
    Deal,
    DealProduct,
    Entity,
    FieldType,
    Person,
    Pipeline,
)
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, Holds, Names, Parents, in_currency
from adapters.reference.holds import _activity as holds_activity
from adapters.reference.ids import kind_and_number
from adapters.salesforce.getters import MASTER_PIPELINE, MASTER_PIPELINE_NAME

Row = dict[str, Any]
Tables = dict[str, list[Row]]

NOTE_BODY_LIMIT = 32_000
LINE_DESCRIPTION_LIMIT = 255
CLOSED_WON, CLOSED_LOST = "Closed Won", "Closed Lost"
CORPORATE_CURRENCY = "EUR"
TASK_TYPES = ("call", "task", "deadline", "email")  # the rest (meeting, lunch) are Events

PREFIXES = {
    "User": "005",
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
    "OpportunityLineItem": "00k",
    "OpportunityHistory": "008",
    "OpportunityStage": "01J",
    "BusinessProcess": "019",
    "RecordType": "012",
    "Product2": "01t",
    "Pricebook2": "01s",
    "PricebookEntry": "01u",
    "Task": "00T",
    "Event": "00U",
    "Note": "002",
    "ContentNote": "069",  # a ContentNote's id is its ContentDocument's
    "ContentDocumentLink": "06A",
    "ContentDocument": "069",  # files; ContentNotes are ContentDocuments too
    "ContentVersion": "068",
    "Lead": "00Q",
    "EventRelation": "0RE",
}
SF_TYPES = {
    FieldType.varchar: "string",
    FieldType.text: "textarea",
    FieldType.double: "double",
    FieldType.monetary: "currency",
    FieldType.date: "date",
    FieldType.enum: "picklist",
    FieldType.set: "multipicklist",
    FieldType.phone: "phone",
}
CUSTOM_OBJECTS = {
    Entity.organizations: "Account",
    Entity.persons: "Contact",
    Entity.deals: "Opportunity",
    Entity.products: "Product2",
}
# The org's extra e-mail fields on Contact: (API name, label, reference label it holds).
CONTACT_EMAIL_FIELDS = (
    ("Home_Email__c", "Home Email", "home"),
    ("Other_Email__c", "Other Email", "other"),
)
PHONE_FIELDS = {
    "work": "Phone",
    "mobile": "MobilePhone",
    "home": "HomePhone",
    "other": "OtherPhone",
}

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def to18(id15: str) -> str:
    """Salesforce's case-safe 18-character id: one suffix letter per block of five."""
    suffix = ""
    for block in range(3):
        chunk = id15[block * 5 : block * 5 + 5]
        bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _SUFFIX[bits]
    return id15 + suffix


def org_id(account_id: str) -> str:
    """The 15-character id of the sandbox account's org, stable per account: real org ids are
    unique across Salesforce, and Ferry's ledger tells orgs apart by them."""
    number = int(hashlib.sha256(account_id.encode()).hexdigest(), 16) % 62**9
    digits = ""
    for _ in range(9):
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    return f"00D5g0{digits}"


def sf_id(object_name: str, number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
        if number == 0:
            break
    return to18(f"{PREFIXES[object_name]}5g{digits.rjust(10, '0')}")


def ref_id(object_name: str, source_id: str | None) -> str | None:
    """The Salesforce id of a reference record ("o12" -> an Account id), deterministic."""
    if source_id is None:
        return None
    return sf_id(object_name, kind_and_number(source_id)[1])


def api_name(key: str) -> str:
    return "_".join(part.capitalize() for part in key.split("_")) + "__c"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def created_date(add_time: str | None) -> str | None:
    """A reference creation time ("...Z") as a dateTime field reads: milliseconds, +0000."""
    return stamp(parse_ts(add_time)) if add_time else None


def system_modstamp(index: int) -> str:
    """Deterministic last-modified times, an hour apart, so changed-since filters can be tested."""
    return stamp(datetime(2025, 12, 1) + timedelta(hours=index))


def parse_ts(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")


# --- what the org can hold ------------------------------------------------------------------


def email_slots(person: Person) -> dict[str, ContactPoint]:
    """Which field holds which of a person's addresses: the primary in Email, the others in
    the custom e-mail fields (by label where it fits, else the next free one)."""
    return _email_slots(person.emails)


def _email_slots(emails: list[ContactPoint]) -> dict[str, ContactPoint]:
    emails = sorted(emails, key=lambda e: not e.primary)
    slots: dict[str, ContactPoint] = {}
    if emails:
        slots["Email"] = emails[0]
    free = [name for name, _, _ in CONTACT_EMAIL_FIELDS]
    rest = emails[1:]
    for name, _, label in CONTACT_EMAIL_FIELDS:
        match = next((e for e in rest if e.label == label), None)
        if match:
            slots[name] = match
            rest.remove(match)
            free.remove(name)
    for name, email in zip(free, rest, strict=False):
        slots[name] = email
    return slots


def record_currency(deal: Deal) -> str:
    """An opportunity's CurrencyIsoCode: its amount's, else its setup fee's, else corporate."""
    if deal.currency:
        return deal.currency
    for value in deal.custom_fields.values():
        if isinstance(value, dict) and value.get("currency"):
            return str(value["currency"])
    return CORPORATE_CURRENCY


def on_master_picklist(company: ReferenceCompany) -> ReferenceCompany:
    """Without sales processes an org has one stage picklist (every pipeline's stages in the
    SortOrder render gives them), which a migration carries as one pipeline named by the
    source; each opportunity keeps its stage."""
    order = sorted(company.stages, key=lambda s: (s.pipeline_source_id, s.order_nr))
    return dataclasses.replace(
        company,
        pipelines=[Pipeline(source_id=MASTER_PIPELINE, name=MASTER_PIPELINE_NAME)],
        stages=[
            stage.model_copy(update={"pipeline_source_id": MASTER_PIPELINE, "order_nr": n})
            for n, stage in enumerate(order, start=1)
        ],
        deals=[d.model_copy(update={"pipeline_source_id": MASTER_PIPELINE}) for d in company.deals],
    )


def _held_deal(deal: Deal) -> Deal:
    currency = record_currency(deal)
    closed = (deal.expected_close_date + "T00:00:00Z") if deal.expected_close_date else None
    return deal.model_copy(
        update={
            # Every currency field of an opportunity is in the opportunity's CurrencyIsoCode.
            "custom_fields": in_currency(deal.custom_fields, currency),
            # A closed opportunity keeps only its CloseDate, not the moment it was closed.
            "won_time": closed if deal.status == "won" else None,
            "lost_time": closed if deal.status == "lost" else None,
        }
    )


def held_line(item: DealProduct) -> DealProduct:
    """A line item as OpportunityLineItem keeps it: no tax, a 255-character Description, and an
    amount off the line folded into its sales price (the line's total kept), for Discount is a
    percentage only."""
    quantity = round(item.quantity, 2)
    price, discount = item.item_price, item.discount
    if item.discount_type == "amount":
        price, discount = round(item.sum / quantity, 2), 0.0
    comments = item.comments[:LINE_DESCRIPTION_LIMIT] if item.comments else None
    return item.model_copy(
        update={"item_price": price, "quantity": quantity, "discount": discount,
                "discount_type": "percentage", "tax": 0.0, "comments": comments}
    )  # fmt: skip


def held_line_items(company: ReferenceCompany) -> ReferenceCompany:
    """Line items as held, and an opportunity with some has their total as its Amount."""
    lines = [held_line(item) for item in company.deal_products]
    totals: dict[str, float] = {}
    for line in lines:
        # Rounded to the cent line by line, as the emulator sums an opportunity's Amount.
        totals[line.deal_source_id] = round(totals.get(line.deal_source_id, 0.0) + line.sum, 2)
    deals = [
        d.model_copy(update={"value": totals[d.source_id]}) if d.source_id in totals else d
        for d in company.deals
    ]
    return dataclasses.replace(company, deals=deals, deal_products=lines)


HOLDS = Holds(
    # Contact.Name is derived from FirstName + LastName in the reading user's locale; a
    # family-name-first name (山田 太郎) cannot be kept per record, so it reads given name first.
    names=Names.given_first,
    # The primary e-mail is Email; others sit in the two custom e-mail fields (none is lost
    # for the reference company, which has at most three addresses per person).
    emails=lambda emails: list(_email_slots(emails).values()),
    # Product2 has neither an owner nor a tax rate.
    product_tax=False,
    product_owner=False,
    # Opportunity has no standard loss-reason field.
    lost_reason=False,
    deal=_held_deal,
    # A Task is due on a date, never at a time of day; an Event has no done flag (it is simply
    # in the past or not).
    date_only=frozenset(TASK_TYPES),
    no_done=ACTIVITY_TYPES - frozenset(TASK_TYPES),
    # An all-day Event (IsAllDayEvent) lasts its day: it has no duration of its own.
    all_day_no_duration=ACTIVITY_TYPES - frozenset(TASK_TYPES),
    # A Note hangs off one parent (the deal when there is one) and holds 32,000 characters.
    note_parents=Parents.one,
    note_chars=NOTE_BODY_LIMIT,
    # Line items: no tax, no amount discount (folded into the sales price), short comments.
    deal_products=True,
    # CreatedDate (dateTime, to the millisecond) on Account, Contact and Opportunity.
    created_times=True,
    # Unconverted Leads, with their notes and activities; each lead is its own person and
    # company after the round trip (see prospects.py). No labels anywhere.
    leads=True,
    # Files (ContentDocument / ContentVersion), on any record Salesforce links them to.
    files=True,
    # An Event's other contacts are its EventRelations (invitees); a Task holds none here.
    participants=True,
    extra=(held_line_items, lambda company: _held_leads(company)),
)

# The company as a Salesforce org can hold it (classic notes, sales processes).
held = HOLDS.held


def _held_leads(company: ReferenceCompany) -> ReferenceCompany:
    """Leads as their own persons and organizations; their Tasks and Events held as the other
    activities are (held_by leaves lead_activities as they are)."""
    from adapters.salesforce.prospects import leads_as_held  # it builds on this module

    activities = [holds_activity(a, HOLDS) for a in company.lead_activities]
    return leads_as_held(dataclasses.replace(company, lead_activities=activities))


def custom_defs(company: ReferenceCompany, entity: Entity) -> list[CustomFieldDef]:
    return [d for d in company.custom_fields if d.entity is entity]


def custom_values(company: ReferenceCompany, entity: Entity, values: dict[str, Any]) -> Row:
    """A record's custom values under their API names, as Salesforce stores them."""
    out: Row = {}
    for definition in custom_defs(company, entity):
        value = values.get(definition.key)
        if isinstance(value, dict):  # currency: the amount; the currency is the record's
            value = value.get("value")
        elif isinstance(value, list):  # multi-select picklist: values joined by ";"
            value = ";".join(value)
        out[api_name(definition.key)] = value
    return out


def money_currency(values: dict[str, Any]) -> str | None:
    for value in values.values():
        if isinstance(value, dict) and value.get("currency"):
            return str(value["currency"])
    return None
