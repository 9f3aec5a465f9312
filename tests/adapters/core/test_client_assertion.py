"""OAuth 2.0 client credentials with a signed client assertion (RFC 7523): a new JWT for each
exchange, the algorithm the key's (PS256 for RSA, ES256 for P-256), what a token endpoint
checks of it, and a key that cannot sign refused as AuthFailed at the exchange."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import httpx
import pytest

from adapters.core.client_assertion import (
    JWT_BEARER,
    check_assertion,
    client_assertion_auth,
    new_private_key,
    public_key_of,
    sign_assertion,
)
from adapters.core.errors import AuthFailed
from tests.adapters.sources import FakeClock

TOKEN_URL = "https://1234567.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"
KEY = new_private_key()  # an EC P-256 key: ES256


def rsa_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def checked(assertion: str, key: str = KEY, **change: object) -> str | None:
    options: dict[str, object] = {
        "now": 1_000_000.0,
        "issuer": "client-1",
        "audience": TOKEN_URL,
        "key_id": "cert-1",
        "scope": "rest_webservices",
        **change,
    }
    return check_assertion(assertion, public_key_of(key), **options)  # type: ignore[arg-type]


def claims(now: int = 1_000_000, lifetime: int = 300, **extra: object) -> dict[str, object]:
    base = {"iss": "client-1", "aud": TOKEN_URL, "iat": now, "exp": now + lifetime}
    return {**base, "scope": "rest_webservices", **extra}


def test_each_exchange_posts_a_new_assertion_with_its_own_times() -> None:
    clock = FakeClock()
    sent: list[dict[str, list[str]]] = []
    calls: list[str] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            sent.append(parse_qs(request.content.decode()))
            return httpx.Response(200, json={"access_token": f"t{len(sent)}"})
        calls.append(request.headers["authorization"])
        return httpx.Response(401 if len(calls) == 2 else 200, json={})

    auth = client_assertion_auth(
        TOKEN_URL,
        client_id="client-1",
        key_id="cert-1",
        private_key=KEY,
        claims={"scope": "rest_webservices"},
        clock=clock,
    )
    with httpx.Client(transport=httpx.MockTransport(token_endpoint), auth=auth) as client:
        client.get("https://1234567.suitetalk.api.netsuite.com/x")  # exchange, call
        clock.now += 3000
        client.get("https://1234567.suitetalk.api.netsuite.com/x")  # 401: exchange, again
    assert calls == ["Bearer t1", "Bearer t1", "Bearer t2"]
    first, second = sent
    assert first["grant_type"] == ["client_credentials"]
    assert first["client_assertion_type"] == [JWT_BEARER]
    assert set(first) == {"grant_type", "client_assertion_type", "client_assertion"}
    assert first["client_assertion"] != second["client_assertion"]
    assert checked(first["client_assertion"][0]) is None
    assert checked(second["client_assertion"][0], now=1_003_000.0) is None
    assert checked(first["client_assertion"][0], now=1_003_000.0) == "the assertion is expired"
    assert (
        KEY in auth.secrets
        and auth.rate_limit_key
        != client_assertion_auth(
            TOKEN_URL, client_id="client-1", key_id="cert-1", private_key=new_private_key()
        ).rate_limit_key
    )


def header_of(assertion: str) -> dict[str, str]:
    head = assertion.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def test_an_rsa_key_signs_ps256_and_an_ec_key_es256() -> None:
    for key, alg in ((rsa_key(), "PS256"), (KEY, "ES256")):
        signed = sign_assertion(key, key_id="cert-1", claims=claims())
        assert header_of(signed) == {"alg": alg, "typ": "JWT", "kid": "cert-1"}
        assert checked(signed, key) is None
        assert checked(signed, key, algorithms=("RS256",)) is not None  # an algorithm refused
    pasted = KEY.replace("\n", "\\n")  # a key pasted into JSON with its breaks escaped
    assert checked(sign_assertion(pasted, key_id="cert-1", claims=claims())) is None


def test_a_token_endpoint_refuses_another_key_kid_audience_scope_or_lifetime() -> None:
    good = sign_assertion(KEY, key_id="cert-1", claims=claims())
    assert checked(good) is None
    assert "not signed" in str(
        checked(sign_assertion(new_private_key(), key_id="cert-1", claims=claims()))
    )
    assert "kid" in str(checked(sign_assertion(KEY, key_id="cert-2", claims=claims())))
    assert "audience" in str(
        checked(sign_assertion(KEY, key_id="cert-1", claims=claims(aud="https://x/token")))
    )
    assert "issuer" in str(
        checked(sign_assertion(KEY, key_id="cert-1", claims=claims(iss="other")))
    )
    assert "scope" in str(
        checked(sign_assertion(KEY, key_id="cert-1", claims=claims(scope="restlets")))
    )
    assert "3600" in str(
        checked(sign_assertion(KEY, key_id="cert-1", claims=claims(lifetime=7200)))
    )
    assert "expired" in str(checked(good, now=1_000_400.0))
    assert "future" in str(checked(good, now=999_000.0))
    listed = sign_assertion(KEY, key_id="cert-1", claims=claims(scope="restlets, rest_webservices"))
    assert checked(listed) is None


def test_a_key_that_cannot_sign_fails_the_exchange_as_auth_failed() -> None:
    calls: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(200, json={}))
    for key in ("not a key", "", public_key_of(KEY)):
        auth = client_assertion_auth(TOKEN_URL, client_id="c", key_id="k", private_key=key)
        with httpx.Client(transport=transport, auth=auth) as client, pytest.raises(AuthFailed):
            client.get("https://1234567.suitetalk.api.netsuite.com/x")
    assert calls == []  # nothing was sent
