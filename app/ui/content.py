"""What the page reads or starts beyond the sessions service: the sandbox form and its migration,
the error codes a session's filter offers, its webhook deliveries as rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.core.registry import all_systems
from app.config import get_settings
from app.connections.schemas import SystemConnection
from app.errors import Unprocessable
from app.models import Account, MigrationSession, RecordError
from app.sandbox import service as sandbox
from app.sandbox.schemas import SandboxAccountCreate, SandboxAccountOut
from app.sessions import service as sessions
from app.sessions.schemas import SessionCreate
from app.ui.views import moment_text
from workers.queue import JobQueue

SANDBOX_DEFAULT_SIZE = 30
SANDBOX_MAX_SIZE = 1000  # a try, not a benchmark: seeded in seconds
SANDBOX_DEFAULT_SOURCE = "hubspot"


def sandbox_sources() -> list[dict[str, str]]:
    """Systems a sandbox can emulate as a migration's source, by name."""
    systems = [s for s in all_systems() if s.emulator is not None and "source" in s.roles]
    return [{"id": s.id, "name": s.name} for s in sorted(systems, key=lambda s: s.name.lower())]


def sandbox_form() -> dict[str, Any] | None:
    """The "Try a sandbox migration" form, when this service runs the sandbox."""
    if not get_settings().sandbox_enabled:
        return None
    systems = sandbox_sources()
    ids = {s["id"] for s in systems}
    default = SANDBOX_DEFAULT_SOURCE if SANDBOX_DEFAULT_SOURCE in ids else systems[0]["id"]
    return {
        "systems": systems,
        "default": default,
        "size": SANDBOX_DEFAULT_SIZE,
        "max_size": SANDBOX_MAX_SIZE,
    }


async def start_sandbox_migration(
    db: AsyncSession, account: Account, system: str, size: str, queue: JobQueue
) -> MigrationSession:
    """A seeded sandbox of `system`, an empty sandbox Pipedrive, and a session between them."""
    if not get_settings().sandbox_enabled:
        raise Unprocessable("This service runs no sandbox.", code="sandbox_disabled")
    if system not in {s["id"] for s in sandbox_sources()}:
        raise Unprocessable(f"There is no sandbox source '{system}'.", code="unknown_system")
    persons = _sandbox_size(size)
    source = await sandbox.create_account(
        db, account, SandboxAccountCreate(system=system, dataset="reference", size=persons)
    )
    target = await sandbox.create_account(
        db, account, SandboxAccountCreate(system="pipedrive", dataset="empty")
    )
    body = SessionCreate(source=_connection(source), target=_connection(target))
    return await sessions.create_session(db, account, body, queue)


def _sandbox_size(size: str) -> int:
    if not size.strip().isdigit() or not 1 <= int(size) <= SANDBOX_MAX_SIZE:
        raise Unprocessable(
            f"The number of persons is a whole number from 1 to {SANDBOX_MAX_SIZE}.",
            code="invalid_sandbox_size",
        )
    return int(size)


def _connection(account: SandboxAccountOut) -> SystemConnection:
    return SystemConnection(
        system=account.system, credentials=account.credentials or {}, base_url=account.base_url
    )


async def error_codes(db: AsyncSession, session_id: str) -> list[str]:
    """The codes among a session's record errors (the caller has checked the session is the
    viewer's)."""
    rows = await db.scalars(
        select(RecordError.code)
        .where(RecordError.session_id == session_id)
        .distinct()
        .order_by(RecordError.code)
    )
    return list(rows)


async def deliveries(db: AsyncSession, account: Account, session_id: str) -> list[dict[str, Any]]:
    """A session's webhook deliveries, oldest first, as the page's table rows."""
    rows = await sessions.list_webhook_deliveries(db, account, session_id)
    return [
        {
            "attempt": d.attempt,
            "when": moment_text(d.attempted_at),
            "answer": (f"HTTP {d.status_code}" if d.status_code else d.error or "no answer")
            + f" in {d.duration_ms} ms",
            "outcome": "delivered" if d.delivered else "failed",
        }
        for d in rows
    ]
