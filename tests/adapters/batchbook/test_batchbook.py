"""The Batchbook source against its emulator: every entity as Batchbook holds the reference
company, pages, a bad token, the emulator's refusals, a 429 waited out, and tags as labels."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.batchbook.emulator import BatchbookEmulator
from adapters.batchbook.render import IDS
from adapters.batchbook.source import SPEC
from adapters.core.auth import QueryParamAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed
from adapters.core.http import RetryPolicy
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, provision

SIZE = 70  # more than two pages (30) of people


def setup(burst: int = 100_000) -> tuple[BatchbookEmulator, str, FakeClock]:
    clock = FakeClock()
    emulator = BatchbookEmulator(clock=clock)
    key = provision(emulator, size=SIZE, burst=burst)["auth_token"]
    return emulator, key, clock


def source(emulator: BatchbookEmulator, key: str, clock: FakeClock) -> DeclarativeSource:
    client = SPEC.client(
        BASE,
        QueryParamAuth("auth_token", key),
        httpx.ASGITransport(app=emulator.app),
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=4, wait_initial=0.01),
    )
    return DeclarativeSource(SPEC, client)


def raw(emulator: BatchbookEmulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url=f"{BASE}/api/v1"
    )


@pytest.fixture(scope="module")
def world() -> tuple[BatchbookEmulator, str, FakeClock]:
    return setup()


async def test_pages_walk_past_the_first(world: Any) -> None:
    async with raw(world[0]) as client:
        pages = [
            (await client.get("/people.json", params={"auth_token": world[1], "page": n})).json()
            for n in (1, 2, 3, 4)
        ]
    assert [len(p["people"]) for p in pages] == [30, 30, SIZE - 60, 0]


async def test_a_wrong_token_is_refused(world: Any) -> None:
    with pytest.raises(AuthFailed):
        await source(world[0], "wrong", world[2]).check()
    async with raw(world[0]) as client:
        answer = await client.get("/people.json", params={"auth_token": "wrong"})
    assert answer.status_code == 401 and "error" in answer.json()


async def test_unknown_parameters_and_oversized_pages_are_refused(world: Any) -> None:
    async with raw(world[0]) as client:
        unknown = await client.get("/people.json", params={"auth_token": world[1], "sort": "x"})
        big = await client.get("/people.json", params={"auth_token": world[1], "per_page": 31})
    assert unknown.status_code == 400 and "sort" in unknown.json()["error"]
    assert big.status_code == 400


async def test_a_429_is_waited_out_and_retried() -> None:
    emulator, key, clock = setup(burst=2)
    async with raw(emulator) as client:
        for _ in range(2):
            assert (await client.get("/users.json", params={"auth_token": key})).status_code == 200
        over = await client.get("/users.json", params={"auth_token": key})
    assert over.status_code == 429 and over.headers["retry-after"] == "1"
    users = await extract_records(source(emulator, key, clock), Entity.users)
    assert len(users) == 6 and clock.slept


async def test_tags_arrive_as_labels_and_filter_the_lists(world: Any) -> None:
    emulator, key, clock = world
    held = emulator.held(generate(size=SIZE, seed=0))
    read = source(emulator, key, clock)
    people = {p.source_id: p.labels for p in await extract_records(read, Entity.persons)}
    companies = {o.source_id: o.labels for o in await extract_records(read, Entity.organizations)}
    want = {str(IDS.integer(p.source_id)): p.labels for p in held.persons}
    assert people == want and any(len(labels) == 2 for labels in people.values())
    assert companies == {str(IDS.integer(o.source_id)): o.labels for o in held.organizations}
    assert "VIP – Ważny" in {name for labels in people.values() for name in labels}
    async with raw(emulator) as client:
        tagged = await client.get("/people.json", params={"auth_token": key, "tags": "Customer"})
    found = {str(p["id"]) for p in tagged.json()["people"]}
    assert found and found == {i for i, labels in people.items() if "Customer" in labels}
    assert held.leads == [] and held.files == []  # Batchbook has no leads and serves no files
