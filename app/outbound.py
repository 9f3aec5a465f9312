"""The guarded transport: every request this service makes to a vendor or a webhook receiver goes
through it, so the outbound URL policy of app/urls.py holds for each request, not only for the URL
a user typed in.

Two checks, because a URL can be fine when stored and bad when used:
- before each request, the URL (without its query string) is checked again: scheme, length, path,
  this service's own origin only under /sandbox/, literal addresses. Token exchanges and any
  vendor-given URL (an instance URL, a next-page link) pass here too: they share the client.
- at connect time the network backend resolves the host itself, checks every address and connects
  to the checked IP, so DNS cannot answer differently between check and connect (rebinding).
  httpcore hands the original host name to TLS separately, so SNI, certificate checks and the
  Host header still use the name.

Redirects are not followed: the clients keep httpx's default `follow_redirects=False` (a vendor
API or webhook receiver that redirects gets its 3xx back, not a second request). Even if a
caller turned it on, each hop would come through `handle_async_request` and be checked again.

A refusal raises `OutboundRefused`, a fatal ConnectionFailed with the policy's code
(`url_not_allowed`; `url_too_long` or `invalid_url` for a request URL of that kind) that ApiClient
passes on with its class and code (it is not an httpx error, so it is never retried). Its message
names only scheme://host/path or host:port, never a query string.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from functools import lru_cache

import httpcore
import httpx

from adapters.core.errors import ConnectionFailed
from app import urls
from app.config import get_settings
from app.urls import UrlRefused

# httpx's own defaults for a client's pool.
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


class OutboundRefused(ConnectionFailed):
    """A request or connection the outbound URL policy does not allow."""

    code = "url_not_allowed"


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Wraps a network backend: a TCP connect goes to a resolved, checked IP address only."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if urls.is_trusted_origin(host, port):
            return await self._backend.connect_tcp(
                host, port, timeout, local_address, socket_options
            )
        resolve_timeout = min(timeout or urls.RESOLVE_TIMEOUT, urls.RESOLVE_TIMEOUT)
        addresses = await urls.resolve_addresses(host, resolve_timeout)
        if not addresses:
            # Like any DNS failure: retried by the client, then reported as unreachable.
            raise httpcore.ConnectError(f"cannot resolve {host}")
        try:
            urls.check_addresses(addresses)
        except UrlRefused as exc:
            raise OutboundRefused(f"connection to {host}:{port} refused: it {exc.reason}") from None
        return await self._connect_first(addresses, port, timeout, local_address, socket_options)

    async def _connect_first(
        self,
        addresses: list[urls.IPAddress],
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        """The first address that accepts, in resolver order (as a plain connect would)."""
        options = list(socket_options or ())
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    str(address), port, timeout, local_address, options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # addresses is never empty here
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("outbound calls do not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the URL policy checked per request and per connect. No proxy:
    a proxy would make the connect-time check meaningless."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        # Not super().__init__(): all it does is build the pool below without our network
        # backend (and load the CA bundle once more). Same settings as httpx's default pool.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=_LIMITS.max_connections,
            max_keepalive_connections=_LIMITS.max_keepalive_connections,
            keepalive_expiry=_LIMITS.keepalive_expiry,
            network_backend=GuardedBackend(backend),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_request_url(request.url)
        request.url = internal_url(request.url)
        return await super().handle_async_request(request)


def check_request_url(url: httpx.URL) -> None:
    """The policy for one request; the query string is left out (it is the vendor's business and
    may hold a token), so the length limit applies to scheme://host/path."""
    try:
        urls.parse_outbound(str(url.copy_with(query=None, fragment=None)))
    except UrlRefused as exc:
        raise OutboundRefused(f"{_display(url)} refused: it {exc.reason}", code=exc.code) from None


def internal_url(url: httpx.URL) -> httpx.URL:
    """A request to this service's public origin (its sandbox: the check above allowed nothing
    else there) sent to FERRY_INTERNAL_URL's origin instead. The Host header still names the
    public origin, so the links the sandbox hands out stay the ones users see."""
    settings = get_settings()
    if not settings.internal_url:
        return url
    public, inside = httpx.URL(settings.public_url), httpx.URL(settings.internal_url)
    if (url.scheme, url.host, url.port) != (public.scheme, public.host, public.port):
        return url
    return url.copy_with(scheme=inside.scheme, host=inside.host, port=inside.port)


def outbound_transport() -> GuardedTransport:
    """A fresh guarded transport for one client (a client closes its transport with it)."""
    return GuardedTransport()


def outbound_client(*, timeout: float) -> httpx.AsyncClient:
    """A client for one-off calls such as webhook deliveries: guarded, redirects not followed.
    Refusals raise OutboundRefused (a ConnectionFailed, not an httpx error)."""
    return httpx.AsyncClient(
        transport=outbound_transport(), timeout=timeout, follow_redirects=False
    )


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One verifying context for all transports: loading the CA bundle per client is slow, and
    httpcore only ever sets the same ALPN protocols on it."""
    return httpx.create_ssl_context()


def _display(url: httpx.URL) -> str:
    """scheme://host[:port]/path: what a refusal may name (no userinfo, no query)."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{host}{port}{url.path}"
