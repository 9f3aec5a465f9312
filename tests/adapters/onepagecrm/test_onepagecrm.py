"""The OnePageCRM source against its emulator: every entity as OnePageCRM holds the reference
company, pages, a bad key, the emulator's refusals, a 429 waited out and contacts' tags."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.auth import BasicAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed
from adapters.core.http import RetryPolicy
from adapters.onepagecrm.emulator import OnePageCrmEmulator
from adapters.onepagecrm.render import IDS
from adapters.onepagecrm.source import SPEC
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, provision

SIZE = 130  # more than one page (100) of contacts


def setup(burst: int = 100_000) -> tuple[OnePageCrmEmulator, dict[str, str], FakeClock]:
    clock = FakeClock()
    emulator = OnePageCrmEmulator(clock=clock)
    return emulator, provision(emulator, size=SIZE, burst=burst), clock


def source(emulator: OnePageCrmEmulator, creds: dict[str, str], clock: FakeClock) -> Any:
    client = SPEC.client(
        BASE,
        BasicAuth(creds["user_id"], creds["api_key"]),
        httpx.ASGITransport(app=emulator.app),
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=4, wait_initial=0.01),
    )
    return DeclarativeSource(SPEC, client)


def raw(emulator: OnePageCrmEmulator, creds: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=f"{BASE}/api/v3",
        auth=(creds["user_id"], creds["api_key"]),
    )


@pytest.fixture(scope="module")
def world() -> tuple[OnePageCrmEmulator, dict[str, str], FakeClock]:
    return setup()


async def test_pages_walk_past_the_first(world: Any) -> None:
    async with raw(world[0], world[1]) as client:
        first = (await client.get("/contacts", params={"per_page": 100})).json()
        second = (await client.get("/contacts", params={"per_page": 100, "page": 2})).json()
    assert first["status"] == 0 and first["message"] == "OK"
    data = first["data"]
    assert (data["total_count"], data["page"], data["per_page"], data["max_page"]) == (
        SIZE,
        1,
        100,
        2,
    )
    assert len(data["contacts"]) == 100 and len(second["data"]["contacts"]) == SIZE - 100
    assert (
        set(data["contacts"][0]) == {"contact"} and len(data["contacts"][0]["contact"]["id"]) == 24
    )


async def test_a_wrong_key_is_refused(world: Any) -> None:
    wrong = {**world[1], "api_key": "wrong"}
    with pytest.raises(AuthFailed):
        await source(world[0], wrong, world[2]).check()
    async with raw(world[0], wrong) as client:
        answer = await client.get("/deals")
    assert answer.status_code == 401 and answer.json()["error_message"]


async def test_unknown_parameters_and_oversized_pages_are_refused(world: Any) -> None:
    async with raw(world[0], world[1]) as client:
        unknown = await client.get("/deals", params={"sort": "x"})
        big = await client.get("/deals", params={"per_page": 101})
    assert unknown.status_code == 400 and "sort" in unknown.json()["message"]
    assert big.status_code == 400


async def test_a_429_is_waited_out_and_retried() -> None:
    emulator, creds, clock = setup(burst=2)
    async with raw(emulator, creds) as client:
        for _ in range(2):
            assert (await client.get("/users")).status_code == 200
        over = await client.get("/users")
    assert over.status_code == 429 and over.headers["retry-after"] == "1"
    assert "error_message" in over.json()
    users = await extract_records(source(emulator, creds, clock), Entity.users)
    assert len(users) == 6 and clock.slept


async def test_contacts_carry_their_tags_as_labels(world: Any) -> None:
    emulator, creds, clock = world
    company = emulator.held(generate(size=SIZE, seed=0))
    contacts = await extract_records(source(emulator, creds, clock), Entity.persons)
    labels = {p.source_id: p.labels for p in contacts}
    assert labels == {IDS.hex24(p.source_id): p.labels for p in company.persons}
    assert any(len(v) == 2 for v in labels.values())
    assert "VIP – Ważny" in {name for names in labels.values() for name in names}
    deals = await extract_records(source(emulator, creds, clock), Entity.deals)
    assert not any(d.labels for d in deals)  # a deal has no tags
