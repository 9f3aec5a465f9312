"""HubSpot's leads and attached files: every file's bytes through the source's download, the
signed URL's headers and expiry, a download cut short, and what a lead keeps."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity, File
from adapters.core.errors import UnreadableResponse
from adapters.hubspot.render import hid
from adapters.hubspot.source import LEADS
from adapters.reference.dataset import generate
from tests.adapters.hubspot.support import SIZE, FakeClock, new_emulator, new_source, raw_client
from tests.adapters.sources import extract_records

HELD = new_emulator().held(generate(size=SIZE, seed=0))
BYTES = {hid(f.source_id): HELD.file_bytes[f.source_id] for f in HELD.files}


@pytest.fixture(scope="module")
def emulator() -> Any:
    return new_emulator()


async def _files(source: Any) -> list[File]:
    files = await extract_records(source, Entity.files)
    assert all(isinstance(f, File) for f in files)
    return files  # type: ignore[return-value]


async def test_every_file_downloads_byte_for_byte(emulator: Any) -> None:
    source = new_source(emulator)
    await source.custom_fields()  # the property catalogues, read once per session
    before = source.client.stats.requests
    files = await _files(source)
    # One list a kind of engagement and one of the file manager: no request per record.
    assert source.client.stats.requests - before == 5 + 1
    assert sorted(f.content_ref for f in files) == sorted(BYTES)
    before = source.client.stats.requests
    for file in files:
        with Blob(file.name, cap=10_000_000) as blob:
            written = await source.download(file, blob)
            assert written == blob.size == file.size
            got = b"".join([chunk async for chunk in blob.chunks()])
        assert got == BYTES[file.content_ref], file.name
    assert source.client.stats.requests - before == 2 * len(files)  # a signed URL, its bytes


async def test_the_signed_url_serves_the_bytes_with_their_type_length_and_name() -> None:
    clock = FakeClock()
    emulator = new_emulator(clock)
    file_id = hid("fl3")  # "Umowa – Zażółć gęślą jaźń 契約.txt"
    async with raw_client(emulator) as client:
        meta = (await client.get(f"/files/v3/files/{file_id}")).json()
        assert (meta["name"], meta["extension"]) == ("Umowa – Zażółć gęślą jaźń 契約", "txt")
        signed = (await client.get(f"/files/v3/files/{file_id}/signed-url")).json()
        assert signed["size"] == len(BYTES[file_id]) and signed["expiresAt"]
        # A signed URL is fetched with no credentials.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as bare:
            answer = await bare.get(signed["url"])
            assert answer.content == BYTES[file_id]
            assert answer.headers["content-type"].startswith("text/plain")
            assert answer.headers["content-length"] == str(len(BYTES[file_id]))
            disposition = answer.headers["content-disposition"]
            name = unquote(disposition.split("filename*=UTF-8''")[1])
            assert name == "Umowa – Zażółć gęślą jaźń 契約.txt"
            clock.now += 3601  # an hour by default
            assert (await bare.get(signed["url"])).status_code == 403
        missing = await client.get("/files/v3/files/1/signed-url")
        assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"


async def test_a_download_cut_short_is_an_error_not_a_shorter_file() -> None:
    emulator = new_emulator()
    emulator.cut_short.add(hid("fl4") or "")  # the 1.5 MB video
    source = new_source(emulator)
    [video] = [f for f in await _files(source) if f.content_ref == hid("fl4")]
    with Blob(video.name, cap=10_000_000) as blob, pytest.raises(UnreadableResponse):
        await source.download(video, blob)


async def test_files_hang_on_the_notes_record_and_carrier_notes_are_no_notes(
    emulator: Any,
) -> None:
    source = new_source(emulator)
    files = {f.content_ref: f for f in await _files(source)}
    assert files[hid("fl1")].deal_source_id == hid("d1")
    assert files[hid("fl5")].lead_source_id == hid("l1")
    assert (files[hid("fl6")].activity_source_id or "").startswith(("call:", "meeting:", "task:"))
    assert files[hid("fl2")].mime_type == "image/png"  # from the extension: HubSpot has none
    notes = await extract_records(source, Entity.notes)
    assert len(notes) == len(HELD.records(Entity.notes))
    assert all(n.content for n in notes)


async def test_a_lead_keeps_its_contact_and_one_label_and_its_notes_and_tasks(
    emulator: Any,
) -> None:
    source = new_source(emulator)
    leads = {lead.source_id: lead for lead in await extract_records(source, Entity.leads)}
    l1 = leads[hid("l1") or ""]
    assert (l1.person_source_id, l1.labels, l1.value) == (hid("p1"), ["Hot"], None)
    assert hid("l2") not in leads  # a company's lead without a contact cannot be in HubSpot
    notes = await extract_records(source, Entity.notes)
    assert {n.lead_source_id for n in notes if n.lead_source_id} == {hid("l1"), hid("l3")}
    activities = await extract_records(source, Entity.activities)
    [call] = [a for a in activities if a.lead_source_id]
    assert (call.type, call.lead_source_id, call.done) == ("call", hid("l1"), False)
    qualified = {"properties": {"hs_pipeline_stage": "qualified-stage-id"}}
    assert LEADS.keep is not None and not LEADS.keep(qualified)  # become a deal: not a lead
