"""Vendor ids for reference records, from one parse: a reference source id is a kind and a
number ("p7" is person 7, "pl2" pipeline 2), and a vendor's id scheme turns that pair into its
own id format (integers from a base per kind, 24-hex object ids, GUIDs), deterministically, so
that a rendering and its tests agree without parsing ids back out of strings themselves.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

_REFERENCE_ID = re.compile(r"([a-z]+)(\d+)")
# Where each kind's integer ids start unless a vendor says otherwise (p7 -> 100007): users,
# persons, organizations, deals, activities, notes, pipelines, stages, products, custom fields.
DEFAULT_BASES: Mapping[str, int] = {
    "u": 1_000,
    "p": 100_000,
    "o": 200_000,
    "d": 300_000,
    "a": 400_000,
    "n": 500_000,
    "pl": 700,
    "s": 800,
    "pr": 900_000,
    "f": 600,
    "l": 250_000,
    "fl": 650_000,
}


def kind_and_number(source_id: str) -> tuple[str, int]:
    """("p", 7) for "p7"; the one place a reference id is taken apart."""
    found = _REFERENCE_ID.fullmatch(source_id)
    if found is None:
        raise ValueError(f"{source_id!r} is not a reference id")
    return found.group(1), int(found.group(2))


@dataclass(frozen=True)
class IdScheme:
    """A vendor's ids for the reference records: `bases` per kind ("p": 100_000 makes p7 ->
    100007; DEFAULT_BASES unless given); `namespace` seeds the hex and GUID forms, so two
    vendors' ids differ."""

    namespace: str = "ferry"
    bases: Mapping[str, int] = field(default_factory=lambda: DEFAULT_BASES)

    def integer(self, source_id: str | None) -> int | None:
        if source_id is None:
            return None
        kind, number = kind_and_number(source_id)
        return self.bases[kind] + number

    def hex24(self, source_id: str | None) -> str | None:
        """A 24-hex-digit object id (MongoDB-style, as OnePageCRM and Nimble use)."""
        number = self.integer(source_id)
        return None if number is None else f"{self._seed():08x}{number:016x}"

    def guid(self, source_id: str | None) -> str | None:
        number = self.integer(source_id)
        if number is None:
            return None
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.namespace}/{number}"))

    def _seed(self) -> int:
        return uuid.uuid5(uuid.NAMESPACE_URL, self.namespace).int & 0xFFFFFFFF
