"""The Zendesk Sell source against its emulator: every entity as Sell holds the reference
company (people and companies from one contacts list, won and lost as stages), pages followed
by their next_page links, a bad token, a missing User-Agent, unknown parameters and a 429
waited out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.auth import BearerAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed
from adapters.core.http import RetryPolicy
from adapters.zendesk_sell.emulator import ZendeskSellEmulator
from adapters.zendesk_sell.render import IDS
from adapters.zendesk_sell.source import SPEC, USER_AGENT
from tests.adapters.sources import BASE, FakeClock, extract_records, provision

SIZE = 250  # people over three pages of 100


def setup(burst: int = 100_000) -> tuple[ZendeskSellEmulator, str, FakeClock]:
    clock = FakeClock()
    emulator = ZendeskSellEmulator(clock=clock)
    token = provision(emulator, size=SIZE, burst=burst)["access_token"]
    return emulator, token, clock


def source(emulator: ZendeskSellEmulator, token: str, clock: FakeClock) -> DeclarativeSource:
    client = SPEC.client(
        BASE,
        BearerAuth(token),
        httpx.ASGITransport(app=emulator.app),
        sleep=clock.sleep,
        retry=RetryPolicy(),  # no Retry-After: the backoff must outlast the second's window
    )
    return DeclarativeSource(SPEC, client)


def raw(emulator: ZendeskSellEmulator, token: str) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
    transport = httpx.ASGITransport(app=emulator.app)
    return httpx.AsyncClient(transport=transport, base_url=f"{BASE}/v2", headers=headers)


@pytest.fixture(scope="module")
def world() -> tuple[ZendeskSellEmulator, str, FakeClock]:
    return setup()


async def test_a_won_deal_sits_in_its_pipelines_won_stage(world: Any) -> None:
    emulator, token, _ = world
    async with raw(emulator, token) as client:
        deal = (await client.get("/deals", params={"ids": IDS.integer("d1")})).json()
        stages = (await client.get("/stages", params={"per_page": 100})).json()
    stage_id = deal["items"][0]["data"]["stage_id"]
    stage = next(s["data"] for s in stages["items"] if s["data"]["id"] == stage_id)
    assert stage["category"] == "won" and stage["pipeline_id"] == IDS.integer("pl1")
    record = next(
        r
        for r in await extract_records(source(*world), Entity.deals)
        if r.source_id == str(IDS.integer("d1"))
    )
    assert record.status == "won" and record.stage_source_id == str(IDS.integer("s1"))


async def test_pages_follow_next_page_links_to_the_end(world: Any) -> None:
    emulator, token, _ = world
    persons = {"is_organization": "false"}
    async with raw(emulator, token) as client:
        first = (await client.get("/contacts", params=persons)).json()
        last = (
            await client.get("/contacts", params={**persons, "page": 3, "per_page": 100})
        ).json()
    assert len(first["items"]) == 25 and first["meta"]["count"] == 25
    assert first["meta"]["type"] == "collection" and first["items"][0]["meta"] == {
        "type": "contact"
    }
    assert "page=2" in first["meta"]["links"]["next_page"]
    assert len(last["items"]) == SIZE - 200 and "next_page" not in last["meta"]["links"]
    assert not any(item["data"]["is_organization"] for item in last["items"])


async def test_a_wrong_token_is_refused_in_sells_error_envelope(world: Any) -> None:
    with pytest.raises(AuthFailed):
        await source(world[0], "wrong", world[2]).check()
    async with raw(world[0], "wrong") as client:
        answer = await client.get("/users/self")
    body = answer.json()
    assert answer.status_code == 401 and body["meta"]["http_status"] == "401 Unauthorized"
    assert body["errors"][0]["error"]["code"] == "unauthorized" and body["meta"]["logref"]


async def test_a_request_without_a_user_agent_is_refused(world: Any) -> None:
    async with raw(*world[:2]) as client:
        del client.headers["user-agent"]
        answer = await client.get("/users")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["error"]["code"] == "invalid_user_agent"


async def test_unknown_parameters_and_oversized_pages_are_refused(world: Any) -> None:
    async with raw(*world[:2]) as client:
        unknown = await client.get("/deals", params={"sort": "x"})
        big = await client.get("/deals", params={"per_page": 101})
    assert unknown.status_code == 400 and "sort" in unknown.json()["errors"][0]["error"]["message"]
    assert big.status_code == 400


async def test_a_429_is_waited_out_and_retried() -> None:
    emulator, token, clock = setup(burst=2)
    async with raw(emulator, token) as client:
        for _ in range(2):
            assert (await client.get("/users")).status_code == 200
        over = await client.get("/users")
    assert over.status_code == 429 and "retry-after" not in over.headers  # none documented
    assert over.json()["errors"][0]["error"]["code"] == "rate_limited"
    users = await extract_records(source(emulator, token, clock), Entity.users)
    assert len(users) == 6 and clock.slept
