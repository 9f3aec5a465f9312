"""A connection that names an upload instead of credentials: the file source over the stored
rows, as the system of the connection (csv, or a system whose export has a layout)."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
from sqlalchemy import select

from adapters.core.canonical import Entity
from adapters.core.errors import ConnectionFailed
from adapters.core.protocols import SourceAdapter
from adapters.core.registry import System
from adapters.files.layout import FIELDS, ExportLayout, find_layout
from adapters.files.source import FileSource, StoredFile, StoredRow
from app.db import sessionmaker
from app.errors import Unprocessable
from app.models import Upload, UploadFile, UploadRow
from app.uploads.service import base_url_of

Columns = dict[str, dict[str, str | None]]
PREFIX = "upload:"


class DbUploadStore:
    """The upload's rows in the database, a page at a time (each read its own transaction)."""

    def __init__(self, upload_id: str, layout: ExportLayout) -> None:
        self.upload_id = upload_id
        self.layout = layout

    async def account(self) -> dict[str, Any]:
        async with sessionmaker()() as db:
            upload = await db.get(Upload, self.upload_id)
        if upload is None:
            raise _gone()
        return {
            "account_id": upload.source_account,
            "name": f"{self.layout.name} upload",
            "upload_id": upload.id,
        }

    async def files(self) -> list[StoredFile]:
        async with sessionmaker()() as db:
            if await db.get(Upload, self.upload_id) is None:
                raise _gone()
            rows = await db.scalars(
                select(UploadFile)
                .where(UploadFile.upload_id == self.upload_id)
                .order_by(UploadFile.id)
            )
            return [StoredFile(f.id, f.name, f.entity, f.rows, list(f.columns)) for f in rows]

    async def rows(self, file_id: int, after: int, limit: int) -> list[StoredRow]:
        async with sessionmaker()() as db:
            found = await db.execute(
                select(UploadRow.row, UploadRow.line, UploadRow.cells)
                .where(UploadRow.file_id == file_id, UploadRow.row > after)
                .order_by(UploadRow.row)
                .limit(limit)
            )
            return [StoredRow(r, line, list(cells)) for r, line, cells in found]


def _gone() -> ConnectionFailed:
    return ConnectionFailed(
        "the upload this connection names is gone (deleted)", code="unknown_upload"
    )


def is_upload(base_url: str | None) -> bool:
    return bool(base_url and base_url.startswith(PREFIX))


def file_system(system: System, upload_id: str, layout: ExportLayout, columns: Columns) -> System:
    """The system as a file source of this upload (its entities: the source's, until read)."""

    def factory(
        _credentials: dict[str, str], _base_url: str, _transport: httpx.AsyncBaseTransport | None
    ) -> SourceAdapter:
        return FileSource(DbUploadStore(upload_id, layout), layout, columns=columns)

    return dataclasses.replace(
        system, credential_fields=(), source_factory=factory, target_factory=None
    )


async def upload_system(
    system: System, upload_id: str, account_id: str, columns: Columns | None
) -> tuple[System, str]:
    """For a connection {system, upload_id}: the file-source system and its base URL. 422s:
    the system reads no export, the upload is not this account's, a column mapping names what
    the upload or the entity does not have."""
    from app.uploads.service import layout_for_upload

    layout = layout_for_upload(system.id)
    async with sessionmaker()() as db:
        upload = await db.get(Upload, upload_id)
    if upload is None or upload.account_id != account_id:
        raise Unprocessable(
            f"No upload {upload_id} in this account (POST /v1/uploads makes one).",
            code="unknown_upload",
            details={"upload_id": upload_id},
        )
    if upload.system not in ("csv", system.id):
        raise Unprocessable(
            f"Upload {upload_id} is a {upload.system} export, not {system.name}'s.",
            code="unknown_upload",
            details={"upload_id": upload_id, "system": upload.system},
        )
    reader = FileSource(DbUploadStore(upload_id, layout), layout, columns=columns)
    files = {entity.value: stored for entity, stored in (await reader.files()).items()}
    _check_columns(columns or {}, files)
    found = file_system(system, upload_id, layout, columns or {})
    return dataclasses.replace(found, entities=reader.entities), base_url_of(upload_id)


def stored_system(system: System, base_url: str, options: dict[str, Any] | None) -> System:
    """A session's file source again, from what it stored (any process, any host)."""
    upload_id = base_url.removeprefix(PREFIX)
    layout = find_layout(system.id)
    assert layout is not None
    mapping = (options or {}).get("mapping") or {}
    return file_system(system, upload_id, layout, mapping.get("columns") or {})


def _check_columns(columns: Columns, files: dict[str, list[StoredFile]]) -> None:
    from app.sessions.mapping import invalid

    where = "options.mapping.columns"
    for entity_name, mapped in columns.items():
        try:
            entity = Entity(entity_name)
        except ValueError:
            entity = None
        if entity is None or entity.value not in files:
            choices = [e for e in files if e in {x.value for x in FIELDS}]
            raise invalid(where, entity_name, f"the upload has no file of {entity_name!r}", choices)
        names = list(dict.fromkeys(c["name"] for f in files[entity.value] for c in f.columns))
        for column, meaning in mapped.items():
            if column not in names:
                problem = f"the {entity_name} files have no column {column!r}"
                raise invalid(f"{where}.{entity_name}", column, problem, names)
            if meaning is not None and meaning not in FIELDS[entity]:
                problem = f"{entity_name} have no field {meaning!r}"
                raise invalid(
                    f"{where}.{entity_name}.{column}", meaning, problem, list(FIELDS[entity])
                )
