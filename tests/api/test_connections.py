from __future__ import annotations

from typing import Any

import httpx

from adapters.core.registry import get_system
from adapters.reference.dataset import generate
from tests.helpers import endpoint, sandbox


async def test_connection_to_a_seeded_sandbox_reports_account_and_counts(
    client: httpx.AsyncClient,
) -> None:
    account = await sandbox(client, size=20, system="insightly")  # its lists carry totals
    response = await client.post("/v1/connections/test", json=endpoint(account))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    # The 20 contacts and the persons of the leads that hold their own (Insightly's totals).
    held = get_system("insightly").emulator.held(generate(20))  # type: ignore[union-attr]
    assert body["counts"]["persons"] == len(held.persons) > 20
    assert body["account"]


async def test_wrong_token_answers_ok_false_auth_failed(client: httpx.AsyncClient) -> None:
    account = await sandbox(client, dataset="empty")
    bad = {**endpoint(account), "credentials": {"api_token": "wrong-token"}}
    response = await client.post("/v1/connections/test", json=bad)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    assert body["error"]["code"] == "auth_failed"
    assert "wrong-token" not in response.text


async def test_unknown_system_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/connections/test", json={"system": "nosuchcrm", "credentials": {}}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_system"


async def test_missing_credentials_are_named(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/connections/test", json={"system": "pipedrive", "credentials": {}}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_credentials"
    assert error["details"]["missing"] == ["api_token"]


async def test_private_addresses_are_refused(client: httpx.AsyncClient) -> None:
    for url in ("http://10.1.2.3", "http://192.168.0.10/api", "http://localhost:9999"):
        response = await client.post(
            "/v1/connections/test",
            json={"system": "pipedrive", "credentials": {"api_token": "x"}, "base_url": url},
        )
        assert response.status_code == 422, url
        assert response.json()["error"]["code"] == "url_not_allowed"


async def test_unreachable_host_reports_unreachable(client: httpx.AsyncClient) -> None:
    # Allowed (on the allow-list) but nothing listens there.
    response = await client.post(
        "/v1/connections/test",
        json={
            "system": "pipedrive",
            "credentials": {"api_token": "x"},
            "base_url": "http://127.0.0.1:9",
        },
    )
    assert response.status_code == 200
    assert response.json()["error"]["code"] == "unreachable"


# Vendor failures during a check are clean answers: ok false with a stable code, never a 500.


async def test_a_vendor_404_answers_ok_false_unexpected_response(
    client: httpx.AsyncClient,
) -> None:
    account = await sandbox(client, dataset="empty")
    wrong_path = {**endpoint(account), "base_url": account["base_url"] + "/nope"}
    response = await client.post("/v1/connections/test", json=wrong_path)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is False
    assert body["error"]["code"] == "unexpected_response"
    assert body["error"]["message"].startswith("Pipedrive")
    assert account["credentials"]["api_token"] not in response.text


async def test_session_with_a_vendor_404_is_refused_with_the_role_and_code(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, dataset="empty")
    target = await sandbox(client, dataset="empty")
    wrong_path = {**endpoint(source), "base_url": source["base_url"] + "/nope"}
    response = await client.post(
        "/v1/sessions", json={"source": wrong_path, "target": endpoint(target)}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "source_unexpected_response"
    assert source["credentials"]["api_token"] not in response.text


async def faulty_sandbox(client: httpx.AsyncClient, reads: dict[str, float]) -> dict[str, Any]:
    response = await client.post(
        "/sandbox/accounts",
        json={"system": "pipedrive", "dataset": "empty", "faults": {"reads": reads}},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_server_errors_until_retries_run_out_answer_transient_error(
    client: httpx.AsyncClient,
) -> None:
    account = await faulty_sandbox(client, {"server_error": 1.0})
    response = await client.post("/v1/connections/test", json=endpoint(account), timeout=90)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is False
    assert body["error"]["code"] == "transient_error"
    assert account["credentials"]["api_token"] not in response.text


async def test_a_truncated_body_answers_ok_false_not_500(client: httpx.AsyncClient) -> None:
    account = await faulty_sandbox(client, {"truncate": 1.0})
    response = await client.post("/v1/connections/test", json=endpoint(account), timeout=90)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is False
    # The HTTP client retries an unreadable success answer (unreadable_response); a body that
    # parses but not into the documented shape is the check's own invalid_response.
    assert body["error"]["code"] in {"unreadable_response", "invalid_response"}
    assert account["credentials"]["api_token"] not in response.text
