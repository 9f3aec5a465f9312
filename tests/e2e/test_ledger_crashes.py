"""A worker dies hard (SIGKILL: no cleanup, no re-queue) in the middle of a sample, a delta and
an undo. Each time the session was unfinished when its worker died, another worker finishes it,
and nothing was lost or doubled: the target holds exactly what it should, the progress counts
every record once, and no record error is reported.

The targets have a slow write budget (a burst of 20 requests per 2 s: 10 a second), so each
session loads for long enough that the kill, chosen by polling the session's progress, lands
mid-way; and their writes answer 150 ms after they took effect, so the kill most likely lands
while a write has happened and its answer is not back yet (the case that doubles records)."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Stack
from tests.e2e.pipedrive_view import MIGRATED, AccountView
from tests.e2e.test_crash_recovery import SessionRows, held_by_a_live_worker, taken_over
from tests.e2e.test_ledger import (
    assert_holds_exactly,
    assert_links_inside,
    errors_of,
    owner_maps,
    pipedrive,
    rendered,
    sample_of,
    view,
)
from tests.helpers import TERMINAL, sandbox, start_session, wait_for

SLOW = {"burst": 20}  # 10 requests a second
LATE_ANSWERS = {"writes": {"latency_ms": 150}}  # a write acts, then answers 150 ms later
CONTACTS = ("organizations", "persons")  # what the delta and undo sessions migrate


async def slow_target(client: httpx.AsyncClient) -> dict[str, Any]:
    target = await sandbox(client, dataset="empty", limits=SLOW)
    response = await client.put(f"/sandbox/accounts/{target['id']}/faults", json=LATE_ANSWERS)
    assert response.status_code == 200, response.text
    return target


def pid_of(owner: str | None) -> int | None:
    """The pid in a lease owner ("host:pid:nonce")."""
    return int(owner.split(":")[1]) if owner and owner.count(":") >= 2 else None


async def kill_mid_way(
    client: httpx.AsyncClient,
    stack: Stack,
    session_id: str,
    ready: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """Once `ready(session)`, SIGKILL the worker holding the session and start another in its
    place; returns the session as its dead worker left it. Between finding the holder and the
    kill the session may have been handed to the other worker: then that one is killed next."""
    rows = SessionRows(stack)
    for _ in range(5):
        await wait_for(
            client,
            session_id,
            until=lambda s: s["status"] in TERMINAL or (s["status"] == "running" and ready(s)),
        )
        worker = await held_by_a_live_worker(rows, stack, session_id)
        assert worker is not None, "the session ended before its worker could be killed"
        worker.stop(signal.SIGKILL)
        stack.workers.remove(worker)
        stack.start_worker()
        owner, _ = await rows.lease(session_id)
        if pid_of(owner) == worker.proc.pid:  # it died holding the session
            at_death = (await client.get(f"/v1/sessions/{session_id}")).json()
            seconds = await taken_over(rows, stack, session_id, worker.proc.pid)
            print(f"taken over {seconds:.1f} s after SIGKILL")
            return at_death  # type: ignore[no-any-return]
    raise AssertionError("the worker holding the session was never the one killed")


def total(session: dict[str, Any], key: str, entities: tuple[str, ...] = MIGRATED) -> int:
    return sum(session["progress"][e][key] or 0 for e in entities if e in session["progress"])


async def finished(client: httpx.AsyncClient, session_id: str) -> dict[str, Any]:
    done = await wait_for(client, session_id, timeout=240)
    errors = await errors_of(client, session_id)
    assert done["status"] == "completed", (done, errors[:5])
    assert errors == [], errors[:5]
    return done


def assert_same_contacts(source: AccountView, target: AccountView) -> None:
    """T's organizations and persons are exactly S's: each once, links, owners, values."""
    source_owners, target_owners = owner_maps(source, target)
    for entity in CONTACTS:
        want, got = rendered(source, entity, source_owners), rendered(target, entity, target_owners)
        assert got == want, (
            f"{entity}: missing {list((want - got).elements())[:3]}, "
            f"unexpected {list((got - want).elements())[:3]}"
        )


async def test_a_sample_whose_worker_is_killed_still_puts_exactly_the_sample_in_the_target(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    per_entity = 10
    source = await sandbox(client, size=60)
    target = await slow_target(client)
    session = await start_session(
        client, source, target, mode="sample", sample={"per_entity": per_entity}
    )
    expected = sample_of(await view(source), per_entity)
    records = sum(len(found) for found in expected.values())

    at_death = await kill_mid_way(
        client, stack, session["id"], lambda s: total(s, "loaded") >= records // 3
    )
    assert at_death["status"] == "running", at_death
    assert at_death["phase"] == "load", at_death
    assert 0 < total(at_death, "loaded") < total(at_death, "total") == records, at_death

    done = await finished(client, session["id"])
    after = await view(target)
    assert_holds_exactly(await view(source), expected, after)
    assert_links_inside(after)
    for entity in MIGRATED:
        progress = done["progress"][entity]
        held = len(after.data[entity])
        assert progress["created"] == progress["loaded"] == progress["total"] == held, (
            entity,
            progress,
        )
        assert len(expected[entity]) == held, entity


async def test_a_delta_whose_worker_is_killed_creates_and_updates_each_record_once(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    source = await sandbox(client, size=10)
    target = await slow_target(client)
    full = await start_session(client, source, target, entities=list(CONTACTS))
    await finished(client, full["id"])

    before = await view(source)
    renamed = sorted(p["id"] for p in before.data["persons"])
    for person_id in renamed:
        await pipedrive(
            source, "PATCH", f"/api/v2/persons/{person_id}", {"name": f"Delta {person_id}"}
        )
    added = 40
    for number in range(added):
        email = {"value": f"crash{number}@ledger.example", "primary": True, "label": "work"}
        await pipedrive(
            source, "POST", "/api/v2/persons", {"name": f"Crash {number}", "emails": [email]}
        )
    writes = added + len(renamed)

    delta = await start_session(client, source, target, mode="delta", entities=list(CONTACTS))
    written = ("persons",)
    at_death = await kill_mid_way(
        client,
        stack,
        delta["id"],
        lambda s: total(s, "created", written) + total(s, "updated", written) >= writes // 4,
    )
    assert at_death["status"] == "running", at_death
    assert 0 < total(at_death, "created") + total(at_death, "updated") < writes, at_death

    done = await finished(client, delta["id"])
    persons, orgs = done["progress"]["persons"], done["progress"]["organizations"]
    assert (persons["created"], persons["updated"]) == (added, len(renamed)), persons
    assert (orgs["created"], orgs["updated"]) == (0, 0), orgs
    assert persons["failed"] == 0, persons
    assert_same_contacts(await view(source), await view(target))


async def test_an_undo_whose_worker_is_killed_deletes_exactly_what_was_created(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    source = await sandbox(client, size=40)
    target = await slow_target(client)
    full = await start_session(client, source, target, entities=list(CONTACTS))
    created = (await finished(client, full["id"]))["progress"]
    held = await view(source)
    for entity in CONTACTS:  # T was empty: the full session created every one
        assert created[entity]["created"] == len(held.data[entity]), (entity, created[entity])
    to_delete = sum(created[e]["created"] for e in CONTACTS)

    response = await client.post(f"/v1/sessions/{full['id']}/undo")
    assert response.status_code == 201, response.text
    undo = response.json()
    at_death = await kill_mid_way(
        client, stack, undo["id"], lambda s: total(s, "deleted", CONTACTS) >= to_delete // 4
    )
    assert at_death["status"] == "running", at_death
    assert 0 < total(at_death, "deleted", CONTACTS) < to_delete, at_death

    done = await finished(client, undo["id"])
    for entity in CONTACTS:
        progress = done["progress"][entity]
        assert progress["deleted"] == created[entity]["created"], (entity, progress)
        assert progress["skipped"] == progress["failed"] == 0, (entity, progress)
    after = await view(target)
    for entity in MIGRATED:
        assert after.data[entity] == [], (entity, after.data[entity][:3])
