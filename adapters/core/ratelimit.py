"""Pacing at a vendor's rate window, shared by every client that spends the same window.

A vendor allows `limit` requests per `window` seconds per token (Pipedrive: 20 to 480 per rolling
2 s). The limiter learns both from the answers' headers and keeps them from one window to the
next, then grants requests from a log of the grants of the last window: a request may go once
fewer than `limit` were granted in the `window` (plus a small margin) before it, spread
evenly over the window after a burst of a tenth of it. Grants are
reservations in order (FIFO): a caller is told when its slot comes and sleeps until then, so no
caller of a busy key is starved and the vendor sees at most `limit` per window, never a 429.

- Before the first answer for a key its window is unknown: one request goes, the others wait for
  its answer (a vendor that answers without rate-limit headers is not paced at all).
- Headers read: `x-ratelimit-limit/-remaining/-reset` (Pipedrive; reset in seconds, fractions
  and epoch timestamps too), `ratelimit-limit/-remaining/-reset`, the IETF single header
  `RateLimit: limit=.., remaining=.., reset=..` or `RateLimit: "p";r=..;t=..`,
  `RateLimit-Policy: 100;w=2` (the window outright), HubSpot's `x-hubspot-ratelimit-*`.
- A 429 is the exception: `backoff` holds the whole key (every caller) for its Retry-After and
  widens the margin; a hold longer than `max_hold` (a spent daily budget) makes `acquire` raise
  BudgetExhausted, so that sessions pause instead of holding a worker.

Keys are fingerprints of a token (never the token) or of a company (a daily budget). One
limiter per process is shared by every client (`share_limiter`); app/ratelimit.py keeps the
same state in Redis for all the workers of a deployment.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from adapters.core.errors import BudgetExhausted

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

MARGIN = 0.03  # of the window, kept spare for the jitter between our grant and its arrival
MAX_MARGIN = 0.25  # the margin doubles at every 429 met while pacing, up to this...
MARGIN_DECAY = 0.998  # ...and shrinks back by this at every answer that is not a 429
DEFAULT_WINDOW = 1.0  # seconds, for a vendor that tells the limit but not the window
PROBE_SECONDS = 5.0  # how long the first request of a key may go unanswered before another goes
POLL_SECONDS = 0.02  # how often callers look again while a key's window is not known
MAX_HOLD = 60.0  # a longer hold is a spent budget: BudgetExhausted instead of a sleep


class RateLimiter(Protocol):
    """Pacing state per key (a token's or a company's fingerprint). The methods are async so
    that an implementation may keep its state elsewhere (Redis)."""

    async def acquire(self, key: str) -> None:
        """Wait until a request for `key` may go out; BudgetExhausted if it is held long."""
        ...

    async def update(self, key: str, headers: Mapping[str, str]) -> None:
        """Learn from a response's rate-limit headers."""
        ...

    async def backoff(self, key: str, seconds: float | None) -> None:
        """A 429 (or a spent quota): hold every caller of `key` for `seconds`."""
        ...

    async def held(self, key: str) -> float:
        """Seconds for which `key` is held (0: free)."""
        ...


# ---------------------------------------------------------------------------------------------
# Reading the headers


@dataclass(frozen=True)
class Reading:
    """What one answer says of its rate window; None where it says nothing."""

    limit: float | None = None
    remaining: float | None = None
    reset: float | None = None  # seconds until the window (or its oldest request) frees
    window: float | None = None  # the window's length, when said outright


def read_headers(headers: Mapping[str, str], now: float | None = None) -> Reading | None:
    """The rate window an answer describes, or None if it carries no rate-limit header."""
    wall = time.time() if now is None else now
    get = headers.get
    for prefix in ("x-ratelimit-", "ratelimit-"):
        remaining = header_number(get(prefix + "remaining", ""))
        if remaining is not None:
            return Reading(
                limit=header_number(get(prefix + "limit", "")),
                remaining=remaining,
                reset=seconds_until_reset(get(prefix + "reset", ""), wall),
                window=_policy_window(get("ratelimit-policy", "")),
            )
    if "ratelimit" in headers:
        limit, remaining, reset = _structured(headers["ratelimit"])
        policy = get("ratelimit-policy", "")
        return Reading(
            limit=limit if limit is not None else _policy_quota(policy),
            remaining=remaining,
            reset=reset,
            window=_policy_window(policy),
        )
    remaining = header_number(get("x-hubspot-ratelimit-remaining", ""))
    if remaining is not None:
        interval = header_number(get("x-hubspot-ratelimit-interval-milliseconds", ""))
        return Reading(
            limit=header_number(get("x-hubspot-ratelimit-max", "")),
            remaining=remaining,
            window=interval / 1000 if interval else None,
        )
    return None


def seconds_until_reset(value: str, now: float) -> float | None:
    """`x-ratelimit-reset` is seconds left in the window for most APIs (Pipedrive); some send an
    epoch timestamp instead, told apart by size."""
    reset = header_number(value)
    if reset is None:
        return None
    if reset > 1_000_000_000:  # an epoch timestamp, not a duration
        reset -= now
    return max(reset, 0.0)


def structured_rate_limit(value: str) -> tuple[float | None, float | None]:
    """`RateLimit: limit=100, remaining=42, reset=7` (Close): (remaining, reset)."""
    _, remaining, reset = _structured(value)
    return remaining, reset


def _structured(value: str) -> tuple[float | None, float | None, float | None]:
    """Both forms of the IETF draft's single header: `limit=100, remaining=42, reset=7` and
    `"default";r=42;t=7`."""
    parts: dict[str, str] = {}
    for item in re.split(r"[,;]", value):
        name, _, number = item.strip().partition("=")
        parts[name.strip().lower()] = number.strip()
    remaining = header_number(parts.get("remaining", parts.get("r", "")))
    reset = header_number(parts.get("reset", parts.get("t", "")))
    return header_number(parts.get("limit", "")), remaining, reset


def _policy_window(value: str) -> float | None:
    """`RateLimit-Policy: 100;w=2` or `"default";q=100;w=2`: the window's seconds."""
    found = re.search(r"\bw=([0-9.]+)", value)
    return header_number(found.group(1)) if found else None


def _policy_quota(value: str) -> float | None:
    found = re.search(r"\bq=([0-9.]+)", value) or re.match(r"\s*([0-9.]+)", value)
    return header_number(found.group(1)) if found else None


def header_number(value: str) -> float | None:
    """The first number of a header (`100` or `100, 100;w=2`)."""
    found = re.match(r"\s*(-?[0-9]+(?:\.[0-9]+)?)", value or "")
    return float(found.group(1)) if found else None


# ---------------------------------------------------------------------------------------------
# The pacing of one key (pure state; app/ratelimit.py's Lua script does the same in Redis)


@dataclass(frozen=True)
class Grant:
    wait: float  # seconds until the request may go
    poll: bool = False  # the window is not known yet: look again after `wait`, nothing reserved
    held: bool = False  # held past `max_hold`: a spent budget, `wait` is how long


@dataclass
class Pacer:
    limit: int | None = None
    window: float = 0.0  # seconds
    window_sure: bool = False  # said outright, or measured on a fresh window
    paced: bool | None = None  # None: no answer yet; False: the vendor sends no headers
    held_until: float = 0.0
    probe_at: float | None = None  # when the request that is to tell the window went
    margin: float = MARGIN
    grants: deque[float] = field(default_factory=deque)  # granted slots, in order
    spread_at: float = 0.0  # when the next request would go if requests went evenly

    def span(self) -> float:
        return self.window * (1 + self.margin)

    def reserve(self, now: float, max_hold: float) -> Grant:
        if self.held_until - now > max_hold:
            return Grant(self.held_until - now, held=True)
        start = max(now, self.held_until)
        if self.paced is False:
            return Grant(start - now)
        if self.paced is None:
            if self.probe_at is not None and now - self.probe_at < PROBE_SECONDS:
                return Grant(POLL_SECONDS, poll=True)
            self.probe_at = now
        slot = start
        if self.paced and self.limit:
            self._forget(now)
            if len(self.grants) >= self.limit:
                slot = max(slot, self.grants[-self.limit] + self.span())
            # Spread: at most a tenth of the window at once, the rest evenly (GCRA), so that
            # the vendor never queues a whole window's burst and counts its tail late.
            interval = self.span() / self.limit
            slot = max(slot, self.spread_at - interval * (burst_of(self.limit) - 1))
            self.spread_at = max(self.spread_at, slot) + interval
        self.grants.append(slot)
        return Grant(slot - now)

    def learn(self, now: float, reading: Reading | None) -> None:
        self.probe_at = None
        if reading is None or reading.remaining is None:
            if self.paced is None:
                self.paced = False
            return
        limit = reading.limit or max(self.limit or 0, reading.remaining + 1)
        self.limit = max(1, int(limit))
        self._learn_window(reading)
        self.paced = True
        if reading.remaining > 0:
            self.margin = max(MARGIN, self.margin * MARGIN_DECAY)
        self._count_others(now, reading.remaining)

    def _learn_window(self, reading: Reading) -> None:
        """The window's length: said outright (`w=`), else the shortest reset an answer gave
        when its request was the only one in the window (a fresh window: the probe's,
        typically; vendors that round resets up to whole seconds overshoot at times, never
        undershoot). Until such an answer, the longest reset seen bounds it."""
        assert self.limit is not None
        if reading.window:
            self.window, self.window_sure = reading.window, True
        elif reading.reset is not None and reading.remaining is not None:
            if reading.remaining >= self.limit - 1 and reading.reset > 0:
                sure = self.window_sure and self.window <= reading.reset
                self.window = self.window if sure else reading.reset
                self.window_sure = True
            elif not self.window_sure:
                self.window = max(self.window, reading.reset)
        self.window = self.window or DEFAULT_WINDOW

    def hold(self, now: float, seconds: float | None) -> None:
        if seconds is None:
            seconds = self.window or DEFAULT_WINDOW
        self.held_until = max(self.held_until, now + seconds)
        if self.paced and seconds <= 2 * self.window:  # a burst 429 despite pacing: more room
            self.margin = min(self.margin * 2, MAX_MARGIN)

    def _forget(self, now: float) -> None:
        while self.grants and self.grants[0] < now - self.span():
            self.grants.popleft()

    def _count_others(self, now: float, remaining: float) -> None:
        """The vendor counted more in its window than we granted: someone else (the company's
        users, another integration) spends the same token; their requests take slots too. The
        vendor counts at arrival and we at grant, so a few are let pass unless it says full."""
        assert self.limit is not None
        self._forget(now)
        ours = sum(1 for slot in self.grants if slot <= now)
        slack = 0 if remaining <= 0 else max(2, self.limit // 10)
        others = int(self.limit - remaining) - ours - slack
        for _ in range(max(0, others)):
            self.grants.append(now)
        if others > 0:
            self.grants = deque(sorted(self.grants))


def burst_of(limit: int) -> int:
    """How many requests may go at once: a tenth of the window (at least 2)."""
    return max(2, limit // 10)


# ---------------------------------------------------------------------------------------------
# In process


class LocalRateLimiter:
    """The limiter of one process: every client given it (every session of an embedded
    process) draws from the same windows."""

    def __init__(
        self,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        max_hold: float = MAX_HOLD,
    ) -> None:
        self._sleep = sleep
        self._clock = clock
        self.max_hold = max_hold
        self._pacers: dict[str, Pacer] = {}
        self._lock = threading.Lock()  # the state is plain Python; a thread may share it

    def pacer(self, key: str) -> Pacer:
        return self._pacers.setdefault(key, Pacer())

    async def acquire(self, key: str) -> None:
        while True:
            with self._lock:
                grant = self.pacer(key).reserve(self._clock(), self.max_hold)
            if grant.held:
                raise budget_spent(grant.wait)
            if grant.wait <= 0:
                return
            await self._sleep(grant.wait)
            if not grant.poll and self.pacer(key).held_until <= self._clock():
                return  # else a 429 came while we waited: the slot is taken again

    async def update(self, key: str, headers: Mapping[str, str]) -> None:
        reading = read_headers(headers)
        with self._lock:
            self.pacer(key).learn(self._clock(), reading)

    async def backoff(self, key: str, seconds: float | None) -> None:
        with self._lock:
            self.pacer(key).hold(self._clock(), seconds)

    async def held(self, key: str) -> float:
        pacer = self._pacers.get(key)
        return max(0.0, pacer.held_until - self._clock()) if pacer else 0.0


class SleepClock:
    """Real time plus the sleeps made through it: with a test's fake sleep (which returns at
    once) the limiter still sees the time a wait stands for, so a wait is never made twice."""

    def __init__(self, sleep: Sleep) -> None:
        self._inner = sleep
        self._slept = 0.0

    async def sleep(self, seconds: float) -> None:
        await self._inner(seconds)
        self._slept += max(seconds, 0.0)

    def now(self) -> float:
        return time.monotonic() + self._slept


def own_limiter(sleep: Sleep) -> tuple[RateLimiter, Sleep]:
    """A client's own limiter, when no limiter is shared, and the sleep the client then uses
    (one clock for the client's retries and the limiter's waits)."""
    if sleep is asyncio.sleep:
        return LocalRateLimiter(), sleep
    clock = SleepClock(sleep)
    return LocalRateLimiter(sleep=clock.sleep, clock=clock.now), clock.sleep


class Unpaced:
    """Lets every request go at once: the client meets the vendor's 429s and waits them out
    (tests of that path use it)."""

    async def acquire(self, key: str) -> None:
        return None

    async def update(self, key: str, headers: Mapping[str, str]) -> None:
        return None

    async def backoff(self, key: str, seconds: float | None) -> None:
        return None

    async def held(self, key: str) -> float:
        return 0.0


def budget_spent(seconds: float) -> BudgetExhausted:
    resume_at = datetime.now(UTC) + timedelta(seconds=seconds)
    reason = f"rate limit budget spent until {resume_at.isoformat(timespec='seconds')}"
    return BudgetExhausted(reason, resume_at=resume_at)


# ---------------------------------------------------------------------------------------------
# The one limiter of the process

_shared: RateLimiter | None = None


def share_limiter(limiter: RateLimiter | None) -> None:
    """Make `limiter` the one every client built from now on paces with (None: each client
    its own, as in unit tests)."""
    global _shared
    _shared = limiter


def shared_limiter() -> RateLimiter | None:
    return _shared
