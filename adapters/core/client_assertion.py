"""OAuth 2.0 client credentials with the client authenticated by a JWT it signs with a private
key (RFC 7523 section 2.2, the `private_key_jwt` of OpenID Connect), for vendors whose machine-
to-machine sign-in registers a certificate's public part and keeps no client secret (NetSuite).

`client_assertion_auth` is a `TokenExchangeAuth` whose form carries a new assertion for each
exchange (its iat/exp are the exchange's own). The algorithm follows the key: RSA signs PS256,
an EC key ES256/ES384/ES512 by its curve. Signing and checking are Authlib's (`authlib.jose`);
`check_assertion` and `new_private_key` serve the emulators, which verify an assertion against
the public part of the key they handed out.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]

from adapters.core.auth import TokenExchangeAuth
from adapters.core.errors import AuthFailed

with warnings.catch_warnings():  # authlib.jose announces joserfc as its successor on import
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebToken  # type: ignore[import-untyped]
    from authlib.jose.errors import JoseError  # type: ignore[import-untyped]

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CURVES = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
ALGORITHMS = ("PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "RS256")


def _key(pem: str) -> Any:
    """A PEM key (a pasted one may carry its line breaks as `\\n`) as Authlib's JWK."""
    text = pem.strip().replace("\\n", "\n")
    try:
        return JsonWebKey.import_key(text)
    except (ValueError, TypeError, JoseError):
        return None


def algorithm_of(key: Any) -> str | None:
    kind = key.as_dict().get("kty")
    return "PS256" if kind == "RSA" else CURVES.get(key.as_dict().get("crv"))


def sign_assertion(
    private_key: str, *, key_id: str, claims: Mapping[str, Any], algorithm: str | None = None
) -> str:
    """A compact JWT of `claims`, its header naming `key_id` (`kid`). Raises AuthFailed when
    the key cannot sign (not a PEM RSA or EC private key)."""
    key = _key(private_key) if private_key else None
    alg = algorithm or (algorithm_of(key) if key is not None else None)
    if key is None or alg is None:
        raise AuthFailed("the private key is not a PEM RSA or EC private key")
    header = {"alg": alg, "typ": "JWT", "kid": key_id}
    try:
        signed = JsonWebToken([alg]).encode(header, dict(claims), key)
    except (ValueError, TypeError, JoseError):
        raise AuthFailed(f"the private key cannot sign {alg} (a public key?)") from None
    return bytes(signed).decode()


def client_assertion_auth(
    token_url: str,
    *,
    client_id: str,
    key_id: str,
    private_key: str,
    claims: Mapping[str, Any] | None = None,
    lifetime: int = 300,
    clock: Callable[[], float] = time.time,
) -> TokenExchangeAuth:
    """The client_credentials grant with a client assertion: iss = `client_id`, aud = the
    token URL, valid `lifetime` seconds, plus `claims` (a scope). Missing credentials fail the
    first exchange (AuthFailed), never the construction."""

    def form() -> dict[str, str]:
        missing = [n for n, v in (("client ID", client_id), ("key ID", key_id)) if not v]
        if missing or not private_key:
            raise AuthFailed(f"no {' or '.join(missing or ['private key'])} given")
        now = int(clock())
        payload = {"iss": client_id, "aud": token_url, "iat": now, "exp": now + lifetime}
        assertion = sign_assertion(private_key, key_id=key_id, claims={**payload, **(claims or {})})
        return {"client_assertion": assertion}

    grant = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER}
    return TokenExchangeAuth(
        token_url, grant, secret_keys=(), fresh=form, signing=(client_id, key_id, private_key)
    )


def check_assertion(
    assertion: str,
    public_key: str,
    *,
    now: float,
    issuer: str,
    audience: str,
    key_id: str,
    algorithms: Sequence[str] = ALGORITHMS,
    longest: int = 3600,
    scope: str | None = None,
) -> str | None:
    """What is wrong with a client assertion (None: nothing): its signature against
    `public_key` by one of `algorithms`, its kid, issuer and audience, a `scope` its scope
    claim names (comma- or space-separated, or a list), and iat <= now < exp with exp - iat at
    most `longest` seconds."""
    key = _key(public_key)
    try:
        claims = JsonWebToken(list(algorithms)).decode(assertion, key)
    except (JoseError, ValueError, TypeError) as exc:
        return f"the assertion is not signed by the registered key ({type(exc).__name__})"
    if claims.header.get("kid") != key_id:
        return "the assertion names another certificate (kid)"
    if claims.get("iss") != issuer:
        return "the assertion's issuer is not the client"
    if claims.get("aud") != audience:
        return "the assertion's audience is not this token endpoint"
    named = claims.get("scope") or ""
    scopes = named if isinstance(named, list) else str(named).replace(",", " ").split()
    if scope is not None and scope not in scopes:
        return f"the assertion's scope does not name {scope}"
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int) or iat > now + 60:
        return "the assertion has no iat and exp, or is issued in the future"
    if exp <= now:
        return "the assertion is expired"
    if exp - iat > longest:
        return f"the assertion is valid for more than {longest} seconds"
    return None


def new_private_key(curve: str = "P-256") -> str:
    """A fresh EC private key in PEM (PKCS#8), for a sandbox to hand out."""
    key = JsonWebKey.generate_key("EC", curve, is_private=True)
    return bytes(key.as_pem(is_private=True)).decode()


def public_key_of(private_key: str) -> str:
    """The public part of a PEM private key, in PEM."""
    return bytes(JsonWebKey.import_key(private_key).as_pem(is_private=False)).decode()


def assertion_login(
    clock: Callable[[], float],
    token: Callable[[Any], str],
    *,
    algorithms: Sequence[str] = ALGORITHMS,
    longest: int = 3600,
    scope: str | None = None,
    answer: Callable[[str, Any, Any], Any] | None = None,
) -> Any:
    """An emulator's token endpoint (an `emulated_auth.Login`) for `client_assertion_auth`:
    the client_credentials grant with an assertion that passes `check_assertion` against the
    account's credentials (`client_id` the issuer, `certificate_id` the kid, the public part of
    `private_key`), addressed to the endpoint itself. Refused with 400 and RFC 6749's codes:
    no assertion `invalid_request`, a wrong one `invalid_grant`, another grant
    `unsupported_grant_type`."""
    from adapters.core.emulated_auth import Login, oauth2_answer  # emulators only

    def checked(account: Any, request: Any, given: Mapping[str, str]) -> str | None:
        assertion = given.get("client_assertion")
        if given.get("client_assertion_type") != JWT_BEARER or not assertion:
            return "client_assertion"
        creds = account.credentials
        wrong = check_assertion(
            assertion,
            public_key_of(creds["private_key"]),
            now=clock(),
            issuer=creds["client_id"],
            audience=str(request.url).split("?")[0],
            key_id=creds["certificate_id"],
            algorithms=algorithms,
            longest=longest,
            scope=scope,
        )
        return None if wrong is None else "assertion"

    codes = {"grant_type": "unsupported_grant_type", "assertion": "invalid_grant"}
    return Login(
        {},
        "client_credentials",
        answer=answer or oauth2_answer,
        refusal=lambda reason, given: (400, {"error": codes.get(reason, "invalid_request")}),
        token=token,
        checks=(checked,),
    )
