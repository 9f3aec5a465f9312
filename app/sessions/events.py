"""A session's live events as Server-Sent Events: `progress`, `phase`, `warning` and `end`.

Worker processes drive the session, so the stream reads it from the database every
POLL_SECONDS and sends what changed. Each event's id is `<sequence>-<warnings sent>`: a client
that reconnects with `Last-Event-ID` gets the current progress again but no warning twice.
FastAPI's stream itself sends a `: ping` comment when nothing was sent for 15 seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi.sse import ServerSentEvent

from app.db import sessionmaker
from app.models import MigrationSession
from app.sessions.schemas import TERMINAL_STATUSES, ProgressEvent, SessionOut
from app.sessions.views import session_out

POLL_SECONDS = 0.5
RETRY_MS = 2000  # how soon a browser reconnects after losing the stream


@dataclass
class _Seen:
    """What this stream has told its client so far."""

    sequence: int = 0
    warnings: int = 0
    progress: str | None = None  # the last progress sent, without its eta (recomputed each poll)
    phase: str | None = None

    @classmethod
    def resumed_from(cls, last_event_id: str | None) -> _Seen:
        sequence, _, warnings = (last_event_id or "").partition("-")
        if not (sequence.isdigit() and warnings.isdigit()):
            return cls()
        return cls(sequence=int(sequence), warnings=int(warnings))

    def event(self, name: str, data: object) -> ServerSentEvent:
        self.sequence += 1
        return ServerSentEvent(
            event=name, data=data, id=f"{self.sequence}-{self.warnings}", retry=RETRY_MS
        )


async def session_events(
    session_id: str, last_event_id: str | None
) -> AsyncIterator[ServerSentEvent]:
    """Until the session ends: its changes, then `end` with the final session object."""
    seen = _Seen.resumed_from(last_event_id)
    first = True
    while True:
        current = await _read(session_id)
        if current is None:  # deleted with its account meanwhile
            return
        if first and current.status in TERMINAL_STATUSES:
            seen.warnings = len(current.warnings)  # already over: the end says them all
        first = False
        for event in _changes(current, seen):
            yield event
        if current.status in TERMINAL_STATUSES:
            yield seen.event("end", current)
            return
        await asyncio.sleep(POLL_SECONDS)


async def _read(session_id: str) -> SessionOut | None:
    # A short database session per poll: a stream holds no connection while it waits.
    async with sessionmaker()() as db:
        session = await db.get(MigrationSession, session_id)
        return await session_out(db, session) if session is not None else None


def _changes(current: SessionOut, seen: _Seen) -> list[ServerSentEvent]:
    events = []
    if current.phase is not None and current.phase != seen.phase:
        seen.phase = current.phase
        events.append(seen.event("phase", {"phase": current.phase}))
    for message in current.warnings[seen.warnings :]:
        seen.warnings += 1
        events.append(seen.event("warning", {"message": message}))
    progress = _progress(current)
    unchanged = progress.model_dump_json(exclude={"eta"})
    if unchanged != seen.progress:
        seen.progress = unchanged
        events.append(seen.event("progress", progress))
    return events


def _progress(current: SessionOut) -> ProgressEvent:
    return ProgressEvent(
        id=current.id,
        status=current.status,
        phase=current.phase,
        percent=current.percent,
        eta=current.eta,
        paused_until=current.paused_until,
        progress=current.progress,
    )
