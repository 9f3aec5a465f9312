"""A long session does not keep another company's session waiting: with one worker running one
session at a time, the long one hands over every chunk (FERRY_CHUNK_SECONDS, 4 s here) to the
back of the queue, so a small session queued behind it runs at its next hand-over and ends while
the long one is still at work."""

from __future__ import annotations

import httpx

from tests.conftest import Stack
from tests.helpers import sandbox, start_session, wait_for

LONG_SIZE = 300  # persons: about 1,500 records, each write 250 ms away
SHORT_SIZE = 5


async def test_a_long_session_lets_another_companys_session_through(
    stack: Stack, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    for worker in list(stack.workers):
        worker.stop()
        stack.workers.remove(worker)
    single = {**stack.env, "FERRY_WORKER_MAX_JOBS": "1"}
    lone = stack.start_worker_with(single)
    try:
        slow_target = await sandbox(client, dataset="empty")
        put = await client.put(
            f"/sandbox/accounts/{slow_target['id']}/faults", json={"latency_ms": 250}
        )
        assert put.status_code == 200, put.text
        long = await start_session(
            client, await sandbox(client, size=LONG_SIZE), slow_target, merge=False
        )
        await wait_for(client, long["id"], until=lambda s: s["status"] == "running", timeout=60)

        # Another company (another account, source and target) asks for a small migration.
        short_source = await sandbox(other_client, size=SHORT_SIZE)
        short_target = await sandbox(other_client, dataset="empty")
        short = await start_session(other_client, short_source, short_target)
        ended = await wait_for(other_client, short["id"], timeout=120)

        assert ended["status"] == "completed", ended
        still = (await client.get(f"/v1/sessions/{long['id']}")).json()
        assert still["status"] not in ("completed", "completed_with_errors", "failed"), still
        cancel = await client.post(f"/v1/sessions/{long['id']}/cancel")
        assert cancel.status_code in (200, 202), cancel.text
        assert (await wait_for(client, long["id"], timeout=120))["status"] == "cancelled"
    finally:
        lone.stop()
        stack.workers.remove(lone)
        stack.start_worker()
        stack.start_worker()
