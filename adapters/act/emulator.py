"""An emulator of the Act! Web API (act.web.api) for the sandbox, seeded from the reference company.

Vendor facts it follows: the provider's Swagger 2.0 (apimta.act.com/act.web.api/swagger/docs/v1,
kept verbatim with Act!'s home and OData pages summarised in api-evangelist/act: conventions,
errors, data-model), the OData page (actforweb.actops.com/act.web.api/OData/index), the Meteor
client chrisbutler/act.web.api, and ../shared/research/source-crms.md ("ACT!"):
- `https://{server}/act.web.api` on the customer's own IIS (Act! Premium) or a per-customer
  cloud host: no one base URL. Every call names its database in `Act-Database-Name`.
- `GET /authorize` with HTTP Basic user name:password (and the database header) answers the JWT
  itself as the body (the Meteor client uses the body as the token); then
  `Authorization: Bearer <jwt>`. Tokens expire: a 401 means authorize again.
- Errors are ASP.NET's `{"message": ...}`; 401 for bad or expired credentials; 403 with Act!'s
  codes 4030 (incompatible with Act!), 4031 (subscription required), 4032 (API access
  permission required). The body of those (`{"message", "code"}`) is chosen here.
- Lists answer a bare JSON array: no envelope, no count, no next link; OData `$top`/`$skip`
  page them (a short page is the last), `$filter` (eq ne gt ge lt le, `and`; datetimes
  unquoted: `edited gt 2018-10-01T08:00:00-07:00`), `$orderby`, `$select`. "Anything not
  listed is unsupported" and throws: an unknown option is a 400 here. `GET /api/users` takes
  no OData (its Swagger entry names none).
- Records: Contacts.Contact (`fullName`, `firstName`, `lastName`, `companyID`, `emailAddress`,
  `altEmailAddress`, `personalEmailAddress`, `businessPhone`, `mobilePhone`, `homePhone`,
  `alternatePhone`, `recordManagerID`, `customFields`, `created`, `edited`), Companies
  (`name`, `recordManagerID`, `customFields`; the `address.line1` shape is chosen here),
  Opportunities.Opportunity (`productTotal`, `status` Open/Won/Lost/Inactive, `stage` {id,
  name, number, probability, process}, `estimatedCloseDate`, `actualCloseDate`, `reason`,
  `contacts[]`, `companies[]`), `api/opportunities/processes` and `api/opportunities/stages`,
  Activities (`subject`, `details`, `startTime`, `endTime`, `duration`, `isTimeless`,
  `isCleared`, `activityTypeName`, `scheduledForId`, `contacts[]` attendees, `companies[]`,
  `opportunities[]`), Histories.History at `api/history` (`regarding`, `details`, times,
  `historyType` {activityTypeName}, `recordManagerID`, the three arrays), Notes.Note
  (`noteText`, `displayDate`, the three arrays), Products.Product (`name`, `itemNumber`,
  `price`, `cost`, `editDate`), Users.UserInfo (`displayName`, `email`, `status`). GUID ids.
- Custom fields: `GET /api/metadata/{recordType}/fields` (MetaData.Schema.Column: `columnName`,
  `displayName`, `type`, `isCustom`, `picklist` {id, isMultiSelect}) and
  `/api/metadata/{recordType}/picklists` (here as DropDownList: `items` [{id, value}]; which
  model that list answers is not certain from the Swagger). Values in `customFields` by column.
- Rate limits: Act! Premium Cloud sends `X-RateLimit-Limit/-Remaining/-Reset`; the status on
  exhaustion is undocumented: a 429 with Retry-After here.
- ASP.NET routes are case-insensitive (`api/Products`, `api/History`); these are lower case.
"""

from __future__ import annotations

import base64
import json
import operator
import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.act.render import IDS, held, render
from adapters.core.emulation import EmulatedAccount, RateHeaders, SourceEmulator, VendorError, basic
from adapters.core.emulation import bearer as bearer_token
from adapters.core.mapping import parse_time, value_at

API = "/{account_id}/act.web.api"
LISTS = {
    "contacts": "contacts",
    "companies": "companies",
    "opportunities": "opportunities",
    "opportunities/processes": "processes",
    "opportunities/stages": "stages",
    "activities": "activities",
    "history": "history",
    "notes": "notes",
    "products": "products",
}  # fmt: skip  (path under api/ -> table)
ODATA = frozenset({"$top", "$skip", "$filter", "$orderby", "$select"})
_COMPARISON = re.compile(r"^\s*([\w/]+)\s+(eq|ne|gt|ge|lt|le)\s+(.+?)\s*$")
REFUSALS = {4030: "Incompatibility issue with Act!", 4031: "Subscription required.",
            4032: "API access permission required."}  # fmt: skip
Raw = dict[str, Any]


def bad(message: str) -> VendorError:
    return VendorError(400, "400", message)


def _literal(text: str) -> Any:
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    if text in ("null", "true", "false"):
        return {"null": None, "true": True, "false": False}[text]
    moment = parse_time(text) if "T" in text or "-" in text else None
    if moment is not None:
        return moment
    try:
        return float(text)
    except ValueError:
        raise bad(f"The query specified in the URI is not valid: '{text}'.") from None


def _test(value: Any, op: str, literal: Any) -> bool:
    if hasattr(literal, "tzinfo"):
        value = parse_time(value) if value else None
    if op not in ("eq", "ne") and (value is None or literal is None):
        return False
    return bool(getattr(operator, op)(value, literal))


def odata(rows: list[Raw], params: Any, *, key: str = "id") -> list[Raw]:
    """One page of `rows` as an OData query over a bare array asks."""
    unknown = sorted(set(params) - ODATA)
    if unknown:
        raise bad(f"The query parameter '{unknown[0]}' is not supported.")
    if params.get("$filter"):
        tests = []
        for part in re.split(r"\s+and\s+", params["$filter"].strip()):
            found = _COMPARISON.match(part)
            if not found:
                raise bad(f"The query specified in the URI is not valid: '{params['$filter']}'.")
            path, op, literal = found.groups()
            tests.append((path.replace("/", "."), op, _literal(literal.strip())))
        rows = [r for r in rows if all(_test(value_at(r, p), op, lit) for p, op, lit in tests)]
    rows = sorted(rows, key=lambda r: str(r.get(key)))
    for clause in reversed([c.strip() for c in params.get("$orderby", "").split(",") if c.strip()]):
        name, _, direction = clause.partition(" ")
        rows.sort(key=lambda r: str(value_at(r, name.replace("/", ".")) or ""),
                  reverse=direction.strip().lower() == "desc")  # fmt: skip
    skip, top = (_count(params, "$skip", 0), _count(params, "$top", len(rows)))
    rows = rows[skip : skip + top]
    if params.get("$select"):
        names = {n.strip() for n in params["$select"].split(",")} | {key}
        rows = [{k: v for k, v in r.items() if k in names} for r in rows]
    return rows


def _count(params: Any, name: str, default: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if not str(raw).isdigit():
        raise bad(f"Invalid value '{raw}' for {name} query option found.")
    return int(raw)


def jwt(account: EmulatedAccount, username: str) -> str:
    """A token shaped like Act!'s JWT (header.claims.signature); only this emulator reads it."""

    def part(data: Raw) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {
        "sub": username,
        "db": account.credentials.get("database"),
        "jti": secrets.token_hex(8),
    }
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(24)}"


def database_named(account: EmulatedAccount, request: Request) -> bool:
    wanted = account.credentials.get("database", "")
    return secrets.compare_digest(request.headers.get("act-database-name", ""), wanted)


def signed_in(account: EmulatedAccount, request: Request) -> bool:
    token = bearer_token(request)
    return bool(token) and token in account.tokens and database_named(account, request)


class ActEmulator(SourceEmulator):
    ids, id_form = IDS, "guid"
    window_seconds = 60.0
    default_burst = 2000
    gate = staticmethod(signed_in)
    credential_names = ("password",)
    credential_values = {"username": "chris", "database": "ACT_{account}"}
    error_shape = {"message": "{message}"}
    rate = RateHeaders(retry_after=True)
    unauthorized_message = "Authorization has been denied for this request."

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route(f"{API}/authorize", self.authorize),
            Route(f"{API}/api/users", self.users),
            Route(f"{API}/api/metadata/{{record_type}}/{{kind}}", self.metadata),
        ]
        for path, table in LISTS.items():
            routes.append(Route(f"{API}/api/{path}", self._lister(table)))
        return routes

    async def authorize(self, request: Request) -> Response:
        account = self.account(request, check_auth=False)
        refusal = (account.table("refusal") or [{}])[0].get("code")
        if refusal in REFUSALS:
            body = {"message": REFUSALS[refusal], "code": refusal}
            return self.respond(request, body, 403)
        pair = basic(request)
        wanted = (account.credentials.get("username"), account.credentials.get("password"))
        good = pair is not None and all(
            secrets.compare_digest(given, str(want))
            for given, want in zip(pair, wanted, strict=True)
        )
        if not good or not database_named(account, request):
            return self.respond(
                request, {"message": "Invalid username, password or database."}, 401
            )
        token = jwt(account, pair[0] if pair else "")
        account.tokens.add(token)
        state = getattr(request.state, "rate", None)
        return PlainTextResponse(token, headers=self.rate_headers(state) if state else {})

    async def users(self, request: Request) -> Response:
        account = self.account(request)
        if request.query_params:
            raise bad(f"The query parameter '{next(iter(request.query_params))}' is not supported.")
        return self.respond(request, account.table("users"))

    async def metadata(self, request: Request) -> Response:
        account = self.account(request)
        record_type, kind = request.path_params["record_type"], request.path_params["kind"]
        table = f"{kind}_{record_type.lower()}"
        if kind not in ("fields", "picklists") or table not in account.tables:
            raise VendorError(404, "404", f"No record type '{record_type}'.")
        return self.respond(request, odata(account.table(table), request.query_params))

    def _lister(self, table: str) -> Any:
        async def serve(request: Request) -> Response:
            account = self.account(request)
            return self.respond(request, odata(account.table(table), request.query_params))

        return serve
