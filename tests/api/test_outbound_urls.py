"""User-supplied URLs over the real stack: every refusal is a 422 with its stable code, from
both the connection test and session creation, for base URLs and webhook URLs alike. The stack
allows 127.0.0.1 (FERRY_ALLOWED_HOSTS) and serves its sandbox at its own /sandbox/. No URL here
reaches the internet: `.invalid` names and local addresses only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.helpers import endpoint, sandbox


def refused_urls(stack: Stack) -> list[tuple[str, str]]:
    return [
        ("http://nothing.invalid", "url_unresolvable"),
        ("http://224.0.0.1", "url_not_allowed"),  # multicast, which `is_global` lets through
        ("http://10.0.0.1", "url_not_allowed"),
        ("http://[::1]:1", "url_not_allowed"),  # loopback; only 127.0.0.1 is allow-listed
        ("http://[::ffff:10.0.0.1]/", "url_not_allowed"),  # IPv4-mapped private address
        ("http://169.254.169.254/latest", "url_not_allowed"),  # cloud metadata, link-local
        ("http://localhost:9/api", "url_not_allowed"),
        ("http://example.invalid/" + "a" * 3000, "url_too_long"),
        (f"{stack.url}/sandbox/../v1/systems", "invalid_url"),
        (f"{stack.url}/sandbox/%2e%2e/v1/systems", "invalid_url"),
        (f"{stack.url}/sandbox\\..\\v1/systems", "invalid_url"),
        (f"{stack.url}/v1/systems", "url_not_allowed"),  # own API: only its sandbox
        ("http://user:secret-pass@127.0.0.1:9", "invalid_url"),
        ("ftp://127.0.0.1/", "invalid_url"),
    ]


def assert_refused(response: httpx.Response, url: str, code: str, field: str) -> None:
    assert response.status_code == 422, (url, response.text)
    error = response.json()["error"]
    assert error["code"] == code, (url, error)
    assert error["message"].startswith(field), error
    assert error["details"]["field"] == field
    assert "secret-pass" not in response.text


async def test_connection_test_refuses_each_bad_base_url(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    for url, code in refused_urls(stack):
        body = {"system": "pipedrive", "credentials": {"api_token": "x"}, "base_url": url}
        response = await client.post("/v1/connections/test", json=body)
        assert_refused(response, url, code, "base_url")


@pytest.fixture
async def accounts(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    return await sandbox(client, size=5), await sandbox(client, dataset="empty")


async def test_session_creation_refuses_each_bad_base_url(
    client: httpx.AsyncClient, stack: Stack, accounts: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    source, target = accounts
    for url, code in refused_urls(stack):
        body = {"source": {**endpoint(source), "base_url": url}, "target": endpoint(target)}
        response = await client.post("/v1/sessions", json=body)
        assert_refused(response, url, code, "source.base_url")
        body = {"source": endpoint(source), "target": {**endpoint(target), "base_url": url}}
        response = await client.post("/v1/sessions", json=body)
        assert_refused(response, url, code, "target.base_url")


async def test_session_creation_refuses_each_bad_webhook_url(
    client: httpx.AsyncClient, stack: Stack, accounts: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    source, target = accounts
    for url, code in refused_urls(stack):
        body = {"source": endpoint(source), "target": endpoint(target), "webhook_url": url}
        response = await client.post("/v1/sessions", json=body)
        assert_refused(response, url, code, "webhook_url")


async def test_the_own_sandbox_and_allow_listed_hosts_pass(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    # The sandbox is this service's own origin, called through the guarded transport.
    account = await sandbox(client, size=3)
    assert account["base_url"].startswith(f"{stack.url}/sandbox/")
    response = await client.post("/v1/connections/test", json=endpoint(account))
    assert response.json()["ok"] is True, response.text
    # Allow-listed, nothing listening: the check lets it through, the connect fails.
    body = {
        "system": "pipedrive",
        "credentials": {"api_token": "x"},
        "base_url": "http://127.0.0.1:9",
    }
    response = await client.post("/v1/connections/test", json=body)
    assert response.json()["error"]["code"] == "unreachable"


async def test_every_sandbox_connects_through_the_guarded_transport(
    client: httpx.AsyncClient,
) -> None:
    # Token exchanges (Salesforce, Zoho, Dynamics, SugarCRM) go through the same transport.
    # (The CSV export source reads uploads: it has no sandbox, nothing to connect to.)
    systems = (await client.get("/v1/systems")).json()
    ids = [system["id"] for system in systems if system["sandbox"]]
    assert "salesforce" in ids and "netsuite" in ids
    for system in ids:
        account = await sandbox(client, size=3, system=system)
        response = await client.post("/v1/connections/test", json=endpoint(account))
        assert response.json()["ok"] is True, (system, response.text)
