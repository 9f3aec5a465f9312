"""The Pipedrive emulator, driven over HTTP as a client would: auth, pagination, records,
validation, custom fields, rate limits and the seeded reference company."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.core.canonical import Entity, FieldType
from adapters.pipedrive.emulator import Limits, PipedriveEmulator
from adapters.reference.dataset import ReferenceCompany, generate

NOON = datetime(2026, 1, 15, 12, 0, tzinfo=UTC).timestamp()
# Big enough for a default page of 100 persons, small enough to seed every test afresh.
SIZE = 120
TOKEN = "reference-token"
EMPTY_TOKEN = "empty-token"


class FakeClock:
    def __init__(self, now: float = NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def company() -> ReferenceCompany:
    return generate(size=SIZE, seed=0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> PipedriveEmulator:
    emulator = PipedriveEmulator(clock=clock)
    emulator.create_account("acme", api_token=TOKEN, size=SIZE)
    emulator.create_account("blank", api_token=EMPTY_TOKEN, dataset="empty")
    return emulator


@pytest.fixture
async def client(emulator: PipedriveEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client


async def call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    account: str = "acme",
    token: str = TOKEN,
    params: dict[str, Any] | None = None,
    json: Any = None,
) -> httpx.Response:
    query = {"api_token": token, **(params or {})}
    return await client.request(method, f"/{account}{path}", params=query, json=json)


async def blank(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return await call(client, method, path, account="blank", token=EMPTY_TOKEN, **kwargs)


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert "error_info" in body and body["data"] is None
    return body


# --- auth and routing ---------------------------------------------------------------------


async def test_token_is_accepted_as_query_parameter_or_header(client: httpx.AsyncClient) -> None:
    by_query = await client.get("/acme/api/v2/persons", params={"api_token": TOKEN})
    by_header = await client.get("/acme/v1/users/me", headers={"x-api-token": TOKEN})
    assert by_query.status_code == 200 and by_query.json()["success"] is True
    assert by_header.status_code == 200 and by_header.json()["data"]["is_you"] is True


@pytest.mark.parametrize(
    ("params", "headers"),
    [({}, {}), ({"api_token": "wrong"}, {}), ({}, {"x-api-token": "wrong"})],
    ids=["missing", "wrong-query", "wrong-header"],
)
async def test_missing_or_wrong_token_is_401(
    client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str]
) -> None:
    response = await client.get("/acme/api/v2/deals", params=params, headers=headers)
    body = assert_error(response, 401)
    assert body["error"] == "unauthorized access" and body["errorCode"] == 401


async def test_another_accounts_token_is_401(client: httpx.AsyncClient) -> None:
    assert_error(await call(client, "GET", "/api/v2/persons", token=EMPTY_TOKEN), 401)


async def test_unknown_account_path_and_method_answer_in_pipedrive_shape(
    client: httpx.AsyncClient,
) -> None:
    assert_error(await call(client, "GET", "/api/v2/persons", account="nobody"), 404)
    assert_error(await call(client, "GET", "/api/v2/leadz"), 404)
    assert_error(await call(client, "PUT", "/api/v2/persons/1", json={}), 405)


async def test_missing_record_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await call(client, "GET", "/api/v2/deals/999999"), 404)
    assert_error(await call(client, "GET", "/v1/notes/999999"), 404)


# --- pagination ---------------------------------------------------------------------------


async def walk_cursor(client: httpx.AsyncClient, path: str, **params: Any) -> list[int]:
    ids: list[int] = []
    cursor: str | None = None
    while True:
        page_params = {**params, **({"cursor": cursor} if cursor else {})}
        body = (await call(client, "GET", path, params=page_params)).json()
        ids += [record["id"] for record in body["data"]]
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            return ids


async def test_v2_cursor_pages_walk_every_record_once_in_id_order(
    client: httpx.AsyncClient, company: ReferenceCompany
) -> None:
    ids = await walk_cursor(client, "/api/v2/persons", limit=7)
    assert ids == list(range(1, len(company.persons) + 1))
    deal_ids = await walk_cursor(client, "/api/v2/deals", limit=500)
    archived_ids = await walk_cursor(client, "/api/v2/deals/archived", limit=2)
    assert len(archived_ids) == sum(d.is_archived for d in company.deals) > 2
    both = deal_ids + archived_ids
    assert len(both) == len(set(both)) == len(company.deals)


async def test_v2_limit_defaults_to_100_and_is_capped_at_500(client: httpx.AsyncClient) -> None:
    assert len((await call(client, "GET", "/api/v2/persons")).json()["data"]) == 100
    assert_error(await call(client, "GET", "/api/v2/persons", params={"limit": 501}), 400)
    assert_error(await call(client, "GET", "/api/v2/persons", params={"limit": "x"}), 400)
    assert_error(await call(client, "GET", "/api/v2/persons", params={"cursor": "%%%"}), 400)


async def test_v2_list_filters(client: httpx.AsyncClient, emulator: PipedriveEmulator) -> None:
    stages = (await call(client, "GET", "/api/v2/stages", params={"pipeline_id": 1})).json()
    assert stages["data"] and {s["pipeline_id"] for s in stages["data"]} == {1}
    won = (await call(client, "GET", "/api/v2/deals", params={"status": "won"})).json()["data"]
    assert won and all(deal["status"] == "won" for deal in won)
    picked = await call(client, "GET", "/api/v2/persons", params={"ids": "3,1,7"})
    assert [p["id"] for p in picked.json()["data"]] == [1, 3, 7]
    assert_error(await call(client, "GET", "/api/v2/deals", params={"owner_id": "me"}), 400)


async def test_updated_since_returns_only_records_changed_since(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    clock.advance(3600)
    await call(client, "PATCH", "/api/v2/persons/5", json={"job_title": "CTO"})
    since = {"updated_since": "2026-01-15T12:30:00Z"}
    changed = await call(client, "GET", "/api/v2/persons", params=since)
    assert [p["id"] for p in changed.json()["data"]] == [5]
    bad = {"updated_since": "yesterday"}
    assert_error(await call(client, "GET", "/api/v2/persons", params=bad), 400)


async def test_v1_start_limit_pages_walk_every_note_once(
    client: httpx.AsyncClient, company: ReferenceCompany
) -> None:
    ids: list[int] = []
    start = 0
    while True:
        body = (await call(client, "GET", "/v1/notes", params={"start": start, "limit": 37})).json()
        ids += [note["id"] for note in body["data"]]
        pagination = body["additional_data"]["pagination"]
        assert pagination["start"] == start and pagination["limit"] == 37
        if not pagination["more_items_in_collection"]:
            assert "next_start" not in pagination
            break
        start = pagination["next_start"]
    assert ids == sorted(set(ids)) and len(ids) == len(company.records(Entity.notes))


# --- records ------------------------------------------------------------------------------


async def test_ids_start_at_1_per_entity_in_each_account(client: httpx.AsyncClient) -> None:
    org = await blank(client, "POST", "/api/v2/organizations", json={"name": "Acme"})
    person = await blank(client, "POST", "/api/v2/persons", json={"name": "Ann"})
    assert org.json()["data"]["id"] == 1 and person.json()["data"]["id"] == 1


async def test_person_create_get_patch_delete(client: httpx.AsyncClient) -> None:
    org_id = (await blank(client, "POST", "/api/v2/organizations", json={"name": "Acme"})).json()[
        "data"
    ]["id"]
    emails = [
        {"value": "ann@example.com", "primary": True, "label": "work"},
        {"value": "ann@home.example", "primary": False, "label": "home"},
    ]
    body = {"name": "Ann Smith", "emails": emails, "org_id": org_id, "owner_id": 2}
    created = await blank(client, "POST", "/api/v2/persons", json=body)
    assert created.status_code == 200
    person = created.json()["data"]
    assert person["emails"] == emails and person["org_id"] == org_id and person["owner_id"] == 2
    assert person["first_name"] == "Ann" and person["last_name"] == "Smith"
    assert person["add_time"] == "2026-01-15T12:00:00Z" == person["update_time"]

    fetched = (await blank(client, "GET", f"/api/v2/persons/{person['id']}")).json()["data"]
    assert fetched == person

    patched = await blank(client, "PATCH", f"/api/v2/persons/{person['id']}", json={"org_id": None})
    assert "org_id" not in patched.json()["data"]
    assert patched.json()["data"]["emails"] == emails  # PATCH leaves other fields alone

    deleted = await blank(client, "DELETE", f"/api/v2/persons/{person['id']}")
    assert deleted.json() == {"success": True, "data": {"id": person["id"]}}
    assert_error(await blank(client, "GET", f"/api/v2/persons/{person['id']}"), 404)


async def test_product_create_answers_201_with_a_default_price(client: httpx.AsyncClient) -> None:
    response = await blank(client, "POST", "/api/v2/products", json={"name": "Widget"})
    assert response.status_code == 201
    product = response.json()["data"]
    assert product["prices"] == [
        {
            "price": 0,
            "currency": "EUR",
            "cost": 0,
            "direct_cost": None,
            "notes": "",
            "product_id": product["id"],
        }
    ]


async def make_pipelines(client: httpx.AsyncClient) -> dict[str, int]:
    """Two pipelines of two stages each in the empty account; returns their ids by name."""
    ids: dict[str, int] = {}
    for pipeline in ("P1", "P2"):
        created = await blank(client, "POST", "/api/v2/pipelines", json={"name": pipeline})
        ids[pipeline] = created.json()["data"]["id"]
        for stage in ("a", "b"):
            body = {"name": f"{pipeline}{stage}", "pipeline_id": ids[pipeline]}
            ids[f"{pipeline}{stage}"] = (
                await blank(client, "POST", "/api/v2/stages", json=body)
            ).json()["data"]["id"]
    return ids


async def test_deal_placement_by_stage_pipeline_or_default(client: httpx.AsyncClient) -> None:
    no_pipeline = await blank(client, "POST", "/api/v2/deals", json={"title": "Early"})
    assert_error(no_pipeline, 400)  # the empty company has no pipeline yet
    ids = await make_pipelines(client)

    async def place(**body: Any) -> tuple[int, int]:
        deal = (await blank(client, "POST", "/api/v2/deals", json={"title": "D", **body})).json()
        return deal["data"]["pipeline_id"], deal["data"]["stage_id"]

    assert await place() == (ids["P1"], ids["P1a"])
    assert await place(pipeline_id=ids["P2"]) == (ids["P2"], ids["P2a"])
    assert await place(stage_id=ids["P2b"], pipeline_id=ids["P1"]) == (ids["P2"], ids["P2b"])


async def test_deal_status_origin_and_links(client: httpx.AsyncClient) -> None:
    await make_pipelines(client)
    person = (await blank(client, "POST", "/api/v2/persons", json={"name": "Ann"})).json()["data"]
    body = {
        "title": "Big one",
        "value": 1200.5,
        "currency": "PLN",
        "status": "won",
        "won_time": "2025-10-01T14:13:00+02:00",
        "person_id": person["id"],
        "origin_id": "hubspot:123",
        "expected_close_date": "2025-10-01",
    }
    deal = (await blank(client, "POST", "/api/v2/deals", json=body)).json()["data"]
    assert deal["won_time"] == "2025-10-01T12:13:00Z" and deal["status"] == "won"
    assert deal["origin"] == "API" and deal["origin_id"] == "hubspot:123"
    assert deal["person_id"] == person["id"] and "org_id" not in deal
    lost = await blank(client, "PATCH", f"/api/v2/deals/{deal['id']}", json={"status": "lost"})
    assert lost.json()["data"]["lost_time"] == "2026-01-15T12:00:00Z"


async def test_archived_deals_are_listed_apart(client: httpx.AsyncClient) -> None:
    await make_pipelines(client)

    async def listed(path: str) -> set[int]:
        return {d["id"] for d in (await blank(client, "GET", path)).json()["data"]}

    async def deal(method: str, path: str, **body: Any) -> dict[str, Any]:
        response = await blank(client, method, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()["data"]  # type: ignore[no-any-return]

    kept = await deal("POST", "/api/v2/deals", title="Old win", status="won", is_archived=True)
    assert kept["is_archived"] and kept["archive_time"] == "2026-01-15T12:00:00Z"  # now
    # The spec's format for archive_time, and RFC 3339 as every other v2 time.
    dated = await deal("POST", "/api/v2/deals", title="D", is_archived=True,
                       archive_time="2025-03-01 10:00:00")  # fmt: skip
    assert dated["archive_time"] == "2025-03-01T10:00:00Z"
    working = await deal("POST", "/api/v2/deals", title="Open one")
    assert working["is_archived"] is False and "archive_time" not in working
    assert await listed("/api/v2/deals") == {working["id"]}
    assert await listed("/api/v2/deals/archived") == {kept["id"], dated["id"]}
    won = await blank(client, "GET", "/api/v2/deals/archived", params={"status": "won"})
    assert [d["id"] for d in won.json()["data"]] == [kept["id"]]
    # Unarchived, a deal is back in the list and has no archive time.
    back = await deal("PATCH", f"/api/v2/deals/{kept['id']}", is_archived=False)
    assert "archive_time" not in back
    assert await listed("/api/v2/deals") == {working["id"], kept["id"]}
    for bad in ({"is_archived": "yes"}, {"archive_time": "01.03.2025"}):
        error = assert_error(
            await blank(client, "PATCH", f"/api/v2/deals/{kept['id']}", json=bad), 400
        )
        assert next(iter(bad)) in error["error"]


async def test_activity_person_and_participants_stay_in_step(client: httpx.AsyncClient) -> None:
    ann = (await blank(client, "POST", "/api/v2/persons", json={"name": "Ann"})).json()["data"]
    bob = (await blank(client, "POST", "/api/v2/persons", json={"name": "Bob"})).json()["data"]
    body = {"subject": "Call Ann", "type": "call", "person_id": ann["id"], "due_time": "09:30"}
    activity = (await blank(client, "POST", "/api/v2/activities", json=body)).json()["data"]
    assert activity["participants"] == [{"person_id": ann["id"], "primary": True}]
    assert activity["due_time"] == "09:30:00" and activity["done"] is False
    participants = [{"person_id": ann["id"]}, {"person_id": bob["id"], "primary": True}]
    patch = {"participants": participants, "done": True}
    updated = await blank(client, "PATCH", f"/api/v2/activities/{activity['id']}", json=patch)
    assert updated.json()["data"]["person_id"] == bob["id"]
    assert updated.json()["data"]["marked_as_done_time"] == "2026-01-15T12:00:00Z"


async def test_note_create_get_and_filter(client: httpx.AsyncClient) -> None:
    await make_pipelines(client)
    deal = (await blank(client, "POST", "/api/v2/deals", json={"title": "D"})).json()["data"]
    body = {"content": "<p>Hi</p>", "deal_id": deal["id"], "add_time": "2024-03-01 08:00:00"}
    note = (await blank(client, "POST", "/v1/notes", json=body)).json()["data"]
    assert note["deal_id"] == deal["id"] and note["deal"] == {"title": "D"}
    assert note["add_time"] == "2024-03-01 08:00:00" and note["user_id"] == 1
    assert (await blank(client, "GET", f"/v1/notes/{note['id']}")).json()["data"] == note
    listed = await blank(client, "GET", "/v1/notes", params={"deal_id": deal["id"]})
    assert [n["id"] for n in listed.json()["data"]] == [note["id"]]
    other = await blank(client, "GET", "/v1/notes", params={"person_id": 1})
    assert other.json()["data"] == []
    assert_error(await blank(client, "POST", "/v1/notes", json={"content": "orphan"}), 400)
    assert_error(await blank(client, "POST", "/v1/notes", json={"deal_id": deal["id"]}), 400)
    missing = {"content": "x", "person_id": 424242}
    assert_error(await blank(client, "POST", "/v1/notes", json=missing), 400)


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "mentions"),
    [
        ("/api/v2/persons", {}, "name"),
        ("/api/v2/persons", {"name": ""}, "name"),
        ("/api/v2/persons", {"name": 42}, "name"),
        ("/api/v2/persons", {"name": "A", "org_id": "1"}, "org_id"),
        ("/api/v2/persons", {"name": "A", "org_id": 999}, "org_id"),
        ("/api/v2/persons", {"name": "A", "owner_id": 6}, "owner_id"),
        ("/api/v2/persons", {"name": "A", "emails": "a@example.com"}, "emails"),
        ("/api/v2/persons", {"name": "A", "emails": [{"label": "work"}]}, "emails[0]"),
        ("/api/v2/persons", {"name": "A", "favourite_colour": "red"}, "favourite_colour"),
        ("/api/v2/persons", {"name": "A", "custom_fields": {"f" * 40: "x"}}, "custom_fields"),
        ("/api/v2/organizations", {"address": {"value": "Main St"}}, "name"),
        ("/api/v2/deals", {"title": "D", "value": "100"}, "value"),
        ("/api/v2/deals", {"title": "D", "person_id": 77}, "person_id"),
        ("/api/v2/deals", {"title": "D", "status": "pending"}, "status"),
        ("/api/v2/deals", {"title": "D", "expected_close_date": "01/02/2025"}, "expected_close"),
        ("/api/v2/deals", {"title": "D", "won_time": "2025-01-01"}, "won_time"),
        ("/api/v2/activities", {"type": "call"}, "subject"),
        ("/api/v2/activities", {"subject": "S", "type": "sauna"}, "type"),
        ("/api/v2/activities", {"subject": "S", "done": "true"}, "done"),
        ("/api/v2/products", {"name": "P", "prices": [{"price": 1}]}, "prices[0]"),
        ("/api/v2/stages", {"name": "S"}, "pipeline_id"),
        ("/api/v2/stages", {"name": "S", "pipeline_id": 12}, "pipeline_id"),
    ],
)
async def test_invalid_bodies_are_400_naming_the_field(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], mentions: str
) -> None:
    error = assert_error(await blank(client, "POST", path, json=body), 400)
    assert mentions in error["error"]


async def test_body_must_be_a_json_object(client: httpx.AsyncClient) -> None:
    not_json = await client.post(
        "/blank/api/v2/persons", params={"api_token": EMPTY_TOKEN}, content=b"{name"
    )
    assert_error(not_json, 400)
    assert_error(await blank(client, "POST", "/api/v2/persons", json=["Ann"]), 400)


async def test_patch_validates_and_leaves_the_record_untouched_on_error(
    client: httpx.AsyncClient,
) -> None:
    before = (await call(client, "GET", "/api/v2/deals/1")).json()["data"]
    assert_error(await call(client, "PATCH", "/api/v2/deals/1", json={"title": None}), 400)
    assert_error(await call(client, "PATCH", "/api/v2/deals/1", json={"stage_id": 999}), 400)
    assert (await call(client, "GET", "/api/v2/deals/1")).json()["data"] == before


# --- custom fields ------------------------------------------------------------------------


async def add_field(client: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    response = await blank(client, "POST", path, json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_custom_fields_are_created_listed_and_used(client: httpx.AsyncClient) -> None:
    tier = await add_field(
        client,
        "/api/v2/personFields",
        field_name="Tier",
        field_type="enum",
        options=[{"label": "Gold"}, {"label": "Silver"}],
    )
    tags = await add_field(
        client,
        "/api/v2/personFields",
        field_name="Tags",
        field_type="set",
        options=[{"label": "a"}, {"label": "b"}],
    )
    budget = await add_field(
        client, "/api/v2/personFields", field_name="Budget", field_type="monetary"
    )
    since = await add_field(client, "/api/v2/personFields", field_name="Since", field_type="date")
    score = await add_field(client, "/api/v2/personFields", field_name="Score", field_type="double")
    for field in (tier, tags, budget, since, score):
        assert re.fullmatch(r"[0-9a-f]{40}", field["field_code"]) and field["is_custom_field"]
    assert [o["label"] for o in tier["options"]] == ["Gold", "Silver"]

    gold, tag_b = tier["options"][0]["id"], tags["options"][1]["id"]
    values = {
        tier["field_code"]: gold,
        tags["field_code"]: [tag_b],
        budget["field_code"]: {"value": 1500.0, "currency": "EUR"},
        since["field_code"]: "2020-02-29",
        score["field_code"]: 7,
    }
    created = await blank(
        client, "POST", "/api/v2/persons", json={"name": "A", "custom_fields": values}
    )
    assert created.json()["data"]["custom_fields"] == values

    listed = (await blank(client, "GET", "/api/v2/personFields")).json()["data"]
    standard = {f["field_code"] for f in listed if not f["is_custom_field"]}
    assert {"name", "emails", "phones", "org_id", "owner_id"} <= standard
    custom = [f["field_code"] for f in listed if f["is_custom_field"]]
    assert custom == [f["field_code"] for f in (tier, tags, budget, since, score)]
    # Person fields are not deal fields.
    deal_fields = (await blank(client, "GET", "/api/v2/dealFields")).json()["data"]
    assert tier["field_code"] not in {f["field_code"] for f in deal_fields}


@pytest.mark.parametrize(
    ("field_type", "options", "bad_value"),
    [
        ("enum", ["x"], 999),
        ("enum", ["x"], "x"),  # a label instead of the option id
        ("set", ["x"], []),  # the spec: an empty array is a validation error
        ("set", ["x"], 1),
        ("monetary", None, 100),
        ("monetary", None, {"currency": "EUR"}),
        ("date", None, "2020-02-30"),
        ("double", None, "1.5"),
        ("varchar", None, 12),
    ],
)
async def test_custom_field_values_are_checked_by_type(
    client: httpx.AsyncClient, field_type: str, options: list[str] | None, bad_value: Any
) -> None:
    body: dict[str, Any] = {"field_name": "F", "field_type": field_type}
    if options:
        body["options"] = [{"label": label} for label in options]
    field = await add_field(client, "/api/v2/dealFields", **body)
    await make_pipelines(client)
    deal = {"title": "D", "custom_fields": {field["field_code"]: bad_value}}
    error = assert_error(await blank(client, "POST", "/api/v2/deals", json=deal), 400)
    assert field["field_code"] in error["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"field_type": "varchar"},
        {"field_name": "F"},
        {"field_name": "F", "field_type": "hologram"},
        {"field_name": "F", "field_type": "enum"},
        {"field_name": "F", "field_type": "varchar", "options": [{"label": "x"}]},
    ],
)
async def test_custom_field_definitions_are_checked(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    assert_error(await blank(client, "POST", "/api/v2/organizationFields", json=body), 400)


async def test_field_codes_differ_per_account_and_repeat_on_reseed(clock: FakeClock) -> None:
    def codes(account_id: str) -> list[str]:
        emulator = PipedriveEmulator(clock=clock)
        emulator.create_account(account_id, api_token="t", size=20)
        fields = emulator.account_state(account_id).fields[Entity.persons].fields
        return [field.code for field in fields if field.is_custom]

    assert codes("one") == codes("one") != codes("two")


# --- rate limits --------------------------------------------------------------------------


async def test_every_authenticated_answer_carries_rate_limit_headers(
    client: httpx.AsyncClient,
) -> None:
    for response in (
        await call(client, "GET", "/api/v2/persons"),
        await call(client, "GET", "/api/v2/persons/999999"),
        await call(client, "POST", "/api/v2/persons", json={}),
        await call(client, "GET", "/v1/users"),
    ):
        for header in (
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-daily-requests-left",
        ):
            assert response.headers[header].isdigit(), (response.request.url, header)


async def test_burst_over_the_2_second_window_is_429_with_retry_after(
    client: httpx.AsyncClient, emulator: PipedriveEmulator, clock: FakeClock
) -> None:
    emulator.create_account("tiny", api_token="t", dataset="empty", limits=Limits(burst=3))
    remaining = []
    for _ in range(3):
        response = await call(client, "GET", "/v1/users/me", account="tiny", token="t")
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "3"
        remaining.append(response.headers["x-ratelimit-remaining"])
        clock.advance(0.5)
    assert remaining == ["2", "1", "0"]
    refused = await call(client, "GET", "/v1/users/me", account="tiny", token="t")
    body = assert_error(refused, 429)
    assert body["errorCode"] == 429
    assert refused.headers["retry-after"] == "1"  # the first call leaves the window at t+2.0
    clock.advance(0.5)
    assert (await call(client, "GET", "/v1/users/me", account="tiny", token="t")).status_code == 200


async def test_spent_daily_budget_is_429_until_utc_midnight(
    client: httpx.AsyncClient, emulator: PipedriveEmulator, clock: FakeClock
) -> None:
    emulator.create_account("poor", api_token="t", dataset="empty", limits=Limits(daily_tokens=25))

    async def persons() -> httpx.Response:
        return await call(client, "GET", "/api/v2/persons", account="poor", token="t")

    assert (await persons()).headers["x-daily-requests-left"] == "15"
    assert (await persons()).headers["x-daily-requests-left"] == "5"
    refused = await persons()  # costs 10, only 5 left
    assert_error(refused, 429)
    assert refused.headers["retry-after"] == str(12 * 3600)  # noon -> midnight UTC
    post = await call(
        client, "POST", "/api/v2/organizations", account="poor", token="t", json={"name": "A"}
    )
    assert post.status_code == 200 and post.headers["x-daily-requests-left"] == "0"
    clock.advance(12 * 3600)
    after_midnight = await persons()
    assert after_midnight.status_code == 200
    assert after_midnight.headers["x-daily-requests-left"] == "15"


@pytest.mark.parametrize(
    ("method", "path", "body", "expected_cost"),
    [
        ("GET", "/api/v2/persons", None, 10),
        ("GET", "/api/v2/stages", None, 5),
        ("GET", "/api/v2/persons/1", None, 1),
        ("POST", "/api/v2/organizations", {"name": "A"}, 5),
        ("PATCH", "/api/v2/persons/1", {"name": "B"}, 5),
        ("DELETE", "/api/v2/activities/1", None, 3),
        ("POST", "/api/v2/personFields", {"field_name": "F", "field_type": "text"}, 5),
        ("GET", "/v1/users", None, 20),
        ("GET", "/v1/users/me", None, 2),
        ("GET", "/v1/notes", None, 20),
        ("POST", "/v1/notes", {"content": "x", "person_id": 1}, 10),
    ],
)
async def test_each_call_charges_its_token_cost(
    client: httpx.AsyncClient, method: str, path: str, body: Any, expected_cost: int
) -> None:
    before = int((await call(client, "GET", "/api/v2/persons/1")).headers["x-daily-requests-left"])
    response = await call(client, method, path, json=body)
    assert response.status_code in (200, 201), response.text
    assert before - int(response.headers["x-daily-requests-left"]) == expected_cost


# --- seeding ------------------------------------------------------------------------------


def test_reference_seed_holds_every_record_of_the_dataset() -> None:
    emulator = PipedriveEmulator()
    emulator.create_account("default", api_token="t")  # the default size, 300
    company = generate(size=300, seed=0)
    state = emulator.account_state("default")
    counts = {entity.value: len(state.store(entity)) for entity in state.stores}
    expected = company.counts()
    assert counts == {key: expected[key] for key in counts}
    assert len(state.users) == expected["users"]
    assert state.dropped_links == []  # the dataset itself has no orphan references
    every_source_id = [r.source_id for entity in Entity for r in company.records(entity)]
    assert set(state.id_map) == set(every_source_id)


async def test_seeded_users_include_the_inactive_former_employee(
    client: httpx.AsyncClient, emulator: PipedriveEmulator
) -> None:
    users = (await call(client, "GET", "/v1/users")).json()["data"]
    assert [u["active_flag"] for u in users] == [True] * 5 + [False]
    me = (await call(client, "GET", "/v1/users/me")).json()["data"]
    assert me["id"] == 1 and me["is_admin"] is True
    p2 = await call(client, "GET", f"/api/v2/persons/{emulator.account_state('acme').id_map['p2']}")
    assert p2.json()["data"]["owner_id"] == 6  # u6 owns p2


async def test_empty_account_holds_only_active_users_and_settings(
    client: httpx.AsyncClient,
) -> None:
    users = (await blank(client, "GET", "/v1/users")).json()["data"]
    assert len(users) == 5 and all(u["active_flag"] for u in users)
    assert "former.employee@example.com" not in {u["email"] for u in users}
    types = (await blank(client, "GET", "/v1/activityTypes")).json()["data"]
    assert [t["key_string"] for t in types] == [
        "call",
        "meeting",
        "task",
        "deadline",
        "email",
        "lunch",
    ]
    for collection in ("persons", "organizations", "deals", "activities", "products", "pipelines"):
        listed = (await blank(client, "GET", f"/api/v2/{collection}")).json()
        assert listed["data"] == [] and listed["additional_data"]["next_cursor"] is None
    fields = (await blank(client, "GET", "/api/v2/dealFields")).json()["data"]
    assert fields and not any(f["is_custom_field"] for f in fields)


async def test_hard_cases_render(
    client: httpx.AsyncClient, emulator: PipedriveEmulator, company: ReferenceCompany
) -> None:
    id_map = emulator.account_state("acme").id_map
    p1 = (await call(client, "GET", f"/api/v2/persons/{id_map['p1']}")).json()["data"]
    assert p1["name"] == "Zażółć Gęślą-Jaźń 🚀"
    assert len(p1["emails"]) == 3 and sum(e["primary"] for e in p1["emails"]) == 1
    n1 = (await call(client, "GET", f"/v1/notes/{id_map['n1']}")).json()["data"]
    source_n1 = next(n for n in company.notes if n.source_id == "n1")
    assert n1["content"] == source_n1.content and len(n1["content"]) >= 90_000
    d3 = (await call(client, "GET", f"/api/v2/deals/{id_map['d3']}")).json()["data"]
    d3_org = next(d.org_source_id for d in company.deals if d.source_id == "d3")
    assert d3_org is not None and d3["org_id"] == id_map[d3_org]
    assert "person_id" not in d3  # an org-only deal


async def test_seeded_custom_values_become_option_ids_under_hash_keys(
    client: httpx.AsyncClient, emulator: PipedriveEmulator, company: ReferenceCompany
) -> None:
    fields = (await call(client, "GET", "/api/v2/personFields")).json()["data"]
    by_name = {f["field_name"]: f for f in fields if f["is_custom_field"]}
    p1_source = next(p for p in company.persons if p.source_id == "p1")
    p1 = await call(client, "GET", f"/api/v2/persons/{emulator.account_state('acme').id_map['p1']}")
    stored = p1.json()["data"]["custom_fields"]
    definitions = [d for d in company.custom_fields if d.entity is Entity.persons]
    assert {d.field_type for d in definitions} == set(FieldType)
    for definition in definitions:
        field = by_name[definition.name]
        value = stored[field["field_code"]]
        label_of = {o["id"]: o["label"] for o in field["options"] or ()}
        expected = p1_source.custom_fields[definition.key]
        if definition.field_type is FieldType.enum:
            assert label_of[value] == expected
        elif definition.field_type is FieldType.set:
            assert [label_of[i] for i in value] == expected
        else:
            assert value == expected
