"""HubSpot: a meeting associated with several contacts arrives with the first as its person and
the others as the persons taking part, from the same engagement list (no request per meeting)."""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import Activity, Entity
from adapters.hubspot.render import engagement_ids, hid
from tests.adapters.hubspot.support import new_emulator, new_source, raw_client
from tests.adapters.hubspot.test_source import ENGAGEMENTS, HELD
from tests.adapters.sources import extract_records


def _several() -> list[Activity]:
    return [a for a in HELD.activities if a.participant_source_ids]


async def test_each_meeting_lists_every_contact_and_the_source_reads_them_all() -> None:
    emulator = new_emulator()
    several = _several()
    assert several and any(len(a.participant_source_ids) == 2 for a in several)
    meeting = several[0]
    kind, number = engagement_ids(HELD)[meeting.source_id]
    async with raw_client(emulator) as client:
        answer = await client.get(
            f"/crm/v3/objects/{kind}/{number}", params={"associations": "contacts"}
        )
    assert answer.status_code == 200
    results = answer.json()["associations"]["contacts"]["results"]
    people = [meeting.person_source_id, *meeting.participant_source_ids]
    assert [r["id"] for r in results] == [hid(p) for p in people]
    assert all(isinstance(r["type"], str) for r in results)

    source = new_source(emulator)
    read = {a.source_id: a for a in await extract_records(source, Entity.activities)}
    for activity in several:
        got = read[ENGAGEMENTS[activity.source_id]]
        assert got.person_source_id == hid(activity.person_source_id)
        assert got.participant_source_ids == [hid(p) for p in activity.participant_source_ids]
    alone = [a for a in HELD.activities if a.person_source_id and not a.participant_source_ids]
    assert all(read[ENGAGEMENTS[a.source_id]].participant_source_ids == [] for a in alone)


async def test_a_contact_listed_under_two_association_types_takes_part_once() -> None:
    emulator = new_emulator()
    meeting = _several()[0]
    kind, number = engagement_ids(HELD)[meeting.source_id]
    record: Any = next(
        r for r in emulator.account_of("acme").tables[kind] if r["id"] == str(number)
    )
    first_other = record["_assoc"]["contacts"][1][0]
    record["_assoc"]["contacts"].append((first_other, "meeting_to_contact_unlabeled"))
    source = new_source(emulator)
    read = {a.source_id: a for a in await extract_records(source, Entity.activities)}
    got = read[ENGAGEMENTS[meeting.source_id]]
    assert got.participant_source_ids == [hid(p) for p in meeting.participant_source_ids]
