"""Zendesk Sell's leads (each a person and a company of its own), tags and documents: every
document byte for byte through the source, the documented list and its signed download URL,
and a download cut short."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity, File
from adapters.core.emulation import reference_company
from adapters.core.errors import UnreadableResponse
from adapters.zendesk_sell.render import IDS, held
from tests.adapters.sources import extract_records
from tests.adapters.zendesk_sell.test_zendesk_sell import SIZE, raw, setup, source


def sid(reference_id: str) -> str:
    return str(IDS.integer(reference_id))


@pytest.fixture(scope="module")
def world() -> Any:
    return setup()


@pytest.fixture(scope="module")
def kept() -> Any:
    return held(reference_company("reference", SIZE))


async def test_every_document_downloads_byte_for_byte(world: Any, kept: Any) -> None:
    reader = source(*world)
    files = await extract_records(reader, Entity.files)
    assert sorted(f.source_id for f in files) == sorted(sid(f.source_id) for f in kept.files)
    before = reader.client.stats.requests
    by_id = {sid(f.source_id): f.source_id for f in kept.files}
    for file in files:
        assert isinstance(file, File)
        with Blob(file.name, cap=10_000_000) as blob:
            assert await reader.download(file, blob) == blob.size == file.size
            got = b"".join([chunk async for chunk in blob.chunks()])
        assert got == kept.file_bytes[by_id[file.source_id]], file.name
    assert reader.client.stats.requests - before == 2 * len(files)  # a fresh URL, its bytes


async def test_documents_are_listed_for_many_records_and_served_by_a_signed_url(
    world: Any, kept: Any
) -> None:
    emulator, token, clock = world
    deals = ",".join(sid(d.source_id) for d in kept.deals[:100])
    async with raw(emulator, token) as client:
        refused = await client.get("/documents", params={"resource_type": "deal"})
        listed = await client.get(
            "/documents", params={"resource_type": "deal", "resource_id": deals}
        )
    assert refused.status_code == 400
    on_deals = {
        f.source_id
        for f in kept.files
        if f.deal_source_id in {d.source_id for d in kept.deals[:100]}
    }
    items = listed.json()["items"]
    assert {str(i["data"]["id"]) for i in items} == {sid(x) for x in on_deals}
    pdf = next(i["data"] for i in items if i["data"]["id"] == IDS.integer("fl1"))
    assert pdf["resource_type"] == "deal" and pdf["content_type"] == "application/pdf"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as bare:
        answer = await bare.get(pdf["download_url"])  # no token, no User-Agent
        assert answer.status_code == 200 and answer.content == kept.file_bytes["fl1"]
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["content-length"] == str(pdf["size"])
        forged = await bare.get(pdf["download_url"].replace("Signature=", "Signature=0"))
        clock.now += 90 * 60 + 1
        expired = await bare.get(pdf["download_url"])
    assert forged.status_code == expired.status_code == 403


async def test_a_download_cut_short_is_an_error_not_a_shorter_file() -> None:
    emulator, token, clock = setup()
    emulator.cut_short.add(IDS.integer("fl4") or 0)  # the 1.5 MB file
    reader = source(emulator, token, clock)
    [big] = [f for f in await extract_records(reader, Entity.files) if f.source_id == sid("fl4")]
    assert isinstance(big, File)
    with Blob(big.name, cap=10_000_000) as blob, pytest.raises(UnreadableResponse):
        await reader.download(big, blob)


async def test_leads_are_their_own_person_and_company_with_tags_notes_and_calls(
    world: Any,
) -> None:
    reader = source(*world)
    leads: dict[str, Any] = {r.source_id: r for r in await extract_records(reader, Entity.leads)}
    persons: dict[str, Any] = {
        r.source_id: r for r in await extract_records(reader, Entity.persons)
    }
    orgs: dict[str, Any] = {
        r.source_id: r for r in await extract_records(reader, Entity.organizations)
    }
    l1, l2, l3 = (leads[sid(x)] for x in ("l1", "l2", "l3"))
    assert l1.person_source_id == sid("l1") and l1.org_source_id is None
    assert l1.labels == ["Hot", "Webinar"] and l1.value is None  # a Sell lead has no value
    assert l2.person_source_id is None and orgs[sid("l2")].name == l2.title
    assert persons[sid("l3")].org_source_id == sid("l3")
    assert l3.title == f"{persons[sid('l3')].name} ({orgs[sid('l3')].name})"
    assert persons[sid("p1")].labels and orgs[sid("o1")].labels  # tags of contacts
    notes: list[Any] = await extract_records(reader, Entity.notes)
    activities: list[Any] = await extract_records(reader, Entity.activities)
    assert any(n.lead_source_id == sid("l1") for n in notes)
    assert {a.type for a in activities if a.lead_source_id} == {"call", "task"}
