"""Past Close's `_skip` ceiling: the emulator refuses it as Close does, and the source reads
whole lists anyway (Advanced Filtering cursors for leads and contacts, creation-time windows
for the others)."""

from __future__ import annotations

import time

import httpx
import pytest

from adapters.close.emulator import CloseEmulator
from adapters.close.render import close_id
from adapters.core.canonical import Entity
from adapters.reference.dataset import generate
from tests.adapters.close.support import (
    API_KEY,
    FakeClock,
    as_extracted,
    extract_all,
    held_company,
    new_emulator,
    new_source,
)
from tests.adapters.sources import extract_records

ROOT = "http://sandbox/acme/api/v1"
BIG = 12_000  # persons: more contacts than `_skip` can reach


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def http(emulator: CloseEmulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), auth=(API_KEY, ""))


async def test_a_skip_past_the_ceiling_is_closes_400(clock: FakeClock) -> None:
    async with http(new_emulator(clock)) as client:
        at_cap = await client.get(f"{ROOT}/contact/", params={"_skip": 10_000})
        assert at_cap.status_code == 200 and at_cap.json()["data"] == []
        past = await client.get(f"{ROOT}/contact/", params={"_skip": 10_001})
        assert past.status_code == 400
        assert past.json() == {"errors": ["_skip: the maximum is 10000"], "field-errors": {}}


async def test_the_search_pages_with_a_cursor_and_names_its_fields(clock: FakeClock) -> None:
    query = {"type": "and", "queries": [{"type": "object_type", "object_type": "contact"}]}
    seen: list[str] = []
    async with http(new_emulator(clock)) as client:
        body = {"query": query, "_fields": {"contact": ["id", "name"]}, "_limit": 12}
        cursor = None
        while True:
            page = await client.post(f"{ROOT}/data/search/", json={**body, "cursor": cursor})
            assert page.status_code == 200, page.text
            answer = page.json()
            assert all(set(r) == {"id", "name"} for r in answer["data"])
            seen += [r["id"] for r in answer["data"]]
            cursor = answer["cursor"]
            if cursor is None:
                break
        bare = await client.post(f"{ROOT}/data/search/", json={"query": query["queries"][0]})
        assert set(bare.json()["data"][0]) == {"__object_type", "id"}
        for bad in ({"query": {"type": "object_type", "object_type": "deal"}},
                    {"query": query, "_limit": 201}, {"query": query, "cursor": "nope"}):  # fmt: skip
            refused = await client.post(f"{ROOT}/data/search/", json=bad)
            assert refused.status_code == 400 and set(refused.json()) == {"errors", "field-errors"}
    assert len(seen) == len(set(seen)) == 30


async def test_timelines_filter_on_date_created_newest_first(clock: FakeClock) -> None:
    async with http(new_emulator(clock)) as client:
        notes = (await client.get(f"{ROOT}/activity/note/")).json()["data"]
        stamps = [n["date_created"] for n in notes]
        assert stamps == sorted(stamps, reverse=True)
        middle = stamps[10]
        older = await client.get(f"{ROOT}/activity/note/", params={"date_created__lte": middle})
        assert [n["id"] for n in older.json()["data"]] == [n["id"] for n in notes[10:]]
        oldest_first = await client.get(
            f"{ROOT}/opportunity/", params={"_order_by": "date_created"}
        )
        opportunities = oldest_first.json()
        assert opportunities["total_results"] == 20
        times = [o["date_created"] for o in opportunities["data"]]
        assert times == sorted(times)
        assert (
            await client.get(f"{ROOT}/contact/", params={"date_created__gt": middle})
        ).status_code == 400


async def test_every_list_reads_whole_past_a_low_ceiling(clock: FakeClock) -> None:
    """The same company as the other tests, with the ceiling at 5: every list is longer."""
    emulator = new_emulator(clock)
    emulator.max_skip = 5
    source = new_source(emulator, clock, page_size=4)
    held = held_company()
    for entity in Entity:
        got = sorted(await extract_all(source, entity), key=lambda r: r["source_id"])
        want = sorted(as_extracted(held, entity), key=lambda r: r["source_id"])
        assert got == want, entity
    info = await source.check()
    assert info.counts == {"deals": len(held.deals)}  # the one list with a total
    await source.aclose()


async def test_twelve_thousand_contacts_arrive_each_once(clock: FakeClock) -> None:
    started = time.monotonic()
    emulator = CloseEmulator(clock=clock)
    limits = {"burst": 1_000_000}
    emulator.provision("acme", {"api_key": API_KEY}, dataset="reference", size=BIG, limits=limits)
    provisioned = time.monotonic() - started
    source = new_source(emulator, clock)
    info = await source.check()  # no list is walked to count it
    assert "persons" not in info.counts and source.client.stats.requests == 2
    persons = await extract_records(source, Entity.persons)
    ids = [p.source_id for p in persons]
    assert len(ids) == len(set(ids)) == BIG
    assert set(ids) == {close_id("cont", p.source_id) for p in generate(size=BIG).persons}
    print(
        f"provisioned {BIG} persons in {provisioned:.1f} s, whole test {time.monotonic() - started:.1f} s"
    )
    await source.aclose()
