"""Reading the text of a CSV cell as a number, a date, a time or a yes/no."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_NUMBER = re.compile(r"^[-+]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")
_CURRENCY_SIGNS = "$€£¥"
_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")  # 31.12.2024
_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")  # 12/31/2024
_EPOCH_MS = re.compile(r"^\d{12,13}$")
TRUE = frozenset({"true", "yes", "y", "1", "x", "done", "completed", "complete", "closed"})
FALSE = frozenset({"false", "no", "n", "0", "", "open", "pending", "not started"})


def number(text: str) -> float | None:
    """1234.5, 1,234.50, $1,234, -3: a float; None when the text is not a number."""
    cleaned = text.strip().strip(_CURRENCY_SIGNS).strip().replace(" ", "")
    if not _NUMBER.match(cleaned):
        return None
    return float(cleaned.replace(",", ""))


def moment(text: str) -> datetime | None:
    """An ISO 8601 date or date-time, 31.12.2024, 12/31/2024 or epoch milliseconds, in UTC
    (a date-time without a zone is taken as UTC); None when it is none of those."""
    value = text.strip()
    if not value:
        return None
    if _EPOCH_MS.match(value):
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    for pattern, order in ((_DMY, (3, 2, 1)), (_MDY, (3, 1, 2))):
        found = pattern.match(value)
        if found:
            try:
                y, m, d = (int(found.group(i)) for i in order)
                return datetime(y, m, d, tzinfo=UTC)
            except ValueError:
                return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def day(text: str) -> str | None:
    """The date of a cell as YYYY-MM-DD."""
    found = moment(text)
    return found.date().isoformat() if found else None


def rfc3339(text: str) -> str | None:
    found = moment(text)
    return found.isoformat().replace("+00:00", "Z") if found else None


def clock(text: str) -> str | None:
    """09:30, 9:30, 09:30:00, 9:30 PM: HH:MM."""
    value = text.strip().upper()
    found = re.match(r"^(\d{1,2}):(\d{2})(:\d{2})?\s*(AM|PM)?$", value)
    if not found:
        return None
    hours, minutes = int(found.group(1)), int(found.group(2))
    if found.group(4) == "PM" and hours < 12:
        hours += 12
    if found.group(4) == "AM" and hours == 12:
        hours = 0
    if hours > 23 or minutes > 59:
        return None
    return f"{hours:02d}:{minutes:02d}"


def yes(text: str) -> bool | None:
    folded = text.strip().casefold()
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    return None


def status(text: str) -> str | None:
    """A deal's status: won, lost or open (Closed Won, Won, Lost, Closed lost, Open...)."""
    folded = text.strip().casefold()
    if not folded:
        return "open"
    if "won" in folded:
        return "won"
    if "lost" in folded:
        return "lost"
    if folded in {"open", "active", "in progress", "pending"}:
        return "open"
    return None


def kind(text: str) -> str:
    """What a non-empty cell looks like: number, date or text."""
    if number(text) is not None:
        return "number"
    if moment(text) is not None and not _EPOCH_MS.match(text.strip()):
        return "date"
    return "text"
