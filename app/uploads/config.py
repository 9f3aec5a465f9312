"""The upload's own setting (FERRY_MAX_UPLOAD_BYTES)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class UploadSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FERRY_", extra="ignore")

    # What one POST /v1/uploads may send, and what a zip in it may unpack to.
    max_upload_bytes: int = Field(default=200_000_000, ge=1)


@lru_cache
def upload_settings() -> UploadSettings:
    return UploadSettings()
