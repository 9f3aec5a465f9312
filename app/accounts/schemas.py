from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AccountOut(BaseModel):
    id: str
    name: str
    created_at: datetime


class WebhookSecretOut(BaseModel):
    webhook_secret: str


class ApiKeyOut(BaseModel):
    api_key: str
