"""What outside clients read from the emulator beyond Ferry's own calls: the v1 and v2
`*Fields` endpoints against the spec's schemas, deals' multi-status filter, sorting, the
`custom_fields` selection, and the 400 for documented parameters the emulator does not
implement."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest

from adapters.pipedrive.emulator import Limits, PipedriveEmulator
from tests.adapters.pipedrive.test_emulator_spec import acme, acme_client, response_schema


@pytest.fixture(scope="module")
def emulator() -> PipedriveEmulator:
    # Walks with small pages make many calls: no burst limit to trip over here.
    return acme(Limits(burst=1_000_000, daily_tokens=1_000_000_000))


@pytest.fixture(scope="module")
async def client(emulator: PipedriveEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with acme_client(emulator) as client:
        yield client


# v1's Field schema types `field_type` with an enum of 17 custom field types, while the same
# spec's noteFields item lists "all possible field types" (stage, status, price_list...), which
# the standard fields have: check v1 fields against that complete list.
V1_FIELD_TYPES = [
    "boolean", "double", "int", "json", "date", "daterange", "time", "timerange", "text",
    "varchar", "varchar_auto", "varchar_options", "address", "enum", "monetary", "phone", "set",
    "activity", "deal", "lead", "org", "people", "pipeline", "product", "project", "stage",
    "user", "billing_frequency", "picture", "price_list", "projects_board", "projects_phase",
    "status", "visible_to",
]  # fmt: skip


def _widen_field_types(schema: Any) -> Any:
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict) and "field_type" in properties:
            properties["field_type"] = {"type": "string", "enum": V1_FIELD_TYPES}
        if isinstance(properties, dict) and properties.get("options", {}).get("type") == "array":
            # Typed as a plain array in some items, described as "null when there are no
            # options" (and nullable in others): take the description at its word.
            properties["options"] = {**properties["options"], "type": ["array", "null"]}
        for value in schema.values():
            _widen_field_types(value)
    elif isinstance(schema, list):
        for value in schema:
            _widen_field_types(value)
    return schema


def v1_field_schema(path: str) -> dict[str, Any]:
    return _widen_field_types(copy.deepcopy(response_schema("v1", "GET", path)))


FIELD_READS = [
    ("v2", "/activityFields", "/api/v2/activityFields"),
    ("v2", "/activityFields/{field_code}", "/api/v2/activityFields/subject"),
    ("v2", "/dealFields/{field_code}", "/api/v2/dealFields/title"),
    ("v2", "/personFields/{field_code}", "/api/v2/personFields/name"),
    ("v2", "/organizationFields/{field_code}", "/api/v2/organizationFields/address"),
    ("v2", "/productFields/{field_code}", "/api/v2/productFields/prices"),
    ("v1", "/dealFields", "/v1/dealFields"),
    ("v1", "/personFields", "/v1/personFields"),
    ("v1", "/organizationFields", "/v1/organizationFields"),
    ("v1", "/productFields", "/v1/productFields"),
    ("v1", "/activityFields", "/v1/activityFields"),
    ("v1", "/noteFields", "/v1/noteFields"),
    ("v1", "/dealFields/{id}", "/v1/dealFields/1"),
    ("v1", "/personFields/{id}", "/v1/personFields/2"),
    ("v1", "/organizationFields/{id}", "/v1/organizationFields/1"),
    ("v1", "/productFields/{id}", "/v1/productFields/1"),
]


@pytest.mark.parametrize(
    ("version", "spec_path", "url"), FIELD_READS, ids=[r[2] for r in FIELD_READS]
)
async def test_field_reads_match_the_spec(
    client: httpx.AsyncClient, version: str, spec_path: str, url: str
) -> None:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.json()["data"]
    schema = (
        v1_field_schema(spec_path)
        if version == "v1"
        else response_schema(version, "GET", spec_path)
    )
    jsonschema.validate(response.json(), schema)


async def test_v1_and_v2_list_the_same_fields_custom_ones_included(
    client: httpx.AsyncClient,
) -> None:
    body = {"field_name": "Reads tier", "field_type": "enum", "options": [{"label": "gold"}]}
    made = (await client.post("/api/v2/personFields", json=body)).json()["data"]
    v2 = (await client.get("/api/v2/personFields", params={"limit": 500})).json()["data"]
    v1 = (await client.get("/v1/personFields", params={"limit": 500})).json()
    assert [f["field_name"] for f in v2] == [f["name"] for f in v1["data"]]
    assert {"name", "emails", "org_id"} <= {f["field_code"] for f in v2 if not f["is_custom_field"]}
    custom = next(f for f in v1["data"] if f["key"] == made["field_code"])
    assert custom["options"] == made["options"] and custom["edit_flag"] is True
    assert v1["additional_data"]["pagination"]["more_items_in_collection"] is False
    one = await client.get(f"/v1/personFields/{custom['id']}")
    assert one.json()["data"]["key"] == made["field_code"]


async def test_v1_fields_page_with_start_and_limit(client: httpx.AsyncClient) -> None:
    everything = (await client.get("/v1/dealFields", params={"limit": 500})).json()["data"]
    first = (await client.get("/v1/dealFields", params={"limit": 3})).json()
    assert first["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 3,
        "more_items_in_collection": True,
        "next_start": 3,
    }
    second = (await client.get("/v1/dealFields", params={"start": 3, "limit": 500})).json()
    assert first["data"] + second["data"] == everything


@pytest.mark.parametrize(
    "url", ["/v1/dealFields/999", "/v1/dealFields/0", "/api/v2/activityFields/nope"]
)
async def test_unknown_fields_are_404(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url)
    assert response.status_code == 404 and response.json()["success"] is False


async def test_activity_fields_cannot_be_added(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v2/activityFields", json={"field_name": "x", "field_type": "varchar"}
    )
    assert response.status_code == 405
    assert response.json()["success"] is False


# --- list parameters ----------------------------------------------------------------


async def _all(http: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every record of a v2 list, walked page by page with small pages."""
    records: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 7, **params}
    while True:
        response = await http.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        records += body["data"]
        if not body["additional_data"]["next_cursor"]:
            return records
        query["cursor"] = body["additional_data"]["next_cursor"]


async def test_deals_filter_by_several_statuses(client: httpx.AsyncClient) -> None:
    for status in ("won", "lost"):
        await client.post("/api/v2/deals", json={"title": f"Reads {status}", "status": status})
    every = await _all(client, "/api/v2/deals")
    won_or_lost = await _all(client, "/api/v2/deals", status="won,lost")
    assert {d["status"] for d in won_or_lost} == {"won", "lost"}
    assert [d["id"] for d in won_or_lost] == [d["id"] for d in every if d["status"] != "open"]
    assert [d["id"] for d in await _all(client, "/api/v2/deals", status="open")] == [
        d["id"] for d in every if d["status"] == "open"
    ]
    jsonschema.validate(
        (await client.get("/api/v2/deals", params={"status": "won,lost"})).json(),
        response_schema("v2", "GET", "/deals"),
    )


@pytest.mark.parametrize("status", ["deleted", "open,deleted", "closed", ""])
async def test_deals_refuse_a_status_they_cannot_answer(
    client: httpx.AsyncClient,
    status: str,
) -> None:
    response = await client.get("/api/v2/deals", params={"status": status})
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False and "status" in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "sort_by"),
    [
        ("/api/v2/persons", "id"),
        ("/api/v2/persons", "update_time"),
        ("/api/v2/organizations", "add_time"),
        ("/api/v2/deals", "update_time"),
        ("/api/v2/products", "name"),
        ("/api/v2/activities", "due_date"),
        ("/api/v2/stages", "order_nr"),
        ("/api/v2/pipelines", "id"),
    ],
)
@pytest.mark.parametrize("direction", ["asc", "desc"])
async def test_lists_sort_and_walk_every_record_once(
    client: httpx.AsyncClient,
    path: str,
    sort_by: str,
    direction: str,
) -> None:
    unsorted = await _all(client, path)
    walked = await _all(client, path, sort_by=sort_by, sort_direction=direction)
    assert sorted(r["id"] for r in walked) == sorted(r["id"] for r in unsorted)

    def key(record: dict[str, Any]) -> tuple[Any, ...]:
        value = record.get(sort_by)
        return (value is not None, value if value is not None else 0, record["id"])

    assert walked == sorted(unsorted, key=key, reverse=direction == "desc")


async def test_a_cursor_belongs_to_its_sort(client: httpx.AsyncClient) -> None:
    page = await client.get(
        "/api/v2/persons", params={"limit": 2, "sort_by": "add_time", "sort_direction": "desc"}
    )
    cursor = page.json()["additional_data"]["next_cursor"]
    for params in (
        {},
        {"sort_by": "add_time"},
        {"sort_by": "update_time", "sort_direction": "desc"},
    ):
        response = await client.get("/api/v2/persons", params={"cursor": cursor, **params})
        assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v2/persons", {"sort_by": "name"}),
        ("/api/v2/deals", {"sort_by": "due_date"}),
        ("/api/v2/deals", {"sort_direction": "down"}),
    ],
)
async def test_an_undocumented_sort_is_400(
    client: httpx.AsyncClient,
    path: str,
    params: dict[str, str],
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 400 and response.json()["success"] is False


async def test_custom_fields_selects_the_custom_fields_answered(
    client: httpx.AsyncClient,
) -> None:
    made = []
    for name in ("Reads a", "Reads b"):
        body = {"field_name": name, "field_type": "varchar"}
        made.append((await client.post("/api/v2/dealFields", json=body)).json()["data"])
    values = {field["field_code"]: field["field_name"] for field in made}
    deal = (
        await client.post("/api/v2/deals", json={"title": "Reads custom", "custom_fields": values})
    ).json()["data"]
    wanted = made[0]["field_code"]
    one = await client.get(f"/api/v2/deals/{deal['id']}", params={"custom_fields": wanted})
    assert one.json()["data"]["custom_fields"] == {wanted: "Reads a"}
    listed = await client.get("/api/v2/deals", params={"ids": deal["id"], "custom_fields": wanted})
    assert listed.json()["data"][0]["custom_fields"] == {wanted: "Reads a"}
    too_many = ",".join(f"k{n}" for n in range(16))
    response = await client.get("/api/v2/deals", params={"custom_fields": too_many})
    assert response.status_code == 400


async def test_filters_by_owner_org_person_and_ids(client: httpx.AsyncClient) -> None:
    deals = await _all(client, "/api/v2/deals")
    linked = next(d for d in deals if d.get("org_id") and d.get("person_id"))
    for key in ("owner_id", "org_id", "person_id"):
        got = await _all(client, "/api/v2/deals", **{key: linked[key]})
        assert [d["id"] for d in got] == [d["id"] for d in deals if d.get(key) == linked[key]]
    ids = [d["id"] for d in deals[:5]]
    got = await _all(client, "/api/v2/deals", ids=",".join(map(str, reversed(ids))))
    assert [d["id"] for d in got] == ids


UNSUPPORTED = [
    ("/api/v2/deals", {"filter_id": "1"}),
    ("/api/v2/deals", {"include_fields": "products_count"}),
    ("/api/v2/deals/archived", {"filter_id": "1"}),
    ("/api/v2/deals/1", {"include_option_labels": "true"}),
    ("/api/v2/persons", {"deal_id": "1"}),
    ("/api/v2/persons", {"include_labels": "true"}),
    ("/api/v2/organizations", {"include_fields": "people_count"}),
    ("/api/v2/products", {"filter_id": "1"}),
    ("/api/v2/activities", {"filter_id": "1"}),
    ("/api/v2/dealFields", {"include_fields": "ui_visibility"}),
    ("/api/v2/personFields/name", {"include_fields": "required_fields"}),
    ("/v1/notes", {"sort": "add_time DESC"}),
    ("/v1/notes", {"start_date": "2025-01-01"}),
    ("/v1/notes", {"project_id": "1"}),
]


@pytest.mark.parametrize(("path", "params"), UNSUPPORTED, ids=[f"{p}?{q}" for p, q in UNSUPPORTED])
async def test_documented_parameters_the_emulator_lacks_are_refused(
    client: httpx.AsyncClient,
    path: str,
    params: dict[str, str],
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False and body["data"] is None and body["error_info"]
    assert next(iter(params)) in body["error"]


async def test_undocumented_parameters_are_ignored(client: httpx.AsyncClient) -> None:
    plain = await client.get("/api/v2/persons")
    extra = await client.get("/api/v2/persons", params={"no_such_parameter": "1"})
    assert extra.status_code == 200 and extra.json() == plain.json()


async def test_documented_parameters_the_emulator_takes_are_answered(
    client: httpx.AsyncClient,
) -> None:
    # include_fields=attendees: attendees are always in the answer here.
    response = await client.get("/api/v2/activities", params={"include_fields": "attendees"})
    assert response.status_code == 200
    notes = (await client.get("/v1/notes", params={"limit": 500})).json()["data"]
    pinned = await client.get("/v1/notes", params={"pinned_to_deal_flag": 1, "limit": 500})
    assert pinned.status_code == 200
    assert [n["id"] for n in pinned.json()["data"]] == [
        n["id"] for n in notes if n["pinned_to_deal_flag"]
    ]
