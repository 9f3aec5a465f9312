"""Sandbox accounts: emulated vendor accounts served by this service under /sandbox/."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.core.registry import Emulator, get_system
from app.config import get_settings
from app.db import sessionmaker
from app.errors import NotFound, Unprocessable
from app.models import Account, SandboxAccount, new_id
from app.sandbox.schemas import SandboxAccountCreate, SandboxAccountOut
from app.security import decrypt_json, encrypt_json


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


async def create_account(
    db: AsyncSession, account: Account, body: SandboxAccountCreate
) -> SandboxAccountOut:
    emulator = _emulator(body.system)
    row = _new_row(account, body, body.limits.model_dump(exclude_none=True))
    credentials = emulator.new_credentials(base_url(row))
    row.credentials_enc = encrypt_json(credentials)
    limits = row.limits
    db.add(row)
    await db.flush()
    emulator.provision(row.id, credentials, dataset=body.dataset, size=body.size, limits=limits)
    await db.commit()
    return to_out(row, credentials)


def to_out(row: SandboxAccount, credentials: dict[str, str] | None = None) -> SandboxAccountOut:
    return SandboxAccountOut(
        id=row.id,
        system=row.system,
        dataset=row.dataset,
        size=row.size,
        base_url=base_url(row),
        credentials=credentials,
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
    (the seeded dataset is deterministic). Returns False when there is no such account."""
    emulator = _emulator(system_id)
    if emulator.has_account(sandbox_id):
        return True
    async with sessionmaker()() as db:
        row = await db.get(SandboxAccount, sandbox_id)
    if row is None or row.system != system_id:
        return False
    emulator.provision(
        row.id,
        decrypt_json(row.credentials_enc),
        dataset=row.dataset,
        size=row.size,
        limits=row.limits,
    )
    return True
