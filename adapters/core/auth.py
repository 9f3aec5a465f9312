"""Auth styles shared by every system: how a credential rides on each request.

Each style is an `httpx.Auth`, so the HTTP client stays ignorant of where the secret goes. Each also
offers `rate_limit_key`: a hash of the secret that names the rate-limit bucket (limits are usually
per token) without ever putting the secret itself in Redis, logs or errors, and `secrets`: the
strings the client scrubs from any message it raises.

Token exchanges (OAuth2 refresh, client credentials, session logins) share `TokenExchangeAuth`:
httpx's auth-flow generator lets it send the exchange, put the token on the request and replay the
request after a 401 (or an answer its `expired` hook reads as an expired token: vendors that
refuse a token in a 200). Its `rate_limit_key` is tied to the stable credential, not the short-lived
token.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx


def fingerprint(*secrets: str) -> str:
    """A short, stable, one-way name for a credential."""
    digest = hashlib.sha256("\x00".join(secrets).encode()).hexdigest()
    return digest[:16]


class CredentialAuth(httpx.Auth):
    """Base of the auth styles: subclasses put the credential on the request."""

    def __init__(self, *secrets: str) -> None:
        self._secrets = tuple(s for s in secrets if s)

    @property
    def rate_limit_key(self) -> str:
        return fingerprint(*self._secrets)

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def apply(self, request: httpx.Request) -> httpx.Request:
        raise NotImplementedError

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield self.apply(request)


class QueryParamAuth(CredentialAuth):
    """The key as a query parameter, e.g. Pipedrive's `?api_token=...`."""

    def __init__(self, param: str, key: str) -> None:
        super().__init__(key)
        self.param = param
        self._key = key

    def apply(self, request: httpx.Request) -> httpx.Request:
        request.url = request.url.copy_merge_params({self.param: self._key})
        return request


class HeaderAuth(CredentialAuth):
    """The key in a header, e.g. `x-api-token: ...`; `prefix` gives `Authorization: Token ...`."""

    def __init__(self, header: str, key: str, prefix: str = "") -> None:
        super().__init__(key)
        self.header = header
        self._value = f"{prefix} {key}" if prefix else key

    def apply(self, request: httpx.Request) -> httpx.Request:
        request.headers[self.header] = self._value
        return request


class BearerAuth(HeaderAuth):
    def __init__(self, token: str) -> None:
        super().__init__("Authorization", token, prefix="Bearer")


class BasicAuth(CredentialAuth):
    def __init__(self, username: str, password: str, *, secret_username: bool = False) -> None:
        # A login name is not secret and stays readable in messages; an API key sent as the
        # username (Close, Insightly) is, and is scrubbed like a password.
        super().__init__(username if secret_username else "", password)
        self._username = username
        pair = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._header = f"Basic {pair}"

    @classmethod
    def api_key_as_username(cls, key: str) -> BasicAuth:
        """HTTP Basic with the API key as username and an empty password."""
        return cls(key, "", secret_username=True)

    @property
    def rate_limit_key(self) -> str:
        return fingerprint(self._username, *self.secrets)

    def apply(self, request: httpx.Request) -> httpx.Request:
        request.headers["Authorization"] = self._header
        return request


@dataclass(frozen=True)
class CredentialField:
    """One credential a system takes (listed by GET /v1/systems; `secret` ones are encrypted
    at rest and never returned)."""

    name: str
    label: str
    secret: bool = True
    required: bool = True


# How a system's credentials become the auth of its client: (credentials, base URL) -> auth. The
# base URL is there for token endpoints on the vendor's own host (Salesforce, SugarCRM).
AuthStyle = Callable[[dict[str, str], str], CredentialAuth]


def bearer(field: str) -> AuthStyle:
    """The style of a token given as the credential `field`, sent as `Authorization: Bearer`."""
    return lambda credentials, _base_url: BearerAuth(credentials[field])


def api_key_as_username(field: str) -> AuthStyle:
    """The style of an API key given as the credential `field`, sent as the Basic username."""
    return lambda credentials, _base_url: BasicAuth.api_key_as_username(credentials[field])


class TokenExchangeAuth(CredentialAuth):
    """A long-lived credential traded for a short-lived access token at `token_url`.

    One mechanism covers OAuth2 refresh (Salesforce, Zoho), OAuth2 client credentials (Dynamics)
    and username/password session logins (SugarCRM): what differs is the grant sent and where the
    token goes. The token is fetched before the first call, and once more when a call comes back
    401 (it expired), after which that call is replayed. A refused exchange is AuthFailed.
    `expired(response)` tells an expired token from an answer that is not a 401 (Maximizer's
    `{"Code": -1, "Msg": ["Token is invalid"]}` in a 200); such an answer is treated as a 401.
    """

    requires_response_body = True

    def __init__(
        self,
        token_url: str,
        grant: dict[str, str],
        *,
        secret_keys: tuple[str, ...],
        as_json: bool = False,
        header: str = "Authorization",
        prefix: str = "Bearer",
        token_field: str = "access_token",
        method: str = "POST",
        login_headers: dict[str, str] | None = None,
        present: Callable[[str], str] | None = None,
        query_param: str | None = None,
        bare_token: bool = False,
        headers: dict[str, str] | None = None,
        expired: Callable[[httpx.Response], bool] | None = None,
        fresh: Callable[[], dict[str, str]] | None = None,
        signing: tuple[str, ...] = (),
    ) -> None:
        super().__init__(
            *(grant.get(key, "") for key in secret_keys),
            *(login_headers or {}).values(),
            *signing,
        )
        self.token_url = token_url
        self._grant = grant
        self._as_json = as_json
        self._header = header
        self._prefix = prefix
        self._token_field = token_field
        self._method = method
        self._login_headers = login_headers or {}
        self._present = present  # the header value made from the token (Redtail's Userkeyauth)
        self._query_param = query_param  # the token goes as this parameter instead of a header
        self._bare = bare_token  # the answer's body is the token itself, as text (Act!'s JWT)
        self._headers = headers or {}  # sent on every call, the exchange's too (Act!'s database)
        self._expired = expired  # an answer other than a 401 that says the token expired
        # Fields made anew for each exchange, over the grant's (a signed client assertion with
        # its own iat and exp), and the credentials that sign them without being sent.
        self._fresh = fresh
        self._signing = signing
        self._token: str | None = None

    @property
    def rate_limit_key(self) -> str:
        identity = [f"{k}={v}" for k, v in sorted({**self._grant, **self._headers}.items())]
        return fingerprint(self.token_url, *identity, *self._signing)

    def _token_request(self) -> httpx.Request:
        headers = {**self._headers, **self._login_headers}
        grant = {**self._grant, **(self._fresh() if self._fresh else {})}
        if self._method == "GET":
            return httpx.Request("GET", self.token_url, params=grant, headers=headers)
        if self._as_json:
            return httpx.Request("POST", self.token_url, json=grant, headers=headers)
        return httpx.Request("POST", self.token_url, data=grant, headers=headers)

    def _store(self, response: httpx.Response) -> None:
        # Imported here: errors sits beside auth and the import is only needed on failure paths.
        from adapters.core.errors import AuthFailed

        try:
            body = response.json()
        except ValueError:
            body = {}
        token = response.text.strip() if self._bare else _dig(body, self._token_field)
        if response.status_code != 200 or not token:
            reason = ""
            if isinstance(body, dict):
                reason = str(
                    body.get("error_description")
                    or body.get("error_message")
                    or body.get("error")
                    or ""
                )
            url = httpx.URL(self.token_url).copy_with(query=None)
            raise AuthFailed(
                f"token exchange at {url} refused ({response.status_code} {reason})".strip()
            )
        self._token = str(token)

    def apply(self, request: httpx.Request) -> httpx.Request:
        token = str(self._token)
        request.headers.update(self._headers)
        if self._query_param:
            request.url = request.url.copy_merge_params({self._query_param: token})
            return request
        if self._present:
            value = self._present(token)
        else:
            value = f"{self._prefix} {token}" if self._prefix else token
        request.headers[self._header] = value
        return request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # An exchange answered 429 or 5xx ends the flow with that answer as the call's own, so
        # the client waits and retries it as any call (the exchange comes first again).
        if self._token is None:
            answer = yield self._token_request()
            if _passing(answer):
                return
            self._store(answer)
        response = yield self.apply(request)
        if response.status_code == 401 or (self._expired is not None and self._expired(response)):
            answer = yield self._token_request()
            if _passing(answer):
                return
            self._store(answer)
            yield self.apply(request)


def oauth2_refresh(
    token_url: str,
    *,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    prefix: str = "Bearer",
) -> TokenExchangeAuth:
    """OAuth2's refresh_token grant, form-encoded (RFC 6749 section 6)."""
    grant = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
    }
    return TokenExchangeAuth(
        token_url, grant, secret_keys=("client_secret", "refresh_token"), prefix=prefix
    )


def oauth2_client_credentials(
    token_url: str, *, client_id: str, client_secret: str, scope: str
) -> TokenExchangeAuth:
    """OAuth2's client_credentials grant (RFC 6749 section 4.4), e.g. Entra ID app access."""
    grant = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": scope,
    }
    return TokenExchangeAuth(token_url, grant, secret_keys=("client_secret",))


def password_login(
    token_url: str, grant: dict[str, str], *, header: str, prefix: str = ""
) -> TokenExchangeAuth:
    """A username/password session login that returns a token in JSON (e.g. SugarCRM)."""
    return TokenExchangeAuth(
        token_url, grant, secret_keys=("password",), as_json=True, header=header, prefix=prefix
    )


def basic_token_login(
    token_url: str, username: str, password: str, *, headers: dict[str, str] | None = None
) -> TokenExchangeAuth:
    """A GET with HTTP Basic credentials that answers the token itself as its body (Act!'s
    `/authorize`), sent as a bearer afterwards; `headers` go with every call, the login too."""
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    login = {"Authorization": f"Basic {pair}"}
    return TokenExchangeAuth(
        token_url,
        {},
        secret_keys=(),
        method="GET",
        login_headers=login,
        bare_token=True,
        headers=headers,
    )


def _passing(response: httpx.Response) -> bool:
    """A token endpoint's answer that says "later" (rate limited, unavailable), not "no"."""
    return response.status_code == 429 or response.status_code >= 500


def _dig(body: Any, path: str) -> Any:
    """The value at a dotted path of a JSON body (a token nested in the login's answer)."""
    for key in path.split("."):
        body = body.get(key) if isinstance(body, dict) else None
    return body
