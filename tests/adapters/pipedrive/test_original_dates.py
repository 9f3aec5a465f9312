"""Original creation dates in the Pipedrive target: an admin's token back-dates organizations,
persons and deals; any other token sends none and the session is told why."""

from __future__ import annotations

from adapters.core.canonical import Entity, Organization, Person
from tests.adapters.pipedrive.test_source_target import Sandbox
from tests.adapters.pipedrive.test_target_writes import new_target, sandbox  # noqa: F401

ADDED = "2023-02-03T13:21:00Z"


def no_links(entity: Entity, source_id: str | None) -> int | None:
    return None


async def test_an_admins_token_back_dates_what_it_creates(sandbox: Sandbox) -> None:  # noqa: F811
    target = new_target(sandbox)
    await target.me()
    assert target.token_is_admin and target.notices == []
    record = Organization(source_id="o1", name="Müller & Söhne", add_time=ADDED)
    payload = target.build_payload(Entity.organizations, record, no_links, {}, 1)
    assert payload["add_time"] == ADDED
    created = await target.create(Entity.organizations, payload)
    stored = await target.client.get_v2(f"/organizations/{created.id}")
    assert stored["add_time"] == ADDED


async def test_another_token_sends_no_dates_and_says_so(sandbox: Sandbox) -> None:  # noqa: F811
    sandbox.emulator.account_state("w").token_user_id = 2  # a user who is not an admin
    target = new_target(sandbox)
    await target.me()
    assert target.token_is_admin is False
    record = Person(source_id="p1", name="Zażółć", add_time=ADDED)
    payload = target.build_payload(Entity.persons, record, no_links, {}, 1)
    assert "add_time" not in payload
    assert any("not an admin" in notice for notice in target.notices)
