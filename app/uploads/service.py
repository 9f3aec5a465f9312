"""Uploads: CSV files (or a zip of them) stored row by row in the database, per account, and
read back by the file source (adapters/files) from any process. An upload that cannot be taken
whole stores nothing. Their contents are customer data: never logged."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile as FormFile

from adapters.core.canonical import Entity
from adapters.core.registry import get_system
from adapters.files.layout import DEFINITIONS, FIELDS, ExportLayout, entity_of_file, find_layout
from adapters.files.reading import CsvFile, Unreadable
from app.config import get_settings
from app.errors import Conflict, FerryError, NotFound, Unprocessable
from app.models import MigrationSession, Upload, UploadFile, UploadRow
from app.uploads.schemas import UploadedFileOut, UploadOut

BATCH = 500
CSV_NAMES = (".csv", ".txt", ".tsv")
ENTITY_CHOICES = ", ".join(e.value for e in FIELDS)


class UploadTooLarge(FerryError):
    status_code = 413
    code = "upload_too_large"


def too_large() -> UploadTooLarge:
    limit = get_settings().max_upload_bytes
    return UploadTooLarge(
        f"The upload is larger than {limit} bytes (FERRY_MAX_UPLOAD_BYTES); split the export "
        "or raise the limit.",
        details={"limit": limit},
    )


def _refuse(code: str, message: str, **details: Any) -> Unprocessable:
    return Unprocessable(message, code=code, details=details or None)


@dataclass
class _Part:
    """One CSV file of the upload, from the form or from a zip in it."""

    name: str
    open: Any  # () -> a binary stream of its bytes
    entity: Entity | str | None = None  # or DEFINITIONS: a file describing fields and stages


class _Counted:
    """A stream that hashes what it gives and refuses to give more than the cap in all."""

    def __init__(self, stream: IO[bytes], digest: Any, budget: list[int]) -> None:
        self.stream, self.digest, self.budget = stream, digest, budget

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.budget[0] -= len(data)
        if self.budget[0] < 0:
            raise too_large()
        self.digest.update(data)
        return data


def layout_for_upload(system_id: str) -> ExportLayout:
    layout = find_layout(system_id)
    if layout is None:
        raise _refuse(
            "no_file_source",
            f"'{system_id}' has no export Ferry reads; upload with system csv (any system's "
            "CSV export) or a system that has one.",
            system=system_id,
        )
    return layout


def _parts(files: list[FormFile], stack: list[zipfile.ZipFile]) -> list[_Part]:
    parts: list[_Part] = []
    for form_file in files:
        name = (form_file.filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        lowered = name.casefold()
        if lowered.endswith(".zip"):
            try:
                archive = zipfile.ZipFile(form_file.file)
            except (zipfile.BadZipFile, OSError):
                raise _refuse(
                    "upload_unreadable", f"{name} is not a zip file that can be read.", file=name
                ) from None
            stack.append(archive)
            for member in archive.infolist():
                base = member.filename.rsplit("/", 1)[-1]
                if member.is_dir() or base.startswith(".") or "__MACOSX" in member.filename:
                    continue
                if not base.casefold().endswith(CSV_NAMES):
                    raise _refuse(
                        "upload_unreadable",
                        f"{name} holds {member.filename}, which is not a CSV file.",
                        file=member.filename,
                    )
                parts.append(_Part(base, lambda a=archive, m=member: a.open(m)))
        elif lowered.endswith(CSV_NAMES):
            parts.append(_Part(name, lambda f=form_file: _rewound(f.file)))
        else:
            raise _refuse(
                "upload_unreadable",
                f"{name or 'A file'} is not a CSV file (.csv) nor a zip of CSV files.",
                file=name,
            )
    return parts


def _rewound(stream: IO[bytes]) -> IO[bytes]:
    stream.seek(0)
    return stream


def _entities(parts: list[_Part], layout: ExportLayout, named: dict[str, str]) -> None:
    """Each part's entity, from the `entities` field or its name; each entity once."""
    unknown_names = set(named) - {p.name for p in parts}
    if unknown_names:
        raise _refuse(
            "upload_unknown_entity",
            f"`entities` names {sorted(unknown_names)[0]}, which is not a file of the upload.",
            file=sorted(unknown_names)[0],
        )
    by_entity: dict[Entity | str, str] = {}
    for part in parts:
        given = named.get(part.name)
        if given is not None:
            if given not in {e.value for e in FIELDS}:
                raise _refuse(
                    "upload_unknown_entity",
                    f"`entities` gives {part.name} the entity '{given}'; choices: "
                    f"{ENTITY_CHOICES}.",
                    file=part.name,
                )
            part.entity = Entity(given)
        else:
            part.entity = entity_of_file(part.name, layout)
        if part.entity is None:
            raise _refuse(
                "upload_unknown_entity",
                f"Ferry cannot tell what {part.name} holds from its name: name it after its "
                f"entity (persons.csv, companies.csv, deals.csv...) or give it in the "
                f'`entities` field ({{"{part.name}": "persons"}}); entities: {ENTITY_CHOICES}.',
                file=part.name,
            )
        several = part.entity == DEFINITIONS or layout.pattern_of(part.name) is not None
        if part.entity in by_entity and not several:
            raise _refuse(
                "upload_duplicate_entity",
                f"{by_entity[part.entity]} and {part.name} both hold {part.entity}: one "
                "file per entity.",
                entity=str(part.entity),
                files=[by_entity[part.entity], part.name],
            )
        by_entity[part.entity] = part.name


@contextmanager
def _closing(archives: list[zipfile.ZipFile]) -> Iterator[None]:
    try:
        yield
    finally:
        for archive in archives:
            archive.close()


def _named_entities(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        named = json.loads(text)
    except ValueError:
        named = None
    if not isinstance(named, dict) or not all(isinstance(v, str) for v in named.values()):
        raise _refuse(
            "upload_unknown_entity",
            '`entities` must be a JSON object of file name -> entity ({"leute.csv": "persons"}).',
        )
    return named


async def create_upload(
    db: AsyncSession,
    account_id: str,
    files: list[FormFile],
    *,
    system: str,
    entities: str | None,
    source_account: str | None,
    size: int,
) -> UploadOut:
    if get_system(system) is None:
        raise _refuse("unknown_system", f"Unknown system '{system}'.", system=system)
    layout = layout_for_upload(system)
    archives: list[zipfile.ZipFile] = []
    with _closing(archives):
        parts = _parts(files, archives)
        if not parts:
            raise _refuse(
                "upload_empty", "The upload holds no CSV file: send them as `files` fields."
            )
        _entities(parts, layout, _named_entities(entities))
        digest = hashlib.sha256()
        upload = Upload(account_id=account_id, system=system, source_account="", size=size)
        db.add(upload)
        await db.flush()
        budget = [get_settings().max_upload_bytes]
        stored: list[UploadFile] = []
        try:
            for part in sorted(parts, key=_order):
                stored.append(await _store_file(db, upload, part, digest, budget))
        except Unreadable as exc:
            await db.rollback()
            raise _refuse(exc.code, exc.message, file=part.name) from None
        except FerryError:
            await db.rollback()
            raise
        label = (source_account or "").strip()
        upload.source_account = label[:200] or f"sha256:{digest.hexdigest()[:32]}"
        await db.commit()
    return upload_out(upload, stored)


def _order(part: _Part) -> tuple[int, str]:
    entity = str(part.entity)
    position = -1 if entity == DEFINITIONS else list(Entity).index(Entity(entity))
    return position, part.name


async def _store_file(
    db: AsyncSession, upload: Upload, part: _Part, digest: Any, budget: list[int]
) -> UploadFile:
    assert part.entity is not None
    row = UploadFile(
        upload_id=upload.id, name=part.name, entity=str(part.entity), rows=0, columns=[]
    )
    db.add(row)
    await db.flush()
    digest.update(f"\0{part.name}\0".encode())
    reader = CsvFile(part.name, _Counted(part.open(), digest, budget))  # type: ignore[arg-type]
    batch: list[dict[str, Any]] = []
    for parsed in reader:
        batch.append(
            {"file_id": row.id, "row": parsed.row, "line": parsed.line, "cells": parsed.cells}
        )
        if len(batch) >= BATCH:
            await db.execute(insert(UploadRow), batch)
            batch = []
    if batch:
        await db.execute(insert(UploadRow), batch)
    row.rows = reader.rows
    row.columns = [c.out() for c in reader.columns]
    return row


def upload_out(upload: Upload, files: list[UploadFile]) -> UploadOut:
    return UploadOut(
        id=upload.id,
        system=upload.system,
        source_account=upload.source_account,
        size=upload.size,
        files=[
            UploadedFileOut(
                name=f.name, entity=f.entity, rows=f.rows, columns=[c["name"] for c in f.columns]
            )
            for f in files
        ],
        created_at=upload.created_at,
    )


async def get_upload(db: AsyncSession, account_id: str, upload_id: str) -> Upload:
    upload = await db.get(Upload, upload_id)
    if upload is None or upload.account_id != account_id:
        raise NotFound(f"No upload {upload_id}.", code="upload_not_found")
    return upload


async def files_of(db: AsyncSession, upload_id: str) -> list[UploadFile]:
    rows = await db.scalars(
        select(UploadFile).where(UploadFile.upload_id == upload_id).order_by(UploadFile.id)
    )
    return list(rows)


async def list_uploads(db: AsyncSession, account_id: str) -> list[UploadOut]:
    uploads = await db.scalars(
        select(Upload)
        .where(Upload.account_id == account_id)
        .order_by(Upload.created_at.desc(), Upload.id.desc())
        .limit(1000)
    )
    return [upload_out(u, await files_of(db, u.id)) for u in uploads]


def base_url_of(upload_id: str) -> str:
    """What a session whose source is an upload keeps as its source's base URL."""
    return f"upload:{upload_id}"


async def delete_upload(db: AsyncSession, account_id: str, upload_id: str) -> None:
    upload = await get_upload(db, account_id, upload_id)
    running = await db.scalar(
        select(MigrationSession.id).where(
            MigrationSession.account_id == account_id,
            MigrationSession.source_base_url == base_url_of(upload_id),
            MigrationSession.status.in_(("queued", "running")),
        )
    )
    if running is not None:
        raise Conflict(
            f"Session {running} reads this upload; wait for it to end (or cancel it) first.",
            code="upload_in_use",
            details={"session_id": running},
        )
    for file in await files_of(db, upload.id):
        await db.execute(delete(UploadRow).where(UploadRow.file_id == file.id))
    await db.execute(delete(UploadFile).where(UploadFile.upload_id == upload.id))
    await db.delete(upload)
    await db.commit()
