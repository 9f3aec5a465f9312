"""Paginators shared by every source: each knows how to ask for a page and where the next one is.

A paginator is a stateless description; `walk()` (in the base) runs the loop: fetch a page, read
the next token, stop on None, and raise `RepeatedPageToken` if a token comes back a second time, so
a misbehaving API cannot make a migration loop forever. Tokens are what a job checkpoints: the
string form of the token a page yields is the resume point of the *next* page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from adapters.core.errors import AdapterError, UnreadableResponse

Token = str | int


class RepeatedPageToken(AdapterError):
    """The API handed back a page token it had already given: following it would loop."""

    code = "pagination_loop"


@dataclass
class PageRequest:
    params: dict[str, Any] = field(default_factory=dict)
    url: str | None = None  # replaces the request path (next-URL styles); None: the original path


@dataclass
class FetchedPage:
    response: httpx.Response
    body: Any  # parsed JSON, or None when the body is not JSON
    next_token: Token | None  # None on the last page


Fetch = Callable[[PageRequest], Awaitable[httpx.Response]]


def dig(body: Any, path: str | None) -> Any:
    """Read a dotted path ("additional_data.next_cursor") from parsed JSON; None when absent.
    A key that itself holds dots ("@odata.nextLink") is found whole; None means the body."""
    if path is None:
        return body
    if isinstance(body, dict) and path in body:
        return body[path]
    node = body
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def page_body(response: httpx.Response) -> Any:
    """The parsed page. A body that does not parse is an error: reading it as an empty page
    would end the list early and lose every record after it."""
    if response.status_code in (204, 304) or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise UnreadableResponse(
            f"a page answered {response.status_code} with a body that is not JSON"
        ) from None


def records_of(body: Any, path: str | None) -> list[dict[str, Any]]:
    """The records of a page. Absent means none (an empty list answered as null or {}); any
    other shape is an unreadable page, never an empty one."""
    if body is not None and not isinstance(body, dict | list):
        raise UnreadableResponse(f"a page body is a {type(body).__name__}, not an object")
    found = dig(body, path)
    if found is None:
        return []
    if not isinstance(found, list):
        where = path or "the body"
        raise UnreadableResponse(f"{where} is a {type(found).__name__}, not a list of records")
    return [item for item in found if isinstance(item, dict)]


class Paginator:
    """Base: subclasses say how to request a token's page and how to find the next token."""

    def first_token(self) -> Token | None:
        return None

    def request_for(self, token: Token | None) -> PageRequest:
        raise NotImplementedError

    def next_token(self, token: Token | None, response: httpx.Response, body: Any) -> Token | None:
        raise NotImplementedError

    def parse_token(self, cursor: str) -> Token:
        """A checkpointed cursor (always a string) back into this paginator's token."""
        return cursor

    async def walk(self, fetch: Fetch, start: str | None = None) -> AsyncIterator[FetchedPage]:
        token = self.parse_token(start) if start is not None else self.first_token()
        seen: set[Token] = {token} if token is not None else set()
        while True:
            response = await fetch(self.request_for(token))
            body = page_body(response)
            next_token = self.next_token(token, response, body)
            if next_token is not None and next_token in seen:
                raise RepeatedPageToken(f"the API returned page token {next_token!r} twice")
            yield FetchedPage(response, body, next_token)
            if next_token is None:
                return
            seen.add(next_token)
            token = next_token


@dataclass
class CursorInBody(Paginator):
    """An opaque cursor read from the body (Pipedrive v2: additional_data.next_cursor)."""

    cursor_path: str = "additional_data.next_cursor"
    cursor_param: str = "cursor"
    limit_param: str = "limit"
    limit: int = 100

    def request_for(self, token: Token | None) -> PageRequest:
        params: dict[str, Any] = {self.limit_param: self.limit}
        if token is not None:
            params[self.cursor_param] = token
        return PageRequest(params)

    def next_token(self, token: Token | None, response: httpx.Response, body: Any) -> Token | None:
        return dig(body, self.cursor_path) or None


@dataclass
class OffsetPaginator(Paginator):
    """start/limit. The next start comes from `next_start_path` when the API gives it, else
    start + limit; the walk goes on while `more_path` is true, or, without a more-items flag,
    while a page (at `records_path`) comes back full, or, with `total_path` (the whole list's
    count in the body: records that are not a list, Solve360's id-keyed ones), while the next
    start is below that count."""

    start_param: str = "start"
    limit_param: str | None = "limit"  # None: the page size is the vendor's own, not asked for
    limit: int = 100
    more_path: str | None = "additional_data.pagination.more_items_in_collection"
    next_start_path: str | None = "additional_data.pagination.next_start"
    records_path: str | None = "data"  # None: the body is the list
    end_marker: Any = None  # a next start that means "no more" (SugarCRM's next_offset -1)
    total_path: str | None = None  # the count of the whole list, when the body gives it

    def first_token(self) -> Token:
        return 0

    def parse_token(self, cursor: str) -> Token:
        return int(cursor)

    def request_for(self, token: Token | None) -> PageRequest:
        params: dict[str, Any] = {self.start_param: token or 0}
        if self.limit_param:
            params[self.limit_param] = self.limit
        return PageRequest(params)

    def next_token(self, token: Token | None, response: httpx.Response, body: Any) -> Token | None:
        if not self._has_more(body):
            return None
        given = dig(body, self.next_start_path) if self.next_start_path else None
        next_start = int(given) if given is not None else int(token or 0) + self.limit
        if self.total_path is not None:
            total = dig(body, self.total_path)
            if total is None or not str(total).isdigit():
                raise UnreadableResponse(f"a page has no count of the list at {self.total_path}")
            return next_start if next_start < int(total) else None
        return next_start

    def _has_more(self, body: Any) -> bool:
        if self.total_path is not None:
            return True  # decided by the count (next_token)
        if self.next_start_path and self.end_marker is not None:
            return dig(body, self.next_start_path) not in (None, self.end_marker)
        if self.more_path:
            return bool(dig(body, self.more_path))
        records = dig(body, self.records_path)
        return isinstance(records, list) and len(records) >= self.limit


@dataclass
class PageNumber(Paginator):
    """page=1,2,3...; stops at `total_pages_path` when given, else on a short or empty page."""

    page_param: str = "page"
    size_param: str = "per_page"
    size: int = 100
    first_page: int = 1
    records_path: str | None = "data"  # None: the body is the list
    total_pages_path: str | None = None

    def first_token(self) -> Token:
        return self.first_page

    def parse_token(self, cursor: str) -> Token:
        return int(cursor)

    def request_for(self, token: Token | None) -> PageRequest:
        return PageRequest({self.page_param: token, self.size_param: self.size})

    def next_token(self, token: Token | None, response: httpx.Response, body: Any) -> Token | None:
        page = int(token if token is not None else self.first_page)
        if self.total_pages_path:
            total = dig(body, self.total_pages_path)
            return page + 1 if total is not None and page < int(total) else None
        records = dig(body, self.records_path)
        full = isinstance(records, list) and len(records) >= self.size
        return page + 1 if full else None


@dataclass
class NextUrl(Paginator):
    """The body carries the full URL of the next page (e.g. "links.next" or "nextRecordsUrl")."""

    next_url_path: str = "next"

    def request_for(self, token: Token | None) -> PageRequest:
        return PageRequest(url=str(token) if token is not None else None)

    def next_token(self, token: Token | None, response: httpx.Response, body: Any) -> Token | None:
        return dig(body, self.next_url_path) or None


@dataclass
class LinkHeader(Paginator):
    """RFC 8288 `Link: <...>; rel="next"` header (GitHub style)."""

    rel: str = "next"

    def request_for(self, token: Token | None) -> PageRequest:
        return PageRequest(url=str(token) if token is not None else None)

    def next_token(self, token: Token | None, response: httpx.Response, body: Any) -> Token | None:
        link = response.links.get(self.rel)
        return link.get("url") if link else None


@dataclass
class Keyset(Paginator):
    """Keyset pages: ask for records after the last key seen (`?after=<last id>`); a full page
    means there may be more. Stable under inserts, unlike offsets."""

    key_path: str = "id"  # where the key sits in each record
    after_param: str = "after"
    size_param: str = "limit"
    size: int = 100
    records_path: str | None = "data"  # None: the body is the list

    def request_for(self, token: Token | None) -> PageRequest:
        params: dict[str, Any] = {self.size_param: self.size}
        if token is not None:
            params[self.after_param] = token
        return PageRequest(params)

    def next_token(self, token: Token | None, response: httpx.Response, body: Any) -> Token | None:
        records = dig(body, self.records_path)
        if not isinstance(records, list) or len(records) < self.size or not records:
            return None
        key = dig(records[-1], self.key_path)
        return None if key is None else str(key)
