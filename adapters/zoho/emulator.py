"""An emulator of Zoho CRM's API v8 for the sandbox: the read side a migration uses.

Vendor facts it follows (Zoho's OpenAPI files zoho/crm-oas v8.0 — record.json, users.json,
fields.json, notes.json, pipeline.json, layouts.json — and the v8 pages under
https://www.zoho.com/crm/developer/docs/api/v8/: get-records, get-users, field-meta,
get-notes, get-pipelines, layouts-meta, status-codes, api-limits, and the OAuth refresh page
https://www.zoho.com/accounts/protocol/oauth/web-apps/access-token-expiry.html):
- Paths `/crm/v8/{module}`, `/crm/v8/users`, `/crm/v8/settings/{fields,layouts,pipeline}`.
- `Authorization: Zoho-oauthtoken <access token>`; a bad or missing token is a 401
  `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`.
- Tokens come from the accounts server's `/oauth/v2/token` (grant_type=refresh_token, client_id,
  client_secret, refresh_token, as query or form parameters). A refused refresh is still a 200,
  with `{"error":"invalid_code"}` and no access token.
- Record lists need `fields` (at most 50 API names; without it a 400 REQUIRED_PARAM_MISSING),
  take `per_page` (at most 200) and `page`, or `page_token` from `info.next_page_token` (page
  and page_token together are refused; `page` alone reaches only the first 2,000 records).
  Envelope `{"data":[...],"info":{...}}`; an empty answer is a 204 with no body.
- Every record has `Created_Time` and `Modified_Time` (record.json: string, date-time), written
  in the org's offset to the second ("2024-03-05T10:12:00+01:00"); Created_Time is when it was
  created, served only when named in `fields`.
- A record's related list (related_records.json; the v8 get-related-records page):
  `/crm/v8/{module}/{record_id}/{related_list}`, `fields` required, `page`/`per_page` (<= 200,
  no page_token), the same envelope with `info.more_records`, 204 when empty; a wrong relation
  name is a 400 INVALID_DATA "The relation name given seems to be invalid". Served: a deal's
  Products, product records with the relation's Quantity, List_Price, Discount and Total (these
  names from the brief; the OAS files list no fields of the relation). Other parameters are
  refused with INVALID_DATA naming them.
- Attachments (attachments.json; the v8 get-attachments and download-attachments pages): a
  record's Attachments related list, `/crm/v8/{module}/{record_id}/Attachments` (`fields`
  required; `page`/`per_page`; Leads, Accounts, Contacts, Deals, Tasks, Events, Calls,
  Products, Notes...), each attachment with File_Name, Size, Parent_Id, $se_module; there is
  no list of every record's attachments. `GET .../Attachments/{id}` answers the file's bytes
  (Content-Type, Content-Length, Content-Disposition with the name, RFC 6266's filename* for
  one that is not ASCII); an id not attached to that record is a 400 INVALID_DATA.
- Leads (the Leads module, its unconverted leads) list like any module; the Tag field of a
  record is its tags, [{"name", "id", "color_code"}].
- Errors `{"code","details","message","status":"error"}`. Too many requests is a 429
  TOO_MANY_REQUESTS; the docs name no rate-limit headers and no Retry-After.
"""

from __future__ import annotations

import base64
import secrets
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import issued, oauth2_refresh_login
from adapters.core.emulation import (
    EmulatedAccount,
    RateState,
    SourceEmulator,
    Tables,
    VendorError,
    base_url_of,
    int_param,
)
from adapters.reference.dataset import ReferenceCompany
from adapters.zoho import render as shapes
from adapters.zoho.held import held

API = "/{account_id}/crm/v8"
MAX_PER_PAGE = 200
MAX_FIELDS = 50
PAGE_LIMIT = 2000  # records reachable with `page` alone
RECORD_MODULES = (
    "Accounts", "Contacts", "Deals", "Leads", "Products", "Tasks", "Events", "Calls", "Notes",
)  # fmt: skip
USER_TYPES = {
    "AllUsers": lambda u: True,
    "ActiveUsers": lambda u: u["status"] == "active",
    "DeactiveUsers": lambda u: u["status"] == "disabled",
    "ConfirmedUsers": lambda u: u["confirm"],
    "ActiveConfirmedUsers": lambda u: u["status"] == "active" and u["confirm"],
    "NotConfirmedUsers": lambda u: not u["confirm"],
    "AdminUsers": lambda u: u["profile"]["name"] == "Administrator",
}
CURRENT_USER = "u1"  # whose refresh token the sandbox hands out


def _token_answer(token: str, request: Request, account: EmulatedAccount) -> dict[str, Any]:
    return {
        "access_token": token,
        "api_domain": base_url_of(request),
        "token_type": "Bearer",
        "expires_in": 3600,
    }


def _token_refusal(field: str, given: Mapping[str, str]) -> tuple[int, Any]:
    # Zoho's accounts server refuses a refresh with a 200 and no access token.
    return 200, {"error": "unsupported_grant_type" if field == "grant_type" else "invalid_code"}


REFRESH = oauth2_refresh_login(
    answer=_token_answer,
    refusal=_token_refusal,
    token=lambda account: f"1000.{secrets.token_hex(24)}",
)


class ZohoEmulator(SourceEmulator):
    gate = staticmethod(issued(prefix="Zoho-oauthtoken"))
    window_seconds = 10.0

    def routes(self) -> list[BaseRoute]:
        return [
            self.login_route("/{account_id}/oauth/v2/token", REFRESH),
            Route(API + "/users", self.users),
            Route(API + "/settings/fields", self.fields),
            Route(API + "/settings/layouts", self.layouts),
            Route(API + "/settings/pipeline", self.pipelines),
            Route(API + "/{module}", self.records),
            Route(API + "/{module}/{record_id}/{related}", self.related),
            Route(API + "/{module}/{record_id}/Attachments/{attachment_id}", self.download),
        ]

    def new_credentials(self, base_url: str) -> dict[str, str]:
        return {
            "client_id": "1000." + secrets.token_hex(15).upper(),
            "client_secret": secrets.token_hex(21),
            "refresh_token": f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}",
            "accounts_url": base_url,  # the accounts server lives on another host in real life
        }

    def render(self, company: ReferenceCompany) -> Tables:
        return shapes.Renderer(company).tables()

    held = staticmethod(held)  # what of it the vendor can hold

    def error_body(self, status: int, code: str, message: str) -> Any:
        details: dict[str, Any] = {}
        if ":" in code:  # routes say "CODE:key=value" to fill one entry of `details`
            code, _, detail = code.partition(":")
            key, _, value = detail.partition("=")
            details[key] = int(value) if value.isdigit() and key != "id" else value
        if status == 405:
            code, message = (
                "INVALID_REQUEST_METHOD",
                "The http request method type is not a valid one",
            )
        if status == 404 and code == "not_found":
            code, message = (
                "INVALID_URL_PATTERN",
                "Please check if the URL trying to access is a correct one",
            )
        return {"code": code, "details": details, "message": message, "status": "error"}

    def unauthorized(self) -> VendorError:
        return VendorError(401, "INVALID_TOKEN", "invalid oauth token")

    def rate_limited(self, state: RateState) -> VendorError:
        return VendorError(
            429, "TOO_MANY_REQUESTS", "The API call limit has been exceeded. Try again later."
        )

    # --- the accounts server ----------------------------------------------------------------

    # --- meta -----------------------------------------------------------------------------

    async def users(self, request: Request) -> Response:
        account = self.account(request)
        kind = request.query_params.get("type", "AllUsers")
        if kind == "CurrentUser":
            me = shapes.zoho_id(CURRENT_USER)
            users = [u for u in account.table("users") if u["id"] == me]
        elif kind in USER_TYPES:
            users = [u for u in account.table("users") if USER_TYPES[kind](u)]
        else:
            raise VendorError(400, "INVALID_DATA:param_name=type", "invalid data")
        per_page = _per_page(request)
        page = int_param(request, "page", 1, lo=1)
        chunk = users[(page - 1) * per_page : page * per_page]
        if not chunk:
            return Response(status_code=204)
        more = page * per_page < len(users)
        info = {"per_page": per_page, "count": len(chunk), "page": page, "more_records": more}
        return self.respond(request, {"users": chunk, "info": info})

    async def fields(self, request: Request) -> Response:
        account = self.account(request)
        module = _required(request, "module")
        if f"fields:{module}" not in account.tables:
            raise VendorError(
                400, "INVALID_MODULE:param_name=module", "the module name given seems to be invalid"
            )
        return self.respond(request, {"fields": account.table(f"fields:{module}")})

    async def layouts(self, request: Request) -> Response:
        account = self.account(request)
        module = _required(request, "module")
        if module != "Deals":
            return Response(status_code=204)  # only Deals layouts carry pipelines here
        return self.respond(request, {"layouts": account.table("layouts")})

    async def pipelines(self, request: Request) -> Response:
        account = self.account(request)
        layout = _required(request, "layout_id")
        if layout not in {row["id"] for row in account.table("layouts")}:
            raise VendorError(
                400, "INVALID_DATA:param_name=layout_id", "the given layout id is invalid"
            )
        return self.respond(request, {"pipeline": account.table("pipeline")})

    # --- records ----------------------------------------------------------------------------

    async def records(self, request: Request) -> Response:
        account = self.account(request)
        module = request.path_params["module"]
        if module not in RECORD_MODULES:
            raise VendorError(
                400,
                "INVALID_MODULE:resource_path_index=0",
                "the module name given seems to be invalid",
            )
        wanted = _field_names(request)
        rows = account.table(module)
        since = _modified_since(request)
        if since is not None:
            rows = [r for r in rows if _parse(r["Modified_Time"]) > since]
            if not rows:
                return Response(status_code=304)
        start, per_page, page = _position(request, account.id, module)
        chunk = rows[start : start + per_page]
        if not chunk:
            return Response(status_code=204)
        more = start + per_page < len(rows)
        data = [_select(row, wanted) for row in chunk]
        return self.respond(
            request,
            {
                "data": data,
                "info": _info(account.id, module, start, per_page, page, len(chunk), more),
            },
        )

    async def related(self, request: Request) -> Response:
        """A record's related list (Get Related Records): `fields` required, `page`/`per_page`;
        no page_token here."""
        account = self.account(request)
        rows = _related_rows(account, request)
        wanted = _field_names(request)
        per_page = _per_page(request)
        page = int_param(request, "page", 1, lo=1)
        chunk = rows[(page - 1) * per_page : page * per_page]
        if not chunk:
            return Response(status_code=204)
        more = page * per_page < len(rows)
        info = {"per_page": per_page, "count": len(chunk), "page": page, "more_records": more}
        return self.respond(request, {"data": [_select(r, wanted) for r in chunk], "info": info})

    async def download(self, request: Request) -> Response:
        """An attachment's bytes (Download an Attachment), byte for byte."""
        account = self.account(request)
        module, record_id = request.path_params["module"], request.path_params["record_id"]
        wanted = request.path_params["attachment_id"]
        found = next(
            (
                row
                for row in account.table("Attachments")
                if row["id"] == wanted
                and row["$se_module"] == module
                and row["Parent_Id"].get("id") == record_id
            ),
            None,
        )
        if found is None:
            raise VendorError(400, f"INVALID_DATA:id={wanted}", "the id given seems to be invalid")
        name = found["File_Name"]
        plain = name.encode("ascii", "replace").decode().replace('"', "_")
        quoted = urllib.parse.quote(name, safe="")
        return Response(
            found["_bytes"],
            200,
            headers={
                "Content-Type": found["_mime"],
                "Content-Disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quoted}",
            },
        )


# The related lists served: a deal's products, any record's attachments.
RELATED = {("Deals", "Products"), *((module, "Attachments") for module in RECORD_MODULES)}
RELATED_PARAMS = frozenset({"fields", "page", "per_page"})
ATTACHMENT_PARAMS = frozenset({"fields", "page", "per_page", "ids"})


def _related_rows(account: EmulatedAccount, request: Request) -> list[dict[str, Any]]:
    """The related list's records of one record, after checking the path and the params."""
    module, record_id = request.path_params["module"], request.path_params["record_id"]
    if module not in RECORD_MODULES:
        raise VendorError(
            400, "INVALID_MODULE:resource_path_index=0", "the module name given seems to be invalid"
        )
    if (module, request.path_params["related"]) not in RELATED:
        raise VendorError(
            400, "INVALID_DATA:resource_path_index=2", "The relation name given seems to be invalid"
        )
    related = request.path_params["related"]
    allowed = ATTACHMENT_PARAMS if related == "Attachments" else RELATED_PARAMS
    for name in request.query_params:
        if name not in allowed:
            raise VendorError(400, f"INVALID_DATA:param_name={name}", "invalid data")
    if record_id not in {row["id"] for row in account.table(module)}:
        raise VendorError(
            400, f"INVALID_DATA:id={record_id}", "the related id given seems to be invalid"
        )
    if related == "Attachments":
        ids = {i for i in request.query_params.get("ids", "").split(",") if i}
        return [
            row
            for row in account.table("Attachments")
            if row["$se_module"] == module
            and row["Parent_Id"].get("id") == record_id
            and (not ids or row["id"] in ids)
        ]
    return [row for row in account.table(f"{module}/{related}") if row["_deal"] == record_id]


def _required(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise VendorError(
            400, f"REQUIRED_PARAM_MISSING:param={name}", "One of the expected parameter is missing"
        )
    return value


def _per_page(request: Request) -> int:
    raw = request.query_params.get("per_page")
    try:
        value = int(raw) if raw else MAX_PER_PAGE
    except ValueError:
        value = -1
    if not 1 <= value <= MAX_PER_PAGE:
        raise VendorError(400, "INVALID_DATA:param_name=per_page", "invalid data")
    return value


def _field_names(request: Request) -> list[str]:
    names = [n.strip() for n in _required(request, "fields").split(",") if n.strip()]
    if len(names) > MAX_FIELDS:
        raise VendorError(
            400, f"LIMIT_EXCEEDED:limit={MAX_FIELDS}", "Maximum number of fields exceeded"
        )
    return names


def _select(row: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    """The asked-for fields; `id` and the `$` meta keys always come along."""
    out = {key: value for key, value in row.items() if key == "id" or key.startswith("$")}
    out.update({name: row[name] for name in wanted if name in row and not name.startswith("_")})
    return out


def _token(account_id: str, module: str, start: int) -> str:
    return base64.urlsafe_b64encode(f"{account_id}|{module}|{start}".encode()).decode().rstrip("=")


def _untoken(account_id: str, module: str, token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        owner, name, start = text.split("|")
        if (owner, name) == (account_id, module):
            return int(start)
    except (ValueError, UnicodeDecodeError):
        pass
    raise VendorError(400, "INVALID_DATA:param_name=page_token", "invalid page token")


def _position(request: Request, account_id: str, module: str) -> tuple[int, int, int]:
    """(first record, page size, page number) from `page`/`per_page` or `page_token`."""
    per_page = _per_page(request)
    token = request.query_params.get("page_token")
    if token:
        if request.query_params.get("page"):
            raise VendorError(400, "INVALID_REQUEST", "page and page_token cannot be used together")
        start = _untoken(account_id, module, token)
        return start, per_page, start // per_page + 1
    page = int_param(request, "page", 1, lo=1)
    if page * per_page > PAGE_LIMIT:
        raise VendorError(
            400,
            "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
            f"cannot fetch more than {PAGE_LIMIT} records with page; use page_token",
        )
    return (page - 1) * per_page, per_page, page


def _info(
    account_id: str, module: str, start: int, per_page: int, page: int, count: int, more: bool
) -> dict[str, Any]:
    expiry = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return {
        "per_page": per_page,
        "count": count,
        "page": page,
        "sort_by": "id",
        "sort_order": "desc",
        "more_records": more,
        "next_page_token": _token(account_id, module, start + per_page) if more else None,
        "previous_page_token": _token(account_id, module, start - per_page) if start else None,
        "page_token_expiry": expiry if more else None,
    }


def _modified_since(request: Request) -> datetime | None:
    raw = request.headers.get("if-modified-since")
    if not raw:
        return None
    parsed = _parse(raw)
    if parsed is None:
        raise VendorError(400, "INVALID_DATA:param_name=If-Modified-Since", "invalid data")
    return parsed


def _parse(value: str) -> datetime | None:
    from adapters.core.mapping import parse_time

    return parse_time(value)
