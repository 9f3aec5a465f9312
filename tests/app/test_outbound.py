"""The guarded transport on its own: no service, no network. Local sockets only, names under
`.invalid` with the module's resolver replaced (our own seam), and a recording network backend
where a connection must be seen to go to the checked address."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
import pytest

from adapters.core.auth import QueryParamAuth
from adapters.core.errors import ConnectionFailed
from adapters.core.http import ApiClient, RetryPolicy
from app import outbound, urls
from app.config import Settings
from app.outbound import GuardedBackend, GuardedTransport, OutboundRefused

PUBLIC = ipaddress.ip_address("93.184.216.34")  # a global address, never dialled here
OK_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


@dataclass
class CountingServer:
    """A local TCP server that counts the connections it accepts and answers 200."""

    port: int = 0
    accepted: int = 0
    server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK_RESPONSE)
        await writer.drain()
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[CountingServer]:
    counting = CountingServer()
    counting.server = await asyncio.start_server(counting._handle, "127.0.0.1", 0)
    counting.port = counting.server.sockets[0].getsockname()[1]
    try:
        yield counting
    finally:
        counting.server.close()
        await counting.server.wait_closed()


def use_settings(monkeypatch: pytest.MonkeyPatch, **values: Any) -> None:
    """Settings that allow nothing private unless told (the outbound policy reads only these)."""
    settings = Settings(
        public_url=values.pop("public_url", "http://ferry.invalid"),
        allowed_hosts=values.pop("allowed_hosts", []),
        sandbox=values.pop("sandbox", True),
        redis_url="redis://unused.invalid",
    )
    monkeypatch.setattr(urls, "get_settings", lambda: settings)


def resolve_to(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Replaces the policy's resolver; returns the list of names it was asked about."""
    asked: list[str] = []

    async def fake(host: str, timeout: float = urls.RESOLVE_TIMEOUT) -> list[urls.IPAddress]:
        asked.append(host)
        return [ipaddress.ip_address(a) for a in answers.get(host, [])]

    monkeypatch.setattr(urls, "resolve_addresses", fake)
    return asked


@dataclass
class RecordingStream(httpcore.AsyncMockStream):
    written: bytearray = field(default_factory=bytearray)
    server_hostname: str | None = None

    def __post_init__(self) -> None:
        super().__init__([OK_RESPONSE])

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.written.extend(buffer)

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        self.server_hostname = server_hostname
        return self


class RecordingBackend(httpcore.AsyncMockBackend):
    """Stands in for the real network: records where it was asked to connect."""

    def __init__(self) -> None:
        super().__init__([])
        self.connects: list[tuple[str, int]] = []
        self.streams: list[RecordingStream] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        stream = RecordingStream()
        self.streams.append(stream)
        return stream


async def test_loopback_is_refused_at_connect_time_without_a_connection(
    monkeypatch: pytest.MonkeyPatch, server: CountingServer
) -> None:
    use_settings(monkeypatch)
    backend = GuardedBackend()
    with pytest.raises(OutboundRefused) as refused:
        await backend.connect_tcp("127.0.0.1", server.port, timeout=5)
    assert refused.value.code == "url_not_allowed"
    assert server.accepted == 0


async def test_a_request_to_loopback_is_refused_and_no_socket_is_opened(
    monkeypatch: pytest.MonkeyPatch, server: CountingServer
) -> None:
    use_settings(monkeypatch)
    async with httpx.AsyncClient(transport=GuardedTransport()) as http:
        with pytest.raises(OutboundRefused) as refused:
            await http.get(f"http://127.0.0.1:{server.port}/anything?api_token=s3cret")
    assert refused.value.code == "url_not_allowed"
    assert "s3cret" not in refused.value.message
    assert server.accepted == 0


async def test_a_name_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_settings(monkeypatch)
    asked = resolve_to(monkeypatch, {"crm.invalid": ["10.0.0.1"]})
    network = RecordingBackend()
    async with httpx.AsyncClient(transport=GuardedTransport(network)) as http:
        with pytest.raises(OutboundRefused) as refused:
            await http.get("http://crm.invalid/api")
    assert refused.value.code == "url_not_allowed"
    assert asked == ["crm.invalid"]
    assert network.connects == []


async def test_one_private_answer_among_public_ones_is_enough_to_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_settings(monkeypatch)
    resolve_to(monkeypatch, {"rebind.invalid": [str(PUBLIC), "127.0.0.1"]})
    network = RecordingBackend()
    async with httpx.AsyncClient(transport=GuardedTransport(network)) as http:
        with pytest.raises(OutboundRefused):
            await http.get("http://rebind.invalid/")
    assert network.connects == []


@pytest.mark.parametrize(
    "address",
    [
        "224.0.0.1",
        "ff0e::1",
        "::ffff:10.0.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "64:ff9b::a00:1",
    ],
)
async def test_non_public_addresses_of_every_kind_are_refused(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    use_settings(monkeypatch)
    resolve_to(monkeypatch, {"odd.invalid": [address]})
    with pytest.raises(OutboundRefused):
        await GuardedBackend(RecordingBackend()).connect_tcp("odd.invalid", 80)


async def test_the_connection_goes_to_the_checked_address_and_keeps_the_name_for_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_settings(monkeypatch)
    resolve_to(monkeypatch, {"api.vendor.invalid": [str(PUBLIC)]})
    network = RecordingBackend()
    async with httpx.AsyncClient(transport=GuardedTransport(network)) as http:
        response = await http.get("https://api.vendor.invalid/v1/me")
    assert response.status_code == 200
    assert network.connects == [(str(PUBLIC), 443)]  # the IP checked, not the name again
    stream = network.streams[0]
    assert stream.server_hostname == "api.vendor.invalid"  # SNI and certificate: the name
    assert b"Host: api.vendor.invalid\r\n" in bytes(stream.written)


async def test_a_name_that_does_not_resolve_is_a_connect_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A DNS failure, like today: the client retries it and then reports `unreachable`.
    use_settings(monkeypatch)
    resolve_to(monkeypatch, {})
    network = RecordingBackend()
    async with httpx.AsyncClient(transport=GuardedTransport(network)) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("http://nothing.invalid/")
    assert network.connects == []


async def test_own_origin_only_under_the_sandbox_prefix(
    monkeypatch: pytest.MonkeyPatch, server: CountingServer
) -> None:
    use_settings(monkeypatch, public_url=f"http://127.0.0.1:{server.port}")
    own = f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient(transport=GuardedTransport()) as http:
        assert (await http.get(f"{own}/sandbox/pipedrive/abc/v1/users/me")).status_code == 200
        assert server.accepted == 1
        for path in ("/v1/systems", "/sandbox/%2e%2e/v1/systems", "/sandboxed"):
            with pytest.raises(OutboundRefused):
                await http.get(own + path)
    assert server.accepted == 1


async def test_allow_listed_hosts_connect_whatever_they_resolve_to(
    monkeypatch: pytest.MonkeyPatch, server: CountingServer
) -> None:
    use_settings(monkeypatch, allowed_hosts=["127.0.0.1"])
    async with httpx.AsyncClient(transport=GuardedTransport()) as http:
        response = await http.get(f"http://127.0.0.1:{server.port}/hook")
    assert response.status_code == 200
    assert server.accepted == 1


async def test_requests_are_checked_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    use_settings(monkeypatch)
    resolve_to(monkeypatch, {"api.vendor.invalid": [str(PUBLIC)]})
    network = RecordingBackend()
    async with httpx.AsyncClient(transport=GuardedTransport(network)) as http:
        with pytest.raises(OutboundRefused) as too_long:
            await http.get("https://api.vendor.invalid/" + "a" * 3000)
        with pytest.raises(OutboundRefused):
            await http.get("https://api.vendor.invalid/a/%2E%2e/b")
        with pytest.raises(OutboundRefused):
            await http.get("http://10.0.0.1/")
        # A long query string is the vendor's business (SOQL, filters): not counted.
        response = await http.get("https://api.vendor.invalid/q", params={"q": "x" * 3000})
    assert too_long.value.code == "url_too_long"
    assert response.status_code == 200


async def test_redirects_are_not_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    use_settings(monkeypatch)
    resolve_to(monkeypatch, {"api.vendor.invalid": [str(PUBLIC)]})

    class Redirecting(RecordingBackend):
        async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
            stream = await super().connect_tcp(host, port)
            stream._buffer = [  # type: ignore[attr-defined]
                b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/\r\nContent-Length: 0\r\n\r\n"
            ]
            return stream

    network = Redirecting()
    monkeypatch.setattr(outbound, "outbound_transport", lambda: GuardedTransport(network))
    async with outbound.outbound_client(timeout=5) as http:
        response = await http.get("https://api.vendor.invalid/hook")
    assert response.status_code == 302
    assert network.connects == [(str(PUBLIC), 443)]


async def test_api_client_reports_a_refusal_as_a_fatal_connection_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_settings(monkeypatch)
    resolve_to(monkeypatch, {"crm.invalid": ["192.168.1.20"]})
    network = RecordingBackend()
    client = ApiClient(
        "http://crm.invalid/api",
        auth=QueryParamAuth("api_token", "s3cret-token"),
        transport=GuardedTransport(network),
        retry=RetryPolicy(attempts=4, wait_initial=0),
        system_name="Vendor",
    )
    try:
        with pytest.raises(ConnectionFailed) as failed:
            await client.request("GET", "/v1/me")
    finally:
        await client.aclose()
    assert isinstance(failed.value, OutboundRefused)
    assert failed.value.code == "url_not_allowed"
    assert failed.value.message.startswith("Vendor: ")
    assert "s3cret-token" not in failed.value.message
    assert client.stats.retries == 0  # fatal: never retried
    assert network.connects == []
