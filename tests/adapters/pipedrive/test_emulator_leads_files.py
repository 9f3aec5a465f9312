"""The Pipedrive emulator's leads, lead labels, files and labels, driven over HTTP as a client
would: validation answered in Pipedrive's error envelope, files byte for byte, label options."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.core.blobs import Blob, multipart
from adapters.core.canonical import Entity
from adapters.pipedrive.emulator import PipedriveEmulator
from adapters.reference.attachments import LARGE_FILE_BYTES

TOKEN = "reference-token"
EMPTY = "empty-token"
SIZE = 30


@pytest.fixture(scope="module")
def emulator() -> PipedriveEmulator:
    emulator = PipedriveEmulator()
    emulator.create_account("acme", api_token=TOKEN, size=SIZE)
    return emulator


@pytest.fixture
def blank_account(emulator: PipedriveEmulator) -> str:
    """A fresh empty company for each test: its writes stay its own."""
    emulator.create_account("blank", api_token=EMPTY, dataset="empty")
    return "blank"


@pytest.fixture
async def client(emulator: PipedriveEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client


async def call(
    client: httpx.AsyncClient, method: str, path: str, *, account: str = "blank", **kwargs: Any
) -> httpx.Response:
    token = TOKEN if account == "acme" else EMPTY
    params = {"api_token": token, **kwargs.pop("params", {})}
    return await client.request(method, f"/{account}{path}", params=params, **kwargs)


def error(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["data"] is None and "error_info" in body
    assert words.casefold() in body["error"].casefold(), body["error"]


async def person(client: httpx.AsyncClient, name: str = "Ewa Żak") -> int:
    response = await call(client, "POST", "/api/v2/persons", json={"name": name})
    return int(response.json()["data"]["id"])


async def upload(
    client: httpx.AsyncClient, name: str, data: bytes, mime: str, **form: str
) -> httpx.Response:
    """An upload as Ferry's target sends it: a streamed multipart body of known length."""
    blob = Blob(name, cap=10 * LARGE_FILE_BYTES)
    blob.write(data)
    headers, body = multipart(form, "file", name, mime, blob)
    content = b"".join([chunk async for chunk in body()])
    return await call(client, "POST", "/v1/files", headers=headers, content=content)


# --- leads -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"person_id": 1}, "title: is required"),
        ({"title": "No one's"}, "linked to a person or an organization"),
        ({"title": "Ghost", "person_id": 999}, "Person with id 999 does not exist"),
        ({"title": "Half", "person_id": 1, "value": {"amount": 5}}, "currency is required"),
        ({"title": "Str", "person_id": 1, "value": {"amount": "5", "currency": "EUR"}}, "number"),
        ({"title": "L", "person_id": 1, "label_ids": [str(uuid.uuid4())]}, "does not exist"),
        ({"title": "V", "person_id": 1, "visible_to": 3}, "visible_to"),
        ({"title": "X", "person_id": 1, "add_time": "2020-01-01T00:00:00Z"}, "unknown field"),
    ],
)
async def test_a_lead_is_refused_in_pipedrives_envelope(
    client: httpx.AsyncClient, blank_account: str, body: dict[str, Any], words: str
) -> None:
    await person(client)
    error(await call(client, "POST", "/v1/leads", json=body), 400, words)


async def test_a_lead_is_made_changed_archived_and_deleted(
    client: httpx.AsyncClient, blank_account: str
) -> None:
    person_id = await person(client)
    labels = (await call(client, "GET", "/v1/leadLabels")).json()["data"]
    assert [(label["name"], label["color"]) for label in labels] == [
        ("Hot", "red"), ("Cold", "blue"), ("Warm", "yellow"),
    ]  # fmt: skip
    hot = labels[0]["id"]
    body = {
        "title": "Zapytanie – Żółw 展示会",
        "person_id": person_id,
        "value": {"amount": 4200.5, "currency": "PLN"},
        "label_ids": [hot],
        "expected_close_date": "2026-03-01",
        "origin_id": "ferry:l1",
    }
    created = await call(client, "POST", "/v1/leads", json=body)
    assert created.status_code == 201, created.text
    lead = created.json()["data"]
    uuid.UUID(lead["id"])
    assert {k: lead[k] for k in body} == body
    assert (lead["source_name"], lead["origin"], lead["is_archived"]) == ("API", "API", False)
    assert lead["organization_id"] is None and lead["creator_id"] == lead["owner_id"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", lead["add_time"])

    path = f"/v1/leads/{lead['id']}"
    error(await call(client, "PATCH", path, json={"person_id": None}), 400, "linked to a person")
    changed = await call(client, "PATCH", path, json={"value": None, "is_archived": True})
    assert (
        changed.json()["data"]["value"] is None and changed.json()["data"]["title"] == body["title"]
    )
    assert (await call(client, "GET", "/v1/leads")).json()["data"] == []
    archived = (await call(client, "GET", "/v1/leads/archived")).json()["data"]
    assert [item["id"] for item in archived] == [lead["id"]]

    assert (await call(client, "DELETE", path)).json() == {
        "success": True,
        "data": {"id": lead["id"]},
    }
    error(await call(client, "GET", path), 404, "requested lead not found")
    error(await call(client, "PATCH", path, json={"title": "x"}), 404, "lead not found")


async def test_leads_page_with_start_and_limit_and_sort(
    client: httpx.AsyncClient, blank_account: str
) -> None:
    person_id = await person(client)
    for title in ("b", "c", "a"):
        await call(client, "POST", "/v1/leads", json={"title": title, "person_id": person_id})
    first = (await call(client, "GET", "/v1/leads", params={"limit": 2})).json()
    assert [lead["title"] for lead in first["data"]] == ["b", "c"]  # oldest first
    assert first["additional_data"] == {"start": 0, "limit": 2, "more_items_in_collection": True}
    rest = (await call(client, "GET", "/v1/leads", params={"start": 2, "limit": 2})).json()
    assert [lead["title"] for lead in rest["data"]] == ["a"]
    assert rest["additional_data"]["more_items_in_collection"] is False
    by_title = await call(client, "GET", "/v1/leads", params={"sort": "title DESC"})
    assert [lead["title"] for lead in by_title.json()["data"]] == ["c", "b", "a"]
    error(await call(client, "GET", "/v1/leads", params={"sort": "value"}), 400, "sort")
    error(await call(client, "GET", "/v1/leads", params={"filter_id": 1}), 400, "filter_id")


async def test_lead_labels_take_only_pipedrives_colours(
    client: httpx.AsyncClient, blank_account: str
) -> None:
    error(await call(client, "POST", "/v1/leadLabels", json={"name": "Web"}), 400, "color")
    bad = await call(client, "POST", "/v1/leadLabels", json={"name": "Web", "color": "teal"})
    error(bad, 400, "must be one of")
    made = await call(client, "POST", "/v1/leadLabels", json={"name": "Webinar", "color": "pink"})
    assert made.json()["data"]["name"] == "Webinar"
    names = [
        label["name"] for label in (await call(client, "GET", "/v1/leadLabels")).json()["data"]
    ]
    assert names == ["Hot", "Cold", "Warm", "Webinar"]


async def test_notes_and_activities_take_an_existing_lead(
    client: httpx.AsyncClient, blank_account: str
) -> None:
    person_id = await person(client)
    lead = await call(client, "POST", "/v1/leads", json={"title": "L", "person_id": person_id})
    lead_id = lead.json()["data"]["id"]
    ghost = str(uuid.uuid4())
    error(
        await call(client, "POST", "/v1/notes", json={"content": "x", "lead_id": ghost}),
        400,
        "lead",
    )
    note = await call(
        client, "POST", "/v1/notes", json={"content": "<p>Oddzwonić</p>", "lead_id": lead_id}
    )
    assert note.json()["data"]["lead_id"] == lead_id
    listed = await call(client, "GET", "/v1/notes", params={"lead_id": lead_id})
    assert [n["id"] for n in listed.json()["data"]] == [note.json()["data"]["id"]]
    bad = await call(
        client, "POST", "/api/v2/activities", json={"subject": "Call", "lead_id": ghost}
    )
    error(bad, 400, "lead")
    made = await call(
        client, "POST", "/api/v2/activities", json={"subject": "Call", "lead_id": lead_id}
    )
    assert made.json()["data"]["lead_id"] == lead_id
    listed = await call(client, "GET", "/api/v2/activities", params={"lead_id": lead_id})
    assert [a["id"] for a in listed.json()["data"]] == [made.json()["data"]["id"]]


# --- files -----------------------------------------------------------------------------------


async def test_a_file_goes_up_and_comes_down_byte_for_byte(
    client: httpx.AsyncClient, blank_account: str
) -> None:
    org = await call(client, "POST", "/api/v2/organizations", json={"name": "Żuraw sp. z o.o."})
    org_id = org.json()["data"]["id"]
    name = "Umowa – Zażółć gęślą jaźń 契約 (v2).txt"
    data = "Umowa ramowa: zażółć gęślą jaźń. 契約書。\n".encode() + bytes(range(256))
    uploaded = await upload(client, name, data, "text/plain", org_id=str(org_id))
    assert uploaded.status_code == 200, uploaded.text
    file = uploaded.json()["data"]
    assert (file["file_name"], file["name"], file["file_size"]) == (name, name, len(data))
    assert (file["org_id"], file["org_name"], file["active_flag"]) == (
        org_id,
        "Żuraw sp. z o.o.",
        True,
    )
    assert file["deal_id"] is None and file["deal_name"] == ""
    assert file["url"].endswith(f"/blank/v1/files/{file['id']}/download")

    down = await call(client, "GET", f"/v1/files/{file['id']}/download")
    assert down.status_code == 200 and down.content == data
    assert down.headers["content-type"].startswith("text/plain")
    assert int(down.headers["content-length"]) == len(data)
    listed = (await call(client, "GET", "/v1/files")).json()
    assert [f["file_name"] for f in listed["data"]] == [name]
    assert listed["additional_data"]["pagination"]["more_items_in_collection"] is False


async def test_a_large_file_on_a_lead_is_kept_whole(
    client: httpx.AsyncClient, blank_account: str
) -> None:
    person_id = await person(client)
    lead = await call(client, "POST", "/v1/leads", json={"title": "Big", "person_id": person_id})
    lead_id = lead.json()["data"]["id"]
    data = bytes(range(256)) * (LARGE_FILE_BYTES // 256 + 1)
    uploaded = await upload(client, "Messestand-Video.mp4", data, "video/mp4", lead_id=lead_id)
    file = uploaded.json()["data"]
    assert (file["lead_id"], file["lead_name"], file["file_size"]) == (lead_id, "Big", len(data))
    down = await call(client, "GET", f"/v1/files/{file['id']}/download")
    assert down.content == data and down.headers["content-type"] == "video/mp4"


async def test_an_upload_needs_a_file_and_an_existing_record(
    client: httpx.AsyncClient, blank_account: str
) -> None:
    error(await upload(client, "a.pdf", b"%PDF", "application/pdf"), 400, "must be attached")
    error(await upload(client, "a.pdf", b"%PDF", "application/pdf", deal_id="77"), 400, "Deal")
    ghost = await upload(client, "a.pdf", b"%PDF", "application/pdf", lead_id=str(uuid.uuid4()))
    error(ghost, 400, "Lead not found")
    bare = await call(client, "POST", "/v1/files", data={"deal_id": "1"}, files={})
    error(bare, 400, "file")
    person_id = await person(client)
    # A plain client's form (httpx's own encoding) is read the same.
    plain = await call(
        client, "POST", "/v1/files", data={"person_id": str(person_id)},
        files={"file": ("zdjęcie.png", b"\x89PNG", "image/png")},
    )  # fmt: skip
    assert plain.json()["data"]["file_name"] == "zdjęcie.png"
    assert plain.json()["data"]["file_type"] == "img"


async def test_a_deleted_file_is_marked_and_no_longer_served(
    client: httpx.AsyncClient, blank_account: str
) -> None:
    person_id = await person(client)
    file = (await upload(client, "a.csv", b"a,b\n", "text/csv", person_id=str(person_id))).json()
    file_id = file["data"]["id"]
    renamed = await call(client, "PUT", f"/v1/files/{file_id}", json={"name": "Zestawienie"})
    assert renamed.json()["data"]["name"] == "Zestawienie"
    assert renamed.json()["data"]["file_name"] == "a.csv"
    assert (await call(client, "DELETE", f"/v1/files/{file_id}")).json()["data"] == {"id": file_id}
    assert (await call(client, "GET", f"/v1/files/{file_id}")).json()["data"][
        "active_flag"
    ] is False
    assert (await call(client, "GET", "/v1/files")).json()["data"] == []
    error(await call(client, "GET", f"/v1/files/{file_id}/download"), 404, "File not found")


async def test_files_page_at_most_a_hundred_and_cost_what_the_spec_says(
    client: httpx.AsyncClient,
) -> None:
    first = await call(client, "GET", "/v1/files", account="acme", params={"limit": 500})
    assert first.json()["additional_data"]["pagination"]["limit"] == 100
    left = int(first.headers["x-daily-requests-left"])
    down = await call(
        client, "GET", f"/v1/files/{first.json()['data'][0]['id']}/download", account="acme"
    )
    assert left - int(down.headers["x-daily-requests-left"]) == 20


# --- labels ----------------------------------------------------------------------------------


async def label_field(client: httpx.AsyncClient, collection: str) -> dict[str, Any]:
    fields = (await call(client, "GET", f"/api/v2/{collection}")).json()["data"]
    return next(f for f in fields if f["field_code"] == "label_ids")


async def test_a_new_company_has_pipedrives_default_labels(
    client: httpx.AsyncClient, blank_account: str
) -> None:
    for collection, names in (
        ("personFields", ["Customer", "Hot lead", "Warm lead", "Cold lead"]),
        ("organizationFields", ["Customer", "Hot lead", "Warm lead", "Cold lead"]),
        ("dealFields", ["Hot", "Warm", "Cold"]),
    ):
        field = await label_field(client, collection)
        assert field["is_custom_field"] is False and field["field_type"] == "set"
        assert [option["label"] for option in field["options"]] == names


async def test_label_options_are_added_and_records_take_only_their_ids(
    client: httpx.AsyncClient, blank_account: str
) -> None:
    path = "/api/v2/personFields/label_ids/options"
    added = await call(client, "POST", path, json=[{"label": "VIP – Ważny"}, {"label": "Partner"}])
    assert added.status_code == 200, added.text
    new = added.json()["data"]
    assert [o["label"] for o in new] == ["VIP – Ważny", "Partner"]
    field = await label_field(client, "personFields")
    assert [o["label"] for o in field["options"]][-2:] == ["VIP – Ważny", "Partner"]

    deal_field = await label_field(client, "dealFields")
    made = await call(
        client, "POST", "/api/v2/persons", json={"name": "A", "label_ids": [new[0]["id"]]}
    )
    assert made.json()["data"]["label_ids"] == [new[0]["id"]]
    wrong = await call(
        client,
        "POST",
        "/api/v2/persons",
        json={"name": "B", "label_ids": [deal_field["options"][0]["id"]]},
    )
    error(wrong, 400, "label_ids[0]")
    error(await call(client, "POST", path, json=[]), 400, "non-empty array")
    error(await call(client, "POST", path, json=[{"label": ""}]), 400, "[0].label")
    error(
        await call(client, "POST", "/api/v2/personFields/name/options", json=[{"label": "x"}]),
        400,
        "no options",
    )
    error(
        await call(client, "POST", "/api/v2/personFields/nope/options", json=[{"label": "x"}]),
        404,
        "not found",
    )


# --- the seeded company ----------------------------------------------------------------------


async def test_the_reference_company_holds_its_leads_files_and_labels(
    emulator: PipedriveEmulator, client: httpx.AsyncClient
) -> None:
    state = emulator.account_state("acme")
    l1 = (await call(client, "GET", f"/v1/leads/{state.id_map['l1']}", account="acme")).json()[
        "data"
    ]
    labels = {
        label["id"]: label["name"]
        for label in (await call(client, "GET", "/v1/leadLabels", account="acme")).json()["data"]
    }
    assert [labels[i] for i in l1["label_ids"]] == ["Hot", "Webinar"]
    assert l1["value"] == {"amount": 4200.0, "currency": "EUR"}
    assert len(state.store(Entity.files)) == 7 and len(state.leads) == 3
    fl4 = state.id_map["fl4"]
    down = await call(client, "GET", f"/v1/files/{fl4}/download", account="acme")
    assert len(down.content) == LARGE_FILE_BYTES
