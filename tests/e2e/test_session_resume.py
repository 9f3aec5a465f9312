"""Resuming a session that ended early: a new session of the same pair finishes the job through
the ledger, so nothing the first one created arrives twice."""

from __future__ import annotations

import httpx

from tests.e2e.pipedrive_view import MIGRATED, AccountView
from tests.helpers import PipedriveReader, sandbox, start_session, wait_for


async def test_a_cancelled_session_resumed_finishes_the_job_with_nothing_doubled(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    source = await sandbox(client, size=10)
    target = await sandbox(client, dataset="empty", limits={"burst": 40})  # 20 writes/s
    first = await start_session(client, source, target, options={"custom_fields": False})
    # Cancelled early in the load: the rest takes seconds at this pace, the cancel one.
    await wait_for(
        client, first["id"], until=lambda s: s["progress"]["organizations"]["loaded"] >= 2
    )
    assert (await client.post(f"/v1/sessions/{first['id']}/cancel")).status_code == 202
    cancelled = await wait_for(client, first["id"], timeout=30)
    assert cancelled["status"] == "cancelled"
    assert (await other_client.post(f"/v1/sessions/{first['id']}/resume")).status_code == 404

    response = await client.post(f"/v1/sessions/{first['id']}/resume")
    assert response.status_code == 201, response.text
    resumed = response.json()
    assert resumed["resumes"] == first["id"] and resumed["mode"] == "full"
    assert resumed["entities"] == cancelled["entities"]
    assert resumed["options"] == cancelled["options"]
    busy = await client.post(f"/v1/sessions/{resumed['id']}/resume")
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "session_not_finished"

    done = await wait_for(client, resumed["id"], timeout=120)
    assert done["status"] == "completed", done
    src = await AccountView(PipedriveReader(source)).load()
    dst = await AccountView(PipedriveReader(target)).load()
    # Every record once (custom fields are off here, so only the counts are compared).
    assert {e: len(dst.data[e]) for e in MIGRATED} == {e: len(src.data[e]) for e in MIGRATED}
    for entity, progress in done["progress"].items():
        if entity == "users":
            continue
        created_before = cancelled["progress"][entity]["created"]
        # What the first session linked is left alone; the rest is created, once.
        assert progress["unchanged"] == created_before, entity
        assert progress["created"] == progress["total"] - created_before, entity

    over = await client.post(f"/v1/sessions/{resumed['id']}/resume")
    assert over.status_code == 409 and over.json()["error"]["code"] == "not_resumable"


async def test_a_preview_is_not_resumable(client: httpx.AsyncClient) -> None:
    source = await sandbox(client, size=3)
    target = await sandbox(client, dataset="empty")
    body = {
        "source": {k: source[k] for k in ("system", "credentials", "base_url")},
        "target": {k: target[k] for k in ("system", "credentials", "base_url")},
    }
    preview = (await client.post("/v1/sessions/preview", json=body)).json()
    await wait_for(client, preview["id"])
    response = await client.post(f"/v1/sessions/{preview['id']}/resume")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_resumable"
