"""The Close source against its emulator, in-process: what a user migrating would check."""

from __future__ import annotations

import pytest

from adapters.core.canonical import Entity
from adapters.core.errors import AuthFailed
from adapters.core.ratelimit import Unpaced
from tests.adapters.close.support import (
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


async def test_every_entity_arrives_as_close_holds_it(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock)
    held = held_company()
    for entity in Entity:
        got = await extract_all(source, entity)
        want = as_extracted(held, entity)

        def key(record: dict) -> str:
            return record["source_id"]

        assert sorted(got, key=key) == sorted(want, key=key), entity
    assert source.skipped_fields == []
    await source.aclose()


async def test_hard_cases_read_right(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock)
    persons = {p["name"]: p for p in await extract_all(source, Entity.persons)}
    p1 = persons["Zażółć Gęślą-Jaźń 🚀"]
    assert [e["label"] for e in p1["emails"]] == ["work", "home", "other"]
    assert p1["emails"][0]["primary"]
    assert "山田 太郎" in persons
    # An individual (no organization) is a contact on a lead without a name: no organization.
    assert persons["Grzegorz Brzęczyszczykiewicz"]["org_source_id"] is None
    assert persons["Grzegorz Brzęczyszczykiewicz"]["owner_source_id"]  # the "Owner" user field
    orgs = {o["source_id"]: o for o in await extract_all(source, Entity.organizations)}
    assert len(orgs) == 10  # the individuals' leads are not organizations
    deals = {d["title"]: d for d in await extract_all(source, Entity.deals)}
    won, lost = deals["Wdrożenie CRM – „Żuraw”"], deals["Lizenzverlängerung 2026"]
    assert (won["value"], won["currency"], won["status"]) == (48_500.0, "PLN", "won")
    assert won["stage_source_id"]  # from the status change that closed it
    assert (lost["status"], lost["lost_reason"]) == ("lost", "Zu teuer")
    assert deals["Rollout 🚀 phase 2"]["value"] is None
    values = {type(v) for d in deals.values() for v in d["custom_fields"].values()}
    assert values == {str, float, list}
    activities = {a["subject"]: a for a in await extract_all(source, Entity.activities)}
    tokyo = next(a for s, a in activities.items() if s.startswith("Call 山田"))
    assert (tokyo["due_date"], tokyo["due_time"]) == ("2026-01-20", "23:30")
    notes = await extract_all(source, Entity.notes)
    assert max(len(n["content"]) for n in notes) > 90_000
    await source.aclose()


async def test_check_names_the_account_and_counts_deals_only(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock)
    info = await source.check()
    assert info.account["email"] == "anna.kowalska@example.pl"
    # Only the opportunity list has a total: the other lists are not read to count them.
    assert info.counts == {"deals": len(held_company().deals)}
    assert source.client.stats.requests == 2  # /me/, one page of opportunity ids
    await source.aclose()


async def test_a_wrong_api_key_is_auth_failed(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock, api_key="api_wrong")
    with pytest.raises(AuthFailed) as failure:
        await source.check()
    assert "api_wrong" not in str(failure.value)
    await source.aclose()


async def test_a_429_is_waited_out_for_rate_reset(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock, burst=3), clock, rate_limiter=Unpaced())
    persons = await extract_all(source, Entity.persons)
    assert len(persons) == 30
    assert source.client.stats.rate_limited >= 1
    assert clock.slept and all(0 < s <= 1.0 for s in clock.slept)
    await source.aclose()


@pytest.mark.parametrize("entity", [Entity.persons, Entity.notes])  # a search, a timeline
async def test_pages_cross_and_resume_from_a_checkpoint(clock: FakeClock, entity: Entity) -> None:
    source = new_source(new_emulator(clock), clock, page_size=7)
    pages = [page async for page in source.extract(entity)]
    assert len(pages) == 5 and pages[-1].next_cursor is None
    cursor = pages[1].next_cursor
    assert cursor is not None and cursor.startswith("0:")
    resumed = [page async for page in source.extract(entity, cursor)]
    ids = [i.record.source_id for p in resumed for i in p.items]
    assert ids == [i.record.source_id for p in pages[2:] for i in p.items]
    await source.aclose()


async def test_activities_come_from_four_lists_with_unique_ids(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock)
    pages = [page async for page in source.extract(Entity.activities)]
    assert [p.next_cursor for p in pages] == ["1:", "2:", "3:", None]
    ids = [i.record.source_id for p in pages for i in p.items]
    assert len(ids) == len(set(ids)) == 30
    await source.aclose()
