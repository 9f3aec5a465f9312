"""Sessions writing to one Pipedrive company at once, on two workers, share one rate window:
they all complete, nothing is doubled, and they meet (next to) no 429."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.helpers import PipedriveReader, sandbox, start_session, wait_for

SESSIONS = 4
SIZE = 6  # persons per source company
TIGHT_WINDOW = {"burst": 20}  # requests per 2 s: Pipedrive's lowest plan


async def test_sessions_into_one_company_share_its_window(client: httpx.AsyncClient) -> None:
    target = await sandbox(client, dataset="empty", limits=TIGHT_WINDOW)
    sources = [await sandbox(client, size=SIZE) for _ in range(SESSIONS)]
    started = [
        await start_session(
            client,
            source,
            target,
            entities=["organizations", "persons"],
            options={"custom_fields": False},
            merge=False,  # each session creates its own company's persons
        )
        for source in sources
    ]
    ended = await asyncio.gather(*(wait_for(client, s["id"], timeout=240) for s in started))

    assert [s["status"] for s in ended] == ["completed"] * SESSIONS
    # The limiter paces every session of the token from one window kept in Redis: a 429 is the
    # exception. A few remain possible where the sandbox, served by a busy API process on this
    # machine (the suite runs two stacks side by side), counts a burst of requests late (a
    # stall), so the bound is loose; that the window is one for all workers is shown exactly by
    # tests/app/test_ratelimit_redis.py.
    assert sum(s["rate_limited"] for s in ended) <= 10

    arrived = Counter(p["name"] for p in await PipedriveReader(target).all("persons"))
    sent = Counter(p["name"] for p in await PipedriveReader(sources[0]).all("persons"))
    assert arrived == Counter({name: SESSIONS * n for name, n in sent.items()})
