"""The test stack: a fresh PostgreSQL database, a Redis database, the API served by
`ferry serve` and two `ferry worker` processes, all real, on this machine."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests import services


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    logs: Path
    workers: list[services.Process]
    api_key: str
    other_api_key: str

    started: int = 0

    def start_worker(self) -> services.Process:
        return self.start_worker_with(self.env)

    def start_worker_with(self, env: dict[str, str]) -> services.Process:
        """A worker of this stack with `env` (the stack's, with some settings changed)."""
        self.started += 1
        worker = services.start_worker(env, self.logs / f"worker-{self.started}.log")
        self.workers.append(worker)
        return worker


def run_slot() -> tuple[str, int]:
    """This run's own database and Redis db. FERRY_TEST_SLOT (1-14) lets several runs share one
    machine; under pytest-xdist (`make test` runs two processes) each process takes the next slot."""
    process = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    slot = os.environ.get("FERRY_TEST_SLOT")
    if slot is None:
        return (f"ferry_test_gw{process}" if process else "ferry_test"), 15 - process
    number = int(slot) + process
    return f"ferry_test_{number}", number % 16


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    services.require_services()
    import asyncio

    database_name, redis_db = run_slot()
    database_url = asyncio.run(services.fresh_database(database_name))
    port = services.free_port()
    logs = tmp_path_factory.mktemp("logs")
    env = {
        **os.environ,
        "FERRY_DATABASE_URL": database_url,
        "FERRY_REDIS_URL": services.fresh_redis(redis_db),
        "FERRY_SECRET_KEY": Fernet.generate_key().decode(),
        "FERRY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "FERRY_SANDBOX": "true",
        "FERRY_ALLOWED_HOSTS": json.dumps(["127.0.0.1"]),
        "FERRY_MAX_RECORDS": "3000",
        "FERRY_CHUNK_SECONDS": "4",
        "FERRY_WEBHOOK_BACKOFF_SECONDS": "0.3",
        "FERRY_LOG_LEVEL": "INFO",
    }
    services.create_account(env, "bootstrap")  # also upgrades the schema
    api = services.start_api(env, port, logs / "api.log")
    stack = Stack(
        url=f"http://127.0.0.1:{port}",
        env=env,
        logs=logs,
        workers=[],
        api_key=services.create_account(env, "acme"),
        other_api_key=services.create_account(env, "globex"),
    )
    stack.start_worker()
    stack.start_worker()
    try:
        yield stack
    finally:
        for worker in stack.workers:
            worker.stop()
        api.stop()


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"authorization": f"Bearer {stack.api_key}"}
    async with httpx.AsyncClient(base_url=stack.url, headers=headers, timeout=30) as http:
        yield http


@pytest.fixture
async def other_client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"authorization": f"Bearer {stack.other_api_key}"}
    async with httpx.AsyncClient(base_url=stack.url, headers=headers, timeout=30) as http:
        yield http
