"""The HubSpot source against its emulator: every entity as HubSpot holds the reference company,
the hard cases mapped right, bad tokens, 429s, pages and resumption."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from adapters.core.canonical import LINK_FIELDS, LIST_LINK_FIELDS, Entity, File, Record
from adapters.core.errors import AuthFailed
from adapters.hubspot.attached import carrier_note_id
from adapters.hubspot.getters import retry_after
from adapters.hubspot.held import unit_discount
from adapters.hubspot.render import SINGULAR, engagement_ids, hid
from adapters.hubspot.source import PERSONS, SPEC
from adapters.reference.dataset import generate
from tests.adapters.hubspot.support import (
    SIZE,
    FakeClock,
    new_emulator,
    new_source,
    raw_client,
)
from tests.adapters.sources import extract_records

HELD = new_emulator().held(generate(size=SIZE, seed=0))
ENGAGEMENTS = {ref: f"{SINGULAR[kind]}:{i}" for ref, (kind, i) in engagement_ids(HELD).items()}


@pytest.fixture(scope="module")
def emulator() -> Any:
    return new_emulator()


def _id(record: Record, entity: Entity) -> str | None:
    if entity is Entity.activities:
        return ENGAGEMENTS[record.source_id]
    if isinstance(record, File):  # an attachment: of the engagement it hangs on, and the file's
        on = ENGAGEMENTS.get(record.activity_source_id or "")
        return f"{on or 'note:' + carrier_note_id(record)}:{hid(record.source_id)}"
    return hid(record.source_id)


def _expected(record: Record, entity: Entity) -> dict[str, Any]:
    """A held record with its ids turned into HubSpot's and its custom values by label."""
    data = record.model_dump()
    for key, value in data.items():
        if value and key == "source_id":
            data[key] = _id(record, entity)
        elif value and key == "activity_source_id":
            data[key] = ENGAGEMENTS[value]
        elif value and (key in LINK_FIELDS or key == "content_ref"):
            data[key] = hid(value)
        elif key in LIST_LINK_FIELDS:
            data[key] = [hid(v) for v in value]
    if "custom_fields" in data:
        names = {f.key: f.name for f in HELD.custom_fields if f.entity is entity}
        data["custom_fields"] = {names[k]: v for k, v in data["custom_fields"].items()}
    return data


async def test_every_entity_arrives_as_hubspot_holds_it(emulator: Any) -> None:
    source = new_source(emulator)
    fields = {(f.entity, f.key): f.name for f in await source.custom_fields()}
    # Every entity HubSpot holds some of is read (leads and files too).
    assert {e for e in Entity if HELD.records(e)} <= set(source.entities)
    assert {Entity.leads, Entity.files} <= set(source.entities)
    for entity in source.entities:
        got = {}
        for record in await extract_records(source, entity):
            data = record.model_dump()
            if "custom_fields" in data:
                data["custom_fields"] = {
                    fields[(entity, k)]: v for k, v in data["custom_fields"].items()
                }
            got[record.source_id] = data
        want = [_expected(record, entity) for record in HELD.records(entity)]
        assert got == {data["source_id"]: data for data in want}, entity


async def test_field_definitions_are_the_held_ones(emulator: Any) -> None:
    source = new_source(emulator)
    got = sorted(
        (f.entity, f.name, f.field_type, tuple(f.options)) for f in await source.custom_fields()
    )
    want = sorted((f.entity, f.name, f.field_type, tuple(f.options)) for f in HELD.custom_fields)
    assert got == want
    assert source.skipped_fields == []


async def test_hard_cases(emulator: Any) -> None:
    source = new_source(emulator)
    persons = {p.name: p for p in await extract_records(source, Entity.persons)}
    p1 = persons["Zażółć Gęślą-Jaźń 🚀"]
    assert [e.value for e in p1.emails] == [
        "zazolc.gesla-jazn@example.pl",  # `email`, then `hs_additional_emails`
        "zazolc@example.com",
        "z.jazn@example.de",
    ]
    assert p1.emails[0].primary and p1.org_source_id == hid("o3")
    assert p1.owner_source_id == hid("u1")
    assert persons["山田 太郎"].first_name == "山田"  # family name first, as written
    custom = {f.key: f for f in await source.custom_fields()}
    assert p1.custom_fields["interests"] and isinstance(p1.custom_fields["budget"], float)
    assert custom["interests"].field_type == "set" and custom["language"].field_type == "enum"

    deals = {d.source_id: d for d in await extract_records(source, Entity.deals)}
    d1, d2, d3 = (deals[hid(f"d{i}") or ""] for i in (1, 2, 3))
    assert (d1.status, d1.stage_source_id) == ("won", hid("s5"))  # the stage it was won from
    assert d1.won_time and d1.won_time == HELD.deals[0].won_time
    assert (d2.status, d2.lost_reason) == ("lost", "Zu teuer")
    assert d3.person_source_id is None and d3.org_source_id == hid("o2")
    assert len(d1.custom_fields) == 8

    activities = {a.source_id: a for a in await extract_records(source, Entity.activities)}
    a3 = activities[ENGAGEMENTS["a3"]]
    # 23:30 UTC on the 20th is the 21st in Tokyo: the UTC date is kept.
    assert (a3.due_date, a3.due_time, a3.type) == ("2026-01-20", "23:30", "call")
    assert activities[ENGAGEMENTS["a5"]].type == "lunch"
    assert activities[ENGAGEMENTS["a6"]].due_time == "00:00"  # an all-day e-mail task
    # Calls and tasks number their ids apart: prefixes keep them unique.
    assert len({i.split(":")[1] for i in activities}) < len(activities)

    notes = {n.source_id: n for n in await extract_records(source, Entity.notes)}
    n1 = notes[hid("n1") or ""]
    assert len(n1.content) == 65_536 and n1.deal_source_id == hid("d1")

    products = {p.code: p for p in await extract_records(source, Entity.products)}
    prices = {(p.currency, p.price) for p in products["SKU-00001"].prices}
    assert prices == {("EUR", 1188.0), ("PLN", 5108.4)}


async def test_d1s_line_items_arrive_in_one_request_as_hubspot_holds_them(emulator: Any) -> None:
    source = new_source(emulator)
    await source.custom_fields()  # the property catalogues, read once per session
    before = source.client.stats.requests
    items = await extract_records(source, Entity.deal_products)
    assert source.client.stats.requests - before == 1  # every deal's, deals associated
    d1 = [i for i in items if i.deal_source_id == hid("d1")]
    got = [(i.quantity, i.item_price, i.discount, i.discount_type, i.tax) for i in d1]
    assert got == [
        (2.5, 1200.0, 10.0, "percentage", 23.0),
        (3.0, 850.0, 150.0, "amount", 0.0),  # `discount` 50 a unit, times 3
        (1.0, 43400.0, 0.0, "percentage", 0.0),
    ]
    assert d1[0].comments == "Rabat uzgodniony – „pakiet”"
    assert d1[0].product_source_id == hid("pr1")
    async with raw_client(emulator) as client:
        params = {"properties": "discount,amount,tax", "associations": "line_items"}
        line = await client.get(f"/crm/v3/objects/line_items/{d1[1].source_id}", params=params)
        deal = await client.get(f"/crm/v3/objects/deals/{hid('d1')}", params=params)
    assert {"discount": "50", "amount": "2400"}.items() <= line.json()["properties"].items()
    linked = deal.json()["associations"]["line_items"]["results"]
    assert [r["id"] for r in linked] == [i.source_id for i in d1]
    assert {r["type"] for r in linked} == {"deal_to_line_item"}


def test_an_amount_off_a_line_is_held_as_whole_cents_a_unit() -> None:
    item = HELD.deal_products[1].model_copy(update={"discount": 100.0, "quantity": 3.0})
    company = dataclasses.replace(HELD, deal_products=[item])
    [kept] = new_emulator().held(company).deal_products
    assert (unit_discount(kept), kept.discount) == (33.33, 99.99)


async def test_a_bad_token_is_auth_failed(emulator: Any) -> None:
    with pytest.raises(AuthFailed):
        await new_source(emulator, token="pat-eu1-wrong").check()


async def test_a_429_is_waited_out_for_the_ten_second_window() -> None:
    clock = FakeClock()
    emulator = new_emulator(clock, burst=3)
    async with raw_client(emulator) as client:
        for _ in range(3):
            await client.get("/crm/v3/owners")
    source = new_source(emulator, clock)
    users = await extract_records(source, Entity.users)
    assert len(users) == 6
    assert source.client.stats.rate_limited >= 1
    assert clock.slept[0] == 10.0  # from X-HubSpot-RateLimit-Interval-Milliseconds


async def test_pages_cross_several_and_resume_from_a_cursor(emulator: Any) -> None:
    paginator = dataclasses.replace(PERSONS.paginator, limit=7)
    small = dataclasses.replace(PERSONS, paginator=paginator)
    spec = dataclasses.replace(
        SPEC, streams=tuple(small if s is PERSONS else s for s in SPEC.streams)
    )
    source = new_source(emulator, spec=spec)
    pages = [page async for page in source.extract(Entity.persons)]
    assert len(pages) == 5  # 30 contacts, 7 a page
    resumed = await extract_records(source, Entity.persons, pages[1].next_cursor)
    seen = [item.record.source_id for page in pages[:2] for item in page.items]
    assert len(seen + [r.source_id for r in resumed]) == SIZE
    assert set(seen).isdisjoint(r.source_id for r in resumed)


async def test_activities_resume_in_the_next_engagement_type(emulator: Any) -> None:
    source = new_source(emulator)
    pages = [page async for page in source.extract(Entity.activities)]
    resumed = await extract_records(source, Entity.activities, pages[0].next_cursor)
    assert [r.source_id for r in resumed] == [
        i.record.source_id for page in pages[1:] for i in page.items
    ]
    assert all(not r.source_id.startswith("call:") for r in resumed)


async def test_the_account_check_names_the_portal(emulator: Any) -> None:
    source = new_source(emulator)
    info = await source.check()
    assert info.account["company_currency"] == "EUR" and info.account["portal_id"]
    # HubSpot's lists give no total: none is read to count it (counted as it is extracted).
    assert info.counts == {} and source.client.stats.requests == 1
    await source.aclose()


def test_a_spent_daily_limit_waits_until_midnight_not_ten_seconds() -> None:
    daily = httpx.Response(429, json={"errorType": "RATE_LIMIT", "policyName": "DAILY"})
    burst = httpx.Response(429, json={"policyName": "TEN_SECONDLY_ROLLING"})
    wait = retry_after(daily)
    assert wait is not None and 0 < wait <= 86_400
    assert retry_after(burst) == 10.0  # no interval header: HubSpot's ten-second window


async def test_companies_contacts_and_deals_keep_their_createdate(emulator: Any) -> None:
    """`createdate` is rendered from the reference's creation time and read back as add_time."""
    reference = generate(size=SIZE, seed=0)
    source = new_source(emulator)
    for entity, ref_id in (
        (Entity.organizations, "o1"),
        (Entity.persons, "p1"),
        (Entity.deals, "d1"),
    ):
        original = next(r for r in reference.records(entity) if r.source_id == ref_id).add_time
        got = {r.source_id: r for r in await extract_records(source, entity)}[hid(ref_id)]
        assert original is not None
        assert got.add_time == original, entity
    async with raw_client(emulator) as client:
        body = (await client.get(f"/crm/v3/objects/deals/{hid('d1')}")).json()
    d1 = next(d for d in reference.deals if d.source_id == "d1")
    assert body["properties"]["createdate"] == d1.add_time.replace("Z", ".000Z")
    assert body["createdAt"] == body["properties"]["createdate"]
