from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Readiness(BaseModel):
    status: Literal["ready"]
    checks: dict[str, str] = Field(
        description="Each dependency and how it answered: `database`, `queue`",
        examples=[{"database": "ok", "queue": "ok"}],
    )
