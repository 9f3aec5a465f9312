"""The HTTP service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.accounts.endpoints import router as accounts_router
from app.config import get_settings
from app.connections.endpoints import router as connections_router
from app.db import dispose_engine
from app.docs import install_docs
from app.errors import install_error_handlers
from app.guards import RequestGuard
from app.idempotency import IdempotencyMiddleware
from app.ops.counters import start_counting, stop_counting
from app.ops.endpoints import router as ops_router
from app.ratelimit import install_limiter, uninstall_limiter
from app.sandbox.endpoints import router as sandbox_router
from app.sandbox.mount import SandboxDispatcher
from app.sessions.endpoints import router as sessions_router
from app.sessions.lifecycle import sweep_forever
from app.systems.endpoints import router as systems_router
from app.ui.endpoints import router as ui_router
from app.uploads.endpoints import router as uploads_router
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
        from workers.jobs import JOBS

        queue = InProcessQueue(JOBS)
    else:
        assert settings.redis_url
        queue = await ArqQueue.connect(settings.redis_url)
    app.state.queue = queue
    # Embedded: the sweep picks up what the last process left and watches for sessions nothing
    # works on. Distributed: the workers' cron does that too; the API's sweep also ends
    # cancelled sessions when no worker is alive at all. Sweeps are safe side by side.
    sweeper = asyncio.create_task(sweep_forever(queue))
    # Vendor calls made here (connection checks; every call in embedded mode), for /metrics.
    flusher = start_counting(queue.pool if isinstance(queue, ArqQueue) else None)
    # One rate window per token and one budget per company, shared by every session (Redis).
    install_limiter(queue.pool if isinstance(queue, ArqQueue) else None)
    try:
        yield
    finally:
        uninstall_limiter()
        sweeper.cancel()
        await stop_counting(flusher)
        await queue.close()
        await dispose_engine()


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Ferry",
        version="0.1.0",
        summary="CRM migrations into Pipedrive",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # app/docs serves Swagger UI from the package, not from a CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    install_docs(app)

    @app.get("/healthz", tags=["health"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(systems_router)
    app.include_router(connections_router)
    app.include_router(sessions_router)
    app.include_router(uploads_router)
    app.include_router(accounts_router)
    app.include_router(ops_router)
    app.include_router(ui_router)
    if settings.sandbox_enabled:
        app.include_router(sandbox_router)
        app.mount("/sandbox", SandboxDispatcher())
    # Inside the guard: a replayed answer is for a body the guard has checked.
    app.add_middleware(IdempotencyMiddleware)
    # Outermost of ours: nothing in the app reads a body or a string the guard has not seen.
    app.add_middleware(RequestGuard)
    return app
