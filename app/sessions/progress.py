"""How far a session is and when it should end: `percent` and `eta` from its per-entity counts.

Every record is read once and, unless the session only previews, written once. Reading goes by
pages of hundreds while writing takes a request per record, so a record's read counts for
EXTRACT_SHARE of its work and its write for the rest. The ETA applies the rate so far (work done
per second since the session started) to the work left. A later issue may refine both with the
target's rate window and token budget; everything that decides them lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from app.models import MigrationSession, SessionEntity
from app.sessions.schemas import TERMINAL_STATUSES, SessionStatus

EXTRACT_SHARE = 0.2
FINISHED_WELL = frozenset({SessionStatus.completed, SessionStatus.completed_with_errors})


def writes(session: MigrationSession) -> bool:
    """A preview reads and writes nothing: reading is all of its work."""
    return session.mode != "preview"


def _finished(row: SessionEntity, writing: bool) -> bool:
    return bool(row.load_done) if writing else bool(row.extract_done)


def _total(row: SessionEntity) -> int | None:
    if row.total is not None:
        return row.total
    return row.extracted if row.extract_done else None


def entity_work(row: SessionEntity, writing: bool) -> tuple[float, int] | None:
    """(records' worth of work done, records to handle), or None while the total is unknown."""
    total = _total(row)
    if total is None:
        return None
    if _finished(row, writing):
        return float(total), total
    read = min(row.extracted, total)  # a sample reads more than it keeps
    if not writing:
        return float(read), total
    handled = min(row.loaded + row.skipped + row.failed + row.deleted, total)
    return EXTRACT_SHARE * read + (1 - EXTRACT_SHARE) * handled, total


def entity_percent(row: SessionEntity, writing: bool) -> float | None:
    work = entity_work(row, writing)
    if work is None:
        return None
    return _percent(*work, finished=_finished(row, writing))


def session_percent(session: MigrationSession, rows: Sequence[SessionEntity]) -> float | None:
    if SessionStatus(session.status) in FINISHED_WELL:
        return 100.0
    writing = writes(session)
    works = [entity_work(row, writing) for row in rows]
    if any(work is None for work in works):
        return None
    done = sum(work[0] for work in works if work)
    total = sum(work[1] for work in works if work)
    return _percent(done, total, finished=all(_finished(row, writing) for row in rows))


def _percent(done: float, total: int, *, finished: bool) -> float:
    if finished:
        return 100.0
    if total <= 0:
        return 0.0
    # Never 100 before the end: rounding 99.96 up would promise what is not done yet.
    return min(round(100.0 * done / total, 1), 99.9)


def eta(session: MigrationSession, percent: float | None, now: datetime) -> datetime | None:
    """From the rate so far; a session paused for the target's budget resumes first."""
    if SessionStatus(session.status) in TERMINAL_STATUSES or session.started_at is None:
        return None
    if percent is None or percent <= 0:
        return None
    elapsed = max((now - session.started_at).total_seconds(), 0.0)
    left = timedelta(seconds=elapsed * (100.0 - percent) / percent)
    resumes_at = max(now, session.paused_until) if session.paused_until else now
    return (resumes_at + left).replace(microsecond=0)
