"""How far a session is and when it should end: `percent` and `eta` from its per-entity counts.

Every record is read once and, unless the session only previews, written once. Reading goes by
pages of hundreds while writing takes a request per record, so a record's read counts for
EXTRACT_SHARE of its work and its write for the rest. The ETA applies the rate so far (work done
per second since the session started) to the work left, never faster than the target's burst
window lets the writes left go, and counts the tokens left against the daily budget left (past
it, the rest waits for the budget's resets); the preview states its duration at the window and
its days of budget with the same `estimate`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

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


@dataclass(frozen=True)
class Estimate:
    """How long work takes given both of Pipedrive's limits: `seconds` of requests at the pace
    (the rate window's, or the session's own so far), `budget_days` of the daily token budget,
    and when it is done: past the budget left today, the rest waits for the resets (midnight
    UTC), a day's budget at a time."""

    seconds: float
    budget_days: float
    done_at: datetime


def estimate(
    start: datetime, seconds: float, tokens: int, budget_left: int | None, daily_budget: int
) -> Estimate:
    """The one estimate of the session's ETA and the preview's report."""
    daily = max(daily_budget, 1)
    days = tokens / daily
    if budget_left is None or tokens <= budget_left or tokens <= 0:
        return Estimate(seconds, days, start + timedelta(seconds=seconds))
    over = tokens - budget_left
    resets = math.ceil(over / daily)  # resets to wait for; the last one's day does the rest
    last_day_share = (over - (resets - 1) * daily) / tokens
    midnight = datetime.combine(start.date() + timedelta(days=resets), time(), tzinfo=UTC)
    done = midnight + timedelta(seconds=seconds * last_day_share)
    return Estimate(seconds, days, done)


def eta(
    session: MigrationSession,
    percent: float | None,
    now: datetime,
    rows: Sequence[SessionEntity] = (),
) -> datetime | None:
    """From the rate so far, no faster than the burst window allows the writes left, and the
    target's daily budget left (as the run last saw it): the tokens still to spend at the
    session's cost per record so far; a session paused for the budget resumes first."""
    if SessionStatus(session.status) in TERMINAL_STATUSES or session.started_at is None:
        return None
    if percent is None or percent <= 0:
        return None
    started = _aware(session.started_at)
    elapsed = max((now - started).total_seconds(), 0.0)
    seconds = elapsed * (100.0 - percent) / percent
    resumes_at = max(now, _aware(session.paused_until)) if session.paused_until else now
    pace = dict((session.handover_state or {}).get("pace") or {})
    left, daily = pace.get("daily_left"), int(pace.get("daily_budget") or 0)
    writes_left = _writes_left(rows) if writes(session) else 0
    per_second = pace.get("per_second")
    if isinstance(per_second, int | float) and per_second > 0:
        seconds = max(seconds, writes_left / per_second)
    tokens = _tokens_left(session, rows, writes_left)
    # Paused: it resumes with a fresh day's budget; unknown: the budget is not counted.
    known = not session.paused_until and isinstance(left, int) and daily > 0
    budget_left = left if known else None
    return estimate(resumes_at, seconds, tokens, budget_left, daily or 1).done_at.replace(
        microsecond=0
    )


def _handled(rows: Sequence[SessionEntity]) -> int:
    return sum(r.loaded + r.skipped + r.failed + r.deleted for r in rows)


def _writes_left(rows: Sequence[SessionEntity]) -> int:
    return max(sum(_total(r) or 0 for r in rows) - _handled(rows), 0)


def _tokens_left(session: MigrationSession, rows: Sequence[SessionEntity], writes_left: int) -> int:
    """Writes left at what each handled record has cost so far (5 a v2 write, 10 a note...)."""
    handled = _handled(rows)
    per_record = (session.tokens_spent or 0) / handled if handled else 5.0
    return round(writes_left * per_record)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
