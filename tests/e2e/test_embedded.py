"""Embedded mode as a new user meets it: no database or Redis configured, one command serves,
jobs run in-process, SQLite under var/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import services
from tests.e2e.test_migration import assert_same_company
from tests.helpers import sandbox, start_session, wait_for


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    home = tmp_path_factory.mktemp("embedded")
    api, url, key = services.start_embedded(home, "solo")
    try:
        yield url, key, home
    finally:
        api.stop()


async def test_embedded_mode_migrates_with_no_services(embedded: tuple[str, str, Path]) -> None:
    url, key, home = embedded
    assert (home / "var" / "ferry.db").exists()
    async with httpx.AsyncClient(
        base_url=url, headers={"authorization": f"Bearer {key}"}, timeout=30
    ) as client:
        source = await sandbox(client, size=15)
        target = await sandbox(client, dataset="empty")
        session = await start_session(client, source, target)
        done = await wait_for(client, session["id"], timeout=180)
        assert done["status"] == "completed", done
        await assert_same_company(source, target)
    log = (home / "api.log").read_text()
    for secret in (source["credentials"]["api_token"], target["credentials"]["api_token"], key):
        assert secret not in log
