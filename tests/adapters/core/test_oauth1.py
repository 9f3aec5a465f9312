"""OAuth 1.0a signing: RFC 5849's own example, each request signed afresh, the query signed and a
JSON body not, and the header an emulator reads back."""

from __future__ import annotations

import json

import httpx

from adapters.core.oauth1 import HMAC_SHA1, OAuth1, oauth_params, request_params, signature

URL = "https://1234567.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql?limit=5"


def test_rfc5849_example_signature() -> None:
    """RFC 5849 section 1.2: the photo request signed with HMAC-SHA1 (it sends no version)."""
    params = [
        ("file", "vacation.jpg"),
        ("size", "original"),
        ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131202"),
        ("oauth_nonce", "chapoH"),
    ]
    url = "http://photos.example.net/photos?file=vacation.jpg&size=original"
    got = signature("GET", url, params, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", HMAC_SHA1)
    assert got == "MdpQcU8iPSUjWoN/UDMsK2sui9I="


def signed(auth: OAuth1, body: object, url: str = URL) -> httpx.Request:
    return auth.apply(httpx.Request("POST", url, json=body))


def verifies(request: httpx.Request, consumer_secret: str, token_secret: str) -> bool:
    given = oauth_params(request.headers["authorization"])
    assert given is not None
    oauth = [(k, v) for k, v in given.items() if k.startswith("oauth_") and k != "oauth_signature"]
    params = [*request_params(request), *oauth]
    wanted = signature(request.method, str(request.url), params, consumer_secret, token_secret)
    return wanted == given["oauth_signature"]


def test_each_request_is_signed_afresh_over_its_query_not_its_json_body() -> None:
    auth = OAuth1("ck", "cs", "tk", "ts", realm="1234567_SB1", clock=lambda: 1_700_000_000)
    first, second = signed(auth, {"q": "SELECT 1"}), signed(auth, {"q": "SELECT 1"})
    one, two = (oauth_params(r.headers["authorization"]) for r in (first, second))
    assert one is not None and two is not None
    assert one["realm"] == "1234567_SB1" and one["oauth_signature_method"] == "HMAC-SHA256"
    assert one["oauth_timestamp"] == "1700000000" and len(one["oauth_nonce"]) >= 6
    assert one["oauth_nonce"] != two["oauth_nonce"]  # a retry is a new request
    assert verifies(first, "cs", "ts") and not verifies(first, "cs", "other")
    # The JSON body is not part of the signature; the query is, and is sent as it was signed.
    other_body = httpx.Request("POST", URL, json={"q": "SELECT 2"}, headers=first.headers)
    assert verifies(other_body, "cs", "ts")
    other_page = httpx.Request("POST", URL.replace("limit=5", "limit=6"), headers=first.headers)
    assert not verifies(other_page, "cs", "ts")
    assert json.loads(first.content) == {"q": "SELECT 1"}  # the body is sent whole


def test_a_form_body_is_signed_and_the_secrets_are_scrubbed() -> None:
    auth = OAuth1("ck", "cs", "tk", "ts")
    form = auth.apply(httpx.Request("POST", "https://api.example.com/x", data={"a": "b c"}))
    assert verifies(form, "cs", "ts")
    changed = httpx.Request(
        "POST", "https://api.example.com/x", data={"a": "d"}, headers=form.headers
    )
    assert not verifies(changed, "cs", "ts")
    assert set(auth.secrets) == {"cs", "ts"} and "cs" not in auth.rate_limit_key
    assert oauth_params("Bearer xyz") is None


def test_a_verifier_takes_a_fresh_signature_once_and_refuses_the_rest() -> None:
    from adapters.core.oauth1 import Verifier

    now = [1_700_000_000.0]
    auth = OAuth1("ck", "cs", "tk", "ts", realm="123", clock=lambda: now[0])
    verifier = Verifier(lambda: now[0])
    expected = {"realm": "123", "oauth_consumer_key": "ck", "oauth_token": "tk"}

    def verify(request: httpx.Request, **change: str) -> bool:
        secrets = {"consumer_secret": "cs", "token_secret": "ts", **change}
        return verifier.verify(
            request.method,
            str(request.url),
            request.url.params.multi_items(),
            request.headers["authorization"],
            expected=expected,
            **secrets,
        )

    request = signed(auth, {"q": "SELECT 1"})
    assert verify(request) and not verify(request)  # a nonce is good once
    assert not verify(signed(auth, {}), token_secret="other")
    stale = signed(auth, {})
    now[0] += 301
    assert not verify(stale)
    assert not verify(signed(OAuth1("ck", "cs", "tk", "ts", realm="999", clock=lambda: now[0]), {}))
    assert verify(signed(auth, {}))
