"""OnePageCRM's attachments through the source, in-process: the files of deals and calls are
listed from the record lists (no request per file), and each downloads byte for byte from the
signed URL its record hands out when read again, however long ago it was listed; an expired
URL is refused with S3's own error."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity
from adapters.onepagecrm.emulator import SIGNED_SECONDS
from adapters.onepagecrm.render import IDS
from adapters.onepagecrm.source import SPEC
from adapters.reference.dataset import generate
from tests.adapters.onepagecrm.test_onepagecrm import SIZE, raw, setup, source
from tests.adapters.sources import extract_records


async def pages_of(client: httpx.AsyncClient, plural: str) -> int:
    answer = (await client.get(f"/{plural}", params={"per_page": 100})).json()
    return int(answer["data"]["max_page"])


async def test_files_are_listed_from_their_records_and_download_byte_for_byte() -> None:
    emulator, creds, clock = setup()
    held = emulator.held(generate(size=SIZE, seed=0))
    reader = source(emulator, creds, clock)
    files = await extract_records(reader, Entity.files)
    async with raw(emulator, creds) as client:
        lists = [await pages_of(client, p) for p in ("deals", "notes", "calls", "meetings")]
    # The record lists (and the field lists the engine reads first) only: none per file.
    assert reader.client.stats.requests == sum(lists) + len(SPEC.field_catalogs)
    by_name = {f.name: f for f in files}
    assert len(files) == len(held.files) >= 5
    # A deal's file stays on the deal, a call's on the call; none on a contact, company or lead.
    assert by_name["Angebot_2026-001.pdf"].deal_source_id == IDS.hex24("d1")
    assert by_name["call-notes.csv"].activity_source_id == IDS.hex24("a1")
    assert by_name["call-notes.csv"].mime_type == "text/csv"
    assert not {"portrait.png", "Lead brief.pdf"} & set(by_name)
    assert not any(f.person_source_id or f.org_source_id for f in files)
    clock.now += 2 * SIGNED_SECONDS  # the URLs listed have expired since
    requests = reader.client.stats.requests
    for file in files:
        want = held.file_bytes[next(f.source_id for f in held.files if f.name == file.name)]
        with Blob(file.name, cap=10 << 20) as blob:
            assert await reader.download(file, blob) == len(want) == file.size
            assert b"".join([chunk async for chunk in blob.chunks()]) == want
    assert reader.client.stats.requests == requests + 2 * len(files)  # its record, its URL
    await reader.aclose()


async def test_a_signed_url_is_fetched_without_credentials_until_it_expires() -> None:
    emulator, creds, clock = setup()
    async with raw(emulator, creds) as client:
        deal = (await client.get(f"/deals/{IDS.hex24('d1')}")).json()["data"]["deal"]
        missing = await client.get(f"/deals/{IDS.hex24('d9999')}")
    assert missing.status_code == 404 and missing.json()["error_message"]
    (item,) = deal["attachments"]
    assert item["filename"] == "Angebot_2026-001.pdf" and item["url_expires_at"].endswith("Z")
    assert set(item) >= {"id", "filename", "size", "storage_provider", "url"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as bare:
        fresh = await bare.get(item["url"])
        tampered = await bare.get(item["url"].replace("X-Amz-Signature=", "X-Amz-Signature=0"))
        clock.now += SIGNED_SECONDS + 1
        expired = await bare.get(item["url"])
    assert fresh.status_code == 200 and fresh.content.startswith(b"%PDF")
    assert fresh.headers["content-length"] == str(item["size"])
    assert tampered.status_code == 403 and b"SignatureDoesNotMatch" in tampered.content
    assert expired.status_code == 403 and expired.headers["content-type"].startswith(
        "application/xml"
    )
    assert b"<Code>AccessDenied</Code><Message>Request has expired" in expired.content


def test_what_cannot_be_attached_is_not_held() -> None:
    emulator: Any = setup()[0]
    held = emulator.held(generate(size=SIZE, seed=0))
    kinds = {a.source_id: a.type for a in held.activities}
    assert all(
        f.deal_source_id or kinds[f.activity_source_id] in ("call", "meeting") for f in held.files
    )
    assert set(held.file_bytes) == {f.source_id for f in held.files}
