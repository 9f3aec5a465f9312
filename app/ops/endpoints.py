"""Operations: readiness for orchestrators and load balancers, Prometheus metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.deps import QueueDep
from app.errors import ErrorResponse
from app.ops import service
from app.ops.metrics import exposition
from app.ops.schemas import Readiness

router = APIRouter(tags=["health"])

_NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorResponse,
        "description": "A dependency does not answer (`not_ready`); `details.checks` says which",
    }
}
_METRICS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        "description": "Prometheus text exposition",
    },
    401: {
        "model": ErrorResponse,
        "description": "FERRY_METRICS_TOKEN is set and the request did not send it "
        "(`invalid_metrics_token`)",
    },
}


@router.get("/readyz", summary="Readiness", response_model=Readiness, responses=_NOT_READY)
async def readyz(queue: QueueDep) -> Readiness:
    """Whether this process can serve: the database answers `SELECT 1` and the queue answers
    (Redis `PING` in distributed mode, the in-process runner in embedded mode). No API key."""
    return Readiness(status="ready", checks=await service.readiness(queue))


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses=_METRICS,
)
async def metrics(
    queue: QueueDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """Sessions by status, records by entity and outcome, vendor calls by system and HTTP
    status, 429s by system, Pipedrive tokens spent, queue depth. Open unless
    FERRY_METRICS_TOKEN is set; then it takes `Authorization: Bearer <that token>`."""
    service.check_metrics_token(authorization)
    figures = await service.gather(queue)
    return Response(exposition(figures), media_type=CONTENT_TYPE_LATEST)
