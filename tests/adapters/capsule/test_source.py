"""The Capsule source against its emulator: every entity as Capsule holds the reference company,
the hard cases mapped right, bad tokens, 429s, pages and resumption."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.capsule.render import cid
from adapters.capsule.source import PERSONS, SPEC
from adapters.core.blobs import Blob
from adapters.core.canonical import LINK_FIELDS, Entity, Record
from adapters.core.errors import AuthFailed, BudgetExhausted
from adapters.reference.dataset import generate
from tests.adapters.capsule.support import (
    SIZE,
    FakeClock,
    new_emulator,
    new_source,
    raw_client,
)
from tests.adapters.sources import extract_records

HELD = new_emulator().held(generate(size=SIZE, seed=0))


@pytest.fixture(scope="module")
def emulator() -> Any:
    return new_emulator()


def _expected(record: Record, entity: Entity) -> dict[str, Any]:
    """A held record with its ids turned into Capsule's and its custom values by label."""
    data = record.model_dump()
    for key, value in data.items():
        if value and (key == "source_id" or key in LINK_FIELDS):
            data[key] = str(cid(value))
    if entity is Entity.files:
        data["content_ref"] = data["source_id"]  # the attachment id
    if "custom_fields" in data:
        names = {f.key: f.name for f in HELD.custom_fields if f.entity is entity}
        data["custom_fields"] = {names[k]: v for k, v in data["custom_fields"].items()}
    return data


async def test_every_entity_arrives_as_capsule_holds_it(emulator: Any) -> None:
    source = new_source(emulator)
    fields = {(f.entity, f.key): f.name for f in await source.custom_fields()}
    assert source.entities == (
        Entity.users,
        Entity.organizations,
        Entity.persons,
        Entity.pipelines,
        Entity.stages,
        Entity.deals,
        Entity.activities,
        Entity.notes,
        Entity.files,
    )
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
    assert len(p1.emails) == 3 and p1.emails[0].primary
    assert p1.org_source_id == str(cid("o3")) and p1.owner_source_id
    assert "山田 太郎" in persons  # family name first, as written
    assert {"Lead score", "Birthday", "Job title", "Language", "Budget"} <= {
        f.name for f in await source.custom_fields() if f.entity is Entity.persons
    }
    deals = {d.source_id: d for d in await extract_records(source, Entity.deals)}
    d1, d3 = deals[str(cid("d1"))], deals[str(cid("d3"))]
    assert (d1.status, d1.person_source_id, d1.org_source_id) == ("won", "100001", "200003")
    assert d1.stage_source_id == str(cid("s5")) and d1.won_time == "2025-10-01T00:00:00Z"
    assert d3.person_source_id is None and d3.org_source_id == str(cid("o2"))
    assert len(d1.custom_fields) == 7  # all but the multi-choice field, which Capsule lacks
    activities = {a.source_id: a for a in await extract_records(source, Entity.activities)}
    a3 = activities[str(cid("a3"))]
    # 23:30 UTC on the 20th is 08:30 on the 21st for its Tokyo owner, as Capsule stores it.
    assert (a3.due_date, a3.due_time, a3.type) == ("2026-01-20", "23:30", "call")
    assert activities[str(cid("a6"))].due_time is None
    notes = {n.source_id: n for n in await extract_records(source, Entity.notes)}
    n1 = notes[str(cid("n1"))]
    assert len(n1.content) > 90_000 and n1.deal_source_id == str(cid("d1"))
    assert n1.person_source_id is None  # an entry sits on one record


async def test_a_bad_token_is_auth_failed(emulator: Any) -> None:
    with pytest.raises(AuthFailed):
        await new_source(emulator, token="wrong").check()


async def test_a_429_is_waited_out_until_the_reset_time() -> None:
    clock = FakeClock()
    emulator = new_emulator(clock, burst=3)
    emulator.window_seconds = 20  # a short window, so the wait fits in one retry
    async with raw_client(emulator) as client:
        for _ in range(3):
            await client.get("/users")
    source = new_source(emulator, clock)
    users = await extract_records(source, Entity.users)
    assert len(users) == 6
    assert source.client.stats.rate_limited == 1
    assert 15 <= clock.slept[0] <= 22


async def test_an_hour_long_wait_pauses_instead_of_holding_a_worker() -> None:
    clock = FakeClock()
    emulator = new_emulator(clock, burst=1)
    async with raw_client(emulator) as client:
        await client.get("/users")
    with pytest.raises(BudgetExhausted):
        await extract_records(new_source(emulator, clock), Entity.users)


async def test_pages_follow_the_link_header_and_resume_from_a_cursor(emulator: Any) -> None:
    small = dataclasses.replace(PERSONS, params={**PERSONS.params, "perPage": 7})
    spec = dataclasses.replace(
        SPEC, streams=tuple(small if s is PERSONS else s for s in SPEC.streams)
    )
    source = new_source(emulator, spec=spec)
    pages = [page async for page in source.extract(Entity.persons)]
    assert len(pages) > 4  # 40 parties, 7 a page; organisations are filtered out
    resumed = await extract_records(source, Entity.persons, pages[1].next_cursor)
    seen = [item.record.source_id for page in pages[:2] for item in page.items]
    assert len(seen + [r.source_id for r in resumed]) == SIZE
    assert set(seen).isdisjoint(r.source_id for r in resumed)


async def test_stages_resume_in_the_next_pipeline(emulator: Any) -> None:
    source = new_source(emulator)
    pages = [page async for page in source.extract(Entity.stages)]
    assert [len(p.items) for p in pages] == [5, 4]
    resumed = await extract_records(source, Entity.stages, pages[0].next_cursor)
    assert {s.name for s in resumed} == {"Erstkontakt", "Prüfung", "Umowa", "Onboarding ✅"}


async def test_changed_since_asks_capsule_for_later_changes_only(emulator: Any) -> None:
    source = new_source(emulator)
    later = datetime(2026, 2, 1, tzinfo=UTC)
    earlier = datetime(2025, 1, 1, tzinfo=UTC)
    assert [
        p async for page in source.extract(Entity.persons, since=later) for p in page.items
    ] == []
    changed = [
        p async for page in source.extract(Entity.persons, since=earlier) for p in page.items
    ]
    assert len(changed) == SIZE


async def test_the_account_check_names_the_token_user(emulator: Any) -> None:
    source = new_source(emulator)
    info = await source.check()
    assert info.account["user_email"] == "anna.kowalska@example.pl"
    # Capsule's lists give no total: none is read to count it (counted as it is extracted).
    assert info.counts == {} and source.client.stats.requests == 1
    await source.aclose()


async def test_tags_arrive_as_labels_and_every_file_downloads_byte_for_byte(emulator: Any) -> None:
    source = new_source(emulator)
    orgs = {o.source_id: o for o in await extract_records(source, Entity.organizations)}
    assert orgs[str(cid("o1"))].labels == ["Customer", "VIP – Ważny"]
    deals = {d.source_id: d for d in await extract_records(source, Entity.deals)}
    assert deals[str(cid("d1"))].labels == HELD.deals[0].labels != []
    notes = await extract_records(source, Entity.notes)
    assert len(notes) == len(HELD.notes)  # the notes carrying files are not notes of their own
    files = await extract_records(source, Entity.files)
    by_name = {f.name: f for f in files}
    assert by_name["Angebot_2026-001.pdf"].deal_source_id == str(cid("d1"))
    assert by_name["portrait.png"].person_source_id == str(cid("p2"))
    assert "Lead brief.pdf" not in by_name and "call-notes.csv" not in by_name  # no lead, task
    assert len(files) == len(HELD.files) >= 5
    requests = source.client.stats.requests
    for file in files:
        want = HELD.file_bytes[next(f.source_id for f in HELD.files if f.name == file.name)]
        with Blob(file.name, cap=10 << 20) as blob:
            assert await source.download(file, blob) == len(want) == file.size
            assert b"".join([chunk async for chunk in blob.chunks()]) == want
    assert source.client.stats.requests == requests + len(files)  # one request a file
    async with raw_client(emulator) as client:
        answer = await client.get(f"/attachments/{by_name['portrait.png'].content_ref}")
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-length"] == str(by_name["portrait.png"].size)
    assert "filename*=UTF-8''portrait.png" in answer.headers["content-disposition"]
