"""An emulator of Close's REST API (v1) for the sandbox: the read side a migration uses.

Vendor facts it follows (developer.close.com: /api/overview/api-key-authentication,
/api/overview/pagination, /api/overview/rate-limits, /api/resources/leads, .../opportunities,
.../activities/meetings, .../custom-fields/custom-fields-lead; the OpenAPI copy in
api-evangelist/close openapi/close-*-api-openapi.yml):
- `https://api.close.com/api/v1/<resource>/` with trailing slashes.
- HTTP Basic with the API key as the user name and an empty password.
- Lists take `_skip` / `_limit` (default 100; a limit above the resource's maximum, or a skip
  beyond the deep-pagination ceiling, is a 400) and `_fields`; they answer
  `{"data": [...], "has_more": bool}`.
- Opportunities filter on `date_updated__gt` (and the other documented filters are ignored here).
- Rate limits per endpoint group and API key: a 429 carries
  `{"error": {"rate_reset": <seconds>, "message": ..., "rate_limit_type": ...}}`; answers carry
  the RFC-draft `RateLimit: limit=.., remaining=.., reset=..` header and `RateLimit-Policy`.
- Validation errors are `{"errors": [...], "field-errors": {...}}`; other errors `{"error": ...}`.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.close.held import held
from adapters.close.render import API_USER, ORGANIZATION_ID, close_id, render
from adapters.core.emulation import (
    EmulatedAccount,
    RateState,
    SourceEmulator,
    Tables,
    VendorError,
    basic,
    int_param,
    window,
)
from adapters.core.mapping import parse_time
from adapters.reference.dataset import ReferenceCompany

MAX_LIMIT = 100
MAX_SKIP = 10_000  # the deep-pagination ceiling (Close says it varies per resource)
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
    "custom_field/lead",
    "custom_field/contact",
    "custom_field/opportunity",
)
UPDATED_FILTERS = {"opportunity"}  # lists that take date_updated__gt


class CloseEmulator(SourceEmulator):
    window_seconds = 1.0  # limits are requests per second
    default_burst = 40

    def routes(self) -> list[BaseRoute]:
        base = "/{account_id}/api/v1"
        routes: list[BaseRoute] = [Route(base + "/me/", self.me)]
        for name in LISTS:
            routes.append(Route(f"{base}/{name}/", self._lister(name)))
            routes.append(Route(f"{base}/{name}/{{record_id}}/", self._getter(name)))
        return routes

    def new_credentials(self, base_url: str) -> dict[str, str]:
        return {"api_key": "api_" + secrets.token_urlsafe(24)}

    def render(self, company: ReferenceCompany) -> Tables:
        return render(company)

    def held(self, company: ReferenceCompany) -> ReferenceCompany:
        return held(company)

    def authenticate(self, account: EmulatedAccount, request: Request) -> bool:
        pair = basic(request)
        return pair is not None and pair[0] == account.credentials.get("api_key")

    def error_body(self, status: int, code: str, message: str) -> Any:
        if status == 400:
            return {"errors": [message], "field-errors": {}}
        return {"error": message}

    def unauthorized(self) -> VendorError:
        return VendorError(401, "unauthorized", "Unauthorized")

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

    def _lister(self, name: str) -> Any:
        async def list_records(request: Request) -> Response:
            account = self.account(request)
            records = _filtered(request, name, account.table(name))
            skip = int_param(request, "_skip", 0, lo=0, hi=MAX_SKIP)
            limit = int_param(request, "_limit", MAX_LIMIT, lo=1, hi=MAX_LIMIT)
            page, more = window(records, skip, limit)
            page = [_only(record, request) for record in page]
            return self.respond(request, {"data": page, "has_more": more})

        return list_records

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
    """`_fields=a,b` keeps those fields only."""
    fields = request.query_params.get("_fields")
    if not fields:
        return record
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    return {k: v for k, v in record.items() if k in wanted}


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
