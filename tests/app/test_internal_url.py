"""FERRY_INTERNAL_URL: calls to this service's sandbox at its public origin go to the internal
origin (compose: the host's 127.0.0.1:8000 is not the API container), and the internal origin
is held to the same rule as the public one: its sandbox only, never its API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from app import outbound, urls
from app.config import Settings
from app.outbound import GuardedTransport, OutboundRefused

PUBLIC = "http://ferry.invalid:8000"  # what users see; never resolved here


@pytest.fixture
async def inside() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A local server standing for the API container: records each request's head."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", heads
    finally:
        server.close()
        await server.wait_closed()


def use_settings(monkeypatch: pytest.MonkeyPatch, internal_url: str | None) -> None:
    settings = Settings(
        public_url=PUBLIC,
        internal_url=internal_url,
        sandbox=True,
        allowed_hosts=[],
        redis_url="redis://unused.invalid",
    )
    monkeypatch.setattr(urls, "get_settings", lambda: settings)
    monkeypatch.setattr(outbound, "get_settings", lambda: settings)


async def test_sandbox_calls_at_the_public_origin_go_to_the_internal_one(
    monkeypatch: pytest.MonkeyPatch, inside: tuple[str, list[bytes]]
) -> None:
    internal, heads = inside
    use_settings(monkeypatch, internal)
    async with httpx.AsyncClient(transport=GuardedTransport()) as http:
        response = await http.get(f"{PUBLIC}/sandbox/pipedrive/abc/v1/users?api_token=t")
    assert response.status_code == 200
    (head,) = heads
    assert head.startswith(b"GET /sandbox/pipedrive/abc/v1/users?api_token=t HTTP/1.1")
    # The sandbox still sees the public origin: the links it hands out are the users' ones.
    assert b"host: ferry.invalid:8000" in head.lower()


async def test_the_internal_origin_is_only_ever_its_sandbox(
    monkeypatch: pytest.MonkeyPatch, inside: tuple[str, list[bytes]]
) -> None:
    internal, heads = inside
    use_settings(monkeypatch, internal)
    async with httpx.AsyncClient(transport=GuardedTransport()) as http:
        for url in (f"{internal}/v1/sessions", f"{PUBLIC}/v1/sessions"):
            with pytest.raises(OutboundRefused):
                await http.get(url)
    assert heads == []


def test_without_an_internal_url_the_public_origin_is_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_settings(monkeypatch, None)
    url = httpx.URL(f"{PUBLIC}/sandbox/pipedrive/abc/v1/users")
    assert outbound.internal_url(url) == url
