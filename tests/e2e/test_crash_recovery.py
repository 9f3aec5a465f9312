"""Workers die hard (SIGKILL: no cleanup, no arq re-queue): the session is taken over by another
worker within seconds, and the target ends up identical to the source, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import asyncpg
import httpx

from tests.conftest import Stack
from tests.e2e.test_migration import assert_same_company
from tests.helpers import TERMINAL, sandbox, start_session, wait_for

TAKEOVER_DEADLINE = 30.0  # the promise: another worker has the session within 30 s


class SessionRows:
    """Reads a session's lease straight from Ferry's database (never written by the test)."""

    def __init__(self, stack: Stack) -> None:
        url = stack.env["FERRY_DATABASE_URL"]
        self.dsn = url.replace("postgresql+asyncpg://", "postgresql://")

    async def lease(self, session_id: str) -> tuple[str | None, str]:
        conn = await asyncpg.connect(self.dsn)
        try:
            row = await conn.fetchrow(
                "SELECT lease_owner, status FROM sessions WHERE id = $1", session_id
            )
        finally:
            await conn.close()
        assert row is not None
        return row["lease_owner"], row["status"]


def holder(stack: Stack, owner: str | None) -> Any:
    """The worker process whose pid is in the lease owner ("host:pid:nonce")."""
    if not owner or owner.count(":") < 2:
        return None
    pid = int(owner.split(":")[1])
    return next((w for w in stack.workers if w.proc.pid == pid and w.proc.poll() is None), None)


async def held_by_a_live_worker(rows: SessionRows, stack: Stack, session_id: str) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        owner, status = await rows.lease(session_id)
        if status in TERMINAL:
            return None
        worker = holder(stack, owner)
        if worker is not None:
            return worker
        await asyncio.sleep(0.1)
    raise AssertionError("no worker took the session")


async def taken_over(rows: SessionRows, stack: Stack, session_id: str, dead_pid: int) -> float:
    """Seconds until another live worker holds the session (or it has ended)."""
    started = time.monotonic()
    while time.monotonic() - started < TAKEOVER_DEADLINE:
        owner, status = await rows.lease(session_id)
        worker = holder(stack, owner)
        if status in TERMINAL or (worker is not None and worker.proc.pid != dead_pid):
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise AssertionError(f"session {session_id} not taken over within {TAKEOVER_DEADLINE} s")


def moved(session: dict[str, Any]) -> int:
    if session["status"] in TERMINAL:
        return 1 << 30
    return sum(p["extracted"] + p["loaded"] for p in session["progress"].values())


async def test_sigkilled_workers_lose_nothing_and_the_session_moves_on_within_seconds(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    rows = SessionRows(stack)
    source = await sandbox(client, size=60)
    target = await sandbox(client, dataset="empty", limits={"burst": 20})
    session = await start_session(client, source, target)
    kills = []
    for _ in range(4):
        worker = await held_by_a_live_worker(rows, stack, session["id"])
        if worker is None:
            break
        before = (await client.get(f"/v1/sessions/{session['id']}")).json()
        worker.stop(signal.SIGKILL)
        stack.workers.remove(worker)
        stack.start_worker()
        # It was unfinished when its worker died.
        assert before["status"] == "running", before
        kills.append(await taken_over(rows, stack, session["id"], worker.proc.pid))
        print(f"taken over {kills[-1]:.1f} s after SIGKILL")
        # Let the new run get some work done before the next kill.
        done_before = moved(before)
        await wait_for(client, session["id"], until=lambda s, n=done_before: moved(s) > n)
    assert len(kills) >= 2, f"the session ended before enough kills: {kills}"
    done = await wait_for(client, session["id"], timeout=300)
    assert done["status"] == "completed", done
    assert (await client.get(f"/v1/sessions/{session['id']}/errors")).json()["data"] == []
    await assert_same_company(source, target)


async def test_cancel_ends_a_session_whose_workers_are_all_dead(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    source = await sandbox(client, size=60)
    target = await sandbox(client, dataset="empty", limits={"burst": 10})
    rows = SessionRows(stack)
    session = await start_session(client, source, target)
    await held_by_a_live_worker(rows, stack, session["id"])
    for worker in list(stack.workers):
        worker.stop(signal.SIGKILL)
        stack.workers.remove(worker)
    try:
        response = await client.post(f"/v1/sessions/{session['id']}/cancel")
        assert response.status_code == 202
        # No worker at all: the service itself ends it once the dead run's lease runs out.
        done = await wait_for(client, session["id"], timeout=TAKEOVER_DEADLINE)
        assert done["status"] == "cancelled"
    finally:
        stack.start_worker()
        stack.start_worker()
