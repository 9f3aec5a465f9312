"""The outbound URL policy: which URLs this service may call (source base URLs, webhook URLs,
and every request made through them).

Rules: http(s) only, no userinfo, at most MAX_URL_LENGTH characters, no dot segments or
backslashes in the path (they would let `/sandbox/../v1/...` slip past a prefix test), and only
public addresses: a name must resolve, and to nothing private, loopback, link-local, multicast,
reserved or unspecified. Exceptions: this service's own sandbox (FERRY_PUBLIC_URL + /sandbox/,
when the sandbox is on) and the hosts of FERRY_ALLOWED_HOSTS. This service's own origin is only
ever reachable under the sandbox prefix, allow-listed or not, so a base URL cannot be turned
against its own API.

The checks run twice: once on what the user gives (`check_outbound_url`, a 422 with a stable
code), and before every request and at every connect in the guarded transport (app/outbound.py),
which connects to the very address it checked, so DNS cannot answer differently in between.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from app.config import get_settings
from app.errors import Unprocessable

MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT = 5.0  # seconds; a name that takes longer counts as unresolvable
DEFAULT_PORTS = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 ranges that carry an IPv4 address in their last 32 bits (NAT64 well-known prefix).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UrlRefused(Exception):
    """Why a URL may not be called: a stable code and a reason that never quotes the URL
    (its query string may hold a token)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class OutboundTarget:
    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int
    path: str
    trusted: bool  # own sandbox or allow-listed: any address, no resolution needed


def parse_outbound(url: str, *, max_length: int = MAX_URL_LENGTH) -> OutboundTarget:
    """The checks that need no DNS. Raises UrlRefused."""
    if len(url) > max_length:
        raise UrlRefused("url_too_long", f"is longer than {max_length} characters.")
    parts = _split(url)
    host = parts.hostname or ""
    port = _port(parts)
    _check_path(parts.path)
    if is_own_origin(host, port):
        if not _under_sandbox(parts.path):
            raise UrlRefused(
                "url_not_allowed",
                "points at this service's own API; only its sandbox (/sandbox/) may be called.",
            )
        return OutboundTarget(parts.scheme, host, port, parts.path, trusted=True)
    if is_allowed_host(host):
        return OutboundTarget(parts.scheme, host, port, parts.path, trusted=True)
    literal = _literal_address(host)
    if literal is not None:
        check_addresses([literal])
    return OutboundTarget(parts.scheme, host, port, parts.path, trusted=False)


async def check_outbound_url(url: str, *, field: str) -> str:
    """A user-supplied URL, checked before it is stored: a 422 with the refusal's code."""
    try:
        target = parse_outbound(url)
        if not target.trusted:
            check_addresses(await resolve_addresses(target.host))
    except UrlRefused as exc:
        raise Unprocessable(
            f"{field} {exc.reason}", code=exc.code, details={"field": field}
        ) from None
    return url


def is_own_sandbox(url: str) -> bool:
    try:
        target = parse_outbound(url)
    except UrlRefused:
        return False
    return target.trusted and is_own_origin(target.host, target.port)


def check_addresses(addresses: list[IPAddress]) -> None:
    """Every address a name resolves to must be public: one private answer is enough to refuse,
    since the connection could go to any of them."""
    if not addresses:
        raise UrlRefused("url_unresolvable", "names a host that does not resolve.")
    for address in addresses:
        if not address_allowed(address):
            raise UrlRefused(
                "url_not_allowed",
                f"points at a private, loopback or otherwise non-public address ({address}), "
                "which is not allowed. Add the host to FERRY_ALLOWED_HOSTS to allow it.",
            )


def address_allowed(address: IPAddress) -> bool:
    embedded = _embedded_ipv4(address)
    if embedded is not None and not address_allowed(embedded):
        return False
    # `is_global` alone lets multicast through (224.0.0.1 and ff0e::1 count as global).
    refused = (
        address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or address.is_link_local
        or address.is_private
        or address.is_loopback
    )
    return address.is_global and not refused


def is_own_origin(host: str, port: int) -> bool:
    """This service's public origin, or its internal one (FERRY_INTERNAL_URL): either way a
    request there reaches this service, so the same sandbox-only rule holds for both."""
    settings = get_settings()
    origins = [settings.public_url, *([settings.internal_url] if settings.internal_url else [])]
    return any(_same_origin(urlsplit(url), host, port) for url in origins)


def _same_origin(own: SplitResult, host: str, port: int) -> bool:
    return (own.hostname or "") == host.lower() and _port(own) == port


def is_allowed_host(host: str) -> bool:
    allowed = {h.strip().strip("[]").lower() for h in get_settings().allowed_hosts}
    return host.lower() in allowed


def is_trusted_origin(host: str, port: int) -> bool:
    """At connect time, where any address is fine: allow-listed hosts, and this service's own
    origin while the sandbox is on (each request to it was checked to be under /sandbox/)."""
    own = is_own_origin(host, port) and get_settings().sandbox_enabled
    return own or is_allowed_host(host)


async def resolve_addresses(host: str, timeout: float = RESOLVE_TIMEOUT) -> list[IPAddress]:
    """Every address `host` resolves to, in resolver order; [] when it does not resolve.
    The one resolver of the outbound policy: the transport connects to what this returns."""
    literal = _literal_address(host)
    if literal is not None:
        return [literal]
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        return [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout
        )
    except (OSError, TimeoutError, UnicodeError):
        return []
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]))
        if address not in addresses:
            addresses.append(address)
    return addresses


def _split(url: str) -> SplitResult:
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise UrlRefused("invalid_url", "must not contain spaces or control characters.")
    if "\\" in url:  # browsers and some proxies read it as "/": the host would differ
        raise UrlRefused("invalid_url", "must not contain backslashes.")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UrlRefused("invalid_url", "must be an absolute http(s) URL.") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise UrlRefused("invalid_url", "must be an absolute http(s) URL.")
    if "@" in parts.netloc:
        raise UrlRefused("invalid_url", "must not carry credentials (user:password@).")
    return parts


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError:
        raise UrlRefused("invalid_url", "has an invalid port.") from None
    return port if port is not None else DEFAULT_PORTS.get(parts.scheme, 0)


def _check_path(path: str) -> None:
    # Decoded once, as the server will: `%2e%2e` is `..` and `%5c` a backslash to it.
    decoded = unquote(path)
    segments = decoded.split("/")
    if "\\" in decoded or "." in segments or ".." in segments:
        raise UrlRefused(
            "invalid_url", "must not contain '.' or '..' path segments or backslashes."
        )
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in decoded):
        raise UrlRefused("invalid_url", "must not contain control characters.")


def _under_sandbox(path: str) -> bool:
    if not get_settings().sandbox_enabled:
        return False
    own_path = urlsplit(get_settings().public_url).path.rstrip("/")
    return path.startswith(own_path + "/sandbox/")


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64), which is where the packets
    end up."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
