"""What one run of a session's pipeline works with."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.core.protocols import SourceAdapter, TargetAdapter
from app.models import MigrationSession, SessionEntity
from app.sessions.lifecycle import Cancelled, ChunkEnded

__all__ = ["Cancelled", "ChunkEnded", "RunContext"]


@dataclass
class RunContext:
    db: AsyncSession
    session: MigrationSession
    source: SourceAdapter
    target: TargetAdapter
    deadline: float  # time.monotonic() after which the run hands over
    _last_cancel_check: float = field(default=0.0)

    async def checkpoint(self) -> None:
        """Called between units of work: stop if cancelled, hand over if the chunk is used up.
        The cancel flag is re-read at most once a second (it is set by the API process)."""
        now = time.monotonic()
        if now - self._last_cancel_check >= 1.0:
            self._last_cancel_check = now
            flag = await self.db.scalar(
                select(MigrationSession.cancel_requested).where(
                    MigrationSession.id == self.session.id
                )
            )
            if flag:
                raise Cancelled
        if now >= self.deadline:
            raise ChunkEnded

    async def progress(self, entity: str) -> SessionEntity:
        row = await self.db.get(SessionEntity, (self.session.id, entity))
        assert row is not None
        return row
