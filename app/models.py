"""Tables. Every row hangs off an account; queries are always scoped by account."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.db import Base, JSONType, utcnow

OPEN_WRITING = "status IN ('queued', 'running') AND mode <> 'preview'"


def new_id() -> str:
    return str(uuid.uuid4())


class TargetIdType(TypeDecorator[int | str]):
    """A target record's id: Pipedrive's are integers except leads' (UUIDs). Stored as text,
    read back as an int when it is one, so ids compare with those the target's answers give."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: int | str | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> int | str | None:
        if value is None:
            return None
        return int(value) if value.isdigit() else value


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    webhook_secret_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class MigrationSession(Base):
    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_account_created", "account_id", "created_at"),
        Index("ix_sessions_status", "status"),
        Index("ix_sessions_pair", "account_id", "source_key", "target_key"),
        # One open writing session per pair, even when two are asked for at the same moment.
        Index(
            "uq_sessions_open_pair",
            "account_id",
            "source_key",
            "target_key",
            unique=True,
            postgresql_where=text(OPEN_WRITING),
            sqlite_where=text(OPEN_WRITING),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(32), default="queued")
    source_system: Mapped[str] = mapped_column(String(64))
    source_base_url: Mapped[str] = mapped_column(Text)
    source_credentials_enc: Mapped[str] = mapped_column(Text)
    target_system: Mapped[str] = mapped_column(String(64))
    target_base_url: Mapped[str] = mapped_column(Text)
    target_credentials_enc: Mapped[str] = mapped_column(Text)
    entities: Mapped[list[str]] = mapped_column()
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    webhook_url: Mapped[str | None] = mapped_column(Text, default=None)
    webhook_status: Mapped[str | None] = mapped_column(String(32), default=None)
    webhook_attempts: Mapped[int] = mapped_column(Integer, default=0)
    phase: Mapped[str | None] = mapped_column(String(32), default=None)
    run_count: Mapped[int] = mapped_column(Integer, default=0)  # job runs (chunks) so far
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    paused_until: Mapped[datetime | None] = mapped_column(default=None)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    # What the run could not carry as asked (custom fields of a type the target lacks...).
    warnings: Mapped[list[str]] = mapped_column(default=list)
    # The run that holds the session, until when (renewed every few seconds while it runs): a
    # killed worker's lease runs out and the sweep hands the session to another worker.
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    # Runs that ended on a transient failure in a row; past the limit the session fails.
    retry_count: Mapped[int] = mapped_column(Integer, default=0)
    # full | sample | delta | undo | preview (see app/sessions/schemas.py SessionMode).
    mode: Mapped[str] = mapped_column(String(16), default="full")
    # The pair whose ledger the session reads and writes: "<system>:<source account id>" and
    # "<system>:<target company id>", from the connection checks.
    source_key: Mapped[str | None] = mapped_column(String(255), default=None)
    target_key: Mapped[str | None] = mapped_column(String(255), default=None)
    undoes: Mapped[str | None] = mapped_column(String(36), default=None)  # an undo's session
    resumes: Mapped[str | None] = mapped_column(String(36), default=None)  # a resume's session
    # Source custom field -> Pipedrive field key, as the run resolved them (see FieldMapEntry).
    field_map: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType, default=None)
    # What a run resolved in the target and the next run keeps: see workers/pipeline/handover.py.
    handover_state: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    # A delta reads what changed after this moment (the previous session's start, less a margin).
    changed_since: Mapped[datetime | None] = mapped_column(default=None)
    tokens_spent: Mapped[int] = mapped_column(Integer, default=0)  # Pipedrive's x-token-cost
    rate_limited: Mapped[int] = mapped_column(Integer, default=0)  # 429s the calls met
    report: Mapped[dict[str, Any] | None] = mapped_column(default=None)  # a preview's findings
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SessionEntity(Base):
    """Progress and checkpoint of one entity within a session."""

    __tablename__ = "session_entities"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # load order
    total: Mapped[int | None] = mapped_column(Integer, default=None)
    extracted: Mapped[int] = mapped_column(Integer, default=0)
    loaded: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)  # linked to a record already there
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    # Linked records no longer in the source; None when the source was read by changed-since
    # and so cannot tell.
    gone: Mapped[int | None] = mapped_column(Integer, default=None)
    extract_cursor: Mapped[str | None] = mapped_column(Text, default=None)
    extract_done: Mapped[bool] = mapped_column(default=False)
    load_done: Mapped[bool] = mapped_column(default=False)


class StagedRecord(Base):
    """One source record: raw and canonical JSON, its load state, and its target id (the id map)."""

    __tablename__ = "staged_records"
    __table_args__ = (
        UniqueConstraint("session_id", "entity", "source_id", name="uq_staged_source"),
        Index("ix_staged_load", "session_id", "entity", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(255))
    raw: Mapped[dict[str, Any]] = mapped_column()
    canonical: Mapped[dict[str, Any]] = mapped_column()
    # staged -> pending (a write may be in flight) -> loaded | skipped | failed; `outside`: read
    # but not part of a sample.
    state: Mapped[str] = mapped_column(String(16), default="staged")
    action: Mapped[str | None] = mapped_column(String(8), default=None)  # create | update
    target_id: Mapped[int | str | None] = mapped_column(TargetIdType, default=None)
    payload: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # When the create of a pending record was sent: reconciliation claims only target records
    # made after it.
    attempted_at: Mapped[datetime | None] = mapped_column(default=None)


class RecordLink(Base):
    """The ledger: which Pipedrive record stands for which source record, across sessions of
    the same pair (source account, target company)."""

    __tablename__ = "record_links"
    __table_args__ = (
        UniqueConstraint(
            "account_id", "source_key", "target_key", "entity", "source_id", name="uq_record_link"
        ),
        Index("ix_record_links_created_by", "created_by", "entity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    source_key: Mapped[str] = mapped_column(String(255))
    target_key: Mapped[str] = mapped_column(String(255))
    entity: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(255))
    target_id: Mapped[int | str] = mapped_column(TargetIdType)
    # The target record it lives under (a line item's deal): where undo finds it.
    parent_id: Mapped[int | None] = mapped_column(Integer, default=None)
    origin: Mapped[str] = mapped_column(String(16))  # created | matched | reused
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
    # The target's update time in the answer to Ferry's last write: a newer one means the
    # record was edited in the target since.
    target_updated_at: Mapped[str | None] = mapped_column(String(40), default=None)
    created_by: Mapped[str] = mapped_column(String(36))  # the session that made the link
    written_by: Mapped[str] = mapped_column(String(36))  # the session that last wrote it
    written_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordError(Base):
    __tablename__ = "record_errors"
    __table_args__ = (Index("ix_record_errors_session", "session_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(255))
    stage: Mapped[str] = mapped_column(String(16))  # extract | map | load
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One attempt to POST a finished session to its webhook."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_session", "session_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)  # None: no answer
    error: Mapped[str | None] = mapped_column(Text, default=None)  # why there was no answer
    duration_ms: Mapped[int] = mapped_column(Integer)
    delivered: Mapped[bool] = mapped_column()


class SandboxAccount(Base):
    __tablename__ = "sandbox_accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    system: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    limits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    faults: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credentials_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Base):
    """The first answer to a POST sent with an Idempotency-Key, replayed when the same request is
    sent again (a client's retry after a lost answer). No answer yet means it is still running."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("account_id", "key", name="uq_idempotency_keys_account_key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))  # method, path and body
    response_status: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    response_content_type: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Upload(Base):
    """Files a user uploaded as a file source (a CRM's CSV export): one row per file, its rows
    in `upload_rows`. In the database, so that a worker on any host reads it."""

    __tablename__ = "uploads"
    __table_args__ = (Index("ix_uploads_account_created", "account_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    system: Mapped[str] = mapped_column(
        String(64)
    )  # whose export: csv (any system's) or a system id
    # What names the exported account in the ledger: the user's label, else the files' digest,
    # so the same export uploaded again links to what its first upload created.
    source_account: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)  # bytes received
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UploadFile(Base):
    __tablename__ = "upload_files"
    __table_args__ = (Index("ix_upload_files_upload", "upload_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    entity: Mapped[str] = mapped_column(String(32))  # or "definitions" (fields and stages)
    rows: Mapped[int] = mapped_column(Integer)
    # [{"name", "max_length", "kind": "number" | "date" | "text"}] in the header's order.
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)


class UploadRow(Base):
    """One data row of an uploaded file: its cells as the header orders them, and the line of
    the file it starts on (what an error about it names)."""

    __tablename__ = "upload_rows"

    file_id: Mapped[int] = mapped_column(
        ForeignKey("upload_files.id", ondelete="CASCADE"), primary_key=True
    )
    row: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1 = the first data row
    line: Mapped[int] = mapped_column(Integer)
    cells: Mapped[list[str]] = mapped_column()
