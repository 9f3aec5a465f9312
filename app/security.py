"""Secrets: credentials encrypted at rest (Fernet), API keys stored as hashes, webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from app.config import get_settings

API_KEY_PREFIX = "fry_"


@lru_cache
def _fernet() -> Fernet:
    key = get_settings().secret_key or _local_key()
    return Fernet(key.encode() if isinstance(key, str) else key)


def _local_key() -> str:
    # Embedded mode: a key generated once and kept beside the database file.
    path = get_settings().data_file("secret.key")
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


def encrypt_json(value: Any) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def decrypt_json(token: str) -> Any:
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:  # wrong FERRY_SECRET_KEY: say so, never show the data
        raise RuntimeError("stored secret cannot be decrypted with this FERRY_SECRET_KEY") from exc


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # The keys are long and random: a fast hash is enough, a slow KDF buys nothing.
    return hashlib.sha256(key.encode()).hexdigest()


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """`Ferry-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_webhook(
    secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300
) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign_webhook(secret, timestamp, body)
    return hmac.compare_digest(expected, header)
