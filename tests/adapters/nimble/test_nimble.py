"""The Nimble source against its emulator: every entity as Nimble holds the reference company,
pages walked to the end, a bad token refused, the emulator's 400s, a 429 waited out, and tags
as labels."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from adapters.core.auth import BearerAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.errors import AuthFailed
from adapters.core.http import RetryPolicy
from adapters.core.paginators import PageNumber
from adapters.nimble.emulator import NimbleEmulator
from adapters.nimble.render import IDS
from adapters.nimble.source import PERSONS, SPEC
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, provision

SIZE = 30
HELD = NimbleEmulator().held(generate(size=SIZE, seed=0))


def new_emulator(clock: FakeClock | None = None, burst: int = 0) -> tuple[NimbleEmulator, str]:
    emulator = NimbleEmulator(clock=clock or FakeClock())
    token = provision(emulator, size=SIZE, burst=burst)["access_token"]
    return emulator, token


def new_source(
    emulator: NimbleEmulator, token: str, clock: FakeClock | None = None, spec: SourceSpec = SPEC
) -> DeclarativeSource:
    client = spec.client(
        BASE,
        BearerAuth(token),
        httpx.ASGITransport(app=emulator.app),
        sleep=(clock or FakeClock()).sleep,
        retry=RetryPolicy(attempts=4, wait_initial=0.01),
    )
    return DeclarativeSource(spec, client)


def raw_client(emulator: NimbleEmulator, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=f"{BASE}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture(scope="module")
def account() -> tuple[NimbleEmulator, str]:
    return new_emulator()


async def test_pages_are_walked_past_the_first(account: Any) -> None:
    small = dataclasses.replace(
        PERSONS,
        paginator=PageNumber(size=7, records_path="resources", total_pages_path="meta.pages"),
    )
    spec = dataclasses.replace(
        SPEC, streams=tuple(small if s is PERSONS else s for s in SPEC.streams)
    )
    persons = await extract_records(new_source(*account, spec=spec), Entity.persons)
    assert len(persons) == len(HELD.persons) > 7
    async with raw_client(*account) as client:
        body = (
            await client.get(
                "/contacts", params={"per_page": 7, "page": 2, "record_type": "person"}
            )
        ).json()
    assert body["meta"] == {
        "page": 2,
        "pages": -(-len(HELD.persons) // 7),
        "per_page": 7,
        "total": len(HELD.persons),
    }


async def test_a_wrong_token_is_refused(account: Any) -> None:
    emulator, _ = account
    with pytest.raises(AuthFailed):
        await new_source(emulator, "wrong").check()
    async with raw_client(emulator, "wrong") as client:
        response = await client.get("/contacts")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "code"}


@pytest.mark.parametrize(
    "query", ["per_page=101", "page=0", "updated_since=2026-01-01", "record_type=deal"]
)
async def test_bad_parameters_are_a_validation_error(account: Any, query: str) -> None:
    async with raw_client(*account) as client:
        response = await client.get(f"/contacts?{query}")
    assert response.status_code == 409
    assert response.json()["code"] == 245


async def test_a_429_is_waited_out_and_retried() -> None:
    clock = FakeClock()
    emulator, token = new_emulator(clock, burst=2)
    async with raw_client(emulator, token) as client:
        await client.get("/users")
        await client.get("/users")
        refused = await client.get("/users")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    source = new_source(emulator, token, clock)
    users = await extract_records(source, Entity.users)
    assert len(users) == len(HELD.users)
    assert source.client.stats.rate_limited >= 1 and clock.slept


async def test_tags_arrive_as_labels_and_tags_0_leaves_them_out(account: Any) -> None:
    source = new_source(*account)
    people = {p.source_id: p.labels for p in await extract_records(source, Entity.persons)}
    companies = {o.source_id: o.labels for o in await extract_records(source, Entity.organizations)}
    assert people == {IDS.hex24(p.source_id): p.labels for p in HELD.persons}
    assert companies == {IDS.hex24(o.source_id): o.labels for o in HELD.organizations}
    assert people[IDS.hex24("p1")] == ["Customer", "VIP – Ważny"]
    async with raw_client(*account) as client:
        bare = (await client.get("/contacts", params={"tags": 0, "per_page": 100})).json()
        bad = await client.get("/contacts", params={"tags": "yes"})
    assert bare["resources"] and all("tags" not in c for c in bare["resources"])
    assert bad.status_code == 409 and bad.json()["code"] == 245
    assert HELD.leads == [] and HELD.files == []  # no lead object, no attachments in API v1
