"""How emulators check credentials, as data: one check per client auth style, and one token
endpoint for OAuth2 refresh, client credentials and session logins.

Each check mirrors a style of adapters/core/auth.py (header key, query key, Basic, bearer, a
token a login issued); an emulator names its check as `SourceEmulator.gate`. A `Login` says
what a token endpoint takes (which request fields must equal which credentials), how it reads
them (form, JSON, a Basic header of several parts), and how it answers; `SourceEmulator.login`
serves it and remembers the token it issued, which `issued` then accepts.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from adapters.core.emulation import basic, bearer, form_fields

if TYPE_CHECKING:
    from adapters.core.emulation import EmulatedAccount

Gate = Callable[["EmulatedAccount", Request], bool]
Reader = Callable[[Request], Awaitable[dict[str, str]]]


def _same(given: str | None, wanted: str | None) -> bool:
    return bool(given) and bool(wanted) and secrets.compare_digest(str(given), str(wanted))


def header_key(header: str, credential: str, prefix: str = "") -> Gate:
    """The credential in a header (`X-Keap-API-Key: <key>`, `Authorization: Token <key>`)."""

    def check(account: EmulatedAccount, request: Request) -> bool:
        value = request.headers.get(header, "")
        if prefix:
            scheme, _, value = value.partition(" ")
            if scheme.lower() != prefix.lower():
                return False
        return _same(value.strip(), account.credentials.get(credential))

    return check


def query_key(param: str, credential: str) -> Gate:
    """The credential as a query parameter (`?api_key=`, `?auth_token=`)."""
    return lambda account, request: _same(
        request.query_params.get(param), account.credentials.get(credential)
    )


def basic_pair(username: str, password: str | None) -> Gate:
    """HTTP Basic: `username` and `password` name credentials; `password` None takes any
    password (an API key sent as the username, with an X or nothing after the colon)."""

    def check(account: EmulatedAccount, request: Request) -> bool:
        pair = basic(request)
        if pair is None or not _same(pair[0], account.credentials.get(username)):
            return False
        return password is None or _same(pair[1], account.credentials.get(password))

    return check


def bearer_key(credential: str, prefix: str = "Bearer") -> Gate:
    """A long-lived token given as a credential, sent as `Authorization: Bearer <token>`."""
    return lambda account, request: _same(
        bearer(request, prefix=prefix), account.credentials.get(credential)
    )


def issued(header: str = "authorization", prefix: str = "Bearer") -> Gate:
    """A token this emulator's token endpoint issued to the account."""

    def check(account: EmulatedAccount, request: Request) -> bool:
        token = bearer(request, header, prefix)
        return bool(token) and token in account.tokens

    return check


class ExpiringTokens:
    """Issued tokens that live `idle` seconds from their issue, each use moving that on, and
    `life` seconds at most (Maximizer's 10 minutes and 24 hours), on the emulator's `clock`.
    `issue` is a `Login.token`; `gate` accepts a live one and forgets an expired one."""

    def __init__(self, idle: float, life: float, clock: Callable[[], float]) -> None:
        self.idle, self.life, self.clock = idle, life, clock
        self._times: dict[str, tuple[float, float]] = {}  # token -> (issued, last used)

    def issue(self, account: EmulatedAccount) -> str:
        token = secrets.token_hex(24)
        self._times[token] = (self.clock(), self.clock())
        return token

    def gate(self, header: str = "authorization", prefix: str = "Bearer") -> Gate:
        def check(account: EmulatedAccount, request: Request) -> bool:
            token, now = bearer(request, header, prefix), self.clock()
            if not token or token not in account.tokens or token not in self._times:
                return False
            issued_at, used = self._times[token]
            if now - used > self.idle or now - issued_at > self.life:
                account.tokens.discard(token)
                return False
            self._times[token] = (issued_at, now)
            return True

        return check


def jwt_like(claims: Mapping[str, Any]) -> str:
    """A token shaped like a JWT (header.claims.signature, the signature random), for vendors
    whose clients may look inside; only the emulator that issued it reads it back."""

    def part(data: Mapping[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(24)}"


def any_of(*gates: Gate) -> Gate:
    """Any one of several ways in (an OAuth token or a service-account key)."""
    return lambda account, request: any(gate(account, request) for gate in gates)


# --- token endpoints -----------------------------------------------------------------------------


async def json_fields(request: Request) -> dict[str, str]:
    """A JSON login body as strings (query parameters count too)."""
    fields = dict(request.query_params)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = {}
    if isinstance(body, dict):
        fields.update({k: str(v) for k, v in body.items() if v is not None})
    return fields


def basic_parts(*names: str) -> Reader:
    """A Basic header whose decoded value is several credentials joined by colons (Redtail's
    `APIKey:Username:Password`), read as fields by these names."""

    async def read(request: Request) -> dict[str, str]:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return {}
        try:
            parts = base64.b64decode(encoded).decode().split(":", len(names) - 1)
        except (binascii.Error, UnicodeDecodeError):
            return {}
        return dict(zip(names, parts, strict=False))

    return read


def oauth2_answer(token: str, request: Request, account: EmulatedAccount) -> Any:
    return {"access_token": token, "token_type": "bearer", "expires_in": 3600}


def oauth2_refusal(reason: str, given: Mapping[str, str]) -> tuple[int, Any]:
    """RFC 6749 section 5.2: 400 with an `error` code."""
    code = "unsupported_grant_type" if reason == "grant_type" else "invalid_grant"
    return 400, {"error": code, "error_description": f"{reason} is not valid"}


# A check of a login beyond equal credentials (a tenant in the path, a scope, an empty secret):
# the name of what it refuses, or None.
Check = Callable[["EmulatedAccount", Request, Mapping[str, str]], "str | None"]


def _random_token(account: EmulatedAccount) -> str:
    return secrets.token_hex(24)


@dataclass(frozen=True)
class Login:
    """A token endpoint: the request's `fields` (read by `read`) must pass the `checks` (in
    order), carry `grant_type` when one is named, and equal the account's credentials named
    in `matches` (request field -> credential). It answers `answer(token, request, account)`
    with a token from `token(account)`, or `refusal(field, given)` naming the first failure."""

    matches: Mapping[str, str]
    grant_type: str | None = None
    read: Reader = form_fields
    answer: Callable[[str, Request, EmulatedAccount], Any] = oauth2_answer
    refusal: Callable[[str, Mapping[str, str]], tuple[int, Any]] = oauth2_refusal
    token: Callable[[EmulatedAccount], str] = _random_token
    checks: tuple[Check, ...] = ()

    async def given(self, request: Request) -> dict[str, str]:
        return await self.read(request)

    def refused(
        self, account: EmulatedAccount, request: Request, given: Mapping[str, str]
    ) -> str | None:
        """The first field that does not pass, or None when the login is good."""
        for check in self.checks:
            if (failed := check(account, request, given)) is not None:
                return failed
        if self.grant_type is not None and given.get("grant_type") != self.grant_type:
            return "grant_type"
        for name, credential in self.matches.items():
            if not _same(given.get(name), account.credentials.get(credential)):
                return name
        return None


def oauth2_refresh_login(**extra: Any) -> Login:
    """OAuth2's refresh_token grant against the account's client id, secret and refresh token."""
    matches = {name: name for name in ("client_id", "client_secret", "refresh_token")}
    return Login(matches, grant_type="refresh_token", **extra)


def oauth2_client_login(**extra: Any) -> Login:
    """OAuth2's client_credentials grant against the account's client id and secret."""
    matches = {name: name for name in ("client_id", "client_secret")}
    return Login(matches, grant_type="client_credentials", **extra)
