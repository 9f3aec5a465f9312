"""Idempotency-Key on POSTs: a retried request answers the first response instead of running again."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.helpers import endpoint, sandbox


async def _session_ids(client: httpx.AsyncClient) -> set[str]:
    page = (await client.get("/v1/sessions", params={"limit": 100})).json()
    return {session["id"] for session in page["data"]}


async def test_the_same_key_twice_makes_one_session(client: httpx.AsyncClient) -> None:
    source = await sandbox(client, size=20)
    target = await sandbox(client, dataset="empty")
    body = {"source": endpoint(source), "target": endpoint(target)}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    before = await _session_ids(client)

    first = await client.post("/v1/sessions/preview", json=body, headers=key)
    again = await client.post("/v1/sessions/preview", json=body, headers=key)

    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await _session_ids(client) - before == {first.json()["id"]}


async def test_the_same_key_with_another_body_is_refused(client: httpx.AsyncClient) -> None:
    key = {"Idempotency-Key": f"sandbox-{uuid.uuid4()}"}
    first = await client.post(
        "/sandbox/accounts", json={"system": "hubspot", "size": 20}, headers=key
    )
    other = await client.post(
        "/sandbox/accounts", json={"system": "hubspot", "size": 21}, headers=key
    )
    elsewhere = await client.post(
        "/v1/account/api-keys", json={"system": "hubspot", "size": 20}, headers=key
    )

    assert first.status_code == 201, first.text
    for refused in (other, elsewhere):
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "idempotency_key_reused"


async def test_keys_belong_to_one_account(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    key = {"Idempotency-Key": f"shared-{uuid.uuid4()}"}
    body = {"system": "close", "size": 20}
    ours = await client.post("/sandbox/accounts", json=body, headers=key)
    theirs = await other_client.post("/sandbox/accounts", json=body, headers=key)

    assert ours.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert ours.json()["id"] != theirs.json()["id"]
    their_ids = {a["id"] for a in (await other_client.get("/sandbox/accounts")).json()}
    assert theirs.json()["id"] in their_ids and ours.json()["id"] not in their_ids


async def test_a_key_past_255_characters_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/sandbox/accounts",
        json={"system": "close", "size": 20},
        headers={"Idempotency-Key": "k" * 256},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_idempotency_key"


async def test_an_error_answer_is_replayed_too(client: httpx.AsyncClient) -> None:
    # A 4xx is kept like any answer: sending the same bad body again answers the same error.
    key = {"Idempotency-Key": f"bad-{uuid.uuid4()}"}
    first = await client.post("/sandbox/accounts", json={"system": "nosuchcrm"}, headers=key)
    again = await client.post("/sandbox/accounts", json={"system": "nosuchcrm"}, headers=key)
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


async def test_requests_at_the_same_moment_with_one_key_make_one_session(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=20)
    target = await sandbox(client, dataset="empty")
    body = {"source": endpoint(source), "target": endpoint(target)}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    before = await _session_ids(client)

    answers = await asyncio.gather(
        *(client.post("/v1/sessions/preview", json=body, headers=key) for _ in range(3))
    )

    made = [a for a in answers if a.status_code == 201]
    assert made, [a.text for a in answers]
    assert len({a.json()["id"] for a in made}) == 1
    for answer in answers:
        if answer.status_code != 201:
            assert answer.status_code == 409
            assert answer.json()["error"]["code"] == "idempotency_key_in_use"
    assert await _session_ids(client) - before == {made[0].json()["id"]}
