"""The emulator answers like a Sugar instance: its login, its error bodies, its list envelope,
and its spec-documented 200 schema (the community OpenAPI copy of REST v12)."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from tests.adapters.sugarcrm.support import API, logged_in, new_account
from tests.openapi_schema import to_json_schema
from tests.shared import spec_path

SPEC_FILE = spec_path("sugarcrm/sugarcrm-rest-v12-openapi.ballerina.yaml")


@pytest.fixture
async def client() -> Any:
    emulator, credentials = new_account()
    client = await logged_in(emulator, credentials)
    yield client
    await client.aclose()


async def test_login_answers_a_bearer_token() -> None:
    emulator, credentials = new_account()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url="http://sandbox"
    ) as client:
        grant = {"grant_type": "password", "client_secret": "", **credentials}
        body = (await client.post(API + "/oauth2/token", json=grant)).json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 3600
        refused = await client.post(API + "/oauth2/token", json={**grant, "password": "x"})
        assert refused.status_code == 401
        assert refused.json() == {
            "error": "need_login",
            "error_message": "You must specify a valid username and password.",
        }
        unknown = await client.post(API + "/oauth2/token", json={**grant, "platform": "mine"})
        assert unknown.status_code == 422


async def test_token_errors_are_sugars(client: httpx.AsyncClient) -> None:
    missing = await client.get(API + "/Accounts", headers={"OAuth-Token": ""})
    assert missing.status_code == 401 and missing.json()["error"] == "need_login"
    bad = await client.get(API + "/Accounts", headers={"OAuth-Token": "expired"})
    assert bad.status_code == 401
    assert bad.json() == {
        "error": "invalid_grant",
        "error_message": "The access token provided is invalid.",
    }


async def test_bad_requests_are_refused(client: httpx.AsyncClient) -> None:
    unknown = await client.get(API + "/Spaceships")
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    bad_size = await client.get(API + "/Accounts", params={"max_num": "many"})
    assert bad_size.status_code == 422 and bad_size.json()["error"] == "invalid_parameter"
    bad_operator = await client.get(API + "/Accounts", params={"filter[0][name][$near]": "x"})
    assert bad_operator.status_code == 422
    bad_field = await client.get(API + "/Accounts", params={"filter[0][planet][$gt]": "x"})
    assert bad_field.status_code == 422


async def test_lists_page_with_next_offset(client: httpx.AsyncClient) -> None:
    first = (await client.get(API + "/Contacts", params={"max_num": 25})).json()
    assert first["next_offset"] == 25 and len(first["records"]) == 25
    last = (await client.get(API + "/Contacts", params={"max_num": 25, "offset": 25})).json()
    assert last["next_offset"] == -1 and len(last["records"]) == 5
    default = (await client.get(API + "/Contacts")).json()
    assert len(default["records"]) == 20


async def test_fields_select_and_expand_links(client: httpx.AsyncClient) -> None:
    fields = 'name,{"name":"contacts","fields":["id"]}'
    body = (await client.get(API + "/Opportunities", params={"fields": fields})).json()
    record = body["records"][0]
    assert set(record) == {"id", "name", "date_modified", "contacts", "_module", "_acl"}
    assert record["contacts"]["records"][0]["_module"] == "Contacts"
    filtered = await client.post(
        API + "/Opportunities/filter", json={"filter": [{"sales_stage": "Closed Won"}]}
    )
    assert filtered.json()["records"] and all(
        r["sales_stage"] == "Closed Won" for r in filtered.json()["records"]
    )


def _list_schema() -> dict[str, Any]:
    spec = yaml.safe_load(SPEC_FILE.read_text())

    def fixup(schema: dict[str, Any]) -> None:
        # The spec leaves both keys optional and records untyped; every list answer has both.
        if "next_offset" in schema.get("properties", {}):
            schema["required"] = ["next_offset", "records"]
            schema["properties"]["records"]["items"] = {"type": "object", "required": ["id"]}

    operation = spec["paths"]["/{module}"]["get"]
    response = to_json_schema(operation["responses"]["200"], spec, fixup=fixup)
    return response["content"]["application/json"]["schema"]


@pytest.mark.parametrize(
    "module",
    [
        "Users", "Currencies", "Accounts", "Contacts", "Opportunities", "ProductTemplates",
        "Calls", "Meetings", "Tasks", "Notes", "Leads",
    ],
)  # fmt: skip
async def test_lists_match_the_spec(client: httpx.AsyncClient, module: str) -> None:
    response = await client.get(API + f"/{module}", params={"max_num": 5})
    assert response.status_code == 200 and response.json()["records"]
    jsonschema.validate(response.json(), _list_schema())
