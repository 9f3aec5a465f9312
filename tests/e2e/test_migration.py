"""The whole service over HTTP with real arq worker processes: a seeded sandbox Pipedrive into an
empty one, then everything read back through the Pipedrive API and compared."""

from __future__ import annotations

import httpx

from tests.conftest import Stack
from tests.e2e.pipedrive_view import MIGRATED, AccountView, assert_same
from tests.helpers import PipedriveReader, sandbox, start_session, wait_for

ENTITIES = MIGRATED


async def assert_same_company(source: dict, target: dict) -> tuple[AccountView, AccountView]:
    src = await AccountView(PipedriveReader(source)).load()
    dst = await AccountView(PipedriveReader(target)).load()
    assert_same(src, dst)
    return src, dst


async def test_reference_company_arrives_whole_with_links_owners_and_custom_fields(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=40)
    target = await sandbox(client, dataset="empty")
    session = await start_session(client, source, target)
    done = await wait_for(client, session["id"], timeout=240)
    errors = (await client.get(f"/v1/sessions/{session['id']}/errors")).json()["data"]
    assert done["status"] == "completed", (done, errors[:5])
    assert errors == []

    src, dst = await assert_same_company(source, target)
    for entity in ENTITIES:
        progress = done["progress"][entity]
        assert (
            progress["loaded"]
            == progress["extracted"]
            == progress["total"]
            == len(src.data[entity])
        )
        assert progress["failed"] == 0

    # The hard cases, looked at directly.
    persons = {p["name"]: p for p in dst.data["persons"]}
    assert "Zażółć Gęślą-Jaźń 🚀" in persons
    assert len(persons["Zażółć Gęślą-Jaźń 🚀"]["emails"]) == 3
    assert "山田 太郎" in persons
    assert any(p.get("org_id") is None for p in dst.data["persons"])
    assert max(len(n["content"]) for n in dst.data["notes"]) > 90_000
    assert any(d.get("person_id") is None for d in dst.data["deals"])
    custom_types = {f["field_type"] for fields in dst.fields.values() for f in fields.values()}
    assert {"text", "varchar", "double", "date", "enum", "set", "monetary"} <= custom_types
    # The inactive former employee is not in the target: their records went to the token's user.
    assert "former.employee@example.com" not in {u["email"] for u in dst.data["users"]}
    assert done["progress"]["users"]["skipped"] >= 1


async def test_cancel_stops_within_seconds_and_keeps_what_was_loaded(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=300)
    target = await sandbox(client, dataset="empty", limits={"burst": 10})  # slow: 5 writes/s
    session = await start_session(client, source, target)
    await wait_for(
        client, session["id"], until=lambda s: s["progress"]["organizations"]["loaded"] >= 3
    )
    response = await client.post(f"/v1/sessions/{session['id']}/cancel")
    assert response.status_code == 202
    done = await wait_for(client, session["id"], timeout=15)
    assert done["status"] == "cancelled"
    loaded = done["progress"]["organizations"]["loaded"]
    assert 3 <= loaded < done["progress"]["organizations"]["total"]
    in_target = await PipedriveReader(target).all("organizations")
    assert len(in_target) == loaded
    again = await client.post(f"/v1/sessions/{session['id']}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "session_finished"


async def test_a_killed_worker_loses_nothing_and_duplicates_nothing(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    source = await sandbox(client, size=60)
    target = await sandbox(client, dataset="empty", limits={"burst": 20})
    session = await start_session(client, source, target)
    await wait_for(client, session["id"], until=lambda s: s["progress"]["persons"]["loaded"] >= 5)
    for worker in list(stack.workers):  # every worker dies mid-load
        worker.stop()
        stack.workers.remove(worker)
    stack.start_worker()
    stack.start_worker()
    done = await wait_for(client, session["id"], timeout=240)
    assert done["status"] == "completed", done
    await assert_same_company(source, target)


async def test_a_custom_field_that_cannot_be_carried_is_reported_not_silently_dropped(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=5)
    target = await sandbox(client, dataset="empty")
    async with httpx.AsyncClient(
        base_url=source["base_url"], headers={"x-api-token": source["credentials"]["api_token"]}
    ) as pipedrive:
        created = await pipedrive.post(
            "/api/v2/dealFields", json={"field_name": "Region", "field_type": "address"}
        )
        assert created.status_code == 200, created.text
    session = await start_session(client, source, target)
    done = await wait_for(client, session["id"])
    assert done["status"] == "completed"
    assert "source field not carried: deals: Region (address)" in done["warnings"]
