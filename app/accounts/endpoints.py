from __future__ import annotations

from fastapi import APIRouter

from app.accounts import service
from app.accounts.schemas import AccountOut, ApiKeyInfo, ApiKeyList, ApiKeyOut, WebhookSecretOut
from app.deps import CurrentAccount, DbSession
from app.errors import error_responses
from app.models import ApiKey

router = APIRouter(prefix="/v1/account", tags=["account"])


@router.get(
    "",
    response_model=AccountOut,
    responses=error_responses(401),
    summary="The account of the API key",
)
async def get_account(account: CurrentAccount) -> AccountOut:
    return AccountOut(id=account.id, name=account.name, created_at=account.created_at)


@router.post(
    "/webhook-secret/rotate",
    response_model=WebhookSecretOut,
    responses=error_responses(401),
    summary="Replace the secret that signs webhooks; the old one stops working at once",
)
async def rotate_webhook_secret(account: CurrentAccount, db: DbSession) -> WebhookSecretOut:
    return WebhookSecretOut(webhook_secret=await service.rotate_webhook_secret(db, account))


@router.post(
    "/api-keys",
    response_model=ApiKeyOut,
    status_code=201,
    responses=error_responses(401),
    summary="Issue another API key",
)
async def create_api_key(account: CurrentAccount, db: DbSession) -> ApiKeyOut:
    key = await service.create_api_key(db, account)
    await db.commit()
    return ApiKeyOut(api_key=key)


@router.get(
    "/api-keys",
    response_model=ApiKeyList,
    responses=error_responses(401),
    summary="The account's API keys (never the keys themselves), revoked ones included",
)
async def list_api_keys(account: CurrentAccount, db: DbSession) -> ApiKeyList:
    keys = await service.list_api_keys(db, account.id)
    return ApiKeyList(data=[api_key_info(key) for key in keys])


@router.delete(
    "/api-keys/{key_id}",
    response_model=ApiKeyInfo,
    responses=error_responses(401, 404, 409, 422),
    summary="Revoke an API key: requests with it are refused (401) at once; "
    "the account's last working key cannot be revoked (409 last_api_key)",
)
async def revoke_api_key(key_id: str, account: CurrentAccount, db: DbSession) -> ApiKeyInfo:
    return api_key_info(await service.revoke_api_key(db, key_id, account_id=account.id))


def api_key_info(key: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=key.id, prefix=key.prefix, created_at=key.created_at, revoked_at=key.revoked_at
    )
