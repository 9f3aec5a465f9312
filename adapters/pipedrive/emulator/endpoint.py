"""What every emulated call goes through: find the company, check the token, charge the
rate limits, run the handler, and answer in Pipedrive's envelope with the rate-limit headers."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.pipedrive.emulator.clock import Clock, rfc3339
from adapters.pipedrive.emulator.errors import (
    BadRequest,
    NotFound,
    PipedriveError,
    TooManyRequests,
    Unauthorized,
)
from adapters.pipedrive.emulator.prices import price
from adapters.pipedrive.emulator.ratelimit import Verdict
from adapters.pipedrive.emulator.state import AccountState


@dataclass
class Reply:
    body: dict[str, Any] | None
    status: int = 200
    # A body that is not JSON (a file's bytes), served as it is with these headers.
    content: bytes | memoryview | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """One authenticated request, as handlers see it."""

    request: Request
    state: AccountState
    now: str  # RFC 3339, for add_time / update_time
    path_params: dict[str, Any] = field(default_factory=dict)

    async def json(self) -> Any:
        try:
            return json.loads(await self.request.body() or b"null")
        except ValueError:
            raise BadRequest("The request body is not valid JSON.") from None


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass
class Context:
    """How endpoints reach the emulator's companies and its clock."""

    find_account: Callable[[str], AccountState | None]
    clock: Clock


def operation(
    context: Context, method: str, version: str, path: str, handler: Handler
) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint for one operation of the spec (`path` as the spec writes it), charging that
    operation's token cost."""
    token_cost = price(method, version, path)

    async def endpoint(request: Request) -> Response:
        try:
            state = _account(context, request)
            token = _authenticate(state, request)
        except PipedriveError as exc:
            return JSONResponse(exc.body(), exc.status)
        now = context.clock()
        verdict = state.limiter.charge(token, token_cost, now)
        if not verdict.allowed:
            return _error(_over_limit(verdict), verdict)
        call = Call(request, state, rfc3339(now), dict(request.path_params))
        try:
            reply = await handler(call)
        except PipedriveError as exc:
            return _error(exc, verdict)
        if reply.content is not None:
            headers = {**verdict.headers(), **reply.headers}
            return Response(reply.content, reply.status, headers=headers)
        return JSONResponse(reply.body, reply.status, headers=verdict.headers())

    return endpoint


def v1_route(
    context: Context, method: str, path: str, handler: Handler, *, integer_ids: bool = True
) -> Route:
    """A v1 operation's route under the account; `{id}` an integer unless the ids are UUIDs
    (leads and their labels)."""
    endpoint = operation(context, method, "v1", path, handler)
    where = f"/{{account_id}}/v1{path.replace('{id}', '{id:int}') if integer_ids else path}"
    return Route(where, endpoint, methods=[method], include_in_schema=False)


def _account(context: Context, request: Request) -> AccountState:
    state = context.find_account(request.path_params["account_id"])
    if state is None:
        raise NotFound("Company not found.")
    return state


def _authenticate(state: AccountState, request: Request) -> str:
    token = request.query_params.get("api_token") or request.headers.get("x-api-token") or ""
    if not secrets.compare_digest(token.encode(), state.api_token.encode()):
        raise Unauthorized()
    return token


def _over_limit(verdict: Verdict) -> TooManyRequests:
    if verdict.reason == "burst":
        return TooManyRequests("Rate limit exceeded: too many requests in a 2-second window.")
    return TooManyRequests("The company's daily token budget is spent; it resets at midnight UTC.")


def _error(exc: PipedriveError, verdict: Verdict) -> Response:
    return JSONResponse(exc.body(), exc.status, headers=verdict.headers())
