"""Small pieces that vendors' `held` profiles and renders share beyond `Holds`: a company kept
in one currency, line items whose discount is a percentage only, an activity's start and end."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from adapters.core.canonical import Activity, DealProduct
from adapters.reference.dataset import ReferenceCompany


def in_one_currency(code: str) -> Callable[[ReferenceCompany], ReferenceCompany]:
    """A held step: the vendor keeps every amount in one currency (its account's or database's),
    so deals and products' prices arrive in `code`."""

    def step(company: ReferenceCompany) -> ReferenceCompany:
        def prices(product: Any) -> list[Any]:
            return [price.model_copy(update={"currency": code}) for price in product.prices]

        return dataclasses.replace(
            company,
            deals=[d.model_copy(update={"currency": code}) for d in company.deals],
            products=[p.model_copy(update={"prices": prices(p)}) for p in company.products],
        )

    return step


def percentage_discount(item: DealProduct) -> DealProduct:
    """A line item as a vendor whose discount is a percentage keeps it: an amount off the line
    is folded into the unit price (the line's total kept, to the cent)."""
    if item.discount_type != "amount":
        return item
    price = round(item.sum / item.quantity, 2)
    return item.model_copy(
        update={"item_price": price, "discount": 0.0, "discount_type": "percentage"}
    )


def span(activity: Activity) -> tuple[datetime, datetime] | None:
    """An activity's start and end (UTC; midnight for one due on a day), None when undated."""
    if not activity.due_date:
        return None
    start = datetime.fromisoformat(f"{activity.due_date}T{activity.due_time or '00:00'}+00:00")
    hours, _, minutes = (activity.duration or "00:00").partition(":")
    return start, start + timedelta(hours=int(hours), minutes=int(minutes))
