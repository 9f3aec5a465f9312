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

from adapters.pipedrive.emulator.errors import BadRequest

DEFAULT_LIMIT = 100
MAX_LIMIT = 500

Record = dict[str, Any]


def encode_cursor(last_id: int) -> str:
    raw = json.dumps({"field": "id", "id": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        last_id = json.loads(base64.urlsafe_b64decode(padded))["id"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise BadRequest("Invalid cursor.") from None
    if not isinstance(last_id, int):
        raise BadRequest("Invalid cursor.")
    return last_id


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


def start_limit_page(
    params: QueryParams, records: Iterable[Record]
) -> tuple[list[Record], dict[str, Any]]:
    """One v1 page and its `additional_data.pagination`."""
    start_text = params.get("start", "0")
    if not start_text.isdigit():
        raise BadRequest("start must be a non-negative integer.")
    start, limit = int(start_text), parse_limit(params)
    window = list(islice(records, start, start + limit + 1))
    more = len(window) > limit
    pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return window[:limit], pagination
