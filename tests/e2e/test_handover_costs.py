"""No tokens spent again at a hand-over: a session that hands over several times (a target
slow enough to outlast FERRY_CHUNK_SECONDS, 4 s in the test stack) keeps what its first load
run resolved (the field mapping, the token's user, the labels) and spends no more of
Pipedrive's budget than the same session done in one run."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import Stack
from tests.helpers import PipedriveReader, sandbox, start_session, wait_for

# Custom fields and labels on every entity, and no pipelines or stages (whose lists a run
# reads when it loads them, however it is cut).
ENTITIES = ["users", "organizations", "persons", "products"]


def handovers(stack: Stack, session_id: str) -> int:
    said = f"event=session.handed_over session={session_id}"
    return sum(
        line.count(said) for log in stack.logs.glob("worker-*.log") for line in [log.read_text()]
    )


async def migrate(
    client: httpx.AsyncClient, source: dict[str, Any], limits: dict[str, int]
) -> tuple[dict[str, Any], dict[str, Any]]:
    target = await sandbox(client, dataset="empty", limits=limits)
    started = await start_session(client, source, target, entities=ENTITIES)
    return await wait_for(client, started["id"], timeout=180), target


async def test_a_session_cut_in_chunks_spends_what_one_run_spends(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    source = await sandbox(client, size=12)
    # 8 requests per 2 s: the session's few dozen writes outlast several 4-second chunks.
    (slow, slow_target), (fast, fast_target) = await asyncio.gather(
        migrate(client, source, {"burst": 8}), migrate(client, source, {})
    )
    assert slow["status"] == fast["status"] == "completed", (slow, fast)
    assert handovers(stack, slow["id"]) >= 2
    assert handovers(stack, fast["id"]) == 0
    assert slow["tokens_spent"] <= fast["tokens_spent"], (
        slow["tokens_spent"],
        fast["tokens_spent"],
    )
    # The same company arrived, with each custom field made once.
    for path in ("personFields", "organizationFields", "productFields"):
        slow_fields = [f["field_name"] for f in await PipedriveReader(slow_target).all(path)]
        fast_fields = [f["field_name"] for f in await PipedriveReader(fast_target).all(path)]
        assert sorted(slow_fields) == sorted(fast_fields)
        assert len(slow_fields) == len(set(slow_fields))
    for path in ("persons", "organizations", "products"):
        slow_names = sorted(r["name"] for r in await PipedriveReader(slow_target).all(path))
        fast_names = sorted(r["name"] for r in await PipedriveReader(fast_target).all(path))
        assert slow_names == fast_names and slow_names
    assert [without_key(f) for f in slow["field_map"]] == [
        without_key(f) for f in fast["field_map"]
    ]


def without_key(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "target_key"}  # each company's own hash
