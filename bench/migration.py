"""`make bench`: one migration of the reference company through an embedded Ferry, with figures.

Prints records per second and Pipedrive tokens spent per record (read from the target's
`x-daily-requests-left` header). BENCH_SIZE sets the company's size (persons), default 300."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx

from tests import services
from tests.helpers import sandbox, start_session, wait_for

BUDGET = 10_000_000


async def _tokens_left(account: dict) -> int:
    headers = {"x-api-token": account["credentials"]["api_token"]}
    async with httpx.AsyncClient(base_url=account["base_url"], headers=headers) as http:
        response = await http.get("/v1/users/me")
    return int(response.headers["x-daily-requests-left"])


async def run(url: str, key: str, size: int) -> None:
    headers = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        limits = {"burst": 10_000, "daily_tokens": BUDGET}
        source = await sandbox(client, size=size, limits=limits)
        target = await sandbox(client, dataset="empty", limits=limits)
        before = await _tokens_left(target)
        started = time.monotonic()
        session = await start_session(client, source, target)
        done = await wait_for(client, session["id"], timeout=3600)
        elapsed = time.monotonic() - started
        spent = before - await _tokens_left(target) - 2  # the last users/me call costs 2
    records = sum(p["loaded"] for e, p in done["progress"].items() if e != "users")
    print(f"status              {done['status']}")
    print(f"records loaded      {records}")
    print(f"wall time           {elapsed:.1f} s")
    print(f"throughput          {records / elapsed:.1f} records/s")
    print(f"target tokens       {spent} ({spent / max(records, 1):.2f} per record)")


def main() -> None:
    size = int(os.environ.get("BENCH_SIZE", "300"))
    home = Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    api, url, key = services.start_embedded(home, "bench")
    try:
        print(f"embedded Ferry, reference company of {size} persons, sandbox burst limit lifted")
        asyncio.run(run(url, key, size))
    finally:
        api.stop()


if __name__ == "__main__":
    main()
