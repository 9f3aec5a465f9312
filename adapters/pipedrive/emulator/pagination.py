"""v2 cursor pages and v1 start/limit pages.

The v2 cursor is opaque to clients; here it carries the last id of the page (records are
answered in id order), so a page is a seek, not a scan from the start."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from starlette.datastructures import QueryParams

from adapters.core.emulation import VendorError
from adapters.core.serving import OffsetPages
from adapters.pipedrive.emulator.errors import BadRequest

DEFAULT_LIMIT = 100
MAX_LIMIT = 500

Record = dict[str, Any]


def encode_cursor(last_id: int) -> str:
    return _encode({"field": "id", "id": last_id})


def decode_cursor(cursor: str) -> int:
    payload = _decode(cursor)
    # A cursor of a sorted walk (it says its direction) does not seek by id.
    if not isinstance(payload, dict) or payload.get("field") != "id" or "desc" in payload:
        raise BadRequest("Invalid cursor.")
    last_id = payload.get("id")
    if not isinstance(last_id, int):
        raise BadRequest("Invalid cursor.")
    return last_id


def _decode(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        raise BadRequest("Invalid cursor.") from None


def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse_limit(params: QueryParams) -> int:
    text = params.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer between 1 and {MAX_LIMIT}.")
    return int(text)


def cursor_page(
    params: QueryParams,
    records_after: Callable[[int], Iterator[Record]],
    keep: Callable[[Record], bool],
) -> tuple[list[Record], str | None]:
    """One v2 page: up to `limit` records after the cursor that pass `keep`, and the cursor of
    the next page (None when this is the last)."""
    limit = parse_limit(params)
    cursor = params.get("cursor")
    after_id = decode_cursor(cursor) if cursor else 0
    matching = (record for record in records_after(after_id) if keep(record))
    page = list(islice(matching, limit + 1))
    if len(page) > limit:
        return page[:limit], encode_cursor(page[limit - 1]["id"])
    return page, None


V1_PAGES = OffsetPages(
    size_param="limit", start_param="start", default=DEFAULT_LIMIT, most=MAX_LIMIT
)


def start_limit_page(
    params: QueryParams, records: Iterable[Record], pages: OffsetPages = V1_PAGES
) -> tuple[list[Record], dict[str, Any]]:
    """One v1 page (the kit's offset pages) and its `additional_data.pagination`."""
    try:
        page = pages.serve(list(records), params)
    except VendorError as exc:  # in Pipedrive's error envelope
        raise BadRequest(exc.message) from None
    pagination: dict[str, Any] = {
        "start": page.start,
        "limit": page.size,
        "more_items_in_collection": page.more,
    }
    if page.more:
        pagination["next_start"] = page.start + page.size
    return page.items, pagination


def _sort_key(record: Record, sort_by: str) -> tuple[Any, ...]:
    value = record.get(sort_by)
    # Empty values (a stage's order_nr, an activity's due_date) sort first.
    return (value is not None, value if value is not None else 0, record["id"])


def sorted_page(
    params: QueryParams,
    records: Iterable[Record],
    keep: Callable[[Record], bool],
    sort_by: str,
    descending: bool,
) -> tuple[list[Record], str | None]:
    """One v2 page of a walk in `sort_by` order (ties in id order): the records are sorted
    afresh on each page, and the cursor carries the last record's sort key."""
    limit = parse_limit(params)
    matching = sorted(
        (r for r in records if keep(r)), key=lambda r: _sort_key(r, sort_by), reverse=descending
    )
    if cursor := params.get("cursor"):
        payload = _decode(cursor)
        if (
            not isinstance(payload, dict)
            or payload.get("field") != sort_by
            or payload.get("desc") is not descending
            or not isinstance(payload.get("key"), list)
        ):
            raise BadRequest("Invalid cursor.")
        last = tuple(payload["key"])
        try:
            matching = [
                r
                for r in matching
                if (_sort_key(r, sort_by) < last if descending else _sort_key(r, sort_by) > last)
            ]
        except TypeError:
            raise BadRequest("Invalid cursor.") from None
    if len(matching) > limit:
        key = list(_sort_key(matching[limit - 1], sort_by))
        return matching[:limit], _encode({"field": sort_by, "desc": descending, "key": key})
    return matching, None


def v1_sorted(records: Iterable[Record], text: str | None, allowed: Iterable[str]) -> list[Record]:
    """v1's `sort`: "field_1 ASC, field_2 DESC" (ASC when left out), first-level keys among
    `allowed`; empty values sort first. Records without a sort keep their order."""
    rows = list(records)
    if not text:
        return rows
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        name, _, direction = part.strip().partition(" ")
        direction = direction.strip().upper() or "ASC"
        if name not in allowed or direction not in ("ASC", "DESC"):
            raise BadRequest(f"sort must be fields among {', '.join(allowed)}, each ASC or DESC.")
        keys.append((name, direction == "DESC"))
    for name, descending in reversed(keys):  # stable sorts, the last key first
        rows.sort(key=lambda r: _sort_key(r, name)[:2], reverse=descending)
    return rows
