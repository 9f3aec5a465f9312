"""Turning a {system, credentials, base_url} into a checked, connected adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from adapters.core.errors import ConnectionFailed
from adapters.core.protocols import ConnectionInfo, SourceAdapter, TargetAdapter
from adapters.core.registry import System, get_system
from app.connections.schemas import SystemConnection
from app.errors import Unprocessable
from app.urls import check_outbound_url

Role = Literal["source", "target"]


@dataclass
class Endpoint:
    system: System
    credentials: dict[str, str]
    base_url: str


async def resolve_endpoint(conn: SystemConnection, role: Role | None = None) -> Endpoint:
    label = role or "connection"
    system = get_system(conn.system)
    if system is None:
        raise Unprocessable(
            f"Unknown {label} system '{conn.system}'. GET /v1/systems lists the supported ones.",
            code="unknown_system",
            details={"role": role, "system": conn.system},
        )
    if role and role not in system.roles:
        raise Unprocessable(
            f"{system.name} cannot be used as a {role}.",
            code="role_not_supported",
            details={"role": role, "system": system.id},
        )
    _check_credentials(system, conn.credentials, role)
    base_url = conn.base_url or system.default_base_url
    if not base_url:
        raise Unprocessable(
            f"{system.name} needs a base_url.", code="base_url_required", details={"role": role}
        )
    await check_outbound_url(base_url, field=f"{role}.base_url" if role else "base_url")
    return Endpoint(system, dict(conn.credentials), base_url.rstrip("/"))


def _check_credentials(system: System, credentials: dict[str, str], role: Role | None) -> None:
    known = {f.name for f in system.credential_fields}
    missing = [
        f.name for f in system.credential_fields if f.required and not credentials.get(f.name)
    ]
    unknown = sorted(set(credentials) - known)
    if missing or unknown:
        problems = []
        if missing:
            problems.append("missing " + ", ".join(missing))
        if unknown:
            problems.append("unknown " + ", ".join(unknown))
        raise Unprocessable(
            f"{system.name} credentials are incomplete: {'; '.join(problems)}.",
            code="invalid_credentials",
            details={"role": role, "missing": missing, "unknown": unknown},
        )


def open_source(endpoint: Endpoint) -> SourceAdapter:
    assert endpoint.system.source_factory is not None
    return endpoint.system.source_factory(endpoint.credentials, endpoint.base_url, None)


def open_target(endpoint: Endpoint) -> TargetAdapter:
    assert endpoint.system.target_factory is not None
    return endpoint.system.target_factory(endpoint.credentials, endpoint.base_url, None)


async def check(endpoint: Endpoint, role: Role) -> ConnectionInfo:
    """Raises ConnectionFailed (auth_failed, unreachable...) when the system cannot be used."""
    adapter = open_source(endpoint) if role == "source" else open_target(endpoint)
    try:
        return await adapter.check()
    finally:
        await adapter.aclose()


async def test_connection(
    conn: SystemConnection,
) -> tuple[ConnectionInfo | None, ConnectionFailed | None]:
    endpoint = await resolve_endpoint(conn)
    role: Role = "source" if "source" in endpoint.system.roles else "target"
    try:
        return await check(endpoint, role), None
    except ConnectionFailed as exc:
        return None, exc
