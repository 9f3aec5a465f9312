"""The vendor fields a mapping reads, for APIs whose lists return only the fields a read names
(Maximizer's `Scope.Fields`, Zoho's and Sugar's `fields`, HubSpot's `properties`): run each
getter once on an empty record that notes what it is asked for, so that a stream's mapping is
the one list of the fields it needs.
"""

from __future__ import annotations

from typing import Any

from adapters.core.mapping import Getter, value_at


class _Noting(dict[str, Any]):
    """An empty record that notes each field asked of it (every one absent)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.append(key)
        return default

    def __getitem__(self, key: str) -> Any:
        self.asked.append(key)
        return None

    def __contains__(self, key: object) -> bool:
        return False


def asked_fields(*getters: Getter) -> tuple[str, ...]:
    """The top-level fields `getters` read, in the order first read; dotted paths give their
    first part. Names starting "_" are not the vendor's (a join or hook puts them there)."""
    record = _Noting()
    for getter in getters:
        value_at(record, getter)
    return tuple(name for name in dict.fromkeys(record.asked) if not name.startswith("_"))
