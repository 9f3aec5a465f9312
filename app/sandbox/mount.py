"""Serves each system's emulator under /sandbox/{system}/{sandbox account id}/..."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from adapters.core.registry import all_systems, get_system
from app.errors import error_response
from app.sandbox.faults import FaultInjection, quiet_deliberate_drops
from app.sandbox.service import ensure_provisioned


class SandboxDispatcher:
    """ASGI app mounted at /sandbox: picks the system's emulator, rebuilding an account's
    in-memory state from the database when this process has not seen it yet, and serves it
    through the account's fault profile (Ferry's own answers here, the 404s, never misbehave)."""

    def __init__(self) -> None:
        quiet_deliberate_drops()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"][len(scope.get("root_path", "")) :] if scope["type"] == "http" else ""
        system_id, _, rest = path.lstrip("/").partition("/")
        sandbox_id = rest.partition("/")[0]
        system = get_system(system_id)
        if system is None or system.emulator is None or not sandbox_id:
            await error_response(404, "not_found", "No such sandbox path.")(scope, receive, send)
            return
        if not await ensure_provisioned(system_id, sandbox_id):
            await error_response(404, "sandbox_account_not_found", "No such sandbox account.")(
                scope, receive, send
            )
            return
        prefix = f"/{system_id}"
        child = dict(scope)
        child["root_path"] = scope.get("root_path", "") + prefix
        child["path"] = scope["path"]  # Starlette routes on path minus root_path
        await FaultInjection(system.emulator.app)(child, receive, send)


def sandbox_systems() -> list[str]:
    return [s.id for s in all_systems() if s.emulator is not None]
