"""The HTTP client every adapter talks through: retries, rate limits, error classes, counters.

What a response means (Airbyte-style error handler):
- 401/403: AuthFailed (fatal; a system may narrow which 403s count, see `is_auth_failure`).
- connection refused / DNS: retried, then Unreachable.
- 5xx and timeouts: retried with exponential backoff, then TransientError.
- 429, and a 503 with `Retry-After` (a vendor's "over the limit, come back then"): wait
  `Retry-After` and retry; a wait longer than `max_retry_after` means the budget is spent for a
  while: BudgetExhausted(resume_at) so the session pauses instead of holding a worker.
- any other 4xx: handed back to the caller, who knows whether it rejects one record or is a bug.
Requests that may create something (POST) are retried only when the server surely did not act on
them (no connection, 429), because a blind retry after a timeout could create a duplicate; the
pipeline reconciles those. PATCH is repeated like PUT: Ferry's PATCH bodies set values outright,
so sending one twice leaves the record as sending it once.

Pacing: a `RateLimiter` (adapters/core/ratelimit.py) learns the vendor's window from the
rate-limit headers and spreads the requests of every client of one token over it, so a run
never sees a 429; a 429 holds every caller of the token for its Retry-After.

Secrets: messages never carry a query string (it may hold an api_token) and are scrubbed of the
auth's secrets; httpx exceptions (whose text and request may carry the URL) are not chained.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from adapters.core.auth import CredentialAuth
from adapters.core.errors import (
    AdapterError,
    AuthFailed,
    BudgetExhausted,
    ConnectionFailed,
    TransientError,
    Unreachable,
    UnreadableResponse,
)
from adapters.core.ratelimit import Clock as Clock  # re-exported: adapters import them from here
from adapters.core.ratelimit import LocalRateLimiter as LocalRateLimiter
from adapters.core.ratelimit import (
    RateLimiter,
    Sleep,
    header_number,
    own_limiter,
    shared_limiter,
)
from adapters.core.ratelimit import seconds_until_reset as seconds_until_reset
from adapters.core.ratelimit import structured_rate_limit as structured_rate_limit

T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


class OffSiteUrl(ConnectionFailed):
    """The vendor pointed us at another host: never followed with the credentials."""

    code = "off_site_url"


class UnexpectedResponse(AdapterError):
    """A 4xx the caller did not expect (from `ApiClient.json`): a bug or a missing permission."""

    code = "unexpected_response"

    def __init__(self, message: str, *, status: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.status = status


# ---------------------------------------------------------------------------------------------
# Downloads


class Sink(Protocol):
    """Where a download writes (a spooled file): emptied before each attempt."""

    def write(self, data: bytes, /) -> int: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def truncate(self, size: int | None = None, /) -> int: ...


# ---------------------------------------------------------------------------------------------
# Policy and counters


@dataclass
class RetryPolicy:
    attempts: int = 6  # total tries, the first included
    wait_initial: float = 0.5  # seconds; doubles per retry
    wait_max: float = 8.0
    max_retry_after: float = 60.0  # a longer 429 Retry-After raises BudgetExhausted


@dataclass
class ClientStats:
    requests: int = 0
    token_cost: int = 0  # sum of `x-token-cost` headers (Pipedrive's budget unit)
    retries: int = 0
    rate_limited: int = 0  # 429 responses seen
    by_status: dict[int, int] = field(default_factory=dict)


# Internal signals that a try should be repeated; never leave this module.
class _Retry(Exception):
    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _ServerError(_Retry):
    pass


class _RateLimited(_Retry):
    pass


class _Unreadable(_Retry):
    pass


def default_is_auth_failure(response: httpx.Response) -> bool:
    return response.status_code in (401, 403)


def error_text_at(*keys: str) -> Callable[[httpx.Response], str]:
    """A vendor's message: the first of `keys` that its JSON object body holds as text, else
    the reason phrase."""

    def read(response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.reason_phrase
        if isinstance(body, dict):
            for key in keys:
                if isinstance(body.get(key), str) and body[key]:
                    return body[key]
        return response.reason_phrase

    return read


def default_error_text(response: httpx.Response) -> str:
    """The vendor's message from common body shapes, else the reason phrase."""
    return error_text_at("error", "message", "error_description", "detail")(response)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - now).total_seconds(), 0.0)


def header_retry_after(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))


# ---------------------------------------------------------------------------------------------
# Observers

# Told of every answer a vendor gives (system id, HTTP status): the app counts them for its
# metrics. Called inline on every response, so an observer must be cheap and must not raise.
CallObserver = Callable[[str, int], None]
_call_observers: list[CallObserver] = []


def observe_calls(observer: CallObserver) -> None:
    """Register `observer` for every client's answers (once: registering again is a no-op)."""
    if observer not in _call_observers:
        _call_observers.append(observer)


# ---------------------------------------------------------------------------------------------
# The client


class ApiClient:
    def __init__(
        self,
        base_url: str,
        *,
        auth: CredentialAuth | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
        system_name: str = "the system",
        system_id: str | None = None,
        is_auth_failure: Callable[[httpx.Response], bool] = default_is_auth_failure,
        error_text: Callable[[httpx.Response], str] = default_error_text,
        headers: Mapping[str, str] | None = None,
        retry_after: Callable[[httpx.Response], float | None] | None = None,
        budget_spent: Callable[[httpx.Response], float | None] | None = None,
        token_cost: Callable[[str, str], int] | None = None,
        decode: Callable[[httpx.Response], Any] | None = None,
    ) -> None:
        # A vendor that answers in another format (XML): its bodies decoded into JSON ones.
        self._decode = decode
        self._http = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            timeout=timeout,
            transport=transport,
            headers={"accept": "application/json", **(headers or {})},
        )
        self._transport = transport
        self._unsigned: httpx.AsyncClient | None = None  # for signed URLs, made when needed
        self._retry = retry or RetryPolicy()
        self._backoff = wait_exponential(
            multiplier=self._retry.wait_initial, max=self._retry.wait_max
        )
        self._sleep = sleep
        self._secrets = auth.secrets if auth else ()
        self.system_name = system_name
        self.system_id = system_id or system_name.lower()  # what observers are told
        # The process's shared limiter (every session of this token draws from one window),
        # else one of this client's own.
        limiter = rate_limiter or shared_limiter()
        if limiter is None:
            limiter, self._sleep = own_limiter(sleep)
        self._limiter: RateLimiter = limiter
        self._limit_key = f"{self.system_id}:{auth.rate_limit_key if auth else 'anonymous'}"
        self.is_auth_failure = is_auth_failure
        self.error_text = error_text
        # How long a 429 asks to wait: Retry-After by default; some vendors say it in the body.
        self.retry_after = retry_after or header_retry_after
        # Seconds until a spent quota refills, for vendors that say so with something other
        # than a 429 (Salesforce: 403 REQUEST_LIMIT_EXCEEDED); None: not that kind of answer.
        self.budget_spent = budget_spent
        # What a call costs (method, URL path), for vendors whose budget unit is documented
        # per operation rather than said in a response header.
        self.token_cost = token_cost
        self.stats = ClientStats()

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._unsigned is not None:
            await self._unsigned.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        expect_json: bool = False,
        repeatable: bool = False,
        complete: Callable[[httpx.Response], bool] | None = None,
        content: Callable[[], AsyncIterable[bytes]] | None = None,
    ) -> httpx.Response:
        """Send with retries. Returns 2xx/3xx and the 4xx the caller must judge; raises the rest.
        With `expect_json`, a 2xx body that does not parse is retried like a 5xx (where the
        method may be repeated) and then raises UnreadableResponse; so is a 2xx body that
        `complete` says is cut short (a body that is not JSON, checked against a known size).
        `repeatable`: a POST that only reads (a search), repeated like a GET. `content`: a
        streamed body instead of JSON (an upload), made afresh for every attempt."""
        method = method.upper()

        async def once() -> httpx.Response:
            response = await self._send_once(method, path, params, json, headers, content)
            if expect_json:
                _check_json(response)
            if complete is not None:
                _check_complete(response, complete)
            return response

        return await self._attempts(method, path, repeatable or method in IDEMPOTENT_METHODS, once)

    async def download(
        self,
        path: str,
        sink: Sink,
        *,
        params: Mapping[str, Any] | None = None,
        credentials: bool = True,
    ) -> int:
        """GET a body into `sink` as it arrives (a file's bytes: never whole in memory),
        retried like any GET, the sink emptied before each attempt. A body cut short is an
        error, never a shorter file. Returns the number of bytes written. The credentials go
        only to the API's own host: a URL elsewhere (a signed URL the vendor handed out), a
        redirect, or a call without `credentials` is fetched by a client that sends no auth
        (through the same guarded transport)."""
        http = self._http if credentials and self._on_own_host(path) else self._bare()

        async def once() -> int:
            sink.seek(0)
            sink.truncate()
            return await self._stream_once(http, path, params, sink)

        return await self._attempts("GET", path, True, once)

    async def _attempts(
        self, method: str, path: str, may_repeat: bool, once: Callable[[], Awaitable[T]]
    ) -> T:
        """`once` with the retry policy; what is left after retries raised as an adapter error."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retry.attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: _should_retry(exc, may_repeat)),
            sleep=self._sleep,
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await once()
        except _Unreadable as exc:
            raise UnreadableResponse(self._say(method, path, f"gave up: {exc.reason}")) from None
        except _Retry as exc:
            raise TransientError(self._say(method, path, f"gave up: {exc.reason}")) from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            reason = f"cannot connect ({type(exc).__name__})"
            raise Unreachable(self._say(method, path, reason)) from None
        except httpx.TimeoutException as exc:
            reason = f"timed out ({type(exc).__name__})"
            raise TransientError(self._say(method, path, reason)) from None
        except httpx.TransportError as exc:
            reason = f"connection failed ({type(exc).__name__})"
            raise TransientError(self._say(method, path, reason)) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """`request` for callers that expect success: any other 4xx raises UnexpectedResponse."""
        response = await self.request(method, path, params=params, json=json, expect_json=True)
        if response.is_error:
            raise self.unexpected(response, method, path)
        return response.json()

    @property
    def host(self) -> str:
        """The API's host (and port), e.g. to tell one vendor's companies apart."""
        base = self._http.base_url
        return f"{base.host}:{base.port}" if base.port else base.host

    def on_site(self, url: str) -> str:
        """A URL the vendor handed us (a next page), refused unless it stays on the base URL's
        scheme, host and port: the credentials ride on every request this client sends."""
        target = _full_url(self._http.base_url, url)
        base = self._http.base_url
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            where = f"{target.scheme}://{target.host}"
            raise OffSiteUrl(
                f"{self.system_name}: a next-page link points at {where}, away from the API's "
                "own host; it was not followed."
            )
        return url

    def unexpected(self, response: httpx.Response, method: str, path: str) -> UnexpectedResponse:
        reason = f"{response.status_code} {self.error_text(response)}"
        return UnexpectedResponse(self._say(method, path, reason), status=response.status_code)

    async def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None = None,
        content: Callable[[], AsyncIterable[bytes]] | None = None,
    ) -> httpx.Response:
        await self._acquire(method, path)
        try:
            response = await self._http.request(
                method,
                path,
                params=params,
                json=json,
                headers=headers,
                content=content() if content else None,
            )
        except ConnectionFailed as exc:
            raise self._named(exc) from None
        if self._decode is not None:
            response = _as_json(response, self._decode)
        await self._judge(response, method, path)
        return response

    async def _acquire(self, method: str, path: str) -> None:
        """A slot in the token's window; a token held for long (a spent budget, seen by this
        client or any other) raises BudgetExhausted naming this call."""
        try:
            await self._limiter.acquire(self._limit_key)
        except BudgetExhausted as exc:
            reason = self._say(method, path, exc.message)
            raise BudgetExhausted(reason, resume_at=exc.resume_at) from None

    def _bare(self) -> httpx.AsyncClient:
        if self._unsigned is None:
            self._unsigned = httpx.AsyncClient(
                timeout=self._http.timeout, transport=self._transport, follow_redirects=True
            )
        return self._unsigned

    def _on_own_host(self, url: str) -> bool:
        target, base = _full_url(self._http.base_url, url), self._http.base_url
        return (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)

    async def _stream_once(
        self,
        http: httpx.AsyncClient,
        path: str,
        params: Mapping[str, Any] | None,
        sink: Sink,
    ) -> int:
        await self._acquire("GET", path)
        try:
            async with http.stream("GET", path, params=params) as response:
                location = response.headers.get("location")
                if response.is_redirect and location and http is self._http:
                    # Where the bytes really are (a signed link): no credentials go there.
                    there = str(response.url.join(location))
                    return await self._stream_once(self._bare(), there, None, sink)
                if response.status_code >= 300:
                    await response.aread()  # what the error says is read from its body
                    await self._judge(response, "GET", path)
                    raise self.unexpected(response, "GET", path)
                await self._judge(response, "GET", path)
                written = 0
                async for chunk in response.aiter_bytes():
                    sink.write(chunk)
                    written += len(chunk)
                # Content-Length counts the bytes on the wire (before any content decoding).
                declared = response.headers.get("content-length")
                if declared is not None and response.num_bytes_downloaded != int(declared):
                    got = response.num_bytes_downloaded
                    raise _Unreadable(f"a body cut short ({got} of {declared} bytes)")
                return written
        except ConnectionFailed as exc:
            raise self._named(exc) from None

    def _named(self, exc: ConnectionFailed) -> ConnectionFailed:
        """Raised inside a request by the auth flow (a refused token exchange) or by the
        transport (an outbound URL refused): fatal, never retried; it keeps its class and code
        and gains the system's name."""
        return type(exc)(self._scrub(f"{self.system_name}: {exc.message}"), code=exc.code)

    async def _judge(self, response: httpx.Response, method: str, path: str) -> None:
        """Count the answer, learn the rate window, and raise what the caller must not judge:
        a spent quota, refused credentials, a 429, a 5xx."""
        self._count(response)
        await self._limiter.update(self._limit_key, response.headers)
        status = response.status_code
        wait = self.budget_spent(response) if self.budget_spent else None
        if wait is not None:
            await self._limiter.backoff(self._limit_key, wait)  # every client of the token
            resume_at = datetime.now(UTC) + timedelta(seconds=wait)
            reason = f"API quota spent until {resume_at.isoformat(timespec='seconds')}"
            raise BudgetExhausted(self._say(method, path, reason), resume_at=resume_at)
        if self.is_auth_failure(response):
            reason = f"credentials refused ({status} {self.error_text(response)})"
            raise AuthFailed(self._say(method, path, reason))
        if _asks_to_wait(response):
            retry_after = self.retry_after(response)
            await self._limiter.backoff(self._limit_key, retry_after)  # every client of the token
            self._raise_rate_limited(method, path, retry_after, status)
        if status >= 500:
            raise _ServerError(f"{status} {response.reason_phrase}")

    def _raise_rate_limited(
        self, method: str, path: str, retry_after: float | None, status: int = 429
    ) -> None:
        now = datetime.now(UTC)
        if retry_after is not None and retry_after > self._retry.max_retry_after:
            resume_at = now + timedelta(seconds=retry_after)
            reason = f"rate limit budget spent until {resume_at.isoformat(timespec='seconds')}"
            raise BudgetExhausted(self._say(method, path, reason), resume_at=resume_at)
        reason = "429 Too Many Requests" if status == 429 else f"{status} (Retry-After)"
        raise _RateLimited(reason, retry_after=retry_after)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RateLimited) and exc.retry_after is not None:
            return exc.retry_after
        return self._backoff(state)

    def _count_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1

    def _count(self, response: httpx.Response) -> None:
        self.stats.requests += 1
        status = response.status_code
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
        if _asks_to_wait(response):
            self.stats.rate_limited += 1
        for observer in _call_observers:
            observer(self.system_id, status)
        cost = header_number(response.headers.get("x-token-cost", "0")) or 0
        if not cost and self.token_cost and status != 429:  # a refused call is not charged
            cost = self.token_cost(response.request.method, response.request.url.path)
        self.stats.token_cost += int(cost)

    def _say(self, method: str, path: str, reason: str) -> str:
        """A message naming the call without its query string, scrubbed of secrets."""
        url = _full_url(self._http.base_url, path).copy_with(query=None)
        return self._scrub(f"{self.system_name}: {method} {url} {reason}")

    def _scrub(self, message: str) -> str:
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return message


def _asks_to_wait(response: httpx.Response) -> bool:
    """A 429, or a 503 that says when to come back (`Retry-After`: Highrise's answer over its
    rate limit): waited out as the vendor says, for every caller of the token."""
    status = response.status_code
    return status == 429 or (status == 503 and "retry-after" in response.headers)


def _check_json(response: httpx.Response) -> None:
    """A success answer must parse: a truncated body is not an empty list."""
    if not response.is_success or response.status_code in (204, 304):
        return
    try:
        response.json()
    except ValueError:
        size = len(response.content)
        raise _Unreadable(
            f"{response.status_code} with a body that is not JSON ({size} bytes)"
        ) from None


def _as_json(response: httpx.Response, decode: Callable[[httpx.Response], Any]) -> httpx.Response:
    """The answer with its body decoded (XML, say) and carried as JSON, so that everything
    after the client reads it as any other vendor's. A success body that does not decode is
    unreadable (retried, then an error); an error body that does not is left as it came."""
    if not response.content or response.status_code in (204, 304):
        return response
    try:
        body = decode(response)
    except ValueError:
        if response.is_success:
            size = len(response.content)
            raise _Unreadable(
                f"{response.status_code} with a body that does not decode ({size} bytes)"
            ) from None
        return response
    kept = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-length", "content-encoding", "content-type")
    ]
    return httpx.Response(response.status_code, headers=kept, json=body, request=response.request)


def _check_complete(response: httpx.Response, complete: Callable[[httpx.Response], bool]) -> None:
    if response.is_success and not complete(response):
        raise _Unreadable(
            f"{response.status_code} with a body cut short ({len(response.content)} bytes)"
        )


def _should_retry(exc: BaseException, may_repeat: bool) -> bool:
    """What is worth another try. For a POST only what the server surely did not act on."""
    if isinstance(exc, _RateLimited | httpx.ConnectError | httpx.ConnectTimeout):
        return True
    if not may_repeat:
        return False
    return isinstance(
        exc, _ServerError | _Unreadable | httpx.TimeoutException | httpx.TransportError
    )


def _full_url(base_url: httpx.URL, path: str) -> httpx.URL:
    """Where httpx sends `path`: absolute URLs as they are, others appended to the base path."""
    url = httpx.URL(path)
    if url.is_absolute_url:
        return url
    return httpx.URL(str(base_url).rstrip("/") + "/" + path.lstrip("/"))
