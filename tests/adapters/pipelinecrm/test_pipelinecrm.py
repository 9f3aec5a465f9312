"""The Pipeline CRM source against its emulator: every entity as Pipeline CRM holds the
reference company, pages, a bad key, the emulator's refusals and a 429 waited out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.auth import QueryParamAuth
from adapters.core.canonical import LINK_FIELDS, Entity, Record
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed
from adapters.core.http import RetryPolicy
from adapters.pipelinecrm.emulator import PipelineCrmEmulator
from adapters.pipelinecrm.render import IDS
from adapters.pipelinecrm.source import PIPELINE_ID, SPEC
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, provision

SIZE = 250  # more than one page (200) of people


def setup(burst: int = 100_000) -> tuple[PipelineCrmEmulator, str, FakeClock]:
    clock = FakeClock()
    emulator = PipelineCrmEmulator(clock=clock)
    key = provision(emulator, size=SIZE, burst=burst)["api_key"]
    return emulator, key, clock


def source(emulator: PipelineCrmEmulator, key: str, clock: FakeClock) -> DeclarativeSource:
    client = SPEC.client(
        BASE,
        QueryParamAuth("api_key", key),
        httpx.ASGITransport(app=emulator.app),
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=4, wait_initial=0.01),
    )
    return DeclarativeSource(SPEC, client)


def raw(emulator: PipelineCrmEmulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url=f"{BASE}/api/v3"
    )


@pytest.fixture(scope="module")
def world() -> tuple[PipelineCrmEmulator, str, FakeClock]:
    return setup()


def _expected(record: Record, entity: Entity, names: dict[str, str]) -> dict[str, Any]:
    """A held record with Pipeline CRM's ids (one pipeline, "1") and custom values by label."""
    data = record.model_dump()
    for key, value in data.items():
        if value and (key == "source_id" or key in LINK_FIELDS):
            pipeline = entity is Entity.pipelines or key == "pipeline_source_id"
            data[key] = PIPELINE_ID if pipeline else str(IDS.integer(value))
    if "custom_fields" in data:
        data["custom_fields"] = {names[k]: v for k, v in data["custom_fields"].items()}
    return data


async def test_every_entity_arrives_as_held(world: Any) -> None:
    held = world[0].held(generate(size=SIZE, seed=0))
    src = source(*world)
    assert await src.check()
    fields = {(f.entity, f.key): f.name for f in await src.custom_fields()}
    assert src.skipped_fields == []
    for entity in src.entities:
        got = {}
        for record in await extract_records(src, entity):
            data = record.model_dump()
            if "custom_fields" in data:
                data["custom_fields"] = {
                    fields[(entity, k)]: v for k, v in data["custom_fields"].items()
                }
            got[record.source_id] = data
        names = {f.key: f.name for f in held.custom_fields if f.entity is entity}
        want = [_expected(record, entity, names) for record in held.records(entity)]
        assert got == {data["source_id"]: data for data in want}, entity
    notes = {n.source_id: n for n in await extract_records(src, Entity.notes)}
    assert len(notes[str(IDS.integer("n1"))].content) > 90_000


async def test_pages_walk_past_the_first(world: Any) -> None:
    async with raw(world[0]) as client:
        first = (await client.get("/people.json", params={"api_key": world[1]})).json()
        second = await client.get("/people.json", params={"api_key": world[1], "page": 2})
    assert first["pagination"] == {
        "page": 1,
        "page_var": "page",
        "per_page": 200,
        "total": SIZE,
        "pages": 2,
    }
    assert len(first["entries"]) == 200 and len(second.json()["entries"]) == SIZE - 200


async def test_a_wrong_key_is_refused(world: Any) -> None:
    with pytest.raises(AuthFailed):
        await source(world[0], "wrong", world[2]).check()
    async with raw(world[0]) as client:
        answer = await client.get("/deals.json", params={"api_key": "wrong"})
    assert answer.status_code == 401 and "error" in answer.json()


async def test_unknown_parameters_and_oversized_pages_are_refused(world: Any) -> None:
    async with raw(world[0]) as client:
        unknown = await client.get("/deals.json", params={"api_key": world[1], "sort": "x"})
        big = await client.get("/deals.json", params={"api_key": world[1], "per_page": 201})
    assert unknown.status_code == 400 and "sort" in unknown.json()["error"]
    assert big.status_code == 400


async def test_a_429_is_waited_out_and_retried() -> None:
    emulator, key, clock = setup(burst=2)
    async with raw(emulator) as client:
        for _ in range(2):
            assert (await client.get("/users.json", params={"api_key": key})).status_code == 200
        over = await client.get("/users.json", params={"api_key": key})
    assert over.status_code == 429 and over.headers["retry-after"] == "1"
    assert over.headers["x-ratelimit-remaining"] == "0" and "error" in over.json()
    users = await extract_records(source(emulator, key, clock), Entity.users)
    assert len(users) == 6 and clock.slept
