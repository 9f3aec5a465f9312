"""Pipedrive's two limits: a burst window per token and a daily token budget per company.

Burst: at most `burst` requests per token in any rolling 2-second window; over it, 429 with
`Retry-After` (seconds until the oldest request leaves the window). Budget: every call spends
its `x-token-cost` from the company's daily budget, which resets at UTC midnight; a call the
budget cannot pay for gets 429 with `Retry-After` until that reset.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from adapters.pipedrive.emulator.clock import seconds_until_utc_midnight, utc_day

WINDOW_SECONDS = 2.0


@dataclass
class Limits:
    burst: int = 100  # requests per rolling 2-second window per token
    daily_tokens: int = 1_000_000  # token budget per day for the company
    admin: bool = True  # whether the token is an admin's (else a regular user's)


@dataclass
class Verdict:
    """The outcome of charging one request, with what the rate-limit headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    daily_left: int
    retry_after: int | None = None
    reason: str = ""

    def headers(self) -> dict[str, str]:
        headers = {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset_seconds),
            # Pipedrive documents this header for its daily allowance; here it counts tokens.
            "x-daily-requests-left": str(self.daily_left),
        }
        if self.retry_after is not None:
            headers["retry-after"] = str(self.retry_after)
        return headers


@dataclass
class RateLimiter:
    limits: Limits
    _windows: dict[str, deque[float]] = field(default_factory=dict)
    _day: int = -1
    _spent: int = 0

    def charge(self, token: str, cost: int, now: float) -> Verdict:
        window = self._window(token, now)
        self._roll_budget(now)
        if len(window) >= self.limits.burst:
            wait = self._seconds_until_slot(window, now)
            return self._verdict(window, now, allowed=False, retry_after=wait, reason="burst")
        if self._spent + cost > self.limits.daily_tokens:
            wait = seconds_until_utc_midnight(now)
            return self._verdict(window, now, allowed=False, retry_after=wait, reason="budget")
        window.append(now)
        self._spent += cost
        return self._verdict(window, now, allowed=True)

    def daily_left(self, now: float) -> int:
        self._roll_budget(now)
        return max(0, self.limits.daily_tokens - self._spent)

    def _window(self, token: str, now: float) -> deque[float]:
        window = self._windows.setdefault(token, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        return window

    def _roll_budget(self, now: float) -> None:
        day = utc_day(now)
        if day != self._day:
            self._day, self._spent = day, 0

    @staticmethod
    def _seconds_until_slot(window: deque[float], now: float) -> int:
        return max(1, math.ceil(window[0] + WINDOW_SECONDS - now))

    def _verdict(
        self,
        window: deque[float],
        now: float,
        *,
        allowed: bool,
        retry_after: int | None = None,
        reason: str = "",
    ) -> Verdict:
        reset = self._seconds_until_slot(window, now) if window else math.ceil(WINDOW_SECONDS)
        return Verdict(
            allowed=allowed,
            limit=self.limits.burst,
            remaining=max(0, self.limits.burst - len(window)),
            reset_seconds=reset,
            daily_left=max(0, self.limits.daily_tokens - self._spent),
            retry_after=retry_after,
            reason=reason,
        )
