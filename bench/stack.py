"""What the benches share: an embedded Ferry of their own, sandbox accounts with latency and
limits, a session run to its end with timings, and a process's memory read from /proc."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests import services
from tests.helpers import TERMINAL, endpoint

LIFTED = {"burst": 100_000, "daily_tokens": 100_000_000}
# Records of the reference company per person (12,071 records at 2,469 persons, users aside).
RECORDS_PER_PERSON = 4.89


def persons_for(records: int) -> int:
    return max(10, round(records / RECORDS_PER_PERSON))


@dataclass
class Embedded:
    api: services.Process
    client: httpx.AsyncClient
    home: Path


@asynccontextmanager
async def embedded(name: str) -> AsyncIterator[Embedded]:
    """`ferry serve` with embedded defaults, its data in a directory of its own (never the
    user's data directory), loopback allowed so that the bench's counting proxy can stand in
    front of the sandbox, and room for 100,000-record sessions."""
    home = Path(tempfile.mkdtemp(prefix=f"ferry-bench-{name}-"))
    port = services.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_")}
    env |= {
        "FERRY_DATA_DIR": str(home / "data"),
        "FERRY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "FERRY_ALLOWED_HOSTS": '["127.0.0.1"]',
        "FERRY_MAX_RECORDS": "1000000",
    }
    api = services.start_api(env, port, home / "api.log", cwd=home)
    key = services.create_account(env, "bench")
    headers = {"authorization": f"Bearer {key}"}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=600
        ) as client:
            yield Embedded(api, client, home)
    finally:
        api.stop()


async def sandbox(
    client: httpx.AsyncClient,
    *,
    system: str = "pipedrive",
    dataset: str = "reference",
    size: int = 30,
    limits: dict[str, int] | None = None,
    latency_ms: int = 0,
) -> dict[str, Any]:
    """A sandbox account. Latency is the account's own `latency_ms` where the sandbox takes it,
    else the same delay as a fault on every read and write."""
    body: dict[str, Any] = {"system": system, "dataset": dataset, "size": size}
    body["limits"] = limits or LIFTED
    if latency_ms:
        body["latency_ms"] = latency_ms
    response = await client.post("/sandbox/accounts", json=body)
    if response.status_code == 422 and latency_ms:
        del body["latency_ms"]
        response = await client.post("/sandbox/accounts", json=body)
        assert response.status_code == 201, response.text
        delay = {"latency_ms": latency_ms}
        faults = {"reads": delay, "writes": delay}
        answer = await client.put(f"/sandbox/accounts/{response.json()['id']}/faults", json=faults)
        assert answer.status_code == 200, answer.text
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


@dataclass
class Finished:
    session: dict[str, Any]
    seconds: float  # from the POST to the end, as its caller sees it
    load_started: float | None  # seconds after the POST when loading began (polled)

    @property
    def records(self) -> int:
        progress = self.session["progress"]
        return sum(p["loaded"] for e, p in progress.items() if e != "users")

    @property
    def extracted(self) -> int:
        return sum(p["extracted"] for e, p in self.session["progress"].items() if e != "users")


async def start(
    client: httpx.AsyncClient, source: dict[str, Any], target: dict[str, Any], **extra: Any
) -> str:
    body = {"source": endpoint(source), "target": endpoint(target), **extra}
    response = await client.post("/v1/sessions", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def finish(
    client: httpx.AsyncClient, session_id: str, started: float, timeout: float = 7200
) -> Finished:
    """Polls the session to its end, noting when it began to load."""
    load_started = None
    deadline = started + timeout
    while time.monotonic() < deadline:
        session = (await client.get(f"/v1/sessions/{session_id}")).json()
        if load_started is None and session["phase"] == "load":
            load_started = time.monotonic() - started
        if session["status"] in TERMINAL:
            return Finished(session, time.monotonic() - started, load_started)
        await asyncio.sleep(0.1)
    raise TimeoutError(f"session {session_id} did not end in {timeout} s")


async def migrate(
    client: httpx.AsyncClient, source: dict[str, Any], target: dict[str, Any], **extra: Any
) -> Finished:
    started = time.monotonic()
    session_id = await start(client, source, target, **extra)
    return await finish(client, session_id, started)


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in kB (psutil is not installed)."""
    figures: dict[str, int] = {}
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return figures
    for line in lines:
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0])
    return figures
