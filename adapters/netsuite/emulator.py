"""An emulator of NetSuite's REST web services (SuiteQL) for the sandbox, seeded from the
reference company.

Vendor facts it follows (Oracle NetSuite Help Center: "Executing SuiteQL Queries Through REST
Web Services", "Using SuiteQL with SuiteTalk REST Web Services", "Error Handling in REST Web
Services", "Concurrency Governance and Session Management", the TBA "Step One" page; the
ehmad11/suiteql client (limit at most 1000); an answer quoted in kinuski-dev/misc-python's
SuiteQL notes; a 401 quoted in jacobsvante/netsuite#27):
- `https://{account}.suitetalk.api.netsuite.com`; SuiteQL is `POST /services/rest/query/v1/
  suiteql?limit=&offset=` with header `Prefer: transient` and body `{"q": "SELECT ..."}`.
  Answer `{links, count, hasMore, items, offset, totalResults}`, each item with its `links`;
  values are strings, a null column is left out of its item. `limit` is 1..1000.
- REST web services take no user login: OAuth 2.0 or token-based authentication, OAuth 1.0a
  with realm = the account id, signature method HMAC-SHA256 only, a nonce of at least six
  characters, a positive integer timestamp. A refused login is a 401 with o:errorCode
  INVALID_LOGIN ("Invalid login attempt. For more details, see the Login Audit Trail...").
- OAuth 2.0 client credentials (M2M; "OAuth 2.0 Client Credentials Setup", "The Request
  Token Structure", "POST Request to the Token Endpoint and the Access Token Response"): the
  integration's client ID and a certificate whose public part is mapped to it (its Certificate
  ID is the JWT's `kid`). `POST /services/rest/auth/oauth2/v1/token`, form-encoded,
  `grant_type=client_credentials`, `client_assertion_type=urn:ietf:params:oauth:client-
  assertion-type:jwt-bearer`, `client_assertion=<JWT>`: header typ JWT, alg PS256/384/512 or
  ES256/384/512, kid; claims iss = the client ID, scope (restlets, rest_webservices,
  suite_analytics, comma-separated), aud = that token URL, iat, exp less than 60 minutes after
  iat. Answer `{access_token, expires_in: "3600", token_type: "Bearer"}`: the token is valid
  60 minutes and goes as `Authorization: Bearer`. Token endpoint errors are `{"error": code}`
  (the authorization code flow's documented shape).
- Errors are `{"type", "title", "status", "o:errorDetails": [{"detail", "o:errorCode"}]}`.
- Concurrency is governed per account; a request over the limit is refused with 429.
Assumptions (not documented, or only by third parties):
- A timestamp more than 5 minutes from the server's clock is refused, and so is a nonce
  already used with the token: 401 INVALID_LOGIN, as for a wrong signature.
- A refused assertion (a signature not by the mapped certificate, another kid or issuer, a
  wrong audience, an expired one, no rest_webservices scope) is 400 `{"error":
  "invalid_grant"}`; a missing parameter `invalid_request`, another grant
  `unsupported_grant_type`. An expired access token is a 401 INVALID_LOGIN.
- The 429 carries no Retry-After and its code is CONCURRENCY_LIMIT_EXCEEDED; the limit is
  modelled as a number of requests per second.
- `offset` must be a multiple of `limit` (said of the record API's paging in
  ehmad11/netsuite-rest#25); an unknown query parameter is a 400 INVALID_PARAMETER.
- A query naming an unknown table or column is a 400 INVALID_PARAMETER, "Invalid search
  query ... Record 'x' was not found" / "Field 'y' for record 'x' was not found".
- Dates show in the account's default format (M/D/YYYY, h:mm am, the user's time zone: GMT
  here); `lastmodifieddate > TO_TIMESTAMP('2026-01-15 10:00:00', 'YYYY-MM-DD HH24:MI:SS')`.
- Opportunities are rows of `transaction` with `type` 'Opprtnty' (a public SuiteQL query,
  JEMackay11/NetSpot); their lines are `transactionline` (`transaction`, `mainline` 'T' for
  the one line holding no item, `item`, `quantity`, `rate`, `memo`: netsuitediagnostics.com's
  SuiteQL notes, CData's SuiteQL table reference). A line's quantity carries the inventory
  sign, negative for what a sale takes out (shown for components there; assumed for sales).
- Items are `item` (`itemid`, `displayname`, `itemtype`); their prices `pricing` (`item`,
  `pricelevel`, `currency`, `unitprice`: a SuiteQL pricing query in a public repository;
  multiple currencies give a row per currency), the Base Price level's internal id being 1.
- Custom field metadata (`customfield`: scriptid in upper case, name, fieldtype ENTITY/ITEM/
  BODY, fieldvaluetype, fieldvaluetyperecord = the list's internal id), `customlist`
  (internalid, scriptid) and one table per custom list (`customlist_x`: id, name,
  isinactive): described by a public SuiteScript module's notes (SuiteQL has no table of all
  list values).
- `GET /services/rest/record/v1/employee?limit=1` lists employees as `{id, links}` items (the
  connection check).
SuiteQL is served in the small subset of adapters/core/sql_subset.py (what Ferry sends);
anything else is a 400.
"""

from __future__ import annotations

import json
import secrets
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core import client_assertion as jwt
from adapters.core.emulated_auth import ExpiringTokens
from adapters.core.emulation import (
    EmulatedAccount,
    RateHeaders,
    SourceEmulator,
    Tables,
    VendorError,
    bearer,
)
from adapters.core.oauth1 import signed_gate
from adapters.core.serving import OffsetPages, Served, next_url
from adapters.core.sql_subset import QueryError, select
from adapters.core.us_dates import us_datetime
from adapters.netsuite.render import IDS, held, render
from adapters.reference.dataset import ReferenceCompany, generate

API = "/{account_id}/services/rest"
HOUR = 3600
PAGES = OffsetPages(default=1000, most=1000)
TYPES = {400: "15.5.1", 401: "15.5.2", 404: "15.5.5", 405: "15.5.6", 429: "15.5.30"}
TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}
CODES = {"unauthorized": "INVALID_LOGIN", "rate_limited": "CONCURRENCY_LIMIT_EXCEEDED"}
SEARCH = "Invalid search query. Search error occurred: "
QUERY_ERRORS = {
    "table": SEARCH + "Record '{name}' was not found.",
    "column": SEARCH + "Field '{name}' for record '{table}' was not found.",
    "time": "Invalid search query: '{name}' is not a timestamp.",
    "condition": "Invalid search query: the condition '{name}' is not served.",
    "query": "Invalid search query: only SELECT ... FROM ... [WHERE] [ORDER BY] is served.",
}


def bad(message: str, code: str = "INVALID_PARAMETER") -> VendorError:
    return VendorError(400, code, message)


@cache
def _columns() -> dict[str, frozenset[str]]:
    """Each table's columns: those of the reference company's rendering."""
    tables = render(generate(size=10, seed=0))
    return {name: frozenset(k for row in rows for k in row) for name, rows in tables.items()}


class NetSuiteEmulator(SourceEmulator):
    ids = IDS
    one_pipeline = "1"
    credential_names = ("consumer_key", "consumer_secret", "token_id", "token_secret", "client_id")
    credential_values = {"account_id": "{account}"}
    window_seconds = 1.0  # concurrency, modelled as requests per second
    default_burst = 1000
    rate = RateHeaders(None, None, None, retry_after=False)
    unauthorized_message = (
        "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI "
        "at Setup > Users/Roles > User Management > View Login Audit Trail."
    )
    rate_limited_message = "Request blocked: the account's concurrency limit is exceeded."
    render = staticmethod(render)  # the reference company in the vendor's shapes
    held = staticmethod(held)  # what of it the vendor can hold

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._signed = signed_gate(self.clock)
        self._tokens = ExpiringTokens(HOUR, HOUR, self.clock)  # M2M access tokens: 60 minutes

    def routes(self) -> list[BaseRoute]:
        login = jwt.assertion_login(
            self.clock,
            lambda account: self._tokens.issue(account),
            algorithms=jwt.ALGORITHMS[:6],  # PS* and ES*, not RS256
            longest=HOUR,
            scope="rest_webservices",
            answer=lambda token, request, account: {
                "access_token": token,
                "expires_in": str(HOUR),
                "token_type": "Bearer",
            },
        )
        return [
            Route(f"{API}/query/v1/suiteql", self.suiteql, methods=["POST"]),
            Route(f"{API}/record/v1/employee", self.employees, methods=["GET"]),
            self.login_route(f"{API}/auth/oauth2/v1/token", login),
        ]

    def new_credentials(self, base_url: str) -> dict[str, str]:
        """Both styles' credentials: token-based ones, and a client ID with a certificate (its
        ID and private key in PEM, the public part mapped to the integration) for M2M."""
        key = {"certificate_id": secrets.token_urlsafe(32), "private_key": jwt.new_private_key()}
        return {**super().new_credentials(base_url), **key}

    def render_account(self, company: ReferenceCompany, credentials: dict[str, str]) -> Tables:
        return render(company)

    def authenticate(self, account: EmulatedAccount, request: Request) -> bool:
        """An M2M access token not expired, or a token-based signature (realm, consumer and
        token the account's, HMAC-SHA256, fresh, its nonce unused)."""
        gate = self._tokens.gate() if bearer(request) is not None else self._signed
        return gate(account, request)

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {
            "type": f"https://www.rfc-editor.org/rfc/rfc9110.html#section-{TYPES.get(status)}",
            "title": TITLES.get(status, "Error"),
            "status": status,
            "o:errorDetails": [{"detail": message, "o:errorCode": CODES.get(code, code).upper()}],
        }

    # --- routes ----------------------------------------------------------------------------------

    async def suiteql(self, request: Request) -> Response:
        account = self.account(request)
        if request.headers.get("prefer", "").lower() != "transient":
            raise bad("The request header 'Prefer: transient' is required.", "INVALID_HEADER")
        page = _page(request, [])  # the parameters, before the body
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise bad("The request body is not valid JSON.", "INVALID_CONTENT") from None
        if not isinstance(body, dict) or not isinstance(body.get("q"), str) or set(body) != {"q"}:
            raise bad("The request body must be an object with the query in 'q'.")
        try:
            rows = select(account.tables, body["q"], columns=_columns())
        except QueryError as exc:
            raise bad(QUERY_ERRORS[exc.kind].format(name=exc.name, table=exc.table)) from None
        page = _page(request, [_shown(row) for row in rows])
        items = [{"links": [], **row} for row in page.items]
        return self.respond(request, _envelope(request, page, items))

    async def employees(self, request: Request) -> Response:
        account = self.account(request)
        page, base = _page(request, account.table("employee")), str(request.url).split("?")[0]
        items = [
            {"links": [{"rel": "self", "href": f"{base}/{r['id']}"}], "id": r["id"]}
            for r in page.items
        ]
        return self.respond(request, _envelope(request, page, items))


def _page(request: Request, rows: list[dict[str, Any]]) -> Served:
    """A page of `limit` (1 to 1000) rows from `offset`, a multiple of it; any other query
    parameter refused."""
    unknown = sorted(set(request.query_params) - PAGES.params)
    if unknown:
        raise bad(f"Invalid query parameter: {unknown[0]}.")
    page = PAGES.serve(rows, request.query_params)
    if page.start % page.size:
        raise bad("offset must be a multiple of limit.")
    return page


def _envelope(request: Request, page: Served, items: list[dict[str, Any]]) -> dict[str, Any]:
    links = [{"rel": "self", "href": str(request.url)}]
    if page.more:
        links.append({"rel": "next", "href": str(next_url(request, page))})
    return {
        "links": links,
        "count": len(items),
        "hasMore": page.more,
        "items": items,
        "offset": page.start,
        "totalResults": page.total,
    }


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A row as NetSuite shows it: its time (kept in ISO) in the display form, nulls left out."""
    out = {k: (us_datetime(v) if k == "lastmodifieddate" else v) for k, v in row.items()}
    return {k: v for k, v in out.items() if v is not None}
