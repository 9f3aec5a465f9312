"""Vendor calls counted where they happen, by system and HTTP status.

Calls happen in the worker processes (distributed mode) or in the API process (embedded mode,
and in both modes the connection checks of `POST /v1/sessions`). Each process counts in memory
(a dict increment per response, through ApiClient's observer hook). In distributed mode every
process adds what it counted to one Redis hash about once a second, so /metrics, served by any
API process, reads the sum of all of them; in embedded mode the one process's memory is the sum.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

from redis.asyncio import Redis

from adapters.core.http import observe_calls

log = logging.getLogger("ferry.metrics")

REDIS_KEY = "ferry:metrics:vendor_calls"  # field "<system> <status>" -> count
FLUSH_SECONDS = 1.0

Key = tuple[str, int]  # (system id, HTTP status)


class CallCounters:
    """This process's counts not yet added to Redis (embedded mode: all of them)."""

    def __init__(self) -> None:
        self._pending: Counter[Key] = Counter()

    def observe(self, system: str, status: int) -> None:
        self._pending[(system, status)] += 1

    def counts(self) -> dict[Key, int]:
        return dict(self._pending)

    def take(self) -> Counter[Key]:
        taken, self._pending = self._pending, Counter()
        return taken

    def give_back(self, counts: Counter[Key]) -> None:
        self._pending.update(counts)


CALLS = CallCounters()


def count_vendor_calls() -> None:
    """Start counting this process's vendor calls (idempotent)."""
    observe_calls(CALLS.observe)


async def flush(redis: Redis) -> None:
    """Add what this process counted since the last flush to the shared hash, in one round
    trip. What could not be written is kept for the next flush."""
    taken = CALLS.take()
    if not taken:
        return
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for (system, status), count in taken.items():
                pipe.hincrby(REDIS_KEY, f"{system} {status}", count)
            await pipe.execute()
    except Exception:
        CALLS.give_back(taken)
        raise


async def flush_forever(redis: Redis, every: float = FLUSH_SECONDS) -> None:
    """Flush every `every` seconds until cancelled, and once more then (a worker stopping)."""
    try:
        while True:
            await asyncio.sleep(every)
            try:
                await flush(redis)
            except Exception:  # noqa: BLE001 - Redis away for a moment: the counts wait
                log.warning("vendor call counters not flushed; kept for the next try")
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(flush(redis))


async def shared_counts(redis: Redis) -> dict[Key, int]:
    """Every process's flushed counts (this one's flushed first)."""
    await flush(redis)
    # redis-py types its commands for sync and async clients at once.
    raw: dict[bytes | str, bytes | str] = await redis.hgetall(REDIS_KEY)  # type: ignore[misc]
    counts: dict[Key, int] = {}
    for field, value in raw.items():
        system, _, status = _text(field).rpartition(" ")
        counts[(system, int(status))] = int(_text(value))
    return counts


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def start_counting(redis: Redis | None) -> asyncio.Task[None] | None:
    """Count this process's vendor calls; with Redis (distributed mode) flush them there."""
    count_vendor_calls()
    return asyncio.create_task(flush_forever(redis)) if redis is not None else None


async def stop_counting(flusher: asyncio.Task[None] | None) -> None:
    """Stop the flusher after its last flush."""
    if flusher is None:
        return
    flusher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await flusher
