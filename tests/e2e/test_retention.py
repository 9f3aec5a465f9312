"""Retention: a finished session's staged rows (raw source records) go once it ended more than
FERRY_RETENTION_DAYS (default 30) ago; its progress, errors and ledger stay, so an undo of it
still works. The purge runs in the workers' cron (hourly, and when a worker starts)."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx

from tests.conftest import Stack
from tests.helpers import PipedriveReader, sandbox, start_session, wait_for


class Database:
    """Ferry's own database, read (and its clock moved) as time passing would."""

    def __init__(self, stack: Stack) -> None:
        self.dsn = stack.env["FERRY_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")

    async def fetchval(self, query: str, *args: object) -> object:
        conn = await asyncpg.connect(self.dsn)
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    async def staged(self, session_id: str) -> int:
        return int(
            await self.fetchval(  # type: ignore[call-overload]
                "SELECT count(*) FROM staged_records WHERE session_id = $1", session_id
            )
        )

    async def ended_days_ago(self, session_id: str, days: int) -> None:
        await self.fetchval(
            "UPDATE sessions SET finished_at = finished_at - make_interval(days => $2) "
            "WHERE id = $1",
            session_id,
            days,
        )


async def _purged(db: Database, session_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while await db.staged(session_id):
        assert time.monotonic() < deadline, "the staged rows were not purged"
        await asyncio.sleep(0.2)


async def test_staged_rows_past_retention_go_and_errors_progress_ledger_and_undo_stay(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    source = await sandbox(client, size=8)
    target = await sandbox(client, dataset="empty")
    # A 1-byte file cap: every file stays behind with an error the user must still see later.
    old = await wait_for(
        client, (await start_session(client, source, target, options={"max_file_bytes": 1}))["id"]
    )
    assert old["status"] == "completed_with_errors", old
    errors = (await client.get(f"/v1/sessions/{old['id']}/errors")).json()["data"]
    assert errors
    recent = await wait_for(
        client,
        (await start_session(client, await sandbox(client, size=3), await sandbox(client, dataset="empty")))["id"],
    )  # fmt: skip
    db = Database(stack)
    assert await db.staged(old["id"]) and await db.staged(recent["id"])

    await db.ended_days_ago(old["id"], 31)
    worker = stack.start_worker()  # a worker purges when it starts, then hourly
    try:
        await _purged(db, old["id"])
    finally:
        worker.stop()
        stack.workers.remove(worker)

    assert await db.staged(recent["id"])  # ended today: kept
    later = (await client.get(f"/v1/sessions/{old['id']}")).json()
    assert later["progress"] == old["progress"] and later["tokens_spent"] == old["tokens_spent"]
    assert (await client.get(f"/v1/sessions/{old['id']}/errors")).json()["data"] == errors

    # The undo reads the ledger only: what the old session created goes from the target.
    assert await PipedriveReader(target).all("persons")
    undo = await client.post(f"/v1/sessions/{old['id']}/undo", json={})
    assert undo.status_code == 201, undo.text
    undone = await wait_for(client, undo.json()["id"])
    assert undone["status"] == "completed", undone
    assert await PipedriveReader(target).all("persons") == []
