"""Conformance: every source system migrates the same reference company into an empty Pipedrive.

For each registered source with a sandbox emulator: a seeded sandbox account of that system, its
connection tested, a session through the real service and workers into an empty sandbox
Pipedrive, and then the target read back through the Pipedrive API. What must have arrived is
the reference company as that system can hold it (`emulator.held`), rendered the way the sandbox
renders any company into Pipedrive; the two are compared record by record, id-free: every record
once, links, owners (by email) and custom field values. A new system joins by registering; the
harness does not change.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.canonical import Entity
from adapters.core.registry import all_systems, get_system
from adapters.reference.dataset import ABSENT_OWNER_ID, ReferenceCompany, generate
from tests.e2e.pipedrive_view import MIGRATED, AccountView, assert_same, expected_view
from tests.helpers import PipedriveReader, endpoint, sandbox, start_session, wait_for

SIZE = 30  # persons; every hard case of the dataset lives at ids below 10


def source_systems() -> list[str]:
    return sorted(s.id for s in all_systems() if s.source_factory and s.emulator)


def held_company(system_id: str) -> ReferenceCompany:
    system = get_system(system_id)
    assert system is not None and system.emulator is not None
    return system.emulator.held(generate(size=SIZE, seed=0))


@pytest.mark.parametrize("system_id", source_systems())
async def test_source_migrates_the_reference_company_whole(
    client: httpx.AsyncClient, system_id: str
) -> None:
    source = await sandbox(client, system=system_id, size=SIZE)
    target = await sandbox(client, dataset="empty")

    tested = await client.post("/v1/connections/test", json=endpoint(source))
    assert tested.status_code == 200, tested.text
    assert tested.json()["ok"], tested.json()

    session = await start_session(client, source, target)
    await assert_arrived_whole(client, session["id"], system_id, target)


async def assert_arrived_whole(
    client: httpx.AsyncClient, session_id: str, system_id: str, target: dict[str, Any]
) -> None:
    """The session completed with no error, and the target holds exactly what the source
    system can hold of the reference company: every record once, links, owners, values."""
    done = await wait_for(client, session_id, timeout=300)
    errors = (await client.get(f"/v1/sessions/{session_id}/errors")).json()["data"]
    said = [f"{e['entity']} {e['source_id']}: {e['code']}: {e['message']}" for e in errors[:5]]
    assert done["status"] == "completed", (done["status"], said)
    assert errors == []

    held = held_company(system_id)
    expected = await expected_view(held)
    actual = await AccountView(PipedriveReader(target)).load()
    assert_same(expected, actual)
    for entity in MIGRATED:
        # A system without an entity (Close and Capsule have no products) reports no progress.
        progress = done["progress"].get(entity, {"loaded": 0, "failed": 0})
        held_count = len(held.records(Entity(entity)))
        assert progress["loaded"] == len(expected.data[entity]) == held_count, entity
        assert progress["failed"] == 0
    assert_hard_cases(held, actual, done)


def assert_hard_cases(held: ReferenceCompany, actual: AccountView, done: dict[str, Any]) -> None:
    """The dataset's hard cases, looked at directly where the system holds them."""
    # A lead's own person (Salesforce, Zoho) may share a contact's name: any of them will do.
    emails_by_name: dict[str, list[int]] = {}
    for p in actual.data["persons"]:
        emails_by_name.setdefault(p["name"], []).append(len(p["emails"]))
    for person in held.persons[:3]:  # p1 three e-mails and an emoji, p2 umlauts, p3 Japanese
        assert len(person.emails) in emails_by_name.get(person.name, []), person.name
    long_notes = [n for n in held.notes if len(n.content) > 90_000]
    if long_notes:
        assert max(len(n["content"]) for n in actual.data["notes"]) > 90_000
    owners = {u.source_id for u in held.users}
    if ABSENT_OWNER_ID in owners:
        # The former employee is not in the target: their records went to the token's user.
        assert "former.employee@example.com" not in {u["email"] for u in actual.data["users"]}
        assert done["progress"]["users"]["skipped"] >= 1
