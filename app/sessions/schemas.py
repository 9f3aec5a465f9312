from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from adapters.core.canonical import Entity
from app.connections.schemas import SystemConnection


class SessionStatus(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    completed_with_errors = "completed_with_errors"
    failed = "failed"
    cancelled = "cancelled"


TERMINAL_STATUSES = frozenset(
    {
        SessionStatus.completed,
        SessionStatus.completed_with_errors,
        SessionStatus.failed,
        SessionStatus.cancelled,
    }
)


class SessionOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    custom_fields: bool = Field(
        default=True, description="Carry custom fields, creating missing ones in the target"
    )


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: SystemConnection
    target: SystemConnection
    entities: list[Entity] | None = Field(
        default=None,
        description="Entities to migrate; all the source offers when omitted. "
        "Users are always read, to map owners.",
    )
    options: SessionOptions = Field(default_factory=SessionOptions)
    webhook_url: str | None = Field(
        default=None, description="Called with a signed POST at the end"
    )


class SystemRef(BaseModel):
    system: str
    base_url: str


class EntityProgress(BaseModel):
    total: int | None
    extracted: int
    loaded: int
    skipped: int
    failed: int


class SessionErrorSummary(BaseModel):
    code: str
    message: str


class SessionOut(BaseModel):
    id: str
    status: SessionStatus
    phase: str | None
    source: SystemRef
    target: SystemRef
    entities: list[str]
    options: SessionOptions
    webhook_url: str | None
    webhook_status: str | None
    progress: dict[str, EntityProgress]
    error: SessionErrorSummary | None
    warnings: list[str] = Field(
        default_factory=list,
        description="What the run could not carry as asked, e.g. a source custom field of a "
        "type the target has no equivalent for",
    )
    cancel_requested: bool
    paused_until: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class SessionPage(BaseModel):
    data: list[SessionOut]
    next_cursor: str | None


class RecordErrorOut(BaseModel):
    id: int
    entity: str
    source_id: str | None
    stage: str
    code: str
    message: str
    created_at: datetime


class RecordErrorPage(BaseModel):
    data: list[RecordErrorOut]
    next_cursor: str | None
