"""Listing sessions costs a fixed number of database queries however many sessions the page
holds (it used to be one query per session). The app runs in this process, on the stack's real
PostgreSQL database, so that its statements can be counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from tests.conftest import Stack


@pytest.fixture
async def in_process(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    from app import db
    from app.config import get_settings

    for name in ("FERRY_DATABASE_URL", "FERRY_REDIS_URL", "FERRY_SECRET_KEY"):
        monkeypatch.setenv(name, stack.env[name])
    get_settings.cache_clear()
    await db.dispose_engine()
    try:
        yield db
    finally:
        await db.dispose_engine()
        get_settings.cache_clear()


async def add_sessions(db: Any, account_id: str, count: int) -> None:
    from adapters.core.canonical import LOAD_ORDER
    from app.models import MigrationSession, SessionEntity

    async with db.sessionmaker()() as session:
        for _ in range(count):
            row = MigrationSession(
                account_id=account_id,
                source_system="pipedrive",
                source_base_url="https://api.pipedrive.com",
                source_credentials_enc="x",
                target_system="pipedrive",
                target_base_url="https://api.pipedrive.com",
                target_credentials_enc="x",
                entities=[e.value for e in LOAD_ORDER],
                status="completed",
            )
            session.add(row)
            await session.flush()
            for position, entity in enumerate(LOAD_ORDER):
                session.add(
                    SessionEntity(session_id=row.id, entity=entity.value, position=position)
                )
        await session.commit()


async def test_listing_sessions_takes_the_same_queries_for_3_or_23_sessions(
    in_process: Any,
) -> None:
    from app.accounts.service import create_account
    from app.main import create_app

    async with in_process.sessionmaker()() as session:
        account, _, key = await create_account(session, "counted")
    statements: list[str] = []
    event.listen(
        in_process.get_engine().sync_engine,
        "before_cursor_execute",
        lambda *args: statements.append(args[2]),
    )
    transport = httpx.ASGITransport(app=create_app())
    headers = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://ferry", headers=headers
    ) as http:

        async def listed() -> tuple[list[dict[str, Any]], int]:
            statements.clear()
            response = await http.get("/v1/sessions", params={"limit": 50})
            assert response.status_code == 200, response.text
            return response.json()["data"], len(statements)

        await add_sessions(in_process, account.id, 3)
        few, few_queries = await listed()
        await add_sessions(in_process, account.id, 20)
        many, many_queries = await listed()
    assert (len(few), len(many)) == (3, 23)
    assert many_queries == few_queries
    from adapters.core.canonical import LOAD_ORDER

    assert all(len(s["progress"]) == len(LOAD_ORDER) for s in many)  # each its own progress
