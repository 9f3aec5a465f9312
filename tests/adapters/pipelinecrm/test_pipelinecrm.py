"""The Pipeline CRM source against its emulator: every entity as Pipeline CRM holds the
reference company, pages, a bad key, the emulator's refusals and a 429 waited out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.auth import QueryParamAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed
from adapters.core.http import RetryPolicy
from adapters.pipelinecrm.emulator import PipelineCrmEmulator
from adapters.pipelinecrm.source import SPEC
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
