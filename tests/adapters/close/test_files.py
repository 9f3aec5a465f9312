"""Close's attachments through the source, in-process: every file the held company keeps is
listed from the note and e-mail lists and downloads byte for byte from its URL."""

from __future__ import annotations

import httpx

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity
from tests.adapters.close.support import (
    API_KEY,
    FakeClock,
    held_company,
    new_emulator,
    new_source,
)
from tests.adapters.sources import extract_records


async def test_every_file_downloads_byte_for_byte_from_its_url() -> None:
    clock = FakeClock()
    emulator = new_emulator(clock)
    source = new_source(emulator, clock)
    held = held_company()
    files = await extract_records(source, Entity.files)
    by_name = {f.name: f for f in files}
    # On the lead (company) of its deal; a lead's file and a call's have nowhere to go.
    assert (
        by_name["Angebot_2026-001.pdf"].org_source_id and not by_name["portrait.png"].deal_source_id
    )
    assert "Lead brief.pdf" not in by_name and "call-notes.csv" not in by_name
    assert len(files) == len(held.files) >= 5
    requests = source.client.stats.requests
    for file in files:
        want = held.file_bytes[next(f.source_id for f in held.files if f.name == file.name)]
        with Blob(file.name, cap=10 << 20) as blob:
            assert await source.download(file, blob) == len(want) == file.size
            assert b"".join([chunk async for chunk in blob.chunks()]) == want
    assert source.client.stats.requests == requests + len(files)  # one request a file
    await source.aclose()
    text = by_name["Umowa – Zażółć gęślą jaźń 契約.txt"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as client:
        answer = await client.get(text.content_ref, auth=(API_KEY, ""))
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.headers["content-length"] == str(text.size)
        assert "filename*=UTF-8''Umowa%20" in answer.headers["content-disposition"]
        refused = await client.get(text.content_ref, auth=("api_wrong", ""))
        assert refused.status_code == 401
