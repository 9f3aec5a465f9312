"""`make bench`: the reference company migrated from each source's sandbox into Pipedrive through
an embedded Ferry, with figures.

Prints, per source system, records per second and Pipedrive tokens spent per record (read from
the target's `x-daily-requests-left` header). BENCH_SIZE sets the company's size (persons),
default 300; BENCH_SOURCES a comma-separated list of systems, default every sandboxed source."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx

from bench.cluster import tokens_left
from tests import services
from tests.helpers import sandbox, start_session, wait_for

BUDGET = 10_000_000


async def run(client: httpx.AsyncClient, system: str, size: int) -> None:
    # The burst limit is lifted on both sides: the figures are Ferry's, not the sandbox's pacing.
    limits = {"burst": 10_000, "daily_tokens": BUDGET}
    source = await sandbox(client, size=size, limits=limits, system=system)
    target = await sandbox(client, dataset="empty", limits=limits)
    before = await tokens_left(target)
    started = time.monotonic()
    session = await start_session(client, source, target)
    done = await wait_for(client, session["id"], timeout=3600)
    elapsed = time.monotonic() - started
    spent = before - await tokens_left(target) - 2  # the last users/me call costs 2
    records = sum(p["loaded"] for e, p in done["progress"].items() if e != "users")
    print(
        f"{system:<12} {done['status']:<10} {records:>8} {elapsed:>8.1f} "
        f"{records / elapsed:>8.1f} {spent / max(records, 1):>10.2f}",
        flush=True,
    )


def print_write_costs() -> None:
    """What one record of each entity costs to create in Pipedrive (the spec's x-token-cost)."""
    from adapters.pipedrive.target import WRITE_PATHS, write_cost

    costs = {e.value: write_cost(e, "create") for e in WRITE_PATHS}
    print("tokens per create: " + ", ".join(f"{e} {c}" for e, c in costs.items()))


async def run_all(url: str, key: str, size: int, systems: list[str]) -> None:
    headers = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        if not systems:
            listed = (await client.get("/v1/systems")).json()
            systems = [s["id"] for s in listed if "source" in s["roles"] and s["sandbox"]]
        print(
            f"{'source':<12} {'status':<10} {'records':>8} {'seconds':>8} {'rec/s':>8} {'tokens/rec':>10}"
        )
        for system in systems:
            await run(client, system, size)


def main() -> None:
    size = int(os.environ.get("BENCH_SIZE", "300"))
    systems = [s for s in os.environ.get("BENCH_SOURCES", "").split(",") if s]
    home = Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    api, url, key = services.start_embedded(home, "bench")
    try:
        print(f"embedded Ferry, reference company of {size} persons, sandbox burst limits lifted")
        print_write_costs()
        asyncio.run(run_all(url, key, size, systems))
    finally:
        api.stop()


if __name__ == "__main__":
    main()
