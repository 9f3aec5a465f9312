"""The Dynamics 365 source against the emulator, in-process: every entity read back as Dataverse
holds the reference company, the hard cases right, auth failures, 429s, pages and checkpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.core.canonical import Entity
from adapters.core.errors import AuthFailed
from adapters.dynamics365.shapes import guid
from adapters.reference.dataset import generate
from tests.adapters.dynamics365.support import (
    FakeClock,
    ReferenceIds,
    held_company,
    new_account,
    new_source,
)
from tests.adapters.sources import extract_records


@pytest.fixture(scope="module")
def read_back() -> dict[Entity, dict[str, dict[str, Any]]]:
    """Every entity extracted once (in small pages), keyed by reference id."""
    import asyncio

    async def run() -> dict[Entity, dict[str, dict[str, Any]]]:
        emulator, credentials = new_account()
        source = new_source(emulator, credentials, page_size=7)
        ids = ReferenceIds(held_company())
        out = {}
        for entity in source.entities:
            records = [ids.record(r) for r in await extract_records(source, entity)]
            out[entity] = {r["source_id"]: r for r in records}
        await source.aclose()
        return out

    return asyncio.run(run())


def test_every_entity_reads_back_as_dynamics_holds_it(read_back: Any) -> None:
    held = held_company()
    for entity in Entity:
        want = {r.source_id: r.model_dump() for r in held.records(entity)}
        assert set(read_back.get(entity, {})) == set(want), entity
        for source_id, record in want.items():
            got = dict(read_back[entity][source_id])
            if entity is Entity.products:  # price-list items come in no particular order
                got["prices"] = sorted(got["prices"], key=lambda p: p["currency"])
                record["prices"] = sorted(record["prices"], key=lambda p: p["currency"])
            assert got == record, (entity, source_id)


def test_hard_cases_read_right(read_back: Any) -> None:
    persons = read_back[Entity.persons]
    p1 = persons["p1"]
    assert p1["name"] == "Zażółć Gęślą-Jaźń 🚀"
    assert [e["value"] for e in p1["emails"]] == [
        "zazolc.gesla-jazn@example.pl",
        "zazolc@example.com",
        "z.jazn@example.de",
    ]
    assert p1["org_source_id"] == "o3" and p1["owner_source_id"] == "u1"
    # fullname follows the org's "First Last" format.
    assert persons["p3"]["name"] == "太郎 山田" and persons["p3"]["org_source_id"] == "o2"
    assert persons["p2"]["owner_source_id"] == "u6"  # the former employee stays the owner
    o1 = read_back[Entity.organizations]["o1"]
    assert o1["address"] and o1["address"].endswith("Deutschland")
    custom = o1["custom_fields"]
    assert isinstance(custom["industry"], str) and isinstance(custom["segments"], list)
    assert isinstance(custom["employees"], float) and len(custom["founded"]) == 10
    assert custom["annual_revenue"]["currency"] in ("EUR", "USD", "PLN")
    deals = read_back[Entity.deals]
    assert deals["d1"]["status"] == "won" and deals["d2"]["lost_reason"] == "Zu teuer"
    assert deals["d3"]["person_source_id"] is None and deals["d3"]["org_source_id"] == "o2"
    assert deals["d5"]["value"] is None and deals["d5"]["currency"] is None
    activities = read_back[Entity.activities]
    a3 = activities["a3"]  # 23:30 UTC stays on its UTC day
    assert (a3["type"], a3["due_date"], a3["due_time"]) == ("call", "2026-01-20", "23:30")
    assert activities["a5"]["type"] == "meeting" and activities["a5"]["deal_source_id"] == "d3"
    assert activities["a6"]["type"] == "email" and activities["a6"]["deal_source_id"] == "d2"
    assert len(read_back[Entity.notes]["n1"]["content"]) == 100_000


def test_activities_on_a_deal_keep_who_they_are_with(read_back: Any) -> None:
    """Regarding names the deal; the contact and account come from the activity parties."""
    activities = read_back[Entity.activities]
    a1, a5, a6 = activities["a1"], activities["a5"], activities["a6"]
    assert (a1["deal_source_id"], a1["person_source_id"], a1["org_source_id"]) == ("d1", "p1", "o3")
    assert (a5["deal_source_id"], a5["person_source_id"], a5["org_source_id"]) == ("d3", None, "o2")
    assert (a6["deal_source_id"], a6["person_source_id"]) == ("d2", "p2")
    # A call regarding a person names the person's organization as a party too.
    assert (activities["a3"]["person_source_id"], activities["a3"]["org_source_id"]) == ("p3", "o2")
    held = {a.source_id: a for a in held_company().activities}
    on_deals = [a for a in held.values() if a.deal_source_id and a.type != "task"]
    assert on_deals and all(
        activities[a.source_id]["person_source_id"] == a.person_source_id for a in on_deals
    )
    # A task has no party list: on a deal it is linked to the deal only.
    tasks = [a for a in held.values() if a.type == "task" and a.deal_source_id]
    assert tasks and all(
        (activities[t.source_id]["person_source_id"], activities[t.source_id]["org_source_id"])
        == (None, None)
        for t in tasks
    )


def test_d1_line_items_as_dataverse_keeps_them(read_back: Any) -> None:
    """The 10% discount arrives as the 300.00 it takes off, the 621.00 tax as 23%; the lines
    before tax add up to the deal's value."""
    lines = read_back[Entity.deal_products]
    dp1, dp2 = lines["dp1"], lines["dp2"]
    assert (dp1["deal_source_id"], dp1["product_source_id"]) == ("d1", "pr1")
    assert (dp1["item_price"], dp1["quantity"], dp1["discount"], dp1["tax"]) == (
        1200.0,
        2.5,
        300.0,
        23.0,
    )
    assert dp1["discount_type"] == "amount" and dp1["comments"] == "Rabat uzgodniony – „pakiet”"
    assert (dp2["quantity"], dp2["discount"], dp2["discount_type"], dp2["tax"]) == (
        3.0,
        150.0,
        "amount",
        0.0,
    )
    on_d1 = [r for r in lines.values() if r["deal_source_id"] == "d1"]
    total = sum(r["item_price"] * r["quantity"] - r["discount"] for r in on_d1)
    assert round(total, 2) == read_back[Entity.deals]["d1"]["value"]


def test_o1_p1_d1_keep_their_createdon(read_back: Any) -> None:
    """createdon, served in UTC to the second, arrives as the reference's original add_time."""
    reference = generate(size=30, seed=0)
    for entity, key in ((Entity.organizations, "o1"), (Entity.persons, "p1"), (Entity.deals, "d1")):
        original = next(r for r in reference.records(entity) if r.source_id == key).add_time
        assert original and original < "2026-01-15"
        assert read_back[entity][key]["add_time"] == original, entity


async def test_line_items_are_one_list_in_pages() -> None:
    """One opportunityproducts list, page after page, never a request per opportunity."""
    emulator, credentials = new_account()
    source = new_source(emulator, credentials, page_size=6)
    pages = [page async for page in source.extract(Entity.deal_products)]
    count = len(held_company().deal_products)
    assert len(pages) == -(-count // 6) > 1 and sum(len(p.items) for p in pages) == count
    await source.aclose()


async def test_write_in_lines_are_left_out() -> None:
    """A write-in product names no product record: there is nothing to link the line to."""
    emulator, credentials = new_account()
    rows = emulator.account_of("acme").tables["opportunityproducts"]
    write_in = {
        "_productid_value": None,
        "isproductoverridden": True,
        "productdescription": "Travel",
    }
    rows.append({**rows[0], **write_in, "opportunityproductid": guid("write-in")})
    source = new_source(emulator, credentials)
    lines = await extract_records(source, Entity.deal_products)
    assert len(lines) == len(rows) - 1 and guid("write-in") not in {r.source_id for r in lines}
    await source.aclose()


async def test_parties_come_with_the_activity_pages() -> None:
    """One request per page of activities, not one per activity for its parties."""
    emulator, credentials = new_account()
    source = new_source(emulator, credentials, page_size=500)
    await extract_records(source, Entity.persons)  # reads the field catalogs once
    before = source.client.stats.requests
    activities = await extract_records(source, Entity.activities)
    assert len(activities) == len(held_company().records(Entity.activities))
    assert source.client.stats.requests - before <= 4  # tasks, phonecalls, appointments, emails
    await source.aclose()


async def test_check_names_the_app_user_and_reads_no_list() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    info = await source.check()
    assert info.account["user_id"] and info.account["organization_id"]
    # No list is read to count it (no total is asked for): counted as it is extracted.
    assert info.counts == {} and source.client.stats.requests == 1
    await source.aclose()


async def test_wrong_secret_is_auth_failed() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, {**credentials, "client_secret": "nope"})
    with pytest.raises(AuthFailed, match="AADSTS7000215"):
        await source.check()
    await source.aclose()


async def test_wrong_tenant_is_auth_failed() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, {**credentials, "tenant_id": "other"})
    with pytest.raises(AuthFailed):
        await source.check()
    await source.aclose()


async def test_429_is_waited_out() -> None:
    clock = FakeClock()
    emulator, credentials = new_account(burst=3, clock=clock)
    source = new_source(emulator, credentials, page_size=5, clock=clock)
    persons = await extract_records(source, Entity.persons)
    assert len(persons) == len(held_company().persons)
    assert clock.slept and source.client.stats.rate_limited >= 1
    await source.aclose()


async def test_pages_resume_from_a_checkpoint() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials, page_size=4)
    pages = [page async for page in source.extract(Entity.persons)]
    # 8 pages of contacts, then one (empty) of the leads that are persons of their own.
    assert len(pages) == 9 and pages[-1].next_cursor is None and not pages[-1].items
    cursor = pages[2].next_cursor
    assert cursor and "$skiptoken" in cursor
    rest = await extract_records(source, Entity.persons, cursor)
    assert [r.source_id for r in rest] == [i.record.source_id for p in pages[3:] for i in p.items]
    await source.aclose()


async def test_changed_since_reads_only_later_records() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    since = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)  # the last 11 of 30 persons
    changed = await extract_records(source, Entity.persons, since=since)
    assert 0 < len(changed) < len(held_company().persons)
    await source.aclose()
