"""What the templates show of a session, worked out once here: ferry.js formats the session's
live events the same way (keep the two in step)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.core.registry import get_system
from app.sessions.resume import RESUMABLE
from app.sessions.schemas import TERMINAL_STATUSES, WRITING_MODES, SessionOut


def session_view(session: SessionOut, now: datetime | None = None) -> dict[str, Any]:
    ended = session.status in TERMINAL_STATUSES
    return {
        "id": session.id,
        "title": _title(session),
        "mode": session.mode.value,
        "undoes": session.undoes,
        "resumes": session.resumes,
        "status": session.status.value,
        "status_label": status_label(session.status.value),
        "phase_text": session.phase or "",
        "live": not ended,
        "events_url": f"/v1/sessions/{session.id}/events",
        "percent": session.percent,
        "percent_text": percent_text(session.percent),
        "eta_text": eta_text(session.eta, ended, now, session.paused_until),
        "entities": [_entity_row(name, p.model_dump()) for name, p in session.progress.items()],
        "source": session.source,
        "target": session.target,
        "created_at": session.created_at.isoformat(),
        "created_text": moment_text(session.created_at),
        "started_text": moment_text(session.started_at),
        "finished_text": moment_text(session.finished_at),
        "paused_text": moment_text(session.paused_until),
        "tokens_spent": session.tokens_spent,
        "error": session.error,
        "warnings": session.warnings,
        "webhook_url": session.webhook_url,
        "webhook_status": session.webhook_status,
        "can_cancel": not ended,
        "can_resume": session.status in RESUMABLE and session.mode in WRITING_MODES,
        "can_undo": ended and session.mode in WRITING_MODES,
    }


def _title(session: SessionOut) -> str:
    title = f"{system_name(session.source.system)} → {system_name(session.target.system)}"
    return title if session.mode.value == "full" else f"{title} ({session.mode.value})"


def system_name(system_id: str) -> str:
    system = get_system(system_id)
    return system.name if system else system_id


def _entity_row(name: str, progress: dict[str, Any]) -> dict[str, Any]:
    percent = progress.get("percent")
    return {
        "name": name,
        "percent": percent,
        "percent_text": percent_text(percent),
        "counts_text": counts_text(progress),
        # Per entity, the page estimates from the rate it watches live (ferry.js).
        "eta_text": "done" if percent is not None and percent >= 100 else "",
        **{
            key: progress.get(key) or 0
            for key in ("created", "updated", "matched", "skipped", "failed")
        },
    }


def status_label(status: str) -> str:
    return status.replace("_", " ")


def percent_text(percent: float | None) -> str:
    return "—" if percent is None else f"{percent:.1f} %"


def counts_text(progress: dict[str, Any]) -> str:
    text = f"{progress.get('extracted') or 0} read · {progress.get('loaded') or 0} written"
    total = progress.get("total")
    return text if total is None else f"{text} of {total}"


def eta_text(
    eta: datetime | None,
    ended: bool,
    now: datetime | None = None,
    paused_until: datetime | None = None,
) -> str:
    if ended:
        return ""
    if paused_until is not None:  # Pipedrive's daily budget is spent: it goes on by itself
        return f"paused until {moment_text(paused_until)}"
    if eta is None:
        return "ETA unknown"
    seconds = (_aware(eta) - (now or datetime.now(UTC))).total_seconds()
    return "any moment now" if seconds < 1 else f"about {duration_text(seconds)} left"


def duration_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def moment_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return _aware(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time Ferry stores is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
