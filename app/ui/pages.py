"""Rendering the status page: Jinja2 with autoescaping, and the headers every page carries."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.models import Account

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_PREFIX = "/ui/static"

# Only our own files: no inline script or style, no other origin, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # pages show an account's data: never kept in a shared cache
}

_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_environment)


@cache
def _static_version(name: str) -> str:
    # In the URL, so that a browser never runs last release's script against this page.
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    return f"{STATIC_PREFIX}/{name}?v={_static_version(name)}"


_environment.globals["static"] = static_url


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    account: Account | None = None,
    csrf_token: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    full = {"account": account, "csrf_token": csrf_token, **(context or {})}
    response = templates.TemplateResponse(
        request, template, full, status_code=status_code, headers=PAGE_HEADERS
    )
    return response


def message_page(
    request: Request,
    heading: str,
    message: str,
    status_code: int,
    *,
    account: Account | None = None,
    csrf_token: str = "",
    back: tuple[str, str] | None = None,
) -> HTMLResponse:
    """A page that says one thing; `back` is (link, text) to where the person came from."""
    back_href, back_text = back or ("/", "Back to your sessions")
    return render(
        request,
        "message.html",
        {"heading": heading, "message": message, "back_href": back_href, "back_text": back_text},
        account=account,
        csrf_token=csrf_token,
        status_code=status_code,
    )
