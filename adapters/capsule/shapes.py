"""What the Capsule source and its emulator share: ids, field types, task categories, and the
conversion of a task's due time, which Capsule keeps in its owner's time zone.

Vendor facts (developer.capsulecrm.com/v2, models `task`, `user`, `field_definition`):
- `Task.dueOn` is a date and `Task.dueTime` a time "in the user's timezone, and not UTC";
  the owner's zone is `User.timezone` (an IANA name), and `GET /tasks?embed=owner` embeds it.
- Custom field types are text, date, list, boolean, number and link; a list holds one option.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from adapters.core.canonical import FieldType

# Capsule's field types -> the canonical ones. boolean and link have no faithful canonical
# home (a link is a URL template, not a value), so the source reports them as skipped.
FIELD_TYPES: dict[str, FieldType] = {
    "text": FieldType.text,
    "number": FieldType.double,
    "date": FieldType.date,
    "list": FieldType.enum,
}

# Task categories are free names per account; the usual ones map to activity types.
CATEGORY_TYPES: dict[str, str] = {
    "call": "call",
    "meeting": "meeting",
    "email": "email",
    "deadline": "deadline",
    "lunch": "lunch",
}


def utc_due(day: str, at: str | None, zone: str | None) -> tuple[str, str | None]:
    """A task's (dueOn, dueTime) in its owner's zone -> ("YYYY-MM-DD", "HH:MM") in UTC. A task
    without a time is all-day: its date is kept as written."""
    if not at:
        return day, None
    local = datetime.combine(date.fromisoformat(day), time.fromisoformat(at))
    moment = local.replace(tzinfo=ZoneInfo(zone or "UTC")).astimezone(UTC)
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M")


def local_due(day: str, at: str | None, zone: str) -> tuple[str, str | None]:
    """The inverse of `utc_due`: a UTC due date and time as Capsule stores them."""
    if not at:
        return day, None
    moment = datetime.combine(date.fromisoformat(day), time.fromisoformat(at), tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
