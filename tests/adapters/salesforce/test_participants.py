"""Salesforce: an Event's further contacts (EventRelation invitees) arrive as its participants,
read with one SOQL list for every Event, and the emulator serves them as Shared Activities do."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.core.canonical import Activity, Entity
from adapters.salesforce.records import ref_id
from tests.adapters.salesforce.test_leads_and_files import HELD, SIZE, as_read, sf
from tests.adapters.salesforce.test_salesforce import (
    make_org,
    raw_get,
    read_all,
    source_for,
    token_of,
)

QUERY = "/services/data/v64.0/query?q="


@pytest.fixture
async def org() -> Any:
    emulator, credentials = make_org(SIZE)
    source = source_for(emulator, credentials)
    yield emulator, source
    await source.aclose()


def with_participants(activity: Activity) -> dict[str, Any]:
    data = as_read(activity)
    data["participant_source_ids"] = [sf(p) for p in activity.participant_source_ids]
    return data


async def test_every_activity_arrives_with_the_contacts_taking_part(org: Any) -> None:
    _, source = org
    await source.custom_fields()  # the token and describe calls, once per session
    before = source.client.stats.requests
    read = {r.source_id: r.model_dump() for r in await read_all(source, Entity.activities)}
    # Tasks, Events and the one EventRelation list: no request per Event.
    assert source.client.stats.requests - before == 3
    held = [*HELD.activities, *HELD.lead_activities]
    assert read == {sf(a.source_id): with_participants(a) for a in held}
    several = [a for a in HELD.activities if a.participant_source_ids]
    assert several and all(a.person_source_id for a in several)
    assert any(len(a.participant_source_ids) == 2 for a in several)


async def test_the_org_serves_who_what_and_invitees_as_event_relations(org: Any) -> None:
    emulator, _ = org
    token = await token_of(emulator, emulator.account_of("org1").credentials)
    activity = next(a for a in HELD.activities if a.participant_source_ids)
    event = ref_id("Event", activity.source_id)
    soql = (
        "SELECT EventId, RelationId, IsParent, IsWhat, IsInvitee, Status FROM EventRelation "
        f"WHERE EventId = '{event}' ORDER BY Id"
    )
    answer = await raw_get(emulator, QUERY + soql, token)
    assert answer.status_code == 200
    rows = [(r["RelationId"], r["IsParent"], r["IsWhat"], r["IsInvitee"], r["Status"])
            for r in answer.json()["records"]]  # fmt: skip
    who = (ref_id("Contact", activity.person_source_id), True, False, False, None)
    invitees = [(ref_id("Contact", p), False, False, True, "New")
                for p in activity.participant_source_ids]  # fmt: skip
    assert rows[0] == who and rows[-len(invitees) :] == invitees
    assert all(r["attributes"]["type"] == "EventRelation" for r in answer.json()["records"])
    # Also as the Event's child relationship.
    child = f"SELECT Id, (SELECT RelationId FROM EventRelations) FROM Event WHERE Id = '{event}'"
    nested = (await raw_get(emulator, QUERY + child, token)).json()["records"][0]
    assert len(nested["EventRelations"]["records"]) == len(rows)
