"""Deal products (line items) in the target: they live under their deal.

v2 adds one at `POST /deals/{deal_id}/products` (5 tokens), changes and deletes it under the
same deal, and lists them for up to 100 deals at once at `GET /deals/products?deal_ids=`
(10 tokens a page of 500). So the payload carries the deal's id (`deal_id`, left out of the
body sent), the ledger keeps it as the link's parent, and reconciliation and undo list only the
deals concerned. Pipedrive sets a deal's value to the sum of its products.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from adapters.core.canonical import DealProduct, Entity
from adapters.core.errors import RecordRejected

if TYPE_CHECKING:
    from adapters.pipedrive.client import PipedriveClient
    from adapters.pipedrive.target import PayloadContext

PATH = "/deals/{deal_id}/products"
LIST_PATH = "/deals/products"
MAX_DEAL_IDS = 100


def payload(r: DealProduct, ctx: PayloadContext) -> dict[str, Any]:
    return {
        "deal_id": ctx.link(Entity.deals, r.deal_source_id),
        "product_id": ctx.link(Entity.products, r.product_source_id),
        "item_price": r.item_price,
        "quantity": r.quantity,
        "discount": r.discount,
        "discount_type": r.discount_type,
        "tax": r.tax,
        "comments": r.comments,
    }


STANDARD_FIELDS = {
    "deal_source_id": "the deal it is on (POST /deals/{id}/products)",
    "product_source_id": "product_id",
    "item_price": "item_price",
    "quantity": "quantity",
    "discount": "discount",
    "discount_type": "discount_type (percentage or amount)",
    "tax": "tax (a percentage)",
    "comments": "comments",
}


def split(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The path under the payload's deal and the body to send (the deal is in the path)."""
    deal_id = payload.get("deal_id")
    if deal_id is None or payload.get("product_id") is None:
        missing = "deal" if deal_id is None else "product"
        raise RecordRejected(
            f"the line item's {missing} is not in Pipedrive", code="missing_parent"
        )
    body = {k: v for k, v in payload.items() if k != "deal_id"}
    return PATH.format(deal_id=deal_id), body


def under(parent_id: int | None) -> str:
    if parent_id is None:
        raise RecordRejected("the line item's deal is not known", code="missing_parent")
    return PATH.format(deal_id=parent_id)


async def listed(
    client: PipedriveClient, deal_ids: Iterable[int]
) -> AsyncIterator[list[dict[str, Any]]]:
    """The line items on these deals, a hundred deals a request."""
    ids = sorted(set(deal_ids))
    for start in range(0, len(ids), MAX_DEAL_IDS):
        chunk = ",".join(str(i) for i in ids[start : start + MAX_DEAL_IDS])
        async for page in client.iter_v2(LIST_PATH, {"deal_ids": chunk}):
            yield page.items
