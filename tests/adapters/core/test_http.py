"""ApiClient against tiny in-test ASGI apps: error classes, retries, 429s, pacing, secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.core.auth import BasicAuth, BearerAuth, HeaderAuth, QueryParamAuth
from adapters.core.errors import AuthFailed, BudgetExhausted, TransientError, Unreachable
from adapters.core.http import (
    ApiClient,
    LocalRateLimiter,
    RetryPolicy,
    UnexpectedResponse,
    parse_retry_after,
)
from adapters.core.ratelimit import MARGIN

SECRET = "s3cr3t-token-value"

Reply = tuple[int, dict[str, str], Any]


class ScriptedApp:
    """An ASGI app answering with scripted replies in order (the last one repeats)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.seen.append(
            {
                "method": scope["method"],
                "path": scope["path"],
                "query": scope["query_string"].decode(),
                "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
                "body": body,
            }
        )
        status, headers, payload = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        raw = json.dumps(payload).encode()
        head = [(b"content-type", b"application/json")]
        head += [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": raw})


class FakeTime:
    """Sleeps that return at once but advance a clock, so waits are visible and tests fast."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_client(app: ScriptedApp, fake: FakeTime, *, attempts: int = 3, **kwargs: Any) -> ApiClient:
    kwargs.setdefault("rate_limiter", LocalRateLimiter(sleep=fake.sleep, clock=fake.clock))
    return ApiClient(
        "http://crm.test/api",
        auth=QueryParamAuth("api_token", SECRET),
        transport=httpx.ASGITransport(app=app),
        retry=RetryPolicy(attempts=attempts, wait_initial=0.01, wait_max=0.05, max_retry_after=60),
        sleep=fake.sleep,
        system_name="TestCRM",
        **kwargs,
    )


def assert_no_secret(exc: BaseException) -> None:
    for text in (str(exc), repr(exc), getattr(exc, "message", "")):
        assert SECRET not in text
        assert "api_token" not in text
    # A chained httpx exception would carry the request, and so the URL with its query string.
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__


async def test_success_sends_auth_and_counts_token_cost() -> None:
    app = ScriptedApp((200, {"x-token-cost": "10"}, {"ok": True}))
    client = make_client(app, FakeTime())
    assert await client.json("GET", "/things", params={"limit": 5}) == {"ok": True}
    await client.json("GET", "/things")
    assert app.seen[0]["path"] == "/api/things"
    assert f"api_token={SECRET}" in app.seen[0]["query"] and "limit=5" in app.seen[0]["query"]
    assert client.stats.requests == 2 and client.stats.token_cost == 20
    await client.aclose()


async def test_401_raises_auth_failed_without_secret_or_retry() -> None:
    app = ScriptedApp((401, {}, {"error": "unauthorized access"}))
    client = make_client(app, FakeTime())
    with pytest.raises(AuthFailed) as caught:
        await client.request("GET", "/users/me")
    assert "unauthorized access" in caught.value.message
    assert "http://crm.test/api/users/me" in caught.value.message
    assert_no_secret(caught.value)
    assert len(app.seen) == 1


async def test_403_raises_auth_failed_unless_the_system_narrows_it() -> None:
    app = ScriptedApp((403, {}, {"error": "plan limit"}))
    with pytest.raises(AuthFailed):
        await make_client(app, FakeTime()).request("POST", "/deals", json={})
    narrowed = make_client(app, FakeTime(), is_auth_failure=lambda r: r.status_code == 401)
    response = await narrowed.request("POST", "/deals", json={})
    assert response.status_code == 403


async def test_5xx_retried_with_backoff_then_transient_error() -> None:
    app = ScriptedApp((503, {}, {"error": "down"}))
    fake = FakeTime()
    client = make_client(app, fake, attempts=3)
    with pytest.raises(TransientError) as caught:
        await client.request("GET", "/persons")
    assert len(app.seen) == 3
    assert len(fake.sleeps) == 2 and all(0 < s <= 0.05 for s in fake.sleeps)
    assert client.stats.retries == 2
    assert_no_secret(caught.value)


async def test_5xx_then_success_returns_the_success() -> None:
    app = ScriptedApp((500, {}, {}), (502, {}, {}), (200, {}, {"data": [1]}))
    client = make_client(app, FakeTime(), attempts=4)
    assert await client.json("GET", "/persons") == {"data": [1]}
    assert len(app.seen) == 3


async def test_post_is_not_retried_after_a_5xx() -> None:
    # The server may have created the record: repeating could create it twice.
    app = ScriptedApp((500, {}, {}), (200, {}, {"data": {"id": 1}}))
    client = make_client(app, FakeTime(), attempts=4)
    with pytest.raises(TransientError):
        await client.request("POST", "/persons", json={"name": "A"})
    assert len(app.seen) == 1


async def test_429_honours_retry_after_then_succeeds() -> None:
    app = ScriptedApp((429, {"retry-after": "2"}, {}), (200, {}, {"ok": 1}))
    fake = FakeTime()
    client = make_client(app, fake)
    assert await client.json("POST", "/persons", json={"name": "A"}) == {"ok": 1}
    assert fake.sleeps == [2.0]
    assert client.stats.rate_limited == 1 and client.stats.requests == 2


async def test_a_503_with_retry_after_is_waited_out_as_the_vendor_says() -> None:
    # Highrise answers 503 + Retry-After over its rate limit: the wait is the vendor's, not
    # the backoff's, and it counts as a rate-limited answer.
    app = ScriptedApp((503, {"retry-after": "3"}, {}), (200, {}, {"ok": 1}))
    fake = FakeTime()
    client = make_client(app, fake)
    assert await client.json("GET", "/persons") == {"ok": 1}
    assert fake.sleeps == [3.0]
    assert client.stats.rate_limited == 1 and client.stats.requests == 2


async def test_long_retry_after_raises_budget_exhausted_with_resume_time() -> None:
    app = ScriptedApp((429, {"retry-after": "3600"}, {"error": "daily limit"}))
    client = make_client(app, FakeTime())
    before = datetime.now(UTC)
    with pytest.raises(BudgetExhausted) as caught:
        await client.request("GET", "/persons")
    resume = caught.value.resume_at
    assert before + timedelta(seconds=3599) <= resume <= datetime.now(UTC) + timedelta(hours=1)
    assert len(app.seen) == 1
    assert_no_secret(caught.value)


async def test_pacing_waits_for_the_window_when_it_is_used_up() -> None:
    def window(remaining: int) -> dict[str, str]:
        return {"x-ratelimit-limit": "2", "x-ratelimit-remaining": str(remaining)} | {
            "x-ratelimit-reset": "2"
        }

    app = ScriptedApp((200, window(1), {}), (200, window(0), {}), (200, window(1), {}))
    fake = FakeTime()
    client = make_client(app, fake)
    await client.request("GET", "/a")
    await client.request("GET", "/b")
    assert fake.sleeps == []
    await client.request("GET", "/c")  # held until /a leaves the window (and a small margin)
    assert fake.sleeps == [pytest.approx(2 * (1 + MARGIN))]
    await client.request("GET", "/d")  # /b left with /a: one slot free again
    assert len(fake.sleeps) == 1
    assert client.stats.rate_limited == 0


async def test_limiter_counts_requests_it_lets_out_between_responses() -> None:
    # Concurrent callers share one client: the window must hold before any response says 0.
    fake = FakeTime()
    limiter = LocalRateLimiter(sleep=fake.sleep, clock=fake.clock)
    await limiter.update(
        "k", {"x-ratelimit-limit": "2", "x-ratelimit-remaining": "2", "x-ratelimit-reset": "2"}
    )
    await limiter.acquire("k")
    await limiter.acquire("k")
    assert fake.sleeps == []
    await limiter.acquire("k")
    assert fake.sleeps == [pytest.approx(2 * (1 + MARGIN))]
    await limiter.acquire("other")  # another token has its own window
    assert len(fake.sleeps) == 1


async def test_rate_limiter_keys_by_token_fingerprint_not_token() -> None:
    seen_keys: list[str] = []

    class SpyLimiter:
        async def acquire(self, key: str) -> None:
            seen_keys.append(key)

        async def update(self, key: str, headers: Any) -> None:
            seen_keys.append(key)

    app = ScriptedApp((200, {}, {}))
    client = make_client(app, FakeTime(), rate_limiter=SpyLimiter())
    await client.request("GET", "/a")
    assert len(seen_keys) == 2 and seen_keys[0] == seen_keys[1]
    assert SECRET not in seen_keys[0]


async def test_connection_error_retried_then_unreachable() -> None:
    calls = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    fake = FakeTime()
    client = ApiClient(
        "http://nowhere.invalid",
        auth=QueryParamAuth("api_token", SECRET),
        transport=httpx.MockTransport(refuse),
        retry=RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.01),
        sleep=fake.sleep,
    )
    with pytest.raises(Unreachable) as caught:
        await client.request("POST", "/persons", json={})  # nothing was sent: safe to retry
    assert len(calls) == 3
    assert_no_secret(caught.value)


async def test_timeout_retried_then_transient_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    client = ApiClient(
        "http://crm.test",
        transport=httpx.MockTransport(slow),
        retry=RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.01),
        sleep=FakeTime().sleep,
    )
    with pytest.raises(TransientError, match="timed out"):
        await client.request("GET", "/persons")


async def test_other_4xx_returned_and_json_raises_unexpected_response() -> None:
    app = ScriptedApp((400, {}, {"error": "title is required"}))
    client = make_client(app, FakeTime())
    response = await client.request("POST", "/deals", json={})
    assert response.status_code == 400
    with pytest.raises(UnexpectedResponse) as caught:
        await client.json("GET", "/deals")
    assert caught.value.status == 400 and "title is required" in caught.value.message
    assert_no_secret(caught.value)


def test_parse_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("5", now) == 5.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:01:00 GMT", now) == 60.0
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None


@pytest.mark.parametrize(
    ("auth", "where", "expected"),
    [
        (QueryParamAuth("api_token", SECRET), "query", f"api_token={SECRET}"),
        (HeaderAuth("x-api-token", SECRET), "x-api-token", SECRET),
        (BearerAuth(SECRET), "authorization", f"Bearer {SECRET}"),
        (BasicAuth("me", SECRET), "authorization", "Basic bWU6czNjcjN0LXRva2VuLXZhbHVl"),
    ],
)
async def test_auth_styles_place_the_credential(auth: Any, where: str, expected: str) -> None:
    app = ScriptedApp((200, {}, {}))
    client = ApiClient("http://crm.test", auth=auth, transport=httpx.ASGITransport(app=app))
    await client.request("GET", "/x")
    seen = app.seen[0]
    assert expected in (seen["query"] if where == "query" else seen["headers"][where])
    assert SECRET not in auth.rate_limit_key and len(auth.rate_limit_key) == 16


async def test_a_quota_answer_other_than_429_pauses_through_budget_spent() -> None:
    """Salesforce says its daily limit is spent with a 403, which must not read as bad
    credentials: the vendor's hook turns it into BudgetExhausted."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json=[{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "x"}])

    def spent(response: httpx.Response) -> float | None:
        return 3600.0 if "REQUEST_LIMIT_EXCEEDED" in response.text else None

    client = ApiClient(
        "https://crm.example", transport=httpx.MockTransport(handler), budget_spent=spent
    )
    with pytest.raises(BudgetExhausted) as paused:
        await client.request("GET", "/query")
    assert paused.value.resume_at > datetime.now(UTC) + timedelta(minutes=59)
    await client.aclose()


async def test_limiter_paces_on_the_single_ratelimit_header_too() -> None:
    """Close sends the IETF draft's `RateLimit: limit=.., remaining=.., reset=..`."""
    fake = FakeTime()
    limiter = LocalRateLimiter(sleep=fake.sleep, clock=fake.clock)
    await limiter.update("k", {"ratelimit": "limit=2, remaining=2, reset=3"})
    await limiter.acquire("k")
    await limiter.acquire("k")
    assert fake.sleeps == []
    await limiter.acquire("k")
    assert fake.sleeps == [pytest.approx(3 * (1 + MARGIN))]
