"""Turning a {system, credentials, base_url} into a checked, connected adapter."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import httpx

from adapters.core.errors import AdapterError, ConnectionFailed
from adapters.core.protocols import ConnectionInfo, SourceAdapter, TargetAdapter
from adapters.core.registry import System, get_system
from app.connections.schemas import SystemConnection
from app.errors import Unprocessable
from app.models import MigrationSession
from app.outbound import outbound_transport
from app.security import decrypt_json
from app.urls import check_outbound_url

Role = Literal["source", "target"]

log = logging.getLogger("ferry.connections")

# What reading an answer of an unexpected shape raises in adapter code (a truncated or non-JSON
# body, a missing key, a list where an object was documented).
UNREADABLE_ANSWER = (ValueError, LookupError, TypeError, AttributeError)
SHORTEST_SCRUBBED_SECRET = 4  # shorter values would mangle the message and hide nothing


@dataclass
class Endpoint:
    system: System
    credentials: dict[str, str]
    base_url: str


async def resolve_endpoint(
    conn: SystemConnection,
    role: Role | None = None,
    *,
    account_id: str | None = None,
    columns: dict[str, dict[str, str | None]] | None = None,
) -> Endpoint:
    """`columns` (options.mapping.columns) and `account_id` go with a connection that names an
    upload (the file source: app/uploads)."""
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
    if conn.upload_id is not None or columns or system.extra.get("file_source"):
        return await _upload_endpoint(system, conn, role, account_id, columns)
    _check_credentials(system, conn.credentials, role)
    base_url = conn.base_url or system.default_base_url
    if not base_url:
        raise Unprocessable(
            f"{system.name} needs a base_url.", code="base_url_required", details={"role": role}
        )
    await check_outbound_url(base_url, field=f"{role}.base_url" if role else "base_url")
    return Endpoint(system, dict(conn.credentials), base_url.rstrip("/"))


async def _upload_endpoint(
    system: System,
    conn: SystemConnection,
    role: Role | None,
    account_id: str | None,
    columns: dict[str, dict[str, str | None]] | None,
) -> Endpoint:
    from app.uploads.source import upload_system

    if conn.upload_id is None and system.extra.get("file_source"):
        raise Unprocessable(
            f"{system.name} is read from an upload: give its `upload_id` (POST /v1/uploads).",
            code="upload_required",
            details={"role": role, "system": system.id},
        )
    if conn.upload_id is None:
        raise Unprocessable(
            "options.mapping.columns maps the columns of an upload: the source names none.",
            code="invalid_mapping",
            details={"location": "options.mapping.columns"},
        )
    if role == "target":
        raise Unprocessable(
            "An upload is a source, never a target.",
            code="role_not_supported",
            details={"role": role, "system": system.id},
        )
    if conn.credentials or conn.base_url:
        raise Unprocessable(
            "A connection names an upload or gives credentials (and a base_url), not both.",
            code="upload_with_credentials",
            details={"role": role},
        )
    assert account_id is not None
    found, base_url = await upload_system(system, conn.upload_id, account_id, columns)
    return Endpoint(found, {}, base_url)


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


def stored_endpoint(session: MigrationSession, role: Role) -> Endpoint:
    """The endpoint a session was created with (credentials decrypted)."""
    system = get_system(getattr(session, f"{role}_system"))
    assert system is not None
    credentials = decrypt_json(getattr(session, f"{role}_credentials_enc"))
    base_url = getattr(session, f"{role}_base_url")
    if role == "source" and base_url.startswith("upload:"):  # a file source (app/uploads)
        from app.uploads.source import stored_system

        system = stored_system(system, base_url, session.options)
    return Endpoint(system, credentials, base_url)


def open_source(endpoint: Endpoint) -> SourceAdapter:
    """Every call of the adapter goes through the guarded transport (app/outbound.py)."""
    assert endpoint.system.source_factory is not None
    factory = endpoint.system.source_factory
    return factory(endpoint.credentials, endpoint.base_url, outbound_transport())


def open_target(endpoint: Endpoint) -> TargetAdapter:
    assert endpoint.system.target_factory is not None
    factory = endpoint.system.target_factory
    return factory(endpoint.credentials, endpoint.base_url, outbound_transport())


async def check(endpoint: Endpoint, role: Role) -> ConnectionInfo:
    """Raises ConnectionFailed when the system cannot be used: whatever went wrong with the
    vendor (auth_failed, unreachable, unexpected_response, transient_error, invalid_response...)
    is a clean answer for the caller, never a 500."""
    adapter = open_source(endpoint) if role == "source" else open_target(endpoint)
    try:
        return await adapter.check()
    except ConnectionFailed as exc:  # auth_failed, unreachable, url_not_allowed: kept as they are
        raise _as_connection_failed(endpoint, exc.message, exc.code, type(exc)) from None
    except AdapterError as exc:  # unexpected_response, transient_error, pagination_loop...
        raise _as_connection_failed(endpoint, exc.message, exc.code) from None
    except httpx.HTTPError as exc:  # e.g. a body that fails to decode, outside the retries
        code = "invalid_response" if isinstance(exc, httpx.DecodingError) else "connection_failed"
        reason = f"the call failed ({type(exc).__name__})"
        raise _as_connection_failed(endpoint, reason, code) from None
    except UNREADABLE_ANSWER as exc:
        log.warning("%s: connection check could not read the answer", endpoint.system.id)
        reason = f"answered in a shape that could not be read ({type(exc).__name__})"
        raise _as_connection_failed(endpoint, reason, "invalid_response") from None
    finally:
        await adapter.aclose()


def _as_connection_failed(
    endpoint: Endpoint,
    message: str,
    code: str,
    kind: type[ConnectionFailed] = ConnectionFailed,
) -> ConnectionFailed:
    """A ConnectionFailed whose message names the system and none of its secrets (the HTTP
    client scrubs its own messages already; this also covers adapter-raised ones)."""
    name = endpoint.system.name
    if not message.startswith(name):
        message = f"{name}: {message}"
    for credential in endpoint.system.credential_fields:
        value = endpoint.credentials.get(credential.name, "")
        if credential.secret and len(value) >= SHORTEST_SCRUBBED_SECRET:
            message = message.replace(value, "***")
    return kind(message, code=code)


async def test_connection(
    conn: SystemConnection, account_id: str | None = None
) -> tuple[ConnectionInfo | None, ConnectionFailed | None]:
    endpoint = await resolve_endpoint(conn, account_id=account_id)
    role: Role = "source" if "source" in endpoint.system.roles else "target"
    try:
        return await check(endpoint, role), None
    except ConnectionFailed as exc:
        return None, exc
