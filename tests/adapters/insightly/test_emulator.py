"""The Insightly emulator answers as Insightly does: its errors, headers, pages and record shapes.

The record schemas below are transcribed (trimmed to what a migration reads) from the 200
responses of the community OpenAPI copy of "Insightly API v3.1" (konfig-sdks/openapi-examples,
insightly/openapi.yaml), which is not stored beside the repository."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest

from adapters.insightly.emulator import InsightlyEmulator
from tests.adapters.insightly.support import API_KEY, FakeClock, new_emulator

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()}


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


INT, STR, NUM, BOOL = (
    _nullable("integer"),
    _nullable("string"),
    _nullable("number"),
    {"type": "boolean"},
)
CUSTOM_FIELDS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["FIELD_NAME"],
        "properties": {"FIELD_NAME": {"type": "string"}},
    },
}
LINKS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["LINK_ID", "OBJECT_NAME", "OBJECT_ID", "LINK_OBJECT_NAME", "LINK_OBJECT_ID"],
        "properties": {
            "LINK_ID": {"type": "integer"},
            "OBJECT_NAME": {"type": "string"},
            "OBJECT_ID": {"type": "integer"},
            "LINK_OBJECT_NAME": {"type": "string"},
            "LINK_OBJECT_ID": {"type": "integer"},
            "ROLE": STR,
            "DETAILS": STR,
        },
    },
}


def _records(required: list[str], **properties: Any) -> dict[str, Any]:
    item = {"type": "object", "required": required, "properties": properties}
    return {"type": "array", "items": item}


SCHEMAS: dict[str, dict[str, Any]] = {
    "Users": _records(
        ["USER_ID", "EMAIL_ADDRESS"], USER_ID={"type": "integer"}, FIRST_NAME=STR, LAST_NAME=STR,
        EMAIL_ADDRESS={"type": "string"}, ACTIVE=BOOL, ADMINISTRATOR=BOOL,
    ),
    "Organisations": _records(
        ["ORGANISATION_NAME"], ORGANISATION_ID={"type": "integer"}, ORGANISATION_NAME={"type": "string"},
        OWNER_USER_ID=INT, ADDRESS_BILLING_STREET=STR, DATE_UPDATED_UTC=STR,
        CUSTOMFIELDS=CUSTOM_FIELDS, LINKS=LINKS,
    ),
    "Contacts": _records(
        ["CONTACT_ID"], CONTACT_ID={"type": "integer"}, FIRST_NAME=STR, LAST_NAME=STR,
        EMAIL_ADDRESS=STR, PHONE=STR, PHONE_MOBILE=STR, PHONE_HOME=STR, PHONE_OTHER=STR,
        ORGANISATION_ID=INT, OWNER_USER_ID=INT, CUSTOMFIELDS=CUSTOM_FIELDS, LINKS=LINKS,
    ),
    "Opportunities": _records(
        ["OPPORTUNITY_NAME"], OPPORTUNITY_ID={"type": "integer"}, OPPORTUNITY_NAME={"type": "string"},
        OPPORTUNITY_STATE=STR, BID_CURRENCY=STR, BID_AMOUNT=NUM, BID_TYPE=STR,
        OPPORTUNITY_VALUE=NUM, ACTUAL_CLOSE_DATE=STR, FORECAST_CLOSE_DATE=STR, PIPELINE_ID=INT,
        STAGE_ID=INT, ORGANISATION_ID=INT, OWNER_USER_ID=INT, CUSTOMFIELDS=CUSTOM_FIELDS, LINKS=LINKS,
    ),
    "Tasks": _records(
        ["TITLE", "COMPLETED", "PUBLICLY_VISIBLE"], TASK_ID={"type": "integer"},
        TITLE={"type": "string"}, CATEGORY_ID=INT, DUE_DATE=STR, COMPLETED=BOOL,
        PUBLICLY_VISIBLE=BOOL, RESPONSIBLE_USER_ID=INT, OWNER_USER_ID=INT, LINKS=LINKS,
    ),
    "Events": _records(
        ["TITLE", "START_DATE_UTC", "END_DATE_UTC", "ALL_DAY"], EVENT_ID={"type": "integer"},
        TITLE={"type": "string"}, START_DATE_UTC={"type": "string"}, END_DATE_UTC={"type": "string"},
        ALL_DAY=BOOL, OWNER_USER_ID=INT, LINKS=LINKS,
    ),
    "Notes": _records(
        ["TITLE"], NOTE_ID={"type": "integer"}, TITLE={"type": "string"}, BODY=STR,
        OWNER_USER_ID=INT, DATE_CREATED_UTC=STR, LINKS=LINKS,
    ),
    "Product": _records(
        ["PRODUCT_NAME"], PRODUCT_ID={"type": "integer"}, PRODUCT_NAME={"type": "string"},
        PRODUCT_CODE=STR, CURRENCY_CODE=STR, DEFAULT_PRICE=NUM, ACTIVE=BOOL, CUSTOMFIELDS=CUSTOM_FIELDS,
    ),
    "PipelineStages": _records(
        ["STAGE_ID", "PIPELINE_ID", "STAGE_NAME"], STAGE_ID={"type": "integer"},
        PIPELINE_ID={"type": "integer"}, STAGE_NAME={"type": "string"}, STAGE_ORDER={"type": "integer"},
    ),
    "CustomFields/Contacts": _records(
        ["FIELD_NAME", "FIELD_TYPE"], FIELD_NAME={"type": "string"}, FIELD_LABEL={"type": "string"},
        FIELD_TYPE={"type": "string"}, CUSTOM_FIELD_OPTIONS={"type": "array"},
    ),
}  # fmt: skip


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    emulator = new_emulator(FakeClock())
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox/acme") as client:
        yield client


@pytest.mark.parametrize("path", sorted(SCHEMAS))
async def test_answers_fit_the_documented_shapes(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(f"/v3.1/{path}", headers=AUTH)
    assert response.status_code == 200
    assert response.json(), path
    jsonschema.validate(response.json(), SCHEMAS[path])


async def test_a_bad_key_is_the_vendors_401(client: httpx.AsyncClient) -> None:
    wrong = {"Authorization": "Basic " + base64.b64encode(b"nope:").decode()}
    for headers in (wrong, {}):
        response = await client.get("/v3.1/Contacts", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"Message": "Authorization has been denied for this request."}


async def test_bad_page_parameters_are_a_400(client: httpx.AsyncClient) -> None:
    for query in ("top=501", "top=0", "skip=-1", "skip=x", "brief=maybe"):
        response = await client.get(f"/v3.1/Contacts?{query}", headers=AUTH)
        assert response.status_code == 400, query
        assert set(response.json()) == {"Message"}
    half = await client.get("/v3.1/Contacts/Search?field_name=FIRST_NAME", headers=AUTH)
    assert half.status_code == 400


async def test_unknown_objects_and_records_are_a_404(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/v3.1/Widgets", headers=AUTH)
    assert unknown.status_code == 404 and "No HTTP resource" in unknown.json()["Message"]
    missing = await client.get("/v3.1/Contacts/1", headers=AUTH)
    assert missing.status_code == 404 and set(missing.json()) == {"Message"}
    found = await client.get("/v3.1/Contacts/140000001", headers=AUTH)
    assert found.json()["FIRST_NAME"] == "Zażółć"


async def test_pages_totals_and_limits_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/v3.1/Contacts?skip=25&top=10&count_total=true", headers=AUTH)
    assert len(response.json()) == 5
    assert response.headers["X-Total-Count"] == "30"
    assert int(response.headers["X-RateLimit-Remaining"]) < int(
        response.headers["X-RateLimit-Limit"]
    )
    brief = await client.get("/v3.1/Opportunities?brief=true&top=1", headers=AUTH)
    assert "LINKS" not in brief.json()[0] and "X-Total-Count" not in brief.headers


async def test_too_many_requests_in_a_second_is_a_429() -> None:
    emulator = new_emulator(FakeClock(), burst=2)
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox/acme") as client:
        statuses = [(await client.get("/v3.1/Users", headers=AUTH)) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[2].headers["Retry-After"] == "1" and set(statuses[2].json()) == {"Message"}


async def test_each_sandbox_account_is_its_own_instance_and_stays_it() -> None:
    """Real instance ids are unique across Insightly; Ferry's ledger tells them apart by it."""
    emulator = InsightlyEmulator(clock=FakeClock())
    seen: dict[str, set[int]] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as client:
        for name in ("acme", "globex"):
            emulator.provision(name, {"api_key": API_KEY}, dataset="empty", size=10, limits={})
            for _ in range(2):
                me = (await client.get(f"http://sandbox/{name}/v3.1/Users/Me", headers=AUTH)).json()
                assert isinstance(me["INSTANCE_ID"], int) and me["INSTANCE_ID"] > 0
                seen.setdefault(name, set()).add(me["INSTANCE_ID"])
            users = (await client.get(f"http://sandbox/{name}/v3.1/Users", headers=AUTH)).json()
            assert {u["INSTANCE_ID"] for u in users} == seen[name]  # every user of the instance
    assert all(len(ids) == 1 for ids in seen.values())
    assert seen["acme"] != seen["globex"]
