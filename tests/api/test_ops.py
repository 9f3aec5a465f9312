"""Operations on the running stack: /readyz, /metrics after a real sandbox migration (with 429s
from the source), and the session's lines in the API and worker logs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import services
from tests.conftest import Stack
from tests.helpers import sandbox, start_session, wait_for

# Every read of the source has this chance of starting a one-second 429 storm (Retry-After:
# 1): a migration of a few dozen records meets some, and rides them out.
SOURCE_RATE_LIMITS = {"reads": {"rate_limit": 0.1}, "seed": 5}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
async def migrated(stack: Stack) -> AsyncIterator[dict[str, Any]]:
    """One finished Salesforce -> Pipedrive session whose source answered 429s now and then,
    with the sandbox accounts it used."""
    headers = {"authorization": f"Bearer {stack.api_key}"}
    async with httpx.AsyncClient(base_url=stack.url, headers=headers, timeout=30) as client:
        source = await sandbox(client, system="salesforce", size=20)
        faults = await client.put(
            f"/sandbox/accounts/{source['id']}/faults", json=SOURCE_RATE_LIMITS
        )
        assert faults.status_code == 200, faults.text
        target = await sandbox(client, dataset="empty")
        started = await start_session(client, source, target)
        session = await wait_for(client, started["id"], timeout=90)
        assert session["status"] == "completed", session
        yield {"session": session, "source": source, "target": target}


async def test_readyz_checks_the_database_and_the_queue(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz", headers={"authorization": ""})
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "queue": "ok"}}


@pytest.mark.parametrize("broken", ["database", "queue"])
async def test_readyz_says_which_check_failed(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    """The app in this process, on the stack's database or on one that refuses connections,
    with its in-process queue running or shut down."""
    from app import db
    from app.config import get_settings
    from app.main import create_app
    from workers.queue import InProcessQueue

    nowhere = f"postgresql+asyncpg://ferry@127.0.0.1:{services.free_port()}/ferry"
    database_url = nowhere if broken == "database" else stack.env["FERRY_DATABASE_URL"]
    monkeypatch.setenv("FERRY_DATABASE_URL", database_url)
    monkeypatch.setenv("FERRY_SECRET_KEY", stack.env["FERRY_SECRET_KEY"])
    monkeypatch.delenv("FERRY_REDIS_URL", raising=False)
    get_settings.cache_clear()
    await db.dispose_engine()
    queue = InProcessQueue({})
    if broken == "queue":
        await queue.close()
    app = create_app()
    app.state.queue = queue
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            response = await http.get("/readyz")
    finally:
        await db.dispose_engine()
        get_settings.cache_clear()
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert f"the {broken} (failed" in error["message"]
    checks = error["details"]["checks"]
    assert checks[broken].startswith("failed: ")
    assert all(result == "ok" for name, result in checks.items() if name != broken)
    assert "127.0.0.1" not in error["message"]  # where the database lives is not told


async def test_metrics_count_sessions_records_vendor_calls_and_429s(
    stack: Stack, migrated: dict[str, Any]
) -> None:
    session = migrated["session"]
    persons = session["progress"]["persons"]

    def arrived(samples: Samples) -> bool:
        # Workers add their counts to Redis about once a second: wait for the 429s to show.
        return value(samples, "ferry_vendor_rate_limited_total", system="salesforce") > 0

    samples = await scrape_until(stack.url, arrived)
    assert value(samples, "ferry_sessions", status="completed") >= 1
    assert (
        value(samples, "ferry_records_total", entity="persons", outcome="created")
        >= (persons["created"])
    )
    assert persons["created"] > 0
    assert value(samples, "ferry_vendor_calls_total", system="salesforce", status="200") > 0
    assert value(samples, "ferry_vendor_calls_total", system="salesforce", status="429") > 0
    pipedrive_calls = sum(
        count
        for (name, labels), count in samples.items()
        if name == "ferry_vendor_calls_total" and ("system", "pipedrive") in labels
    )
    assert pipedrive_calls > 0
    assert value(samples, "ferry_pipedrive_tokens_spent_total") >= session["tokens_spent"] > 0
    assert ("ferry_queue_jobs", frozenset()) in samples


async def test_the_logs_tell_a_sessions_story_without_secrets(
    stack: Stack, migrated: dict[str, Any]
) -> None:
    session_id = migrated["session"]["id"]
    wanted = ("event=session.created", "event=session.started", "event=session.finished")

    def story() -> list[str]:
        return [line for line in all_logs(stack).splitlines() if f"session={session_id}" in line]

    deadline = time.monotonic() + 20
    while not all(any(event in line for line in story()) for event in wanted):
        assert time.monotonic() < deadline, f"missing session events: {story()}"
        await asyncio.sleep(0.2)
    finished = next(line for line in story() if "event=session.finished" in line)
    assert "status=completed" in finished
    assert "source=salesforce" in finished and "target=pipedrive" in finished
    assert "account=" in finished

    logs = all_logs(stack)
    secrets = [
        *migrated["source"]["credentials"].values(),
        *migrated["target"]["credentials"].values(),
        stack.env["FERRY_SECRET_KEY"],
        stack.api_key,
    ]
    for secret in secrets:
        assert secret not in logs
    # The emulators' own traffic stays out of the access log (FERRY_SANDBOX_ACCESS_LOG off).
    api_log = (stack.logs / "api.log").read_text()
    assert "/sandbox/salesforce/" not in api_log
    assert "/sandbox/accounts" in api_log  # Ferry's own sandbox API is logged as any call


def all_logs(stack: Stack) -> str:
    return "\n".join(path.read_text(errors="replace") for path in sorted(stack.logs.glob("*.log")))


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


async def scrape_until(url: str, condition: Any, timeout: float = 20) -> Samples:
    deadline = time.monotonic() + timeout
    while True:
        samples = await scrape(url)
        if condition(samples):
            return samples
        assert time.monotonic() < deadline, f"metrics never got there: {samples}"
        await asyncio.sleep(0.3)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)
