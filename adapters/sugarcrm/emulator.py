"""An emulator of a Sugar instance's REST API v11 for the sandbox: the read side a migration uses.

Vendor facts it follows (Sugar Developer Guide, support.sugarcrm.com/documentation/
sugar_developer/sugar_developer_guide_14.0/integration/web_services/rest_api/ — endpoints
oauth2/token POST, <module> GET, <module>/filter POST, me GET, metadata GET; the cookbook "How
to Authenticate and Log Out"; "API Exceptions"; and the community OpenAPI copy in
../shared/specs/sugarcrm):
- Everything lives under `https://{instance}/rest/v11/`. `POST oauth2/token` takes JSON
  `{grant_type: "password", client_id: "sugar", client_secret: "", username, password,
  platform}` (platform defaults to "base"; since Winter '18 other platforms must be registered
  in the instance) and answers `{access_token, expires_in: 3600, token_type: "bearer", scope,
  refresh_token, refresh_expires_in, download_token}`. Calls carry `OAuth-Token: <token>`.
- Errors are `{"error": <label>, "error_message": <text>}`: need_login 401 (no token, or a
  refused login), invalid_grant 401 (a bad or expired token), not_found 404, no_method 404,
  missing_parameter / invalid_parameter 422.
- Lists: `GET /{module}?max_num=&offset=&fields=&filter[0][field][$op]=` (max_num defaults to
  20 and is capped at the instance's max_record_fetch_size, 1000) answer `{"next_offset": N,
  "records": [...]}`, next_offset -1 on the last page. `fields` is a comma list whose items
  may be JSON objects naming a link (`{"name":"contacts","fields":["id"]}`): the related
  records come back in the record under the link's name. id and date_modified always come.
- Filters also take `$empty` / `$not_empty` (no value needed); a bool field compares with
  0/1 or false/true.
- Files: `GET /{module}/{record}/file/{field}` answers a file field's bytes (a Note's
  attachment is its `filename` field) with its Content-Type, Content-Length and a
  Content-Disposition naming the file; a record without the file is not_found (404).
- Rate limits: the guide documents none for the REST API; Sugar Cloud throttles with a 429.
  The emulator answers a 429 in the error shape with a Retry-After header (not documented).
"""

from __future__ import annotations

import json
import re
import secrets
import urllib.parse
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import Login, issued, json_fields
from adapters.core.emulation import (
    EmulatedAccount,
    RateState,
    SourceEmulator,
    Tables,
    VendorError,
)
from adapters.core.mapping import parse_time
from adapters.reference.dataset import ReferenceCompany
from adapters.sugarcrm.held import held
from adapters.sugarcrm.naming import sugar_id
from adapters.sugarcrm.render import API_USER_ZONE, Renderer

API = "/{account_id}/rest/v11"
DEFAULT_MAX_NUM = 20
MAX_FETCH = 1000  # max_record_fetch_size
KNOWN_PLATFORMS = ("base", "mobile", "portal")
API_USER = "u1"  # whose login the sandbox hands out
NOT_FOUND = (
    "Your requested resource was not found. Could not find a handler for the path specified "
    "in the request."
)
OPERATORS = {
    "$equals": lambda a, b: a == b,
    "$not_equals": lambda a, b: a != b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}
_FILTER_PARAM = re.compile(r"^filter\[(\d+)\]\[(\w+)\](?:\[(\$\w+)\])?$")


class SugarEmulator(SourceEmulator):
    gate = staticmethod(issued("oauth-token", prefix=""))
    window_seconds = 10.0

    def routes(self) -> list[BaseRoute]:
        return [
            self.login_route(API + "/oauth2/token", PASSWORD_LOGIN),
            Route(API + "/me", self.me),
            Route(API + "/metadata", self.metadata),
            Route(API + "/{module}/filter", self.filter_records, methods=["POST"]),
            Route(API + "/{module}/{record}/file/{field}", self.download),
            Route(API + "/{module}", self.list_records),
        ]

    def new_credentials(self, base_url: str) -> dict[str, str]:
        return {
            "username": "anna.kowalska",
            "password": secrets.token_urlsafe(12),
            "client_id": "sugar",
            "platform": "ferry_migration",  # registered in the sandbox instance
        }

    def render(self, company: ReferenceCompany) -> Tables:
        return Renderer(company).tables()

    held = staticmethod(held)  # what of it the vendor can hold

    def authenticate(self, account: EmulatedAccount, request: Request) -> bool:
        # No token at all is its own error in Sugar; a token not issued is `unauthorized`.
        if not request.headers.get("oauth-token"):
            raise VendorError(401, "need_login", "No valid authentication for user.")
        return super().authenticate(account, request)

    def unauthorized(self) -> VendorError:
        return VendorError(401, "invalid_grant", "The access token provided is invalid.")

    def error_body(self, status: int, code: str, message: str) -> Any:
        if status == 404 and message == "Not Found":
            message = NOT_FOUND
        if status == 405:
            code, message = "no_method", "Could not find a method for this path."
        return {"error": code, "error_message": message}

    def rate_limited(self, state: RateState) -> VendorError:
        wait = str(max(1, int(state.reset_seconds + 0.999)))
        return VendorError(429, "too_many_requests", "Too many requests.", {"Retry-After": wait})

    # --- meta -----------------------------------------------------------------------------

    async def me(self, request: Request) -> Response:
        account = self.account(request)
        me = next(u for u in account.table("Users") if u["id"] == sugar_id(API_USER))
        preferences = {"timezone": str(API_USER_ZONE), "currency_id": "-99", "datepref": "Y-m-d"}
        user = {**me, "type": "admin", "preferences": preferences}
        return self.respond(request, {"current_user": user})

    async def metadata(self, request: Request) -> Response:
        account = self.account(request)
        document = account.table("metadata")[0]
        wanted = _names(request.query_params.get("type_filter"))
        body = {k: v for k, v in document.items() if k == "_hash" or not wanted or k in wanted}
        modules = _names(request.query_params.get("module_filter"))
        if modules and "modules" in body:
            body["modules"] = {k: v for k, v in body["modules"].items() if k in modules}
        return self.respond(request, body)

    # --- records --------------------------------------------------------------------------

    async def list_records(self, request: Request) -> Response:
        account = self.account(request)
        query = request.query_params
        filters = _query_filters(query.multi_items())
        page = self._page(account, request, filters, dict(query))
        return self.respond(request, page)

    async def filter_records(self, request: Request) -> Response:
        account = self.account(request)
        body = await _json_body(request)
        filters = body.get("filter") or []
        if not isinstance(filters, list):
            raise VendorError(422, "invalid_parameter", "Filter must be an array.")
        options: dict[str, Any] = {k: body[k] for k in ("max_num", "offset", "fields") if k in body}
        return self.respond(request, self._page(account, request, filters, options))

    async def download(self, request: Request) -> Response:
        """A file field's bytes (`/<module>/:record/file/:field GET`), byte for byte."""
        account = self.account(request)
        module, record = request.path_params["module"], request.path_params["record"]
        field = request.path_params["field"]
        if module == "metadata" or module not in account.tables:
            raise VendorError(404, "not_found", NOT_FOUND)
        row = next((r for r in account.table(module) if r["id"] == record), None)
        if row is None:
            raise VendorError(
                404, "not_found", f"Could not find record: {record} in module: {module}"
            )
        if field != "filename" or not row.get("filename") or "_bytes" not in row:
            raise VendorError(
                404, "not_found", f"The requested file {module} :: {field} does not exist"
            )
        quoted = urllib.parse.quote(row["filename"], safe="")
        return Response(
            row["_bytes"],
            200,
            headers={
                "Content-Type": row["file_mime_type"],
                "Content-Disposition": f'attachment; filename="{quoted}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "max-age=0, private",
            },
        )

    def _page(
        self,
        account: EmulatedAccount,
        request: Request,
        filters: list[dict[str, Any]],
        options: dict[str, Any],
    ) -> dict[str, Any]:
        module = request.path_params["module"]
        if module == "metadata" or module not in account.tables:
            raise VendorError(404, "not_found", NOT_FOUND)
        rows = [row for row in account.table(module) if _matches(row, filters)]
        max_num = min(_integer(options, "max_num", DEFAULT_MAX_NUM), MAX_FETCH)
        offset = _integer(options, "offset", 0)
        chunk = rows[offset : offset + max_num]
        more = offset + max_num < len(rows)
        fields = _fields(options.get("fields"))
        return {
            "next_offset": offset + max_num if more else -1,
            "records": [_shown(row, fields) for row in chunk],
        }


def _no_secret(account: EmulatedAccount, request: Request, given: Mapping[str, str]) -> str | None:
    """The stock OAuth key ("sugar") has no secret: one given is refused."""
    return "client_secret" if given.get("client_secret") else None


def _platform(account: EmulatedAccount, request: Request, given: Mapping[str, str]) -> str | None:
    known = (*KNOWN_PLATFORMS, account.credentials.get("platform"))
    return None if (given.get("platform") or "base") in known else "platform"


def _login_refusal(field: str, given: Mapping[str, str]) -> tuple[int, Any]:
    status, error, message = {
        "grant_type": (400, "unsupported_grant_type", "The grant type is not supported."),
        "client_id": (400, "invalid_client", "The client credentials are invalid"),
        "client_secret": (400, "invalid_client", "The client credentials are invalid"),
        "platform": (422, "invalid_parameter", f"Invalid platform: {given.get('platform')}"),
    }.get(field, (401, "need_login", "You must specify a valid username and password."))
    return status, {"error": error, "error_message": message}


def _login_answer(token: str, request: Request, account: EmulatedAccount) -> Any:
    return {
        "access_token": token,
        "expires_in": 3600,
        "token_type": "bearer",
        "scope": None,
        "refresh_token": secrets.token_hex(18),
        "refresh_expires_in": 1209600,
        "download_token": secrets.token_hex(18),
    }


# Sugar's password grant: a JSON body naming the OAuth key, the user and the API platform.
PASSWORD_LOGIN = Login(
    {"client_id": "client_id", "username": "username", "password": "password"},
    grant_type="password",
    read=json_fields,
    checks=(_no_secret, _platform),
    answer=_login_answer,
    refusal=_login_refusal,
)


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise VendorError(422, "invalid_parameter", "The request body is not JSON.") from None
    if not isinstance(body, dict):
        raise VendorError(422, "invalid_parameter", "The request body must be an object.")
    return body


def _names(raw: str | None) -> list[str]:
    return [name.strip() for name in (raw or "").split(",") if name.strip()]


def _integer(options: dict[str, Any], name: str, default: int) -> int:
    raw = options.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise VendorError(422, "invalid_parameter", f"{name} must be an integer.") from None
    if value < 0:
        raise VendorError(422, "invalid_parameter", f"{name} must not be negative.")
    return value


def _query_filters(items: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """`filter[0][date_modified][$gt]=...` query parameters as the filter array."""
    filters: dict[int, dict[str, Any]] = {}
    for key, value in items:
        found = _FILTER_PARAM.match(key)
        if key.startswith("filter") and not found:
            raise VendorError(422, "invalid_parameter", f"Invalid filter parameter: {key}")
        if found:
            index, field, operator = int(found[1]), found[2], found[3]
            filters.setdefault(index, {})[field] = {operator: value} if operator else value
    return [filters[i] for i in sorted(filters)]


def _matches(row: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    for condition in filters:
        for field, test in condition.items():
            if field not in row:
                raise VendorError(422, "invalid_parameter", f"Unknown field: {field}")
            operator, wanted = (
                next(iter(test.items())) if isinstance(test, dict) else ("$equals", test)
            )
            if operator in ("$empty", "$not_empty"):
                if (row[field] in ("", None)) != (operator == "$empty"):
                    return False
                continue
            if operator not in OPERATORS:
                raise VendorError(
                    422, "invalid_parameter", f"Did not recognize the operator: {operator}"
                )
            if not OPERATORS[operator](*_comparable(row[field], wanted)):
                return False
    return True


def _comparable(value: Any, wanted: Any) -> tuple[Any, Any]:
    """Datetimes compare as instants whatever their offset; bools with 0/1 or false/true;
    other values as strings."""
    if isinstance(value, bool):
        return value, str(wanted).lower() in ("1", "true")
    left, right = parse_time(value), parse_time(wanted)
    if left is not None and right is not None and isinstance(value, str) and len(value) > 10:
        return left, right
    return str(value), str(wanted)


def _split_fields(raw: str) -> list[str]:
    """A comma list whose items may be JSON objects (with commas of their own)."""
    items, depth, current = [], 0, ""
    for char in raw:
        depth += {"{": 1, "[": 1, "}": -1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    return [item.strip() for item in [*items, current] if item.strip()]


def _fields(raw: Any) -> list[str] | None:
    """The field names asked for (links by name); None: all fields."""
    if raw in (None, ""):
        return None
    names: list[str] = []
    for item in _split_fields(raw) if isinstance(raw, str) else list(raw):
        if isinstance(item, str) and item.startswith("{"):
            try:
                item = json.loads(item)
            except ValueError:
                raise VendorError(422, "invalid_parameter", f"Invalid field: {item}") from None
        names.append(str(item["name"]) if isinstance(item, dict) else str(item))
    return names


def _shown(row: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    visible = {k: v for k, v in row.items() if not k.startswith("_") or k == "_module"}
    if fields is not None:
        keep = {"id", "date_modified", "_module", *fields}
        visible = {k: v for k, v in visible.items() if k in keep}
        if "contacts" in fields and "_contacts" in row:
            related = [{"id": i, "_module": "Contacts"} for i in row["_contacts"]]
            visible["contacts"] = {"next_offset": -1, "records": related}
    return {**visible, "_acl": {"fields": {}}}
