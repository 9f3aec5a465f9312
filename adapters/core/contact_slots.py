"""E-mails and phones kept in fixed fields, each an object with its value, label and primary
flag (Maximizer's `Email1..Email3` and `Phone1..Phone4`: `{Address | Number, Description,
Default}`). One `Slots` says where they are: called on a record it reads them (a getter), and
`shaped` writes points into them (for emulators), so a source and its emulator share one
declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.core.canonical import ContactPoint
from adapters.core.mapping import Raw


@dataclass(frozen=True)
class Slots:
    value: str  # the key of the address or number in each slot's object
    slots: tuple[str, ...]  # the fields, in order
    label: str = "Description"
    primary: str = "Default"
    default_label: str = "work"  # a slot without a label

    def __call__(self, raw: Raw) -> list[ContactPoint]:
        out = []
        for item in (raw.get(slot) for slot in self.slots):
            if isinstance(item, dict) and item.get(self.value):
                label = item.get(self.label) or self.default_label
                primary = bool(item.get(self.primary))
                out.append(ContactPoint(value=str(item[self.value]), label=label, primary=primary))
        return out

    def shaped(self, points: list[ContactPoint]) -> dict[str, Any]:
        """The first points in the slots, in order; the slots left over empty (None)."""
        out: dict[str, Any] = dict.fromkeys(self.slots)
        for slot, p in zip(self.slots, points, strict=False):
            out[slot] = {self.value: p.value, self.label: p.label, self.primary: p.primary}
        return out
