"""The Salesforce source reads enhanced notes (ContentNote) whole, through the registered system
against its emulator: a note longer than a classic Note's 32,000 characters arrives whole, on
every record it is linked to, and each ContentNote costs one request of its own (its body)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.core.canonical import Entity, Note
from adapters.reference.dataset import generate
from adapters.salesforce.emulator import SalesforceEmulator
from adapters.salesforce.records import NOTE_BODY_LIMIT, ref_id
from adapters.salesforce.render import is_content_note
from adapters.salesforce.runtime import LINKED_OBJECTS, NOTE_BATCH
from adapters.salesforce.system import SALESFORCE

SIZE = 30


class Counting(httpx.AsyncBaseTransport):
    """The emulator's app, each request's path kept."""

    def __init__(self, emulator: SalesforceEmulator) -> None:
        self.inner = httpx.ASGITransport(app=emulator.app)
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


async def notes_read(since: datetime | None = None) -> tuple[dict[str, Note], list[str]]:
    emulator = SALESFORCE.emulator
    assert isinstance(emulator, SalesforceEmulator) and emulator.enhanced_notes
    account = f"cn{datetime.now(UTC).timestamp():.0f}{id(object())}"
    base = f"http://sf.test/{account}"
    credentials = emulator.new_credentials(base)
    emulator.provision(account, credentials, dataset="reference", size=SIZE, limits={})
    transport = Counting(emulator)
    assert SALESFORCE.source_factory is not None
    source: Any = SALESFORCE.source_factory(credentials, base, transport)
    try:
        notes = {
            item.record.source_id: item.record
            async for page in source.extract(Entity.notes, since=since)
            for item in page.items
        }
    finally:
        await source.aclose()
    return notes, transport.paths


async def test_a_long_content_note_is_read_whole_with_its_parents() -> None:
    every = generate(size=SIZE, seed=0).records(Entity.notes)  # leads' notes too
    notes, paths = await notes_read()
    assert len(notes) == len(every)  # classic Notes and ContentNotes, each once
    enhanced = [n for n in every if isinstance(n, Note) and is_content_note(n)]
    long = [n for n in enhanced if len(n.content) > NOTE_BODY_LIMIT]
    assert long and len(enhanced) < len(every)
    for expected in enhanced:
        read = notes[ref_id("ContentNote", expected.source_id) or ""]
        assert read.content == expected.content  # whole, past 32,000 characters
        links = (read.deal_source_id, read.person_source_id, read.org_source_id)
        assert (*links, read.lead_source_id) == (
            ref_id("Opportunity", expected.deal_source_id),
            ref_id("Contact", expected.person_source_id),
            ref_id("Account", expected.org_source_id),
            ref_id("Lead", expected.lead_source_id),
        )
        assert read.owner_source_id == ref_id("User", expected.owner_source_id)
        assert read.add_time == expected.add_time
    assert any(len(notes[ref_id("ContentNote", n.source_id) or ""].content) > 32_000 for n in long)
    # Requests: the links a query per parent object, the notes a query per batch of ids, and
    # one body request per ContentNote (Salesforce serves no bulk read of the blobs).
    bodies = [p for p in paths if p.endswith("/Content")]
    assert len(bodies) == len(enhanced) == len(set(bodies))
    queries = [p for p in paths if p.endswith("/query")]
    classic_pages = 1  # the classic Notes fit one batch of 2,000
    assert len(queries) == classic_pages + len(LINKED_OBJECTS) + math.ceil(
        len(enhanced) / NOTE_BATCH
    )


async def test_a_changed_since_read_asks_only_changed_content_notes_for_their_bodies() -> None:
    every = generate(size=SIZE, seed=0).records(Entity.notes)
    enhanced = [n for n in every if isinstance(n, Note) and is_content_note(n)]
    since = datetime(2025, 12, 1, 1, 30, tzinfo=UTC)  # ContentNote i was modified at hour i
    notes, paths = await notes_read(since)
    content = [n for n in notes if n.startswith("069")]
    assert len(content) == len(enhanced) - 2
    assert len([p for p in paths if p.endswith("/Content")]) == len(enhanced) - 2
