"""Bad input gets the error shape and the right status, never a 500: NUL bytes and lone
surrogates wherever they can hide, and bodies over the limit whether their size is declared or
streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.errors import error_response, install_error_handlers
from app.guards import RequestGuard

TWO_MB = 2_000_000
JSON = {"content-type": "application/json"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "details"}
    return error  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/sessions/%00",
        "/v1/sessions/%00/errors",
        "/sandbox/accounts/%00",
        "/sandbox/pipedrive/%00/v1/users",  # an emulator looks its sandbox id up in our database
    ],
)
async def test_nul_in_the_path_is_422(client: httpx.AsyncClient, path: str) -> None:
    error = assert_error(await client.get(path), 422, "invalid_characters")
    assert "path" in error["message"]


async def test_nul_in_a_query_value_is_422_naming_the_parameter(
    client: httpx.AsyncClient,
) -> None:
    error = assert_error(
        await client.get("/v1/sessions", params={"cursor": "abc\x00"}), 422, "invalid_characters"
    )
    assert "query parameter cursor" in error["message"]
    assert "abc" not in error["message"]


async def test_nul_in_a_query_name_is_422(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/v1/sessions?cur%00sor=1"), 422, "invalid_characters")


async def test_nul_in_a_json_body_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    body = (
        b'{"source": {"system": "pipedrive", "credentials": {"api_token": "secret"},'
        b' "base_url": "http://x\\u0000y"}, "target": {"system": "pipedrive"}}'
    )
    response = await client.post("/v1/sessions", content=body, headers=JSON)
    error = assert_error(response, 422, "invalid_characters")
    assert "body field source.base_url" in error["message"]
    assert "http://x" not in response.text


async def test_nul_in_a_json_key_is_422(client: httpx.AsyncClient) -> None:
    body = b'{"system": "pipedrive", "credentials": {"api\\u0000token": "t"}}'
    response = await client.post("/v1/connections/test", content=body, headers=JSON)
    error = assert_error(response, 422, "invalid_characters")
    assert "body key in credentials" in error["message"]


async def test_nul_deep_in_a_json_list_is_422(client: httpx.AsyncClient) -> None:
    body = b'{"source": {"system": "pipedrive"}, "target": {"system": "pipedrive"},'
    body += b' "entities": ["persons", "deals\\u0000"]}'
    response = await client.post("/v1/sessions", content=body, headers=JSON)
    error = assert_error(response, 422, "invalid_characters")
    assert "body field entities[1]" in error["message"]


async def test_lone_surrogate_in_a_json_body_is_422(client: httpx.AsyncClient) -> None:
    body = b'{"source": {"system": "\\ud800"}, "target": {"system": "pipedrive"}}'
    response = await client.post("/v1/sessions", content=body, headers=JSON)
    error = assert_error(response, 422, "invalid_characters")
    assert "body field source.system" in error["message"]


async def test_a_surrogate_pair_is_a_character_like_any_other(client: httpx.AsyncClient) -> None:
    # "\ud83d\ude80" is the rocket: a valid pair, so the app answers as for any unknown system.
    body = b'{"system": "\\ud83d\\ude80"}'
    response = await client.post("/sandbox/accounts", content=body, headers=JSON)
    error = assert_error(response, 422, "unknown_system")
    assert "🚀" in error["message"]


async def test_a_body_that_is_not_json_is_answered_by_the_app(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/sessions", content=b'{"a": "\x00', headers=JSON)
    assert_error(response, 400, "malformed_json")


async def test_a_chunked_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(TWO_MB // 10_000):
            yield b"a" * 10_000

    response = await client.post("/v1/sessions", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers  # really chunked
    assert_error(response, 413, "payload_too_large")


async def test_a_declared_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/sessions", content=b"a" * TWO_MB, headers=JSON)
    assert response.request.headers["content-length"] == str(TWO_MB)
    assert_error(response, 413, "payload_too_large")


async def test_a_normal_request_still_works(client: httpx.AsyncClient) -> None:
    # A body the guard reads and hands on: the app sees it whole.
    response = await client.post(
        "/sandbox/accounts", json={"system": "pipedrive", "dataset": "empty", "size": 1}
    )
    assert response.status_code == 201, response.text
    sandbox = response.json()
    response = await client.get(f"/sandbox/accounts/{sandbox['id']}")
    assert response.status_code == 200
    assert response.json()["id"] == sandbox["id"]

    # A small chunked body is read whole too.
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"system": "pipedrive",'
        yield b' "dataset": "empty", "size": 1}'

    response = await client.post("/sandbox/accounts", content=chunks(), headers=JSON)
    assert response.status_code == 201, response.text


def test_an_error_message_that_cannot_be_utf8_still_renders() -> None:
    response = error_response(
        422, "unknown_system", "Unknown system '\ud800'.", {"x": float("nan")}
    )
    assert response.status_code == 422
    assert response.body.decode() == (
        '{"error":{"code":"unknown_system","message":"Unknown system \'?\'.","details":null}}'
    )


async def test_an_unexpected_exception_answers_500_with_the_shape_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_middleware(RequestGuard)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://ferry") as http:
        response = await http.get("/boom")
    assert_error(response, 500, "internal_error")
    logged = [r for r in caplog.records if r.name == "ferry" and r.exc_info]
    assert logged and "GET /boom" in logged[0].getMessage()


@pytest.mark.parametrize(
    "decoded",
    [
        "2024-01-01T00:00:00|x",  # a naive time: never one of ours
        "0001-01-01T00:00:00+14:00|x",  # out of range once in UTC
        "9999-12-31T23:59:59-23:59|x",
        "2024-01-01T00:00:00+00:00|\x00",  # a NUL hidden inside the base64
    ],
)
async def test_a_forged_session_cursor_is_a_422(client: httpx.AsyncClient, decoded: str) -> None:
    import base64

    cursor = base64.urlsafe_b64encode(decoded.encode()).decode()
    response = await client.get("/v1/sessions", params={"cursor": cursor})
    assert_error(response, 422, "invalid_cursor")


async def test_an_errors_cursor_beyond_any_id_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/sessions/none/errors", params={"cursor": 2**31})
    assert_error(response, 422, "validation_error")
