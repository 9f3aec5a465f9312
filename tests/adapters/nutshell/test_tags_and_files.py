"""Nutshell's tags and lead files: tags on accounts, contacts and leads read as labels; every
lead's `file` array listed with the leads, each file's bytes at its `uri` (Basic auth, a byte
range answered 206) arriving byte for byte through the source."""

from __future__ import annotations

from adapters.core.blobs import Blob
from adapters.core.canonical import Deal, Entity, File
from adapters.nutshell.render import IDS
from adapters.reference.dataset import generate
from tests.adapters.nutshell.test_nutshell import SIZE, call, raw, setup, source
from tests.adapters.sources import extract_records


async def test_tags_are_labels_and_every_lead_file_downloads_byte_for_byte() -> None:
    emulator, creds, clock = setup()
    held = emulator.held(generate(size=SIZE, seed=0))
    src = source(emulator, creds, clock)
    deals = {d.source_id: d for d in await extract_records(src, Entity.deals)}
    d1 = held.deals[0]
    got = deals[str(IDS.integer(d1.source_id))]
    assert isinstance(got, Deal) and got.labels == d1.labels and len(d1.labels) == 2
    files = [f for f in await extract_records(src, Entity.files) if isinstance(f, File)]
    by_id = {str(IDS.integer(f.source_id)): f for f in held.files}
    assert len(files) == len(held.files) > 2 and {f.source_id for f in files} == set(by_id)
    assert any(f.size and f.size > 1_000_000 for f in files)  # the 1.5 MB video
    for file in files:
        with Blob(file.name, cap=10 << 20) as blob:
            assert await src.download(file, blob) == file.size
            data = b"".join([chunk async for chunk in blob.chunks()])
        assert data == held.file_bytes[by_id[file.source_id].source_id]


async def test_a_file_is_served_at_its_uri_with_its_type_a_range_and_only_with_credentials() -> (
    None
):
    emulator, creds, _ = setup()
    held = emulator.held(generate(size=SIZE, seed=0))
    async with raw(emulator, creds) as client:
        leads = (await call(client, "findLeads", stubResponses=False, limit=100)).json()["result"]
        file = next(f for lead in leads for f in lead["file"])
        whole = await client.get(file["uri"])
        part = await client.get(file["uri"], headers={"Range": "bytes=0-9"})
    async with raw(emulator) as anonymous:
        refused = await anonymous.get(file["uri"])
    data = held.file_bytes[next(f.source_id for f in held.files if f.name == file["name"])]
    assert whole.content == data and whole.headers["content-type"].startswith(file["mime"])
    assert int(whole.headers["content-length"]) == file["size"] == len(data)
    assert part.status_code == 206 and part.content == data[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(data)}"
    assert refused.status_code == 401
