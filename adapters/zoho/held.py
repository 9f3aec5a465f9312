"""What of the reference company Zoho CRM can hold, each change with the reason."""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.core.canonical import Activity, Deal, Note, Product
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.held import without_archive


def held(company: ReferenceCompany) -> ReferenceCompany:
    company = without_archive(company)
    first_stage = {
        s.pipeline_source_id: s.source_id for s in sorted(company.stages, key=lambda s: -s.order_nr)
    }
    return dataclasses.replace(
        company,
        # A Contact has two e-mail fields, Email and Secondary_Email: a third address has no home.
        persons=[
            p.model_copy(update={"emails": sorted(p.emails, key=lambda e: not e.primary)[:2]})
            for p in company.persons
        ],
        # A product has one Unit_Price in its record currency; prices in other currencies are
        # price books (discount lists), not a product's prices. Its currency fields share it.
        products=[_held_product(p) for p in company.products],
        deals=[_held_deal(d, first_stage) for d in company.deals],
        activities=[_held_activity(a) for a in company.activities],
        notes=[_held_note(n) for n in company.notes],
    )


def _with_currency(values: dict[str, Any], currency: str | None) -> dict[str, Any]:
    """Currency fields are amounts in the record's one Currency."""
    return {
        key: {**value, "currency": currency} if isinstance(value, dict) and currency else value
        for key, value in values.items()
    }


def _held_product(product: Product) -> Product:
    prices = product.prices[:1]
    currency = prices[0].currency if prices else None
    custom = _with_currency(product.custom_fields, currency)
    return product.model_copy(update={"prices": prices, "custom_fields": custom})


def _held_deal(deal: Deal, first_stage: dict[str, str]) -> Deal:
    update: dict[str, Any] = {
        # The deal's Currency holds its amount; its currency fields are in the same currency.
        "custom_fields": _with_currency(deal.custom_fields, deal.currency),
        # Zoho keeps no won/lost time, only the Closing_Date.
        "won_time": None,
        "lost_time": None,
    }
    if deal.status != "open":
        # A closed deal's Stage is "Closed Won"/"Closed Lost"; the open stage it was closed from
        # is only in its Stage History, so it arrives in its pipeline's first stage.
        update["stage_source_id"] = first_stage[deal.pipeline_source_id or "pl1"]
    return deal.model_copy(update=update)


def _held_activity(activity: Activity) -> Activity:
    update: dict[str, Any] = {}
    if activity.deal_source_id:
        # What_Id holds one parent: the deal; the deal's account is not on the activity.
        update["org_source_id"] = None
    if activity.type == "call" and activity.due_time is None:
        update["due_time"] = "00:00"  # a call always has a start time: midnight for a day call
    elif activity.type in ("meeting", "lunch"):
        # Events have no kind and no completion state.
        update.update(type="meeting", done=False)
    elif activity.type not in ("call", "meeting", "lunch"):
        # Tasks have no kind, no time of day and no duration: a Due_Date only.
        update.update(type="task", due_time=None, duration=None)
    return activity.model_copy(update=update)


def _held_note(note: Note) -> Note:
    # A note has one parent (Parent_Id): the deal first, else the contact, else the account.
    if note.deal_source_id:
        return note.model_copy(update={"person_source_id": None, "org_source_id": None})
    if note.person_source_id:
        return note.model_copy(update={"org_source_id": None})
    return note
