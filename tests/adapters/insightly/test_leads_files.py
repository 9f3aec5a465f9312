"""Insightly's leads, tags and file attachments through the source, in-process: an open lead
comes with a person (and a company) of its own, a converted one stays out, tags are labels, and
every attached file arrives byte for byte at one FileAttachments list per record."""

from __future__ import annotations

import urllib.parse

import pytest

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity, File
from adapters.insightly.render import CONVERTED_LEAD_ID, insightly_id
from tests.adapters.insightly.support import (
    FakeClock,
    extract_all,
    held_company,
    new_emulator,
    new_source,
)
from tests.adapters.sources import extract_records


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def lead(reference_id: str) -> str:
    return str(insightly_id(reference_id))


async def test_open_leads_arrive_with_a_person_and_a_company_of_their_own(
    clock: FakeClock,
) -> None:
    source = new_source(new_emulator(clock), clock)
    read = {
        entity: {r["source_id"]: r for r in await extract_all(source, entity)}
        for entity in (Entity.leads, Entity.persons, Entity.organizations, Entity.notes)
    }
    leads, persons, orgs = read[Entity.leads], read[Entity.persons], read[Entity.organizations]
    assert str(CONVERTED_LEAD_ID) not in leads and len(leads) == 3  # converted: its contact
    l1, l2, l3 = (leads[lead(n)] for n in ("l1", "l2", "l3"))
    # l1: p1's lead: p1's name, primary e-mail, PHONE and MOBILE; its tags are its labels.
    assert (l1["title"], l1["labels"]) == ("Zażółć Gęślą-Jaźń 🚀", ["Hot", "Webinar"])
    assert l1["value"] is None and l1["org_source_id"] is None  # no value, no company
    own = persons[l1["person_source_id"]]
    assert own["source_id"] == f"lead-{lead('l1')}" and own["owner_source_id"] == "1100001"
    assert [e["value"] for e in own["emails"]] == ["zazolc.gesla-jazn@example.pl"]
    assert [(p["label"], p["primary"]) for p in own["phones"]] == [
        ("work", True),
        ("mobile", False),
    ]
    # l2: an organisation's lead: the company's name is its LAST_NAME too.
    assert persons[l2["person_source_id"]]["name"] == l2["title"] == "株式会社サンプル"
    assert orgs[l2["org_source_id"]]["name"] == "株式会社サンプル"
    # l3: 山田 太郎 at o2, as an organization of the lead's own (ORGANISATION_NAME is text).
    assert l3["title"] == "太郎 山田 (株式会社サンプル)"
    assert persons[l3["person_source_id"]]["org_source_id"] == l3["org_source_id"]
    # A lead's note hangs on the lead (LINKS to a Lead), not on a person.
    n31 = read[Entity.notes][lead("n31")]
    assert n31["lead_source_id"] == lead("l1") and n31["person_source_id"] is None
    # Tags: o1, p1 and d1 carry two each.
    assert (
        orgs[lead("o1")]["labels"]
        == persons[lead("p1")]["labels"]
        == [
            "Customer",
            "VIP – Ważny",
        ]
    )
    await source.aclose()


async def test_every_file_downloads_byte_for_byte_at_a_request_per_record(
    clock: FakeClock,
) -> None:
    source = new_source(new_emulator(clock), clock)
    held = held_company()
    files = await extract_records(source, Entity.files)
    # The four custom field lists, one brief id list of organisations, contacts, opportunities
    # and leads, then one FileAttachments list per organisation, contact, opportunity and open
    # lead (answered; a burst past 50 a second is a 429 waited out).
    own = {lead.source_id for lead in held.leads}
    records = [r for e in (Entity.organizations, Entity.persons) for r in held.records(e)]
    parents = sum(r.source_id not in own for r in records) + len(held.deals) + len(held.leads)
    assert source.client.stats.by_status[200] == 4 + 4 + parents
    by_id = {lead(f.source_id): f.source_id for f in held.files}
    assert {by_id[f.source_id] for f in files} == set(held.file_bytes)  # all but fl6 (a task's)
    for file in files:
        assert isinstance(file, File)
        with Blob(file.name, cap=2 << 20) as blob:
            written = await source.download(file, blob)
            data = b"".join([chunk async for chunk in blob.chunks()])
        want = held.file_bytes[by_id[file.source_id]]
        assert written == file.size == len(want) and data == want, file.name
    await source.aclose()


async def test_a_download_answers_its_type_length_and_name(clock: FakeClock) -> None:
    source = new_source(new_emulator(clock), clock)
    files = [f for f in await extract_records(source, Entity.files) if isinstance(f, File)]
    [o1_file] = [f for f in files if f.org_source_id]
    name = "Umowa – Zażółć gęślą jaźń 契約.txt"
    assert (o1_file.name, o1_file.mime_type) == (name, "text/plain")
    path = f"/v3.1/FileAttachments/{o1_file.content_ref}"
    response = await source.client.request("GET", path)
    assert response.headers["content-type"].startswith("text/plain")
    assert int(response.headers["content-length"]) == len(response.content) == o1_file.size
    given = response.headers["content-disposition"].split("filename*=UTF-8''")[1]
    assert urllib.parse.unquote(given) == name
    meta = (await source.client.request("GET", path, params={"format": "JSON"})).json()
    assert (meta["FILE_NAME"], meta["FILE_SIZE"]) == (name, o1_file.size)
    assert not [k for k in meta if k.startswith("_")]
    missing = await source.client.request("GET", "/v3.1/FileAttachments/1")
    assert missing.status_code == 404
    assert missing.json() == {"Message": "File Attachment not found."}
    unknown = await source.client.request("GET", "/v3.1/Contacts/1/FileAttachments")
    assert unknown.status_code == 404 and unknown.json() == {"Message": "Record not found."}
    await source.aclose()
