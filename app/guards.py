"""The door of the service: a request body is read whole (and bounded) before the app sees it,
and characters that PostgreSQL cannot store (NUL) or UTF-8 cannot encode (lone surrogates) are
refused there, so that no route, query or error message ever meets them."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterator
from email.message import Message as MimeMessage
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings
from app.errors import error_response

# A NUL byte or a UTF-16 surrogate: json.loads pairs valid surrogates into one code point, so any
# surrogate left in a decoded string stands alone.
_INVALID = re.compile("[\x00\ud800-\udfff]")

# Of a body over the limit, this much more is read and dropped before answering: a client still
# sending when the connection closes may see a reset instead of the 413.
_MAX_DRAIN_BYTES = 16 * 1024 * 1024

# An emulated vendor API takes a file as large as a session may carry, and its form around it.
_FORM_OVERHEAD = 1 << 20

_LOCATION_CHARS = 120  # a location names user-supplied keys: keep messages short


class _Disconnected(Exception):
    pass


# Routes whose bodies (uploaded files) are theirs to stream and bound (path -> handler, which
# checks and passes the request on); registered by the route's module.
StreamedBody = Callable[[Scope, Receive, Send, ASGIApp], Awaitable[None]]
STREAMED_BODIES: dict[str, StreamedBody] = {}


class RequestGuard:
    """Pure ASGI middleware in front of the app (HTTP only; lifespan passes through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _passes_untouched(scope["path"]):
            await self._emulated(scope, receive, send)
            return
        streamed = STREAMED_BODIES.get(scope["path"]) if scope["method"] == "POST" else None
        if streamed is not None:  # a route that reads its own body, bounded by its own limit
            await streamed(scope, receive, send, self.app)
            return
        limit = get_settings().max_body_bytes
        try:
            body = await _read_body(scope, receive, limit)
        except _Disconnected:
            return  # nobody is left to answer
        if body is None:
            await error_response(
                413, "payload_too_large", f"The request body is larger than {limit} bytes."
            )(scope, receive, send)
            return
        where = invalid_characters_location(scope, body)
        if where is not None:
            await error_response(
                422,
                "invalid_characters",
                f"The {where} holds a NUL character or a lone UTF-16 surrogate; "
                "neither is accepted.",
                {"location": where},
            )(scope, receive, send)
            return
        await self.app(scope, replay_body(body, receive), send)

    async def _emulated(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An emulated vendor API's request, streamed through; only a declared length past
        the largest file a session carries (and its form) is refused."""
        declared = _header(scope, b"content-length")
        largest = get_settings().max_file_bytes + _FORM_OVERHEAD
        if declared and declared.isdigit() and int(declared) > largest:
            message = f"The request body is larger than {largest} bytes."
            await error_response(413, "payload_too_large", message)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None when it is over `limit` bytes, declared or streamed (chunked)."""
    declared = _header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        await _drain(scope, receive)
        return None
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            await _drain(scope, receive)
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _drain(scope: Scope, receive: Receive) -> None:
    # A client that asked `Expect: 100-continue` sends nothing until we answer: don't invite it.
    if (_header(scope, b"expect") or "").lower() == "100-continue":
        return
    drained = 0
    while drained <= _MAX_DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        drained += len(message.get("body", b""))


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that gives an app the body already read, then what the client sends next."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body, only the disconnect is left to wait for

    return replay


def invalid_characters_location(scope: Scope, body: bytes) -> str | None:
    """Where the request holds a NUL or a lone surrogate ("path", "query parameter cursor",
    "body field source.base_url"...), or None. Never the value itself."""
    path: str = scope["path"]
    if _INVALID.search(path):
        return "path"
    if _is_emulator(path):
        # Emulated vendor APIs answer their traffic as the vendor would; only the path (its
        # sandbox account id is looked up in our database) is ours to guard.
        return None
    # Parsed exactly as Starlette parses it for the routes.
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    for name, value in query:
        if _INVALID.search(name):
            return "query parameter name"
        if _INVALID.search(value):
            return f"query parameter {_short(name)}"
    if body and _is_json(scope):
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return None  # not JSON after all: the app answers as it does for any bad body
        return _json_location(document)
    return None


def _json_location(document: Any) -> str | None:
    for where, value, is_key in _json_strings(document):
        if _INVALID.search(value):
            if is_key:
                return f"body key in {_short(where)}" if where else "body key"
            return f"body field {_short(where)}" if where else "body"
    return None


def _json_strings(document: Any) -> Iterator[tuple[str, str, bool]]:
    """(location, string, is a key) for every key and string of a JSON document; iterative, as
    a deeply nested body must not exhaust the stack."""
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            yield where, value, False
        elif isinstance(value, dict):
            for key, item in value.items():
                yield where, key, True
                pending.append((f"{where}.{key}" if where else key, item))
        elif isinstance(value, list):
            pending.extend((f"{where}[{index}]", item) for index, item in enumerate(value))


def _is_json(scope: Scope) -> bool:
    # The same test FastAPI applies before it parses a body as JSON.
    content_type = _header(scope, b"content-type")
    if not content_type:
        return False
    mime = MimeMessage()
    mime["content-type"] = content_type
    subtype = mime.get_content_subtype()
    return mime.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _passes_untouched(path: str) -> bool:
    """An emulated vendor API with a clean path: its bodies (files, binary) are the vendor's
    to take or refuse, streamed through as they come, never held to Ferry's own body limit."""
    return _is_emulator(path) and not _INVALID.search(path)


def _is_emulator(path: str) -> bool:
    return path.startswith("/sandbox/") and not (
        path == "/sandbox/accounts" or path.startswith("/sandbox/accounts/")
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _short(text: str) -> str:
    return text if len(text) <= _LOCATION_CHARS else text[: _LOCATION_CHARS - 1] + "…"
