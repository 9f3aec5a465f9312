"""Dates and times in the US display form some APIs answer in (an account's date format, not
ISO 8601): "1/5/2026" and "1:05 pm", or both as "1/5/2026 1:05 pm". `us_*` write that form
(for emulators), `iso_*` read it back (for sources), tolerant of what surrounds it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
TIME = re.compile(r"(\d{1,2}):(\d{2})\s*([ap]m)", re.I)


def us_date(day: str | None) -> str | None:
    """ "2026-01-05" (or the date of an ISO time) as "1/5/2026"."""
    if not day:
        return None
    year, month, date = day[:10].split("-")
    return f"{int(month)}/{int(date)}/{year}"


def us_time(hhmm: str | None) -> str | None:
    """ "13:05" as "1:05 pm"."""
    if not hhmm:
        return None
    hour, minute = (int(part) for part in hhmm.split(":")[:2])
    return f"{(hour % 12) or 12}:{minute:02d} {'am' if hour < 12 else 'pm'}"


def us_datetime(stamp: str | None) -> str | None:
    """An ISO 8601 time as "1/5/2026 1:05 pm" (in its own offset)."""
    if not stamp:
        return None
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return f"{us_date(moment.date().isoformat())} {us_time(moment.strftime('%H:%M'))}"


def iso_date(value: Any) -> str | None:
    """The "M/D/YYYY" a value starts with, as "YYYY-MM-DD"."""
    found = DATE.match(str(value or ""))
    return f"{found[3]}-{int(found[1]):02d}-{int(found[2]):02d}" if found else None


def iso_hhmm(value: Any) -> str | None:
    """The "h:mm am" in a value (alone or after a date), as "HH:MM" on 24 hours."""
    found = TIME.search(str(value or ""))
    if found is None:
        return None
    hour = int(found[1]) % 12 + (12 if found[3].lower() == "pm" else 0)
    return f"{hour:02d}:{found[2]}"


def iso_time(value: Any) -> str | None:
    """ "1/5/2026 1:05 pm" as "2026-01-05T13:05:00Z" (a date alone at midnight); the value
    is taken as UTC."""
    day = iso_date(value)
    return f"{day}T{iso_hhmm(value) or '00:00'}:00Z" if day else None


def hhmm_later(hhmm: str | None, duration: str | None) -> str | None:
    """ "HH:MM" a duration ("HH:MM") after a time of day, from 00:00 again past midnight."""
    if not hhmm or not duration:
        return None
    total = sum(int(t[:2]) * 60 + int(t[3:5]) for t in (hhmm, duration))
    return f"{total // 60 % 24:02d}:{total % 60:02d}"


def hhmm_between(start: Any, end: Any) -> str | None:
    """The length ("HH:MM") from one "h:mm am" to another (an earlier end is the next day's)."""
    since, until = iso_hhmm(start), iso_hhmm(end)
    if not since or not until:
        return None
    minutes = (int(until[:2]) - int(since[:2])) * 60 + int(until[3:]) - int(since[3:])
    return f"{minutes % 1440 // 60:02d}:{minutes % 60:02d}"
