from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile as FormFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings
from app.deps import CurrentAccount, DbSession
from app.errors import Unprocessable, error_response, error_responses
from app.guards import STREAMED_BODIES, invalid_characters_location
from app.uploads import service
from app.uploads.schemas import UploadList, UploadOut

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])

FORM_OVERHEAD = 64 * 1024  # the multipart framing around the files
MAX_FILES = 100

UPLOAD_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "CSV files (one per entity, a header row each), "
                            "or one .zip of them",
                        },
                        "system": {
                            "type": "string",
                            "default": "csv",
                            "description": "Whose export: csv (any system's) or a system "
                            "whose export Ferry knows (salesforceiq)",
                        },
                        "entities": {
                            "type": "string",
                            "description": "JSON: file name -> entity, for files whose name "
                            'does not say it ({"leute.csv": "persons"})',
                        },
                        "source_account": {
                            "type": "string",
                            "description": "A name for the exported account: uploads with "
                            "the same name share the ledger (a later export of the same CRM "
                            "updates what an earlier one created)",
                        },
                    },
                }
            }
        },
    }
}


async def stream_upload(scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
    """The guard's part for an upload: the path and query checked, the body streamed through
    and cut off past FERRY_MAX_UPLOAD_BYTES (413 upload_too_large)."""
    where = invalid_characters_location(scope, b"")
    if where is not None:
        message = f"The {where} holds a NUL character or a lone UTF-16 surrogate."
        await error_response(422, "invalid_characters", message, {"location": where})(
            scope, receive, send
        )
        return
    limit = get_settings().max_upload_bytes + FORM_OVERHEAD
    declared = next((v for k, v in scope["headers"] if k.lower() == b"content-length"), None)
    if declared is not None and declared.isdigit() and int(declared) > limit:
        error = service.too_large()
        await error_response(413, error.code, error.message, error.details)(scope, receive, send)
        return
    received = 0

    async def bounded() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise service.too_large()
        return message

    await app(scope, bounded, send)


STREAMED_BODIES["/v1/uploads"] = stream_upload


@router.post(
    "",
    response_model=UploadOut,
    status_code=201,
    responses=error_responses(401, 413, 422),
    summary="Upload a CSV export (files or a zip) to name as a source instead of credentials",
    openapi_extra=UPLOAD_FORM,
)
async def create_upload(request: Request, account: CurrentAccount, db: DbSession) -> UploadOut:
    form = await request.form(max_files=MAX_FILES, max_fields=20)
    try:
        files = [v for _, v in form.multi_items() if isinstance(v, FormFile)]
        text = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        unknown = sorted(set(text) - {"system", "entities", "source_account"})
        if unknown:
            raise Unprocessable(
                f"Unknown form field {unknown[0]!r}: an upload takes files, system, entities "
                "and source_account.",
                code="validation_error",
                details={"field": unknown[0]},
            )
        return await service.create_upload(
            db,
            account.id,
            files,
            system=text.get("system") or "csv",
            entities=text.get("entities"),
            source_account=text.get("source_account"),
            size=sum(f.size or 0 for f in files),
        )
    finally:
        await form.close()


@router.get(
    "",
    response_model=UploadList,
    responses=error_responses(401),
    summary="Your uploads, newest first",
)
async def list_uploads(account: CurrentAccount, db: DbSession) -> UploadList:
    return UploadList(data=await service.list_uploads(db, account.id))


@router.get(
    "/{upload_id}",
    response_model=UploadOut,
    responses=error_responses(401, 404),
    summary="One upload: its files, their entities, rows and columns",
)
async def get_upload(upload_id: str, account: CurrentAccount, db: DbSession) -> UploadOut:
    upload = await service.get_upload(db, account.id, upload_id)
    return service.upload_out(upload, await service.files_of(db, upload.id))


@router.delete(
    "/{upload_id}",
    status_code=204,
    responses=error_responses(401, 404, 409),
    summary="Delete an upload and its rows (not while a session reads it)",
)
async def delete_upload(upload_id: str, account: CurrentAccount, db: DbSession) -> None:
    await service.delete_upload(db, account.id, upload_id)
