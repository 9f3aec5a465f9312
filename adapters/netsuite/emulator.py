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
- Custom field metadata (`customfield`: scriptid in upper case, name, fieldtype ENTITY/BODY,
  fieldvaluetype, fieldvaluetyperecord = the list's internal id), `customlist` (internalid,
  scriptid) and one table per custom list (`customlist_x`: id, name, isinactive): described
  by a public SuiteScript module's notes (SuiteQL has no table of all list values).
- `GET /services/rest/record/v1/employee?limit=1` lists employees as `{id, links}` items (the
  connection check).
SuiteQL is served in a small subset, what Ferry sends: `SELECT * | col[, col] FROM table
[WHERE col = 'text' | col > TO_TIMESTAMP('...', 'YYYY-MM-DD HH24:MI:SS') [AND ...]]
[ORDER BY col [ASC|DESC]]`; anything else is a 400.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.client_assertion import (
    JWT_BEARER,
    check_assertion,
    new_private_key,
    public_key_of,
)
from adapters.core.emulated_auth import Login
from adapters.core.emulation import (
    EmulatedAccount,
    RateState,
    SourceEmulator,
    Tables,
    VendorError,
    bearer,
)
from adapters.core.oauth1 import HMAC_SHA256, oauth_params, signature
from adapters.netsuite.render import IDS, held, ns_datetime, render
from adapters.reference.dataset import ReferenceCompany, generate

SUITEQL = "/{account_id}/services/rest/query/v1/suiteql"
EMPLOYEES = "/{account_id}/services/rest/record/v1/employee"
TOKEN = "/{account_id}/services/rest/auth/oauth2/v1/token"
MOST, SKEW, HOUR = 1000, 300.0, 3600
ALGORITHMS = ("PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
TYPES = {400: "15.5.1", 401: "15.5.2", 404: "15.5.5", 405: "15.5.6", 429: "15.5.30"}
TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}
LOGIN = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)
QUERY = re.compile(
    r"\s*SELECT\s+(?P<cols>.+?)\s+FROM\s+(?P<table>\w+)(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<dir>ASC|DESC))?)?\s*;?\s*$",
    re.I | re.S,
)
EQUALS = re.compile(r"(\w+)\s*=\s*'([^']*)'", re.S)
AFTER = re.compile(
    r"(\w+)\s*>\s*TO_TIMESTAMP\(\s*'([^']+)'\s*,\s*'YYYY-MM-DD HH24:MI:SS'\s*\)", re.I
)
FORMATTED = {"lastmodifieddate": ns_datetime}  # kept in ISO for WHERE, shown as NetSuite does


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

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._nonces: dict[str, set[tuple[str, str]]] = {}
        self._expiry: dict[str, float] = {}  # access token -> when it expires

    def routes(self) -> list[BaseRoute]:
        login = Login({}, "client_credentials", checks=(self._assertion,), refusal=_refusal,
                      answer=_answer, token=self._access_token)  # fmt: skip
        return [
            Route(SUITEQL, self.suiteql, methods=["POST"]),
            Route(EMPLOYEES, self.employees, methods=["GET"]),
            self.login_route(TOKEN, login),
        ]

    def new_credentials(self, base_url: str) -> dict[str, str]:
        """Both styles' credentials: token-based ones, and a client ID with a certificate (its
        ID and private key in PEM, the public part mapped to the integration) for M2M."""
        pem = {"certificate_id": secrets.token_urlsafe(32), "private_key": new_private_key()}
        return {**super().new_credentials(base_url), **pem}

    render = staticmethod(render)  # the reference company in the vendor's shapes
    held = staticmethod(held)  # what of it the vendor can hold

    def render_account(self, company: ReferenceCompany, credentials: dict[str, str]) -> Tables:
        return render(company)

    # --- auth, errors, the limit -------------------------------------------------------------

    def _assertion(self, account: EmulatedAccount, request: Request, given: Any) -> str | None:
        """The client credentials grant's assertion, checked against the mapped certificate."""
        if given.get("client_assertion_type") != JWT_BEARER or not given.get("client_assertion"):
            return "client_assertion"
        creds = account.credentials
        wrong = check_assertion(
            given["client_assertion"],
            public_key_of(creds["private_key"]),
            now=self.clock(),
            issuer=creds["client_id"],
            audience=str(request.url).split("?")[0],
            key_id=creds["certificate_id"],
            algorithms=ALGORITHMS,
            longest=HOUR,
            scope="rest_webservices",
        )
        return None if wrong is None else "assertion"

    def _access_token(self, account: EmulatedAccount) -> str:
        token = secrets.token_urlsafe(48)
        self._expiry[token] = self.clock() + HOUR
        return token

    def authenticate(self, account: EmulatedAccount, request: Request) -> bool:
        """An access token of the M2M flow not expired, or token-based authentication: the
        signature recomputed from the secrets held, the realm, consumer and token the
        account's, a fresh timestamp and an unused nonce."""
        token = bearer(request)
        if token is not None:
            return token in account.tokens and self._expiry.get(token, 0) > self.clock()
        given = oauth_params(request.headers.get("authorization", ""))
        creds = account.credentials
        if given is None or given.get("oauth_signature_method") != HMAC_SHA256:
            return False
        expected = {
            "realm": creds["account_id"],
            "oauth_consumer_key": creds["consumer_key"],
            "oauth_token": creds["token_id"],
        }
        if any(not secrets.compare_digest(given.get(k, ""), v) for k, v in expected.items()):
            return False
        nonce, stamp = given.get("oauth_nonce", ""), given.get("oauth_timestamp", "")
        if len(nonce) < 6 or not stamp.isdigit() or abs(int(stamp) - self.clock()) > SKEW:
            return False
        oauth = [(k, v) for k, v in given.items() if k.startswith("oauth_")]
        params = [*request.query_params.multi_items(), *oauth]
        wanted = signature(
            request.method,
            str(request.url),
            params,
            creds["consumer_secret"],
            creds["token_secret"],
        )
        if not secrets.compare_digest(given.get("oauth_signature", ""), wanted):
            return False
        seen = self._nonces.setdefault(account.id, set())
        if (nonce, creds["token_id"]) in seen:
            return False
        seen.add((nonce, creds["token_id"]))
        return True

    def unauthorized(self) -> VendorError:
        return VendorError(401, "INVALID_LOGIN", LOGIN)

    def rate_limited(self, state: RateState) -> VendorError:
        message = "Request blocked: the account's concurrency limit is exceeded."
        return VendorError(429, "CONCURRENCY_LIMIT_EXCEEDED", message)

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {
            "type": f"https://www.rfc-editor.org/rfc/rfc9110.html#section-{TYPES.get(status, '15.5.1')}",
            "title": TITLES.get(status, "Error"),
            "status": status,
            "o:errorDetails": [{"detail": message, "o:errorCode": code}],
        }

    # --- routes ----------------------------------------------------------------------------------

    async def suiteql(self, request: Request) -> Response:
        account = self.account(request)
        if request.headers.get("prefer", "").lower() != "transient":
            raise bad("The request header 'Prefer: transient' is required.", "INVALID_HEADER")
        limit, offset = _page(request)
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise bad("The request body is not valid JSON.", "INVALID_CONTENT") from None
        if not isinstance(body, dict) or not isinstance(body.get("q"), str) or set(body) != {"q"}:
            raise bad("The request body must be an object with the query in 'q'.")
        rows = run(account.tables, body["q"])
        page = rows[offset : offset + limit]
        more = offset + limit < len(rows)
        url = str(request.url)
        links = [{"rel": "self", "href": url}]
        if more:
            links.append({"rel": "next", "href": _with(url, limit, offset + limit)})
        items = [{"links": [], **row} for row in page]
        answer = {"links": links, "count": len(items), "hasMore": more, "items": items}
        return self.respond(request, {**answer, "offset": offset, "totalResults": len(rows)})

    async def employees(self, request: Request) -> Response:
        account = self.account(request)
        limit, offset = _page(request)
        rows, url = account.table("employee"), str(request.url)
        page = rows[offset : offset + limit]
        base = url.split("?")[0]
        items = [
            {"links": [{"rel": "self", "href": f"{base}/{r['id']}"}], "id": r["id"]} for r in page
        ]
        answer = {"links": [{"rel": "self", "href": url}], "count": len(items)}
        more = offset + limit < len(rows)
        body = {
            **answer,
            "hasMore": more,
            "items": items,
            "offset": offset,
            "totalResults": len(rows),
        }
        return self.respond(request, body)


def _refusal(reason: str, given: Any) -> tuple[int, Any]:
    codes = {"grant_type": "unsupported_grant_type", "assertion": "invalid_grant"}
    return 400, {"error": codes.get(reason, "invalid_request")}


def _answer(token: str, request: Request, account: EmulatedAccount) -> Any:
    return {"access_token": token, "expires_in": str(HOUR), "token_type": "Bearer"}


def _page(request: Request) -> tuple[int, int]:
    unknown = set(request.query_params) - {"limit", "offset"}
    if unknown:
        raise bad(f"Invalid query parameter: {sorted(unknown)[0]}.")
    try:
        limit = int(request.query_params.get("limit", MOST))
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        raise bad("limit and offset must be integers.") from None
    if not 1 <= limit <= MOST or offset < 0 or offset % limit:
        raise bad(f"limit must be 1 to {MOST} and offset a multiple of it.")
    return limit, offset


def _with(url: str, limit: int, offset: int) -> str:
    return f"{url.split('?')[0]}?limit={limit}&offset={offset}"


def run(tables: Tables, query: str) -> list[dict[str, Any]]:
    """The rows a query of the subset answers, in NetSuite's display form."""
    found = QUERY.fullmatch(query)
    if found is None:
        raise bad("Invalid search query: only SELECT ... FROM ... [WHERE] [ORDER BY] is served.")
    table = found["table"].lower()
    known = _columns().get(table, frozenset()) | {k for r in tables.get(table, []) for k in r}
    if table not in tables and table not in _columns():
        raise bad(f"Invalid search query. Search error occurred: Record '{table}' was not found.")

    def column(name: str) -> str:
        if name.lower() not in known:
            message = f"Search error occurred: Field '{name}' for record '{table}' was not found."
            raise bad(f"Invalid search query. {message}")
        return name.lower()

    rows = list(tables.get(table, []))
    for condition in re.split(r"\s+AND\s+", found["where"] or "", flags=re.I):
        if not condition:
            continue
        if equals := EQUALS.fullmatch(condition.strip()):
            name, value = column(equals[1]), equals[2]
            rows = [r for r in rows if r.get(name) == value]
        elif after := AFTER.fullmatch(condition.strip()):
            name, since = column(after[1]), _moment(after[2])
            rows = [r for r in rows if r.get(name) and _moment(r[name]) > since]
        else:
            raise bad(f"Invalid search query: the condition {condition.strip()!r} is not served.")
    if found["order"]:
        name = column(found["order"])
        key = (lambda r: int(r[name])) if name == "id" else (lambda r: str(r.get(name) or ""))
        rows.sort(key=key, reverse=(found["dir"] or "").upper() == "DESC")
    wanted = [c.strip() for c in found["cols"].split(",")]
    names = sorted(known) if wanted == ["*"] else [column(c) for c in wanted]
    return [_shown({n: r.get(n) for n in names}) for r in rows]


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: (FORMATTED[k](v) if k in FORMATTED else v) for k, v in row.items()}
    return {k: v for k, v in out.items() if v is not None}


def _moment(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad(f"Invalid search query: {value!r} is not a timestamp.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
