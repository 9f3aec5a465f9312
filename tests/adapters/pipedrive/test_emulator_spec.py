"""The emulator against Pipedrive's official OpenAPI files: its answers validate against the
documented 200 schemas, and every operation charges the spec's `x-token-cost`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from adapters.pipedrive.costs import TOKEN_COSTS
from adapters.pipedrive.emulator import Limits, PipedriveEmulator
from tests.openapi_schema import to_json_schema
from tests.shared import spec_path

SPECS_DIR = spec_path("pipedrive")
TOKEN = "spec-token"


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Parsed once per test session: the files are megabytes.
SPECS: dict[str, dict[str, Any]] = {
    version: yaml.load((SPECS_DIR / f"openapi-{version}.yaml").read_text(), Loader=_Loader)
    for version in ("v1", "v2")
}


def _nullable_cursor(schema: dict[str, Any]) -> None:
    properties = schema.get("properties")
    if isinstance(properties, dict) and "next_cursor" in properties:
        # Typed as a plain string in most list schemas, but described everywhere as "null if
        # you have reached the end of the dataset": take the description at its word.
        properties["next_cursor"] = {"type": ["string", "null"]}


def response_schema(version: str, method: str, path: str, status: str = "200") -> dict[str, Any]:
    spec = SPECS[version]
    operation = spec["paths"][path][method.lower()]
    content = operation["responses"][status]["content"]["application/json"]
    return to_json_schema(content["schema"], spec, fixup=_nullable_cursor)


def acme(limits: Limits | None = None) -> PipedriveEmulator:
    emulator = PipedriveEmulator()
    emulator.create_account("acme", api_token=TOKEN, size=40, limits=limits)
    return emulator


@asynccontextmanager
async def acme_client(emulator: PipedriveEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox/acme", params={"api_token": TOKEN}
    ) as client:
        yield client


@pytest.fixture(scope="module")
def emulator() -> PipedriveEmulator:
    return acme()


@pytest.fixture(scope="module")
async def client(emulator: PipedriveEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with acme_client(emulator) as client:
        yield client


READS = [
    ("v2", "/persons", "/api/v2/persons"),
    ("v2", "/organizations", "/api/v2/organizations"),
    ("v2", "/deals", "/api/v2/deals"),
    ("v2", "/deals/archived", "/api/v2/deals/archived"),
    ("v2", "/activities", "/api/v2/activities"),
    ("v2", "/products", "/api/v2/products"),
    ("v2", "/pipelines", "/api/v2/pipelines"),
    ("v2", "/stages", "/api/v2/stages"),
    ("v2", "/persons/{id}", "/api/v2/persons/1"),
    ("v2", "/deals/{id}", "/api/v2/deals/1"),
    ("v2", "/products/{id}", "/api/v2/products/1"),
    ("v2", "/stages/{id}", "/api/v2/stages/1"),
    ("v2", "/personFields", "/api/v2/personFields"),
    ("v2", "/organizationFields", "/api/v2/organizationFields"),
    ("v2", "/dealFields", "/api/v2/dealFields"),
    ("v2", "/productFields", "/api/v2/productFields"),
    ("v1", "/users", "/v1/users"),
    ("v1", "/users/me", "/v1/users/me"),
    ("v1", "/activityTypes", "/v1/activityTypes"),
    ("v1", "/notes", "/v1/notes"),
    ("v1", "/notes/{id}", "/v1/notes/1"),
]


@pytest.mark.parametrize(("version", "spec_path", "url"), READS, ids=[r[2] for r in READS])
async def test_reads_match_the_documented_200_schema(
    client: httpx.AsyncClient, version: str, spec_path: str, url: str
) -> None:
    response = await client.get(url, params={"limit": 500} if "{" not in spec_path else None)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"], "an empty answer would prove nothing"
    jsonschema.validate(body, response_schema(version, "GET", spec_path))


WRITES = [
    ("v2", "/organizations", "200", {"name": "Spec Org", "address": {"value": "Main St 1"}}),
    ("v2", "/persons", "200", {"name": "Spec Person", "emails": [{"value": "s@example.com"}]}),
    ("v2", "/deals", "200", {"title": "Spec deal", "value": 10, "status": "lost"}),
    ("v2", "/activities", "200", {"subject": "Spec call", "type": "call", "person_id": 1}),
    (
        "v2",
        "/products",
        "201",
        {"name": "Spec product", "prices": [{"price": 5, "currency": "EUR"}]},
    ),
    ("v2", "/pipelines", "200", {"name": "Spec pipeline"}),
    ("v2", "/stages", "200", {"name": "Spec stage", "pipeline_id": 1}),
    (
        "v2",
        "/dealFields",
        "200",
        {"field_name": "Spec", "field_type": "set", "options": [{"label": "a"}]},
    ),
    ("v1", "/notes", "200", {"content": "<p>spec</p>", "org_id": 1}),
]


@pytest.mark.parametrize(
    ("version", "spec_path", "status", "body"), WRITES, ids=[w[1] for w in WRITES]
)
async def test_creates_match_the_documented_schema_and_status(
    client: httpx.AsyncClient, version: str, spec_path: str, status: str, body: dict[str, Any]
) -> None:
    prefix = "/api/v2" if version == "v2" else "/v1"
    response = await client.post(prefix + spec_path, json=body)
    assert str(response.status_code) == status, response.text
    jsonschema.validate(response.json(), response_schema(version, "POST", spec_path, status))


# (version, collection, a body to create one, a body to change it)
CHANGES = [
    ("v2", "/persons", {"name": "Spec Person"}, {"name": "Spec Person 2"}),
    ("v2", "/organizations", {"name": "Spec Org"}, {"name": "Spec Org 2"}),
    ("v2", "/products", {"name": "Spec product"}, {"code": "SP-1"}),
    ("v1", "/notes", {"content": "<p>spec</p>", "org_id": 1}, {"content": "<p>spec 2</p>"}),
]


@pytest.mark.parametrize(("version", "collection", "body", "change"), CHANGES)
async def test_updates_and_deletes_match_the_documented_schema(
    client: httpx.AsyncClient,
    version: str,
    collection: str,
    body: dict[str, Any],
    change: dict[str, Any],
) -> None:
    prefix = "/api/v2" if version == "v2" else "/v1"
    made = (await client.post(prefix + collection, json=body)).json()["data"]
    one, spec_path = f"{prefix}{collection}/{made['id']}", f"{collection}/{{id}}"
    method = "PATCH" if version == "v2" else "PUT"
    response = await client.request(method, one, json=change)
    assert response.status_code == 200, response.text
    jsonschema.validate(response.json(), response_schema(version, method, spec_path))
    assert response.json()["data"]["update_time"]
    response = await client.delete(one)
    assert response.status_code == 200, response.text
    jsonschema.validate(response.json(), response_schema(version, "DELETE", spec_path))
    # Gone: a second delete and an update answer 404 in the error envelope.
    for again in (await client.delete(one), await client.request(method, one, json=change)):
        assert again.status_code == 404
        assert again.json()["success"] is False and again.json()["error"]


@pytest.mark.parametrize(("method", "version", "path"), sorted(TOKEN_COSTS))
def test_operations_exist_in_the_spec_and_cost_its_tokens(
    method: str, version: str, path: str
) -> None:
    operation = SPECS[version]["paths"][path][method.lower()]
    assert not operation.get("deprecated"), "the emulator should not serve deprecated operations"
    assert TOKEN_COSTS[(method, version, path)] == operation["x-token-cost"]
