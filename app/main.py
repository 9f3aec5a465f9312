"""The HTTP service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.endpoints import router as accounts_router
from app.config import get_settings
from app.connections.endpoints import router as connections_router
from app.db import dispose_engine
from app.errors import error_response, install_error_handlers
from app.sandbox.endpoints import router as sandbox_router
from app.sandbox.mount import SandboxDispatcher
from app.sessions.endpoints import router as sessions_router
from app.systems.endpoints import router as systems_router
from workers.queue import ArqQueue, InProcessQueue, JobQueue

log = logging.getLogger("ferry")

DESCRIPTION = """
Ferry moves a company's CRM data into Pipedrive through the vendors' APIs, with every link kept.

Authenticate every `/v1` and `/sandbox` call with `Authorization: Bearer <api key>`
(create one with `ferry accounts create NAME`). Errors always answer
`{"error": {"code", "message", "details"}}`.
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    queue: JobQueue
    if settings.embedded:
        from workers.jobs import JOBS, resume_unfinished

        queue = InProcessQueue(JOBS)
        app.state.queue = queue
        await resume_unfinished(queue)
    else:
        assert settings.redis_url
        queue = await ArqQueue.connect(settings.redis_url)
        app.state.queue = queue
    try:
        yield
    finally:
        await queue.close()
        await dispose_engine()


class BodySizeLimit:
    """Refuses bodies above FERRY_MAX_BODY_BYTES before the app reads them whole."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = get_settings().max_body_bytes
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _BodyTooLarge:
            await _too_large(limit)(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def _too_large(limit: int):  # type: ignore[no-untyped-def]
    return error_response(
        413, "payload_too_large", f"The request body is larger than {limit} bytes."
    )


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Ferry",
        version="0.1.0",
        summary="CRM migrations into Pipedrive",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_error_handlers(app)

    @app.get("/healthz", tags=["health"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(systems_router)
    app.include_router(connections_router)
    app.include_router(sessions_router)
    app.include_router(accounts_router)
    if settings.sandbox_enabled:
        app.include_router(sandbox_router)
        app.mount("/sandbox", SandboxDispatcher())
    app.add_middleware(BodySizeLimit)
    return app
