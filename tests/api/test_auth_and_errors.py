"""Authentication, account scoping and the error shape, over real HTTP."""

from __future__ import annotations

import httpx

from tests.conftest import Stack


async def test_healthz_needs_no_key(stack: Stack) -> None:
    response = httpx.get(f"{stack.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_v1_without_key_is_401_with_stable_code(stack: Stack) -> None:
    response = httpx.get(f"{stack.url}/v1/sessions")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_api_key"


async def test_wrong_key_is_401(stack: Stack) -> None:
    response = httpx.get(f"{stack.url}/v1/systems", headers={"authorization": "Bearer fry_nope"})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "invalid_api_key"
    assert error["message"]


async def test_sandbox_needs_key(stack: Stack) -> None:
    response = httpx.post(f"{stack.url}/sandbox/accounts", json={"system": "pipedrive"})
    assert response.status_code == 401


async def test_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/sessions/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "session_not_found"


async def test_oversize_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/sessions",
        content=b'{"x": "' + b"a" * 2_000_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_rotate_webhook_secret_returns_a_new_one(client: httpx.AsyncClient) -> None:
    first = await client.post("/v1/account/webhook-secret/rotate")
    second = await client.post("/v1/account/webhook-secret/rotate")
    assert first.status_code == second.status_code == 200
    assert first.json()["webhook_secret"].startswith("whsec_")
    assert first.json()["webhook_secret"] != second.json()["webhook_secret"]


async def test_systems_list_pipedrive_with_its_credential_fields(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/systems")
    assert response.status_code == 200
    pipedrive = next(s for s in response.json() if s["id"] == "pipedrive")
    assert set(pipedrive["roles"]) == {"source", "target"}
    assert pipedrive["credential_fields"] == [
        {"name": "api_token", "label": "API token", "secret": True, "required": True}
    ]
    assert {"persons", "organizations", "deals", "activities", "notes", "products"} <= set(
        pipedrive["entities"]
    )


SOURCES = {
    "salesforce",
    "hubspot",
    "zoho",
    "dynamics365",
    "close",
    "insightly",
    "capsule",
    "sugarcrm",
    "keap",
    "zendesk_sell",
    "nutshell",
    "onepagecrm",
    "pipelinecrm",
    "nimble",
    "redtail",
    "batchbook",
    "highrise",
    "netsuite",
    "maximizer",
    "sagecrm",
    "act",
    "infor_crm",
    "salesforceiq",
    "solve360",
}

# Batchbook has no deals; Ferry does not read Nimble's (v2) deals yet.
NO_DEALS = {"batchbook", "nimble"}


async def test_systems_list_every_source_with_the_credentials_it_really_takes(
    client: httpx.AsyncClient,
) -> None:
    systems = {s["id"]: s for s in (await client.get("/v1/systems")).json()}
    assert set(systems) >= SOURCES
    for system_id in SOURCES:
        system = systems[system_id]
        assert system["roles"] == ["source"] and system["sandbox"], system_id
        fields = system["credential_fields"]
        assert fields and any(f["secret"] for f in fields), system_id
        expected = {"persons", "organizations"} | (
            {"deals"} if system_id not in NO_DEALS else set()
        )
        assert expected <= set(system["entities"]), system_id
    # Customers of these have their own host: a connection must say where.
    own_hosts = ("salesforce", "dynamics365", "sugarcrm", "batchbook", "highrise", "netsuite")
    for system_id in (*own_hosts, "sagecrm", "act", "infor_crm"):
        assert systems[system_id]["default_base_url"] is None, system_id
    # A CSV export is read from an upload: no credentials, no sandbox of its own.
    csv = systems["csv"]
    assert csv["roles"] == ["source"] and csv["credential_fields"] == [], csv
