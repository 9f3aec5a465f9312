from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from adapters.core.canonical import Entity
from app.deps import CurrentAccount, DbSession, QueueDep
from app.errors import error_responses
from app.sessions import errors_csv, service
from app.sessions.events import session_events
from app.sessions.schemas import (
    RecordErrorOut,
    RecordErrorPage,
    SessionCreate,
    SessionOut,
    SessionPage,
    UndoRequest,
    WebhookDeliveryList,
    WebhookDeliveryOut,
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


EntityFilter = Annotated[Entity | None, Query(description="Only this entity's errors")]
CodeFilter = Annotated[
    str | None, Query(max_length=64, description="Only errors of this code, e.g. file_too_large")
]


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
    entity: EntityFilter = None,
    code: CodeFilter = None,
) -> RecordErrorPage:
    rows, next_cursor = await service.list_errors(
        db, account, session_id, limit, cursor, entity, code
    )
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


@router.get(
    "/{session_id}/errors.csv",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/csv": {}},
            "description": "entity, source_id, stage, code, message",
        },
        **error_responses(401, 404, 422),
    },
    summary="The session's record errors as a CSV file (the same filters as /errors)",
)
async def errors_as_csv(
    session_id: str,
    account: CurrentAccount,
    db: DbSession,
    entity: EntityFilter = None,
    code: CodeFilter = None,
) -> StreamingResponse:
    await service.get_session(db, account, session_id)
    await db.close()  # the download reads page by page in sessions of its own
    name = errors_csv.filename(session_id)
    return StreamingResponse(
        errors_csv.csv_chunks(session_id, entity.value if entity else None, code),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


async def watched_session(session_id: str, account: CurrentAccount, db: DbSession) -> str:
    """The session's id once it is known to be the caller's: a 404 comes before the stream."""
    await service.get_session(db, account, session_id)
    await db.close()  # the stream polls in sessions of its own
    return session_id


@router.get(
    "/{session_id}/events",
    response_class=EventSourceResponse,
    responses=error_responses(401, 404, 422),
    summary="Live events (Server-Sent Events): `progress` on every change, `phase`, each "
    "`warning` once, then `end` with the final session object, and the stream closes",
)
async def session_event_stream(
    session_id: Annotated[str, Depends(watched_session)],
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> AsyncIterator[ServerSentEvent]:
    async for event in session_events(session_id, last_event_id):
        yield event


@router.post(
    "/{session_id}/resume",
    response_model=SessionOut,
    status_code=201,
    responses=error_responses(401, 404, 409, 422, 502),
    summary="Resume a failed, cancelled or completed_with_errors session as a new session "
    "that continues through the ledger (nothing already linked is created again)",
)
async def resume_session(
    session_id: str, account: CurrentAccount, db: DbSession, queue: QueueDep
) -> SessionOut:
    session = await service.resume_session(db, account, session_id, queue)
    return await service.session_out(db, session)


@router.get(
    "/{session_id}/webhook-deliveries",
    response_model=WebhookDeliveryList,
    responses=error_responses(401, 404, 422),
    summary="Every attempt to deliver the session's webhook: when, the HTTP status or the "
    "error, how long it took",
)
async def list_webhook_deliveries(
    session_id: str, account: CurrentAccount, db: DbSession
) -> WebhookDeliveryList:
    rows = await service.list_webhook_deliveries(db, account, session_id)
    return WebhookDeliveryList(
        data=[
            WebhookDeliveryOut(
                attempt=r.attempt,
                attempted_at=r.attempted_at,
                status_code=r.status_code,
                error=r.error,
                duration_ms=r.duration_ms,
                delivered=r.delivered,
            )
            for r in rows
        ]
    )
