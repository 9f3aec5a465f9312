"""OAuth 1.0a request signing (RFC 5849) as an auth style, for vendors whose long-lived tokens
sign every request (NetSuite's token-based authentication).

Each request gets a fresh nonce and timestamp and its own signature over the method, the URL
and its query parameters (and a form body's fields; a JSON body is never part of an OAuth 1.0a
signature), sent as `Authorization: OAuth realm="...", oauth_...`. httpx runs the auth flow for
every send, so a retried request is signed afresh: a replayed nonce would be refused.

The base string, the percent-encoding and the header come from Authlib's RFC 5849 module.
Authlib's own `ClientAuth` is not used as a whole: it refuses any http:// URL that is not the
loopback (our sandbox answers at http://sandbox/... in process), and its httpx integration
sends a JSON body as empty. `Verifier` serves the emulators, which recompute a signature from
the secrets they hold (and remember the nonces used).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl
from urllib.request import parse_http_list, parse_keqv_list

import httpx
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth1.rfc5849.parameters import prepare_headers  # type: ignore[import-untyped]
from authlib.oauth1.rfc5849.signature import construct_base_string  # type: ignore[import-untyped]
from authlib.oauth1.rfc5849.util import escape, unescape  # type: ignore[import-untyped]

from adapters.core.auth import CredentialAuth, fingerprint

HMAC_SHA256 = "HMAC-SHA256"
HMAC_SHA1 = "HMAC-SHA1"
_DIGESTS = {HMAC_SHA256: hashlib.sha256, HMAC_SHA1: hashlib.sha1}
FORM = "application/x-www-form-urlencoded"
Params = Sequence[tuple[str, str]]


def signature(
    method: str,
    url: str,
    params: Params,
    consumer_secret: str,
    token_secret: str,
    signature_method: str = HMAC_SHA256,
) -> str:
    """The base64 signature of a request: `params` are its query (and form) parameters and
    its oauth_* ones (without oauth_signature and realm, which the base string leaves out)."""
    digest = _DIGESTS.get(signature_method)
    if digest is None:
        raise ValueError(f"unsupported OAuth 1.0a signature method {signature_method!r}")
    base = construct_base_string(method, url, list(params))
    key = f"{escape(consumer_secret)}&{escape(token_secret)}"
    return base64.b64encode(hmac.new(key.encode(), base.encode(), digest).digest()).decode()


def oauth_params(authorization: str) -> dict[str, str] | None:
    """The parameters of an `Authorization: OAuth ...` header, unescaped (realm included);
    None when the header is not one."""
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() != "oauth" or not rest.strip():
        return None
    try:
        pairs = parse_keqv_list(parse_http_list(rest))
    except (IndexError, ValueError):
        return None
    return {unescape(k): unescape(v) for k, v in pairs.items()}


def request_params(request: httpx.Request) -> list[tuple[str, str]]:
    """What of a request a signature covers besides the oauth_* parameters: its query
    parameters and, for a form body only, the body's fields."""
    params = list(request.url.params.multi_items())
    if request.headers.get("content-type", "").startswith(FORM):
        params += parse_qsl(request.content.decode(), keep_blank_values=True)
    return params


class OAuth1(CredentialAuth):
    """Token-based OAuth 1.0a: a consumer (key, secret) and an access token (id, secret).
    `clock` gives the timestamp (seconds since the epoch)."""

    requires_request_body = True  # a form body's fields are signed

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        token: str,
        token_secret: str,
        *,
        realm: str | None = None,
        signature_method: str = HMAC_SHA256,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(consumer_secret, token_secret)
        self._consumer_key, self._consumer_secret = consumer_key, consumer_secret
        self._token, self._token_secret = token, token_secret
        self._realm, self._method, self._clock = realm, signature_method, clock

    @property
    def rate_limit_key(self) -> str:
        return fingerprint(self._realm or "", self._consumer_key, self._token)

    def apply(self, request: httpx.Request) -> httpx.Request:
        oauth = [
            ("oauth_consumer_key", self._consumer_key),
            ("oauth_token", self._token),
            ("oauth_signature_method", self._method),
            ("oauth_timestamp", str(int(self._clock()))),
            ("oauth_nonce", generate_token(20)),
            ("oauth_version", "1.0"),
        ]
        signed = signature(
            request.method,
            str(request.url),
            [*request_params(request), *oauth],
            self._consumer_secret,
            self._token_secret,
            self._method,
        )
        header = prepare_headers([*oauth, ("oauth_signature", signed)], {}, realm=self._realm)
        request.headers["Authorization"] = header["Authorization"]
        return request


class Verifier:
    """An emulator's check of signed requests: the realm, consumer key and token expected, a
    signature method of `methods`, a timestamp within `skew` seconds of `clock`, a nonce of at
    least `shortest` characters never used with the token, and the signature recomputed from
    the secrets held."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        skew: float = 300.0,
        methods: tuple[str, ...] = (HMAC_SHA256,),
        shortest: int = 6,
    ) -> None:
        self._clock, self._skew, self._methods, self._shortest = clock, skew, methods, shortest
        self._nonces: set[tuple[str, str]] = set()

    def verify(
        self,
        method: str,
        url: str,
        params: Params,
        authorization: str,
        *,
        expected: dict[str, str],
        consumer_secret: str,
        token_secret: str,
    ) -> bool:
        """`params` are the request's query (and form) parameters; `expected` the values its
        header must carry (realm, oauth_consumer_key, oauth_token)."""
        given = oauth_params(authorization)
        if given is None or given.get("oauth_signature_method") not in self._methods:
            return False
        if any(not hmac.compare_digest(given.get(k, ""), v) for k, v in expected.items()):
            return False
        nonce, stamp = given.get("oauth_nonce", ""), given.get("oauth_timestamp", "")
        fresh = stamp.isdigit() and abs(int(stamp) - self._clock()) <= self._skew
        if len(nonce) < self._shortest or not fresh:
            return False
        oauth = [(k, v) for k, v in given.items() if k.startswith("oauth_")]
        wanted = signature(
            method,
            url,
            [*params, *oauth],
            consumer_secret,
            token_secret,
            given["oauth_signature_method"],
        )
        used = (nonce, given.get("oauth_token", ""))
        if (
            not hmac.compare_digest(given.get("oauth_signature", ""), wanted)
            or used in self._nonces
        ):
            return False
        self._nonces.add(used)
        return True


def signed_gate(
    clock: Callable[[], float],
    *,
    realm: str = "account_id",
    consumer: tuple[str, str] = ("consumer_key", "consumer_secret"),
    token: tuple[str, str] = ("token_id", "token_secret"),
) -> Callable[[Any, Any], bool]:
    """An emulator's gate (`SourceEmulator.gate`): a request signed with the account's
    credentials of these names (the realm, the consumer's key and secret, the token's id and
    secret), checked by a `Verifier` of the account's own (its nonces)."""
    verifiers: dict[str, Verifier] = {}

    def check(account: Any, request: Any) -> bool:
        creds = account.credentials
        verifier = verifiers.setdefault(account.id, Verifier(clock))
        return verifier.verify(
            request.method,
            str(request.url),
            request.query_params.multi_items(),
            request.headers.get("authorization", ""),
            expected={
                "realm": creds[realm],
                "oauth_consumer_key": creds[consumer[0]],
                "oauth_token": creds[token[0]],
            },
            consumer_secret=creds[consumer[1]],
            token_secret=creds[token[1]],
        )

    return check
