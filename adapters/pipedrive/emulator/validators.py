"""Small composable checks for request bodies, as strict as v2 is: real booleans, no
string-to-number coercion, RFC 3339 timestamps, ids that exist.

A validator takes (value, state) and returns the value to store, or raises `Invalid`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from adapters.core.canonical import Entity
from adapters.pipedrive.emulator.clock import is_date, normalize_rfc3339, parse_v1_time

if TYPE_CHECKING:
    from adapters.pipedrive.emulator.state import AccountState

Validator = Callable[[Any, "AccountState"], Any]

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d))?$")


class Invalid(Exception):
    """A bad value; `path` says where inside the field it was (e.g. `[0].value`)."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def describe(self, field: str) -> str:
        return f"{field}{self.path}: {self.message}"


def string(value: Any, state: AccountState) -> str:
    if not isinstance(value, str):
        raise Invalid("must be a string")
    return value


def integer(value: Any, state: AccountState) -> int:
    # bool is an int in Python but not in JSON; v2 refuses it, and any float.
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("must be an integer")
    return value


def number(value: Any, state: AccountState) -> int | float:
    # Python's json reads NaN and Infinity, which are not JSON numbers.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid("must be a number")
    return value


def boolean(value: Any, state: AccountState) -> bool:
    if not isinstance(value, bool):
        raise Invalid("must be a boolean")
    return value


def date_string(value: Any, state: AccountState) -> str:
    if not isinstance(value, str) or not is_date(value):
        raise Invalid("must be a date in the format YYYY-MM-DD")
    return value


def timestamp(value: Any, state: AccountState) -> str:
    normalized = normalize_rfc3339(value) if isinstance(value, str) else None
    if normalized is None:
        raise Invalid("must be an RFC 3339 date-time, e.g. 2025-01-01T10:20:00Z")
    return normalized


def utc_datetime(value: Any, state: AccountState) -> str:
    """`YYYY-MM-DD HH:MM:SS` in UTC, the format the v2 spec gives `archive_time`; an RFC 3339
    time, the form v2 answers with and takes for its other times, is taken as well."""
    normalized = parse_v1_time(value) if isinstance(value, str) else None
    if normalized is None:
        raise Invalid("must be a date and time in the format YYYY-MM-DD HH:MM:SS (UTC)")
    return normalized


def time_of_day(value: Any, state: AccountState) -> str:
    """HH:MM or HH:MM:SS, stored as HH:MM:SS (the form v2 answers with)."""
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise Invalid("must be a time in the format HH:MM or HH:MM:SS")
    return f"{match.group(1)}:{match.group(2)}:{match.group(4) or '00'}"


def non_empty_string(value: Any, state: AccountState) -> str:
    if not string(value, state).strip():
        raise Invalid("cannot be an empty string")
    return value


def one_of(choices: Iterable[Any], base: Validator = string) -> Validator:
    allowed = tuple(choices)

    def check(value: Any, state: AccountState) -> Any:
        value = base(value, state)
        if value not in allowed:
            raise Invalid(f"must be one of: {', '.join(str(c) for c in allowed)}")
        return value

    return check


def nullable(base: Validator) -> Validator:
    def check(value: Any, state: AccountState) -> Any:
        return None if value is None else base(value, state)

    return check


def list_of(item: Validator) -> Validator:
    def check(value: Any, state: AccountState) -> list[Any]:
        if not isinstance(value, list):
            raise Invalid("must be an array")
        return [_at(f"[{i}]", item, element, state) for i, element in enumerate(value)]

    return check


def obj(
    properties: dict[str, Validator],
    *,
    required: Iterable[str] = (),
    defaults: dict[str, Any] | None = None,
    allow_unknown: bool = False,
) -> Validator:
    """An object with known keys (others refused unless `allow_unknown`, then kept as sent);
    `defaults` fills keys the caller left out."""
    required = tuple(required)

    def check(value: Any, state: AccountState) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid("must be an object")
        unknown = sorted(set(value) - set(properties))
        if unknown and not allow_unknown:
            raise Invalid(f"unknown field(s): {', '.join(unknown)}")
        for key in required:
            if value.get(key) is None:
                raise Invalid(f"{key} is required")
        result = dict(defaults or {})
        for key, element in value.items():
            known = properties.get(key)
            result[key] = element if known is None else _at(f".{key}", known, element, state)
        return result

    return check


def ref(entity: Entity, label: str) -> Validator:
    """The id of an existing record of `entity`."""

    def check(value: Any, state: AccountState) -> int:
        record_id = integer(value, state)
        if state.store(entity).get(record_id) is None:
            raise Invalid(f"{label} with id {record_id} does not exist")
        return record_id

    return check


def lead_ref(value: Any, state: AccountState) -> str:
    """A lead's id (a UUID string) that exists."""
    lead_id = string(value, state)
    if lead_id not in state.leads:
        raise Invalid(f"Lead with id {lead_id} does not exist")
    return lead_id


def user_ref(value: Any, state: AccountState) -> int:
    user_id = integer(value, state)
    if user_id not in state.users:
        raise Invalid(f"User with id {user_id} does not exist")
    return user_id


def activity_type(value: Any, state: AccountState) -> str:
    key = string(value, state)
    if key not in state.activity_type_keys():
        raise Invalid(f"activity type '{key}' does not exist")
    return key


def _at(segment: str, validator: Validator, value: Any, state: AccountState) -> Any:
    """Run a nested validator, recording where inside the field a bad value was."""
    try:
        return validator(value, state)
    except Invalid as exc:
        raise Invalid(exc.message, segment + exc.path) from None
