from __future__ import annotations

import asyncio
import io
import zipfile

from fastapi import APIRouter
from fastapi.responses import Response

from adapters.core.registry import get_system
from app.deps import CurrentAccount, DbSession
from app.errors import NotFound, error_responses
from app.sandbox import service
from app.sandbox.schemas import SandboxAccountCreate, SandboxAccountOut, SandboxFaults

router = APIRouter(prefix="/sandbox/accounts", tags=["sandbox"])

_ERRORS = error_responses(401, 404, 422)


@router.post(
    "",
    response_model=SandboxAccountOut,
    status_code=201,
    responses=error_responses(400, 401, 413, 422),
    summary="Make an emulated account of a system, empty or seeded with the reference company",
)
async def create_sandbox_account(
    body: SandboxAccountCreate, account: CurrentAccount, db: DbSession
) -> SandboxAccountOut:
    return await service.create_account(db, account, body)


@router.get(
    "",
    response_model=list[SandboxAccountOut],
    responses=error_responses(401),
    summary="Your sandbox accounts",
)
async def list_sandbox_accounts(account: CurrentAccount, db: DbSession) -> list[SandboxAccountOut]:
    return [service.to_out(row) for row in await service.list_accounts(db, account)]


@router.get(
    "/{sandbox_id}",
    response_model=SandboxAccountOut,
    responses=_ERRORS,
    summary="One sandbox account",
)
async def get_sandbox_account(
    sandbox_id: str, account: CurrentAccount, db: DbSession
) -> SandboxAccountOut:
    return service.to_out(await service.get_account(db, account, sandbox_id))


@router.put(
    "/{sandbox_id}/faults",
    response_model=SandboxAccountOut,
    responses=error_responses(400, 401, 404, 413, 422),
    summary="Make a sandbox account misbehave (or stop): replaces its fault profile at once",
)
async def set_sandbox_faults(
    sandbox_id: str, body: SandboxFaults, account: CurrentAccount, db: DbSession
) -> SandboxAccountOut:
    return service.to_out(await service.set_faults(db, account, sandbox_id, body))


@router.get(
    "/{sandbox_id}/export",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "The export's CSV files"},
        **error_responses(401, 404),
    },
    summary="The account's data as its system's CSV export (a zip), to upload as a file source",
)
async def export_sandbox_account(
    sandbox_id: str, account: CurrentAccount, db: DbSession
) -> Response:
    row = await service.get_account(db, account, sandbox_id)
    system = get_system(row.system)
    export = getattr(system.emulator, "export", None) if system else None
    if export is None:
        raise NotFound(f"{row.system} sandbox accounts have no export.", code="no_export")
    await service.ensure_provisioned(row.system, row.id)
    files: dict[str, bytes] = await asyncio.to_thread(export, row.id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    filename = f"{row.system}-export-{row.id}.zip"
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
