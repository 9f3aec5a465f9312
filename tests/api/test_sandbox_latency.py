"""Sandbox latency: a sandbox account of any vendor answers every emulated API call after
`latency_ms` (a number, or a range [min, max] each call draws from), set when it is made or
later with PUT .../faults, so that benchmarks and tests see a real vendor's pacing.

No speed is asserted: each delayed answer names its latency in `x-sandbox-latency-ms`, and an
answer cannot come sooner than an injected sleep, so the lower bounds below cannot flake."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.helpers import sandbox

LATENCY_HEADER = "x-sandbox-latency-ms"


async def make(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/sandbox/accounts", json={"dataset": "empty", "size": 5, **body})


def pipedrive_api(account: dict[str, Any]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=account["base_url"],
        headers={"x-api-token": account["credentials"]["api_token"]},
        timeout=30,
    )


async def test_a_fixed_latency_set_at_creation_delays_every_call(
    client: httpx.AsyncClient,
) -> None:
    response = await make(client, system="pipedrive", latency_ms=120)
    assert response.status_code == 201, response.text
    account = response.json()
    assert account["faults"]["latency_ms"] == 120
    fetched = (await client.get(f"/sandbox/accounts/{account['id']}")).json()
    assert fetched["faults"]["latency_ms"] == 120
    async with pipedrive_api(account) as api:
        read = await api.get("/api/v2/persons")
        write = await api.post("/api/v2/organizations", json={"name": "Latency GmbH"})
    assert read.status_code == write.status_code == 200, write.text
    assert read.headers[LATENCY_HEADER] == write.headers[LATENCY_HEADER] == "120"


async def test_a_range_is_drawn_per_call_for_any_vendor(client: httpx.AsyncClient) -> None:
    account = await sandbox(client, system="hubspot", dataset="empty", size=5)
    faults = {"latency_ms": [20, 60], "seed": 3}
    changed = await client.put(f"/sandbox/accounts/{account['id']}/faults", json=faults)
    assert changed.status_code == 200, changed.text
    assert changed.json()["faults"]["latency_ms"] == [20, 60]
    headers = {"authorization": f"Bearer {account['credentials']['access_token']}"}
    async with httpx.AsyncClient(base_url=account["base_url"], headers=headers) as api:
        answers = await asyncio.gather(*(api.get("/crm/v3/objects/contacts") for _ in range(8)))
    assert {a.status_code for a in answers} == {200}
    drawn = [int(a.headers[LATENCY_HEADER]) for a in answers]
    assert all(20 <= ms <= 60 for ms in drawn)
    assert len(set(drawn)) > 1  # drawn per call, not once


async def test_latency_can_be_lifted(client: httpx.AsyncClient) -> None:
    account = (await make(client, system="pipedrive", latency_ms=[10, 30])).json()
    lifted = await client.put(f"/sandbox/accounts/{account['id']}/faults", json={})
    assert lifted.json()["faults"]["latency_ms"] == 0
    async with pipedrive_api(account) as api:
        answer = await api.get("/api/v2/persons")
    assert answer.status_code == 200 and LATENCY_HEADER not in answer.headers


async def test_bad_latencies_are_refused_with_what_is_wrong(client: httpx.AsyncClient) -> None:
    cases = {
        20_000: "between 0 and 10,000",
        -5: "between 0 and 10,000",
        "fast": "a number of milliseconds or [min, max]",
        1.5: "whole number",
        (300, 100): "min is more than max",
        (1, 2, 3): "[min, max]",
        (0, 10_001): "between 0 and 10,000",
    }
    for latency, says in cases.items():
        value = list(latency) if isinstance(latency, tuple) else latency
        created = await make(client, system="pipedrive", latency_ms=value)
        assert created.status_code == 422, (latency, created.text)
        error = created.json()["error"]
        assert error["code"] == "validation_error" and says in error["message"], error
    account = (await make(client, system="pipedrive")).json()
    put = await client.put(
        f"/sandbox/accounts/{account['id']}/faults", json={"latency_ms": [300, 100]}
    )
    assert put.status_code == 422 and "min is more than max" in put.json()["error"]["message"]
    twice = await make(client, system="pipedrive", latency_ms=5, faults={"latency_ms": 5})
    assert twice.status_code == 422 and "once" in twice.json()["error"]["message"]
