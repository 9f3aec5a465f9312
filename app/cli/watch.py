"""Watching a session until it ends: a live view with a bar per entity and an ETA on a terminal,
a line per change otherwise (logs, CI), and the exit code of how it ended."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from app.cli.api import Api, CliFailure
from app.cli.exits import SESSION_EXIT, ExitCode
from app.cli.output import console

TERMINAL = frozenset(SESSION_EXIT)
POLL_SECONDS = 0.7
STATUS_STYLE = {
    "completed": "green",
    "completed_with_errors": "yellow",
    "failed": "red",
    "cancelled": "magenta",
}


def entity_counts(progress: dict[str, Any]) -> tuple[int, int | None]:
    """(records done, records expected); expected is None while the source has not said."""
    done = progress["loaded"] + progress["skipped"] + progress["failed"]
    total = progress.get("total")
    if total is None and progress.get("extracted"):
        total = progress["extracted"]  # counted as read: a floor, not the end
    return (min(done, total) if total is not None else done), total


def entity_percent(progress: dict[str, Any]) -> float | None:
    if progress.get("percent") is not None:  # the server's own figure, when it gives one
        return float(progress["percent"])
    done, total = entity_counts(progress)
    if not total:
        return None
    return 100.0 * done / total


def eta_text(session: dict[str, Any]) -> str | None:
    """The server's `eta` (a time or seconds), as time left; None when it gives none."""
    eta = session.get("eta")
    if eta is None or session["status"] in TERMINAL:
        return None
    if isinstance(eta, int | float):
        seconds = float(eta)
    else:
        try:
            moment = datetime.fromisoformat(str(eta).replace("Z", "+00:00"))
        except ValueError:
            return str(eta)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - datetime.now(UTC)).total_seconds()
    return duration(max(seconds, 0))


def duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def headline(session: dict[str, Any]) -> Text:
    status = session["status"]
    text = Text(f"session {session['id']}  ")
    text.append(status, style=STATUS_STYLE.get(status, "cyan"))
    text.append(f"  {session['mode']}")
    if session.get("phase") and status not in TERMINAL:
        text.append(f"  {session['phase']}")
    if session.get("percent") is not None:
        text.append(f"  {float(session['percent']):.0f}%")
    eta = eta_text(session)
    if eta:
        text.append(f"  ETA {eta}")
    if session.get("paused_until") and status == "running":
        text.append(f"  paused until {session['paused_until']}", style="yellow")
    return text


def session_view(session: dict[str, Any]) -> RenderableType:
    table = Table(box=None, show_header=False, pad_edge=False)
    for column in ("entity", "bar", "count", "percent", "failed"):
        table.add_column(column, justify="right" if column in ("count", "percent") else "left")
    for entity, progress in session["progress"].items():
        done, total = entity_counts(progress)
        percent = entity_percent(progress)
        # The bar follows the percent (the server's weighs reading and writing), else the counts.
        bar = ProgressBar(total=100.0, completed=percent or 0.0, width=30)
        table.add_row(
            entity,
            bar,
            f"{done}/{total if total is not None else '?'}",
            f"{percent:.0f}%" if percent is not None else "",
            f"{progress['failed']} failed" if progress["failed"] else "",
        )
    parts: list[RenderableType] = [headline(session), table]
    if session.get("error"):
        error = session["error"]
        parts.append(Text(f"{error['code']}: {error['message']}", style="red"))
    return Group(*parts)


def counts_line(session: dict[str, Any]) -> str:
    counts = []
    for entity, progress in session["progress"].items():
        done, total = entity_counts(progress)
        counts.append(f"{entity} {done}/{total if total is not None else '?'}")
    return ", ".join(counts)


def watch(api: Api, session_id: str) -> dict[str, Any]:
    """Polls the session until it ends and returns it as it ended."""
    session = api.get(f"/v1/sessions/{session_id}")
    try:
        if console.is_terminal:
            with Live(session_view(session), console=console, refresh_per_second=4) as live:
                while session["status"] not in TERMINAL:
                    time.sleep(POLL_SECONDS)  # pacing the polls, not waiting for a result
                    session = api.get(f"/v1/sessions/{session_id}")
                    live.update(session_view(session))
        else:
            session = _watch_lines(api, session)
    except KeyboardInterrupt:
        raise CliFailure(
            f"stopped watching; the session goes on (ferry sessions watch {session_id}, "
            f"or ferry sessions cancel {session_id})",
            ExitCode.INTERRUPTED,
        ) from None
    return session


def _watch_lines(api: Api, session: dict[str, Any]) -> dict[str, Any]:
    last: tuple[str, str | None, str] | None = None
    while True:
        # A line when the status, phase or a count moves (the ETA alone ticking is not news).
        now = (session["status"], session.get("phase"), counts_line(session))
        if now != last:
            console.print(f"{headline(session).plain}  {now[2]}", markup=False)
            last = now
        if session["status"] in TERMINAL:
            console.print(session_view(session))
            return session
        time.sleep(POLL_SECONDS)
        session = api.get(f"/v1/sessions/{session['id']}")


def exit_code(session: dict[str, Any]) -> ExitCode:
    return SESSION_EXIT.get(session["status"], ExitCode.COMPLETED)
