from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import CurrentAccount, DbSession, QueueDep
from app.errors import error_responses
from app.sessions import service
from app.sessions.schemas import (
    RecordErrorOut,
    RecordErrorPage,
    SessionCreate,
    SessionOut,
    SessionPage,
    UndoRequest,
)

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])


@router.post(
    "",
    response_model=SessionOut,
    status_code=201,
    responses=error_responses(400, 401, 409, 413, 422, 502),
    summary="Start a migration: both connections are checked, then the session is queued",
)
async def create_session(
    body: SessionCreate, account: CurrentAccount, db: DbSession, queue: QueueDep
) -> SessionOut:
    session = await service.create_session(db, account, body, queue)
    return await service.session_out(db, session)


@router.post(
    "/preview",
    response_model=SessionOut,
    status_code=201,
    responses=error_responses(400, 401, 409, 413, 422, 502),
    summary="Preview a migration: the same body as a session; reads the source and the target "
    "and writes nothing. The session's `report` holds the findings once it has completed",
)
async def preview_session(
    body: SessionCreate, account: CurrentAccount, db: DbSession, queue: QueueDep
) -> SessionOut:
    session = await service.create_session(db, account, body, queue, preview=True)
    return await service.session_out(db, session)


@router.get(
    "",
    response_model=SessionPage,
    responses=error_responses(401, 422),
    summary="Sessions, newest first",
)
async def list_sessions(
    account: CurrentAccount,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> SessionPage:
    sessions, next_cursor = await service.list_sessions(db, account, limit, cursor)
    return SessionPage(data=await service.sessions_out(db, sessions), next_cursor=next_cursor)


@router.get(
    "/{session_id}",
    response_model=SessionOut,
    responses=error_responses(401, 404, 422),
    summary="One session",
)
async def get_session(session_id: str, account: CurrentAccount, db: DbSession) -> SessionOut:
    session = await service.get_session(db, account, session_id)
    return await service.session_out(db, session)


@router.post(
    "/{session_id}/cancel",
    response_model=SessionOut,
    status_code=202,
    responses=error_responses(401, 404, 409, 422),
    summary="Stop a session; what was loaded stays loaded and recorded",
)
async def cancel_session(
    session_id: str, account: CurrentAccount, db: DbSession, queue: QueueDep
) -> SessionOut:
    session = await service.cancel_session(db, account, session_id, queue)
    return await service.session_out(db, session)


@router.post(
    "/{session_id}/undo",
    response_model=SessionOut,
    status_code=201,
    responses=error_responses(400, 401, 404, 409, 413, 422, 502),
    summary="Undo a session: delete what it created (never what it matched or reused), "
    "as a new session of mode undo",
)
async def undo_session(
    session_id: str,
    account: CurrentAccount,
    db: DbSession,
    queue: QueueDep,
    body: UndoRequest | None = None,
) -> SessionOut:
    session = await service.undo_session(db, account, session_id, body or UndoRequest(), queue)
    return await service.session_out(db, session)


@router.get(
    "/{session_id}/errors",
    response_model=RecordErrorPage,
    responses=error_responses(401, 404, 422),
    summary="Records that failed, with the reason",
)
async def list_errors(
    session_id: str,
    account: CurrentAccount,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[
        int | None, Query(ge=0, le=2**31 - 1, description="next_cursor of the previous page")
    ] = None,
) -> RecordErrorPage:
    rows, next_cursor = await service.list_errors(db, account, session_id, limit, cursor)
    return RecordErrorPage(
        data=[
            RecordErrorOut(
                id=r.id,
                entity=r.entity,
                source_id=r.source_id,
                stage=r.stage,
                code=r.code,
                message=r.message,
                created_at=r.created_at,
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )
