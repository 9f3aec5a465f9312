"""Sandbox fault injection, over the real HTTP stack (`ferry serve` under uvicorn): a sandbox
Pipedrive told to misbehave answers 5xx, drops connections before and after acting, truncates
bodies and starts 429 storms, and the writes it acted on are there once it behaves again.
Every fault here has rate 1.0, so each outcome is certain."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import services
from tests.conftest import Stack
from tests.helpers import PipedriveReader, sandbox

QUIET: dict[str, Any] = {"reads": {}, "writes": {}}


async def faulty_sandbox(
    client: httpx.AsyncClient, faults: dict[str, Any], dataset: str = "empty", size: int = 30
) -> dict[str, Any]:
    body = {"system": "pipedrive", "dataset": dataset, "size": size, "faults": faults}
    response = await client.post("/sandbox/accounts", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def set_faults(
    client: httpx.AsyncClient, account: dict[str, Any], faults: dict[str, Any]
) -> dict[str, Any]:
    response = await client.put(f"/sandbox/accounts/{account['id']}/faults", json=faults)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def vendor(account: dict[str, Any], base_url: str | None = None) -> httpx.AsyncClient:
    """A client of the emulated Pipedrive itself, as any integration would call it."""
    return httpx.AsyncClient(
        base_url=base_url or account["base_url"],
        headers={"x-api-token": account["credentials"]["api_token"]},
        timeout=30,
    )


async def person_names(account: dict[str, Any]) -> list[str]:
    return [person["name"] for person in await PipedriveReader(account).all("persons")]


async def test_faults_are_stored_and_returned(client: httpx.AsyncClient) -> None:
    faults = {
        "reads": {"server_error": 0.05, "truncate": 0.01, "latency_ms": 5},
        "writes": {"drop_after": 0.02, "rate_limit": 0.01, "rate_limit_seconds": 2},
        "seed": 7,
    }
    created = await faulty_sandbox(client, faults)
    fetched = (await client.get(f"/sandbox/accounts/{created['id']}")).json()
    assert fetched["faults"] == created["faults"]
    assert fetched["faults"]["seed"] == 7
    assert fetched["faults"]["reads"]["server_error"] == 0.05
    assert fetched["faults"]["reads"]["slow_ms"] == 300  # defaults are spelled out
    assert fetched["faults"]["writes"]["rate_limit_seconds"] == 2.0
    listed = (await client.get("/sandbox/accounts")).json()
    assert next(a for a in listed if a["id"] == created["id"])["faults"] == created["faults"]

    plain = await sandbox(client, dataset="empty")
    assert plain["faults"]["reads"]["server_error"] == 0
    assert plain["faults"]["seed"] is None


async def test_server_errors_on_reads_leave_writes_and_ferry_alone(
    client: httpx.AsyncClient,
) -> None:
    account = await faulty_sandbox(client, {"reads": {"server_error": 1.0}})
    async with vendor(account) as pipedrive:
        for _ in range(5):
            response = await pipedrive.get("/api/v2/persons")
            assert response.status_code in (500, 502, 503), response.text
            assert response.headers["x-sandbox-fault"] == "server_error"
        created = await pipedrive.post("/api/v2/persons", json={"name": "Łucja Wróbel"})
        assert created.status_code == 200, created.text
    # Ferry's own routes never misbehave.
    assert (await client.get(f"/sandbox/accounts/{account['id']}")).status_code == 200
    assert (await client.get("/healthz")).status_code == 200
    await set_faults(client, account, QUIET)
    assert await person_names(account) == ["Łucja Wróbel"]


async def test_truncate_answers_a_complete_response_with_half_the_json(
    client: httpx.AsyncClient,
) -> None:
    account = await faulty_sandbox(client, {"reads": {"truncate": 1.0}}, dataset="reference")
    async with vendor(account) as pipedrive:
        cut = await pipedrive.get("/api/v2/persons", params={"limit": 20})
        assert cut.status_code == 200
        assert cut.headers["x-sandbox-fault"] == "truncate"
        assert int(cut.headers["content-length"]) == len(cut.content)
        with pytest.raises(ValueError):  # not JSON (nor, cut inside a character, UTF-8)
            json.loads(cut.content)
        await set_faults(client, account, QUIET)
        whole = await pipedrive.get("/api/v2/persons", params={"limit": 20})
    assert whole.status_code == 200
    assert len(whole.json()["data"]) == 20
    assert cut.content == whole.content[: len(whole.content) // 2]


async def test_drop_before_fails_the_call_and_nothing_is_written(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    account = await faulty_sandbox(client, {"writes": {"drop_before": 1.0}})
    async with vendor(account) as pipedrive:
        with pytest.raises(httpx.TransportError):
            await pipedrive.post("/api/v2/persons", json={"name": "Never Written"})
    await set_faults(client, account, QUIET)
    assert await person_names(account) == []
    # The deliberate drop is kept out of uvicorn's error log.
    assert "DroppedConnection" not in (stack.logs / "api.log").read_text(errors="replace")


@pytest.mark.parametrize("fault", ["drop_after", "server_error_after"])
async def test_fault_after_acting_fails_the_call_yet_the_write_happened(
    client: httpx.AsyncClient, fault: str
) -> None:
    account = await faulty_sandbox(client, {"writes": {fault: 1.0}})
    name = f"Jürgen Groß ({fault})"
    async with vendor(account) as pipedrive:
        if fault == "drop_after":
            with pytest.raises(httpx.RemoteProtocolError):
                await pipedrive.post("/api/v2/persons", json={"name": name})
        else:
            response = await pipedrive.post("/api/v2/persons", json={"name": name})
            assert response.status_code == 500
            assert response.headers["x-sandbox-fault"] == fault
        # Reads behave meanwhile, and already show the write.
        listed = await pipedrive.get("/api/v2/persons")
        assert [p["name"] for p in listed.json()["data"]] == [name]
    await set_faults(client, account, QUIET)
    assert await person_names(account) == [name]


async def test_rate_limit_starts_a_429_storm_for_the_whole_account(
    client: httpx.AsyncClient,
) -> None:
    faults = {"reads": {"rate_limit": 1.0, "rate_limit_seconds": 60}}
    account = await faulty_sandbox(client, faults)
    async with vendor(account) as pipedrive:
        first = await pipedrive.get("/api/v2/persons")
        assert first.status_code == 429
        assert first.headers["retry-after"] == "60"
        # Writes have no faults of their own, but the storm covers every request of the account.
        write = await pipedrive.post("/api/v2/persons", json={"name": "Held Back"})
        assert write.status_code == 429
        assert 1 <= int(write.headers["retry-after"]) <= 60
        # Switching the faults off ends the storm at once.
        await set_faults(client, account, QUIET)
        assert (await pipedrive.get("/api/v2/persons")).status_code == 200
    assert await person_names(account) == []


async def test_a_seed_makes_the_faults_reproducible(client: httpx.AsyncClient) -> None:
    faults = {"reads": {"server_error": 0.5}, "seed": 42}
    account = await faulty_sandbox(client, faults)

    async def statuses() -> list[int]:
        async with vendor(account) as pipedrive:
            return [(await pipedrive.get("/v1/users")).status_code for _ in range(20)]

    first = await statuses()
    await set_faults(client, account, faults)  # the same profile again starts the sequence over
    assert await statuses() == first
    assert 200 in first and any(status >= 500 for status in first)


@pytest.mark.parametrize(
    "faults",
    [
        {"reads": {"server_error": 1.5}},
        {"writes": {"drop_after": -0.1}},
        {"reads": {"explode": 0.5}},
        {"sometimes": True},
        {"reads": {"server_error": 0.7, "drop_before": 0.7}},  # shares add up to more than 1
    ],
)
async def test_bad_faults_are_422(client: httpx.AsyncClient, faults: dict[str, Any]) -> None:
    body = {"system": "pipedrive", "dataset": "empty", "faults": faults}
    for response in (
        await client.post("/sandbox/accounts", json=body),
        await client.put(
            f"/sandbox/accounts/{(await sandbox(client, 'empty'))['id']}/faults", json=faults
        ),
    ):
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert set(error) == {"code", "message", "details"}
        assert error["code"] == "validation_error"
        assert error["details"]


async def test_faults_of_another_account_cannot_be_changed(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    account = await sandbox(client, dataset="empty")
    response = await other_client.put(
        f"/sandbox/accounts/{account['id']}/faults", json={"reads": {"server_error": 1.0}}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "sandbox_account_not_found"


@dataclass
class Api:
    url: str
    pid: int
    headers: dict[str, str]


@pytest.fixture
async def second_api(stack: Stack) -> AsyncIterator[Api]:
    """Another API process on the same database: it has provisioned no sandbox account yet."""
    port = services.free_port()
    api = await asyncio.to_thread(
        services.start_api, stack.env, port, stack.logs / f"api-second-{port}.log"
    )
    try:
        headers = {"authorization": f"Bearer {stack.api_key}"}
        yield Api(f"http://127.0.0.1:{port}", api.proc.pid, headers)
    finally:
        await asyncio.to_thread(api.stop)


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (Linux: utime + stime of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def test_healthz_answers_while_a_large_sandbox_is_provisioned(second_api: Api) -> None:
    body = {"system": "pipedrive", "dataset": "reference", "size": 20_000}
    deadline = time.monotonic() + 300
    async with httpx.AsyncClient(
        base_url=second_api.url, headers=second_api.headers, timeout=300
    ) as api:
        assert (await api.get("/healthz")).status_code == 200
        idle = cpu_seconds(second_api.pid)
        creating = asyncio.create_task(api.post("/sandbox/accounts", json=body))
        # Only provisioning burns that much CPU in that process: once it has, the server is
        # provisioning, and a frozen event loop would answer nothing until it is done.
        while cpu_seconds(second_api.pid) - idle < 0.5:
            assert not creating.done(), "provisioning took no time: make the sandbox larger"
            assert time.monotonic() < deadline, "the server never started provisioning"
            await asyncio.sleep(0.02)
        # Several answers in a row, not one: a frozen loop could slip one in between the end
        # of provisioning and the POST's own answer.
        answered_during = 0
        while answered_during < 3 and not creating.done():
            assert time.monotonic() < deadline, "the POST did not finish"
            health = await api.get("/healthz")
            if health.status_code == 200 and not creating.done():
                answered_during += 1
        response = await creating
    assert response.status_code == 201, response.text
    assert answered_during == 3, "/healthz did not answer while the sandbox was provisioned"


async def test_another_process_rebuilds_the_account_with_its_faults_once(
    client: httpx.AsyncClient, stack: Stack, second_api: Api
) -> None:
    account = await faulty_sandbox(
        client, {"reads": {"server_error": 1.0}}, dataset="reference", size=300
    )
    elsewhere = account["base_url"].replace(stack.url, second_api.url)
    names = [f"Concurrent {i}" for i in range(6)]
    async with vendor(account, elsewhere) as pipedrive:
        # Concurrent first requests: had each provisioned the account afresh, a later
        # provisioning would wipe what an earlier request wrote.
        created = await asyncio.gather(
            *(pipedrive.post("/api/v2/persons", json={"name": name}) for name in names)
        )
        assert [r.status_code for r in created] == [200] * len(names)
        # The profile came from the database with the account.
        assert (await pipedrive.get("/api/v2/persons")).status_code in (500, 502, 503)
        async with httpx.AsyncClient(
            base_url=second_api.url, headers=second_api.headers, timeout=30
        ) as api:
            await set_faults(api, account, QUIET)
    found = await person_names({**account, "base_url": elsewhere})
    assert set(names) <= set(found)
    assert len(found) == 300 + len(names)
