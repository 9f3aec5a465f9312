"""The SugarCRM source against the in-process emulator: every entity arrives as the instance holds
it, hard cases included; bad logins fail; 429s are waited out; pages resume from a cursor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed
from tests.adapters.sugarcrm.support import (
    FakeClock,
    ReferenceIds,
    held_company,
    new_account,
    new_source,
)


async def extracted(
    source: DeclarativeSource, entity: Entity, cursor: str | None = None
) -> list[Any]:
    return [item.record async for page in source.extract(entity, cursor) for item in page.items]


@pytest.fixture
async def source() -> Any:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    yield source
    await source.aclose()


@pytest.mark.parametrize("entity", list(Entity), ids=lambda e: e.value)
async def test_every_entity_arrives_as_held(source: DeclarativeSource, entity: Entity) -> None:
    held = held_company()
    ids = ReferenceIds(held)
    got = {r["source_id"]: r for r in map(ids.record, await extracted(source, entity))}
    want = {r.source_id: r.model_dump() for r in held.records(entity)}
    if entity is Entity.pipelines:  # the one sales-stage list
        assert [r["name"] for r in got.values()] == ["Sales"]
        return
    for record in want.values():
        if entity in (Entity.persons, Entity.notes, Entity.activities):
            record = _comparable(entity, record)
        assert _comparable(entity, got[record["source_id"]]) == record
    assert len(got) == len(want)


def _comparable(entity: Entity, record: dict[str, Any]) -> dict[str, Any]:
    """Order-free e-mails and phones (Sugar keeps no order between its phone fields)."""
    record = dict(record)
    for key in ("emails", "phones"):
        if key in record:
            record[key] = sorted(record[key], key=lambda p: p["value"])
    return record


async def test_hard_cases(source: DeclarativeSource) -> None:
    ids = ReferenceIds(held_company())
    persons = {r["source_id"]: r for r in map(ids.record, await extracted(source, Entity.persons))}
    p1 = persons["p1"]
    assert p1["name"] == "Zażółć Gęślą-Jaźń 🚀"
    assert [e["value"] for e in p1["emails"] if e["primary"]] == ["zazolc.gesla-jazn@example.pl"]
    assert len(p1["emails"]) == 3 and p1["org_source_id"] == "o3" and p1["owner_source_id"] == "u1"
    assert persons["p3"]["name"] == "太郎 山田"  # first + last, Sugar's default name format
    assert persons["p2"]["owner_source_id"] == "u6"
    assert set(p1["custom_fields"]) == {
        "lead_score", "birthday", "job_title", "bio", "language", "interests", "budget",
        "assistant_phone",
    }  # fmt: skip
    activities = {
        r["source_id"]: r for r in map(ids.record, await extracted(source, Entity.activities))
    }
    # 23:30 UTC, shown to the Warsaw API user as 00:30 the next day: read back in UTC.
    assert (activities["a3"]["due_date"], activities["a3"]["due_time"]) == ("2026-01-20", "23:30")
    assert (
        activities["a3"]["org_source_id"] == "o2" and activities["a3"]["person_source_id"] == "p3"
    )
    deals = {r["source_id"]: r for r in map(ids.record, await extracted(source, Entity.deals))}
    assert deals["d3"]["person_source_id"] is None and deals["d3"]["org_source_id"] == "o2"
    assert deals["d1"]["custom_fields"]["competitors"]
    assert deals["d5"]["value"] is None and deals["d5"]["currency"] is None


async def test_custom_field_definitions_have_labels_types_and_options(
    source: DeclarativeSource,
) -> None:
    fields = {(f.entity.value, f.key): f for f in await source.custom_fields()}
    industry = fields[("organizations", "industry_c")]
    assert industry.name == "Industry" and "物流" in industry.options
    assert fields[("deals", "competitors_c")].field_type.value == "set"
    assert fields[("products", "list_price_c")].field_type.value == "monetary"
    assert len(fields) == 32


async def test_wrong_password_is_auth_failed() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, {**credentials, "password": "wrong"})
    with pytest.raises(AuthFailed, match="valid username and password"):
        await source.check()


async def test_a_429_is_waited_out() -> None:
    clock = FakeClock()
    emulator, credentials = new_account(burst=3, clock=clock)
    source = new_source(emulator, credentials, page_size=10, clock=clock)
    persons = await extracted(source, Entity.persons)
    assert len(persons) == 30 + 3  # the contacts, then the three leads' own persons
    assert clock.slept and source.client.stats.rate_limited >= 1


async def test_pages_resume_from_a_checkpointed_cursor() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials, page_size=7)
    pages = [page async for page in source.extract(Entity.persons)]
    # 30 contacts in five pages, then the leads' own persons in one of the Leads list.
    assert len(pages) == 6 and pages[-1].next_cursor is None
    resumed = new_source(emulator, credentials, page_size=7)
    rest = await extracted(resumed, Entity.persons, pages[1].next_cursor)
    assert [r.source_id for r in rest] == [i.record.source_id for p in pages[2:] for i in p.items]


async def test_activities_resume_across_modules() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials, page_size=5)
    cursors = [page.next_cursor async for page in source.extract(Entity.activities)]
    assert {c.split(":")[0] for c in cursors if c} == {"0", "1", "2"}  # Calls, Meetings, Tasks


async def test_changed_since_filters_on_date_modified(source: DeclarativeSource) -> None:
    later = datetime(2026, 2, 1, tzinfo=UTC)
    earlier = datetime(2026, 1, 1, tzinfo=UTC)
    assert [p async for p in source.extract(Entity.deals, since=later)][0].items == []
    pages = [p async for p in source.extract(Entity.deals, since=earlier)]
    assert sum(len(p.items) for p in pages) == 20
