"""Dynamics 365: an appointment's further contacts are more required attendees in its party list
(expanded with the appointment list, no request per activity); an optional attendee or a further
recipient takes part too, each contact once and never the main person again."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.core.canonical import Entity
from adapters.dynamics365.shapes import FORMATTED, OPTIONAL_ATTENDEE, REQUIRED_ATTENDEE, guid
from tests.adapters.dynamics365.support import (
    ReferenceIds,
    held_company,
    new_account,
    new_source,
)
from tests.adapters.dynamics365.test_emulator import LOOKUP, ORG, token
from tests.adapters.sources import extract_records

HELD = held_company()
SEVERAL = [a for a in HELD.activities if a.participant_source_ids]
PARTIES = "appointment_activity_parties($select=_partyid_value,participationtypemask)"


async def test_the_appointment_lists_its_further_contacts_as_required_attendees() -> None:
    assert SEVERAL and all(a.type == "meeting" for a in SEVERAL)  # lunches are appointments too
    emulator, credentials = new_account()
    meeting = SEVERAL[0]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as http:
        answer = await token(http, credentials)
        http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        prefer = {"Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"'}
        params = {"$select": "activityid", "$expand": PARTIES,
                  "$filter": f"activityid eq {guid(meeting.source_id)}"}  # fmt: skip
        rows = (await http.get(f"{ORG}/appointments", params=params, headers=prefer)).json()
    (appointment,) = rows["value"]
    contacts = [
        p["_partyid_value"]
        for p in appointment["appointment_activity_parties"]
        if p[f"_partyid_value{LOOKUP}"] == "contact"
        and p["participationtypemask"] == REQUIRED_ATTENDEE
    ]
    people = [meeting.person_source_id, *meeting.participant_source_ids]
    assert contacts == [guid(p) for p in people if p]


async def test_every_activity_reads_its_participants_in_the_list_pages() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    ids = ReferenceIds(HELD)
    read = {
        r["source_id"]: r for r in map(ids.record, await extract_records(source, Entity.activities))
    }
    for activity in HELD.activities:
        assert read[activity.source_id]["participant_source_ids"] == activity.participant_source_ids
    assert any(len(a.participant_source_ids) == 2 for a in SEVERAL)
    await source.aclose()


async def test_an_optional_attendee_takes_part_and_the_main_one_only_once() -> None:
    emulator, credentials = new_account()
    meeting = SEVERAL[0]
    extra = next(p for p in HELD.persons
                 if p.source_id not in {meeting.person_source_id, *meeting.participant_source_ids})  # fmt: skip
    parties: list[Any] = emulator.account_of("acme").tables["activityparties"]
    main = next(
        p for p in parties
        if p["_activityid_value"] == guid(meeting.source_id)
        and p["_partyid_value"] == guid(meeting.person_source_id or "")
    )  # fmt: skip
    names = {p.source_id: p.name for p in HELD.persons}
    for n, who in enumerate((extra.source_id, meeting.person_source_id or "")):
        parties.append({**main, "activitypartyid": guid(f"optional:{n}"),
                        "_partyid_value": guid(who), f"_partyid_value@{FORMATTED}": names[who],
                        "participationtypemask": OPTIONAL_ATTENDEE})  # fmt: skip
    source = new_source(emulator, credentials)
    ids = ReferenceIds(HELD)
    read = {
        r["source_id"]: r for r in map(ids.record, await extract_records(source, Entity.activities))
    }
    got = read[meeting.source_id]
    assert got["person_source_id"] == meeting.person_source_id
    assert got["participant_source_ids"] == [*meeting.participant_source_ids, extra.source_id]
    await source.aclose()
