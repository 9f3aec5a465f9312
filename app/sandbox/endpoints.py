from __future__ import annotations

from fastapi import APIRouter

from app.deps import CurrentAccount, DbSession
from app.errors import error_responses
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
