"""The partial Keap emulator: lists users, refuses a bad key."""

from __future__ import annotations

import httpx

from adapters.keap.emulator import KeapEmulator
from tests.adapters.sources import BASE, FakeClock, provision


async def test_lists_and_refuses() -> None:
    emulator = KeapEmulator(clock=FakeClock())
    key = provision(emulator, size=10, burst=100_000)["api_key"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url=BASE + "/"
    ) as c:
        ok = await c.get("crm/rest/v1/users", headers={"X-Keap-API-Key": key})
        assert ok.status_code == 200 and ok.json()["users"]
        bad = await c.get("crm/rest/v1/users", headers={"X-Keap-API-Key": "nope"})
        assert bad.status_code == 401
