from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

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
