"""The shared limiter against Pipedrive's own window (the emulator's rolling 2-second counter),
in virtual time: concurrent callers, latency, 429s, spent budgets, fairness, headers."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from adapters.core.errors import BudgetExhausted
from adapters.core.ratelimit import LocalRateLimiter, Reading, read_headers
from adapters.pipedrive.client import BudgetWatch
from adapters.pipedrive.emulator.ratelimit import Limits
from adapters.pipedrive.emulator.ratelimit import RateLimiter as PipedriveWindow


class VirtualTime:
    """Sleeps that return when every task is waiting, the clock moved to the earliest wake-up:
    minutes of pacing run in milliseconds, and the same way every time."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    async def run(self, *work: Coroutine[Any, Any, Any]) -> list[Any]:
        tasks = [asyncio.ensure_future(w) for w in work]
        while True:
            for _ in range(30):  # let every task run until it sleeps or ends
                await asyncio.sleep(0)
            if all(t.done() for t in tasks):
                return [t.result() for t in tasks]
            assert self._sleepers, "every task is stuck"
            when, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, when)
            future.set_result(None)


class Vendor:
    """Pipedrive's burst window for one token, answering like the emulator does."""

    def __init__(self, burst: int, time: VirtualTime) -> None:
        self.window = PipedriveWindow(Limits(burst=burst, daily_tokens=10**12))
        self.time = time
        self.allowed: list[float] = []  # when each allowed request arrived
        self.refused = 0

    async def call(
        self, limiter: Any, key: str, latency: Callable[[], float] = lambda: 0.0
    ) -> None:
        await limiter.acquire(key)
        await self._travel(latency())
        verdict = self.window.charge("token", 1, self.time.now)
        if verdict.allowed:
            self.allowed.append(self.time.now)
        else:
            self.refused += 1
        await self._travel(latency())
        await limiter.update(key, verdict.headers())
        if not verdict.allowed:
            await limiter.backoff(key, verdict.retry_after)

    async def _travel(self, seconds: float) -> None:
        await self.time.sleep(seconds)  # a request always yields, even at no latency

    def steady_rate(self) -> float:
        """Requests per second from the first to the last (those of the last moment left out:
        the pacing may let a window's worth go at once)."""
        first, last = self.allowed[0], self.allowed[-1]
        return sum(1 for t in self.allowed if t < last) / (last - first)


def make(burst: int = 100) -> tuple[VirtualTime, Vendor, LocalRateLimiter]:
    time = VirtualTime()
    return time, Vendor(burst, time), LocalRateLimiter(sleep=time.sleep, clock=time.clock)


async def callers(
    vendor: Vendor, limiter: Any, key: str, *, concurrency: int, requests: int, **kw: Any
) -> None:
    async def one() -> None:
        for _ in range(requests // concurrency):
            await vendor.call(limiter, key, **kw)

    await asyncio.gather(*(one() for _ in range(concurrency)))


async def test_concurrent_callers_use_the_window_without_a_429() -> None:
    time, vendor, limiter = make(burst=100)
    await time.run(callers(vendor, limiter, "pd:t", concurrency=8, requests=2000))
    assert vendor.refused == 0
    assert vendor.steady_rate() >= 0.95 * 50  # of the 100 per 2 s the window allows


async def test_latency_jitter_between_grant_and_arrival_costs_no_429() -> None:
    time, vendor, limiter = make(burst=80)
    jitter = random.Random(7)
    work = callers(
        vendor,
        limiter,
        "pd:t",
        concurrency=12,
        requests=1200,
        latency=lambda: jitter.uniform(0.0, 0.03),
    )
    await time.run(work)
    assert vendor.refused == 0
    assert vendor.steady_rate() >= 0.95 * 40


async def test_sessions_of_one_token_share_the_window_fairly() -> None:
    time, vendor, limiter = make(burst=20)
    done: dict[str, float] = {}

    async def session(name: str, requests: int, concurrency: int = 4) -> None:
        await callers(vendor, limiter, "pd:t", concurrency=concurrency, requests=requests)
        done[name] = time.now

    await time.run(session("first", 400), session("second", 400), session("small", 40))
    assert vendor.refused == 0
    # Grants come in the order asked: equal sessions end together, a small one is not kept
    # waiting behind the big ones.
    assert abs(done["first"] - done["second"]) <= 0.1 * done["first"]
    assert done["small"] <= 0.2 * done["first"]


async def test_a_429_holds_every_caller_of_the_token_for_its_retry_after() -> None:
    time, vendor, limiter = make(burst=10)
    outside = PipedriveWindow(Limits(burst=10))
    for _ in range(10):  # someone else used the whole window just now
        outside.charge("token", 1, 0.0)
    vendor.window = outside
    await time.run(callers(vendor, limiter, "pd:t", concurrency=4, requests=40))
    assert vendor.refused <= 1  # the first answer; the others waited with it
    assert vendor.allowed[0] >= 2.0  # nothing went before the window freed


async def test_the_first_request_tells_the_window_before_others_go() -> None:
    time, vendor, limiter = make(burst=5)
    await time.run(callers(vendor, limiter, "pd:t", concurrency=10, requests=30))
    assert vendor.refused == 0


async def test_a_vendor_without_rate_headers_is_not_paced() -> None:
    time = VirtualTime()
    limiter = LocalRateLimiter(sleep=time.sleep, clock=time.clock)
    await limiter.acquire("crm:t")
    await limiter.update("crm:t", {"content-type": "application/json"})
    await time.run(*(limiter.acquire("crm:t") for _ in range(500)))
    assert time.now == 0.0


async def test_a_long_hold_is_a_spent_budget_for_every_caller() -> None:
    time = VirtualTime()
    limiter = LocalRateLimiter(sleep=time.sleep, clock=time.clock)
    await limiter.backoff("pd:t", 3600)
    with pytest.raises(BudgetExhausted):
        await limiter.acquire("pd:t")
    assert await limiter.held("pd:t") == pytest.approx(3600)
    await limiter.acquire("pd:other-token")  # another token is not held


async def test_a_spent_budget_pauses_other_tokens_of_the_same_company() -> None:
    time = VirtualTime()
    shared = LocalRateLimiter(sleep=time.sleep, clock=time.clock)
    alice, bob, elsewhere = (BudgetWatch(shared, clock=time.clock) for _ in range(3))
    alice.company_is("api.pipedrive.com", 42)
    bob.company_is("api.pipedrive.com", 42)
    elsewhere.company_is("api.pipedrive.com", 43)
    await alice.backoff("pd:alice", 7200)  # alice met the budget's 429
    for watch, key in ((alice, "pd:alice"), (bob, "pd:bob")):
        with pytest.raises(BudgetExhausted) as paused:
            await watch.acquire(key)
        assert "budget spent until" in paused.value.message
    await elsewhere.acquire("pd:carol")  # another company's budget is its own


async def test_burst_429s_do_not_pause_the_company() -> None:
    time = VirtualTime()
    shared = LocalRateLimiter(sleep=time.sleep, clock=time.clock)
    alice, bob = BudgetWatch(shared, clock=time.clock), BudgetWatch(shared, clock=time.clock)
    alice.company_is("h", 1)
    bob.company_is("h", 1)
    await alice.backoff("pd:alice", 2)
    await time.run(bob.acquire("pd:bob"))
    assert time.now == 0.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"x-ratelimit-limit": "80", "x-ratelimit-remaining": "79", "x-ratelimit-reset": "1.5"},
            Reading(limit=80, remaining=79, reset=1.5),
        ),
        (
            {"RateLimit": "limit=100, remaining=42, reset=7", "RateLimit-Policy": "100;w=10"},
            Reading(limit=100, remaining=42, reset=7, window=10),
        ),
        (
            {"RateLimit": '"default";r=5;t=2', "RateLimit-Policy": '"default";q=50;w=60'},
            Reading(limit=50, remaining=5, reset=2, window=60),
        ),
        (
            {"ratelimit-limit": "10", "ratelimit-remaining": "3", "ratelimit-reset": "4"},
            Reading(limit=10, remaining=3, reset=4),
        ),
        (
            {
                "X-HubSpot-RateLimit-Max": "190",
                "X-HubSpot-RateLimit-Remaining": "12",
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            },
            Reading(limit=190, remaining=12, window=10),
        ),
        ({"content-type": "application/json"}, None),
    ],
)
def test_rate_headers_are_read_in_every_documented_form(
    headers: dict[str, str], expected: Reading | None
) -> None:
    import httpx

    assert read_headers(httpx.Headers(headers)) == expected


def test_an_epoch_reset_is_read_as_seconds_left() -> None:
    reading = read_headers({"x-ratelimit-remaining": "1", "x-ratelimit-reset": "2000000010"}, 2e9)
    assert reading is not None and reading.reset == pytest.approx(10)
