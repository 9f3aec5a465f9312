"""Attached files and leads through the real service: a file above the session's size cap stays
behind with its own clear error while every other file arrives byte for byte on its record, and
undo takes away the files and leads the session created."""

from __future__ import annotations

import hashlib

import httpx

from adapters.reference.attachments import LARGE_FILE_BYTES
from adapters.reference.dataset import generate
from tests.helpers import PipedriveReader, sandbox, start_session, wait_for

SIZE = 10
CAP = 1_000_000  # below the reference company's one large file


async def test_a_file_above_the_cap_stays_behind_and_undo_takes_files_and_leads_away(
    client: httpx.AsyncClient,
) -> None:
    company = generate(SIZE)
    source = await sandbox(client, system="pipedrive", size=SIZE)
    target = await sandbox(client, dataset="empty")
    session = await start_session(client, source, target, options={"max_file_bytes": CAP})
    done = await wait_for(client, session["id"], timeout=300)
    errors = (await client.get(f"/v1/sessions/{session['id']}/errors")).json()["data"]

    large = next(f for f in company.files if f.size and f.size >= LARGE_FILE_BYTES)
    assert done["status"] == "completed_with_errors", done
    assert [(e["entity"], e["code"]) for e in errors] == [("files", "file_too_large")]
    assert large.name in errors[0]["message"] and f"{CAP:,}" in errors[0]["message"]

    reader = PipedriveReader(target)
    arrived = {f["name"]: f for f in await reader.all("files")}
    carried = [f for f in company.files if f.source_id != large.source_id]
    assert set(arrived) == {f.name for f in carried}  # the non-ASCII name among them
    for file in carried:
        digest = hashlib.sha256(await reader.download(arrived[file.name]["id"])).hexdigest()
        assert digest == hashlib.sha256(company.file_bytes[file.source_id]).hexdigest(), file.name
    leads = await reader.all("leads")
    assert len(leads) == len(company.leads)

    undo = await client.post(f"/v1/sessions/{session['id']}/undo", json={})
    assert undo.status_code in (200, 201, 202), undo.text
    undone = await wait_for(client, undo.json()["id"], timeout=300)
    assert undone["status"] == "completed", undone
    assert undone["progress"]["files"]["deleted"] == len(carried)
    assert undone["progress"]["leads"]["deleted"] == len(company.leads)
    assert [f for f in await reader.all("files") if f.get("active_flag", True)] == []
    assert await reader.all("leads") == []


async def test_a_regular_users_token_carries_no_dates_and_the_session_says_so(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, system="pipedrive", size=SIZE)
    target = await sandbox(client, dataset="empty", limits={"admin": False})
    session = await start_session(client, source, target, entities=["organizations"])
    done = await wait_for(client, session["id"], timeout=300)

    assert done["status"] == "completed", done
    assert any("not an admin" in w for w in done["warnings"]), done["warnings"]
    organizations = await PipedriveReader(target).all("organizations")
    assert len(organizations) == len(generate(SIZE).organizations)
    # Dated the day of the migration, not with the reference company's older creation times.
    assert all(o["add_time"] >= "2026-01-15" for o in organizations)
