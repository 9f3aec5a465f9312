"""The Redis-backed limiter against a real Redis: what one worker learns and meets (the window,
a 429, a spent budget) holds for every other worker's sessions of the same token."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from adapters.core.errors import BudgetExhausted
from adapters.core.ratelimit import MARGIN
from app.ratelimit import RedisRateLimiter
from tests import services
from tests.conftest import run_slot

WINDOW = {"x-ratelimit-limit": "3", "x-ratelimit-remaining": "2", "x-ratelimit-reset": "2"}


class Sleeps:
    """Records the waits the limiter asks for and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture(scope="module")
def services_up() -> None:
    services.require_services()


@pytest.fixture
async def redis(services_up: None) -> AsyncIterator[Redis]:
    client = Redis.from_url(f"{services.REDIS_BASE}/{run_slot()[1]}")
    yield client
    await client.aclose()


@pytest.fixture
def key() -> str:
    return f"test:{uuid.uuid4().hex}"  # no other test's (or the stack's) state


def worker(redis: Redis, sleeps: Sleeps | None = None) -> RedisRateLimiter:
    """A limiter as one worker process holds it (its own Redis connection)."""
    return RedisRateLimiter(redis, sleep=sleeps or Sleeps())


async def test_workers_draw_from_one_window(redis: Redis, key: str) -> None:
    sleeps = Sleeps()
    first, second = worker(redis, sleeps), worker(redis, sleeps)
    await first.acquire(key)  # the probe: its answer tells the window
    await first.update(key, WINDOW)
    await second.acquire(key)
    await first.acquire(key)
    assert sleeps.waits == []
    await second.acquire(key)  # the fourth in 2 s: waits for the first to leave the window
    assert len(sleeps.waits) == 1
    assert 2 * (1 + MARGIN) - 0.5 <= sleeps.waits[0] <= 2 * (1 + MARGIN)


async def test_others_wait_for_the_first_answer_of_a_new_token(redis: Redis, key: str) -> None:
    sleeps = Sleeps()
    first, second = worker(redis, sleeps), worker(redis, sleeps)
    await first.acquire(key)
    polls = 0

    async def answer_after_three_polls(seconds: float) -> None:
        nonlocal polls
        polls += 1
        if polls == 3:
            await first.update(key, WINDOW)

    waiting = RedisRateLimiter(redis, sleep=answer_after_three_polls)
    await waiting.acquire(key)
    assert polls == 3
    await second.acquire(key)  # the window is known now: no more polling
    assert sleeps.waits == []


async def test_a_vendor_without_rate_headers_is_not_paced(redis: Redis, key: str) -> None:
    sleeps = Sleeps()
    limiter = worker(redis, sleeps)
    await limiter.acquire(key)
    await limiter.update(key, {"content-type": "application/json"})
    for _ in range(50):
        await limiter.acquire(key)
    assert sleeps.waits == []


async def test_a_429_met_by_one_worker_holds_the_others(redis: Redis, key: str) -> None:
    sleeps = Sleeps()
    first, second = worker(redis, sleeps), worker(redis, sleeps)
    await first.acquire(key)
    await first.update(key, WINDOW)
    await first.backoff(key, 1.5)
    assert 1.0 <= await second.held(key) <= 1.5
    await second.acquire(key)
    assert sleeps.waits and 1.0 <= sleeps.waits[0] <= 1.5


async def test_a_spent_budget_pauses_every_worker(redis: Redis, key: str) -> None:
    first, second = worker(redis), worker(redis)
    await first.backoff(key, 3600)
    with pytest.raises(BudgetExhausted) as paused:
        await second.acquire(key)
    assert paused.value.message.startswith("rate limit budget spent until")
    assert await second.held(f"{key}:another-token") == 0


async def test_without_redis_a_worker_paces_alone(key: str) -> None:
    unreachable = Redis.from_url(f"redis://127.0.0.1:{services.free_port()}/0")
    limiter = RedisRateLimiter(unreachable, sleep=Sleeps())
    await limiter.acquire(key)
    await limiter.update(key, WINDOW)
    await limiter.acquire(key)  # no error: the process's own window
    await unreachable.aclose()
