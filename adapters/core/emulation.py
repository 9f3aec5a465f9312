"""What every source CRM emulator shares: accounts in memory, seeding, auth, rate limits, errors.

A vendor's emulator subclasses `SourceEmulator` and says only what is particular to it: its
routes (paths, envelopes, pagination), how it renders the reference company into its own record
shapes (`render`), what of that company it can hold (`held`), how it authenticates a request,
and how its error bodies and rate-limit headers look. Accounts are read-only once seeded: these
systems are sources only.

Routes are served under `/{account_id}/...`; the sandbox mounts the app at
`/sandbox/{system}`, so an account's base URL is `.../sandbox/{system}/{account_id}`.
"""

from __future__ import annotations

import dataclasses
import math
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from adapters.core.canonical import Entity
    from adapters.core.emulated_auth import Login
    from adapters.core.serving import Collection, Pages, Served
    from adapters.reference.dataset import ReferenceCompany
    from adapters.reference.ids import IdScheme

Tables = dict[str, list[dict[str, Any]]]
PIPELINE_IDS = {
    ("pipelines", "source_id"),
    ("stages", "pipeline_source_id"),
    ("deals", "pipeline_source_id"),
}
DATASETS = ("reference", "empty")


class VendorError(Exception):
    """Raised by a route; answered in the vendor's error shape by `SourceEmulator.error_body`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.body = body  # a whole vendor body, when `error_body` cannot say it (Close's 429)


@dataclass
class EmulatedAccount:
    id: str
    credentials: dict[str, str]
    tables: Tables
    burst: int  # requests allowed per window
    tokens: set[str] = field(default_factory=set)  # access tokens issued by the token endpoint
    window_started: float = 0.0
    used: int = 0

    def table(self, name: str) -> list[dict[str, Any]]:
        return self.tables.get(name, [])


@dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset_seconds: float  # until the window starts over


@dataclass
class RateWindow:
    """A limit of its own on some routes, besides the account's window (Highrise's
    /recordings.xml: 10 requests in 10 seconds): `burst` requests per `seconds`, per account."""

    seconds: float
    burst: int
    _used: dict[str, tuple[float, int]] = field(default_factory=dict)  # account -> start, used
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def spend(self, account_id: str, now: float) -> RateState:
        """One request of the account at `now`: the window after it (`remaining` < 0: over)."""
        with self._lock:
            start, used = self._used.get(account_id, (now, 0))
            if now - start >= self.seconds:
                start, used = now, 0
            self._used[account_id] = (start, used + 1)
        return RateState(self.burst, self.burst - used - 1, start + self.seconds - now)


@dataclass(frozen=True)
class RateHeaders:
    """A vendor's rate-limit headers, as data: names (None: not sent), and whether the reset is
    in seconds from now or an epoch; `retry_after`: a 429 carries Retry-After."""

    limit: str | None = "X-RateLimit-Limit"
    remaining: str | None = "X-RateLimit-Remaining"
    reset: str | None = "X-RateLimit-Reset"
    reset_epoch: bool = False
    retry_after: bool = True

    def headers(self, state: RateState, now: float) -> dict[str, str]:
        reset = math.ceil(now + state.reset_seconds if self.reset_epoch else state.reset_seconds)
        values = {
            self.limit: str(state.limit),
            self.remaining: str(max(state.remaining, 0)),
            self.reset: str(reset),
        }
        return {name: value for name, value in values.items() if name}


def filled(shape: Any, values: dict[str, Any]) -> Any:
    """An error envelope template with "{status}", "{code}" and "{message}" filled in; a string
    that is exactly one placeholder takes the value as it is (the status stays a number)."""
    if isinstance(shape, dict):
        return {key: filled(value, values) for key, value in shape.items()}
    if isinstance(shape, list):
        return [filled(item, values) for item in shape]
    if isinstance(shape, str):
        if shape.startswith("{") and shape.endswith("}") and shape[1:-1] in values:
            return values[shape[1:-1]]
        return shape.format(**values)
    return shape


class SourceEmulator:
    """Base of the read-only vendor emulators (see the module docstring)."""

    window_seconds: float = 10.0  # the vendor's rate-limit window
    default_burst: int = 1000  # requests per window unless the sandbox account sets `burst`
    # What most vendors differ in, as data (the methods below read them; override for the odd).
    gate: Callable[[EmulatedAccount, Request], bool] | None = None  # see emulated_auth
    credential_names: tuple[str, ...] = ()  # each gets a fresh random secret...
    credential_values: ClassVar[Mapping[str, str]] = {}  # ...unless fixed ("{account}" filled)
    error_shape: ClassVar[Any] = {"error": {"code": "{code}", "message": "{message}"}}
    rate: RateHeaders | None = None
    unauthorized_message: str = "The credentials are not valid."
    rate_limited_message: str = "Too many requests."
    rate_limited_status: int = 429  # a few answer 503 over their limit (Highrise)
    # The vendor's ids of the reference records (see `vendor_id`): a scheme and its form.
    ids: ClassVar[IdScheme | None] = None
    id_form: ClassVar[str] = "integer"  # or "hex24", "guid"
    one_pipeline: ClassVar[str | None] = None  # the id of a vendor's only list of stages

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._accounts: dict[str, EmulatedAccount] = {}
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=self.routes(),
            exception_handlers={VendorError: self._vendor_error, HTTPException: self._http_error},
        )

    # --- what a vendor says ---------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def new_credentials(self, base_url: str) -> dict[str, str]:
        account = base_url.rstrip("/").rsplit("/", 1)[-1]
        fresh = {name: secrets.token_hex(20) for name in self.credential_names}
        fixed = {k: v.format(account=account) for k, v in self.credential_values.items()}
        return {**fresh, **fixed}

    def render(self, company: ReferenceCompany) -> Tables:
        """The company in the vendor's record shapes, one table per collection."""
        raise NotImplementedError

    def render_account(self, company: ReferenceCompany, credentials: dict[str, str]) -> Tables:
        """`render`, for vendors whose records depend on the account's credentials (Dynamics
        lists the app registration that signs in as an application user)."""
        return self.render(company)

    def held(self, company: ReferenceCompany) -> ReferenceCompany:
        """What of the company this system can hold (what a migration from it can carry)."""
        return company

    def vendor_id(self, entity: Entity, field: str, reference_id: str) -> str | None:
        """The id a source reads for a reference record: `field` is "source_id" of an `entity`
        record, or one of its link fields. None: this emulator does not say (its own tests
        check its ids, not the shared contract)."""
        if self.ids is None:
            return None
        if self.one_pipeline and (entity.value, field) in PIPELINE_IDS:
            return self.one_pipeline
        return str(getattr(self.ids, self.id_form)(reference_id))

    def authenticate(self, account: EmulatedAccount, request: Request) -> bool:
        if self.gate is None:
            raise NotImplementedError
        return self.gate(account, request)

    def error_body(self, status: int, code: str, message: str) -> Any:
        return filled(self.error_shape, {"status": status, "code": code, "message": message})

    def rate_headers(self, state: RateState) -> dict[str, str]:
        return self.rate.headers(state, self.clock()) if self.rate else {}

    def rate_limited(self, state: RateState) -> VendorError:
        headers = {}
        if self.rate is None or self.rate.retry_after:
            headers["Retry-After"] = str(max(1, math.ceil(state.reset_seconds)))
        return VendorError(
            self.rate_limited_status, "rate_limited", self.rate_limited_message, headers
        )

    def unauthorized(self) -> VendorError:
        return VendorError(401, "unauthorized", self.unauthorized_message)

    # --- the sandbox's Emulator protocol ------------------------------------------------

    def provision(
        self,
        account_id: str,
        credentials: dict[str, str],
        *,
        dataset: str,
        size: int,
        limits: dict[str, int],
    ) -> None:
        tables = self.render_account(reference_company(dataset, size), credentials)
        account = EmulatedAccount(
            account_id, dict(credentials), tables, limits.get("burst") or self.default_burst
        )
        with self._lock:
            self._accounts[account_id] = account

    def has_account(self, account_id: str) -> bool:
        return account_id in self._accounts

    def account_of(self, account_id: str) -> EmulatedAccount:
        return self._accounts[account_id]

    # --- what routes call -----------------------------------------------------------------

    def account(self, request: Request, *, check_auth: bool = True) -> EmulatedAccount:
        """The request's account, after the rate limit and (unless told not to) the auth check.
        Raises the vendor's 404, 429 or 401."""
        account = self._accounts.get(request.path_params.get("account_id", ""))
        if account is None:
            raise VendorError(404, "not_found", "No such account.")
        state = self._spend(account)
        request.state.rate = state
        if state.remaining < 0:
            raise self.rate_limited(state)
        if check_auth and not self.authenticate(account, request):
            raise self.unauthorized()
        return account

    def respond(self, request: Request, body: Any, status: int = 200, **headers: str) -> Response:
        """JSON with the vendor's rate-limit headers."""
        return JSONResponse(body, status, headers={**self.headers_of(request), **headers})

    def headers_of(self, request: Request) -> dict[str, str]:
        """The vendor's rate-limit headers for the request's answer (a body that is not JSON)."""
        state = getattr(request.state, "rate", None)
        return self.rate_headers(state) if state else {}

    def respond_file(self, request: Request, data: bytes, name: str, media_type: str) -> Response:
        """A file's bytes, named for download (RFC 6266), with the rate-limit headers."""
        named = f"attachment; filename*=UTF-8''{quote(name)}"
        headers = {"Content-Disposition": named, **self.headers_of(request)}
        return Response(data, 200, headers, media_type=media_type)

    def issue_token(self, account: EmulatedAccount) -> str:
        token = secrets.token_hex(24)
        account.tokens.add(token)
        return token

    def login_route(self, path: str, login: Login, methods: tuple[str, ...] = ("POST",)) -> Route:
        """A token endpoint under the account (`{API}/oauth/token`, a session login): see
        `emulated_auth.Login`. The token it answers is accepted by `emulated_auth.issued`."""

        async def serve(request: Request) -> Response:
            account = self.account(request, check_auth=False)
            given = await login.given(request)
            refused = login.refused(account, request, given)
            if refused is not None:
                status, body = login.refusal(refused, given)
                return self.respond(request, body, status)
            token = login.token(account)
            account.tokens.add(token)
            return self.respond(request, login.answer(token, request, account))

        return Route(path, serve, methods=list(methods))

    def serve_list(
        self,
        request: Request,
        collection: Collection,
        pages: Pages,
        envelope: Callable[[Served, Request], Any],
        *,
        shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        link: bool = False,
    ) -> Response:
        """A list route in one call: the account (auth, rate limit), the collection's records
        for this query, one page of them, each shaped, in the vendor's envelope (with a Link
        header announcing the next page when `link`)."""
        account = self.account(request)
        params = request.query_params
        page = pages.serve(collection.rows(account.table(collection.table), params, pages), params)
        if shape:
            page = dataclasses.replace(page, items=[shape(item) for item in page.items])
        from adapters.core.serving import link_header  # serving builds on this module

        headers = link_header(request, page) if link else {}
        return self.respond(request, envelope(page, request), 200, **headers)

    # --- internals -----------------------------------------------------------------------

    def _spend(self, account: EmulatedAccount) -> RateState:
        now = self.clock()
        with self._lock:
            if now - account.window_started >= self.window_seconds:
                account.window_started, account.used = now, 0
            account.used += 1
            reset = account.window_started + self.window_seconds - now
            return RateState(account.burst, account.burst - account.used, reset)

    async def _vendor_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, VendorError)
        state = getattr(request.state, "rate", None)
        headers = {**(self.rate_headers(state) if state else {}), **exc.headers}
        body = (
            exc.body if exc.body is not None else self.error_body(exc.status, exc.code, exc.message)
        )
        return JSONResponse(body, exc.status, headers)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = "not_found" if exc.status_code == 404 else "method_not_allowed"
        body = self.error_body(exc.status_code, code, str(exc.detail))
        return JSONResponse(body, exc.status_code)


def reference_company(dataset: str, size: int) -> ReferenceCompany:
    """The seeded company: the reference dataset, or an empty company that has only its users."""
    from adapters.reference.dataset import generate

    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")
    company = generate(size=size if dataset == "reference" else 10, seed=0)
    if dataset == "empty":
        empty: dict[str, Any] = {
            f.name: type(getattr(company, f.name))()
            for f in dataclasses.fields(company)
            if f.name != "users"
        }
        company = dataclasses.replace(company, **empty)
    return company


def window(items: list[Any], start: int, size: int) -> tuple[list[Any], bool]:
    """A page of `items` from `start`, and whether more follow."""
    start = max(start, 0)
    return items[start : start + size], start + size < len(items)


def int_param(
    request: Request, name: str, default: int, *, lo: int = 0, hi: int | None = None
) -> int:
    """An integer query parameter; a bad one is the vendor's 400."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise VendorError(400, "invalid_parameter", f"{name} must be an integer.") from None
    if value < lo or (hi is not None and value > hi):
        bounds = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise VendorError(400, "invalid_parameter", f"{name} must be {bounds}.")
    return value


def bearer(request: Request, header: str = "authorization", prefix: str = "Bearer") -> str | None:
    """The token of an `Authorization: Bearer ...`-style header."""
    value = request.headers.get(header, "")
    if prefix:
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == prefix.lower() else None
    return value or None


def basic(request: Request) -> tuple[str, str] | None:
    """(username, password) of an HTTP Basic header."""
    import base64
    import binascii

    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return user, password


async def form_fields(request: Request) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body (OAuth2 token requests) as a dict; query
    parameters count too, as some token endpoints take either."""
    from urllib.parse import parse_qsl

    fields = dict(request.query_params)
    fields.update(parse_qsl((await request.body()).decode("utf-8", "replace")))
    return fields


def base_url_of(request: Request) -> str:
    """The account's base URL as the client sees it (for absolute next-page links)."""
    root = request.scope.get("root_path", "")
    account_id = request.path_params.get("account_id", "")
    return f"{request.url.scheme}://{request.url.netloc}{root}/{account_id}"
