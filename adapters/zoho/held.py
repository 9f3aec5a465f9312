"""What of the reference company Zoho CRM can hold, each rule with the reason."""

from __future__ import annotations

import dataclasses

from adapters.core.canonical import DealProduct
from adapters.core.naming import mime_type
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.holds import (
    CloseTime,
    Holds,
    Parents,
    leads_with_their_own_records,
    listed,
    slotted,
)

# A lead's phone fields: Phone (the main one) and Mobile.
LEAD_PHONES = slotted(("work", "mobile"), "work", primary_first=True)


def line_items(items: list[DealProduct]) -> list[DealProduct]:
    """Line items as the Deals-Products related list keeps them. It relates a product to a deal
    once: a second line of the same product on a deal has no place (the first is kept). The
    relation's fields are Quantity, List_Price and Discount, an amount in the deal's currency:
    no per-line tax and no comment."""
    kept: dict[tuple[str, str], DealProduct] = {}
    for item in items:
        key = (item.deal_source_id, item.product_source_id)
        if key in kept:
            continue
        off = item.discount
        if item.discount_type != "amount":
            off = round(item.item_price * item.quantity * item.discount / 100, 2)
        kept[key] = item.model_copy(
            update={"discount": off, "discount_type": "amount", "tax": 0.0, "comments": None}
        )
    return list(kept.values())


def _related_products(company: ReferenceCompany) -> ReferenceCompany:
    return dataclasses.replace(company, deal_products=line_items(company.deal_products))


def _attachments(company: ReferenceCompany) -> ReferenceCompany:
    """The Attachments list names no MIME type: a file's type is its name's."""
    files = [f.model_copy(update={"mime_type": mime_type(f.name)}) for f in company.files]
    return dataclasses.replace(company, files=files)


HOLDS = Holds(
    # A Contact has two e-mail fields, Email and Secondary_Email: a third address has no home.
    emails=listed(most=2, first_is_primary=False),
    # A product has one Unit_Price in its record currency; prices in other currencies are price
    # books (discount lists), not a product's prices. A record's currency fields share its
    # Currency (a deal's holds its amount).
    prices=1,
    record_currency=True,
    # Zoho keeps no won/lost time, only the Closing_Date.
    close_time=CloseTime.none,
    # A closed deal's Stage is "Closed Won"/"Closed Lost"; the open stage it was closed from is
    # only in its Stage History, so it arrives in its pipeline's first stage.
    closed_in_first_stage=True,
    # An activity's What_Id holds one parent: the deal; the deal's account is not on it.
    activity_parents=Parents.no_org_with_deal,
    # Events (meetings, lunches) have no kind and no completion state; a call always has a
    # start time (midnight for a day call); tasks have no kind, no time of day and no duration:
    # a Due_Date only.
    activity_types={"lunch": "meeting", "deadline": "task", "email": "task"},
    no_done=frozenset({"meeting"}),
    timed=frozenset({"call"}),
    date_only=frozenset({"task"}),
    no_duration=frozenset({"task"}),
    # A note has one parent (Parent_Id): the deal first, else the contact, else the account.
    note_parents=Parents.one,
    # Products on a deal are its Products related list: see `line_items`.
    deal_products=True,
    # Accounts, contacts and deals keep their Created_Time (a date-time to the second).
    created_times=True,
    # Tags on accounts, contacts, deals and leads (the Tag field, [{name, id}]).
    labels=True,
    # Leads are the Leads module's (unconverted) records. Their notes and activities hang on
    # them (Parent_Id / What_Id with $se_module Leads). A lead is a person at a company, held
    # on the lead itself (First_Name, Last_Name, Email, Secondary_Email, Phone, Mobile, Company
    # as text), linked to no contact or account: it comes back as a person and a company of
    # its own, both dated. One without a person has its company's name as its Last_Name (Zoho
    # requires one). A lead has no title, value, currency or expected close date: its title is
    # "Name (Company)". Its tags are its labels.
    leads=True,
    # Attachments: each record's Attachments related list. Zoho has no list of all attachments
    # (Bulk Read and COQL query modules; Attachments is a related list), so the source asks
    # one request per account, contact, deal, lead, task, event, call and product: files on
    # any of them arrive on that record (every parent a file has: `file_parents` by default).
    files=True,
    extra=(
        _related_products,
        leads_with_their_own_records(phones=LEAD_PHONES, dated=True),
        _attachments,
    ),
)

held = HOLDS.held
