"""Sandbox accounts: emulated vendor accounts served by this service under /sandbox/."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.core.registry import Emulator, get_system
from app.config import get_settings
from app.db import sessionmaker
from app.errors import NotFound, Unprocessable
from app.models import Account, SandboxAccount, new_id
from app.sandbox.faults import PROFILES
from app.sandbox.schemas import SandboxAccountCreate, SandboxAccountOut, SandboxFaults
from app.security import decrypt_json, encrypt_json

log = logging.getLogger("ferry.sandbox")


class _KeyedLocks:
    """One asyncio lock per key, forgotten once nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]


# Concurrent first requests for an account this process has not seen provision it once.
_provisioning = _KeyedLocks()


def base_url(row: SandboxAccount) -> str:
    return f"{get_settings().public_url.rstrip('/')}/sandbox/{row.system}/{row.id}"


def _new_row(
    account: Account, body: SandboxAccountCreate, limits: dict[str, int]
) -> SandboxAccount:
    return SandboxAccount(
        id=new_id(),
        account_id=account.id,
        system=body.system,
        dataset=body.dataset,
        size=body.size,
        limits=limits,
        faults=body.faults.model_dump(mode="json"),
    )


def _emulator(system_id: str) -> Emulator:
    system = get_system(system_id)
    if system is None or system.emulator is None:
        raise Unprocessable(
            f"There is no sandbox for '{system_id}'.",
            code="unknown_system",
            details={"system": system_id},
        )
    return system.emulator


def stored_faults(row: SandboxAccount) -> SandboxFaults:
    """The row's fault profile; one stored under older rules that no longer validates is
    ignored rather than making the account unusable."""
    try:
        return SandboxFaults.model_validate(row.faults or {})
    except ValidationError:
        log.warning("sandbox account %s: stored fault profile is invalid, ignored", row.id)
        return SandboxFaults()


async def _provision(emulator: Emulator, row: SandboxAccount, credentials: dict[str, str]) -> None:
    """Seed the emulator in a thread: a large reference company takes seconds of CPU, which on
    the event loop would freeze the whole API. The faults are set first, so that no request
    reaches the new account before they apply."""
    PROFILES.configure(row.id, stored_faults(row))
    await asyncio.to_thread(
        emulator.provision,
        row.id,
        credentials,
        dataset=row.dataset,
        size=row.size,
        limits=row.limits,
    )


async def create_account(
    db: AsyncSession, account: Account, body: SandboxAccountCreate
) -> SandboxAccountOut:
    emulator = _emulator(body.system)
    row = _new_row(account, body, body.limits.model_dump(exclude_none=True))
    credentials = emulator.new_credentials(base_url(row))
    row.credentials_enc = encrypt_json(credentials)
    # Seeded before the row is written, so no write transaction stays open while it runs.
    await _provision(emulator, row, credentials)
    db.add(row)
    await db.commit()
    return to_out(row, credentials)


async def set_faults(
    db: AsyncSession, account: Account, sandbox_id: str, faults: SandboxFaults
) -> SandboxAccount:
    """Store the account's new profile and apply it in this process at once (other API
    processes pick it up when they next provision the account: see app.sandbox.faults)."""
    row = await get_account(db, account, sandbox_id)
    row.faults = faults.model_dump(mode="json")
    await db.commit()
    PROFILES.configure(row.id, faults)
    return row


def to_out(row: SandboxAccount, credentials: dict[str, str] | None = None) -> SandboxAccountOut:
    return SandboxAccountOut(
        id=row.id,
        system=row.system,
        dataset=row.dataset,
        size=row.size,
        base_url=base_url(row),
        credentials=credentials,
        faults=stored_faults(row),
        created_at=row.created_at,
    )


async def list_accounts(db: AsyncSession, account: Account) -> list[SandboxAccount]:
    rows = await db.execute(
        select(SandboxAccount)
        .where(SandboxAccount.account_id == account.id)
        .order_by(SandboxAccount.created_at.desc())
    )
    return list(rows.scalars())


async def get_account(db: AsyncSession, account: Account, sandbox_id: str) -> SandboxAccount:
    row = await db.get(SandboxAccount, sandbox_id)
    if row is None or row.account_id != account.id:
        raise NotFound(f"No sandbox account {sandbox_id}.", code="sandbox_account_not_found")
    return row


async def ensure_provisioned(system_id: str, sandbox_id: str) -> bool:
    """Emulator state lives in memory: after a restart, rebuild it from the stored settings
    (the seeded dataset is deterministic) with its stored fault profile. Returns False when
    there is no such account."""
    emulator = _emulator(system_id)
    if emulator.has_account(sandbox_id):
        return True
    async with _provisioning.hold(sandbox_id):
        if emulator.has_account(sandbox_id):  # provisioned while this request waited
            return True
        async with sessionmaker()() as db:
            row = await db.get(SandboxAccount, sandbox_id)
        if row is None or row.system != system_id:
            return False
        await _provision(emulator, row, decrypt_json(row.credentials_enc))
        return True
