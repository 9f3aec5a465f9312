"""The Close emulator answers as Close does: envelope, pages, errors, rate limits."""

from __future__ import annotations

import httpx
import pytest

from tests.adapters.close.support import API_KEY, FakeClock, new_emulator

ROOT = "http://sandbox/acme/api/v1"


def client(clock: FakeClock, *, key: str = API_KEY, burst: int | None = None) -> httpx.AsyncClient:
    emulator = new_emulator(clock, burst=burst)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), auth=(key, ""))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_lists_are_data_and_has_more_with_skip_and_limit(clock: FakeClock) -> None:
    async with client(clock) as http:
        first = (await http.get(f"{ROOT}/contact/", params={"_limit": 25})).json()
        rest = (await http.get(f"{ROOT}/contact/", params={"_skip": 25, "_limit": 25})).json()
        assert (len(first["data"]), first["has_more"]) == (25, True)
        assert (len(rest["data"]), rest["has_more"]) == (5, False)
        trimmed = (await http.get(f"{ROOT}/lead/", params={"_fields": "id,name"})).json()
        assert set(trimmed["data"][0]) == {"id", "name"}
        lead = trimmed["data"][0]["id"]
        assert lead.startswith("lead_") and len(lead) == 48
        one = await http.get(f"{ROOT}/lead/{lead}/")
        assert one.json()["contacts"][0]["id"].startswith("cont_")


async def test_errors_are_closes(clock: FakeClock) -> None:
    async with client(clock) as http:
        too_many = await http.get(f"{ROOT}/lead/", params={"_limit": 101})
        assert too_many.status_code == 400
        assert set(too_many.json()) == {"errors", "field-errors"}
        missing = await http.get(f"{ROOT}/lead/lead_nope/")
        assert missing.status_code == 404 and "error" in missing.json()
        unknown_filter = await http.get(f"{ROOT}/lead/", params={"date_updated__gt": "2026-01-01"})
        assert unknown_filter.status_code == 400
    async with client(clock, key="api_wrong") as http:
        refused = await http.get(f"{ROOT}/me/")
        assert refused.status_code == 401 and refused.json() == {"error": "Unauthorized"}


async def test_a_429_says_rate_reset_in_the_body_and_header(clock: FakeClock) -> None:
    async with client(clock, burst=2) as http:
        answers = [await http.get(f"{ROOT}/user/") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[0].headers["ratelimit"].startswith("limit=2, remaining=1, reset=")
        error = answers[2].json()["error"]
        assert 0 < error["rate_reset"] <= 1 and error["rate_limit_type"] == "key"


async def test_opportunities_filter_on_date_updated(clock: FakeClock) -> None:
    async with client(clock) as http:
        later = await http.get(f"{ROOT}/opportunity/", params={"date_updated__gt": "2030-01-01"})
        assert later.json() == {"data": [], "has_more": False, "total_results": 0}
        earlier = await http.get(f"{ROOT}/opportunity/", params={"date_updated__gt": "2020-01-01"})
        assert len(earlier.json()["data"]) == 20
