"""A session from a company into itself is refused before anything is stored or queued."""

from __future__ import annotations

import httpx

from tests.helpers import endpoint, sandbox


async def _session_count(client: httpx.AsyncClient) -> int:
    return len((await client.get("/v1/sessions", params={"limit": 100})).json()["data"])


async def test_a_company_into_itself_is_refused(client: httpx.AsyncClient) -> None:
    company = await sandbox(client, size=20)
    same = endpoint(company)
    before = await _session_count(client)

    for path in ("/v1/sessions", "/v1/sessions/preview"):
        response = await client.post(path, json={"source": same, "target": same})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "same_company"
        assert "same company" in error["message"]
        assert company["credentials"]["api_token"] not in response.text
    assert await _session_count(client) == before


async def test_two_companies_of_the_same_system_are_fine(client: httpx.AsyncClient) -> None:
    source = await sandbox(client, size=20)
    target = await sandbox(client, dataset="empty")
    response = await client.post(
        "/v1/sessions/preview", json={"source": endpoint(source), "target": endpoint(target)}
    )
    assert response.status_code == 201, response.text
