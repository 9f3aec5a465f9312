"""TokenExchangeAuth against a vendor that refuses an expired token in a 200 (an `expired`
hook): it logs in again once and resends the call; a refused login is still AuthFailed."""

from __future__ import annotations

import json

import httpx
import pytest

from adapters.core.auth import TokenExchangeAuth
from adapters.core.errors import AuthFailed


class Vendor:
    """Logins give tokens t1, t2...; a call with a token not in `valid` is a 200 refusal."""

    def __init__(self, password: str = "pw") -> None:
        self.password = password
        self.logins = 0
        self.valid: set[str] = set()
        self.calls: list[str] = []
        self.accepting = True  # False: every token is refused

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login":
            if json.loads(request.content)["Password"] != self.password:
                return httpx.Response(200, json={"Code": -1, "Msg": ["Authentication failed."]})
            self.logins += 1
            self.valid.add(f"t{self.logins}")
            return httpx.Response(200, json={"Code": 0, "Data": {"Token": f"t{self.logins}"}})
        token = request.headers["Authorization"].removeprefix("Bearer ")
        self.calls.append(f"{token}:{request.content.decode()}")
        if token not in self.valid or not self.accepting:
            return httpx.Response(200, json={"Code": -1, "Msg": ["Token is invalid"]})
        return httpx.Response(200, json={"Code": 0, "Data": []})


def refused_token(response: httpx.Response) -> bool:
    return response.json().get("Msg") == ["Token is invalid"]


def client(vendor: Vendor, password: str = "pw") -> httpx.AsyncClient:
    auth = TokenExchangeAuth(
        "https://crm.example/login",
        {"UID": "u", "Password": password},
        secret_keys=("Password",),
        as_json=True,
        token_field="Data.Token",
        expired=refused_token,
    )
    return httpx.AsyncClient(
        transport=httpx.MockTransport(vendor), base_url="https://crm.example", auth=auth
    )


async def test_a_token_refused_in_a_200_is_renewed_once_and_the_call_resent() -> None:
    vendor = Vendor()
    async with client(vendor) as http:
        assert (await http.post("/Read", json={"n": 1})).json()["Code"] == 0
        vendor.valid.clear()  # the token expires between two calls
        assert (await http.post("/Read", json={"n": 2})).json()["Code"] == 0
        assert (await http.post("/Read", json={"n": 3})).json()["Code"] == 0
    assert vendor.logins == 2
    assert vendor.calls == ['t1:{"n":1}', 't1:{"n":2}', 't2:{"n":2}', 't2:{"n":3}']


async def test_a_token_refused_again_after_a_new_login_is_handed_back_not_looped() -> None:
    vendor = Vendor()
    vendor.accepting = False
    async with client(vendor) as http:
        answer = await http.post("/Read", json={})
    assert answer.json() == {"Code": -1, "Msg": ["Token is invalid"]}
    assert vendor.logins == 2 and len(vendor.calls) == 2


async def test_a_wrong_password_is_still_an_auth_failure() -> None:
    vendor = Vendor()
    async with client(vendor, password="wrong") as http:
        with pytest.raises(AuthFailed):
            await http.post("/Read", json={})
    assert vendor.calls == []
