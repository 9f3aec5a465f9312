"""One contract for every registered source with an emulator, in-process: its connection check
proves good credentials and refuses changed ones, and its source reads every entity to the end,
as many records as the vendor can hold of the reference company. A new source is checked by
registering; per-vendor tests keep only what is the vendor's own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.canonical import LINK_FIELDS, LIST_LINK_FIELDS, Entity, Record
from adapters.core.emulation import SourceEmulator
from adapters.core.errors import AuthFailed
from adapters.core.registry import System, all_systems, get_system
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, extract_records

SIZE = 30


def sources() -> list[str]:
    return sorted(s.id for s in all_systems() if s.source_factory and s.emulator)


def emulated(system_id: str) -> tuple[System, dict[str, str], httpx.ASGITransport]:
    system = get_system(system_id)
    assert system is not None and system.emulator is not None and system.source_factory
    emulator = type(system.emulator)()  # an emulator of its own, not the sandbox's
    credentials = emulator.new_credentials(BASE)
    emulator.provision("acme", credentials, dataset="reference", size=SIZE, limits={})
    return system, credentials, httpx.ASGITransport(app=emulator.app)


def changed(credentials: dict[str, str], system: System) -> dict[str, str]:
    """The credentials with every secret one changed."""
    secret = {f.name for f in system.credential_fields if f.secret}
    return {k: (v[:-2] + "zz" if k in secret and v else v) for k, v in credentials.items()}


@pytest.mark.parametrize("system_id", sources())
async def test_the_check_proves_good_credentials_and_refuses_changed_ones(system_id: str) -> None:
    system, credentials, transport = emulated(system_id)
    assert system.source_factory is not None
    source = system.source_factory(credentials, BASE, transport)
    info = await source.check()
    assert info.account, system_id
    bad = system.source_factory(changed(credentials, system), BASE, transport)
    with pytest.raises(AuthFailed):
        await bad.check()


@pytest.mark.parametrize("system_id", sources())
async def test_every_entity_is_read_to_the_end(system_id: str) -> None:
    system, credentials, transport = emulated(system_id)
    assert system.source_factory is not None and system.emulator is not None
    held = system.emulator.held(generate(size=SIZE, seed=0))
    source = system.source_factory(credentials, BASE, transport)
    for entity in source.entities:
        records = await extract_records(source, entity)
        ids = [r.source_id for r in records]
        assert len(ids) == len(set(ids)), (system_id, entity)  # nothing doubled
        assert len(ids) == len(held.records(entity)), (system_id, entity)


# --- record by record, for the emulators that say their ids -----------------------------------

# The sources whose emulators give their ids (`SourceEmulator.vendor_id`): at least these.
SAID_IDS = {
    "act",
    "batchbook",
    "highrise",
    "infor_crm",
    "maximizer",
    "netsuite",
    "sagecrm",
    "salesforceiq",
    "solve360",
    "keap",
    "nimble",
    "nutshell",
    "onepagecrm",
    "pipelinecrm",
    "redtail",
    "zendesk_sell",
}


def with_ids() -> list[str]:
    said = []
    for system_id in sources():
        system = get_system(system_id)
        assert system is not None and system.emulator is not None
        emulator = system.emulator
        if isinstance(emulator, SourceEmulator) and emulator.vendor_id(
            Entity.users, "source_id", "u1"
        ):
            said.append(system_id)
    return said


def test_the_emulators_that_say_their_ids_are_all_checked() -> None:
    assert set(with_ids()) >= SAID_IDS


def expected(
    emulator: SourceEmulator, entity: Entity, record: Record, names: dict[str, str]
) -> dict[str, Any]:
    """A held record as the source must read it: the vendor's ids, custom values by name."""
    data = record.model_dump()
    for key, value in data.items():
        if value and (key == "source_id" or key in LINK_FIELDS):
            data[key] = emulator.vendor_id(entity, key, value)
        elif value and key in LIST_LINK_FIELDS:
            data[key] = [emulator.vendor_id(entity, key, item) for item in value]
    if data.get("custom_fields"):
        data["custom_fields"] = {names[k]: v for k, v in data["custom_fields"].items()}
    return data


@pytest.mark.parametrize("system_id", with_ids())
async def test_every_record_arrives_as_the_vendor_holds_it(system_id: str) -> None:
    system, credentials, transport = emulated(system_id)
    assert system.source_factory is not None and isinstance(system.emulator, SourceEmulator)
    held = system.emulator.held(generate(size=SIZE, seed=0))
    source = system.source_factory(credentials, BASE, transport)
    read_names = {(f.entity, f.key): f.name for f in await source.custom_fields()}
    for entity in source.entities:
        got = {}
        for record in await extract_records(source, entity):
            data = record.model_dump()
            if data.get("custom_fields"):
                data["custom_fields"] = {
                    read_names[(entity, k)]: v for k, v in data["custom_fields"].items()
                }
            got[record.source_id] = data
        names = {f.key: f.name for f in held.custom_fields if f.entity is entity}
        want = [expected(system.emulator, entity, r, names) for r in held.records(entity)]
        assert got == {data["source_id"]: data for data in want}, (system_id, entity)
    notes = await extract_records(source, Entity.notes)
    if any(len(n.content) > 90_000 for n in held.notes):
        assert max(len(n.content) for n in notes) > 90_000, system_id  # the long note whole
