"""The Insightly source against its emulator, in-process: what a user migrating would check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.core.canonical import Entity
from adapters.core.errors import AuthFailed
from tests.adapters.insightly.support import (
    FakeClock,
    as_extracted,
    extract_all,
    held_company,
    new_emulator,
    new_source,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_every_entity_arrives_as_insightly_holds_it(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock)
    held = held_company()
    for entity in Entity:
        got = await extract_all(source, entity)
        want = as_extracted(held, entity)
        key = lambda r: r["source_id"]  # noqa: E731
        assert sorted(got, key=key) == sorted(want, key=key), entity
    await source.aclose()


async def test_hard_cases_read_right(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock)
    read = await extract_all(source, Entity.persons)  # contacts (a lead's own person is "lead-")
    persons = {p["name"]: p for p in read if not p["source_id"].startswith("lead-")}
    p1 = persons["Zażółć Gęślą-Jaźń 🚀"]
    assert [e["value"] for e in p1["emails"]] == ["zazolc.gesla-jazn@example.pl"]  # primary only
    assert {(p["value"], p["label"]) for p in p1["phones"]} == {
        ("+48 601 234 567", "mobile"),
        ("+48 22 123 45 67", "work"),
    }
    assert "太郎 山田" in persons  # FIRST_NAME LAST_NAME: no display name of its own
    assert p1["owner_source_id"] == "1100001" and p1["org_source_id"] == "120000003"
    custom = p1["custom_fields"]
    assert isinstance(custom["Lead_Score__c"], float)
    assert isinstance(custom["Interests__c"], list) and custom["Interests__c"]
    assert custom["Language__c"] in ("Polski", "Deutsch", "English", "日本語", "Français")
    assert len(custom["Birthday__c"]) == 10 and isinstance(custom["Budget__c"], float)

    deals = {d["source_id"]: d for d in await extract_all(source, Entity.deals)}
    assert deals["180000003"]["person_source_id"] is None  # d3: organisation only
    assert deals["180000003"]["org_source_id"] is not None
    assert deals["180000002"]["status"] == "lost" and deals["180000001"]["status"] == "won"

    activities = {a["source_id"]: a for a in await extract_all(source, Entity.activities)}
    tokyo_call = activities["task-200000003"]  # a3: 23:30 UTC; a task keeps the UTC date only
    assert tokyo_call["due_date"] == "2026-01-20" and tokyo_call["due_time"] is None
    meeting = activities["event-220000002"]  # a2: an event keeps its UTC time and length
    assert (meeting["type"], meeting["due_time"], meeting["duration"]) == (
        "meeting",
        "13:00",
        "01:00",
    )
    assert activities["task-200000006"]["type"] == "email"

    notes = {n["source_id"]: n for n in await extract_all(source, Entity.notes)}
    n1 = notes["240000001"]
    assert len(n1["content"]) > 90_000 and n1["deal_source_id"] and n1["person_source_id"]
    products = {p["source_id"]: p for p in await extract_all(source, Entity.products)}
    assert {p["currency"] for p in products["160000001"]["prices"]} == {"EUR", "PLN"}
    assert source.skipped_fields == ["persons: Newsletter (BIT)"]
    await source.aclose()


async def test_check_names_the_key_owner_and_counts_in_one_request_each(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock)
    info = await source.check()
    assert info.account["user_email"] == "anna.kowalska@example.pl"
    # Pipelines are kept for opportunities only, organizations include the companies named on
    # leads, and files are listed per record: no list's total is their count.
    unknown = ("pipelines", "deal_products", "organizations", "files")
    held = {entity: n for entity, n in held_company().counts().items() if entity not in unknown}
    assert info.counts == held  # persons: contacts and open leads (the Search's own total)
    # /Users/Me, then one counted page per stream of a counted entity
    counted = [s for s in source.spec.streams if s.entity.value in info.counts]
    assert source.client.stats.requests == 1 + len(counted)
    await source.aclose()


async def test_a_wrong_api_key_is_auth_failed(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock, api_key="not-the-key")
    with pytest.raises(AuthFailed) as failure:
        await source.check()
    assert "Authorization has been denied" in str(failure.value)
    assert "not-the-key" not in str(failure.value)
    await source.aclose()


async def test_a_429_is_waited_out(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock, burst=3), clock, page_size=10)
    persons = await extract_all(source, Entity.persons)
    assert len(persons) == 33  # 30 contacts, 3 leads' own persons
    assert source.client.stats.rate_limited >= 1
    assert clock.slept and all(s == 1.0 for s in clock.slept)  # Retry-After: 1
    await source.aclose()


async def test_pages_cross_and_resume_from_a_checkpoint(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock, page_size=7)
    pages = [page async for page in source.extract(Entity.persons)]
    assert [len(p.items) for p in pages] == [7, 7, 7, 7, 2, 3]  # contacts, then leads' persons
    every = [i.record.source_id for p in pages for i in p.items]
    assert len(set(every)) == 33

    cursor = pages[1].next_cursor
    assert cursor is not None
    resumed = [page async for page in source.extract(Entity.persons, cursor)]
    assert [i.record.source_id for p in resumed for i in p.items] == every[14:]
    await source.aclose()


async def test_activities_resume_into_the_events_stream(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock, page_size=500)
    pages = [page async for page in source.extract(Entity.activities)]
    assert pages[0].next_cursor == "1:"  # Tasks done; Events next
    resumed = [page async for page in source.extract(Entity.activities, pages[0].next_cursor)]
    assert all(i.record.source_id.startswith("event-") for p in resumed for i in p.items)
    await source.aclose()


async def test_changed_since_reads_the_search_endpoint(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock)
    since = datetime(2026, 1, 5, tzinfo=UTC)  # records change over the days before 2026-01-15
    recent = [
        item.record.source_id
        async for page in source.extract(Entity.persons, since=since)
        for item in page.items
    ]
    assert 0 < len(recent) < 30
    await source.aclose()
