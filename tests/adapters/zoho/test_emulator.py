"""The Zoho emulator answers as Zoho does: its token endpoint, error bodies and page rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.zoho.emulator import ZohoEmulator
from tests.adapters.zoho.support import new_account

API = "/acme/crm/v8"


async def token_for(client: httpx.AsyncClient, credentials: dict[str, str]) -> str:
    grant = {"grant_type": "refresh_token", **credentials}
    answer = await client.post("/acme/oauth/v2/token", data=grant)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


@pytest.fixture
async def zoho() -> AsyncIterator[tuple[ZohoEmulator, httpx.AsyncClient]]:
    emulator, credentials = new_account()
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        token = await token_for(client, credentials)
        client.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        yield emulator, client


def error(code: str, **details: Any) -> dict[str, Any]:
    return {"code": code, "details": details, "status": "error"}


def body_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body.pop("message")
    return body


async def test_the_token_endpoint_refuses_a_wrong_refresh_token_with_a_200() -> None:
    emulator, credentials = new_account()
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        grant = {**credentials, "grant_type": "refresh_token", "refresh_token": "1000.x.y"}
        answer = await client.post("/acme/oauth/v2/token", params=grant)  # query form works too
        assert (answer.status_code, answer.json()) == (200, {"error": "invalid_code"})
        good = await client.post(
            "/acme/oauth/v2/token", params={**credentials, "grant_type": "refresh_token"}
        )
        assert good.json()["api_domain"] == "http://sandbox/acme"
        assert good.json()["expires_in"] == 3600


async def test_a_bad_token_is_invalid_token(zoho: Any) -> None:
    _, client = zoho
    answer = await client.get(
        API + "/Accounts",
        params={"fields": "Account_Name"},
        headers={"Authorization": "Zoho-oauthtoken 1000.nope"},
    )
    assert answer.status_code == 401
    assert answer.json() == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }
    bearer = await client.get(API + "/Accounts", headers={"Authorization": "Bearer x"})
    assert bearer.status_code == 401


async def test_a_list_without_fields_is_required_param_missing(zoho: Any) -> None:
    _, client = zoho
    answer = await client.get(API + "/Contacts")
    assert answer.status_code == 400
    assert body_of(answer) == error("REQUIRED_PARAM_MISSING", param="fields")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"per_page": "201"}, "INVALID_DATA"),
        ({"per_page": "200", "page": "11"}, "DISCRETE_PAGINATION_LIMIT_EXCEEDED"),
        ({"page": "2", "page_token": "abc"}, "INVALID_REQUEST"),
        ({"page_token": "not-ours"}, "INVALID_DATA"),
        ({"fields": ",".join(f"F{n}" for n in range(51))}, "LIMIT_EXCEEDED"),
    ],
)
async def test_page_rules_are_zohos(zoho: Any, params: dict[str, str], code: str) -> None:
    _, client = zoho
    answer = await client.get(API + "/Contacts", params={"fields": "Last_Name", **params})
    assert answer.status_code == 400
    assert answer.json()["code"] == code and answer.json()["status"] == "error"


async def test_only_the_asked_fields_come_with_a_page_token(zoho: Any) -> None:
    _, client = zoho
    first = await client.get(
        API + "/Contacts", params={"fields": "Last_Name,Email", "per_page": 10}
    )
    body = first.json()
    assert set(body["data"][0]) <= {"id", "Last_Name", "Email", "$approved", "$editable"}
    assert len(body["data"][0]["id"]) == 19
    assert body["info"]["more_records"] and body["info"]["next_page_token"]
    token = body["info"]["next_page_token"]
    second = await client.get(
        API + "/Contacts", params={"fields": "Last_Name", "per_page": 10, "page_token": token}
    )
    assert second.json()["info"]["page"] == 2
    assert second.json()["data"][0]["id"] != body["data"][0]["id"]


async def test_unknown_modules_and_settings_errors(zoho: Any) -> None:
    _, client = zoho
    answer = await client.get(API + "/Leadz", params={"fields": "Last_Name"})
    assert (answer.status_code, answer.json()["code"]) == (400, "INVALID_MODULE")
    fields = await client.get(API + "/settings/fields")
    assert body_of(fields) == error("REQUIRED_PARAM_MISSING", param="module")
    pipeline = await client.get(API + "/settings/pipeline")
    assert body_of(pipeline) == error("REQUIRED_PARAM_MISSING", param="layout_id")
    users = await client.get(API + "/users", params={"type": "Everybody"})
    assert users.status_code == 400


async def test_empty_lists_are_204_and_unchanged_ones_304() -> None:
    emulator, credentials = new_account(dataset="empty")
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        client.headers["Authorization"] = f"Zoho-oauthtoken {await token_for(client, credentials)}"
        empty = await client.get(API + "/Deals", params={"fields": "Deal_Name"})
        assert (empty.status_code, empty.content) == (204, b"")
    emulator, credentials = new_account()
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        client.headers["Authorization"] = f"Zoho-oauthtoken {await token_for(client, credentials)}"
        since = {"If-Modified-Since": "2026-11-01T00:00:00+00:00"}
        answer = await client.get(API + "/Deals", params={"fields": "Deal_Name"}, headers=since)
        assert answer.status_code == 304


async def test_too_many_requests_is_zohos_429() -> None:
    emulator, credentials = new_account(burst=2)
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        client.headers["Authorization"] = f"Zoho-oauthtoken {await token_for(client, credentials)}"
        answers = [await client.get(API + "/users") for _ in range(2)]
        assert answers[-1].status_code == 429
        assert body_of(answers[-1]) == error("TOO_MANY_REQUESTS")


async def test_a_deals_products_related_list_pages_and_refuses_what_it_lacks(zoho: Any) -> None:
    _, client = zoho
    d15 = f"{API}/Deals/5725767000007000015/Products"  # d15: three lines
    first = await client.get(d15, params={"fields": "Quantity,List_Price", "per_page": 2})
    assert first.json()["info"] == {"per_page": 2, "count": 2, "page": 1, "more_records": True}
    row = first.json()["data"][0]
    assert set(row) == {"id", "$approved", "Quantity", "List_Price"}  # never its `_deal`
    second = await client.get(d15, params={"fields": "Total", "per_page": 2, "page": 2})
    assert second.json()["info"]["more_records"] is False
    assert (await client.get(d15, params={"fields": "Total", "page": 3})).status_code == 204
    assert body_of(await client.get(d15)) == error("REQUIRED_PARAM_MISSING", param="fields")
    unknown = await client.get(d15, params={"fields": "Total", "page_token": "x"})
    assert (unknown.status_code, body_of(unknown)) == (
        400,
        error("INVALID_DATA", param_name="page_token"),
    )
    relation = await client.get(f"{API}/Deals/5725767000007000001/Invoices", params={"fields": "a"})
    assert body_of(relation) == error("INVALID_DATA", resource_path_index=2)
    missing = await client.get(f"{API}/Deals/1/Products", params={"fields": "Total"})
    assert body_of(missing) == error("INVALID_DATA", id="1")


async def test_a_records_attachments_list_without_their_bytes_and_download_alone(
    zoho: Any,
) -> None:
    _, client = zoho
    d2 = f"{API}/Deals/5725767000007000002/Attachments"  # d2: the 1.5 MB video and a PDF
    listed = await client.get(d2, params={"fields": "File_Name,Size", "per_page": 1})
    assert listed.json()["info"]["more_records"] is True
    [video] = listed.json()["data"]
    assert (video["File_Name"], video["Size"], video["$se_module"]) == (
        "Messestand-Video.mp4",
        "1500000",
        "Deals",
    )
    assert not {"_bytes", "_mime"} & set(video)  # the bytes only by their own route
    got = await client.get(f"{d2}/{video['id']}")
    assert got.headers["content-type"] == "video/mp4" and len(got.content) == 1_500_000
    # A file is downloaded under the record it hangs on, and nothing lists every record's.
    elsewhere = await client.get(f"{API}/Deals/5725767000007000001/Attachments/{video['id']}")
    assert body_of(elsewhere) == error("INVALID_DATA", id=video["id"])
    assert (
        await client.get(f"{API}/Attachments", params={"fields": "File_Name"})
    ).status_code == 400
    none = await client.get(
        f"{API}/Deals/5725767000007000003/Attachments", params={"fields": "Size"}
    )
    assert none.status_code == 204
