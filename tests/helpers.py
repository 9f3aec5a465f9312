"""Helpers the tests share: sandbox accounts, waiting on sessions, reading Pipedrive back."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

TERMINAL = {"completed", "completed_with_errors", "failed", "cancelled"}
PIPEDRIVE_TEST_BURST = 480


async def sandbox(
    client: httpx.AsyncClient,
    dataset: str = "reference",
    size: int = 30,
    limits: dict[str, int | bool] | None = None,
    system: str = "pipedrive",
) -> dict[str, Any]:
    body: dict[str, Any] = {"system": system, "dataset": dataset, "size": size}
    if system == "pipedrive":
        # The window of an OAuth token on Pipedrive's top plan (4 x 120 per 2 s) unless a test
        # says otherwise: these tests are about what arrives; pacing is tested with the limits
        # given (slow targets, spent budgets) and measured in bench/.
        body["limits"] = {"burst": PIPEDRIVE_TEST_BURST, **(limits or {})}
    elif limits:
        body["limits"] = limits
    response = await client.post("/sandbox/accounts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def endpoint(account: dict[str, Any]) -> dict[str, Any]:
    """The {system, credentials, base_url} of a sandbox account, as sessions take it."""
    return {
        "system": account["system"],
        "credentials": account["credentials"],
        "base_url": account["base_url"],
    }


async def start_session(
    client: httpx.AsyncClient, source: dict[str, Any], target: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/sessions", json={"source": endpoint(source), "target": endpoint(target), **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def wait_for(
    client: httpx.AsyncClient,
    session_id: str,
    *,
    until: Any = None,
    timeout: float = 120,
) -> dict[str, Any]:
    """Polls the session until `until(session)` holds (default: it has ended)."""
    condition = until or (lambda s: s["status"] in TERMINAL)
    deadline = time.monotonic() + timeout
    while True:
        session = (await client.get(f"/v1/sessions/{session_id}")).json()
        if condition(session):
            return session
        if time.monotonic() > deadline:
            raise AssertionError(f"session did not get there in {timeout}s: {session}")
        await asyncio.sleep(0.2)


class PipedriveReader:
    """Reads a (sandbox) Pipedrive account through its public API, independently of Ferry's
    own client: v2 lists with cursors, v1 lists with start/limit."""

    V1 = {"users", "notes", "activityTypes", "leads", "leads/archived", "leadLabels", "files"}

    def __init__(
        self, account: dict[str, Any], transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.base_url = account["base_url"]
        self.headers = {"x-api-token": account["credentials"]["api_token"]}
        self.transport = transport  # an in-process emulator instead of the service's sandbox

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=30, transport=self.transport
        )

    async def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        async with self._client() as http:
            if path in self.V1:
                return await self._v1(http, path, params)
            return await self._v2(http, path, params)

    async def download(self, file_id: int) -> bytes:
        """A file's bytes, as Pipedrive serves them."""
        async with self._client() as http:
            for _ in range(50):
                response = await http.get(f"/v1/files/{file_id}/download")
                if response.status_code != 429:
                    assert response.status_code == 200, response.text
                    return response.content
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        raise AssertionError(f"file {file_id}: rate limited for too long")

    async def _v2(
        self, http: httpx.AsyncClient, path: str, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
            body = await self._get(http, f"/api/v2/{path}", query)
            items.extend(body["data"] or [])
            cursor = (body.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return items

    async def _v1(
        self, http: httpx.AsyncClient, path: str, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        start = 0
        while True:
            body = await self._get(http, f"/v1/{path}", {**params, "start": start, "limit": 500})
            items.extend(body["data"] or [])
            pagination = (body.get("additional_data") or {}).get("pagination") or {}
            if not pagination.get("more_items_in_collection"):
                return items
            start = pagination["next_start"]

    async def _get(
        self, http: httpx.AsyncClient, path: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        for _ in range(50):
            response = await http.get(path, params=params)
            if response.status_code != 429:
                assert response.status_code == 200, response.text
                return response.json()  # type: ignore[no-any-return]
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        raise AssertionError(f"{path}: rate limited for too long")

    async def me(self) -> dict[str, Any]:
        async with self._client() as http:
            return (await self._get(http, "/v1/users/me", {}))["data"]  # type: ignore[no-any-return]
