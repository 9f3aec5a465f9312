"""Loading keeps many writes in flight at once (FERRY_MAX_IN_FLIGHT). Against a target that
answers slowly and loses answers to writes it acted on, every record still arrives exactly
once: a lost answer leaves its record pending until it is reconciled, never sent blindly again,
and a session cancelled with writes in flight, then resumed, finishes with nothing doubled."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.test_conformance import SIZE, assert_arrived_whole
from tests.e2e.test_faults import faulty_sandbox
from tests.helpers import sandbox, start_session, wait_for

# Writes answer late (so several are in flight together), and a fifth of them act and then
# lose their answer, or fail before acting.
SLOW_AND_LOSSY = {
    "latency_ms": 60,
    "server_error": 0.05,
    "server_error_after": 0.08,
    "drop_before": 0.03,
    "drop_after": 0.08,
}


async def test_writes_in_flight_together_that_lose_their_answers_land_once(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=SIZE)
    target = await faulty_sandbox(
        client, "pipedrive", "empty", {"writes": SLOW_AND_LOSSY, "seed": 5}
    )
    session = await start_session(client, source, target)
    await assert_arrived_whole(client, session["id"], "pipedrive", target)


async def test_a_session_cancelled_with_writes_in_flight_resumes_with_nothing_doubled(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=SIZE)
    # 40 writes a second at 300 ms each: about twelve in flight, and the load lasts long
    # enough for the cancel to land in the middle of it.
    target = await sandbox(client, dataset="empty", limits={"burst": 80})
    faults = {"writes": {**SLOW_AND_LOSSY, "latency_ms": 300}, "seed": 9}
    response = await client.put(f"/sandbox/accounts/{target['id']}/faults", json=faults)
    assert response.status_code == 200, response.text
    first = await start_session(client, source, target)
    await wait_for(client, first["id"], until=lambda s: loaded(s) >= 10)
    assert (await client.post(f"/v1/sessions/{first['id']}/cancel")).status_code == 202
    cancelled = await wait_for(client, first["id"], timeout=60)
    assert cancelled["status"] == "cancelled", cancelled

    response = await client.post(f"/v1/sessions/{first['id']}/resume")
    assert response.status_code == 201, response.text
    await assert_arrived_whole(client, response.json()["id"], "pipedrive", target)


def loaded(session: dict[str, Any]) -> int:
    return sum(p["loaded"] for e, p in session["progress"].items() if e != "users")
