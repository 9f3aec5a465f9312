"""How the Close source pages through lists of any length.

Close caps `_skip` (10,000 on the list endpoints; a larger one is a 400), so `_skip` alone
cannot read a big account. Close documents two ways past it (developer.close.com,
/api/overview/pagination, "Deep Pagination" and "Cursor-Based Pagination"):
- the Advanced Filtering API, `POST /api/v1/data/search/`, pages with a `cursor` and `_limit`
  in the request body: used for leads and contacts, whose lists filter on nothing else;
- "use the date_created field as a range": used for the lists that filter on it (opportunities,
  tasks and activities), read newest first (`CreatedWindows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from adapters.core.errors import AdapterError
from adapters.core.paginators import CursorInBody, PageRequest, Paginator, Token, dig

SEARCH_LIMIT = 200  # the most `_limit` the search takes per page


def search_pages() -> CursorInBody:
    """Advanced Filtering pages: `{"data": [...], "cursor": next or null}`; `cursor` and
    `_limit` go in the body (the Close source turns these params into it)."""
    return CursorInBody(
        cursor_path="cursor", cursor_param="cursor", limit_param="_limit", limit=SEARCH_LIMIT
    )


@dataclass
class CreatedWindows(Paginator):
    """Newest first, one creation-time window per page: each page asks for the records created
    at or before the last one seen (`date_created__lte`) and skips those of that very time it
    has already read, so `_skip` stays as small as the ties at one instant, never the length of
    the list. The token is "<date_created>|<read at that time>"; the first page has none.
    The list must be ordered by `-date_created` (the activity lists are; opportunities and tasks
    are asked with `_order_by`)."""

    limit: int = 100
    stamp_key: str = "date_created"
    records_path: str = "data"
    more_path: str = "has_more"

    def request_for(self, token: Token | None) -> PageRequest:
        params: dict[str, Any] = {"_limit": self.limit}
        if token is not None:
            stamp, seen = _split(token)
            params.update({f"{self.stamp_key}__lte": stamp, "_skip": seen})
        return PageRequest(params)

    def next_token(self, token: Token | None, response: httpx.Response, body: Any) -> Token | None:
        records = dig(body, self.records_path)
        if not dig(body, self.more_path) or not isinstance(records, list) or not records:
            return None
        last = records[-1].get(self.stamp_key)
        if not last:
            raise AdapterError(f"a Close record without {self.stamp_key}: cannot page past it")
        ties = 0
        for record in reversed(records):
            if record.get(self.stamp_key) != last:
                break
            ties += 1
        if ties == len(records) and token is not None:
            stamp, seen = _split(token)
            if stamp == last:  # the whole page shares the window's instant: count on
                ties += seen
        return f"{last}|{ties}"


def _split(token: Token) -> tuple[str, int]:
    stamp, _, seen = str(token).rpartition("|")
    return stamp, int(seen)
