"""Which records the target already holds stand for the source records about to be created.

Rules (the same for every Pipedrive company):
- persons: by any of their e-mails (trimmed, case-insensitive);
- organizations: by name (case-insensitive, whitespace runs folded, trimmed);
- products: by code; a product with no code, or whose code the target does not hold, by name,
  but never with a target product that has a code of its own (another code, another product);
- every other entity: never matched.

The index is built from paged list reads of the target, once; pairing is one to one, in order:
a target record goes to at most one source record, never to one already linked by Ferry
(`taken`), and every code match is settled before any name match, so that a name never takes the
record a code would have found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from typing import Any

from adapters.core.canonical import Entity
from adapters.core.protocols import Matched, MergeCandidate, TargetId

MATCHED_ENTITIES = (Entity.persons, Entity.organizations, Entity.products)
# Never filled into a matched record: what names it and who owns it stay the target's.
NEVER_FILLED = frozenset({"name", "title", "owner_id"})
CONTACT_KEYS = ("emails", "phones")

Key = tuple[str, str]  # (kind, normalized value): ("email", "ann@x.io"), ("name", "acme")
CODE_RANK, NAME_RANK = 0, 1


def normalize_name(value: Any) -> str:
    """Case-insensitive, whitespace runs folded to one space, trimmed."""
    return re.sub(r"\s+", " ", str(value or "")).strip().casefold()


def normalize_email(value: Any) -> str:
    return str(value or "").strip().casefold()


def _emails(record: dict[str, Any]) -> list[str]:
    items = record.get("emails") or []
    found = (normalize_email(i.get("value") if isinstance(i, dict) else i) for i in items)
    return list(dict.fromkeys(e for e in found if e))


# What a target record is known by, and what a source record looks for, rank by rank ----------


def target_keys(entity: Entity, record: dict[str, Any]) -> list[Key]:
    if entity is Entity.persons:
        return [("email", email) for email in _emails(record)]
    name = normalize_name(record.get("name"))
    if entity is Entity.organizations:
        return [("name", name)] if name else []
    if entity is Entity.products:
        code = normalize_name(record.get("code"))
        if code:
            return [("code", code)] + ([("name", name)] if name else [])
        return [("name", name), ("uncoded", name)] if name else []
    return []


def wanted_keys(entity: Entity, payload: dict[str, Any]) -> dict[int, list[Key]]:
    """The keys a record about to be created looks for, by rank (lower ranks settle first)."""
    if entity is Entity.persons:
        return {NAME_RANK: [("email", email) for email in _emails(payload)]}
    name = normalize_name(payload.get("name"))
    if entity is Entity.organizations:
        return {NAME_RANK: [("name", name)] if name else []}
    if entity is Entity.products:
        code = normalize_name(payload.get("code"))
        if not code:
            return {NAME_RANK: [("name", name)] if name else []}
        return {CODE_RANK: [("code", code)], NAME_RANK: [("uncoded", name)] if name else []}
    return {}


# What a match fills in -------------------------------------------------------------------------


def is_empty(value: Any) -> bool:
    """None, "", [] and {}; a list or object made only of empty values is empty too."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    if isinstance(value, dict):
        return all(is_empty(v) for v in value.values())
    if isinstance(value, list):
        return all(is_empty(v) for v in value)
    return False


def _no_contact(items: Any) -> bool:
    """E-mails and phones count as empty when not one of them has a value."""
    return not any(isinstance(i, dict) and not is_empty(i.get("value")) for i in items or [])


def fill(payload: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The payload's fields that are empty on the target's record (custom fields key by key)."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key in NEVER_FILLED or is_empty(value):
            continue
        if key == "custom_fields" and isinstance(value, dict):
            held = record.get("custom_fields") or {}
            missing = {k: v for k, v in value.items() if not is_empty(v) and is_empty(held.get(k))}
            if missing:
                out[key] = missing
        elif key in CONTACT_KEYS:
            if _no_contact(record.get(key)):
                out[key] = value
        elif is_empty(record.get(key)):
            out[key] = value
    return out


# The index -------------------------------------------------------------------------------------


@dataclass
class MergeIndex:
    """One entity's target records by key, read once; hands each record out at most once."""

    entity: Entity
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[Key, list[int]] = field(default_factory=dict)  # ids in ascending order
    given: dict[int, str] = field(default_factory=dict)  # target id -> the source id it went to

    @classmethod
    def build(
        cls, entity: Entity, items: Iterable[dict[str, Any]], taken: Set[TargetId] = frozenset()
    ) -> MergeIndex:
        index = cls(entity)
        index.add(items, taken)
        index.sort()
        return index

    def add(self, items: Iterable[dict[str, Any]], taken: Set[TargetId] = frozenset()) -> None:
        """Records no source record holds yet. One the ledger gives to a source record (what
        this session or an earlier one of the pair created or merged) is never handed out
        again, so it is not kept: a run after a hand-over reads back what the session made."""
        for item in items:
            if item.get("is_deleted") or item.get("id") is None:
                continue
            target_id = int(item["id"])
            if target_id in taken:
                continue
            self.records[target_id] = item
            for key in target_keys(self.entity, item):
                self.by_key.setdefault(key, []).append(target_id)

    def sort(self) -> None:
        for ids in self.by_key.values():
            ids.sort()

    def pair(self, candidates: list[MergeCandidate], taken: set[TargetId]) -> dict[str, Matched]:
        wanted = {c.source_id: wanted_keys(self.entity, c.payload) for c in candidates}
        ranks = sorted({rank for keys in wanted.values() for rank in keys})
        chosen: dict[str, int] = {}
        for rank in ranks:
            for candidate in candidates:
                if candidate.source_id in chosen:
                    continue
                keys = wanted[candidate.source_id].get(rank, [])
                target_id = self._free(keys, candidate.source_id, taken, set(chosen.values()))
                if target_id is not None:
                    chosen[candidate.source_id] = target_id
        payloads = {c.source_id: c.payload for c in candidates}
        result = {}
        for source_id, target_id in chosen.items():
            self.given[target_id] = source_id
            result[source_id] = Matched(
                target_id, fill(payloads[source_id], self.records[target_id])
            )
        return result

    def _free(
        self, keys: list[Key], source_id: str, taken: set[TargetId], used: set[int]
    ) -> int | None:
        """The first record under these keys that nobody else holds."""
        for key in keys:
            for target_id in self.by_key.get(key, ()):
                other = self.given.get(target_id, source_id)
                if target_id not in taken and target_id not in used and other == source_id:
                    return target_id
        return None
