"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import get_db
from app.errors import Unauthorized
from app.models import Account, ApiKey
from app.security import hash_api_key
from app.ui.auth import signed_in_api_key
from workers.queue import JobQueue

DbSession = Annotated[AsyncSession, Depends(get_db)]


# Declares the bearer scheme in the OpenAPI document (Swagger's Authorize button and the lock
# on each route); our own 401s, not FastAPI's 403, answer a missing or wrong key.
bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name="apiKey", description="An API key: `fry_...`"
)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def current_account(request: Request, db: DbSession, bearer: BearerCredentials) -> Account:
    key = bearer.credentials.strip() if bearer else ""
    if not key and request.method in ("GET", "HEAD"):
        # The status page's EventSource and CSV link cannot send headers: a read may carry the
        # browser's sign-in cookie instead (SameSite=Strict: no other site's page sends it).
        key = signed_in_api_key(request) or ""
    if not key:
        raise Unauthorized(
            "Send your API key as 'Authorization: Bearer <key>'. "
            "Create one with 'ferry accounts create NAME'.",
            code="missing_api_key",
        )
    account = await account_for_key(db, key)
    if account is None:
        raise Unauthorized("The API key is not valid.", code="invalid_api_key")
    return account


async def account_for_key(db: AsyncSession, key: str) -> Account | None:
    """The account of a working (unrevoked) API key."""
    row = await db.execute(
        select(Account)
        .join(ApiKey, ApiKey.account_id == Account.id)
        .where(ApiKey.key_hash == hash_api_key(key), ApiKey.revoked_at.is_(None))
    )
    return row.scalar_one_or_none()


CurrentAccount = Annotated[Account, Depends(current_account)]


def get_queue(request: Request) -> JobQueue:
    return request.app.state.queue  # type: ignore[no-any-return]


QueueDep = Annotated[JobQueue, Depends(get_queue)]
