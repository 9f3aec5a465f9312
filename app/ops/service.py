"""Readiness checks and the figures /metrics shows, gathered at scrape time."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select, text

from app.config import get_settings
from app.db import sessionmaker
from app.errors import FerryError, Unauthorized
from app.models import MigrationSession, SessionEntity
from app.ops import counters
from app.sessions.schemas import SessionStatus
from workers.queue import ArqQueue, JobQueue

CHECK_TIMEOUT = 3.0  # seconds; a dependency slower than this is not ready
# The columns of session_entities that say what became of a record.
OUTCOMES = ("created", "updated", "matched", "unchanged", "skipped", "failed", "deleted")


class NotReady(FerryError):
    status_code = 503
    code = "not_ready"


# --- readiness -----------------------------------------------------------------------------


async def readiness(queue: JobQueue) -> dict[str, str]:
    """Each dependency checked ("ok"), or NotReady naming those that failed."""
    checks = {
        "database": await _check(_ping_database),
        "queue": await _check(queue.ping),
    }
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        what = " and ".join(f"the {name} ({checks[name]})" for name in failed)
        raise NotReady(f"Not ready: {what}.", details={"checks": checks})
    return checks


async def _check(probe: Callable[[], Awaitable[object]]) -> str:
    # Only the exception's type is told: messages may name hosts, users or URLs.
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await probe()
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT:.0f} s"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return f"failed: {type(exc).__name__}"
    return "ok"


async def _ping_database() -> None:
    async with sessionmaker()() as db:
        await db.execute(text("SELECT 1"))


# --- metrics -------------------------------------------------------------------------------


@dataclass
class Figures:
    sessions: dict[str, int] = field(default_factory=dict)  # status -> sessions
    records: dict[tuple[str, str], int] = field(default_factory=dict)  # (entity, outcome)
    calls: dict[tuple[str, int], int] = field(default_factory=dict)  # (system, status)
    tokens_spent: int = 0
    queue_depth: int = 0


def check_metrics_token(authorization: str | None) -> None:
    """With FERRY_METRICS_TOKEN set, a scrape must send it as a bearer token."""
    token = get_settings().metrics_token
    if not token:
        return
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
        raise Unauthorized(
            "Send the metrics token (FERRY_METRICS_TOKEN) as 'Authorization: Bearer <token>'.",
            code="invalid_metrics_token",
        )


async def gather(queue: JobQueue) -> Figures:
    figures = Figures(calls=await _vendor_calls(queue), queue_depth=await queue.depth())
    async with sessionmaker()() as db:
        by_status = await db.execute(
            select(MigrationSession.status, func.count()).group_by(MigrationSession.status)
        )
        figures.sessions = {status.value: 0 for status in SessionStatus}
        figures.sessions.update({status: count for status, count in by_status.tuples()})
        sums = [func.coalesce(func.sum(getattr(SessionEntity, name)), 0) for name in OUTCOMES]
        rows = await db.execute(select(SessionEntity.entity, *sums).group_by(SessionEntity.entity))
        for entity, *values in rows.tuples():
            for outcome, value in zip(OUTCOMES, values, strict=True):
                figures.records[(entity, outcome)] = int(value)
        tokens = await db.scalar(select(func.coalesce(func.sum(MigrationSession.tokens_spent), 0)))
        figures.tokens_spent = int(tokens or 0)
    return figures


async def _vendor_calls(queue: JobQueue) -> dict[tuple[str, int], int]:
    if isinstance(queue, ArqQueue):  # distributed: every process's counts meet in Redis
        return await counters.shared_counts(queue.pool)
    return counters.CALLS.counts()
