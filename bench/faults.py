"""`make bench-faults`: the issue's proof, at size. Distributed Ferry (PostgreSQL, Redis, the API
and two `ferry worker` processes), three sessions side by side from a Pipedrive, a HubSpot and a
Salesforce sandbox (BENCH_SIZE persons, default 1,500), with faults on the sources' reads (10%
500s, 5% dropped connections, 3% 429 storms, 2% truncated bodies) and on the targets' writes (5%
500s, 5% 500s after acting, 5% dropped connections, half of them after acting), while the worker
holding a session is killed with SIGKILL every few seconds (BENCH_KILLS, default 20).

Prints per session its status, records, errors and whether the target is identical to what the
source holds, then how long each takeover after a kill took."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from typing import Any

import httpx

from bench.cluster import Cluster, distributed
from tests import services
from tests.e2e.pipedrive_view import AccountView, assert_same, expected_view
from tests.e2e.test_faults import SOURCE_READ_FAULTS, TARGET_WRITE_FAULTS
from tests.helpers import TERMINAL, PipedriveReader, sandbox, start_session, wait_for

SYSTEMS = ("pipedrive", "hubspot", "salesforce")
LIMITS = {"burst": 10_000, "daily_tokens": 10_000_000}


async def kill_workers(
    cluster: Cluster, sessions: list[str], kills: int, client: httpx.AsyncClient
) -> list[float]:
    """SIGKILL the worker holding a random unfinished session, start another, time the takeover."""
    takeovers: list[float] = []
    rng = random.Random(3)
    while len(takeovers) < kills:
        await asyncio.sleep(rng.uniform(2, 6))
        open_ones = [s for s in sessions if (await _status(client, s)) not in TERMINAL]
        if not open_ones:
            break
        victim_session = rng.choice(open_ones)
        worker = await cluster.holder(victim_session)
        if worker is None:
            continue
        worker.stop(signal.SIGKILL)
        cluster.start_worker()
        started = time.monotonic()
        while time.monotonic() - started < 120:
            holder = await cluster.holder(victim_session)
            if holder is not None or await _status(client, victim_session) in TERMINAL:
                break
            await asyncio.sleep(0.2)
        takeovers.append(time.monotonic() - started)
        print(f"kill {len(takeovers)}: taken over after {takeovers[-1]:.1f} s", flush=True)
    return takeovers


async def _status(client: httpx.AsyncClient, session_id: str) -> str:
    return str((await client.get(f"/v1/sessions/{session_id}")).json()["status"])


async def one_pair(client: httpx.AsyncClient, system: str, size: int) -> tuple[Any, Any, str]:
    source = await sandbox(client, system=system, size=size, limits=LIMITS)
    await client.put(f"/sandbox/accounts/{source['id']}/faults", json={"reads": SOURCE_READ_FAULTS})
    target = await sandbox(client, dataset="empty", limits=LIMITS)
    await client.put(
        f"/sandbox/accounts/{target['id']}/faults", json={"writes": TARGET_WRITE_FAULTS}
    )
    session = await start_session(client, source, target)
    return source, target, session["id"]


async def verdict(client: httpx.AsyncClient, system: str, size: int, pair: Any) -> None:
    from adapters.core.registry import get_system
    from adapters.reference.dataset import generate

    _, target, session_id = pair
    done = await wait_for(client, session_id, timeout=7200)
    errors = (await client.get(f"/v1/sessions/{session_id}/errors")).json()["data"]
    emulator = get_system(system).emulator  # type: ignore[union-attr]
    expected = await expected_view(emulator.held(generate(size=size, seed=0)))
    actual = await AccountView(PipedriveReader(target)).load()
    try:
        assert_same(expected, actual)
        same = "identical"
    except AssertionError as exc:
        same = f"DIFFERENT: {str(exc)[:300]}"
    records = sum(p["loaded"] for e, p in done["progress"].items() if e != "users")
    print(f"{system:<11} {done['status']:<22} {records:>7} records {len(errors):>3} errors  {same}")


async def main(size: int, kills: int) -> None:
    async with distributed("bench-faults", 13, FERRY_CHUNK_SECONDS="20") as (cluster, client):
        started = time.monotonic()
        pairs = [await one_pair(client, system, size) for system in SYSTEMS]
        takeovers = await kill_workers(cluster, [p[2] for p in pairs], kills, client)
        for system, pair in zip(SYSTEMS, pairs, strict=True):
            await verdict(client, system, size, pair)
        print(f"all ended in {time.monotonic() - started:.0f} s; logs in {cluster.logs}")
        if takeovers:
            print(
                f"{len(takeovers)} SIGKILLs; takeover median "
                f"{sorted(takeovers)[len(takeovers) // 2]:.1f} s, max {max(takeovers):.1f} s"
            )


if __name__ == "__main__":
    services.require_services()
    asyncio.run(
        main(int(os.environ.get("BENCH_SIZE", "1500")), int(os.environ.get("BENCH_KILLS", "20")))
    )
