"""An emulator of Close's REST API (v1) for the sandbox: the read side a migration uses.

Vendor facts it follows (developer.close.com: /api/overview/api-key-authentication,
/api/overview/pagination, /api/overview/rate-limits, /api/resources/leads, .../opportunities,
.../activities/meetings, .../custom-fields/custom-fields-lead; the OpenAPI copy in
api-evangelist/close openapi/close-*-api-openapi.yml):
- `https://api.close.com/api/v1/<resource>/` with trailing slashes.
- HTTP Basic with the API key as the user name and an empty password.
- Lists take `_skip` / `_limit` (default 100; a limit above the resource's maximum, or a skip
  beyond the deep-pagination ceiling of 10,000, is a 400) and `_fields`; they answer
  `{"data": [...], "has_more": bool}`. Lead and opportunity lists also carry `total_results`
  (the official client's docstring; the opportunity list's reference).
- Opportunities filter on `date_updated__gt`; opportunities, tasks and activities on
  `date_created__gt/__gte/__lt/__lte`, newest first (activities always; opportunities and
  tasks with `_order_by=-date_created`, or oldest first with `date_created`). Other documented
  filters and sort keys are not served here: a 400 says so rather than ignore them.
- The Advanced Filtering API, `POST /data/search/`, with an `object_type` query (leads or
  contacts), `_fields` as `{"<object type>": [field, ...]}` (without it a result is only its
  `__object_type` and `id`), `_limit` (at most 200), `results_limit` and an opaque `cursor`;
  it answers `{"data": [...], "cursor": next or null}` and has no `_skip` ceiling.
- Rate limits per endpoint group and API key: a 429 carries
  `{"error": {"rate_reset": <seconds>, "message": ..., "rate_limit_type": ...}}`; answers carry
  the RFC-draft `RateLimit: limit=.., remaining=.., reset=..` header and `RateLimit-Policy`.
- `/activity/` lists every activity type together, newest first, with `lead_id`, `_type` /
  `_type__in`, `user_id` / `user_id__in` and `contact_id` / `contact_id__in` (those but
  `lead_id` only together with `lead_id`, as documented), the creation-time filters,
  `activity_at__gt/__lt` and `_order_by` on `date_created` or `activity_at`. The per-type lists
  (`/activity/call/`...) take `lead_id`, `user_id` and `contact_id`; opportunities `lead_id`,
  `user_id`, `status_id` and `status_type`; tasks `lead_id`, `assigned_to`, `is_complete` and
  `_type`. Activity types the reference company holds none of are served as empty lists.
- The event log, `GET /event/`: `{"data": [...], "cursor_next", "cursor_previous"}`, most recently
  updated first, `_limit` at most 50 (the default), `_cursor` from a previous answer, no
  `_skip`; filters `object_type`, `object_id`, `action`, `lead_id`, `user_id`, `request_id` in
  the documented combinations only, each with `date_updated__gte/__lte` if wished.
- Custom fields at `/custom_field/<object>/` and at the older `/custom_fields/<object>/`
  (lead, contact, opportunity, activity), the same lists.
- A query parameter a list does not serve (`query`, `_order_by` on other keys, filters it does
  not implement) is a 400 naming it, rather than ignored.
- Validation errors are `{"errors": [...], "field-errors": {...}}`; other errors `{"error": ...}`.
- Attachments (resources/activities/notes, .../emails; resources/files): notes and e-mails carry
  `attachments: [{url, filename, content_type, size, thumbnail_url}]`, the `url` the Files API
  handed out (`https://app.close.com/go/file/...`). Here that host is the sandbox account's own,
  and the URL answers the bytes to the API key (Content-Type, Content-Length and an inline
  Content-Disposition). Close documents no list of files: they are read from the activities.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.close.held import held
from adapters.close.render import (
    API_USER,
    EMPTY_ACTIVITY_LISTS,
    ORGANIZATION_ID,
    TIMELINES,
    app_url,
    close_id,
    render,
)
from adapters.core.emulated_auth import basic_pair
from adapters.core.emulation import (
    EmulatedAccount,
    RateState,
    SourceEmulator,
    VendorError,
    base_url_of,
    int_param,
    window,
)
from adapters.core.mapping import parse_time

MAX_LIMIT = 100
MAX_SKIP = 10_000  # the deep-pagination ceiling of the list endpoints
SEARCH_MAX_LIMIT = 200
SEARCHABLE = ("lead", "contact")
WITH_TOTAL = {"lead", "opportunity"}  # lists whose answers carry `total_results`
SORTED_ON_REQUEST = {"opportunity", "task"}  # timelines that take `_order_by`
CREATED_FILTERS = ("date_created__gt", "date_created__gte", "date_created__lt", "date_created__lte")
LISTS = (
    "user",
    "lead",
    "contact",
    "opportunity",
    "pipeline",
    "task",
    "activity/call",
    "activity/meeting",
    "activity/email",
    "activity/note",
    "activity/status_change/opportunity",
    *EMPTY_ACTIVITY_LISTS,
    "custom_field/lead",
    "custom_field/contact",
    "custom_field/opportunity",
    "custom_field/activity",
)
# The older custom-field path, served alongside: list name -> the table it shows.
ALIASES = {f"custom_fields/{o}": f"custom_field/{o}" for o in ("lead", "contact", "opportunity",
           "activity")}  # fmt: skip
UPDATED_FILTERS = {"opportunity"}  # lists that take date_updated__gt
TIMED = {*TIMELINES, "activity"}  # lists that take the creation-time filters
ACTIVITY_FILTERS = ("lead_id", "user_id", "contact_id")
# Equality filters each list serves (a `__in` one takes a comma-separated list).
FILTERS: dict[str, tuple[str, ...]] = {
    "opportunity": ("lead_id", "user_id", "status_id", "status_type"),
    "task": ("lead_id", "assigned_to", "is_complete", "_type"),
    "activity": ("lead_id", "user_id", "user_id__in", "contact_id", "contact_id__in", "_type",
                 "_type__in"),
    **{n: ACTIVITY_FILTERS for n in LISTS if n.startswith("activity/")},
}  # fmt: skip
LEAD_ONLY = ("user_id", "user_id__in", "contact_id", "contact_id__in", "_type", "_type__in")
ACTIVITY_TYPES = ("Call", "Created", "Email", "EmailThread", "LeadStatusChange", "Meeting",
                  "Note", "OpportunityStatusChange", "SMS", "TaskCompleted", "Custom")  # fmt: skip
PAGING = ("_skip", "_limit", "_fields")
EVENT_LIMIT = 50
EVENT_FILTERS = ("object_type", "object_id", "action", "lead_id", "user_id", "request_id")
EVENT_COMBINATIONS = {frozenset(c.split()) for c in (
    "object_type object_id", "object_type action", "object_id action", "lead_id object_type",
    "lead_id object_type action", "lead_id user_id object_type",
    "lead_id user_id object_type action", "lead_id user_id", "user_id object_id",
    "user_id object_id action", "user_id object_type", "user_id object_type action", "lead_id",
    "user_id", "request_id", "",
)}  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CloseEmulator(SourceEmulator):
    gate = staticmethod(basic_pair("api_key", None))  # the key as the Basic username
    unauthorized_message = "Unauthorized"
    window_seconds = 1.0  # limits are requests per second
    default_burst = 40
    max_skip = MAX_SKIP  # a test may lower it to cross the ceiling with a small company

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock=clock)
        self._timeline_keys: dict[tuple[str, str], tuple[list[dict[str, Any]], list[float]]] = {}

    def routes(self) -> list[BaseRoute]:
        base = "/{account_id}/api/v1"
        routes: list[BaseRoute] = [
            Route(base + "/me/", self.me),
            Route(base + "/data/search/", self.search, methods=["POST"]),
        ]
        routes += [
            Route("/{account_id}/go/file/{key}/", self.download),
            Route(base + "/event/", self.events),
            Route(base + "/event/{record_id}/", self._getter("event")),
            Route(base + "/activity/", self._lister("activity")),
        ]
        for name in LISTS:
            routes.append(Route(f"{base}/{name}/", self._lister(name)))
            routes.append(Route(f"{base}/{name}/{{record_id}}/", self._getter(name)))
        for name, table in ALIASES.items():
            routes.append(Route(f"{base}/{name}/", self._lister(table)))
            routes.append(Route(f"{base}/{name}/{{record_id}}/", self._getter(table)))
        return routes

    def new_credentials(self, base_url: str) -> dict[str, str]:
        return {"api_key": "api_" + secrets.token_urlsafe(24)}

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold

    def error_body(self, status: int, code: str, message: str) -> Any:
        if status == 400:
            return {"errors": [message], "field-errors": {}}
        return {"error": message}

    def rate_headers(self, state: RateState) -> dict[str, str]:
        reset = max(0, math.ceil(state.reset_seconds))
        return {
            "RateLimit": f"limit={state.limit}, remaining={max(state.remaining, 0)}, reset={reset}",
            "RateLimit-Policy": f"{state.limit};w={int(self.window_seconds)}",
        }

    def rate_limited(self, state: RateState) -> VendorError:
        message = "API call count exceeded for this period"
        body = {
            "error": {
                "rate_reset": round(max(state.reset_seconds, 0.01), 3),
                "message": message,
                "rate_limit_type": "key",
                "rate_limit": f"limit={state.limit}",
            }
        }
        return VendorError(429, "rate_limited", message, body=body)

    # --- routes -----------------------------------------------------------------------------

    async def me(self, request: Request) -> Response:
        account = self.account(request)
        me = close_id("user", API_USER)
        user = next(u for u in account.table("user") if u["id"] == me)
        organization = {"id": ORGANIZATION_ID, "name": "Ferry Reference Company"}
        return self.respond(request, {**user, "organizations": [organization]})

    async def search(self, request: Request) -> Response:
        account = self.account(request)
        body = await _json_object(request)
        object_type = _object_type(body.get("query"))
        limit = _body_int(body, "_limit", MAX_LIMIT, lo=1, hi=SEARCH_MAX_LIMIT)
        start = _decode_cursor(body.get("cursor"))
        records = account.table(object_type)
        end = len(records)
        if body.get("results_limit") is not None:
            end = min(end, _body_int(body, "results_limit", end, lo=0))
        if body.get("sort"):
            raise VendorError(400, "invalid_parameter", "sort is not served by this sandbox")
        fields = _search_fields(body.get("_fields"), object_type)
        stop = min(start + limit, end)
        data = [_projected(record, object_type, fields) for record in records[start:stop]]
        cursor = _encode_cursor(stop) if stop < end else None
        return self.respond(request, {"data": data, "cursor": cursor})

    def _keys(self, account: EmulatedAccount, name: str) -> list[float]:
        """A timeline's `ascending_keys`, made once per table: it is read a page at a time."""
        records = account.table(name)
        cached = self._timeline_keys.get((account.id, name))
        if cached is None or cached[0] is not records:
            cached = self._timeline_keys[(account.id, name)] = (records, ascending_keys(records))
        return cached[1]

    def _lister(self, name: str) -> Any:
        async def list_records(request: Request) -> Response:
            account = self.account(request)
            _check_parameters(request, name)
            records = account.table(name)
            records = _timeline(request, name, records, lambda: self._keys(account, name))
            records = _filtered(request, name, _equal(request, name, records))
            skip = int_param(request, "_skip", 0, lo=0)
            if skip > self.max_skip:
                message = f"_skip: the maximum is {self.max_skip}"
                raise VendorError(400, "invalid_parameter", message)
            limit = int_param(request, "_limit", MAX_LIMIT, lo=1, hi=MAX_LIMIT)
            page, more = window(records, skip, limit)
            body: dict[str, Any] = {"data": [_only(r, request) for r in page], "has_more": more}
            if name in WITH_TOTAL:
                body["total_results"] = len(records)
            return self.respond(request, body)

        return list_records

    async def events(self, request: Request) -> Response:
        account = self.account(request)
        params = request.query_params
        allowed = {*EVENT_FILTERS, "_cursor", "_limit", "_fields", "date_updated__gte",
                   "date_updated__lte"}  # fmt: skip
        for name in params:
            if name not in allowed:
                raise VendorError(400, "invalid_parameter", f"Invalid parameter: {name}")
        given = {name: params[name] for name in EVENT_FILTERS if name in params}
        if frozenset(given) not in EVENT_COMBINATIONS:
            combination = " and ".join(sorted(given))
            raise VendorError(
                400, "invalid_parameter", f"Unsupported filter combination: {combination}"
            )
        limit = int_param(request, "_limit", EVENT_LIMIT, lo=1, hi=EVENT_LIMIT)
        events = [e for e in account.table("event") if all(e[k] == v for k, v in given.items())]
        for param, keep in (("date_updated__gte", 1), ("date_updated__lte", -1)):
            if param in params:
                moment = parse_time(params[param])
                if moment is None:
                    raise VendorError(400, "invalid_parameter", f"{param}: not a valid datetime")
                events = [
                    e
                    for e in events
                    if ((parse_time(e["date_updated"]) or moment) - moment).total_seconds() * keep
                    >= 0
                ]
        start = _decode_cursor(params.get("_cursor"))
        page = events[start : start + limit]
        stop = start + len(page)
        body = {
            "data": [_only(e, request) for e in page],
            "cursor_next": _encode_cursor(stop) if stop < len(events) else None,
            "cursor_previous": _encode_cursor(max(start - limit, 0)) if start else None,
        }
        return self.respond(request, body)

    async def download(self, request: Request) -> Response:
        account = self.account(request)
        wanted = request.path_params["key"]
        found = next((f for f in account.table("file") if f["key"] == wanted), None)
        if found is None:
            raise VendorError(404, "not_found", "Empty query: object does not exist.")
        data: bytes = found["_bytes"]
        name = found["attachment"]["filename"]
        plain = name.encode("ascii", "replace").decode().replace('"', "'")
        headers = {
            "Content-Length": str(len(data)),
            "Content-Disposition": f"inline; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}",
        }
        state = getattr(request.state, "rate", None)
        headers.update(self.rate_headers(state) if state else {})
        media = found["attachment"]["content_type"]
        return Response(data, 200, headers, media_type=media)

    def _getter(self, name: str) -> Any:
        async def get_record(request: Request) -> Response:
            account = self.account(request)
            wanted = request.path_params["record_id"]
            found = next((r for r in account.table(name) if r["id"] == wanted), None)
            if found is None:
                raise VendorError(404, "not_found", "Empty query: object does not exist.")
            return self.respond(request, _only(found, request))

        return get_record


def _only(record: dict[str, Any], request: Request) -> dict[str, Any]:
    """`_fields=a,b` keeps those fields only; attachments' URLs on the sandbox's own host."""
    if record.get("attachments"):
        base = base_url_of(request)
        record = {**record, "attachments": [app_url(a, base) for a in record["attachments"]]}
    fields = request.query_params.get("_fields")
    if not fields:
        return record
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    return {k: v for k, v in record.items() if k in wanted}


def _timeline(
    request: Request, name: str, records: list[dict[str, Any]], keys: Callable[[], list[float]]
) -> list[dict]:
    """A list cut to the asked creation times, in the asked order. Timelines are stored newest
    first, so the cut is a slice found by bisection."""
    given = {f: request.query_params[f] for f in CREATED_FILTERS if f in request.query_params}
    order = request.query_params.get("_order_by")
    if name == "activity":
        return _all_activities(request, records, given, keys)
    if name not in TIMELINES:
        if given:
            raise VendorError(400, "invalid_parameter", f"Invalid filter: {next(iter(given))}")
        return records
    lo, hi = 0, len(records)
    if given:
        keyed = keys()
        for param, text in given.items():
            moment = parse_time(text)
            if moment is None:
                raise VendorError(400, "invalid_parameter", f"{param}: not a valid datetime")
            key = -moment.timestamp()
            if param.endswith("__lte"):
                lo = max(lo, bisect_left(keyed, key))
            elif param.endswith("__lt"):
                lo = max(lo, bisect_right(keyed, key))
            elif param.endswith("__gte"):
                hi = min(hi, bisect_right(keyed, key))
            else:
                hi = min(hi, bisect_left(keyed, key))
    cut = records[lo:hi]
    if order is None or name not in SORTED_ON_REQUEST:
        return cut
    if order not in ("date_created", "-date_created"):
        raise VendorError(400, "invalid_parameter", f"_order_by={order} is not served here")
    return cut if order == "-date_created" else cut[::-1]


def _all_activities(
    request: Request,
    records: list[dict[str, Any]],
    given: dict[str, str],
    keys: Callable[[], list[float]],
) -> list[dict]:
    """`/activity/`: cut on creation and activity times, ordered on either (newest first by
    default)."""
    params = request.query_params
    cut = records
    for param, text in [*given.items(), *((p, params[p]) for p in ACTIVITY_AT if p in params)]:
        moment = parse_time(text)
        if moment is None:
            raise VendorError(400, "invalid_parameter", f"{param}: not a valid datetime")
        stamp, _, op = param.partition("__")
        cut = [r for r in cut if _holds(parse_time(r.get(stamp)), op, moment)]
    order = params.get("_order_by", "-date_created")
    key = order.lstrip("-")
    if key not in ("date_created", "activity_at"):
        raise VendorError(400, "invalid_parameter", f"_order_by={order} is not served here")
    if order == "-date_created":
        return cut
    moments = {id(r): parse_time(r.get(key)) or _EPOCH for r in cut}
    return sorted(cut, key=lambda r: moments[id(r)], reverse=order.startswith("-"))


ACTIVITY_AT = ("activity_at__gt", "activity_at__lt")


def _holds(value: datetime | None, op: str, moment: datetime) -> bool:
    if value is None:
        return False
    return {"gt": value > moment, "gte": value >= moment, "lt": value < moment,
            "lte": value <= moment}[op]  # fmt: skip


def _check_parameters(request: Request, name: str) -> None:
    """A parameter this list does not serve is a 400, not ignored."""
    allowed = {*PAGING, *FILTERS.get(name, ())}
    if name in TIMED:
        allowed.update(CREATED_FILTERS)
    if name in UPDATED_FILTERS:
        allowed.add("date_updated__gt")
    if name in SORTED_ON_REQUEST or name == "activity":
        allowed.add("_order_by")
    if name == "activity":
        allowed.update(ACTIVITY_AT)
    for param in request.query_params:
        if param not in allowed:
            raise VendorError(400, "invalid_parameter", f"Invalid parameter: {param}")
    if name == "activity" and "lead_id" not in request.query_params:
        for param in LEAD_ONLY:
            if param in request.query_params:
                message = f"{param} can only be used when listing the activities of one lead"
                raise VendorError(400, "invalid_parameter", message)


def _equal(request: Request, name: str, records: list[dict[str, Any]]) -> list[dict]:
    """The equality filters (`x=v`, `x__in=v1,v2`) a list serves."""
    for param in FILTERS.get(name, ()):
        raw = request.query_params.get(param)
        if raw is None:
            continue
        field, _, many = param.partition("__")
        wanted = set(raw.split(",")) if many else {raw}
        if field == "_type":
            unknown = [t for t in wanted if t not in ACTIVITY_TYPES and name == "activity"
                       and not t.startswith("actitype_")]  # fmt: skip
            if unknown:
                raise VendorError(400, "invalid_parameter", f"_type: unknown type {unknown[0]}")
        records = [r for r in records if _text(r.get(field)) in wanted]
    return records


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def ascending_keys(records: list[dict[str, Any]]) -> list[float]:
    """Minus each record's creation time: ascending, as a timeline is stored newest first."""
    return [-(parse_time(r["date_created"]) or _EPOCH).timestamp() for r in records]


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise VendorError(400, "invalid_body", "The request body must be a JSON object.")
    return body


def _object_type(query: Any) -> str:
    """The object type of an `object_type` query, alone or the only part of an `and`."""
    if isinstance(query, dict) and query.get("type") == "and":
        parts = query.get("queries") or []
        query = parts[0] if len(parts) == 1 else None
    if (
        isinstance(query, dict)
        and query.get("type") == "object_type"
        and query.get("object_type") in SEARCHABLE
    ):
        return str(query["object_type"])
    raise VendorError(
        400, "invalid_parameter", "This sandbox searches leads and contacts by object_type only"
    )


def _body_int(
    body: dict[str, Any], name: str, default: int, *, lo: int, hi: int | None = None
) -> int:
    value = body.get(name, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi and value > hi):
        bounds = f"between {lo} and {hi}" if hi else f"at least {lo}"
        raise VendorError(400, "invalid_parameter", f"{name} must be an integer {bounds}.")
    return value


def _search_fields(given: Any, object_type: str) -> list[str] | None:
    if given is None:
        return None
    fields = given.get(object_type) if isinstance(given, dict) else None
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise VendorError(
            400, "invalid_parameter", f'_fields must be {{"{object_type}": [field, ...]}}'
        )
    return fields


def _projected(record: dict[str, Any], object_type: str, fields: list[str] | None) -> dict:
    if fields is None:
        return {"__object_type": object_type, "id": record["id"]}
    return {name: record[name] for name in fields if name in record}


def _encode_cursor(position: int) -> str:
    raw = json.dumps({"position": position}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode_cursor(cursor: Any) -> int:
    if cursor is None:
        return 0
    try:
        text = str(cursor)
        position = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))["position"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise VendorError(
            400, "invalid_parameter", "cursor: not a cursor this search gave"
        ) from None
    if not isinstance(position, int) or position < 0:
        raise VendorError(400, "invalid_parameter", "cursor: not a cursor this search gave")
    return position


def _filtered(request: Request, name: str, records: list[dict[str, Any]]) -> list[dict]:
    after = request.query_params.get("date_updated__gt")
    if after is None:
        return records
    if name not in UPDATED_FILTERS:
        raise VendorError(400, "invalid_parameter", "Invalid filter: date_updated__gt")
    since = parse_time(after)
    if since is None:
        raise VendorError(400, "invalid_parameter", "date_updated__gt: not a valid datetime")
    return [r for r in records if (parse_time(r.get("date_updated")) or since) > since]
