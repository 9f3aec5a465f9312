"""The Nutshell source against its emulator: every entity as Nutshell holds the reference
company, find* pages walked to a short one, JSON-RPC refusals (in a 200, as Nutshell answers
them) never read as the end of a list, bad credentials, and a 429 waited out."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from adapters.core.auth import BasicAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed, UnreadableResponse
from adapters.core.http import RetryPolicy, UnexpectedResponse
from adapters.nutshell import emulator as emulator_module
from adapters.nutshell.emulator import NutshellEmulator
from adapters.nutshell.source import SPEC, result
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, provision

SIZE = 250  # more than one page (100) of contacts
API = "/api/v1/json"
World = tuple[NutshellEmulator, dict[str, str], FakeClock]


def setup(burst: int = 100_000) -> World:
    clock = FakeClock()
    emulator = NutshellEmulator(clock=clock)
    return emulator, provision(emulator, size=SIZE, burst=burst), clock


def source(
    emulator: NutshellEmulator, creds: dict[str, str], clock: FakeClock
) -> DeclarativeSource:
    client = SPEC.client(
        BASE,
        BasicAuth(creds["username"], creds["api_key"]),
        httpx.ASGITransport(app=emulator.app),
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=4, wait_initial=0.01),
    )
    return DeclarativeSource(SPEC, client)


def raw(emulator: NutshellEmulator, creds: dict[str, str] | None = None) -> httpx.AsyncClient:
    headers = {}
    if creds:
        pair = f"{creds['username']}:{creds['api_key']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    transport = httpx.ASGITransport(app=emulator.app)
    return httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers)


async def call(client: httpx.AsyncClient, method: str, **params: Any) -> httpx.Response:
    return await client.post(API, json={"method": method, "params": params, "id": "t1"})


@pytest.fixture(scope="module")
def world() -> World:
    return setup()


async def test_find_pages_end_on_a_short_page(world: World) -> None:
    async with raw(world[0], world[1]) as client:
        first = (await call(client, "findContacts", limit=100, page=1)).json()
        second = (await call(client, "findContacts", limit=100, page=2)).json()
        past = (await call(client, "findContacts", limit=100, page=99)).json()
    total = len(world[0].account_of("acme").table("contacts"))
    assert total > 100 and len(first["result"]) == 100 and first["id"] == "t1"
    assert len(second["result"]) == min(100, total - 100) and past["result"] == []
    # stubResponses defaults to true: a stub, not the whole record.
    assert first["result"][0]["stub"] is True and "email" not in first["result"][0]


async def test_contacts_hold_their_points_by_label(world: World) -> None:
    async with raw(world[0], world[1]) as client:
        answer = await call(client, "findContacts", limit=100, stubResponses=False)
    contact = answer.json()["result"][0]
    assert contact["email"]["--primary"] in contact["email"].values() and "work" in contact["email"]
    assert {"number", "numberFormatted", "E164"} <= set(contact["phone"]["--primary"])
    assert isinstance(contact["id"], int) and contact["rev"]


async def test_unknown_methods_and_params_are_json_rpc_errors(world: World) -> None:
    async with raw(world[0], world[1]) as client:
        no_method = await call(client, "findUnicorns")
        unknown = await call(client, "findLeads", sort="name")
        big = await call(client, "findLeads", limit=101)
        order = await call(client, "findLeads", orderDirection="UP")
        by_get = await client.get(API, params={"method": "findLeads", "id": "x"})
        garbled = await client.post(API, content=b"{not json")
    assert no_method.status_code == 200 and no_method.json()["error"]["code"] == -32601
    assert no_method.json()["result"] is None and no_method.json()["id"] == "t1"
    for answer in (unknown, big, order):
        assert answer.status_code == 200 and answer.json()["error"]["code"] == -32602
    assert "sort" in unknown.json()["error"]["message"]
    assert by_get.json()["error"]["code"] == -32600
    assert garbled.json()["error"]["code"] == -32700


def test_an_error_in_a_200_is_refused_never_an_end() -> None:
    error = {"result": None, "error": {"code": -32602, "message": "Invalid params"}, "id": 1}
    with pytest.raises(UnexpectedResponse, match="Invalid params"):
        result(error)
    with pytest.raises(UnreadableResponse):
        result({"result": None, "error": None, "id": 1})
    assert result({"result": [{"id": 1}], "error": None, "id": 1}) == [{"id": 1}]


async def test_a_failed_call_mid_walk_fails_the_read(monkeypatch: pytest.MonkeyPatch) -> None:
    emulator, creds, clock = setup()
    monkeypatch.delitem(emulator_module.METHODS, "findProducts")  # now a -32601 in a 200
    with pytest.raises(UnexpectedResponse, match="-32601"):
        await extract_records(source(emulator, creds, clock), Entity.products)


async def test_wrong_credentials_are_a_401(world: World) -> None:
    with pytest.raises(AuthFailed):
        await source(world[0], {**world[1], "api_key": "wrong"}, world[2]).check()
    async with raw(world[0]) as client:
        answer = await call(client, "findUsers")
    assert answer.status_code == 401 and answer.json()["error"]["message"]


async def test_a_429_is_waited_out_and_retried() -> None:
    emulator, creds, clock = setup(burst=1)
    persons = await extract_records(source(emulator, creds, clock), Entity.persons)
    assert len(persons) == len(emulator.held(generate(size=SIZE, seed=0)).persons)
    assert clock.slept  # three pages, one call a minute
    async with raw(emulator, creds) as client:
        await call(client, "findUsers")
        over = await call(client, "findUsers")
    assert over.status_code == 429 and "retry-after" in over.headers
