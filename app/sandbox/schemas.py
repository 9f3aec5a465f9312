from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SandboxLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    burst: int | None = Field(
        default=None,
        ge=1,
        description="Requests per rate-limit window (Pipedrive: 2 seconds; others: the vendor's window)",
    )
    daily_tokens: int | None = Field(default=None, ge=1, description="Daily token budget")


class SandboxAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str = Field(examples=["pipedrive"])
    dataset: Literal["reference", "empty"] = "reference"
    size: int = Field(default=300, ge=1, le=100_000, description="Persons in the reference company")
    limits: SandboxLimits = Field(default_factory=SandboxLimits)


class SandboxAccountOut(BaseModel):
    id: str
    system: str
    dataset: str
    size: int
    base_url: str
    credentials: dict[str, str] | None = Field(
        default=None, description="Shown once, when the sandbox account is created"
    )
    created_at: datetime
