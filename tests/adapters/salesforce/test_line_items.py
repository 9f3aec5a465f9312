"""Salesforce line items: OpportunityLineItem read in one SOQL query, as the org holds them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.canonical import Entity
from adapters.reference.dataset import generate
from adapters.salesforce.records import ref_id
from tests.adapters.salesforce.test_salesforce import (
    BASE,
    by_id,
    make_org,
    read_all,
    source_for,
)

API = "/services/data/v64.0"


@pytest.fixture
async def org() -> Any:
    emulator, credentials = make_org()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url=BASE
    ) as client:
        answer = await client.post(
            "/services/oauth2/token", data={"grant_type": "refresh_token", **credentials}
        )
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield emulator, credentials, client


async def soql(client: httpx.AsyncClient, text: str, **headers: str) -> Any:
    return await client.get(f"{API}/query", params={"q": text}, headers=headers)


async def test_d1_lines_keep_quantity_price_and_discount_but_no_tax(org: Any) -> None:
    emulator, credentials, _ = org
    source = source_for(emulator, credentials)
    try:
        lines = await read_all(source, Entity.deal_products)
        deals = by_id(await read_all(source, Entity.deals))
    finally:
        await source.aclose()
    d1 = ref_id("Opportunity", "d1")
    mine = [line for line in lines if line.deal_source_id == d1]
    assert len(mine) == 3  # the last takes what the others leave of the deal's value
    products = [ref_id("Product2", "pr1"), ref_id("Product2", "pr2")]
    assert [line.product_source_id for line in mine[:2]] == products
    first, second, _ = mine
    assert (first.quantity, first.item_price, first.discount) == (2.5, 1200.0, 10.0)
    assert first.discount_type == "percentage" and first.tax == 0.0  # no tax on a line
    assert first.comments == "Rabat uzgodniony – „pakiet”"
    # 3 × 850 less 150: Discount is a percent only, so the amount off is in the sales price.
    assert (second.quantity, second.item_price, second.discount) == (3.0, 800.0, 0.0)
    assert second.comments is None
    assert deals[d1].value == 48_500.0 == sum(line.sum for line in mine)


async def test_every_line_arrives_as_the_org_holds_it(org: Any) -> None:
    emulator, credentials, _ = org
    source = source_for(emulator, credentials)
    try:
        lines = await read_all(source, Entity.deal_products)
    finally:
        await source.aclose()
    held = emulator.held(generate(size=30, seed=0)).deal_products
    links = {"source_id": "OpportunityLineItem", "deal_source_id": "Opportunity",
             "product_source_id": "Product2"}  # fmt: skip
    want = [
        {**line.model_dump(), **{k: ref_id(o, getattr(line, k)) for k, o in links.items()}}
        for line in held
    ]
    assert held and len(lines) == len(held)
    assert {r.source_id: r.model_dump() for r in lines} == {w["source_id"]: w for w in want}


async def test_amount_is_the_lines_total_and_a_line_links_its_price_book_entry(org: Any) -> None:
    _, _, client = org
    d1 = ref_id("Opportunity", "d1")
    answer = await soql(
        client,
        "SELECT Id, Amount, Pricebook2.IsStandard, HasOpportunityLineItem, (SELECT Quantity, "
        "UnitPrice, Discount, TotalPrice, ListPrice, PricebookEntry.IsActive, "
        f"PricebookEntry.CurrencyIsoCode FROM OpportunityLineItems ORDER BY SortOrder) "
        f"FROM Opportunity WHERE Id = '{d1}'",
    )
    assert answer.status_code == 200, answer.text
    opportunity = answer.json()["records"][0]
    assert opportunity["HasOpportunityLineItem"] and opportunity["Pricebook2"]["IsStandard"]
    items = opportunity["OpportunityLineItems"]["records"]
    assert opportunity["Amount"] == sum(i["TotalPrice"] for i in items) == 48_500.0
    assert (items[0]["Discount"], items[0]["TotalPrice"]) == (10.0, 2700.0)
    assert items[1]["Discount"] is None and items[1]["ListPrice"] is not None
    assert {i["PricebookEntry"]["CurrencyIsoCode"] for i in items} == {"PLN"}
    # A product without a PLN price went through an entry no longer active, which the
    # products' prices (active standard entries) leave out.
    assert [i["PricebookEntry"]["IsActive"] for i in items[:2]] == [True, False]


async def test_there_is_no_tax_field_and_unknown_fields_are_refused(org: Any) -> None:
    _, _, client = org
    answer = await soql(client, "SELECT Id, Tax FROM OpportunityLineItem")
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "INVALID_FIELD"


async def test_every_line_is_read_to_the_end_across_batches() -> None:
    emulator, credentials = make_org(size=400)
    source = source_for(emulator, credentials, **{"Sforce-Query-Options": "batchSize=200"})
    try:
        total = (await source.check()).counts[Entity.deal_products.value]
        pages = [page async for page in source.extract(Entity.deal_products)]
    finally:
        await source.aclose()
    assert total > 200 and len(pages) == 2  # one SOQL query, followed by its nextRecordsUrl
    assert sum(len(p.items) for p in pages) == total
