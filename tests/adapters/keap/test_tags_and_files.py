"""Keap's tags and files: a contact's `tag_ids` only when asked for, a company's tags from each
tag's list, every file listed at once and its bytes, base64 in its descriptor, arriving byte for
byte through the source."""

from __future__ import annotations

import base64

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity, File
from adapters.keap.emulator import KeapEmulator
from adapters.keap.render import IDS
from adapters.reference.dataset import generate
from tests.adapters.keap.test_keap import V1, raw, source
from tests.adapters.sources import FakeClock, extract_records, provision

SIZE = 300  # a few persons' files


def setup() -> tuple[KeapEmulator, str, FakeClock]:
    clock = FakeClock()
    emulator = KeapEmulator(clock=clock)
    return emulator, provision(emulator, size=SIZE, burst=100_000)["api_key"], clock


async def test_tag_ids_only_when_asked_and_a_company_listed_under_each_of_its_tags() -> None:
    emulator, key, _ = setup()
    held = emulator.held(generate(size=SIZE, seed=0))
    o1, p1 = held.organizations[0], held.persons[0]
    async with raw(emulator, **{"X-Keap-API-Key": key}) as client:
        plain = (await client.get(f"{V1}/contacts")).json()["contacts"]
        asked = {"optional_properties": "tag_ids"}
        tagged = (await client.get(f"{V1}/contacts", params=asked)).json()["contacts"]
        tags = {t["id"]: t["name"] for t in (await client.get(f"{V1}/tags")).json()["tags"]}
        companies = {
            name: [c["company"]["id"] for c in body["companies"]]
            for tag, name in tags.items()
            if (body := (await client.get(f"{V1}/tags/{tag}/companies")).json())
        }
        missing = await client.get(f"{V1}/tags/1/companies")
    assert "tag_ids" not in plain[0] and "custom_fields" not in tagged[0]
    assert [tags[t] for t in tagged[0]["tag_ids"]] == p1.labels and len(p1.labels) == 2
    assert all(IDS.integer(o1.source_id) in companies[name] for name in o1.labels)
    assert missing.status_code == 404 and "message" in missing.json()


async def test_every_file_downloads_byte_for_byte_through_the_source() -> None:
    emulator, key, clock = setup()
    held = emulator.held(generate(size=SIZE, seed=0))
    src = source(emulator, key, clock)
    files = [f for f in await extract_records(src, Entity.files) if isinstance(f, File)]
    by_id = {str(IDS.integer(f.source_id)): f for f in held.files}
    assert len(files) == len(held.files) > 2 and {f.source_id for f in files} == set(by_id)
    for file in files:
        with Blob(file.name, cap=10 << 20) as blob:
            assert await src.download(file, blob) == file.size
            data = b"".join([chunk async for chunk in blob.chunks()])
        assert data == held.file_bytes[by_id[file.source_id].source_id]
    async with raw(emulator, **{"X-Keap-API-Key": key}) as client:
        path = f"{V1}/files/{files[0].content_ref}"
        bare = (await client.get(path)).json()
        whole = (await client.get(path, params={"optional_properties": "file_data"})).json()
        gone = await client.get(f"{V1}/files/1")
    assert "file_data" not in bare and bare["file_descriptor"]["file_name"] == files[0].name
    assert (
        base64.b64decode(whole["file_data"]) == held.file_bytes[by_id[files[0].source_id].source_id]
    )
    assert gone.status_code == 404
