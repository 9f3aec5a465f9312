"""Dynamics 365 leads and attachments: every file's bytes through the source as the reference
company has them, a download cut short is an error, and leads that name no contact or account arrive with a person and an organization of their own."""

from __future__ import annotations

import pytest

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity, File
from adapters.core.errors import UnreadableResponse
from adapters.dynamics365.shapes import guid
from tests.adapters.dynamics365.support import ReferenceIds, held_company, new_account, new_source
from tests.adapters.sources import extract_records


async def test_every_file_downloads_byte_for_byte() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    held = held_company()
    ids = ReferenceIds(held)
    await extract_records(source, Entity.users)  # the token and field catalogs, read once
    before = source.client.stats.requests
    files = await extract_records(source, Entity.files)
    listed = source.client.stats.requests
    assert listed - before == 1  # one list of attachments, without their bytes
    assert {ids.ids[f.source_id] for f in files} == set(held.file_bytes)
    for record in files:
        assert isinstance(record, File)
        want = held.file_bytes[ids.ids[record.source_id]]
        with Blob(record.name, cap=10 << 20) as blob:
            assert await source.download(record, blob) == len(want) == record.size
            blob.seek(0)
            assert b"".join([chunk async for chunk in blob.chunks()]) == want
    names = {ids.ids[f.source_id]: f.name for f in files if isinstance(f, File)}
    assert names["fl3"] == "Umowa – Zażółć gęślą jaźń 契約.txt"
    assert source.client.stats.requests - listed == len(files)  # one request per file
    await source.aclose()


async def test_a_download_cut_short_is_an_error_not_a_shorter_file() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    files = [f for f in await extract_records(source, Entity.files) if isinstance(f, File)]
    big = next(f for f in files if (f.size or 0) > 10**6)
    emulator.cut_short.add(big.source_id)
    with Blob(big.name, cap=10 << 20) as blob, pytest.raises(UnreadableResponse):
        await source.download(big, blob)
    await source.aclose()


async def test_a_lead_of_its_own_brings_its_person_and_organization() -> None:
    """A lead naming no existing contact or account is a person and an organization of its
    own (the lead's id); a qualified lead is an opportunity already and is not read."""
    emulator, credentials = new_account()
    leads = emulator.account_of("acme").tables["leads"]
    own = {
        **{column: None for column in leads[0]},
        "leadid": guid("own-lead"),
        "subject": "Messe München",
        "firstname": "Jürgen",
        "lastname": "Weiß",
        "fullname": "Jürgen Weiß",
        "companyname": "Weiß & Söhne GmbH",
        "emailaddress1": "jw@example.de",
        "statecode": 0,
        "createdon": "2026-01-10T08:00:00Z",
        "modifiedon": "2026-01-10T08:00:00Z",
    }
    qualified = {**leads[0], "leadid": guid("qualified"), "statecode": 1, "statuscode": 3}
    leads += [own, qualified]
    source = new_source(emulator, credentials)
    read = {r.source_id: r for r in await extract_records(source, Entity.leads)}
    assert len(read) == len(held_company().leads) + 1 and guid("qualified") not in read
    lead = read[guid("own-lead")]
    assert (lead.person_source_id, lead.org_source_id) == (guid("own-lead"),) * 2  # type: ignore[attr-defined]
    persons = {r.source_id: r for r in await extract_records(source, Entity.persons)}
    person = persons[guid("own-lead")]
    assert (person.name, person.org_source_id) == ("Jürgen Weiß", guid("own-lead"))  # type: ignore[attr-defined]
    assert [e.value for e in person.emails] == ["jw@example.de"]  # type: ignore[attr-defined]
    orgs = {r.source_id: r for r in await extract_records(source, Entity.organizations)}
    assert orgs[guid("own-lead")].name == "Weiß & Söhne GmbH"  # type: ignore[attr-defined]
    assert len(persons) == len(held_company().persons) + 1
    await source.aclose()


async def test_lead_notes_and_activities_name_the_lead() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    held = held_company()
    ids = ReferenceIds(held)
    notes = [ids.record(n) for n in await extract_records(source, Entity.notes)]
    on_leads = {n["source_id"]: n["lead_source_id"] for n in notes if n["lead_source_id"]}
    assert on_leads == {n.source_id: n.lead_source_id for n in held.lead_notes} != {}
    calls = [ids.record(a) for a in await extract_records(source, Entity.activities)]
    on_leads = {a["source_id"]: a["lead_source_id"] for a in calls if a["lead_source_id"]}
    assert on_leads == {a.source_id: a.lead_source_id for a in held.lead_activities} != {}
    await source.aclose()
