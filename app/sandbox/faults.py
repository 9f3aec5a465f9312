"""Fault injection for sandbox accounts: one ASGI middleware around whichever emulator serves a
request, so that emulators stay unaware of faults.

Real vendor APIs answer 5xx, act and then answer 5xx, drop connections before and after acting,
start 429 storms, truncate bodies and answer slowly; a sandbox account told to (its
`SandboxFaults`) does the same, so tests, benchmarks and users see Ferry ride it out.

Each account draws its faults from its own `random.Random`, seeded with the profile's `seed`
when it has one: the same requests in the same order meet the same faults.

Profiles are cached in memory per API process (`PROFILES`). A process loads an account's
profile from the database when it (re)provisions the account, and `PUT .../faults` updates the
cache of the process that serves it. Limitation: with several API processes, the others keep the
profile they loaded until they provision the account again (after a restart); the service is run
and tested with one API process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.sandbox.schemas import OUTCOME_FAULTS, RequestFaults, SandboxFaults, latency_range

Outcome = Literal[
    "rate_limit", "drop_before", "server_error", "drop_after", "server_error_after", "truncate"
]
READ_METHODS = frozenset({"GET", "HEAD"})
SERVER_ERROR_STATUSES = (500, 502, 503)
FAULT_HEADER = b"x-sandbox-fault"  # names the injected fault, for whoever reads the traffic
LATENCY_HEADER = b"x-sandbox-latency-ms"  # the latency a delayed answer was given


@dataclass(frozen=True)
class Decision:
    """What happens to one request."""

    outcome: Outcome | None  # None: the emulator answers as it would
    delay: float = 0.0  # seconds before the answer starts
    status: int = 0  # of a server_error
    retry_after: int = 0  # of a rate_limit, in whole seconds


@dataclass
class _AccountFaults:
    profile: SandboxFaults
    rng: random.Random
    # Draws the account's latency within its range: apart from `rng`, so that a range changes
    # no request's fault.
    latency_rng: random.Random
    storm_until: float = 0.0  # monotonic time until which every request answers 429

    def latency(self, side: RequestFaults) -> float:
        """Seconds before the answer: the account's latency (drawn in its range) and the side's."""
        low, high = latency_range(self.profile.latency_ms)
        drawn = low if low == high else self.latency_rng.uniform(low, high)
        return (drawn + side.latency_ms) / 1000


@dataclass
class FaultProfiles:
    """The fault profiles of the sandbox accounts this process serves, with their randomness
    and 429 storms (see the module docstring for how they are kept current)."""

    clock: Callable[[], float] = time.monotonic
    _accounts: dict[str, _AccountFaults] = field(default_factory=dict)

    def configure(self, sandbox_id: str, profile: SandboxFaults) -> None:
        """Replace an account's profile; its randomness and any storm start over."""
        if profile.is_quiet():
            self._accounts.pop(sandbox_id, None)
            return
        self._accounts[sandbox_id] = _AccountFaults(
            profile, random.Random(profile.seed), random.Random(profile.seed)
        )

    def decide(self, sandbox_id: str, method: str) -> Decision | None:
        """The fate of a request, or None when the account misbehaves in no way."""
        state = self._accounts.get(sandbox_id)
        if state is None:
            return None
        side = state.profile.reads if method.upper() in READ_METHODS else state.profile.writes
        now = self.clock()
        if now < state.storm_until:
            return Decision(
                "rate_limit", state.latency(side), retry_after=_whole(state.storm_until - now)
            )
        # Always the same three draws, so a request's fate depends only on how many came before.
        pick, slow, status = (
            state.rng.random(),
            state.rng.random(),
            state.rng.choice(SERVER_ERROR_STATUSES),
        )
        outcome = _outcome(side, pick)
        delay = state.latency(side) + (side.slow_ms / 1000 if slow < side.slow else 0.0)
        if outcome == "rate_limit":
            state.storm_until = now + side.rate_limit_seconds
            return Decision(outcome, delay, retry_after=_whole(side.rate_limit_seconds))
        return Decision(outcome, delay, status=status)


def _outcome(side: RequestFaults, pick: float) -> Outcome | None:
    """Lays the outcome rates end to end on [0, 1): exact shares when they add up to at most 1."""
    edge = 0.0
    for name in OUTCOME_FAULTS:
        edge += getattr(side, name)
        if pick < edge:
            return name  # type: ignore[return-value]
    return None


def _whole(seconds: float) -> int:
    return max(1, math.ceil(seconds))


PROFILES = FaultProfiles()


class DroppedConnection(Exception):
    """Raised after a response has started, so that the server closes the connection mid-body.

    An ASGI app cannot close a connection itself, and uvicorn answers 500 to an app that fails
    before its response starts. So a drop sends a 200 whose Content-Length promises more than
    ever comes, then fails: uvicorn (h11 or httptools) closes the transport and the client sees
    a protocol error (httpx.RemoteProtocolError). A HEAD answer has no body to cut short, so a
    dropped HEAD looks complete to the client."""


class FaultInjection:
    """ASGI middleware around an emulator app that serves `/{account id}/...` under its
    root_path: applies the account's fault profile to each request."""

    def __init__(self, app: ASGIApp, profiles: FaultProfiles = PROFILES) -> None:
        self.app = app
        self.profiles = profiles

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        decision = (
            self.profiles.decide(_account_id(scope), scope["method"])
            if scope["type"] == "http"
            else None
        )
        if decision is None:
            await self.app(scope, receive, send)
            return
        answer = _ANSWERS.get(decision.outcome) if decision.outcome else None
        if answer is None:
            await self.app(scope, receive, _delayed(send, decision.delay))
            return
        await answer(self.app, scope, receive, _delayed(send, decision.delay), decision)


def _account_id(scope: Scope) -> str:
    path = scope["path"][len(scope.get("root_path", "")) :]
    return str(path.lstrip("/").partition("/")[0])


def _delayed(send: Send, delay: float) -> Send:
    """`send` that waits `delay` seconds before the response starts (after the emulator acted),
    without holding the event loop, and says how long in LATENCY_HEADER."""
    if delay <= 0:
        return send

    async def delayed(message: Message) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(delay)
            said = (LATENCY_HEADER, str(round(delay * 1000)).encode())
            message = {**message, "headers": [*message.get("headers", []), said]}
        await send(message)

    return delayed


# --- the answers of each outcome -------------------------------------------------------------

Answer = Callable[[ASGIApp, Scope, Receive, Send, Decision], Awaitable[None]]


@dataclass
class _Buffered:
    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


async def _call(app: ASGIApp, scope: Scope, receive: Receive) -> _Buffered:
    """Let the emulator act, keeping its answer instead of sending it."""
    answer = _Buffered()

    async def keep(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, keep)
    return answer


async def _drain(receive: Receive) -> None:
    """Read the request body the emulator will not, so the connection stays usable."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, fault: str
) -> None:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers = [*kept, (b"content-length", str(len(body)).encode()), (FAULT_HEADER, fault.encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _drop(send: Send, fault: str) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"512"),  # promised, never sent
        (FAULT_HEADER, fault.encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"data": [', "more_body": True})
    raise DroppedConnection(fault)


def _json_error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


_JSON = [(b"content-type", b"application/json")]
_HTML = [(b"content-type", b"text/html; charset=utf-8")]
_PROXY_PAGES = {
    502: b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
    503: b"<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1></body></html>",
}


async def _rate_limit(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, decision: Decision
) -> None:
    await _drain(receive)
    headers = [*_JSON, (b"retry-after", str(decision.retry_after).encode())]
    body = _json_error("rate_limited", "Too many requests. Retry after the Retry-After seconds.")
    await _respond(send, 429, headers, body, "rate_limit")


async def _server_error(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, decision: Decision
) -> None:
    await _drain(receive)
    await _send_server_error(send, decision.status, "server_error")


async def _send_server_error(send: Send, status: int, fault: str) -> None:
    # A 502 or 503 usually comes from a proxy in front of the API, as an HTML page.
    page = _PROXY_PAGES.get(status)
    if page is not None:
        await _respond(send, status, _HTML, page, fault)
    else:
        body = _json_error("internal_error", "Internal server error.")
        await _respond(send, 500, _JSON, body, fault)


async def _server_error_after(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, decision: Decision
) -> None:
    await _call(app, scope, receive)
    await _send_server_error(send, 500, "server_error_after")


async def _drop_before(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, decision: Decision
) -> None:
    await _drop(send, "drop_before")


async def _drop_after(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, decision: Decision
) -> None:
    await _call(app, scope, receive)
    await _drop(send, "drop_after")


async def _truncate(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, decision: Decision
) -> None:
    answer = await _call(app, scope, receive)
    cut = answer.body[: len(answer.body) // 2]
    await _respond(send, answer.status, answer.headers, cut, "truncate")


_ANSWERS: dict[Outcome, Answer] = {
    "rate_limit": _rate_limit,
    "server_error": _server_error,
    "server_error_after": _server_error_after,
    "drop_before": _drop_before,
    "drop_after": _drop_after,
    "truncate": _truncate,
}


# --- quieter logs ----------------------------------------------------------------------------


class _QuietDeliberateDrops(logging.Filter):
    """A deliberate drop is no failure of the app: keep its traceback out of the error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


# The loggers that report an exception escaping the app: uvicorn's, and Ferry's catch-all
# error handler (app.errors).
_FAILURE_LOGGERS = ("uvicorn.error", "ferry")


def quiet_deliberate_drops() -> None:
    """Keep the error logs free of the drops this module makes (idempotent)."""
    for name in _FAILURE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _QuietDeliberateDrops) for f in logger.filters):
            logger.addFilter(_QuietDeliberateDrops())
