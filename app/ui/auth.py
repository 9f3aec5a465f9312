"""The status page's sign-in: the API key rides in an HttpOnly, SameSite=Strict cookie, encrypted
with the service's Fernet key and stamped with its issue time; each form of the page carries a
CSRF token kept inside that cookie, and every form POST must come from the page's own origin."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response

from app.config import get_settings
from app.security import decrypt_json, encrypt_json

COOKIE_NAME = "ferry_session"
SIGN_IN_SECONDS = 12 * 3600  # a browser signs in again after this long


@dataclass(frozen=True)
class SignedIn:
    api_key: str
    csrf_token: str


def seal(api_key: str, now: float | None = None) -> tuple[str, SignedIn]:
    """The cookie value for a browser that signed in with `api_key`, and what it holds."""
    signed_in = SignedIn(api_key=api_key, csrf_token=secrets.token_urlsafe(24))
    issued = int(time.time() if now is None else now)
    value = encrypt_json({"key": api_key, "csrf": signed_in.csrf_token, "iat": issued})
    return value, signed_in


def unseal(value: str, now: float | None = None) -> SignedIn | None:
    """What a cookie holds, or None when it is not ours, was tampered with or is too old."""
    try:
        content: Any = decrypt_json(value)
    except (RuntimeError, ValueError):  # not a Fernet token of this service's key
        return None
    if not isinstance(content, dict):
        return None
    key, csrf, issued = content.get("key"), content.get("csrf"), content.get("iat")
    if not (isinstance(key, str) and isinstance(csrf, str) and isinstance(issued, int)):
        return None
    age = (time.time() if now is None else now) - issued
    if not 0 <= age <= SIGN_IN_SECONDS:
        return None
    return SignedIn(api_key=key, csrf_token=csrf)


def signed_in(request: Request) -> SignedIn | None:
    value = request.cookies.get(COOKIE_NAME)
    return unseal(value) if value else None


def signed_in_api_key(request: Request) -> str | None:
    """The API key of the browser's sign-in cookie (for app.deps.current_account)."""
    found = signed_in(request)
    return found.api_key if found else None


def set_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=SIGN_IN_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_is_https(request),
    )


def clear_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=_is_https(request)
    )


def csrf_matches(expected: str, submitted: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), submitted.encode())


def same_origin(request: Request) -> bool:
    """Whether a form POST came from this service's own pages. Browsers send `Origin` on every
    POST; without one (a very old browser, or not a browser) the Referer's origin stands in."""
    claimed = request.headers.get("origin") or _origin_of(request.headers.get("referer", ""))
    if not claimed or claimed == "null":
        return False
    return claimed.lower() in _own_origins(request)


def _own_origins(request: Request) -> set[str]:
    # The origin the request was addressed to, and the public URL when a proxy sits in front.
    origins = {_origin_of(str(request.base_url)), _origin_of(get_settings().public_url)}
    return {origin for origin in origins if origin}


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https" or get_settings().public_url.startswith("https://")
