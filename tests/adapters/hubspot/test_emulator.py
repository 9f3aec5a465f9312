"""The HubSpot emulator answers like HubSpot: envelopes, paging, requested properties and
associations, and the vendor's error and rate-limit shapes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.hubspot.emulator import HubSpotEmulator
from adapters.hubspot.render import hid
from tests.adapters.hubspot.support import TOKEN, FakeClock, new_emulator, raw_client


@pytest.fixture(scope="module")
def emulator() -> Any:
    return new_emulator()


def _is_error(body: dict[str, Any], category: str) -> None:
    assert body["status"] == "error" and body["message"] and body["correlationId"]
    assert body["category"] == category


async def test_a_list_pages_with_after_and_ends_without_paging(emulator: Any) -> None:
    async with raw_client(emulator) as client:
        first = (await client.get("/crm/v3/objects/contacts", params={"limit": 20})).json()
        assert len(first["results"]) == 20
        after = first["paging"]["next"]["after"]
        assert "after=20" in first["paging"]["next"]["link"]
        last = (await client.get("/crm/v3/objects/contacts", params={"after": after})).json()
        assert len(last["results"]) == 10 and "paging" not in last
        assert (await client.get("/crm/v3/objects/contacts")).json()["results"][0]["id"] == hid(
            "p1"
        )


async def test_only_the_requested_properties_and_associations_come_back(emulator: Any) -> None:
    async with raw_client(emulator) as client:
        params = {"properties": "firstname,nope", "associations": "companies", "limit": 1}
        record = (await client.get("/crm/v3/objects/contacts", params=params)).json()["results"][0]
        assert record["properties"]["firstname"] == "Zażółć"
        assert record["properties"]["nope"] is None and "email" not in record["properties"]
        assert {r["type"] for r in record["associations"]["companies"]["results"]} == {
            "contact_to_company",
            "contact_to_company_unlabeled",
        }
        bare = (await client.get("/crm/v3/objects/contacts", params={"limit": 1})).json()
        assert "associations" not in bare["results"][0]
        assert set(bare["results"][0]["properties"]) >= {"firstname", "lastname", "email"}


async def test_a_deals_stage_history_lists_the_newest_first(emulator: Any) -> None:
    async with raw_client(emulator) as client:
        params = {"propertiesWithHistory": "dealstage", "limit": 1}
        deal = (await client.get("/crm/v3/objects/deals", params=params)).json()["results"][0]
        history = [h["value"] for h in deal["propertiesWithHistory"]["dealstage"]]
        assert history == ["closedwon", hid("s5")]
        too_many = await client.get("/crm/v3/objects/deals", params={**params, "limit": 51})
        assert too_many.status_code == 400


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/crm/v3/objects/contacts", {"limit": 101}),
        ("/crm/v3/objects/contacts", {"limit": "ten"}),
        ("/crm/v3/objects/contacts", {"after": "not-a-cursor"}),
        ("/crm/v3/objects/contacts", {"associations": "widgets"}),
        ("/crm/v3/objects/widgets", {}),
    ],
)
async def test_what_hubspot_rejects_is_a_400(emulator: Any, path: str, params: Any) -> None:
    async with raw_client(emulator) as client:
        response = await client.get(path, params=params)
    assert response.status_code == 400
    _is_error(response.json(), "VALIDATION_ERROR")


async def test_a_bad_token_is_hubspots_401(emulator: Any) -> None:
    async with raw_client(emulator, token="pat-eu1-wrong") as client:
        response = await client.get("/crm/v3/owners")
    assert response.status_code == 401
    _is_error(response.json(), "INVALID_AUTHENTICATION")


async def test_an_unknown_record_is_a_404(emulator: Any) -> None:
    async with raw_client(emulator) as client:
        response = await client.get("/crm/v3/objects/contacts/999")
        found = await client.get(f"/crm/v3/objects/contacts/{hid('p2')}")
    assert response.status_code == 404
    _is_error(response.json(), "OBJECT_NOT_FOUND")
    assert found.json()["properties"]["firstname"] == "Jürgen"


async def test_owners_and_archived_owners_are_listed_apart(emulator: Any) -> None:
    async with raw_client(emulator) as client:
        active = (await client.get("/crm/v3/owners")).json()["results"]
        former = (await client.get("/crm/v3/owners", params={"archived": "true"})).json()
    assert len(active) == 5 and not any(o["archived"] for o in active)
    assert [o["email"] for o in former["results"]] == ["former.employee@example.com"]


async def test_over_the_burst_limit_is_hubspots_429_without_retry_after() -> None:
    emulator = new_emulator(FakeClock(), burst=2)
    async with raw_client(emulator) as client:
        ok = await client.get("/crm/v3/owners")
        await client.get("/crm/v3/owners")
        limited = await client.get("/crm/v3/owners")
    assert ok.headers["X-HubSpot-RateLimit-Max"] == "2"
    assert ok.headers["X-HubSpot-RateLimit-Remaining"] == "1"
    assert ok.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert "X-HubSpot-RateLimit-Daily-Remaining" in ok.headers
    assert limited.status_code == 429 and "retry-after" not in limited.headers
    body = limited.json()
    assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."


async def test_pipelines_end_in_closed_won_and_lost_stages(emulator: Any) -> None:
    async with raw_client(emulator) as client:
        pipelines = (await client.get("/crm/v3/pipelines/deals")).json()["results"]
    assert [p["id"] for p in pipelines][0] == "default"
    closed = [s["metadata"] for s in pipelines[0]["stages"] if s["metadata"]["isClosed"] == "true"]
    assert [m["probability"] for m in closed] == ["1.0", "0.0"]


async def test_each_sandbox_account_is_its_own_portal_and_stays_it() -> None:
    """Real portal ids are unique across HubSpot; Ferry's ledger tells portals apart by them."""
    emulator = HubSpotEmulator()
    seen: dict[str, set[int]] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as client:
        for name in ("acme", "globex"):
            emulator.provision(name, {"access_token": TOKEN}, dataset="empty", size=10, limits={})
            auth = {"Authorization": f"Bearer {TOKEN}"}
            for _ in range(2):
                url = f"http://sandbox/{name}/account-info/v3/details"
                body = (await client.get(url, headers=auth)).json()
                assert isinstance(body["portalId"], int) and body["portalId"] > 0
                assert body["companyCurrency"] == "EUR"
                seen.setdefault(name, set()).add(body["portalId"])
    assert all(len(ids) == 1 for ids in seen.values())
    assert seen["acme"] != seen["globex"]
