from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SystemConnection(BaseModel):
    system: str = Field(description="A system id from GET /v1/systems", examples=["pipedrive"])
    credentials: dict[str, str] = Field(
        default_factory=dict, description="The credential fields the system takes"
    )
    base_url: str | None = Field(
        default=None, description="The system's API root; the system's default when omitted"
    )
    upload_id: str | None = Field(
        default=None,
        description="Instead of credentials, an upload of the system's CSV export "
        "(POST /v1/uploads); system `csv` takes any system's",
    )


class ConnectionError_(BaseModel):
    code: str
    message: str


class ConnectionTestOut(BaseModel):
    ok: bool
    account: dict[str, Any] | None = None
    counts: dict[str, int] | None = None
    error: ConnectionError_ | None = None
