from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.errors import Conflict, NotFound
from app.models import Account, ApiKey
from app.security import encrypt_json, hash_api_key, new_api_key, new_webhook_secret


async def create_account(db: AsyncSession, name: str) -> tuple[Account, str, str]:
    """Returns the account, its webhook secret and its first API key (shown once)."""
    secret = new_webhook_secret()
    account = Account(name=name, webhook_secret_enc=encrypt_json(secret))
    db.add(account)
    await db.flush()
    key = await create_api_key(db, account)
    await db.commit()
    return account, secret, key


async def create_api_key(db: AsyncSession, account: Account) -> str:
    key = new_api_key()
    db.add(ApiKey(account_id=account.id, key_hash=hash_api_key(key), prefix=key[:8]))
    await db.flush()
    return key


async def rotate_webhook_secret(db: AsyncSession, account: Account) -> str:
    secret = new_webhook_secret()
    account.webhook_secret_enc = encrypt_json(secret)
    await db.commit()
    return secret


async def list_accounts(db: AsyncSession) -> list[tuple[Account, int]]:
    """Every account with its number of working API keys, oldest first."""
    active = func.count(ApiKey.id).filter(ApiKey.revoked_at.is_(None))
    rows = await db.execute(
        select(Account, active)
        .outerjoin(ApiKey, ApiKey.account_id == Account.id)
        .group_by(Account.id)
        .order_by(Account.created_at, Account.id)
    )
    return [(account, count) for account, count in rows.tuples()]


async def list_api_keys(db: AsyncSession, account_id: str) -> list[ApiKey]:
    rows = await db.scalars(
        select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.created_at, ApiKey.id)
    )
    return list(rows)


async def revoke_api_key(db: AsyncSession, key_id: str, account_id: str | None = None) -> ApiKey:
    """Revokes a key at once (the next request with it is a 401). Scoped to `account_id` when
    given (the API); the local CLI passes none. An account keeps at least one working key, or
    nobody could use it any more."""
    query = select(ApiKey).where(ApiKey.id == key_id)
    if account_id is not None:
        query = query.where(ApiKey.account_id == account_id)
    key = await db.scalar(query)
    if key is None:
        raise NotFound(f"No API key {key_id} in this account.", code="api_key_not_found")
    if key.revoked_at is not None:  # revoking twice changes nothing
        return key
    # Locking every working key of the account makes two revocations at once take turns, so
    # that they cannot each leave the other key as the last one and revoke both.
    working = await db.scalars(
        select(ApiKey.id)
        .where(ApiKey.account_id == key.account_id, ApiKey.revoked_at.is_(None))
        .with_for_update()
    )
    if set(working) <= {key.id}:
        raise Conflict(
            "This is the account's last working API key: issue another one first "
            "(POST /v1/account/api-keys), then revoke this one.",
            code="last_api_key",
        )
    key.revoked_at = utcnow()
    await db.commit()
    return key
