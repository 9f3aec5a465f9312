"""Products on deals, v2: `/deals/{id}/products` (list, add), `/deals/{id}/products/{product_
attachment_id}` (update, delete) and `/deals/products?deal_ids=` (several deals at once).

As the v2 spec says: `product_id`, `item_price` and `quantity` are required; `discount` is a
percentage or, with `discount_type` "amount", an amount; `tax` a percentage with `tax_method`.
A deal-product answers its `sum`, its product's `name` and the deal's `currency`; adding,
changing or removing one sets the deal's value to the sum of its products ("Automatically
updates deal values"). Here `sum` is the line before tax (quantity x price less the discount),
which is what the deal's value adds up. Deleting a deal deletes its products.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from starlette.routing import Route

from adapters.core.canonical import Entity
from adapters.pipedrive.emulator import records, render
from adapters.pipedrive.emulator import validators as v
from adapters.pipedrive.emulator.endpoint import Call, Context, Reply, operation
from adapters.pipedrive.emulator.entities import EntitySpec
from adapters.pipedrive.emulator.errors import BadRequest, NotFound
from adapters.pipedrive.emulator.pagination import cursor_page
from adapters.pipedrive.emulator.state import AccountState

PREFIX = "/{account_id}/api/v2"
MAX_DEAL_IDS = 100
BILLING = ("one-time", "annually", "semi-annually", "quarterly", "monthly", "weekly")

SPEC = EntitySpec(
    entity=Entity.deal_products,
    label="Deal product",
    body={
        "product_id": v.ref(Entity.products, "Product"),
        "item_price": v.number,
        "quantity": v.number,
        "tax": v.number,
        "comments": v.nullable(v.string),
        "discount": v.number,
        "discount_type": v.one_of(("percentage", "amount")),
        "is_enabled": v.boolean,
        "tax_method": v.one_of(("exclusive", "inclusive", "none")),
        "product_variation_id": v.nullable(v.integer),
        "billing_frequency": v.one_of(BILLING),
        "billing_frequency_cycles": v.nullable(v.integer),
        "billing_start_date": v.nullable(v.date_string),
    },
    required=("product_id", "item_price", "quantity"),
    defaults={
        "deal_id": None,
        "product_id": None,
        "name": None,
        "item_price": None,
        "quantity": None,
        "sum": None,
        "tax": 0,
        "tax_method": "exclusive",
        "discount": 0,
        "discount_type": "percentage",
        "comments": None,
        "currency": None,
        "order_nr": 0,
        "is_enabled": True,
        "product_variation_id": None,
        "billing_frequency": "one-time",
        "billing_frequency_cycles": None,
        "billing_start_date": None,
        "add_time": None,
        "update_time": None,
    },
    nullable=frozenset({"comments", "product_variation_id", "billing_start_date"}),
    updated_since=False,
    sort_fields=("id", "deal_id", "add_time", "update_time", "order_nr"),
    owned=False,
)


def line_sum(record: dict[str, Any]) -> float:
    gross = float(record["item_price"]) * float(record["quantity"])
    discount = float(record["discount"] or 0)
    off = discount if record["discount_type"] == "amount" else gross * discount / 100
    return round(gross - off, 2)


def add(state: AccountState, deal_id: int, body: Any, now: str) -> dict[str, Any]:
    deal = _deal(state, deal_id)
    changes = records.validate_body(state, SPEC, body, creating=True)
    record = {**SPEC.new_record(), **changes, "deal_id": deal_id, "add_time": now}
    record["order_nr"] = sum(1 for _ in on_deal(state, deal_id)) + 1
    _finish(state, record, deal, now)
    stored = state.store(Entity.deal_products).insert(record)
    _revalue(state, deal, now)
    return stored


def change(
    state: AccountState, deal_id: int, attachment_id: int, body: Any, now: str
) -> dict[str, Any]:
    deal = _deal(state, deal_id)
    record = _attachment(state, deal_id, attachment_id)
    changes = records.validate_body(state, SPEC, body, creating=False)
    record.update(changes)
    _finish(state, record, deal, now)
    _revalue(state, deal, now)
    return record


def remove(state: AccountState, deal_id: int, attachment_id: int, now: str) -> None:
    deal = _deal(state, deal_id)
    _attachment(state, deal_id, attachment_id)
    state.store(Entity.deal_products).remove(attachment_id)
    _revalue(state, deal, now)


def on_deal(state: AccountState, deal_id: int) -> Iterator[dict[str, Any]]:
    return (r for r in state.store(Entity.deal_products).after(0) if r["deal_id"] == deal_id)


def drop_with_deal(state: AccountState, deal_id: int) -> None:
    """A deleted deal takes its products with it."""
    store = state.store(Entity.deal_products)
    for record in list(on_deal(state, deal_id)):
        store.remove(record["id"])


def _finish(state: AccountState, record: dict[str, Any], deal: dict[str, Any], now: str) -> None:
    product = state.store(Entity.products).get(record["product_id"])
    assert product is not None  # the validator checked it exists
    record["name"] = product["name"]
    record["currency"] = deal["currency"]
    record["sum"] = line_sum(record)
    record["update_time"] = now


def _revalue(state: AccountState, deal: dict[str, Any], now: str) -> None:
    lines = list(on_deal(state, deal["id"]))
    if lines:
        deal["value"] = round(sum(line["sum"] for line in lines), 2)
        deal["update_time"] = now


def _deal(state: AccountState, deal_id: int) -> dict[str, Any]:
    deal = state.store(Entity.deals).get(deal_id)
    if deal is None:
        raise NotFound("Deal not found.")
    return deal


def _attachment(state: AccountState, deal_id: int, attachment_id: int) -> dict[str, Any]:
    record = state.store(Entity.deal_products).get(attachment_id)
    if record is None or record["deal_id"] != deal_id:
        raise NotFound("Deal product not found.")
    return record


# --- routes ------------------------------------------------------------------------------------


def routes(context: Context) -> list[Route]:
    def route(method: str, path: str, handler: Callable[[Call], Any]) -> Route:
        endpoint = operation(context, method, "v2", path, handler)
        typed = path.replace("{id}", "{id:int}").replace(
            "{product_attachment_id}", "{product_attachment_id:int}"
        )
        return Route(PREFIX + typed, endpoint, methods=[method], include_in_schema=False)

    one = "/deals/{id}/products/{product_attachment_id}"
    return [
        route("GET", "/deals/products", list_of_deals),
        route("GET", "/deals/{id}/products", list_of_deal),
        route("POST", "/deals/{id}/products", add_to_deal),
        route("PATCH", one, change_on_deal),
        route("DELETE", one, remove_from_deal),
    ]


def _page(call: Call, keep: Callable[[dict[str, Any]], bool]) -> Reply:
    params = call.request.query_params
    _refuse_unknown(params, {"cursor", "limit", "sort_by", "sort_direction", "deal_ids"})
    if params.get("sort_by", "id") != "id" or params.get("sort_direction", "asc") != "asc":
        raise BadRequest("This emulator lists deal products in id order only.")
    store = call.state.store(Entity.deal_products)
    page, next_cursor = cursor_page(params, store.after, keep)
    data = [render.v2_record(SPEC, record) for record in page]
    return Reply({"success": True, "data": data, "additional_data": {"next_cursor": next_cursor}})


def _refuse_unknown(params: Any, known: set[str]) -> None:
    unknown = sorted(set(params) - known - {"api_token"})
    if unknown:
        raise BadRequest(f"Unknown parameter: {unknown[0]}.")


async def list_of_deals(call: Call) -> Reply:
    text = call.request.query_params.get("deal_ids", "")
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(p.isdigit() for p in parts) or len(parts) > MAX_DEAL_IDS:
        raise BadRequest(f"deal_ids must be 1 to {MAX_DEAL_IDS} comma-separated deal ids.")
    wanted = {int(p) for p in parts}
    return _page(call, lambda record: record["deal_id"] in wanted)


async def list_of_deal(call: Call) -> Reply:
    if "deal_ids" in call.request.query_params:
        raise BadRequest("Unknown parameter: deal_ids.")
    deal_id = _deal(call.state, call.path_params["id"])["id"]
    return _page(call, lambda record: record["deal_id"] == deal_id)


async def add_to_deal(call: Call) -> Reply:
    record = add(call.state, call.path_params["id"], await call.json(), call.now)
    return Reply({"success": True, "data": render.v2_record(SPEC, record)}, 201)


async def change_on_deal(call: Call) -> Reply:
    deal_id, attachment_id = call.path_params["id"], call.path_params["product_attachment_id"]
    record = change(call.state, deal_id, attachment_id, await call.json(), call.now)
    return Reply({"success": True, "data": render.v2_record(SPEC, record)})


async def remove_from_deal(call: Call) -> Reply:
    attachment_id = call.path_params["product_attachment_id"]
    remove(call.state, call.path_params["id"], attachment_id, call.now)
    return Reply({"success": True, "data": {"id": attachment_id}})
