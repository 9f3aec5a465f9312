"""Embedded mode as a new user meets it: no database or Redis configured, one command serves,
jobs run in-process, SQLite in the user's data directory whatever directory commands run from."""

from __future__ import annotations

import os
import subprocess
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
    # No FERRY_DATA_DIR: the default, the XDG data directory, pointed at the test's own.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XDG_DATA_HOME", str(home / "xdg"))
        api, url, key = services.start_embedded(home, "solo")
    try:
        yield url, key, home
    finally:
        api.stop()


async def test_embedded_mode_migrates_with_no_services(embedded: tuple[str, str, Path]) -> None:
    url, key, home = embedded
    assert (home / "xdg" / "ferry" / "ferry.db").exists()
    assert (home / "xdg" / "ferry" / "secret.key").exists()
    assert not (home / "var").exists()
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


def test_a_key_made_from_another_directory_works(embedded: tuple[str, str, Path]) -> None:
    url, _, home = embedded
    elsewhere = home / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_")}
    made = subprocess.run(
        [str(services.BIN / "ferry"), "accounts", "create", "roaming"],
        env={**env, "XDG_DATA_HOME": str(home / "xdg")},
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    key = made.stdout.strip().splitlines()[-1]
    response = httpx.get(f"{url}/v1/account", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "roaming"
    assert list(elsewhere.iterdir()) == []  # nothing written where the command ran
