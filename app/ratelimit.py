"""The rate limiter every session of a deployment shares: one window per token, one daily budget
per company, whichever process or worker makes the call.

Embedded mode: one in-process `LocalRateLimiter` for all sessions of the process. Distributed
mode: the same pacing (adapters/core/ratelimit.py's `Pacer`, written again as three small Lua
scripts) kept in Redis, so that ten sessions on two workers writing to one Pipedrive company
draw from one window. Each call is one atomic script run on Redis's clock (the workers' clocks
need not agree). Keys are fingerprints, never a token. If Redis cannot be reached, the process
paces alone for that call rather than stopping its sessions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.core import ratelimit
from adapters.core.ratelimit import LocalRateLimiter, RateLimiter, Sleep, budget_spent

log = logging.getLogger("ferry.ratelimit")

PREFIX = "ferry:rl:"
STATE_TTL_MS = 2 * 24 * 3600 * 1000  # a key's learned window outlives a day's pause

# Seconds on Redis's clock, from a recent epoch so that scores keep microseconds in Lua's doubles.
_NOW = """
local t = redis.call('TIME')
local now = (tonumber(t[1]) - 1700000000) + tonumber(t[2]) / 1000000
"""

# KEYS: state hash, grants zset. ARGV: max_hold, probe seconds, poll seconds, margin, ttl ms.
# Returns {kind, seconds}: 'go' after seconds, 'poll' (window unknown) or 'held' (a spent budget).
RESERVE = (
    _NOW
    + """
local s = redis.call('HMGET', KEYS[1], 'limit', 'window', 'paced', 'held', 'probe', 'margin')
local held = tonumber(s[4]) or 0
if held - now > tonumber(ARGV[1]) then return {'held', tostring(held - now)} end
local start = math.max(now, held)
if s[3] == '0' then return {'go', tostring(start - now)} end
local limit = tonumber(s[1])
local span = (tonumber(s[2]) or 0) * (1 + (tonumber(s[6]) or tonumber(ARGV[4])))
if s[3] ~= '1' then
  local probe = tonumber(s[5])
  if probe and now - probe < tonumber(ARGV[2]) then return {'poll', ARGV[3]} end
  redis.call('HSET', KEYS[1], 'probe', tostring(now))
  limit = nil
end
local slot = start
if limit then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. tostring(now - span))
  local n = redis.call('ZCARD', KEYS[2])
  if n >= limit then
    local nth = redis.call('ZRANGE', KEYS[2], n - limit, n - limit, 'WITHSCORES')
    slot = math.max(slot, tonumber(nth[2]) + span)
  end
  local interval = span / limit
  local spread_at = tonumber(redis.call('HGET', KEYS[1], 'spread')) or 0
  local burst = math.max(2, math.floor(limit / 10))
  slot = math.max(slot, spread_at - interval * (burst - 1))
  redis.call('HSET', KEYS[1], 'spread', tostring(math.max(spread_at, slot) + interval))
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('ZADD', KEYS[2], tostring(slot), tostring(seq))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], math.floor((slot - now + span) * 1000) + 60000)
return {'go', tostring(slot - now)}
"""
)

# ARGV: '1' if the answer had rate-limit headers, limit ('' unknown), remaining, window said
# ('' unknown), reset ('' unknown), default window, default margin, ttl ms, margin decay.
LEARN = (
    _NOW
    + """
redis.call('HDEL', KEYS[1], 'probe')
if ARGV[1] == '0' then
  redis.call('HSETNX', KEYS[1], 'paced', '0')
  redis.call('PEXPIRE', KEYS[1], ARGV[8])
  return 0
end
local s = redis.call('HMGET', KEYS[1], 'limit', 'window', 'margin', 'sure')
local remaining = tonumber(ARGV[3])
local limit = tonumber(ARGV[2]) or math.max(tonumber(s[1]) or 0, remaining + 1)
limit = math.max(1, math.floor(limit))
local window = tonumber(s[2]) or 0
local sure = s[4] == '1'
local told = tonumber(ARGV[4])
local reset = tonumber(ARGV[5])
if told and told > 0 then
  window = told
  sure = true
elseif reset then
  if remaining >= limit - 1 and reset > 0 then
    if not (sure and window <= reset) then window = reset end
    sure = true
  elseif not sure then
    window = math.max(window, reset)
  end
end
if window <= 0 then window = tonumber(ARGV[6]) end
local sure_flag = '0'
if sure then sure_flag = '1' end
local margin = tonumber(s[3]) or tonumber(ARGV[7])
if remaining > 0 then margin = math.max(tonumber(ARGV[7]), margin * tonumber(ARGV[9])) end
redis.call('HSET', KEYS[1], 'limit', limit, 'window', tostring(window), 'paced', '1',
  'sure', sure_flag, 'margin', tostring(margin))
redis.call('PEXPIRE', KEYS[1], ARGV[8])
local span = window * (1 + margin)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. tostring(now - span))
local ours = redis.call('ZCOUNT', KEYS[2], '-inf', tostring(now))
local slack = 0
if remaining > 0 then slack = math.max(2, math.floor(limit / 10)) end
local others = math.floor(limit - remaining) - ours - slack
for i = 1, others do
  local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
  redis.call('ZADD', KEYS[2], tostring(now), tostring(seq))
end
if others > 0 then redis.call('PEXPIRE', KEYS[2], math.floor(span * 1000) + 60000) end
return others
"""
)

# ARGV: seconds ('' unknown), max margin, default window, default margin, ttl ms.
HOLD = (
    _NOW
    + """
local s = redis.call('HMGET', KEYS[1], 'held', 'window', 'paced', 'margin')
local window = tonumber(s[2]) or 0
local seconds = tonumber(ARGV[1])
if not seconds then
  if window > 0 then seconds = window else seconds = tonumber(ARGV[3]) end
end
local held = math.max(tonumber(s[1]) or 0, now + seconds)
redis.call('HSET', KEYS[1], 'held', tostring(held))
if s[3] == '1' and seconds <= 2 * window then
  local margin = tonumber(s[4]) or tonumber(ARGV[4])
  redis.call('HSET', KEYS[1], 'margin', tostring(math.min(margin * 2, tonumber(ARGV[2]))))
end
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[5]), math.floor(seconds * 1000) + 60000))
return tostring(held - now)
"""
)

HELD = (
    _NOW
    + """
local held = tonumber(redis.call('HGET', KEYS[1], 'held')) or 0
return tostring(math.max(0, held - now))
"""
)


class RedisRateLimiter:
    """The pacing of `LocalRateLimiter`, its state in Redis for every process of a deployment."""

    def __init__(
        self,
        redis: Redis,
        *,
        sleep: Sleep = asyncio.sleep,
        max_hold: float = ratelimit.MAX_HOLD,
    ) -> None:
        self._sleep = sleep
        self.max_hold = max_hold
        self._reserve = redis.register_script(RESERVE)
        self._learn = redis.register_script(LEARN)
        self._hold = redis.register_script(HOLD)
        self._held = redis.register_script(HELD)
        self._local = LocalRateLimiter(sleep=sleep, max_hold=max_hold)  # while Redis is away
        self._warned_at = -float("inf")

    async def acquire(self, key: str) -> None:
        while True:
            try:
                kind, wait = await self._run_reserve(key)
            except RedisError as exc:
                self._warn(exc)
                await self._local.acquire(key)
                return
            if kind == "held":
                raise budget_spent(wait)
            if wait <= 0:
                return
            await self._sleep(wait)
            if kind == "go" and await self.held(key) <= 0:
                return  # else a 429 came while we waited: the slot is taken again

    async def update(self, key: str, headers: Mapping[str, str]) -> None:
        reading = ratelimit.read_headers(headers)
        args: list[str | float] = ["0", "", "", "", ""]  # no rate-limit headers
        if reading is not None and reading.remaining is not None:
            args = ["1", _arg(reading.limit), reading.remaining, _arg(reading.window)]
            args.append(_arg(reading.reset))
        args += [ratelimit.DEFAULT_WINDOW, ratelimit.MARGIN, STATE_TTL_MS, ratelimit.MARGIN_DECAY]
        try:
            await self._learn(keys=_keys(key), args=args)
        except RedisError as exc:
            self._warn(exc)
            await self._local.update(key, headers)

    async def backoff(self, key: str, seconds: float | None) -> None:
        args: list[str | float] = [_arg(seconds), ratelimit.MAX_MARGIN]
        args += [ratelimit.DEFAULT_WINDOW, ratelimit.MARGIN, STATE_TTL_MS]
        try:
            await self._hold(keys=_keys(key), args=args)
        except RedisError as exc:
            self._warn(exc)
            await self._local.backoff(key, seconds)

    async def held(self, key: str) -> float:
        try:
            return float(_text(await self._held(keys=_keys(key))))
        except RedisError as exc:
            self._warn(exc)
            return await self._local.held(key)

    async def _run_reserve(self, key: str) -> tuple[str, float]:
        args: list[float] = [self.max_hold, ratelimit.PROBE_SECONDS, ratelimit.POLL_SECONDS]
        args += [ratelimit.MARGIN, STATE_TTL_MS]
        kind, wait = await self._reserve(keys=_keys(key), args=args)
        return _text(kind), float(_text(wait))

    def _warn(self, exc: RedisError) -> None:
        now = time.monotonic()
        if now - self._warned_at >= 60:
            self._warned_at = now
            log.warning(
                "rate limiter: Redis unreachable (%s); pacing in this process alone",
                type(exc).__name__,
            )


def _keys(key: str) -> list[str]:
    return [PREFIX + key, PREFIX + key + ":grants"]


def _arg(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def install_limiter(redis: Redis | None) -> RateLimiter:
    """The one limiter of this process, which every client built from now on uses: in Redis when
    the process has one (distributed mode), else in process."""
    limiter: RateLimiter = LocalRateLimiter() if redis is None else RedisRateLimiter(redis)
    ratelimit.share_limiter(limiter)
    return limiter


def uninstall_limiter() -> None:
    ratelimit.share_limiter(None)
