"""The Zoho source against the emulator, in-process: every entity read back as Zoho holds the
reference company, the hard cases right, auth failures, 429s, pages and checkpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.core.canonical import Entity
from adapters.core.errors import AuthFailed
from adapters.zoho.settings import zoho_id
from tests.adapters.sources import extract_records
from tests.adapters.zoho.support import (
    FakeClock,
    ReferenceIds,
    held_company,
    new_account,
    new_source,
)


@pytest.fixture
async def read_back() -> dict[Entity, dict[str, dict[str, Any]]]:
    """Every entity extracted once, keyed by reference id."""
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    ids = ReferenceIds(held_company())
    out = {}
    for entity in source.entities:
        records = [ids.record(r) for r in await extract_records(source, entity)]
        out[entity] = {r["source_id"]: r for r in records}
    await source.aclose()
    return out


async def test_every_entity_reads_back_as_zoho_holds_it(read_back: Any) -> None:
    held = held_company()
    ids = ReferenceIds(held)
    for entity in Entity:
        want = {r.source_id: r.model_dump() for r in held.records(entity)}
        assert set(read_back.get(entity, {})) == set(want), entity
        for source_id, record in want.items():
            got = read_back[entity][source_id]
            if entity is Entity.files:  # where the bytes are: under the record it hangs on
                module, parent, kind, attachment = got["content_ref"].split("/")
                assert (kind, ids.ids[attachment]) == ("Attachments", source_id)
                assert ids.ids[parent] == next(
                    v for k, v in got.items() if k.endswith("_source_id") and k != "source_id" and v
                ), module
                got = {**got, "content_ref": record["content_ref"]}
            if entity is Entity.persons:  # Zoho keeps no labels or primary flags we set
                record["emails"] = sorted(e["value"] for e in record["emails"])
                record["phones"] = sorted(p["value"] for p in record["phones"])
                got = {
                    **got,
                    "emails": sorted(e["value"] for e in got["emails"]),
                    "phones": sorted(p["value"] for p in got["phones"]),
                }
            assert got == record, (entity, source_id)


async def test_hard_cases_read_right(read_back: Any) -> None:
    persons, activities = read_back[Entity.persons], read_back[Entity.activities]
    p1 = persons["p1"]
    assert p1["name"] == "Zażółć Gęślą-Jaźń 🚀"
    assert [e["value"] for e in p1["emails"]] == [
        "zazolc.gesla-jazn@example.pl",
        "zazolc@example.com",
    ]
    assert persons["p3"]["name"] == "山田 太郎" and persons["p3"]["org_source_id"] == "o2"
    assert persons["p2"]["owner_source_id"] == "u6"  # the former employee stays the owner
    # Every custom type, read from o1 (which has them all): labels, numbers, money in its currency.
    o1 = read_back[Entity.organizations]["o1"]["custom_fields"]
    assert {
        "industry",
        "employees",
        "founded",
        "vat_id",
        "about",
        "segments",
        "switchboard",
    } <= set(o1)
    assert isinstance(o1["segments"], list) and isinstance(o1["employees"], float)
    assert set(o1["annual_revenue"]) == {"value", "currency"}
    # 23:30 UTC is 00:30 the next day in the org's zone: the UTC date and time come back.
    assert (activities["a3"]["due_date"], activities["a3"]["due_time"]) == ("2026-01-20", "23:30")
    assert activities["a6"]["due_time"] is None and activities["a6"]["type"] == "task"
    deals = read_back[Entity.deals]
    assert deals["d1"]["status"] == "won" and deals["d2"]["lost_reason"] == "Zu teuer"
    assert deals["d3"]["person_source_id"] is None and deals["d3"]["org_source_id"] == "o2"
    assert deals["d5"]["value"] is None and deals["d5"]["currency"] is None
    notes = read_back[Entity.notes]
    assert len(notes["n1"]["content"]) > 90_000 and notes["n1"]["deal_source_id"] == "d1"
    assert read_back[Entity.users]["u6"]["active"] is False


async def test_p1_o1_and_d1_keep_their_created_time_in_utc(read_back: Any) -> None:
    # Created_Time is in the org's offset (+01:00); add_time comes back as the reference's UTC.
    held = held_company()
    for entity, records, key in (
        (Entity.persons, held.persons, "p1"),
        (Entity.organizations, held.organizations, "o1"),
        (Entity.deals, held.deals, "d1"),
    ):
        want = next(r.add_time for r in records if r.source_id == key)
        assert want and want.endswith("Z")
        assert read_back[entity][key]["add_time"] == want, key


async def test_check_names_the_token_user_and_counts() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    info = await source.check()
    assert info.account["user_email"] == "anna.kowalska@example.pl"
    # `info.count` is a page's count, not a total: no list is read to count it.
    assert info.counts == {} and source.client.stats.requests == 1
    await source.aclose()


async def test_a_refused_refresh_token_is_auth_failed() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, {**credentials, "refresh_token": "1000.wrong.token"})
    with pytest.raises(AuthFailed, match="invalid_code"):
        await source.check()
    await source.aclose()


async def test_a_429_is_waited_out() -> None:
    clock = FakeClock()
    emulator, credentials = new_account(burst=3, clock=clock)
    source = new_source(emulator, credentials, clock=clock)
    persons = await extract_records(source, Entity.persons)
    assert len(persons) == 30 + 3  # the contacts, then a person of each lead's own
    assert source.client.stats.rate_limited >= 1 and clock.slept
    await source.aclose()


async def test_pages_cross_and_resume_from_a_checkpoint() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials, page_size=7)
    pages = [page async for page in source.extract(Entity.persons)]
    # 30 contacts in pages of 7, then the leads' own persons from the Leads list.
    assert len(pages) == 6 and pages[-1].next_cursor is None
    assert [p.next_cursor for p in pages][-2:] == ["1:", None]
    cursor = pages[1].next_cursor
    assert cursor is not None
    resumed = new_source(emulator, credentials, page_size=7)
    rest = await extract_records(resumed, Entity.persons, cursor)
    assert [r.source_id for r in rest] == [i.record.source_id for p in pages[2:] for i in p.items]
    await source.aclose(), await resumed.aclose()


async def test_activities_cross_their_three_modules_and_resume_into_the_next() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    pages = [page async for page in source.extract(Entity.activities)]
    assert [p.next_cursor for p in pages] == ["1:", "2:", None]  # Tasks, Events, Calls
    resumed = await extract_records(source, Entity.activities, "2:")
    assert {r.type for r in resumed} == {"call"}
    await source.aclose()


async def test_an_empty_account_reads_as_empty() -> None:
    emulator, credentials = new_account(dataset="empty")
    source = new_source(emulator, credentials)
    assert await extract_records(source, Entity.deals) == []
    assert len(await extract_records(source, Entity.users)) == 6
    await source.aclose()


async def test_a_delta_read_asks_with_if_modified_since_and_takes_304_as_nothing_new() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    before = datetime(2025, 6, 1, tzinfo=UTC)  # the seeded accounts were all changed after this
    after = datetime(2025, 6, 3, tzinfo=UTC)
    changed = [i async for p in source.extract(Entity.organizations, since=before) for i in p.items]
    later = [i async for p in source.extract(Entity.organizations, since=after) for i in p.items]
    # The ten accounts and the two leads that name a company (an organization of their own);
    # the accounts were last changed before `after`, the leads were made since.
    assert len(changed) == 12
    assert {i.record.source_id for i in later} == {zoho_id("l2"), zoho_id("l3")}
    await source.aclose()


async def test_more_records_than_page_can_reach_arrive_each_once() -> None:
    """`page` stops at 2,000 records (a 400 past them): the source walks `page_token`."""
    size = 2_100
    emulator, credentials = new_account(size=size)
    source = new_source(emulator, credentials)
    persons = await extract_records(source, Entity.persons)
    ids = [p.source_id for p in persons]
    assert len(ids) == len(set(ids)) == size + size // 10  # the contacts and the leads' persons
    await source.aclose()


async def test_d1s_line_items_arrive_as_its_products_related_list_holds_them(
    read_back: Any,
) -> None:
    lines = read_back[Entity.deal_products]
    line = {"deal_source_id": "d1", "discount_type": "amount", "tax": 0.0, "comments": None}
    # 10% of 2.5 x 1,200 kept as an amount; no tax and no comment per line. d1's third line
    # (dp3) is of pr1 again: the related list relates a product to a deal once.
    assert {k: v for k, v in lines.items() if v["deal_source_id"] == "d1"} == {
        "dp1": {
            **line,
            "source_id": "dp1",
            "product_source_id": "pr1",
            "item_price": 1200.0,
            "quantity": 2.5,
            "discount": 300.0,
        },
        "dp2": {
            **line,
            "source_id": "dp2",
            "product_source_id": "pr2",
            "item_price": 850.0,
            "quantity": 3.0,
            "discount": 150.0,
        },
    }


async def test_line_items_take_a_request_per_deal_and_a_product_only_once() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials, page_size=2)
    items = await extract_records(source, Entity.deal_products)
    held = held_company()
    # One relation per (deal, product): a second line of a product on a deal is not held.
    assert len({(i.deal_source_id, i.product_source_id) for i in items}) == len(items)
    assert len(items) == len(held.deal_products)
    # The four modules' field definitions, the deal ids (10 pages of 2), then each deal's
    # list: 2 a page, a 204 after a full one (and for a deal with none).
    per_deal = sum(
        len([i for i in held.deal_products if i.deal_source_id == d.source_id]) // 2 + 1
        for d in held.deals
    )
    assert len(held.deals) == 20 and source.client.stats.requests == 4 + 10 + per_deal
