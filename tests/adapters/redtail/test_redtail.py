"""The Redtail CRM source against its emulator: every entity as Redtail holds the reference
company, pages, bad credentials, the emulator's refusals, a 429 waited out, and tag groups as
labels."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed
from adapters.core.http import RetryPolicy
from adapters.redtail.emulator import RedtailEmulator
from adapters.redtail.render import IDS
from adapters.redtail.source import SPEC, redtail_auth
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, provision

SIZE = 250  # more than one page (200) of people
API = "/api/public/v1"


def setup(burst: int = 100_000) -> tuple[RedtailEmulator, dict[str, str], FakeClock]:
    clock = FakeClock()
    emulator = RedtailEmulator(clock=clock)
    return emulator, provision(emulator, size=SIZE, burst=burst), clock


def source(emulator: RedtailEmulator, creds: dict[str, str], clock: FakeClock) -> DeclarativeSource:
    client = SPEC.client(
        BASE,
        redtail_auth(creds, BASE),
        httpx.ASGITransport(app=emulator.app),
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=4, wait_initial=0.01),
    )
    return DeclarativeSource(SPEC, client)


def raw(emulator: RedtailEmulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url=f"{BASE}{API}"
    )


async def sign_in(client: httpx.AsyncClient, creds: dict[str, str]) -> httpx.AsyncClient:
    login = f"{creds['api_key']}:{creds['username']}:{creds['password']}"
    basic = "Basic " + base64.b64encode(login.encode()).decode()
    answer = await client.get("/authentication", headers={"Authorization": basic})
    user_key = answer.json()["authenticated_user"]["user_key"]
    token = base64.b64encode(f"{creds['api_key']}:{user_key}".encode()).decode()
    client.headers["Authorization"] = f"Userkeyauth {token}"
    return client


@pytest.fixture(scope="module")
def world() -> tuple[RedtailEmulator, dict[str, str], FakeClock]:
    return setup()


async def test_pages_walk_past_the_first(world: Any) -> None:
    async with raw(world[0]) as client:
        await sign_in(client, world[1])
        size = {"pagesize": "200"}
        first = (await client.get("/contacts", headers=size)).json()
        second = (await client.get("/contacts", params={"page": 2}, headers=size)).json()
    total = first["meta"]["total_records"]
    assert first["meta"]["total_pages"] == 2 and total > 200
    assert len(first["contacts"]) == 200 and len(second["contacts"]) == total - 200


async def test_wrong_credentials_are_refused(world: Any) -> None:
    with pytest.raises(AuthFailed):
        await source(world[0], {**world[1], "password": "wrong"}, world[2]).check()
    async with raw(world[0]) as client:
        answer = await client.get("/contacts", headers={"Authorization": "Userkeyauth eDp5"})
    assert answer.status_code == 401 and "message" in answer.json()


async def test_unknown_parameters_and_oversized_pages_are_refused(world: Any) -> None:
    async with raw(world[0]) as client:
        await sign_in(client, world[1])
        unknown = await client.get("/opportunities", params={"sort": "x"})
        big = await client.get("/opportunities", headers={"pagesize": "201"})
    assert unknown.status_code == 400 and "sort" in unknown.json()["message"]
    assert big.status_code == 400


async def test_a_429_is_waited_out_and_retried() -> None:
    emulator, creds, clock = setup(burst=1)  # the login takes the one call of the second
    users = await extract_records(source(emulator, creds, clock), Entity.users)
    assert len(users) == len(emulator.held(generate(size=SIZE, seed=0)).users) and clock.slept
    clock.now += 60
    async with raw(emulator) as client:
        await sign_in(client, creds)
        over = await client.get("/lists/database_users")
    assert over.status_code == 429 and "retry-after" in over.headers
    assert "message" in over.json()


async def test_tag_groups_arrive_as_the_members_labels(world: Any) -> None:
    emulator, creds, clock = world
    held = emulator.held(generate(size=SIZE, seed=0))
    read = source(emulator, creds, clock)
    people = {p.source_id: p.labels for p in await extract_records(read, Entity.persons)}
    companies = {o.source_id: o.labels for o in await extract_records(read, Entity.organizations)}
    assert people == {str(IDS.integer(p.source_id)): p.labels for p in held.persons}
    assert companies == {str(IDS.integer(o.source_id)): o.labels for o in held.organizations}
    assert people[str(IDS.integer("p1"))] == ["Customer", "VIP – Ważny"]
    assert all(not d.labels for d in await extract_records(read, Entity.deals))
    async with raw(emulator) as client:
        await sign_in(client, creds)
        groups = (await client.get("/lists/tag_groups")).json()["tag_groups"]
        vip = next(g["id"] for g in groups if g["name"] == "VIP – Ważny")
        members = (await client.get(f"/tag_groups/{vip}/contacts")).json()
        missing = await client.get("/tag_groups/999999/contacts")
    tagged = {i for i, labels in {**people, **companies}.items() if "VIP – Ważny" in labels}
    assert {str(m["id"]) for m in members["contacts"]} == tagged
    assert members["meta"]["total_records"] == len(tagged)
    assert missing.status_code == 404
    assert held.leads == [] and held.files == []  # no lead object; no document bytes served
