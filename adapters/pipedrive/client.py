"""What is Pipedrive's about talking to Pipedrive: the token, the two API roots, the envelope.

Everything else (retries, pacing, paging loops) is the shared `ApiClient` and paginators.
- auth: the `x-api-token` header (Pipedrive also takes an `api_token` query parameter).
- v2 at `{base_url}/api/v2` (cursor pages, up to 500), v1 at `{base_url}/v1` (start/limit pages).
- envelope: `{"success": true, "data": ..., "additional_data": ...}`; errors
  `{"success": false, "error": "...", "error_info": "..."}`.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.core.auth import HeaderAuth, fingerprint
from adapters.core.http import ApiClient, ClientStats, RetryPolicy
from adapters.core.paginators import (
    CursorInBody,
    OffsetPaginator,
    PageRequest,
    Paginator,
    records_of,
)
from adapters.core.ratelimit import (
    Clock,
    RateLimiter,
    Sleep,
    budget_spent,
    own_limiter,
    shared_limiter,
)
from adapters.pipedrive.costs import request_cost

DEFAULT_BASE_URL = "https://api.pipedrive.com"
V2 = "/api/v2"
V1 = "/v1"
PAGE_SIZE = 500  # the maximum both versions accept: fewest list calls, so fewest tokens

# Plan caps ("feature_capping_deals_limit"...) come as 403 but refuse one record, not the token.
_CAPPING = re.compile(r"feature_capping_[a-z_]+")

_CODE_BY_STATUS = {
    400: "validation_failed",
    402: "payment_required",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    410: "gone",
    422: "validation_failed",
}


@dataclass
class ListPage:
    items: list[dict[str, Any]]
    next_cursor: str | None  # where the next page starts; None after the last page


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def error_text(response: httpx.Response) -> str:
    """The vendor's words: `error`, plus `error_info` when it adds something."""
    body = _body(response)
    if not isinstance(body, dict):
        return response.reason_phrase or f"HTTP {response.status_code}"
    parts = [str(body[key]) for key in ("error", "error_info") if body.get(key)]
    if not parts and body.get("message"):
        parts = [str(body["message"])]
    return ": ".join(dict.fromkeys(parts)) or response.reason_phrase


def error_code(response: httpx.Response) -> str:
    """A stable machine code for a refusal: Pipedrive's own when it gives one."""
    body = _body(response)
    if isinstance(body, dict):
        for key in ("code", "error_code", "errorCode"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
    capping = _CAPPING.search(response.text)
    if capping:
        return capping.group(0)
    return _CODE_BY_STATUS.get(response.status_code, f"http_{response.status_code}")


def is_auth_failure(response: httpx.Response) -> bool:
    if response.status_code == 401:
        return True
    return response.status_code == 403 and not _CAPPING.search(response.text)


class BudgetWatch:
    """Paces like the limiter it wraps, and keeps the company's daily budget in view: the budget
    left that the last answer reported (`x-daily-requests-left`), and a spent budget (a 429
    whose Retry-After runs past `max_wait`) held for the whole company in the shared limiter,
    so that every session writing to it pauses, not only the one that met the 429. Which company
    a token belongs to is known once `users/me` has been read (`company_is`); until then the
    token's own key carries the hold."""

    HEADER = "x-daily-requests-left"
    LIMIT_HEADER = "x-ratelimit-limit"
    WINDOW_SECONDS = 2.0  # Pipedrive's burst limit counts requests per rolling 2 seconds
    RECHECK_SECONDS = 1.0  # how often the company's hold is looked up in the shared limiter

    def __init__(
        self, inner: RateLimiter, *, max_wait: float = 60.0, clock: Clock = time.monotonic
    ) -> None:
        self.inner = inner
        self.daily_left: int | None = None  # None until an answer says it
        self.burst: int | None = None  # requests per window, as the last answer said
        self.company_key: str | None = None
        self._max_wait = max_wait
        self._clock = clock
        self._checked_at = -math.inf
        self._company_held = 0.0  # seconds, as last looked up

    def company_is(self, host: str, company_id: object) -> None:
        self.company_key = "pipedrive-company:" + fingerprint(host, str(company_id))

    async def acquire(self, key: str) -> None:
        await self._check_company()
        await self.inner.acquire(key)

    async def update(self, key: str, headers: Mapping[str, str]) -> None:
        left = headers.get(self.HEADER, "")
        if left.strip().isdigit():
            self.daily_left = int(left)
        burst = headers.get(self.LIMIT_HEADER, "")
        if burst.strip().isdigit():
            self.burst = int(burst)
        await self.inner.update(key, headers)

    @property
    def requests_per_second(self) -> float | None:
        """The most the token's burst window lets through, once an answer said its size."""
        return self.burst / self.WINDOW_SECONDS if self.burst else None

    async def backoff(self, key: str, seconds: float | None) -> None:
        await self.inner.backoff(key, seconds)
        if seconds is not None and seconds > self._max_wait and self.company_key:
            await self.inner.backoff(self.company_key, seconds)
            self._checked_at = -math.inf

    async def held(self, key: str) -> float:
        return await self.inner.held(key)

    async def _check_company(self) -> None:
        if self.company_key is None:
            return
        now = self._clock()
        if now - self._checked_at >= self.RECHECK_SECONDS:
            self._company_held = await self.inner.held(self.company_key)
            self._checked_at = now
        left = self._company_held - (now - self._checked_at)
        if left > self._max_wait:
            raise budget_spent(left)


def lead_pages(limit: int) -> OffsetPaginator:
    """v1's lead lists say whether more follow in `additional_data` itself (no next start)."""
    return OffsetPaginator(
        limit=limit, more_path="additional_data.more_items_in_collection", next_start_path=None
    )


class PipedriveClient:
    def __init__(
        self,
        api_token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
        page_size: int = PAGE_SIZE,
    ) -> None:
        limiter = rate_limiter or shared_limiter()
        if limiter is None:
            limiter, sleep = own_limiter(sleep)
        self.budget = BudgetWatch(limiter, max_wait=(retry or RetryPolicy()).max_retry_after)
        self.api = ApiClient(
            base_url.rstrip("/"),
            # The header, not the documented `api_token` query: URLs end up in logs.
            auth=HeaderAuth("x-api-token", api_token),
            transport=transport,
            retry=retry,
            rate_limiter=self.budget,
            sleep=sleep,
            system_name="Pipedrive",
            system_id="pipedrive",
            is_auth_failure=is_auth_failure,
            error_text=error_text,
            token_cost=request_cost,
        )
        self.page_size = page_size

    @property
    def stats(self) -> ClientStats:
        return self.api.stats

    def company_is(self, company_id: object) -> None:
        """The company the token belongs to (from `users/me`): its daily budget is shared by
        every session writing to it."""
        self.budget.company_is(self.api.host, company_id)

    async def aclose(self) -> None:
        await self.api.aclose()

    # Single calls -------------------------------------------------------------------------

    async def get_v1(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self._get(V1 + path, params)

    async def get_v2(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self._get(V2 + path, params)

    async def post_v1(self, path: str, body: Any) -> httpx.Response:
        return await self.api.request("POST", V1 + path, json=body)

    async def post_v2(self, path: str, body: Any) -> httpx.Response:
        return await self.api.request("POST", V2 + path, json=body)

    async def upload(
        self, path: str, headers: dict[str, str], body: Callable[[], AsyncIterable[bytes]]
    ) -> httpx.Response:
        """A v1 multipart POST streamed from `body` (made afresh if it must be sent again)."""
        return await self.api.request("POST", V1 + path, headers=headers, content=body)

    async def send(self, method: str, version: str, path: str, body: Any = None) -> httpx.Response:
        """One write (PATCH, PUT, DELETE...) to the v1 or v2 root; the caller judges the 4xx."""
        root = V1 if version == "v1" else V2
        return await self.api.request(method, root + path, json=body)

    async def _get(self, path: str, params: dict[str, Any] | None) -> Any:
        """The `data` of a successful envelope."""
        body = await self.api.json("GET", path, params=params)
        return body.get("data") if isinstance(body, dict) else body

    # Page streams -------------------------------------------------------------------------

    def iter_v2(
        self, path: str, params: dict[str, Any] | None = None, *, start: str | None = None
    ) -> AsyncIterator[ListPage]:
        return self._iter(V2 + path, params, CursorInBody(limit=self.page_size), start)

    def iter_v1(
        self, path: str, params: dict[str, Any] | None = None, *, start: str | None = None
    ) -> AsyncIterator[ListPage]:
        return self._iter(V1 + path, params, OffsetPaginator(limit=self.page_size), start)

    def iter_leads(
        self, path: str, params: dict[str, Any] | None = None
    ) -> AsyncIterator[ListPage]:
        """v1's lead lists: their paging flags sit in `additional_data` itself."""
        return self._iter(V1 + path, params, lead_pages(self.page_size), None)

    async def _iter(
        self, path: str, params: dict[str, Any] | None, paginator: Paginator, start: str | None
    ) -> AsyncIterator[ListPage]:
        async def fetch(page: PageRequest) -> httpx.Response:
            response = await self.api.request(
                "GET", path, params={**(params or {}), **page.params}, expect_json=True
            )
            if response.is_error:
                raise self.api.unexpected(response, "GET", path)
            return response

        async for page in paginator.walk(fetch, start):
            next_cursor = None if page.next_token is None else str(page.next_token)
            # v1 answers an empty list with "data": null
            yield ListPage(items=records_of(page.body, "data"), next_cursor=next_cursor)
