"""Auth styles shared by every system: how a credential rides on each request.

Each style is an `httpx.Auth`, so the HTTP client stays ignorant of where the secret goes. Each also
offers `rate_limit_key`: a hash of the secret that names the rate-limit bucket (limits are usually
per token) without ever putting the secret itself in Redis, logs or errors, and `secrets`: the
strings the client scrubs from any message it raises.

Extension point: OAuth2 with refresh and session logins subclass `CredentialAuth` and override
`async_auth_flow` (httpx's generator protocol lets a flow send a refresh request, swap the token and
replay the original request after a 401), keeping `rate_limit_key` tied to the stable credential
(the refresh token or the login), not to the short-lived access token.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Generator

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
    def __init__(self, username: str, password: str) -> None:
        super().__init__(password)  # the username is not secret: never scrubbed from messages
        self._username = username
        pair = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._header = f"Basic {pair}"

    @property
    def rate_limit_key(self) -> str:
        return fingerprint(self._username, *self.secrets)

    def apply(self, request: httpx.Request) -> httpx.Request:
        request.headers["Authorization"] = self._header
        return request
