"""Watching a session live: the event stream (progress that grows, phases, the end), percent and
ETA, the field map it used, its errors as CSV and its webhook deliveries, on the real stack."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.test_webhook_and_limits import Receiver
from tests.helpers import TERMINAL, PipedriveReader, sandbox, start_session, wait_for

STREAM_DEADLINE = 120.0


@dataclass
class Event:
    id: str | None
    name: str
    data: Any


async def events(
    client: httpx.AsyncClient, session_id: str, last_event_id: str | None = None
) -> AsyncIterator[Event]:
    """The session's stream, parsed, until the server closes it (after `end`)."""
    headers = {"last-event-id": last_event_id} if last_event_id else {}
    deadline = time.monotonic() + STREAM_DEADLINE
    async with client.stream(
        "GET", f"/v1/sessions/{session_id}/events", headers=headers, timeout=30
    ) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            assert time.monotonic() < deadline, "the stream did not end"
            if line.startswith(":"):  # a heartbeat
                continue
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
                continue
            if "event" in fields:
                yield Event(fields.get("id"), fields["event"], json.loads(fields["data"]))
            fields = {}


async def all_events(
    client: httpx.AsyncClient, session_id: str, last_event_id: str | None = None
) -> list[Event]:
    return [event async for event in events(client, session_id, last_event_id)]


def _handled(progress: dict[str, Any]) -> int:
    return sum(p["loaded"] + p["skipped"] + p["failed"] for p in progress.values())


async def test_the_stream_shows_progress_growing_and_ends_with_the_final_session(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=12)
    # A slowed target (50 writes/s): the load lasts a few seconds, long enough to be watched.
    target = await sandbox(client, dataset="empty", limits={"burst": 100})
    session = await start_session(client, source, target)
    stream = await all_events(client, session["id"])
    final = (await client.get(f"/v1/sessions/{session['id']}")).json()

    names = [e.name for e in stream]
    assert names[-1] == "end" and names.count("end") == 1
    assert stream[-1].data["status"] == final["status"] == "completed", final
    assert stream[-1].data["percent"] == 100.0 and stream[-1].data["eta"] is None
    progress = [e.data for e in stream if e.name == "progress"]
    assert progress[-1]["status"] == "completed" and progress[-1]["percent"] == 100.0
    assert progress[-1]["eta"] is None
    handled = [_handled(p["progress"]) for p in progress]
    assert handled == sorted(handled) and len(set(handled)) >= 3  # it grew, step by step
    percents = [p["percent"] for p in progress if p["percent"] is not None]
    assert percents == sorted(percents) and 0 < percents[0] < 100
    running = [p for p in progress if p["status"] == "running" and (p["percent"] or 0) > 0]
    assert running and all(p["eta"] is not None for p in running)  # an ETA while it runs
    assert "load" in [e.data["phase"] for e in stream if e.name == "phase"]
    ids = [int(e.id.split("-")[0]) for e in stream if e.id]
    assert len(ids) == len(stream) and ids == sorted(set(ids))

    # Every entity is at 100 and the whole session too, with no ETA once it has ended.
    assert final["percent"] == 100.0 and final["eta"] is None
    assert {p["percent"] for p in final["progress"].values()} == {100.0}


async def test_a_finished_sessions_stream_sends_its_progress_and_end_at_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    source = await sandbox(client, size=3)
    target = await sandbox(client, dataset="empty")
    session = await start_session(client, source, target)
    await wait_for(client, session["id"])

    stream = await all_events(client, session["id"])
    assert [e.name for e in stream] == ["progress", "end"]
    assert stream[1].data["id"] == session["id"] and stream[1].data["status"] in TERMINAL
    # A client that reconnects goes on numbering where it was.
    again = await all_events(client, session["id"], last_event_id="41-0")
    assert [e.id for e in again] == ["42-0", "43-0"]

    hidden = await other_client.get(f"/v1/sessions/{session['id']}/events")
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "session_not_found"


async def test_the_field_map_says_where_each_custom_field_went(client: httpx.AsyncClient) -> None:
    source = await sandbox(client, size=3)
    target = await sandbox(client, dataset="empty")
    session = await start_session(client, source, target, entities=["persons"])
    assert session["field_map"] is None  # not known before the run resolves the fields
    done = await wait_for(client, session["id"])

    field_map = done["field_map"]
    assert field_map and {e["entity"] for e in field_map} == {"persons"}
    assert {e["origin"] for e in field_map} == {"created"}  # the target had none
    in_target = {
        f["field_code"]: f["field_name"] for f in await PipedriveReader(target).all("personFields")
    }
    assert all(in_target[e["target_key"]] == e["source_name"] for e in field_map)

    # The next session to the same company finds those fields: matched, not created.
    later = await start_session(client, source, target, entities=["persons"])
    again = await wait_for(client, later["id"])
    assert {e["origin"] for e in again["field_map"]} == {"matched"}
    assert {e["target_key"] for e in again["field_map"]} == {e["target_key"] for e in field_map}


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_the_errors_download_as_csv_with_the_same_filters_as_the_list(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=10)
    target = await sandbox(client, dataset="empty")
    # Every file is above a 1-byte cap: each stays behind with file_too_large.
    session = await start_session(client, source, target, options={"max_file_bytes": 1})
    done = await wait_for(client, session["id"])
    assert done["status"] == "completed_with_errors", done
    errors = (await client.get(f"/v1/sessions/{session['id']}/errors")).json()["data"]
    assert len(errors) == done["progress"]["files"]["failed"] > 1

    response = await client.get(f"/v1/sessions/{session['id']}/errors.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="ferry-{session["id"]}-errors.csv"'
    )
    rows = _rows(response.text)
    assert rows[0] == ["entity", "source_id", "stage", "code", "message"]
    assert rows[1:] == [
        [e["entity"], e["source_id"], e["stage"], e["code"], e["message"]] for e in errors
    ]

    url = f"/v1/sessions/{session['id']}/errors"
    only_files = await client.get(f"{url}.csv", params={"entity": "files"})
    assert len(_rows(only_files.text)) == len(errors) + 1
    none = await client.get(f"{url}.csv", params={"entity": "deals"})
    assert _rows(none.text) == [rows[0]]
    listed = (await client.get(url, params={"code": "file_too_large", "limit": 1})).json()
    assert listed["data"] == errors[:1] and listed["next_cursor"] is not None
    assert (await client.get(url, params={"code": "gone_from_source"})).json()["data"] == []
    wrong = await client.get(f"{url}.csv", params={"entity": "planets"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "validation_error"


async def test_every_webhook_delivery_attempt_is_listed(client: httpx.AsyncClient) -> None:
    receiver = Receiver(failures=1)
    try:
        source = await sandbox(client, size=3)
        target = await sandbox(client, dataset="empty")
        session = await start_session(client, source, target, webhook_url=receiver.url)
        await wait_for(
            client, session["id"], until=lambda s: s["webhook_status"] == "delivered", timeout=60
        )
    finally:
        receiver.server.shutdown()
    response = await client.get(f"/v1/sessions/{session['id']}/webhook-deliveries")
    assert response.status_code == 200
    deliveries = response.json()["data"]
    assert [(d["attempt"], d["status_code"], d["delivered"]) for d in deliveries] == [
        (1, 500, False),
        (2, 204, True),
    ]
    assert all(d["error"] is None and d["duration_ms"] >= 0 for d in deliveries)
    assert deliveries[0]["attempted_at"] <= deliveries[1]["attempted_at"]
