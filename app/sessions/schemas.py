from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.core.canonical import Entity
from app.connections.schemas import SystemConnection
from app.sessions.preview_schemas import PreviewReport


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


class SessionMode(StrEnum):
    full = "full"  # everything, idempotent: what the ledger already links is not created again
    sample = "sample"  # a small slice whose links hold; a later full session continues it
    delta = "delta"  # what changed since the pair's last full or delta session
    undo = "undo"  # deletes what another session created
    preview = "preview"  # reads and reports, writes nothing


WRITING_MODES = (SessionMode.full, SessionMode.sample, SessionMode.delta)


class SampleOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_entity: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Records of each entity to pick; their parents (a deal's person and "
        "organization, a note's deal...) come with them",
    )


class MergeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fill_empty: bool = Field(
        default=False,
        description="Fill the fields that are empty on a matched Pipedrive record "
        "(one PATCH per such record); nothing that holds a value is overwritten",
    )


FieldEntity = Literal["organizations", "persons", "products", "deals"]  # custom field holders
MAPPING_EXAMPLE: dict[str, Any] = {
    "fields": {
        "persons": {"Lead score": "Rating", "Bio": None},
        "deals": {"Lead source": "Channel"},
    },
    "stages": {"Demo scheduled": "Sales / Discovery"},
    "owners": {"max.mustermann@example.de": "emma.johnson@example.com"},
    "default_owner": "hanako.sato@example.org",
}


class MappingOptions(BaseModel):
    """Overrides of how source fields, stages and owners land in Pipedrive. Every name is
    checked when the session is created: a wrong one is a 422 `invalid_mapping` naming it and
    listing the choices."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": MAPPING_EXAMPLE})

    fields: dict[FieldEntity, dict[str, str | None]] = Field(
        default_factory=dict,
        description="Per entity, a source custom field (key or label) -> an existing "
        "Pipedrive custom field of that entity (key or name, case-insensitive) of a type "
        "that holds its values, or null: the field is not carried (nor created)",
    )
    stages: dict[str, str | int] = Field(
        default_factory=dict,
        description="A source stage (id, name, or `Pipeline / Stage` when names repeat) -> an "
        "existing Pipedrive stage (the same forms): it is not created, its deals go there",
    )
    owners: dict[str, str] = Field(
        default_factory=dict,
        description="A source user's e-mail -> an active Pipedrive user's e-mail: that user "
        "owns their records (instead of matching by the same e-mail)",
    )
    default_owner: str | None = Field(
        default=None,
        description="The active Pipedrive user (e-mail) who owns records whose owner has no "
        "match; the API token's user when omitted",
    )
    columns: dict[str, dict[str, str | None]] = Field(
        default_factory=dict,
        exclude_if=lambda columns: not columns,  # shown only when given
        description="For a source that is an upload (a CSV export): per entity, a column "
        "-> the field it fills (name, email, organization, title, value, stage...; the 422 "
        "lists them) or null: not carried. Columns neither named here nor known by their "
        "names become custom fields of their entity, keyed by the column name",
    )


class SessionOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    custom_fields: bool = Field(
        default=True, description="Carry custom fields, creating missing ones in the target"
    )
    mapping: MappingOptions | None = Field(
        default=None, description="Overrides of field, stage and owner mapping"
    )
    max_file_bytes: int | None = Field(
        default=None,
        ge=1,
        description="Attached files larger than this many bytes are not carried, each reported "
        "with code file_too_large; FERRY_MAX_FILE_BYTES (50,000,000) when omitted",
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
    mode: Literal["full", "sample", "delta"] = Field(
        default="full",
        description="full: everything, never creating twice what an earlier session of the "
        "same source account and Pipedrive company created; sample: a small linked slice; "
        "delta: only what changed since the last full or delta session of the pair",
    )
    sample: SampleOptions | None = Field(
        default=None, description="With mode sample (default: 20 per entity)"
    )
    merge: MergeOptions | bool = Field(
        default=True,
        description="Link records Pipedrive already holds instead of creating them: persons "
        "by any e-mail, organizations by name, products by code or name (deals, activities "
        "and notes are never merged). false turns it off",
    )
    options: SessionOptions = Field(default_factory=SessionOptions)
    webhook_url: str | None = Field(
        default=None, description="Called with a signed POST at the end"
    )


class UndoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: bool = Field(
        default=False,
        description="Delete records edited in Pipedrive since Ferry wrote them too "
        "(by default they are kept and listed in the undo's errors)",
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
    created: int = Field(description="Records this session created in the target")
    updated: int = Field(description="Linked records whose source changed, written again")
    matched: int = Field(description="Linked to a record the target already held")
    unchanged: int = Field(description="Linked by an earlier session and unchanged since")
    deleted: int = Field(description="Deleted by an undo")
    gone: int | None = Field(
        description="Linked records no longer in the source (never deleted in the target); "
        "null when the source was read by changed-since and cannot tell"
    )
    percent: float | None = Field(
        default=None,
        description="0-100, one decimal: how far the entity is (read, then written); null "
        "while its total is unknown",
    )


class FieldMapEntry(BaseModel):
    """Where one source custom field went in Pipedrive."""

    entity: str
    source_key: str
    source_name: str
    target_key: str = Field(description="The Pipedrive field key")
    origin: Literal["created", "matched", "mapped"] = Field(
        description="created by this session, matched by name and type, or named by options.mapping"
    )


class SessionErrorSummary(BaseModel):
    code: str
    message: str


class SessionOut(BaseModel):
    id: str
    status: SessionStatus
    mode: SessionMode
    undoes: str | None = Field(default=None, description="The session an undo undoes")
    resumes: str | None = Field(default=None, description="The session a resume continues")
    sample: SampleOptions | None = None
    merge: MergeOptions | None = Field(description="null when merging is off")
    phase: str | None
    source: SystemRef
    target: SystemRef
    entities: list[str]
    options: SessionOptions
    webhook_url: str | None
    webhook_status: str | None
    progress: dict[str, EntityProgress]
    percent: float | None = Field(
        default=None,
        description="0-100, one decimal, of the records the session has to handle; null while "
        "a total is unknown",
    )
    eta: datetime | None = Field(
        default=None,
        description="When the session is expected to end, from its rate so far; null while "
        "unknown and once it has ended",
    )
    field_map: list[FieldMapEntry] | None = Field(
        default=None,
        description="The custom fields the run carried: source field -> Pipedrive field key; "
        "null until the run has resolved them",
    )
    error: SessionErrorSummary | None
    warnings: list[str] = Field(
        default_factory=list,
        description="What the run could not carry as asked, e.g. a source custom field of a "
        "type the target has no equivalent for",
    )
    report: PreviewReport | None = Field(
        default=None, description="A completed preview's findings (mode preview only)"
    )
    tokens_spent: int = Field(
        description="Pipedrive API tokens the session's calls cost (each call's x-token-cost)"
    )
    rate_limited: int = Field(
        default=0,
        description="429 answers the session's calls met (source and target): the shared "
        "limiter paces every session of a token so that this stays at or near 0",
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


class WebhookDeliveryOut(BaseModel):
    attempt: int
    attempted_at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status; null: no answer")
    error: str | None = Field(description="Why there was no answer (timeout, refused...)")
    duration_ms: int
    delivered: bool


class WebhookDeliveryList(BaseModel):
    data: list[WebhookDeliveryOut]


class ProgressEvent(BaseModel):
    """The `data` of a `progress` event on /v1/sessions/{id}/events."""

    id: str
    status: SessionStatus
    phase: str | None
    percent: float | None
    eta: datetime | None
    paused_until: datetime | None
    progress: dict[str, EntityProgress]
