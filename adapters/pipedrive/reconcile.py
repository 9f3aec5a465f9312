"""Which of our writes with a lost answer did Pipedrive carry out?

A create whose answer never came back (a 5xx after acting, a dropped connection, a truncated
body, a killed worker) may or may not exist. Pipedrive's v2 create endpoints take no key of ours
(deals' `origin_id` is v1-only), so the record is recognised by what was written: a candidate is a
record made after the write was attempted, not already held by another source record, whose
fields are exactly the payload sent. Candidates come from paged list reads filtered by
`updated_since` (10 tokens per 500 records), never from searches.

Identical payloads are interchangeable: k pending writes of one payload with m <= k candidates
claim the m and send the rest again. More candidates than writes (someone else made the same
record meanwhile) cannot be told apart: those writes are reported ambiguous, not guessed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.core.canonical import Entity
from adapters.core.protocols import PendingWrite, Reconciled, TargetId

CLOCK_SKEW = timedelta(seconds=5)  # between our clock and Pipedrive's

# Payload keys the answer does not echo as sent (none today; times are compared as moments).
NOT_COMPARED: set[str] = set()
# Links left out of a payload are empty in the record made from it: a person sent without an
# organization is not the namesake who has one.
EMPTY_WHEN_ABSENT: dict[Entity, tuple[str, ...]] = {
    Entity.organizations: ("address", "label_ids", "custom_fields"),
    Entity.persons: ("org_id", "emails", "phones", "label_ids", "custom_fields"),
    Entity.products: ("code", "custom_fields"),
    Entity.deals: ("person_id", "org_id", "label_ids", "custom_fields"),
    Entity.deal_products: ("comments",),
    Entity.activities: ("deal_id", "person_id", "org_id", "lead_id", "note"),
    Entity.notes: ("deal_id", "person_id", "org_id", "lead_id"),
}


def since(pending: Iterable[PendingWrite]) -> datetime:
    """Where the candidate list starts: the earliest attempt, less the clock skew."""
    return min(write.attempted_at for write in pending) - CLOCK_SKEW


def reconcile(
    entity: Entity,
    pending: list[PendingWrite],
    candidates: Iterable[dict[str, Any]],
    taken: set[TargetId],
) -> Reconciled:
    groups: dict[str, list[PendingWrite]] = {}
    for write in pending:
        groups.setdefault(_key(write.payload), []).append(write)
    matches: dict[str, list[TargetId]] = {key: [] for key in groups}
    contested: dict[str, list[TargetId]] = {}
    for item in candidates:
        if int(item["id"]) in taken:
            continue
        fits = [key for key, writes in groups.items() if _fits(entity, writes[0], item)]
        best = _most_specific(fits, groups)
        if best is None:  # one record, two different payloads: cannot tell whose
            for key in fits:
                contested.setdefault(key, []).append(int(item["id"]))
        else:
            matches[best].append(int(item["id"]))
    result = Reconciled()
    for key, writes in groups.items():
        found = matches[key]
        if key in contested or len(found) > len(writes):
            for write in writes:
                result.ambiguous[write.source_id] = sorted(found + contested.get(key, []))
            continue
        for write, target_id in zip(writes, sorted(found), strict=False):
            result.found[write.source_id] = target_id
    return result


def _fits(entity: Entity, write: PendingWrite, item: dict[str, Any]) -> bool:
    return made_after(item, write) and matches_payload(entity, write.payload, item)


def _most_specific(fits: list[str], groups: dict[str, list[PendingWrite]]) -> str | None:
    """Of several payloads one record matches, the one that says the most about it."""
    if len(fits) <= 1:
        return fits[0] if fits else None
    sizes = sorted(((len(groups[key][0].payload), key) for key in fits), reverse=True)
    return sizes[0][1] if sizes[0][0] > sizes[1][0] else None


def _key(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, default=str)


def made_after(item: dict[str, Any], write: PendingWrite) -> bool:
    """Made after the write was attempted. A back-dated note's add_time is the original's, so
    its update_time (set at creation) tells when it was made."""
    stamp = item.get("update_time") if "add_time" in write.payload else item.get("add_time")
    when = parse_time(stamp)
    return when is not None and when >= write.attempted_at - CLOCK_SKEW


def parse_time(value: Any) -> datetime | None:
    """RFC 3339 (v2) or "YYYY-MM-DD HH:MM:SS" in UTC (v1)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def matches_payload(entity: Entity, payload: dict[str, Any], item: dict[str, Any]) -> bool:
    for key, sent in payload.items():
        if key not in NOT_COMPARED and not same(sent, item.get(key)):
            return False
    return all(
        _empty(item.get(key)) for key in EMPTY_WHEN_ABSENT.get(entity, ()) if key not in payload
    )


def same(sent: Any, stored: Any) -> bool:
    """Whether a stored value is what was sent: objects by the keys sent, lists as multisets,
    ids against `{"id": ...}` objects, numbers by value, text with whitespace runs folded."""
    if isinstance(sent, dict):
        return isinstance(stored, dict) and all(same(v, stored.get(k)) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(stored, list) and _same_items(sent, stored)
    if isinstance(stored, dict) and not isinstance(sent, dict):
        return same(sent, stored.get("id", stored.get("value")))
    if isinstance(sent, bool) or isinstance(stored, bool):
        return bool(sent) == bool(stored)
    if isinstance(sent, int | float) and not isinstance(sent, bool):
        return _same_number(sent, stored)
    if isinstance(sent, str):
        if not isinstance(stored, str | int | float):
            return False
        stored_text = _text(str(stored))
        # Times sent as HH:MM may be answered as HH:MM:SS; a v1-style "YYYY-MM-DD HH:MM:SS"
        # may be answered in RFC 3339.
        return (
            _text(sent) == stored_text
            or (bool(_HHMM.match(sent)) and stored_text.startswith(sent + ":"))
            or _same_moment(sent, stored_text)
        )
    return bool(sent == stored)


def _same_items(sent: list[Any], stored: list[Any]) -> bool:
    if len(sent) != len(stored):
        return False
    unused = list(stored)
    for value in sent:
        match = next((i for i, other in enumerate(unused) if same(value, other)), None)
        if match is None:
            return False
        unused.pop(match)
    return True


def _same_moment(sent: str, stored: str) -> bool:
    if not _MOMENT.match(sent) or not _MOMENT.match(stored):
        return False
    first, second = parse_time(sent), parse_time(stored)
    return first is not None and first == second


def _same_number(sent: float, stored: Any) -> bool:
    try:
        value = float(stored)
    except (TypeError, ValueError):
        return False
    return math.isclose(float(sent), value, rel_tol=1e-9, abs_tol=1e-9)


def _text(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


_HHMM = re.compile(r"^\d\d:\d\d$")
_MOMENT = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def _empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    return value in (None, "", 0, [])
