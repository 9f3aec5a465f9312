"""`make bench-ledger`: migrations over time, with figures. Distributed Ferry (PostgreSQL, Redis,
the API and two workers); a reference Pipedrive sandbox S (BENCH_SIZE persons, default 300) and
an empty one T. In turn: a preview, a sample, a full session, a delta after 5% of S's persons are
renamed and 1% added through S's API, a second full session (nothing to do), and the undo of the
first full session.

Prints per step how long it took, the Pipedrive tokens the session says it spent, the tokens T's
budget header says were spent (an independent check), and what the session did (created, updated,
matched, unchanged, deleted); then the preview's token estimate beside the sample and full
sessions' sum."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx

from bench.cluster import distributed, tokens_left
from tests import services
from tests.helpers import PipedriveReader, endpoint, sandbox, wait_for

LIMITS = {"burst": 10_000, "daily_tokens": 10_000_000}
COUNTS = ("created", "updated", "matched", "unchanged", "deleted")


async def step(
    client: httpx.AsyncClient, name: str, target: dict[str, Any], path: str, body: dict[str, Any]
) -> dict[str, Any]:
    before = await tokens_left(target)
    started = time.monotonic()
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    done = await wait_for(client, response.json()["id"], timeout=7200)
    elapsed = time.monotonic() - started
    measured = before - await tokens_left(target) - 2  # less our own /users/me read
    totals = {c: sum(p[c] for p in done["progress"].values()) for c in COUNTS}
    did = " ".join(f"{c} {n}" for c, n in totals.items() if n)
    print(
        f"{name:<8} {done['status']:<10} {elapsed:7.1f} s  tokens {done['tokens_spent']:>7} "
        f"(budget header: {measured:>7})  {did}",
        flush=True,
    )
    return done


async def change_source(source: dict[str, Any], renamed: int, added: int) -> None:
    persons = await PipedriveReader(source).all("persons")
    headers = {"x-api-token": source["credentials"]["api_token"]}
    async with httpx.AsyncClient(base_url=source["base_url"], headers=headers) as http:
        for person in persons[:renamed]:
            path = f"/api/v2/persons/{person['id']}"
            body = {"name": f"{person['name']} (renamed)"}
            assert (await http.patch(path, json=body)).status_code == 200
        for index in range(added):
            body = {"name": f"New Person {index}", "emails": [{"value": f"new{index}@example.org"}]}
            assert (await http.post("/api/v2/persons", json=body)).status_code in (200, 201)


async def main(size: int) -> None:
    async with distributed("bench-ledger", 12) as (cluster, client):
        source = await sandbox(client, size=size, limits=LIMITS)
        target = await sandbox(client, dataset="empty", limits=LIMITS)
        pair = {"source": endpoint(source), "target": endpoint(target)}
        preview = await step(client, "preview", target, "/v1/sessions/preview", pair)
        sample = await step(client, "sample", target, "/v1/sessions", {**pair, "mode": "sample"})
        full = await step(client, "full", target, "/v1/sessions", pair)
        await change_source(source, renamed=max(1, size // 20), added=max(1, size // 100))
        await step(client, "delta", target, "/v1/sessions", {**pair, "mode": "delta"})
        await step(client, "full2", target, "/v1/sessions", pair)
        await step(client, "undo", target, f"/v1/sessions/{full['id']}/undo", {})
        estimate = ((preview.get("report") or {}).get("tokens") or {}).get("total")
        spent = sample["tokens_spent"] + full["tokens_spent"]
        print(f"preview's estimate {estimate} tokens; sample + full spent {spent}")
        print(f"logs in {cluster.logs}")


if __name__ == "__main__":
    services.require_services()
    asyncio.run(main(int(os.environ.get("BENCH_SIZE", "300"))))
