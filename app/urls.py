"""Checks on user-supplied URLs (source base URLs, webhook URLs): no private or loopback
addresses, except this service's own sandbox and hosts on the allow-list."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from app.config import get_settings
from app.errors import Unprocessable


def is_own_sandbox(url: str) -> bool:
    settings = get_settings()
    prefix = settings.public_url.rstrip("/") + "/sandbox/"
    return settings.sandbox_enabled and url.startswith(prefix)


async def check_outbound_url(url: str, *, field: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unprocessable(
            f"{field} must be an absolute http(s) URL.",
            code="invalid_url",
            details={"field": field},
        )
    if parts.username or parts.password:
        raise Unprocessable(
            f"{field} must not carry credentials.", code="invalid_url", details={"field": field}
        )
    if is_own_sandbox(url) or parts.hostname in get_settings().allowed_hosts:
        return url
    for address in await _addresses(parts.hostname):
        if not address.is_global:
            raise Unprocessable(
                f"{field} points at a private or loopback address, which is not allowed. "
                "Add the host to FERRY_ALLOWED_HOSTS to allow it.",
                code="url_not_allowed",
                details={"field": field},
            )
    return url


async def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return [ipaddress.ip_address("127.0.0.1")]
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM), 5
        )
    except (OSError, TimeoutError):
        # Unresolvable now: the connection test will report it as unreachable.
        return []
    return [ipaddress.ip_address(info[4][0]) for info in infos]
