"""A distributed Ferry for the benches: a fresh PostgreSQL database and Redis database, the API
and two `ferry worker` processes, and an HTTP client holding an API key of its own account."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.fernet import Fernet

from tests import services


class Cluster:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.workers: list[services.Process] = []
        self.api_pid = 0  # the API process (which also serves the sandbox), for its memory
        self.dsn = env["FERRY_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")

    def start_worker(self) -> None:
        log = self.logs / f"worker-{len(self.workers) + 1}.log"
        self.workers.append(services.start_worker(self.env, log))

    async def holder(self, session_id: str) -> services.Process | None:
        conn = await asyncpg.connect(self.dsn)
        try:
            owner = await conn.fetchval("SELECT lease_owner FROM sessions WHERE id=$1", session_id)
        finally:
            await conn.close()
        pid = int(owner.split(":")[1]) if owner and owner.count(":") >= 2 else None
        alive = (w for w in self.workers if w.proc.poll() is None)
        return next((w for w in alive if w.proc.pid == pid), None)


@asynccontextmanager
async def distributed(
    name: str, redis_db: int, **settings: str
) -> AsyncIterator[tuple[Cluster, httpx.AsyncClient]]:
    """`settings` are FERRY_* variables on top of the defaults, e.g. FERRY_CHUNK_SECONDS."""
    home = Path(tempfile.mkdtemp(prefix=f"ferry-{name}-"))
    port = services.free_port()
    env = {
        **os.environ,
        "FERRY_DATABASE_URL": await services.fresh_database(f"ferry_{name.replace('-', '_')}"),
        "FERRY_REDIS_URL": services.fresh_redis(redis_db),
        "FERRY_SECRET_KEY": Fernet.generate_key().decode(),
        "FERRY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "FERRY_SANDBOX": "true",
        "FERRY_ALLOWED_HOSTS": '["127.0.0.1"]',
        "FERRY_MAX_RECORDS": "1000000",
        **settings,
    }
    services.create_account(env, "bootstrap")
    api = services.start_api(env, port, home / "api.log")
    cluster = Cluster(env, home)
    cluster.api_pid = api.proc.pid
    cluster.start_worker()
    cluster.start_worker()
    headers = {"authorization": f"Bearer {services.create_account(env, 'bench')}"}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=600
        ) as client:
            yield cluster, client
    finally:
        for worker in cluster.workers:
            worker.stop()
        api.stop()


async def tokens_left(account: dict[str, Any]) -> int:
    """What a sandbox Pipedrive company has left of its daily token budget."""
    headers = {"x-api-token": account["credentials"]["api_token"]}
    async with httpx.AsyncClient(base_url=account["base_url"], headers=headers) as http:
        response = await http.get("/v1/users/me")
    return int(response.headers["x-daily-requests-left"])
