"""What one run of a session resolved in the target, kept with the session for its next run.

A long session hands over every FERRY_CHUNK_SECONDS. Without this, every run read again the
target's field lists (to match the custom fields) and `users/me` (the default owner): 42
tokens a hand-over for nothing. What is kept, and why it is safe to keep:
- the field mapping (source field -> Pipedrive field key, type, option ids), as the first load
  run resolved it: a session in one run keeps it for its whole run too. A field still to be
  found or created (none, once resolved) is only ever looked for in a list read afresh, so no
  stale list ever makes a field twice;
- the token's user and whether it is an admin's: they do not change within a session;
- the labels known by name: those exist and keep their ids; one still to make is looked for
  in a fresh read first (see adapters/pipedrive/labels.py).
A resumed session is a new session and resolves everything afresh.
"""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import Entity
from adapters.core.protocols import TargetField
from app.models import MigrationSession

Fields = dict[tuple[Entity, str], TargetField]


def _state(session: MigrationSession) -> dict[str, Any]:
    return dict(session.handover_state or {})


def kept_fields(session: MigrationSession) -> Fields | None:
    """The field mapping an earlier run resolved, or None when none has yet."""
    kept = _state(session).get("fields")
    if kept is None:
        return None
    return {
        (Entity(f["entity"]), str(f["source_key"])): TargetField(
            key=str(f["key"]),
            field_type=str(f["field_type"]),
            option_ids={str(k): int(v) for k, v in (f.get("option_ids") or {}).items()},
        )
        for f in kept
    }


def keep_fields(session: MigrationSession, fields: Fields) -> None:
    """Saved with the next commit."""
    listed = [
        {
            "entity": entity.value,
            "source_key": source_key,
            "key": field.key,
            "field_type": field.field_type,
            "option_ids": dict(field.option_ids),
        }
        for (entity, source_key), field in fields.items()
    ]
    session.handover_state = {**_state(session), "fields": listed}


def kept_target(session: MigrationSession) -> dict[str, Any]:
    return dict(_state(session).get("target") or {})


def keep_target(session: MigrationSession, target_state: dict[str, Any]) -> None:
    """Saved with the next commit; only assigned when it changed (a JSON column's update)."""
    if _state(session).get("target") != target_state:
        session.handover_state = {**_state(session), "target": target_state}


def keep_pace(
    session: MigrationSession, daily_left: int | None, per_second: float | None = None
) -> None:
    """The target's daily budget left as the last answer said it, the most it was seen at
    (a day's budget, as far as this session knows) and the requests a second its burst window
    allows, for the session's ETA."""
    if daily_left is None:
        return
    pace = dict(_state(session).get("pace") or {})
    kept = {
        "daily_left": daily_left,
        "daily_budget": max(daily_left, pace.get("daily_budget") or 0),
        "per_second": per_second or pace.get("per_second"),
    }
    if pace != kept:
        session.handover_state = {**_state(session), "pace": kept}
