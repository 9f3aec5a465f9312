"""Salesforce's leads and files through the source, in process: open leads as their own person
and company, their notes and tasks, every file listed with its record and downloaded byte for
byte from VersionData, and a download cut short refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity, File, Record
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import UnreadableResponse
from adapters.reference.dataset import generate
from adapters.reference.ids import kind_and_number
from adapters.salesforce.attachments import FILE_NUMBERS
from adapters.salesforce.emulator import SalesforceEmulator
from adapters.salesforce.prospects import CONVERTED_LEAD
from adapters.salesforce.records import TASK_TYPES, ref_id, sf_id
from adapters.salesforce.runtime import LINKED_OBJECTS
from adapters.salesforce.source import SPEC, auth_from
from tests.adapters.salesforce.test_salesforce import (
    BASE,
    make_org,
    raw_get,
    read_all,
    source_for,
    token_of,
)

SIZE = 30
HELD = SalesforceEmulator().held(generate(size=SIZE, seed=0))
OBJECTS = {
    "d": "Opportunity",
    "p": "Contact",
    "o": "Account",
    "l": "Lead",
    "u": "User",
    "n": "Note",
}


def sf(reference: str | None) -> str | None:
    """The Salesforce id of a reference id as the source reads it."""
    if reference is None:
        return None
    kind, number = kind_and_number(reference)
    if kind == "fl":
        return sf_id("ContentDocument", FILE_NUMBERS + number)
    if kind == "a":
        activity = next(
            a for a in HELD.activities + HELD.lead_activities if a.source_id == reference
        )
        return ref_id("Task" if activity.type in TASK_TYPES else "Event", reference)
    return ref_id(OBJECTS[kind], reference)


def as_read(record: Record) -> dict[str, Any]:
    """A held record with Salesforce's ids in place of the reference ones."""
    data = record.model_dump()
    for key, value in data.items():
        if key == "source_id" or key.endswith("_source_id"):
            data[key] = sf(value)
    if isinstance(record, File):
        number = FILE_NUMBERS + kind_and_number(record.source_id)[1]
        data["content_ref"] = sf_id("ContentVersion", number)
    return data


@pytest.fixture
async def org() -> Any:
    emulator, credentials = make_org(SIZE)
    source = source_for(emulator, credentials)
    yield emulator, source
    await source.aclose()


async def test_open_leads_arrive_each_with_its_own_person_and_company(org: Any) -> None:
    _, source = org
    leads = {r.source_id: r.model_dump() for r in await read_all(source, Entity.leads)}
    assert leads == {sf(lead.source_id): as_read(lead) for lead in HELD.leads}
    assert sf_id("Lead", CONVERTED_LEAD) not in leads  # converted: it is its contact now
    l1, l2, l3 = (leads[sf(key)] for key in ("l1", "l2", "l3"))
    assert l1["title"] == "Zażółć Gęślą-Jaźń 🚀" and l1["org_source_id"] is None
    assert l2["person_source_id"] is None and l2["org_source_id"] == sf("l2")
    assert l3["person_source_id"] == l3["org_source_id"] == l3["source_id"]
    for entity, held in (
        (Entity.persons, HELD.persons),
        (Entity.organizations, HELD.organizations),
    ):
        read = {r.source_id: r.model_dump() for r in await read_all(source, entity)}
        from_leads = [r for r in held if r.source_id.startswith("l")]
        assert from_leads and all(read[sf(r.source_id)] == as_read(r) for r in from_leads)
    person = next(p for p in HELD.persons if p.source_id == "l1")
    assert [e.value for e in person.emails] == ["zazolc.gesla-jazn@example.pl"]  # one Email


async def test_a_leads_notes_and_tasks_name_the_lead(org: Any) -> None:
    _, source = org
    notes = {r.source_id: r for r in await read_all(source, Entity.notes)}
    activities = {r.source_id: r for r in await read_all(source, Entity.activities)}
    for note in HELD.lead_notes:
        assert notes[sf(note.source_id) or ""].model_dump() == as_read(note)
    assert HELD.lead_activities
    for activity in HELD.lead_activities:
        assert activities[sf(activity.source_id) or ""].model_dump() == as_read(activity)


async def test_files_are_listed_with_their_records_and_no_request_each(org: Any) -> None:
    _, source = org
    await source.custom_fields()  # the describe calls, once per session
    before = source.client.stats.requests
    files = {r.source_id: r.model_dump() for r in await read_all(source, Entity.files)}
    # The links to each parent object's records, a query each; nothing per file.
    assert source.client.stats.requests - before == len(LINKED_OBJECTS)
    assert files == {sf(f.source_id): as_read(f) for f in HELD.files}
    assert {f["name"] for f in files.values()} >= {"Umowa – Zażółć gęślą jaźń 契約.txt"}
    by_ref = {f.source_id: files[sf(f.source_id)] for f in HELD.files}
    assert by_ref["fl5"]["lead_source_id"] == sf("l1")
    assert by_ref["fl6"]["activity_source_id"] == sf("a1")
    assert {f["mime_type"] for f in files.values()} >= {"application/pdf", "image/png", "text/csv"}


async def test_every_file_downloads_byte_for_byte(org: Any) -> None:
    emulator, source = org
    files = [f for f in await read_all(source, Entity.files) if isinstance(f, File)]
    content = {sf(key): data for key, data in HELD.file_bytes.items()}
    assert len(files) == len(content) and any(len(data) > 1_000_000 for data in content.values())
    before = source.client.stats.requests
    for file in files:
        with Blob(file.name, cap=10_000_000) as blob:
            assert await source.download(file, blob) == blob.size == file.size
            got = b"".join([chunk async for chunk in blob.chunks()])
        assert got == content[file.source_id], file.name
    assert source.client.stats.requests - before == len(files)  # one VersionData each
    # The documented blob route, binary with its length.
    token = await token_of(emulator, emulator.account_of("org1").credentials)
    named = next(f for f in files if f.name.startswith("Umowa"))
    answer = await raw_get(
        emulator, f"/services/data/v64.0/sobjects/ContentVersion/{named.content_ref}/VersionData",
        token,
    )  # fmt: skip
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-length"] == str(named.size) and answer.content.decode() == (
        "Umowa ramowa: zażółć gęślą jaźń. 契約書。\n"
    )


async def test_a_download_cut_short_is_an_error_not_a_shorter_file() -> None:
    emulator = SalesforceEmulator(cut_downloads=True)
    credentials = emulator.new_credentials(BASE)
    emulator.provision("org1", credentials, dataset="reference", size=SIZE, limits={})
    transport = httpx.ASGITransport(app=emulator.app)
    client = SPEC.client(BASE, auth_from(credentials, BASE), transport, sleep=_no_wait)
    source = DeclarativeSource(SPEC, client)  # retried at once: no test sleeps
    try:
        files = [f for f in await read_all(source, Entity.files) if isinstance(f, File)]
        video = next(f for f in files if f.size and f.size > 1_000_000)
        with Blob(video.name, cap=10_000_000) as blob, pytest.raises(UnreadableResponse):
            await source.download(video, blob)
    finally:
        await source.aclose()


async def _no_wait(seconds: float) -> None:
    return None
