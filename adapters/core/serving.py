"""How an emulator serves a list: page servers mirroring each paginator, and a declarative
collection (a table, filtered by changed-since and by query parameters, unknown ones refused).

Every client paginator in adapters/core/paginators.py has its server here, so an emulator says
which style its vendor uses and with which parameter names, and nothing else:

- `OffsetPages`    offset/limit (start/limit, `$skip`/`$top`, `_start`/`_limit`)
- `NumberedPages`  page/per_page (also the size in a header, Redtail's `pagesize`)
- `CursorPages`    an opaque cursor in the body (HubSpot's `after`, Pipedrive v2's `cursor`)
- `KeysetPages`    records after the last key seen (Maximizer's `PageKey`)
- next URLs and Link headers are built from any of them by `next_url` / `link_header`.

A page server reads its parameters from a mapping (the query string, or a JSON body for the
vendors that page by POST) and answers a `Served` page: the records, the total, and the
parameters of the next page (None on the last). Envelopes stay the vendor's: the emulator wraps
`Served` in its own body.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from adapters.core.emulation import VendorError, base_url_of
from adapters.core.mapping import parse_time, value_at

Raw = dict[str, Any]
Params = Mapping[str, Any]


@dataclass(frozen=True)
class Served:
    items: list[Raw]
    total: int
    start: int  # index of the first item in the whole list
    size: int  # the page size asked for
    next: dict[str, str] | None  # the next page's parameters; None on the last page

    @property
    def more(self) -> bool:
        return self.next is not None

    @property
    def page(self) -> int:
        """The page's number, from 1."""
        return self.start // self.size + 1

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))


def integer(params: Params, name: str, default: int, *, lo: int = 0, hi: int | None = None) -> int:
    """An integer parameter; a bad or out-of-range one is the vendor's 400."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise VendorError(400, "invalid_parameter", f"{name} must be an integer.") from None
    if value < lo or (hi is not None and value > hi):
        bounds = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise VendorError(400, "invalid_parameter", f"{name} must be {bounds}.")
    return value


@dataclass(frozen=True)
class Pages:
    """Base of the page servers: a size parameter with its default and maximum."""

    size_param: str = "limit"
    default: int = 100
    most: int = 100
    clamp: bool = False  # a size over the maximum is cut to it, not refused (Close, Keap)

    @property
    def params(self) -> frozenset[str]:
        """The parameters this style reads (so a collection does not refuse them)."""
        return frozenset({self.size_param})

    def size(self, params: Params) -> int:
        if self.clamp:
            return min(integer(params, self.size_param, self.default, lo=1), self.most)
        return integer(params, self.size_param, self.default, lo=1, hi=self.most)

    def start(self, params: Params, size: int) -> int:
        raise NotImplementedError

    def next_params(self, page: Served, items: list[Raw]) -> dict[str, str]:
        raise NotImplementedError

    def serve(self, items: list[Raw], params: Params) -> Served:
        size = self.size(params)
        start = self.start(params, size)
        page = Served(items[start : start + size], len(items), start, size, None)
        if start + size < len(items):
            page = Served(page.items, page.total, start, size, self.next_params(page, items))
        return page


@dataclass(frozen=True)
class OffsetPages(Pages):
    start_param: str = "offset"

    @property
    def params(self) -> frozenset[str]:
        return frozenset({self.size_param, self.start_param})

    def start(self, params: Params, size: int) -> int:
        return integer(params, self.start_param, 0, lo=0)

    def next_params(self, page: Served, items: list[Raw]) -> dict[str, str]:
        return {self.start_param: str(page.start + page.size), self.size_param: str(page.size)}


@dataclass(frozen=True)
class NumberedPages(Pages):
    page_param: str = "page"
    size_param: str = "per_page"
    first: int = 1  # the first page's number (0 for a few vendors)

    @property
    def params(self) -> frozenset[str]:
        return frozenset({self.size_param, self.page_param})

    def start(self, params: Params, size: int) -> int:
        return (integer(params, self.page_param, self.first, lo=self.first) - self.first) * size

    def next_params(self, page: Served, items: list[Raw]) -> dict[str, str]:
        number = page.start // page.size + self.first + 1
        return {self.page_param: str(number), self.size_param: str(page.size)}


@dataclass(frozen=True)
class CursorPages(Pages):
    """An opaque cursor: the offset, encoded, so that a client cannot compute it and must read it
    from the answer. A cursor the server did not give is a 400."""

    cursor_param: str = "cursor"

    @property
    def params(self) -> frozenset[str]:
        return frozenset({self.size_param, self.cursor_param})

    def start(self, params: Params, size: int) -> int:
        raw = params.get(self.cursor_param)
        if not raw:
            return 0
        try:
            kind, _, offset = base64.urlsafe_b64decode(str(raw).encode()).decode().partition(":")
            if kind == "o" and offset.isdigit():
                return int(offset)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            pass
        raise VendorError(400, "invalid_parameter", f"{self.cursor_param} is not a valid cursor.")

    def next_params(self, page: Served, items: list[Raw]) -> dict[str, str]:
        return {self.cursor_param: cursor_for(page.start + page.size)}


def cursor_for(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


@dataclass(frozen=True)
class KeysetPages(Pages):
    """Records after the last key seen; the list must be in key order."""

    after_param: str = "after"
    key: str = "id"

    @property
    def params(self) -> frozenset[str]:
        return frozenset({self.size_param, self.after_param})

    def serve(self, items: list[Raw], params: Params) -> Served:
        size = self.size(params)
        after = params.get(self.after_param)
        start = 0
        if after not in (None, ""):
            found = (
                i + 1 for i, item in enumerate(items) if str(value_at(item, self.key)) == after
            )
            start = next(found, -1)
            if start < 0:
                raise VendorError(400, "invalid_parameter", f"{self.after_param} is not a key.")
        chunk = items[start : start + size]
        more = start + size < len(items)
        last = {self.after_param: str(value_at(chunk[-1], self.key))} if more and chunk else None
        return Served(chunk, len(items), start, size, last)


def next_url(request: Request, page: Served) -> str | None:
    """The absolute URL of the next page: this request's, with the next page's parameters."""
    if page.next is None:
        return None
    query = {**request.query_params, **page.next}
    root = base_url_of(request)
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    path = path.removeprefix("/" + request.path_params.get("account_id", ""))
    return f"{root}{path}?{urlencode(query)}"


def link_header(request: Request, page: Served) -> dict[str, str]:
    """An RFC 8288 `Link` header announcing the next page, when there is one."""
    url = next_url(request, page)
    return {"Link": f'<{url}>; rel="next"'} if url else {}


# --- a collection ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Since:
    """The changed-since filter of a list: records whose `field` is after the parameter's time
    (at or after it when `inclusive`). `form` is how the vendor writes the time: "iso" (any ISO
    8601), "epoch", "epoch_ms" or "compact" (yyyymmddhhmmss in UTC, 37signals' `since`)."""

    param: str
    field: str = "updated_at"
    form: str = "iso"
    inclusive: bool = False

    def moment(self, raw: Any) -> datetime:
        if self.form in ("epoch", "epoch_ms"):
            try:
                seconds = float(raw) / (1000 if self.form == "epoch_ms" else 1)
            except (TypeError, ValueError):
                seconds = None
            parsed = None if seconds is None else datetime.fromtimestamp(seconds).astimezone()
        elif self.form == "compact":
            parsed = _compact_time(str(raw))
        else:
            parsed = parse_time(str(raw))
        if parsed is None:
            raise VendorError(400, "invalid_parameter", f"{self.param} is not a valid time.")
        return parsed

    def keep(self, items: list[Raw], raw: Any) -> list[Raw]:
        since = self.moment(raw)
        return [item for item in items if self._after(value_at(item, self.field), since)]

    def _after(self, value: Any, since: datetime) -> bool:
        if value is None:
            return False
        epoch = self.form in ("epoch", "epoch_ms")  # a record's times are ISO but in these
        stamp = self.moment(value) if epoch else parse_time(str(value))
        return stamp is not None and (stamp >= since if self.inclusive else stamp > since)


def _compact_time(text: str) -> datetime | None:
    """yyyymmddhhmmss in UTC, or None."""
    if len(text) != 14 or not text.isdigit():
        return None
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class Collection:
    """A list endpoint's records: a table of the account, `since` for delta reads, `filters`
    (parameter -> record field, equal to one of the comma-separated values given; a field that
    is a list, such as the contacts a record links, holding one of them), and any
    `known` parameters the route reads itself. Any other parameter is refused with the vendor's
    400, as a real API refuses or (worse) ignores it: an emulator that ignored it would hide a
    client's bug."""

    table: str
    since: Since | None = None
    filters: Mapping[str, str] = field(default_factory=dict)
    known: frozenset[str] = frozenset()
    keep: Callable[[Raw], bool] | None = None  # records of the table this list holds
    order: Callable[[Raw], Any] | None = None

    def rows(self, table: list[Raw], params: Params, pages: Pages | None = None) -> list[Raw]:
        self.refuse_unknown(params, pages)
        items = [row for row in table if self.keep is None or self.keep(row)]
        if self.since and params.get(self.since.param) not in (None, ""):
            items = self.since.keep(items, params[self.since.param])
        for param, path in self.filters.items():
            if params.get(param) not in (None, ""):
                wanted = set(str(params[param]).split(","))
                items = [item for item in items if _matches(value_at(item, path), wanted)]
        return sorted(items, key=self.order) if self.order else items

    def refuse_unknown(self, params: Params, pages: Pages | None) -> None:
        allowed = set(self.known) | set(self.filters) | (pages.params if pages else set())
        if self.since:
            allowed.add(self.since.param)
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise VendorError(400, "invalid_parameter", f"Unsupported parameter: {unknown[0]}.")


def _matches(value: Any, wanted: set[str]) -> bool:
    return any(str(v) in wanted for v in value) if isinstance(value, list) else str(value) in wanted


# --- a file's bytes ----------------------------------------------------------------------------


def file_response(data: bytes, name: str, media_type: str | None, **headers: str) -> Response:
    """A file's bytes as vendors serve a download: its type, its length and an inline
    Content-Disposition naming it (RFC 6266: an ASCII `filename` and the UTF-8 `filename*`)."""
    plain = name.encode("ascii", "replace").decode().replace('"', "'")
    named = f"inline; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"
    disposition = {"Content-Disposition": named, "Content-Length": str(len(data))}
    return Response(data, 200, {**disposition, **headers}, media_type or "application/octet-stream")
