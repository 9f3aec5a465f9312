"""Creating and reading sessions: validation, nothing queued on bad input, scoping."""

from __future__ import annotations

import httpx

from tests.helpers import endpoint, sandbox, start_session, wait_for


async def _count_sessions(client: httpx.AsyncClient) -> int:
    total, cursor = 0, None
    while True:
        page = (
            await client.get(
                "/v1/sessions", params={"limit": 100, **({"cursor": cursor} if cursor else {})}
            )
        ).json()
        total += len(page["data"])
        cursor = page["next_cursor"]
        if not cursor:
            return total


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/sessions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


async def test_bad_sessions_are_refused_and_nothing_is_queued(client: httpx.AsyncClient) -> None:
    source = await sandbox(client, size=5)
    target = await sandbox(client, dataset="empty")
    before = await _count_sessions(client)
    cases = [
        (
            {"source": {**endpoint(source), "system": "nosuchcrm"}, "target": endpoint(target)},
            422,
            "unknown_system",
        ),
        (
            {"source": {**endpoint(source), "credentials": {}}, "target": endpoint(target)},
            422,
            "invalid_credentials",
        ),
        (
            {
                "source": {**endpoint(source), "credentials": {"api_token": "bad"}},
                "target": endpoint(target),
            },
            422,
            "source_auth_failed",
        ),
        (
            {
                "source": endpoint(source),
                "target": {**endpoint(target), "credentials": {"api_token": "bad"}},
            },
            422,
            "target_auth_failed",
        ),
        (
            {"source": endpoint(source), "target": endpoint(target), "entities": ["spaceships"]},
            422,
            "validation_error",
        ),
        ({"source": endpoint(source)}, 422, "validation_error"),
        (
            {
                "source": endpoint(source),
                "target": endpoint(target),
                "webhook_url": "http://10.0.0.1/hook",
            },
            422,
            "url_not_allowed",
        ),
    ]
    for body, status, code in cases:
        response = await client.post("/v1/sessions", json=body)
        assert response.status_code == status, (code, response.text)
        assert response.json()["error"]["code"] == code
        assert "bad" not in response.json()["error"]["message"]
    assert await _count_sessions(client) == before


async def test_source_above_max_records_is_refused(client: httpx.AsyncClient) -> None:
    # The test stack allows 3000 records; Insightly's lists say how long they are (~4,000 here).
    source = await sandbox(client, size=1000, system="insightly")
    target = await sandbox(client, dataset="empty")
    response = await client.post(
        "/v1/sessions", json={"source": endpoint(source), "target": endpoint(target)}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "too_many_records"
    assert error["details"]["limit"] == 3000


async def test_session_shows_progress_never_credentials(client: httpx.AsyncClient) -> None:
    source = await sandbox(client, size=5)
    target = await sandbox(client, dataset="empty")
    session = await start_session(client, source, target)
    assert session["status"] == "queued"
    assert session["progress"]["persons"]["total"] is None  # Pipedrive gives no total
    for raw in ((await client.get(f"/v1/sessions/{session['id']}")).text, str(session)):
        assert source["credentials"]["api_token"] not in raw
        assert target["credentials"]["api_token"] not in raw
    done = await wait_for(client, session["id"])
    assert done["progress"]["persons"]["total"] == 5  # counted as it was extracted


async def test_another_accounts_session_is_404(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    source = await sandbox(client, size=3)
    target = await sandbox(client, dataset="empty")
    session = await start_session(client, source, target)
    for call in (
        other_client.get(f"/v1/sessions/{session['id']}"),
        other_client.get(f"/v1/sessions/{session['id']}/errors"),
        other_client.post(f"/v1/sessions/{session['id']}/cancel"),
    ):
        response = await call
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "session_not_found"
    listed = (await other_client.get("/v1/sessions")).json()["data"]
    assert session["id"] not in {s["id"] for s in listed}
    await wait_for(client, session["id"])


async def test_sessions_list_newest_first_and_paginated(client: httpx.AsyncClient) -> None:
    source = await sandbox(client, size=2)
    # One target each: sessions between the same pair run one at a time.
    targets = [await sandbox(client, dataset="empty") for _ in range(3)]
    ids = [(await start_session(client, source, target))["id"] for target in targets]
    first = (await client.get("/v1/sessions", params={"limit": 2})).json()
    second = (
        await client.get("/v1/sessions", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    listed = [s["id"] for s in first["data"] + second["data"]]
    assert listed[:3] == ids[::-1]
    for session_id in ids:
        await wait_for(client, session_id)
