"""A counting proxy in front of a sandbox Pipedrive: Ferry talks to it as to the target, and it
notes every request (when, what, the answer's status, the operation's token cost), so the
figures come from the wire, not from what Ferry says of itself. It adds a millisecond or so per
request: the benches that measure Ferry's own speed (limits lifted) run without it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.pipedrive.costs import request_cost
from tests import services

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass(frozen=True)
class Call:
    at: float  # time.monotonic() when the answer came back
    method: str
    path: str
    status: int
    cost: int  # x-token-cost of the operation, charged only when it was let through


@dataclass
class Wire:
    calls: list[Call] = field(default_factory=list)

    def lost(self) -> int:
        """Requests the proxy itself could not pass on (should be 0)."""
        return sum(1 for c in self.calls if c.status == 0)

    def rate_limited(self) -> int:
        return sum(1 for c in self.calls if c.status == 429)

    def steady_rate(self) -> float:
        """Requests per second let through in the middle 80% of the writes' span: the pace
        once loading runs, without extraction before it or the last stragglers after it."""
        writes = sorted(c.at for c in self.calls if c.method != "GET" and c.status != 429)
        if len(writes) < 20:
            return 0.0
        begin, end = writes[len(writes) // 10], writes[len(writes) * 9 // 10]
        passed = [c for c in self.calls if c.status != 429 and begin <= c.at <= end]
        return len(passed) / max(end - begin, 1e-9)


@asynccontextmanager
async def counting_proxy(upstream: str) -> AsyncIterator[tuple[str, Wire]]:
    """Serves on a free loopback port; yields its origin and what it saw."""
    wire = Wire()
    # Idle connections are let go well before the server's keep-alive (uvicorn: 5 s) closes
    # them, so that a request never goes out on a connection the server is dropping.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200, keepalive_expiry=1)
    async with httpx.AsyncClient(base_url=upstream, timeout=120, limits=limits) as http:

        async def forward(request: Request) -> Response:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
            try:
                answer = await http.request(
                    request.method,
                    request.url.path,
                    params=request.url.query or None,
                    headers={**headers, "host": request.headers.get("host", "")},
                    content=await request.body(),
                )
            except httpx.TransportError:  # counted (status 0): Ferry sees a lost answer
                wire.calls.append(Call(time.monotonic(), request.method, request.url.path, 0, 0))
                return Response(b"proxy: upstream unreachable", 502)
            cost = (
                request_cost(request.method, request.url.path) if answer.status_code != 429 else 0
            )
            wire.calls.append(
                Call(time.monotonic(), request.method, request.url.path, answer.status_code, cost)
            )
            out = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS}
            out.pop("content-encoding", None)  # httpx has decoded the body already
            return Response(answer.content, answer.status_code, headers=out)

        methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
        app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)])
        port = services.free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}", wire
        finally:
            server.should_exit = True
            await task


def behind(account: dict[str, Any], origin: str, upstream: str) -> dict[str, Any]:
    """The same sandbox account, reached through the proxy."""
    return {**account, "base_url": account["base_url"].replace(upstream, origin, 1)}
