"""Keap against its emulator: what is Keap's own (the key or a bearer token, v1 pages followed
to the end, custom values only when asked for, a 429 without Retry-After waited out and the
wait chosen by the quota spent, closed deals read from the win and loss stages, contacts
changed since a time). The contract and conformance tests cover the rest."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.core.auth import HeaderAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.http import RetryPolicy
from adapters.core.paginators import OffsetPaginator
from adapters.keap.emulator import KeapEmulator
from adapters.keap.render import IDS
from adapters.keap.source import SPEC, retry_after
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, provision

SIZE = 30
V1 = "/crm/rest/v1"


def setup(burst: int = 100_000) -> tuple[KeapEmulator, str, FakeClock]:
    clock = FakeClock()
    emulator = KeapEmulator(clock=clock)
    return emulator, provision(emulator, size=SIZE, burst=burst)["api_key"], clock


def raw(emulator: KeapEmulator, **headers: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=emulator.app)
    return httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers)


def source(emulator: KeapEmulator, key: str, clock: FakeClock, spec: SourceSpec = SPEC) -> Any:
    client = spec.client(
        BASE,
        HeaderAuth("X-Keap-API-Key", key),
        httpx.ASGITransport(app=emulator.app),
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=6, wait_initial=0.01),
    )
    return DeclarativeSource(spec, client)


async def test_the_key_header_or_a_bearer_token_and_nothing_else() -> None:
    emulator, key, _ = setup()
    for headers in ({"X-Keap-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        async with raw(emulator, **headers) as client:
            assert (await client.get(f"{V1}/users")).status_code == 200
    async with raw(emulator, **{"X-Keap-API-Key": key[:-1] + "x"}) as client:
        refused = await client.get(f"{V1}/users")
    assert refused.status_code == 401 and refused.json() == {"message": "Invalid Access Token"}


async def test_an_unknown_parameter_is_refused() -> None:
    emulator, key, _ = setup()
    async with raw(emulator, **{"X-Keap-API-Key": key}) as client:
        answer = await client.get(f"{V1}/contacts", params={"page": 2})
    assert answer.status_code == 400 and "page" in answer.json()["message"]


async def test_pages_follow_next_to_the_end_and_custom_values_only_when_asked() -> None:
    emulator, key, _ = setup()
    seen: list[int] = []
    async with raw(emulator, **{"X-Keap-API-Key": key}) as client:
        url: str | None = f"{V1}/contacts?limit=7"
        while url:
            body = (await client.get(url)).json()
            assert body["count"] == SIZE and "custom_fields" not in body["contacts"][0]
            assert (body["previous"] is None) == (not seen)
            seen += [contact["id"] for contact in body["contacts"]]
            url = body["next"]
        asked = {"optional_properties": "custom_fields", "limit": 5000}  # cut to 1000
        body = (await client.get(f"{V1}/contacts", params=asked)).json()
    assert len(set(seen)) == SIZE and len(body["contacts"]) == SIZE and body["next"] is None
    assert any(contact["custom_fields"] for contact in body["contacts"])


def small_pages(spec: SourceSpec, limit: int) -> SourceSpec:
    def paged(stream: Any) -> Any:
        if not isinstance(stream.paginator, OffsetPaginator):
            return stream
        return dataclasses.replace(
            stream, paginator=dataclasses.replace(stream.paginator, limit=limit)
        )

    return dataclasses.replace(spec, streams=tuple(paged(s) for s in spec.streams))


async def test_the_source_reads_many_pages_and_waits_out_a_429_without_retry_after() -> None:
    emulator, key, clock = setup(burst=4)
    async with raw(emulator, **{"X-Keap-API-Key": key}) as client:
        answers = [await client.get(f"{V1}/users") for _ in range(5)]
    assert answers[-1].status_code == 429 and "retry-after" not in answers[-1].headers
    assert answers[-1].json()["status"] == "Request Throttled"
    persons = await extract_records(
        source(emulator, key, clock, small_pages(SPEC, 4)), Entity.persons
    )
    assert len({p.source_id for p in persons}) == SIZE
    assert clock.slept and all(wait == 1.0 for wait in clock.slept)  # Keap's window: a second


async def test_closed_deals_are_read_from_the_win_and_loss_stages() -> None:
    emulator, key, clock = setup()
    held = emulator.held(generate(size=SIZE, seed=0))
    src = source(emulator, key, clock)
    stages = await extract_records(src, Entity.stages)
    first = min(stages, key=lambda s: s.order_nr).source_id  # type: ignore[attr-defined]
    assert {s.name for s in stages}.isdisjoint({"Won", "Lost"})
    deals = {d.source_id: d for d in await extract_records(src, Entity.deals)}
    for deal in held.deals:
        got = deals[str(IDS.integer(deal.source_id))]
        assert (got.status, got.lost_reason) == (deal.status, deal.lost_reason)  # type: ignore[attr-defined]
        if deal.status != "open":
            assert got.stage_source_id == first  # type: ignore[attr-defined]


def test_the_wait_after_a_429_follows_the_quota_that_ran_out() -> None:
    def answer(**headers: str) -> httpx.Response:
        return httpx.Response(429, headers={f"x-keap-product-{k}": v for k, v in headers.items()})

    assert retry_after(answer()) == 1.0  # the per-second spike arrest
    assert retry_after(answer(**{"throttle-available": "0"})) == 60.0  # the rolling minute
    tomorrow = str(int((time.time() + 3600) * 1000))
    day = retry_after(answer(**{"quota-available": "0", "quota-expiry-time": tomorrow}))
    assert day is not None and 3500 < day <= 3600  # over the client's most: the session pauses
    assert retry_after(httpx.Response(200)) is None


async def test_contacts_changed_since_a_time_and_nothing_else_reads_changes() -> None:
    emulator, key, clock = setup()
    src = source(emulator, key, clock)
    before, after = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert len(await extract_records(src, Entity.persons, since=before)) == SIZE
    assert await extract_records(src, Entity.persons, since=after) == []
    assert [e for e in src.entities if src.reads_changes(e)] == [Entity.persons]
