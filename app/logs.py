"""Logging that never writes a secret: query strings are cut from access logs, session events
are one logfmt line of known fields (never credentials), and the in-process sandbox's own
traffic stays out of the access log unless FERRY_SANDBOX_ACCESS_LOG asks for it."""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

from app.config import get_settings

_QUERY = re.compile(r"\?[^ \"]*")
# An emulated vendor's path (/sandbox/<system>/<id>/...); /sandbox/accounts is Ferry's own API.
_EMULATOR_PATH = re.compile(r"^/sandbox/(?!accounts(?:/|$|\?))[^/]+/")
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+-]+$")  # logfmt values that need no quotes

events = logging.getLogger("ferry.events")


class DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub("?…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


class DropSandboxTraffic(logging.Filter):
    """uvicorn's access lines for requests to the emulators: a migration from the sandbox
    makes thousands, and they drown the lines about the service itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn.access: (client address, method, path with query, HTTP version, status)
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            return not _EMULATOR_PATH.match(args[2])
        return True


def configure_logging(level: str = "INFO", *, sandbox_access_log: bool | None = None) -> None:
    """`sandbox_access_log` None: as FERRY_SANDBOX_ACCESS_LOG says (off by default)."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("uvicorn.access", "httpx"):
        logging.getLogger(name).addFilter(DropQueryStrings())
    if sandbox_access_log is None:
        sandbox_access_log = get_settings().sandbox_access_log
    if not sandbox_access_log:
        logging.getLogger("uvicorn.access").addFilter(DropSandboxTraffic())
    # httpx logs every request URL at INFO; URLs may carry tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)


class SessionLike(Protocol):
    id: str
    account_id: str
    source_system: str
    target_system: str
    mode: str


def session_event(event: str, session: SessionLike, **fields: Any) -> None:
    """One line per event of a session's life, e.g.
    `event=session.finished session=… account=… source=hubspot target=pipedrive mode=full
    status=completed`. Callers pass plain facts (statuses, codes, times), never credentials;
    None values are left out."""
    pairs = {
        "event": f"session.{event}",
        "session": session.id,
        "account": session.account_id,
        "source": session.source_system,
        "target": session.target_system,
        "mode": session.mode,
        **fields,
    }
    line = " ".join(f"{key}={_value(value)}" for key, value in pairs.items() if value is not None)
    level = logging.WARNING if event == "failed" else logging.INFO
    events.log(level, "%s", line)


def _value(value: Any) -> str:
    text = value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else str(value)
    if _BARE.match(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
