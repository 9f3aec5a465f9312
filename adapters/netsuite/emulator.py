"""An emulator of NetSuite's REST web services (SuiteQL) for the sandbox, seeded from the
reference company.

Vendor facts (Oracle NetSuite Help Center: "Executing SuiteQL Queries Through REST Web
Services", "Using SuiteQL with SuiteTalk REST Web Services", "Error Handling in REST Web
Services", "Concurrency Governance and Session Management", the TBA "Step One" page, "OAuth 2.0
Client Credentials Setup", "The Request Token Structure", "POST Request to the Token Endpoint
and the Access Token Response"; the ehmad11/suiteql client; kinuski-dev/misc-python's SuiteQL
notes; a 401 quoted in jacobsvante/netsuite#27):
- `https://{account}.suitetalk.api.netsuite.com`; SuiteQL is `POST /services/rest/query/v1/
  suiteql?limit=&offset=` (limit 1..1000) with `Prefer: transient` and body `{"q": "SELECT
  ..."}`, answered `{links, count, hasMore, items, offset, totalResults}`, each item with its
  `links`, its values strings, a null column left out.
- No user login: token-based authentication, OAuth 1.0a with realm = the account id, HMAC-
  SHA256 only, a nonce of six characters or more, an integer timestamp; a refused login is a
  401 INVALID_LOGIN ("Invalid login attempt. For more details, see the Login Audit Trail...").
- Or OAuth 2.0 client credentials (M2M): the integration's client ID and a certificate mapped
  to it (its Certificate ID the JWT's `kid`). `POST /services/rest/auth/oauth2/v1/token`,
  form-encoded, `grant_type=client_credentials`, `client_assertion_type=...:jwt-bearer`,
  `client_assertion=<JWT>` (alg PS256/384/512 or ES256/384/512; iss the client ID, scope
  rest_webservices among others, aud that URL, exp within 60 minutes of iat), answered
  `{access_token, expires_in: "3600", token_type: "Bearer"}`; errors `{"error": code}`.
- Errors are `{"type", "title", "status", "o:errorDetails": [{"detail", "o:errorCode"}]}`;
  concurrency is governed per account, a request over the limit refused with 429.
- Opportunities are `transaction` rows of `type` 'Opprtnty' (JEMackay11/NetSpot's SuiteQL);
  their lines `transactionline` (`transaction`, `mainline` 'T' on the one line without an
  item, `item`, `quantity`, `rate`, `memo`: netsuitediagnostics.com's SuiteQL notes, CData's
  SuiteQL tables), a quantity signed as it moves inventory (negative out).
- Items are `item` (`itemid`, `displayname`, `itemtype`), their prices `pricing` (`item`,
  `pricelevel`, `currency`, `unitprice`, a row per currency: a public SuiteQL pricing query);
  the Base Price level is id 1.
Assumptions (not documented, or only by third parties):
- A timestamp 5 minutes off the server's clock, or a nonce used again with the token, is a
  401 INVALID_LOGIN; so is an expired access token. A refused assertion (another key, kid,
  issuer or audience, expired, no rest_webservices) is 400 `invalid_grant`, a missing one
  `invalid_request`, another grant `unsupported_grant_type`.
- The 429 is CONCURRENCY_LIMIT_EXCEEDED without Retry-After; the limit, requests per second.
- `offset` is a multiple of `limit` (ehmad11/netsuite-rest#25, of the record API); an unknown
  parameter, table or column is a 400 INVALID_PARAMETER ("Invalid search query ... Record 'x'
  was not found" / "Field 'y' for record 'x' was not found").
- Dates in the account's default format (M/D/YYYY, h:mm am, GMT here); `lastmodifieddate >
  TO_TIMESTAMP('2026-01-15 10:00:00', 'YYYY-MM-DD HH24:MI:SS')`. A sale's line quantity is
  negative (shown there for an assembly's components).
- Custom fields in `customfield` (scriptid in upper case, name, fieldtype ENTITY/ITEM/BODY,
  fieldvaluetype, fieldvaluetyperecord = the list's internal id), lists in `customlist`
  (internalid, scriptid), each list's values in a table of its own (`customlist_x`: id, name,
  isinactive): a public SuiteScript module's notes (SuiteQL has no table of all list values).
SuiteQL is served in the subset of adapters/core/sql_subset.py (what Ferry sends); anything
else is a 400.
"""

from __future__ import annotations

import json
import secrets
from functools import cache
from http import HTTPStatus
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
    VendorError,
    bearer,
)
from adapters.core.oauth1 import signed_gate
from adapters.core.serving import OffsetPages, Served, next_url
from adapters.core.sql_subset import QueryError, select
from adapters.core.us_dates import us_datetime
from adapters.netsuite.render import IDS, held, render
from adapters.reference.dataset import generate

API = "/{account_id}/services/rest"
HOUR = 3600
PAGES = OffsetPages(default=1000, most=1000)
TYPES = {400: "15.5.1", 401: "15.5.2", 404: "15.5.5", 405: "15.5.6", 429: "15.5.30"}
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
            self.login_route(f"{API}/auth/oauth2/v1/token", login),
        ]

    def new_credentials(self, base_url: str) -> dict[str, str]:
        """Both styles' credentials: token-based ones, and a client ID with a certificate (its
        ID and private key in PEM, the public part mapped to the integration) for M2M."""
        key = {"certificate_id": secrets.token_urlsafe(32), "private_key": jwt.new_private_key()}
        return {**super().new_credentials(base_url), **key}

    def authenticate(self, account: EmulatedAccount, request: Request) -> bool:
        """An M2M access token not expired, or a token-based signature (realm, consumer and
        token the account's, HMAC-SHA256, fresh, its nonce unused)."""
        gate = self._tokens.gate() if bearer(request) is not None else self._signed
        return gate(account, request)

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {
            "type": f"https://www.rfc-editor.org/rfc/rfc9110.html#section-{TYPES.get(status)}",
            "title": HTTPStatus(status).phrase,
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
