"""Time in the emulator: one injectable clock (epoch seconds) and Pipedrive's time formats."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

Clock = Callable[[], float]

SECONDS_PER_DAY = 86_400


def rfc3339(epoch: float) -> str:
    """v2 timestamps: RFC 3339 in UTC with a `Z`, one format everywhere so that stored
    timestamps compare correctly as plain strings."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_rfc3339(text: str) -> str | None:
    """Parse an RFC 3339 timestamp and re-render it in the stored format; None if invalid."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if "T" not in text.upper() or parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def v1_time(stored: str) -> str:
    """v1 renders times as `YYYY-MM-DD HH:MM:SS` (UTC)."""
    return stored[:19].replace("T", " ")


def parse_v1_time(text: str) -> str | None:
    """v1 accepts `YYYY-MM-DD HH:MM:SS` (UTC); RFC 3339 is taken too. Returns the stored format."""
    try:
        parsed = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return normalize_rfc3339(text)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def seconds_until_utc_midnight(epoch: float) -> int:
    now = datetime.fromtimestamp(epoch, UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return max(1, math.ceil(midnight.timestamp() - epoch))


def utc_day(epoch: float) -> int:
    return int(epoch // SECONDS_PER_DAY)
