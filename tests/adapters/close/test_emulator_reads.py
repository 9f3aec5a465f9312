"""Close emulator: what outside clients (closeio-api's get/paginate, Airbyte's source-close-com)
call, over HTTP in process: every activity in one list with its documented filters, each
activity type's list, the event log followed by cursor, custom fields at the old and the new
path, counts equal to Ferry's, and parameters the emulator does not serve refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.canonical import Entity
from tests.adapters.close.support import (
    API_KEY,
    BASE_URL,
    extract_all,
    new_emulator,
    new_source,
)
from tests.adapters.sources import FakeClock

TYPES = {
    "Call": "call",
    "Meeting": "meeting",
    "Email": "email",
    "Note": "note",
    "OpportunityStatusChange": "status_change/opportunity",
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def setup(clock: FakeClock) -> Any:
    emulator = new_emulator(clock, burst=100_000)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=BASE_URL + "/api/v1",
        auth=(API_KEY, ""),
    ) as client:
        yield emulator, client


async def skip_pages(client: httpx.AsyncClient, path: str, **params: Any) -> list[Any]:
    """closeio-api's paginate: `_skip` by `_limit` while `has_more`."""
    rows: list[Any] = []
    while True:
        answer = await client.get(path, params={**params, "_skip": len(rows), "_limit": 7})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows += body["data"]
        if not body["has_more"]:
            return rows


async def cursor_pages(client: httpx.AsyncClient, **params: Any) -> list[Any]:
    rows: list[Any] = []
    cursor = None
    while True:
        extra = {"_cursor": cursor} if cursor else {}
        answer = await client.get("/event/", params={**params, **extra})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"data", "cursor_next", "cursor_previous"}
        assert (body["cursor_previous"] is None) == (not rows)
        rows += body["data"]
        cursor = body["cursor_next"]
        if cursor is None:
            return rows


async def test_all_activities_list_to_the_end_and_count_as_ferry(
    setup: Any, clock: FakeClock
) -> None:
    emulator, client = setup
    everything = await skip_pages(client, "/activity/")
    assert len({a["id"] for a in everything}) == len(everything)
    created = [a["date_created"] for a in everything]
    assert created == sorted(created, reverse=True)  # newest first
    per_type: dict[str, int] = {}
    for kind, path in TYPES.items():
        listed = await skip_pages(client, f"/activity/{path}/")
        assert all(a["_type"] == kind for a in listed)
        per_type[kind] = len(listed)
        assert sum(a["_type"] == kind for a in everything) == len(listed)
    assert sum(per_type.values()) == len(everything)
    source = new_source(emulator, clock)
    activities = await extract_all(source, Entity.activities)
    tasks = await skip_pages(client, "/task/")
    assert per_type["Call"] + per_type["Meeting"] + per_type["Email"] + len(tasks) == len(
        activities
    )
    # A note with attachments and no text is files put on a lead: read as the files alone.
    carriers = [
        a for a in everything if a["_type"] == "Note" and a["attachments"] and not a["note"]
    ]
    assert carriers and len(carriers) == len(await extract_all(source, Entity.files))
    assert per_type["Note"] - len(carriers) == len(await extract_all(source, Entity.notes))
    await source.aclose()
    for path in ("created", "emailthread", "sms", "status_change/lead", "task_completed"):
        answer = await client.get(f"/activity/{path}/")
        assert answer.json() == {"data": [], "has_more": False}


async def test_all_activities_filter_as_documented(setup: Any) -> None:
    _, client = setup
    everything = await skip_pages(client, "/activity/")
    lead_id = everything[0]["lead_id"]
    of_lead = await skip_pages(client, "/activity/", lead_id=lead_id)
    assert of_lead == [a for a in everything if a["lead_id"] == lead_id]
    notes = await skip_pages(client, "/activity/", lead_id=lead_id, _type="Note")
    assert notes == [a for a in of_lead if a["_type"] == "Note"]
    both = await skip_pages(client, "/activity/", lead_id=lead_id, _type__in="Note,Call")
    assert both == [a for a in of_lead if a["_type"] in ("Note", "Call")]
    user = everything[0]["user_id"]
    mine = await skip_pages(client, "/activity/", lead_id=lead_id, user_id=user)
    assert mine == [a for a in of_lead if a["user_id"] == user]
    calls = await skip_pages(client, "/activity/call/", lead_id=lead_id)
    assert calls == [a for a in of_lead if a["_type"] == "Call"]
    middle = everything[len(everything) // 2]["date_created"]
    older = await skip_pages(client, "/activity/", date_created__lt=middle)
    assert older and all(a["date_created"] < middle for a in older)
    oldest_first = await skip_pages(client, "/activity/", _order_by="date_created")
    assert [a["id"] for a in oldest_first] != [a["id"] for a in everything]
    assert sorted(a["id"] for a in oldest_first) == sorted(a["id"] for a in everything)
    by_time = await skip_pages(client, "/activity/", _order_by="-activity_at")
    stamps = [a["activity_at"] for a in by_time]
    assert stamps == sorted(stamps, reverse=True)


async def test_the_event_log_runs_to_the_end_by_cursor(setup: Any, clock: FakeClock) -> None:
    emulator, client = setup
    events = await cursor_pages(client)
    assert len({e["id"] for e in events}) == len(events)
    updated = [e["date_updated"] for e in events]
    assert updated == sorted(updated, reverse=True)
    first = events[0]
    assert {"id", "date_created", "date_updated", "organization_id", "user_id", "request_id",
            "api_key_id", "object_type", "object_id", "lead_id", "action", "changed_fields",
            "meta", "data", "previous_data"} <= set(first)  # fmt: skip
    page = (await client.get("/event/", params={"_limit": 50})).json()
    assert len(page["data"]) == min(50, len(events))
    leads = await skip_pages(client, "/lead/")
    lead_events = await cursor_pages(client, object_type="lead", action="created")
    assert {e["object_id"] for e in lead_events} == {lead["id"] for lead in leads}
    assert len(lead_events) == len(leads)
    source = new_source(emulator, clock)
    for entity, object_type in ((Entity.persons, "contact"), (Entity.deals, "opportunity")):
        read = await extract_all(source, entity)
        logged = await cursor_pages(client, object_type=object_type, action="created")
        assert {e["object_id"] for e in logged} == {r["source_id"] for r in read}, entity
    await source.aclose()
    one = lead_events[0]["object_id"]
    of_lead = await cursor_pages(client, lead_id=one)
    assert of_lead and all(e["lead_id"] == one for e in of_lead)
    single = await client.get(f"/event/{first['id']}/")
    assert single.json()["id"] == first["id"]


async def test_custom_fields_are_served_at_the_old_and_the_new_path(setup: Any) -> None:
    _, client = setup
    for kind in ("lead", "contact", "opportunity", "activity"):
        new = await skip_pages(client, f"/custom_field/{kind}/")
        old = await skip_pages(client, f"/custom_fields/{kind}/")
        assert new == old, kind
        if kind != "activity":
            assert new, kind
            one = await client.get(f"/custom_fields/{kind}/{new[0]['id']}/")
            assert one.json() == new[0]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/lead/", {"query": "name:acme"}),
        ("/lead/", {"_order_by": "name"}),
        ("/contact/", {"sort": "name"}),
        ("/opportunity/", {"status_label": "Won"}),
        ("/opportunity/", {"_order_by": "value"}),
        ("/activity/note/", {"_type": "Note"}),
        ("/activity/", {"_type": "Note"}),  # _type only for one lead's activities
        ("/activity/", {"user_id": "user_x"}),
        ("/activity/", {"lead_id": "lead_x", "_type": "NoSuchType"}),
        ("/activity/", {"_order_by": "note"}),
        ("/activity/", {"date_updated__gt": "2026-01-01T00:00:00Z"}),
        ("/event/", {"_skip": "50"}),
        ("/event/", {"_limit": "51"}),
        ("/event/", {"object_type": "lead"}),  # not a documented combination on its own
        ("/event/", {"action": "created", "lead_id": "lead_x"}),
        ("/event/", {"date_created__gte": "2026-01-01T00:00:00Z"}),
        ("/event/", {"_cursor": "not-a-cursor"}),
        ("/custom_fields/lead/", {"name": "x"}),
    ],
)
async def test_a_parameter_it_does_not_serve_is_refused(
    setup: Any, path: str, params: dict[str, str]
) -> None:
    _, client = setup
    answer = await client.get(path, params=params)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["errors"] and body["field-errors"] == {}
