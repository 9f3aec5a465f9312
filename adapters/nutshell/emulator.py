"""An emulator of Nutshell's JSON-RPC API for the sandbox, seeded from the reference company.

Vendor facts it follows (../shared/research/source-crms.md, section Nutshell; the API docs at
developers.nutshell.com and nutshell.com/api; the nutshellcrm/nutshell-api-php client; a
getContact answer in karlwnw/pynutshell's test stubs):
- One endpoint, `POST https://app.nutshell.com/api/v1/json`, JSON-RPC bodies
  `{"method": ..., "params": {...}, "id": ...}`; HTTP Basic with a user's e-mail address as
  username and an API key as password. A missing or wrong Authorization header is a 401.
- Answers `{"result": ..., "error": null, "id": ..., "jsonrpc": "2.0"}`; errors
  `{"result": null, "error": {"code", "message", "data"}, "id": ...}`. Ids are integers and
  records carry `rev`.
- `find*` methods (findUsers, findAccounts, findContacts, findLeads, findStagesets,
  findMilestones, findActivities, findProducts) take `query`, `orderBy`, `orderDirection`,
  `limit`, `page` (from 1) and `stubResponses` (default true: stubs with a few fields); a page
  shorter than `limit` is the last; a stub is `{"stub": true, id, rev, entityType,
  modifiedTime, name...}`. `getUser` without a user id answers the caller.
- Endpoint discovery: the legacy client first asks `getApiForUsername` at
  `https://api.nutshell.com/v1/json` for the user's host. The current docs name
  app.nutshell.com as the one host of every API, so the source goes there directly and the
  sandbox does not serve the discovery API (the account's base URL is its host).
Assumptions (not documented):
- Nutshell's server is a Zend-style JSON-RPC server (it offers an SMD): a call that fails
  answers HTTP 200 with the JSON-RPC 2.0 error codes (-32700 parse error, -32600 invalid
  request, -32601 method not found, -32602 invalid params). An unknown parameter, a bad
  `limit` (over 100) or `page`, or an `orderDirection` other than ASC/DESC is -32602. A
  non-empty `query` is not emulated: -32602 too, rather than an unfiltered answer.
- The rate limit: a 429 with Retry-After when over the burst.
- `getUser` is also served by GET with `?method=getUser` (the engine's connection check is a
  GET); no other method is.
- `findStagesets` (pipelines) and a milestone's `stagesetId`, `position` and `probability`.
Tags and lead files (a lead's `file` array, bytes at each file's `uri`, `GET /file/api/{id}`
with the same Basic auth, Range requests answered 206): adapters/nutshell/attached.py.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import basic_pair
from adapters.core.emulation import SourceEmulator, Tables, VendorError, base_url_of
from adapters.core.serving import Collection, NumberedPages
from adapters.nutshell.attached import absolute
from adapters.nutshell.render import IDS, held, render
from adapters.reference.dataset import ReferenceCompany

API = "/{account_id}/api/v1/json"
PAGES = NumberedPages(page_param="page", size_param="limit", default=50, most=100)
KNOWN = frozenset({"query", "orderBy", "orderDirection", "stubResponses"})
TABLES = "users accounts contacts leads stagesets milestones activities products"
METHODS = {f"find{table.capitalize()}": table for table in TABLES.split()}
PARSE_ERROR, INVALID_REQUEST, NO_METHOD, INVALID_PARAMS = -32700, -32600, -32601, -32602
STUB = ("id", "entityType", "rev", "name", "description", "modifiedTime")


def fault(code: int, message: str, call_id: Any = None) -> VendorError:
    """A failed call as Nutshell answers it: HTTP 200, the JSON-RPC error object."""
    error = {"code": code, "message": message, "data": None}
    body = {"result": None, "error": error, "id": call_id, "jsonrpc": "2.0"}
    return VendorError(200, str(code), message, body=body)


class NutshellEmulator(SourceEmulator):
    ids = IDS
    gate = staticmethod(basic_pair("username", "api_key"))
    credential_names = ("api_key",)
    credential_values = {"username": "admin@{account}.example.com"}
    error_shape = {
        "result": None,
        "error": {"code": "{status}", "message": "{message}", "data": None},
        "id": None,
    }
    unauthorized_message = "Authentication failed"
    window_seconds = 60.0
    default_burst = 1000

    def routes(self) -> list[BaseRoute]:
        files = Route("/{account_id}/file/api/{file_id:int}", self.download, methods=["GET"])
        return [Route(API, self.call, methods=["POST", "GET"]), files]

    render = staticmethod(render)  # the reference company in the vendor's shapes

    def render_account(self, company: ReferenceCompany, credentials: dict[str, str]) -> Tables:
        """The first user signs in with the account's username (one of a user's e-mails)."""
        tables = render(company)
        tables["users"][0]["emails"].append(credentials["username"])
        return tables

    held = staticmethod(held)  # what of it the vendor can hold

    async def call(self, request: Request) -> Response:
        account = self.account(request)
        body = await _body(request)
        call_id, method, params = body.get("id"), body.get("method"), body.get("params")
        params = {} if params is None else params
        if not isinstance(method, str) or not isinstance(params, dict):
            raise fault(INVALID_REQUEST, "Invalid Request", call_id)
        if request.method == "GET" and method != "getUser":
            raise fault(INVALID_REQUEST, "Only getUser is served by GET", call_id)
        if method == "getUser":
            user = _user(account.table("users"), params, account.credentials["username"], call_id)
            return self._answer(request, user, call_id)
        table = METHODS.get(method)
        if table is None:
            raise fault(NO_METHOD, f"Method not found: {method}", call_id)
        found = _find(account.table(table), table, params, call_id)
        if table == "leads":
            found = [absolute(lead, base_url_of(request)) for lead in found]
        return self._answer(request, found, call_id)

    async def download(self, request: Request) -> Response:
        """A file's bytes at its `uri`, whole or the one byte range asked for."""
        account, wanted = self.account(request), request.path_params["file_id"]
        found = next((f for f in account.table("file_bytes") if f["id"] == wanted), None)
        if found is None:
            return Response("Not Found", 404, media_type="text/plain")
        data, asked = found["data"], request.headers.get("range", "")
        start, _, end = asked.removeprefix("bytes=").partition("-")
        if not asked.startswith("bytes=") or not start.isdigit() or int(start) >= len(data):
            return Response(data, 200, media_type=found["mime"], headers={"Accept-Ranges": "bytes"})
        last = min(int(end), len(data) - 1) if end.isdigit() else len(data) - 1
        part = f"bytes {start}-{last}/{len(data)}"
        body = data[int(start) : last + 1]
        return Response(body, 206, media_type=found["mime"], headers={"Content-Range": part})

    def _answer(self, request: Request, result: Any, call_id: Any) -> Response:
        body = {"result": result, "error": None, "id": call_id, "jsonrpc": "2.0"}
        return self.respond(request, body)


async def _body(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return dict(request.query_params)
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise fault(PARSE_ERROR, "Parse error") from None
    if not isinstance(body, dict):
        raise fault(INVALID_REQUEST, "Invalid Request")
    return body


def _user(users: list[dict[str, Any]], params: dict[str, Any], me: str, call_id: Any) -> Any:
    """getUser: the user of `userId`, or without one the caller."""
    unknown = set(params) - {"userId", "rev"}
    if unknown:
        raise fault(INVALID_PARAMS, f"Invalid params: unknown {sorted(unknown)[0]}", call_id)
    wanted = params.get("userId")
    mine = (lambda u: me in u["emails"]) if wanted is None else (lambda u: u["id"] == wanted)
    found = next((u for u in users if mine(u)), None)
    if found is None:
        raise fault(404, f"No user {wanted}", call_id)
    return found


def _find(
    rows: list[dict[str, Any]], table: str, params: dict[str, Any], call_id: Any
) -> list[dict[str, Any]]:
    """One page of a find* method, its records whole or as stubs."""
    if params.get("query") not in (None, {}, []):
        raise fault(INVALID_PARAMS, "Invalid params: query filters are not emulated", call_id)
    direction = str(params.get("orderDirection", "ASC")).upper()
    if direction not in ("ASC", "DESC"):
        raise fault(INVALID_PARAMS, "Invalid params: orderDirection is ASC or DESC", call_id)
    try:
        items = Collection(table, known=KNOWN).rows(rows, params, PAGES)
        field = str(params.get("orderBy") or "id")
        order = (lambda r: r["id"]) if field == "id" else (lambda r: str(r.get(field) or ""))
        items = sorted(items, key=order, reverse=direction == "DESC")
        served = PAGES.serve(items, params)
    except VendorError as exc:  # the kit's 400: Nutshell's invalid params
        raise fault(INVALID_PARAMS, f"Invalid params: {exc.message}", call_id) from None
    if params.get("stubResponses", True) is False:
        return served.items
    return [{"stub": True, **{k: item[k] for k in STUB if k in item}} for item in served.items]
