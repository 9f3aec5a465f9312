"""The Pipeline CRM source against its emulator: every entity as Pipeline CRM holds the
reference company, pages, a bad key, the emulator's refusals, a 429 waited out, every document's
bytes through its signed link, and people's tags."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.auth import QueryParamAuth
from adapters.core.blobs import Blob
from adapters.core.canonical import Entity, File
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed, UnreadableResponse
from adapters.core.http import RetryPolicy
from adapters.pipelinecrm.emulator import PipelineCrmEmulator
from adapters.pipelinecrm.render import IDS
from adapters.pipelinecrm.source import SPEC
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, provision

SIZE = 250  # more than one page (200) of people


def setup(burst: int = 100_000) -> tuple[PipelineCrmEmulator, str, FakeClock]:
    clock = FakeClock()
    emulator = PipelineCrmEmulator(clock=clock)
    key = provision(emulator, size=SIZE, burst=burst)["api_key"]
    return emulator, key, clock


def source(emulator: PipelineCrmEmulator, key: str, clock: FakeClock) -> DeclarativeSource:
    client = SPEC.client(
        BASE,
        QueryParamAuth("api_key", key),
        httpx.ASGITransport(app=emulator.app),
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=4, wait_initial=0.01),
    )
    return DeclarativeSource(SPEC, client)


def raw(emulator: PipelineCrmEmulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url=f"{BASE}/api/v3"
    )


@pytest.fixture(scope="module")
def world() -> tuple[PipelineCrmEmulator, str, FakeClock]:
    return setup()


async def test_pages_walk_past_the_first(world: Any) -> None:
    async with raw(world[0]) as client:
        first = (await client.get("/people.json", params={"api_key": world[1]})).json()
        second = await client.get("/people.json", params={"api_key": world[1], "page": 2})
    assert first["pagination"] == {
        "page": 1,
        "page_var": "page",
        "per_page": 200,
        "total": SIZE,
        "pages": 2,
    }
    assert len(first["entries"]) == 200 and len(second.json()["entries"]) == SIZE - 200


async def test_a_wrong_key_is_refused(world: Any) -> None:
    with pytest.raises(AuthFailed):
        await source(world[0], "wrong", world[2]).check()
    async with raw(world[0]) as client:
        answer = await client.get("/deals.json", params={"api_key": "wrong"})
    assert answer.status_code == 401 and "error" in answer.json()


async def test_unknown_parameters_and_oversized_pages_are_refused(world: Any) -> None:
    async with raw(world[0]) as client:
        unknown = await client.get("/deals.json", params={"api_key": world[1], "sort": "x"})
        big = await client.get("/deals.json", params={"api_key": world[1], "per_page": 201})
    assert unknown.status_code == 400 and "sort" in unknown.json()["error"]
    assert big.status_code == 400


async def test_a_429_is_waited_out_and_retried() -> None:
    emulator, key, clock = setup(burst=2)
    async with raw(emulator) as client:
        for _ in range(2):
            assert (await client.get("/users.json", params={"api_key": key})).status_code == 200
        over = await client.get("/users.json", params={"api_key": key})
    assert over.status_code == 429 and over.headers["retry-after"] == "1"
    assert over.headers["x-ratelimit-remaining"] == "0" and "error" in over.json()
    users = await extract_records(source(emulator, key, clock), Entity.users)
    assert len(users) == 6 and clock.slept


async def test_every_document_downloads_byte_for_byte(world: Any) -> None:
    emulator, key, clock = world
    company = emulator.held(generate(size=SIZE, seed=0))
    files = await extract_records(source(emulator, key, clock), Entity.files)
    assert {f.name for f in files} == {f.name for f in company.files} and len(files) >= 4
    by_id = {str(IDS.integer(f.source_id)): company.file_bytes[f.source_id] for f in company.files}
    reader = source(emulator, key, clock)
    for record in files:
        assert isinstance(record, File)
        with Blob(record.name, cap=10_000_000) as blob:
            written = await reader.download(record, blob)
            got = b"".join([chunk async for chunk in blob.chunks()])
        assert written == len(got) and got == by_id[record.source_id], record.name


async def test_the_signed_link_serves_the_bytes_without_the_key_until_it_expires(
    world: Any,
) -> None:
    emulator, key, clock = world
    async with raw(emulator) as client:
        listed = (await client.get("/documents.json", params={"api_key": key})).json()
        doc = next(d for d in listed["entries"] if d["title"].endswith(".png"))
        one = (await client.get(f"/documents/{doc['id']}.json", params={"api_key": key})).json()
        link = one["public_link"]
        assert key not in link and one["size_in_k"] == doc["size_in_k"] >= 1
        answer = await client.get(link)
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        assert answer.headers["content-length"] == str(len(answer.content))
        assert answer.content.startswith(b"\x89PNG")
        forged = await client.get(link.replace("Signature=", "Signature=0"))
        clock.now += 3601
        expired = await client.get(link)
        clock.now -= 3601
        missing = await client.get("/documents/1.json", params={"api_key": key})
    assert forged.status_code == expired.status_code == 403
    assert b"AccessDenied" in expired.content
    assert missing.status_code == 404 and missing.json() == {"error": "Document not found"}


async def test_a_download_cut_short_is_an_error() -> None:
    emulator, key, clock = setup()
    company = emulator.held(generate(size=SIZE, seed=0))
    big = max(company.files, key=lambda f: len(company.file_bytes[f.source_id]))
    emulator.cut_short.add(IDS.integer(big.source_id) or 0)
    files = await extract_records(source(emulator, key, clock), Entity.files)
    record = next(f for f in files if f.name == big.name)
    assert isinstance(record, File)
    with Blob(record.name, cap=10_000_000) as blob, pytest.raises(UnreadableResponse):
        await source(emulator, key, clock).download(record, blob)


async def test_people_carry_their_tags_as_labels(world: Any) -> None:
    emulator, key, clock = world
    company = emulator.held(generate(size=SIZE, seed=0))
    people = await extract_records(source(emulator, key, clock), Entity.persons)
    labels = {p.source_id: p.labels for p in people}
    want = {str(IDS.integer(p.source_id)): p.labels for p in company.persons}
    assert labels == want and any(len(v) == 2 for v in labels.values())
    assert "VIP – Ważny" in {name for names in labels.values() for name in names}
