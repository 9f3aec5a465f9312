"""A CSV export as a source, over the real stack: uploaded (POST /v1/uploads), named by a
connection's upload_id instead of credentials, migrated into an empty sandbox Pipedrive.

SalesforceIQ is gone: its last export (the sandbox serves a seeded account's as a zip) must
arrive whole, as conformance compares the reference company. Any other system's export goes the
same way with `options.mapping.columns` for column names Ferry does not know."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import services
from tests.conftest import Stack
from tests.e2e.test_conformance import assert_arrived_whole
from tests.helpers import PipedriveReader, endpoint, sandbox, wait_for


def csv_files(files: dict[str, str]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, text.encode(), "text/csv")) for name, text in files.items()]


async def upload(
    client: httpx.AsyncClient, files: list[tuple[str, Any]], **form: str
) -> httpx.Response:
    return await client.post("/v1/uploads", files=files, data=form)


async def session_of(
    client: httpx.AsyncClient,
    source: dict[str, Any],
    target: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        "/v1/sessions", json={"source": source, "target": endpoint(target), **extra}
    )
    assert response.status_code == 201, response.text
    return await wait_for(client, response.json()["id"], timeout=300)


async def test_the_salesforceiq_export_migrates_whole(client: httpx.AsyncClient) -> None:
    source = await sandbox(client, system="salesforceiq", size=30)
    target = await sandbox(client, dataset="empty")
    export = await client.get(f"/sandbox/accounts/{source['id']}/export")
    assert export.status_code == 200, export.text
    assert export.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert {"users.csv", "accounts.csv", "contacts.csv", "lists.csv"} <= set(names)

    uploaded = await upload(
        client,
        [("files", ("salesforceiq-export.zip", export.content, "application/zip"))],
        system="salesforceiq",
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    entities = {f["name"]: f["entity"] for f in body["files"]}
    assert entities["contacts.csv"] == "persons" and entities["lists.csv"] == "pipelines"
    assert entities["account_fields.csv"] == "definitions"
    assert sum(1 for e in entities.values() if e == "deals") == 2  # one file per list

    connection = {"system": "salesforceiq", "upload_id": body["id"]}
    tested = (await client.post("/v1/connections/test", json=connection)).json()
    assert tested["ok"], tested
    assert tested["counts"] == {
        "users": 6,
        "organizations": 10,
        "persons": 30,
        "pipelines": 2,
        "deals": 20,
    }

    response = await client.post(
        "/v1/sessions", json={"source": connection, "target": endpoint(target)}
    )
    assert response.status_code == 201, response.text
    await assert_arrived_whole(client, response.json()["id"], "salesforceiq", target)


ODD = {
    # A German CRM's export: one file per entity, column names Ferry does not know.
    "Firmen.csv": (
        "Nr;Firmenname;Straße;Branche\n"
        "F1;Müller & Söhne GmbH;Bahnhofstraße 1, München;Handel\n"
        "F2;Acme Corp;;IT\n"
    ),
    "Kontakte.csv": (
        "Nr;Vorname;Nachname;E-Mail-Adresse;Telefon;Firma-Nr;Betreuer;Notiz intern\n"
        "K1;Jürgen;Groß;juergen@mueller.example;+49 89 1;F1;owner@example.com;VIP\n"
        'K2;Ann;Lee;ann@acme.example;;F2;;"mehrzeilig\nzweite Zeile"\n'
    ),
    "Verkaufschancen.csv": (
        "Nr;Bezeichnung;Betrag;Währung;Phase;Kontakt-Nr;Firma-Nr;Abschluss\n"
        "V1;Großauftrag;1.200,50;EUR;Angebot;K1;F1;31.12.2026\n"
        "V2;Wartung;300;EUR;Erstgespräch;K2;F2;\n"
        "V3;Gewonnen;50;EUR;Closed Won;K2;F2;\n"
    ),
}
COLUMNS = {
    "organizations": {"Nr": "id", "Firmenname": "name", "Straße": "address"},
    "persons": {
        "Nr": "id",
        "Vorname": "first_name",
        "Nachname": "last_name",
        "E-Mail-Adresse": "email",
        "Telefon": "phone",
        "Firma-Nr": "organization",
        "Betreuer": "owner",
        "Notiz intern": None,
    },
    "deals": {
        "Nr": "id",
        "Bezeichnung": "title",
        "Betrag": None,
        "Währung": "currency",
        "Phase": "stage",
        "Kontakt-Nr": "person",
        "Firma-Nr": "organization",
        "Abschluss": "expected_close_date",
    },
}
ENTITIES = '{"Firmen.csv": "organizations", "Kontakte.csv": "persons", ' + (
    '"Verkaufschancen.csv": "deals"}'
)


async def test_any_export_with_odd_columns_maps_by_options(client: httpx.AsyncClient) -> None:
    uploaded = await upload(client, csv_files(ODD), entities=ENTITIES)
    assert uploaded.status_code == 201, uploaded.text
    upload_id = uploaded.json()["id"]
    rows = {f["entity"]: f["rows"] for f in uploaded.json()["files"]}
    assert rows == {"organizations": 2, "persons": 2, "deals": 3}
    target = await sandbox(client, dataset="empty")
    source = {"system": "csv", "upload_id": upload_id}

    wrong = await client.post(
        "/v1/sessions",
        json={
            "source": source,
            "target": endpoint(target),
            "options": {"mapping": {"columns": {"persons": {"Spitzname": "name"}}}},
        },
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "invalid_mapping"
    assert "Spitzname" in wrong.json()["error"]["message"]
    assert "Vorname" in wrong.json()["error"]["details"]["choices"]
    bad_field = await client.post(
        "/v1/sessions",
        json={
            "source": source,
            "target": endpoint(target),
            "options": {"mapping": {"columns": {"persons": {"Vorname": "vorname"}}}},
        },
    )
    assert bad_field.status_code == 422
    assert "first_name" in bad_field.json()["error"]["details"]["choices"]

    done = await session_of(
        client,
        source,
        target,
        options={"mapping": {"columns": COLUMNS, "fields": {"organizations": {"Branche": None}}}},
    )
    assert done["status"] == "completed", done
    reader = PipedriveReader(target)
    orgs = {o["id"]: o for o in await reader.all("organizations")}
    assert sorted(o["name"] for o in orgs.values()) == ["Acme Corp", "Müller & Söhne GmbH"]
    persons = {p["name"]: p for p in await reader.all("persons")}
    assert set(persons) == {"Jürgen Groß", "Ann Lee"}
    juergen = persons["Jürgen Groß"]
    assert [e["value"] for e in juergen["emails"]] == ["juergen@mueller.example"]
    assert orgs[juergen["org_id"]]["name"] == "Müller & Söhne GmbH"
    deals = {d["title"]: d for d in await reader.all("deals")}
    assert set(deals) == {"Großauftrag", "Wartung", "Gewonnen"}
    assert deals["Großauftrag"]["person_id"] == juergen["id"]
    assert deals["Großauftrag"]["expected_close_date"] == "2026-12-31"
    assert deals["Gewonnen"]["status"] == "won"
    stages = {s["id"]: s["name"] for s in await reader.all("stages")}
    assert stages[deals["Großauftrag"]["stage_id"]] == "Angebot"
    assert stages[deals["Wartung"]["stage_id"]] == "Erstgespräch"
    fields = {f.get("field_name") or f.get("name") for f in await reader.all("organizationFields")}
    assert "Branche" not in fields  # mapping.fields said not to carry it


async def test_a_second_full_session_of_the_upload_creates_nothing_twice(
    client: httpx.AsyncClient,
) -> None:
    files = {
        "people.csv": "Name,Email,Company,Score\nAnn Lee,ann@x.example,Acme,3\nBo,bo@y.example,,4\n",
        "deals.csv": "Title,Value,Contact,Stage\nBig,10,ann@x.example,Lead\nSmall,2,Bo,Won\n",
        "notes.csv": "Content,Person\nCalled her,Ann Lee\n",
    }
    uploaded = await upload(client, csv_files(files))
    assert uploaded.status_code == 201, uploaded.text
    source = {"system": "csv", "upload_id": uploaded.json()["id"]}
    target = await sandbox(client, dataset="empty")
    first = await session_of(client, source, target)
    assert first["status"] == "completed", first
    assert first["progress"]["persons"]["created"] == 2
    assert first["progress"]["notes"]["created"] == 1

    second = await session_of(client, source, target)
    assert second["status"] == "completed", second
    for entity, progress in second["progress"].items():
        assert progress["created"] == 0, (entity, progress)
    reader = PipedriveReader(target)
    assert len(await reader.all("persons")) == 2
    assert len(await reader.all("deals")) == 2
    notes = await reader.all("notes")
    assert len(notes) == 1 and notes[0]["person_id"]

    # The same files uploaded again are the same export: still nothing twice.
    again = await upload(client, csv_files(files))
    third = await session_of(client, {"system": "csv", "upload_id": again.json()["id"]}, target)
    assert all(p["created"] == 0 for p in third["progress"].values()), third["progress"]


async def test_a_row_that_cannot_be_read_is_a_record_error(client: httpx.AsyncClient) -> None:
    files = {"deals.csv": "Title,Amount\nGood,5\nBad,lots\n,3\n"}
    uploaded = await upload(client, csv_files(files))
    target = await sandbox(client, dataset="empty")
    done = await session_of(client, {"system": "csv", "upload_id": uploaded.json()["id"]}, target)
    errors = (await client.get(f"/v1/sessions/{done['id']}/errors")).json()["data"]
    assert done["status"] == "completed_with_errors", errors
    deals = done["progress"]["deals"]
    assert (deals["loaded"], deals["failed"]) == (1, 2), [e["message"] for e in errors]
    messages = sorted(e["message"] for e in errors if e["code"] == "row_unreadable")
    assert messages[0].startswith("deals.csv, line 3:") and "lots" in messages[0]
    assert messages[1].startswith("deals.csv, line 4:") and "title" in messages[1]


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BAD_UPLOADS = {
    "not CSV": ([("files", ("persons.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "text/csv"))], {}),
    "not UTF-8": (
        [("files", ("persons.csv", "Name\nJos\xe9\n".encode("latin-1"), "text/csv"))],
        {},
    ),
    "not a CSV name": ([("files", ("persons.xlsx", b"PK...", "application/octet-stream"))], {}),
    "no header": ([("files", ("persons.csv", b"ann@x.example,Ann\n", "text/csv"))], {}),
    "empty file": ([("files", ("persons.csv", b"", "text/csv"))], {}),
    "unknown entity": ([("files", ("stuff.csv", b"Name\nAnn\n", "text/csv"))], {}),
    "duplicate entity": (
        [
            ("files", ("contacts.csv", b"Name\nAnn\n", "text/csv")),
            ("files", ("people.csv", b"Name\nBo\n", "text/csv")),
        ],
        {},
    ),
    "empty upload": ([], {"system": "csv"}),
    "bad zip": ([("files", ("export.zip", b"not a zip", "application/zip"))], {}),
    "zip with a non-CSV": (
        [
            (
                "files",
                (
                    "export.zip",
                    zipped({"persons.csv": b"Name\nA\n", "x.pdf": b"%PDF"}),
                    "application/zip",
                ),
            )
        ],
        {},
    ),
}
CODES = {
    "not CSV": "upload_unreadable",
    "not UTF-8": "upload_unreadable",
    "not a CSV name": "upload_unreadable",
    "no header": "upload_no_header",
    "empty file": "upload_no_header",
    "unknown entity": "upload_unknown_entity",
    "duplicate entity": "upload_duplicate_entity",
    "empty upload": "upload_empty",
    "bad zip": "upload_unreadable",
    "zip with a non-CSV": "upload_unreadable",
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
async def test_a_bad_upload_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, case: str
) -> None:
    before = (await client.get("/v1/uploads")).json()["data"]
    files, form = BAD_UPLOADS[case]
    if not files:  # a multipart body without any file
        response = await client.post("/v1/uploads", data=form, files={"system": (None, "csv")})
    else:
        response = await upload(client, files, **form)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == CODES[case], error
    assert error["message"]
    assert (await client.get("/v1/uploads")).json()["data"] == before


async def test_uploads_are_per_account_and_can_be_deleted(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    uploaded = await upload(client, csv_files({"persons.csv": "Name\nAnn\n"}))
    upload_id = uploaded.json()["id"]
    assert (await client.get(f"/v1/uploads/{upload_id}")).json()["files"][0]["rows"] == 1
    assert upload_id in {u["id"] for u in (await client.get("/v1/uploads")).json()["data"]}

    theirs = await other_client.get(f"/v1/uploads/{upload_id}")
    assert theirs.status_code == 404 and theirs.json()["error"]["code"] == "upload_not_found"
    test = await other_client.post(
        "/v1/connections/test", json={"system": "csv", "upload_id": upload_id}
    )
    assert test.status_code == 422 and test.json()["error"]["code"] == "unknown_upload"
    target = await sandbox(other_client, dataset="empty")
    session = await other_client.post(
        "/v1/sessions",
        json={"source": {"system": "csv", "upload_id": upload_id}, "target": endpoint(target)},
    )
    assert session.status_code == 422 and session.json()["error"]["code"] == "unknown_upload"
    no_upload = await client.post("/v1/connections/test", json={"system": "csv"})
    assert no_upload.json()["error"]["code"] == "upload_required"
    unknown = await client.post(
        "/v1/connections/test", json={"system": "pipedrive", "upload_id": upload_id}
    )
    assert unknown.json()["error"]["code"] == "no_file_source"

    assert (await other_client.delete(f"/v1/uploads/{upload_id}")).status_code == 404
    assert (await client.delete(f"/v1/uploads/{upload_id}")).status_code == 204
    assert (await client.get(f"/v1/uploads/{upload_id}")).status_code == 404


async def test_a_sandbox_without_an_export_has_none(client: httpx.AsyncClient) -> None:
    pipedrive = await sandbox(client, dataset="empty")
    response = await client.get(f"/sandbox/accounts/{pipedrive['id']}/export")
    assert response.status_code == 404 and response.json()["error"]["code"] == "no_export"


async def test_the_record_limit_is_the_sessions_not_per_file(client: httpx.AsyncClient) -> None:
    # FERRY_MAX_RECORDS is 3,000 in the test stack (no file limit such as Pipedrive's 50,000).
    rows = "".join(f"Person {i},p{i}@example.com\n" for i in range(3001))
    uploaded = await upload(client, csv_files({"persons.csv": "Name,Email\n" + rows}))
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["files"][0]["rows"] == 3001
    target = await sandbox(client, dataset="empty")
    response = await client.post(
        "/v1/sessions",
        json={
            "source": {"system": "csv", "upload_id": uploaded.json()["id"]},
            "target": endpoint(target),
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "too_many_records"


async def test_an_upload_past_the_size_cap_is_413(stack: Stack, tmp_path: Path) -> None:
    port = services.free_port()
    env = {**stack.env, "FERRY_MAX_UPLOAD_BYTES": "2000"}
    api = services.start_api(env, port, tmp_path / "api.log")
    try:
        headers = {"authorization": f"Bearer {stack.api_key}"}
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30
        ) as client:
            before = (await client.get("/v1/uploads")).json()["data"]
            big = "Name\n" + "".join(f"Person number {i}\n" for i in range(500))
            response = await upload(client, csv_files({"persons.csv": big}))
            assert response.status_code == 413, response.text
            assert response.json()["error"]["code"] == "upload_too_large"
            assert (await client.get("/v1/uploads")).json()["data"] == before
            small = await upload(client, csv_files({"persons.csv": "Name\nAnn\n"}))
            assert small.status_code == 201, small.text
    finally:
        api.stop()
