"""Deal products in the Pipedrive target, against the emulator: written under their deal, the
deal's value following them, changed and deleted under the same deal, found again after a lost
answer, listed for undo by their deals, and priced as the spec prices them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.core.canonical import Entity
from adapters.core.errors import RecordRejected
from adapters.core.protocols import PendingWrite
from adapters.pipedrive.client import PipedriveClient
from adapters.pipedrive.emulator import PipedriveEmulator
from adapters.pipedrive.source import pipedrive_source
from adapters.pipedrive.target import PipedriveTarget
from adapters.reference.dataset import generate
from tests.adapters.pipedrive.test_source_target import Sandbox, SharedClock
from tests.adapters.pipedrive.test_target_writes import TOKEN, new_target, sandbox  # noqa: F401
from tests.adapters.sources import extract_records


async def deal_and_product(target: PipedriveTarget) -> tuple[int, int]:
    pipeline = await target.create(Entity.pipelines, {"name": "Sales"})
    await target.create(Entity.stages, {"name": "New", "pipeline_id": pipeline.id})
    deal = await target.create(
        Entity.deals, {"title": "Rollout", "value": 100.0, "currency": "EUR"}
    )
    product = await target.create(Entity.products, {"name": "Licence"})
    return deal.id, product.id


def line(deal_id: int | None, product_id: int, **extra: Any) -> dict[str, Any]:
    body = {"deal_id": deal_id, "product_id": product_id, "item_price": 1200.0, "quantity": 2.5}
    return {**body, "discount": 10.0, "discount_type": "percentage", "tax": 23.0, **extra}


async def deal_value(target: PipedriveTarget, deal_id: int) -> float:
    return float((await target.client.get_v2(f"/deals/{deal_id}"))["value"])


async def lines_of(target: PipedriveTarget, deal_id: int) -> list[dict[str, Any]]:
    return [
        i async for page in target.client.iter_v2(f"/deals/{deal_id}/products") for i in page.items
    ]


async def test_a_line_item_is_written_under_its_deal_and_sets_its_value(
    sandbox: Sandbox,  # noqa: F811
) -> None:
    target = new_target(sandbox)
    deal_id, product_id = await deal_and_product(target)
    written = await target.create(
        Entity.deal_products, line(deal_id, product_id, comments="Zażółć")
    )
    assert target.parent_of(Entity.deal_products, line(deal_id, product_id)) == deal_id
    [stored] = await lines_of(target, deal_id)
    assert stored["id"] == written.id and stored["comments"] == "Zażółć"
    assert (stored["quantity"], stored["item_price"], stored["discount"]) == (2.5, 1200.0, 10.0)
    assert await deal_value(target, deal_id) == 2700.0  # 2.5 x 1200 less 10 %

    await target.update(Entity.deal_products, written.id, line(deal_id, product_id, quantity=1.0))
    assert await deal_value(target, deal_id) == 1080.0
    assert await target.delete(Entity.deal_products, written.id, deal_id) is True
    assert await target.delete(Entity.deal_products, written.id, deal_id) is False
    assert await lines_of(target, deal_id) == []


async def test_a_line_item_without_its_deal_or_product_is_refused_before_any_request(
    sandbox: Sandbox,  # noqa: F811
) -> None:
    target = new_target(sandbox)
    _, product_id = await deal_and_product(target)
    before = target.client.stats.requests
    with pytest.raises(RecordRejected) as refused:
        await target.create(Entity.deal_products, line(None, product_id))
    assert refused.value.code == "missing_parent"
    with pytest.raises(RecordRejected):
        await target.delete(Entity.deal_products, 1)  # no deal to find it under
    assert target.client.stats.requests == before


async def test_a_line_item_whose_answer_was_lost_is_found_under_its_deal(
    sandbox: Sandbox,  # noqa: F811
) -> None:
    target = new_target(sandbox)
    deal_id, product_id = await deal_and_product(target)
    attempted = datetime.fromtimestamp(sandbox.clock.now - 1, UTC)
    made = await target.create(Entity.deal_products, line(deal_id, product_id))
    other = line(deal_id, product_id, quantity=7.0)  # sent, never made
    fresh = PipedriveTarget(sandbox.client("w", TOKEN))  # a new worker, no memory
    pending = [
        PendingWrite("dp1", line(deal_id, product_id), attempted),
        PendingWrite("dp2", other, attempted),
    ]
    result = await fresh.reconcile(Entity.deal_products, pending, set())
    assert result.found == {"dp1": made.id} and not result.ambiguous
    times = await fresh.updated_times(
        Entity.deal_products, {made.id}, attempted, frozenset({deal_id})
    )
    assert set(times) == {made.id} and times[made.id]


def test_line_items_cost_what_the_spec_says(sandbox: Sandbox) -> None:  # noqa: F811
    target = new_target(sandbox)
    assert target.write_cost(Entity.deal_products, "create") == 5
    assert target.write_cost(Entity.deal_products, "update") == 5


async def test_the_source_reads_every_line_item_a_hundred_deals_a_request() -> None:
    clock = SharedClock()
    emulator = PipedriveEmulator(clock=clock)
    emulator.create_account("big", api_token="t", dataset="reference", size=300)
    paths: Counter[str] = Counter()

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            paths[scope["path"]] += 1
        await emulator.app(scope, receive, send)

    client = PipedriveClient(
        "t", "http://sandbox/big", transport=httpx.ASGITransport(app=counted), sleep=clock.sleep
    )
    source = pipedrive_source(client, count_records=False)
    held = generate(size=300, seed=0)
    records = await extract_records(source, Entity.deal_products)
    assert len({r.source_id for r in records}) == len(records) == len(held.deal_products)
    # 200 deals (a few archived): ids listed, then /deals/products twice for the open ones
    # and once for the archived; no request per deal.
    assert paths["/big/api/v2/deals/products"] == 3, paths
