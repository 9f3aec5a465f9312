from __future__ import annotations

from fastapi import APIRouter

from app.connections import service
from app.connections.schemas import ConnectionError_, ConnectionTestOut, SystemConnection
from app.deps import CurrentAccount
from app.errors import error_responses

router = APIRouter(prefix="/v1/connections", tags=["connections"])


@router.post(
    "/test",
    response_model=ConnectionTestOut,
    responses=error_responses(400, 401, 413, 422),
    summary="Call a system with these credentials and report who we are and how much is there",
)
async def test_connection(body: SystemConnection, account: CurrentAccount) -> ConnectionTestOut:
    info, error = await service.test_connection(body, account.id)
    if error is not None:
        return ConnectionTestOut(
            ok=False, error=ConnectionError_(code=error.code, message=error.message)
        )
    assert info is not None
    return ConnectionTestOut(ok=True, account=info.account, counts=info.counts)
