from __future__ import annotations

from fastapi import APIRouter

from app.accounts import service
from app.accounts.schemas import AccountOut, ApiKeyOut, WebhookSecretOut
from app.deps import CurrentAccount, DbSession
from app.errors import error_responses

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
