from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AccountOut(BaseModel):
    id: str
    name: str
    created_at: datetime


class WebhookSecretOut(BaseModel):
    webhook_secret: str


class ApiKeyOut(BaseModel):
    api_key: str


class ApiKeyInfo(BaseModel):
    """An API key as listed: never the key itself, which is shown only when it is issued."""

    id: str
    prefix: str = Field(description="The key's first characters, to tell keys apart")
    created_at: datetime
    revoked_at: datetime | None = Field(description="null while the key works")


class ApiKeyList(BaseModel):
    data: list[ApiKeyInfo]
