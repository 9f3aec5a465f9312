"""Small getters that say where a canonical field sits in a vendor's record.

A mapping is `{canonical field: getter}`; a getter is a dotted path ("owner.id") or a function of
the raw record. The helpers here build the functions most vendors need (ids as strings, names
joined, contact points, times in UTC), so a source's mapping reads as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.core.canonical import ContactPoint
from adapters.core.paginators import dig

Raw = dict[str, Any]
Getter = str | Callable[[Raw], Any]


def value_at(raw: Raw, getter: Getter) -> Any:
    return getter(raw) if callable(getter) else dig(raw, getter)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def ident(value: Any) -> str | None:
    """An id as a string; linked objects ({"id": ...}) give their id; blanks give None."""
    if isinstance(value, dict):
        value = value.get("id", value.get("value"))
    if _blank(value) or isinstance(value, bool):
        return None
    return str(value)


def ref(getter: Getter) -> Callable[[Raw], str | None]:
    return lambda raw: ident(value_at(raw, getter))


def text(getter: Getter) -> Callable[[Raw], str | None]:
    def read(raw: Raw) -> str | None:
        value = value_at(raw, getter)
        return None if _blank(value) else str(value)

    return read


def number(getter: Getter) -> Callable[[Raw], float | None]:
    def read(raw: Raw) -> float | None:
        value = value_at(raw, getter)
        if _blank(value) or isinstance(value, bool):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    return read


def const(value: Any) -> Callable[[Raw], Any]:
    return lambda raw: value


def first(*getters: Getter) -> Callable[[Raw], Any]:
    """The first getter that finds something."""

    def read(raw: Raw) -> Any:
        for getter in getters:
            value = value_at(raw, getter)
            if not _blank(value):
                return value
        return None

    return read


def joined(*getters: Getter, sep: str = " ") -> Callable[[Raw], str]:
    """Parts joined, blanks left out: a full name from first and last name."""

    def read(raw: Raw) -> str:
        parts = [value_at(raw, g) for g in getters]
        return sep.join(str(p).strip() for p in parts if not _blank(p) and str(p).strip())

    return read


def lookup(getter: Getter, table: Mapping[Any, Any], default: Any = None) -> Callable[[Raw], Any]:
    """A vendor code translated through a table (e.g. a status to open/won/lost)."""
    return lambda raw: table.get(value_at(raw, getter), default)


def contact_points(
    *getters: Getter,
    value_key: str = "value",
    label_key: str | None = "label",
    default_label: str = "work",
    labels: Mapping[str, str] | None = None,
) -> Callable[[Raw], list[ContactPoint]]:
    """Emails or phones from plain strings, lists of strings, or lists of objects. The first
    one found is primary unless the objects say otherwise. `labels` renames vendor labels."""

    def read(raw: Raw) -> list[ContactPoint]:
        points: list[ContactPoint] = []
        for getter in getters:
            points += _points(value_at(raw, getter), value_key, label_key, default_label, labels)
        if points and not any(p.primary for p in points):
            points[0].primary = True
        return points

    return read


def _points(
    value: Any,
    value_key: str,
    label_key: str | None,
    default_label: str,
    labels: Mapping[str, str] | None,
) -> list[ContactPoint]:
    items: Iterable[Any] = value if isinstance(value, list) else [value]
    points = []
    for item in items:
        if isinstance(item, dict):
            found = item.get(value_key)
            label = (item.get(label_key) if label_key else None) or default_label
            primary = bool(item.get("primary") or item.get("is_primary"))
        else:
            found, label, primary = item, default_label, False
        if _blank(found):
            continue
        label = str(label).lower()
        label = (labels or {}).get(label, label)
        points.append(ContactPoint(value=str(found), label=label, primary=primary))
    return points


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time (with `Z`, an offset, or none: taken as UTC), or epoch seconds/millis."""
    if _blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10_000_000_000 else value
        return datetime.fromtimestamp(seconds, UTC)
    text_value = str(value).strip().replace(" ", "T", 1)
    if text_value.endswith("Z"):
        text_value = text_value[:-1] + "+00:00"
    if len(text_value) > 5 and text_value[-5] in "+-" and text_value[-3] != ":":
        text_value = text_value[:-2] + ":" + text_value[-2:]  # +0000 -> +00:00
    try:
        parsed = datetime.fromisoformat(text_value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def utc_time(getter: Getter) -> Callable[[Raw], str | None]:
    """An RFC 3339 UTC timestamp, "YYYY-MM-DDTHH:MM:SSZ"."""

    def read(raw: Raw) -> str | None:
        parsed = parse_time(value_at(raw, getter))
        return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else None

    return read


def utc_date(getter: Getter) -> Callable[[Raw], str | None]:
    """The UTC date of a timestamp, or a plain date as it is."""

    def read(raw: Raw) -> str | None:
        value = value_at(raw, getter)
        if isinstance(value, str) and len(value) == 10:
            return value
        parsed = parse_time(value)
        return parsed.strftime("%Y-%m-%d") if parsed else None

    return read


def utc_hhmm(getter: Getter) -> Callable[[Raw], str | None]:
    """The UTC time of day of a timestamp, "HH:MM"; None for a date without a time."""

    def read(raw: Raw) -> str | None:
        value = value_at(raw, getter)
        if isinstance(value, str) and len(value) == 10:
            return None
        parsed = parse_time(value)
        return parsed.strftime("%H:%M") if parsed else None

    return read


def minutes_hhmm(getter: Getter, unit_seconds: int = 60) -> Callable[[Raw], str | None]:
    """A duration in minutes (or another unit) as "HH:MM"."""

    def read(raw: Raw) -> str | None:
        value = value_at(raw, getter)
        if _blank(value) or isinstance(value, bool):
            return None
        try:
            minutes = int(float(value) * unit_seconds // 60)
        except (TypeError, ValueError):
            return None
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return read


def between(start: Getter, end: Getter) -> Callable[[Raw], str | None]:
    """The length from one timestamp to another as "HH:MM" (a meeting's start and end); None
    when either is missing or the end is not after the start."""

    def read(raw: Raw) -> str | None:
        since, until = parse_time(value_at(raw, start)), parse_time(value_at(raw, end))
        if since is None or until is None or until <= since:
            return None
        minutes = int((until - since).total_seconds() // 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return read


def unless(condition: Getter, getter: Getter) -> Callable[[Raw], Any]:
    """`getter`'s value, or None where `condition` holds (no time of day for a timeless task)."""
    return lambda raw: None if value_at(raw, condition) else value_at(raw, getter)


def nth_ref(path: str, index: int = 0) -> Callable[[Raw], str | None]:
    """The id of the item at `index` of a list of linked objects (an embedded `contacts[]`)."""

    def read(raw: Raw) -> str | None:
        items = value_at(raw, path)
        return ident(items[index]) if isinstance(items, list) and len(items) > index else None

    return read


def columns(*pairs: tuple[str, str]) -> Callable[[Raw], list[ContactPoint]]:
    """Contact points from fixed columns, as (column, label) pairs (`businessPhone`, "work"): the
    first one filled is the primary."""

    def read(raw: Raw) -> list[ContactPoint]:
        found = [(str(raw[c]), label) for c, label in pairs if not _blank(raw.get(c))]
        return [
            ContactPoint(value=v, label=label, primary=i == 0) for i, (v, label) in enumerate(found)
        ]

    return read
