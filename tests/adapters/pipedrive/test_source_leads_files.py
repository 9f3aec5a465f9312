"""Pipedrive as a source of leads, labels and files: what a seeded company holds is read as the
reference company has it (labels by name, leads' links, every file's bytes), and survives a
migration into an empty company through the target."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity, File, Lead, Record, User
from adapters.core.declarative import DeclarativeSource
from adapters.pipedrive.client import PipedriveClient
from adapters.pipedrive.emulator import Limits, PipedriveEmulator
from adapters.pipedrive.source import pipedrive_source
from adapters.pipedrive.target import PipedriveTarget
from adapters.reference.dataset import ReferenceCompany, generate

SIZE = 30
LABELLED = (Entity.organizations, Entity.persons, Entity.deals, Entity.leads)
# Everything a lead, a label or a file hangs on, in load order.
ORDER = (
    Entity.organizations, Entity.persons, Entity.pipelines, Entity.stages, Entity.products,
    Entity.deals, Entity.leads, Entity.activities, Entity.notes,
)  # fmt: skip
ROOMY = Limits(burst=100_000)  # no pacing: these tests are about content


@pytest.fixture(scope="module")
def company() -> ReferenceCompany:
    return generate(size=SIZE, seed=0)


@pytest.fixture
def emulator() -> PipedriveEmulator:
    emulator = PipedriveEmulator()
    emulator.create_account("acme", api_token="tok", size=SIZE, limits=ROOMY)
    emulator.create_account("new", api_token="tok2", dataset="empty", limits=ROOMY)
    return emulator


def client(emulator: PipedriveEmulator, account: str, token: str) -> PipedriveClient:
    transport = httpx.ASGITransport(app=emulator.app)
    return PipedriveClient(token, f"http://sandbox/{account}", transport=transport)


async def read(source: DeclarativeSource, entity: Entity) -> list[Record]:
    return [item.record async for page in source.extract(entity) for item in page.items]


def seeded_ids(emulator: PipedriveEmulator, records: list[Record]) -> dict[str, str]:
    """Source id in the reference company -> the id its record has in the emulator."""
    id_map = emulator.account_state("acme").id_map
    return {r.source_id: str(id_map[r.source_id]) for r in records if r.source_id in id_map}


async def download(source: DeclarativeSource, file: File) -> bytes:
    with Blob(file.name, cap=10_000_000) as blob:
        size = await source.download(file, blob)
        blob.seek(0)
        data = b"".join([chunk async for chunk in blob.chunks()])
    assert size == len(data)
    return data


async def test_labels_leads_and_links_arrive_as_the_company_has_them(
    emulator: PipedriveEmulator, company: ReferenceCompany
) -> None:
    source = pipedrive_source(client(emulator, "acme", "tok"))
    for entity in (*LABELLED, Entity.notes, Entity.activities):
        want = company.records(entity)
        ids = seeded_ids(emulator, want)
        got = {r.source_id: r for r in await read(source, entity)}
        assert len(got) == len(want), entity
        for record in want:
            twin = got[ids[record.source_id]]
            if entity in LABELLED:
                assert twin.labels == record.labels, (entity, record.source_id)  # type: ignore[attr-defined]
            lead = getattr(record, "lead_source_id", None)
            assert getattr(twin, "lead_source_id", None) == (lead and ids_of(emulator, lead))
    leads = {r.source_id: cast(Lead, r) for r in await read(source, Entity.leads)}
    for lead in company.leads:
        twin = leads[ids_of(emulator, lead.source_id)]
        assert (twin.title, twin.value, twin.currency, twin.add_time) == (
            lead.title, lead.value, lead.currency, lead.add_time,
        )  # fmt: skip
        assert twin.person_source_id == ids_of(emulator, lead.person_source_id)
        assert twin.org_source_id == ids_of(emulator, lead.org_source_id)
    await source.aclose()


def ids_of(emulator: PipedriveEmulator, source_id: str | None) -> str | None:
    return None if source_id is None else str(emulator.account_state("acme").id_map[source_id])


async def test_every_file_is_read_with_its_record_and_its_bytes(
    emulator: PipedriveEmulator, company: ReferenceCompany
) -> None:
    source = pipedrive_source(client(emulator, "acme", "tok"))
    files = {r.source_id: cast(File, r) for r in await read(source, Entity.files)}
    assert len(files) == len(company.files)
    for file in company.files:
        twin = files[ids_of(emulator, file.source_id) or ""]
        assert (twin.name, twin.mime_type, twin.size) == (file.name, file.mime_type, file.size)
        assert twin.add_time == file.add_time
        for link in ("deal_source_id", "person_source_id", "org_source_id", "lead_source_id",
                     "activity_source_id", "product_source_id"):  # fmt: skip
            assert getattr(twin, link) == ids_of(emulator, getattr(file, link)), link
        assert await download(source, twin) == company.file_bytes[file.source_id], file.name
    await source.aclose()


async def test_leads_labels_and_files_survive_a_migration(
    emulator: PipedriveEmulator, company: ReferenceCompany
) -> None:
    source = pipedrive_source(client(emulator, "acme", "tok"))
    target = PipedriveTarget(client(emulator, "new", "tok2"))
    me = await target.me()
    ids: dict[tuple[Entity, str], Any] = {}
    emails = {u.email.casefold(): u.id for u in await target.users() if u.email}
    for user in await read(source, Entity.users):
        if (email := (cast(User, user).email or "").casefold()) in emails:
            ids[(Entity.users, user.source_id)] = emails[email]
    fields = await target.ensure_custom_fields(await source.custom_fields())

    def resolve(entity: Entity, source_id: str | None) -> Any:
        return ids.get((entity, source_id)) if source_id else None

    read_back: dict[Entity, list[Record]] = {}
    for entity in (*ORDER, Entity.files):
        records = read_back[entity] = await read(source, entity)
        if entity in LABELLED:
            names = {name for r in records for name in getattr(r, "labels", [])}
            await target.ensure_labels(entity, names)
        for record in records:
            payload = target.build_payload(entity, record, resolve, fields, me.id)
            if entity is Entity.files:
                with Blob(record.source_id, cap=10_000_000) as blob:
                    await source.download(cast(File, record), blob)
                    written = await target.attach(payload, blob)
            else:
                written = await target.create(entity, payload)
            ids[(entity, record.source_id)] = written.id
    assert target.field_problems == []

    migrated = pipedrive_source(client(emulator, "new", "tok2"))
    for entity in (*LABELLED, Entity.files):
        copies = {r.source_id: r for r in await read(migrated, entity)}
        assert len(copies) == len(read_back[entity]), entity
        for record in read_back[entity]:
            copy = copies[str(ids[(entity, record.source_id)])]
            if entity in LABELLED:
                assert copy.labels == record.labels, (entity, record.source_id)  # type: ignore[attr-defined]
            if entity is Entity.leads:
                lead, twin = cast(Lead, record), cast(Lead, copy)
                assert (twin.title, twin.value, twin.currency) == (
                    lead.title,
                    lead.value,
                    lead.currency,
                )
                assert twin.person_source_id == str_or_none(
                    resolve(Entity.persons, lead.person_source_id)
                )
            if entity is Entity.files:
                original, twin_file = cast(File, record), cast(File, copy)
                assert (twin_file.name, twin_file.size) == (original.name, original.size)
                assert await download(migrated, twin_file) == await download(source, original)
    notes = [n for n in await read(migrated, Entity.notes) if getattr(n, "lead_source_id", None)]
    assert len(notes) == len(company.lead_notes)
    await source.aclose()
    await migrated.aclose()


def str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
