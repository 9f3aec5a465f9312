"""Idempotency-Key on every POST, with Stripe's semantics: a client that lost an answer sends the
request again with the same key and gets the first answer back (status and body, with
`Idempotent-Replayed: true`) instead of a second session, sandbox or API key.

Keys are per account and kept 24 hours. The same key with another request (body, method or
path) is 409 `idempotency_key_reused`; while the first request with a key is still running, a
second is 409 `idempotency_key_in_use`. An answer of 5xx is not kept: the request may be retried.
Stored answers may hold a secret shown once at creation (a new API key): they are encrypted."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import sessionmaker, utcnow
from app.deps import account_for_key
from app.errors import error_response
from app.guards import STREAMED_BODIES, replay_body
from app.models import IdempotencyKey
from app.security import decrypt_json, encrypt_json

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEPT_FOR = timedelta(hours=24)
# A request whose answer never came (its process died) frees its key after this long.
ABANDONED_AFTER = timedelta(minutes=10)

HEADER_DESCRIPTION = (
    "Any string up to 255 characters (a UUID, say), unique per operation you mean. Sending the "
    "same request again with the same key within 24 hours answers the first response "
    "(`Idempotent-Replayed: true`) without doing it twice; the same key with another request "
    "is 409 `idempotency_key_reused`, and while the first is still running 409 "
    "`idempotency_key_in_use`."
)


class IdempotencyMiddleware:
    """Pure ASGI middleware, inside RequestGuard (which has read and checked the body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, b"idempotency-key") if _applies(scope) else None
        if key is None:
            await self.app(scope, receive, send)
            return
        account_id = await _account_id(scope)
        if account_id is None:  # the route answers the 401
            await self.app(scope, receive, send)
            return
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            message = f"The {HEADER} header must hold 1 to {MAX_KEY_LENGTH} characters."
            await error_response(422, "invalid_idempotency_key", message)(scope, receive, send)
            return
        body = await _read_body(receive)
        fingerprint = _fingerprint(scope, body)
        stored = await _claim(account_id, key, fingerprint)
        if stored is not None:
            await _answer_from(stored, fingerprint)(scope, receive, send)
            return
        await _run_and_keep(self.app, scope, replay_body(body, receive), send, (account_id, key))


def _applies(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "POST":
        return False
    path: str = scope["path"]
    if path in STREAMED_BODIES:  # streamed to storage (uploads), never held in memory here
        return False
    # The emulated vendor APIs under /sandbox/<id>/ answer as the vendors do: not ours.
    return not path.startswith("/sandbox/") or path.startswith("/sandbox/accounts")


async def _account_id(scope: Scope) -> str | None:
    scheme, _, token = (_header(scope, b"authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    async with sessionmaker()() as db:
        account = await account_for_key(db, token.strip())
        return account.id if account else None


def _fingerprint(scope: Scope, body: bytes) -> str:
    """What makes two requests "the same": method, path, query and body (JSON compared by
    value, so a client that re-serialises its body with other spacing still matches)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = body
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b"")):
        digest.update(part + b"\0")
    digest.update(canonical)
    return digest.hexdigest()


async def _claim(account_id: str, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Takes the key for this request (None), or returns the row another request holds."""
    async with sessionmaker()() as db:
        now = utcnow()
        # Lazy purge: old keys and abandoned claims go before anything looks at them.
        await db.execute(
            delete(IdempotencyKey).where(
                or_(
                    IdempotencyKey.created_at < now - KEPT_FOR,
                    (IdempotencyKey.response_status.is_(None))
                    & (IdempotencyKey.created_at < now - ABANDONED_AFTER),
                )
            )
        )
        await db.commit()
        db.add(IdempotencyKey(account_id=account_id, key=key, request_hash=fingerprint))
        try:
            await db.commit()
            return None
        except IntegrityError:
            await db.rollback()
        row = await db.execute(
            select(IdempotencyKey).where(
                IdempotencyKey.account_id == account_id, IdempotencyKey.key == key
            )
        )
        existing = row.scalar_one_or_none()
        if existing is None:  # released between our insert and this read: claim it again
            return await _claim(account_id, key, fingerprint)
        return existing


def _answer_from(stored: IdempotencyKey, fingerprint: str) -> ASGIApp:
    if stored.request_hash != fingerprint:
        return error_response(
            409,
            "idempotency_key_reused",
            f"This {HEADER} was used for another request; use a new key for a new request.",
        )
    if stored.response_status is None or stored.response_body is None:
        return error_response(
            409,
            "idempotency_key_in_use",
            f"A request with this {HEADER} is still running; retry once it has answered.",
        )
    return _Replay(
        stored.response_status,
        base64.b64decode(decrypt_json(stored.response_body)),
        stored.response_content_type,
    )


@dataclass
class _Replay:
    status: int
    body: bytes
    content_type: str | None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", str(len(self.body)).encode())]
        headers.append((REPLAYED_HEADER.lower().encode(), b"true"))
        if self.content_type:
            headers.append((b"content-type", self.content_type.encode("latin-1")))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


@dataclass
class _Held:
    """The answer of the app, held back until it is stored: once the client has it, a retry
    finds it kept."""

    start: Message | None = None
    chunks: list[bytes] = field(default_factory=list)
    complete: bool = False


async def _run_and_keep(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, owner: tuple[str, str]
) -> None:
    held = _Held()

    async def hold(message: Message) -> None:
        if message["type"] == "http.response.start":
            held.start = message
        elif message["type"] == "http.response.body":
            held.chunks.append(message.get("body", b""))
            held.complete = not message.get("more_body", False)

    try:
        await app(scope, receive, hold)
    finally:
        await _keep(owner, held)
    if held.start is not None:
        await send(held.start)
        await send({"type": "http.response.body", "body": b"".join(held.chunks)})


async def _keep(owner: tuple[str, str], held: _Held) -> None:
    """Stores a complete answer below 500; anything else frees the key for a retry."""
    account_id, key = owner
    status = held.start["status"] if held.start else 500
    async with sessionmaker()() as db:
        row = (
            await db.execute(
                select(IdempotencyKey).where(
                    IdempotencyKey.account_id == account_id, IdempotencyKey.key == key
                )
            )
        ).scalar_one_or_none()
        if row is None:
            return
        if status >= 500 or not held.complete or held.start is None:
            await db.delete(row)
        else:
            row.response_status = status
            row.response_body = encrypt_json(base64.b64encode(b"".join(held.chunks)).decode())
            row.response_content_type = _content_type(held.start)
        await db.commit()


def _content_type(start: Message) -> str | None:
    for name, value in start.get("headers", []):
        if bytes(name).lower() == b"content-type":
            return bytes(value).decode("latin-1")
    return None


async def _read_body(receive: Receive) -> bytes:
    # RequestGuard has read the body whole and bounded it: this only collects its replay.
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None
