"""Real services for the tests: PostgreSQL, Redis, and Ferry's own processes (API and workers)
started as subprocesses on free ports, exactly as a user would start them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_DSN = os.environ.get(
    "FERRY_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_BASE = os.environ.get("FERRY_TEST_REDIS", "redis://127.0.0.1:6379")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_services() -> None:
    problems = []
    try:
        asyncio.run(_pg_ping())
    except Exception as exc:  # noqa: BLE001
        problems.append(f"PostgreSQL at {PG_ADMIN_DSN}: {exc}")
    try:
        redis.Redis.from_url(REDIS_BASE).ping()
    except Exception as exc:  # noqa: BLE001
        problems.append(f"Redis at {REDIS_BASE}: {exc}")
    if problems:
        raise RuntimeError(
            "The tests need real PostgreSQL and Redis (run `make test`, which starts or explains them):\n  "
            + "\n  ".join(problems)
        )


async def _pg_ping() -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    await conn.close()


async def fresh_database(name: str) -> str:
    """Drops and creates database `name`; returns its SQLAlchemy URL."""
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"


def fresh_redis(db: int) -> str:
    url = f"{REDIS_BASE}/{db}"
    redis.Redis.from_url(url).flushdb()
    return url


class Process:
    """A Ferry subprocess with its output kept in a log file for failure reports."""

    def __init__(
        self, args: list[str], env: Mapping[str, str], log: Path, cwd: Path = ROOT
    ) -> None:
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            args, env=dict(env), cwd=cwd, stdout=self._out, stderr=subprocess.STDOUT
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_api(env: Mapping[str, str], port: int, log: Path, cwd: Path = ROOT) -> Process:
    proc = Process([str(BIN / "ferry"), "serve", "--port", str(port)], env, log, cwd)
    wait_until(lambda: _healthy(port), timeout=60, what=f"API on port {port}", proc=proc)
    return proc


def start_worker(env: Mapping[str, str], log: Path) -> Process:
    return Process([str(BIN / "ferry"), "worker"], env, log)


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(
    check: Callable[[], Any], *, timeout: float, what: str, proc: Process | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited\n{proc.output()[-4000:]}")
        result = check()
        if result:
            return result
        time.sleep(0.1)
    detail = f"\n{proc.output()[-4000:]}" if proc else ""
    raise TimeoutError(f"timed out waiting for {what}{detail}")


def create_account(env: Mapping[str, str], name: str) -> str:
    out = subprocess.run(
        [str(BIN / "ferry"), "accounts", "create", name],
        env=dict(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def start_embedded(home: Path, account: str) -> tuple[Process, str, str]:
    """`ferry serve` with no FERRY_* settings in `home` (SQLite under home/var), and an account.
    Returns the process, the service URL and the account's API key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_")}
    port = free_port()
    api = start_api(env, port, home / "api.log", cwd=home)
    out = subprocess.run(
        [str(BIN / "ferry"), "accounts", "create", account],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        check=True,
    )
    return api, f"http://127.0.0.1:{port}", out.stdout.strip().splitlines()[-1]
