"""API keys: listed without the keys themselves, revoked at once, never the last one."""

from __future__ import annotations

import httpx

from tests import services
from tests.conftest import Stack


def _client(stack: Stack, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=stack.url, headers={"authorization": f"Bearer {key}"}, timeout=30
    )


async def test_keys_are_listed_without_the_keys(stack: Stack) -> None:
    first = services.create_account(stack.env, "keys-listed")
    async with _client(stack, first) as client:
        second = (await client.post("/v1/account/api-keys")).json()["api_key"]
        response = await client.get("/v1/account/api-keys")
    assert response.status_code == 200
    keys = response.json()["data"]
    assert [k["prefix"] for k in keys] == [first[:8], second[:8]]
    assert all(k["revoked_at"] is None and k["id"] and k["created_at"] for k in keys)
    assert first not in response.text and second not in response.text


async def test_a_revoked_key_is_refused_at_once_and_the_last_one_stays(stack: Stack) -> None:
    first = services.create_account(stack.env, "keys-revoked")
    async with _client(stack, first) as client:
        second = (await client.post("/v1/account/api-keys")).json()["api_key"]
        ids = {
            k["prefix"]: k["id"] for k in (await client.get("/v1/account/api-keys")).json()["data"]
        }
        async with _client(stack, second) as other:
            assert (await other.get("/v1/account")).status_code == 200
            revoked = await client.delete(f"/v1/account/api-keys/{ids[second[:8]]}")
            assert revoked.status_code == 200, revoked.text
            assert revoked.json()["revoked_at"] is not None
            refused = await other.get("/v1/account")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "invalid_api_key"

        last = await client.delete(f"/v1/account/api-keys/{ids[first[:8]]}")
        assert last.status_code == 409
        assert last.json()["error"]["code"] == "last_api_key"
        assert (await client.get("/v1/account")).status_code == 200
        listed = (await client.get("/v1/account/api-keys")).json()["data"]
        assert [k["revoked_at"] is None for k in listed] == [True, False]


async def test_another_accounts_key_is_not_found(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    theirs = (await other_client.get("/v1/account/api-keys")).json()["data"][0]["id"]
    response = await client.delete(f"/v1/account/api-keys/{theirs}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "api_key_not_found"
    assert (await other_client.get("/v1/account")).status_code == 200
