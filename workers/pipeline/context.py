"""What one run of a session's pipeline works with."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.core.canonical import Entity
from adapters.core.protocols import SourceAdapter, TargetAdapter, TargetId
from app.ledger import service as ledger
from app.models import MigrationSession, RecordError, SessionEntity
from app.sessions.lifecycle import Cancelled, ChunkEnded
from workers.pipeline.handover import keep_pace, keep_target

__all__ = ["Cancelled", "ChunkEnded", "RunContext"]


@dataclass
class RunContext:
    db: AsyncSession
    session: MigrationSession
    source: SourceAdapter
    target: TargetAdapter
    deadline: float  # time.monotonic() after which the run hands over
    _last_cancel_check: float = field(default=0.0)
    _tokens_counted: int = field(default=0)
    _429s_counted: int = field(default=0)  # 429s this run's clients met, already counted
    # Target ids the ledger already links, per entity, read once per run and kept up to date.
    _taken: dict[Entity, set[TargetId]] = field(default_factory=dict)

    @property
    def pair(self) -> ledger.Pair:
        return ledger.pair_of(self.session)

    @property
    def plan(self) -> str:
        """full, sample or delta: what the session does, or for a preview what it previews."""
        return str((self.session.options or {}).get("plan") or self.session.mode)

    @property
    def merge(self) -> dict[str, Any] | None:
        """The merge options, or None when merging is off."""
        merge = (self.session.options or {}).get("merge")
        return merge if isinstance(merge, dict) else None

    async def taken(self, entity: Entity) -> set[TargetId]:
        if entity not in self._taken:
            self._taken[entity] = await ledger.taken(self.db, self.pair, entity)
        return self._taken[entity]

    async def checkpoint(self) -> None:
        """Called between units of work: stop if cancelled, hand over if the chunk is used up.
        The cancel flag is re-read at most once a second (it is set by the API process)."""
        self.count_tokens()
        now = time.monotonic()
        if now - self._last_cancel_check >= 1.0 or now >= self.deadline:
            self._last_cancel_check = now
            keep_target(self.session, self.target.kept_state())  # for the next run
            target = self.target
            keep_pace(self.session, target.daily_budget_left, target.window_requests_per_second)
            flag = await self.db.scalar(
                select(MigrationSession.cancel_requested).where(
                    MigrationSession.id == self.session.id
                )
            )
            if flag:
                raise Cancelled
        if now >= self.deadline:
            raise ChunkEnded

    def count_tokens(self) -> None:
        """Adds what the target's calls cost, and the 429s the source's and the target's calls
        met, since the last count to the session (saved with the next commit)."""
        spent = self.target.tokens_spent
        if spent != self._tokens_counted:
            self.session.tokens_spent = (self.session.tokens_spent or 0) + (
                spent - self._tokens_counted
            )
            self._tokens_counted = spent
        met = _rate_limited(self.source) + _rate_limited(self.target)
        if met != self._429s_counted:
            self.session.rate_limited = (self.session.rate_limited or 0) + met - self._429s_counted
            self._429s_counted = met

    def note(self, entity: str, source_id: str, stage: str, code: str, message: str) -> None:
        """A line in the session's errors about one record (saved with the next commit)."""
        self.db.add(
            RecordError(
                session_id=self.session.id,
                entity=entity,
                source_id=source_id,
                stage=stage,
                code=code,
                message=message[:2000],
            )
        )

    async def progress(self, entity: str) -> SessionEntity:
        row = await self.db.get(SessionEntity, (self.session.id, entity))
        assert row is not None
        return row


def _rate_limited(adapter: object) -> int:
    """The 429s an adapter's HTTP client met (adapters without one: none)."""
    stats = getattr(getattr(adapter, "client", None), "stats", None)
    met = getattr(stats, "rate_limited", 0)
    return met if isinstance(met, int) else 0
