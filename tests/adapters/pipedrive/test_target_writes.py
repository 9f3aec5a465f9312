"""The Pipedrive target's writes beyond create (update, delete), what each write reports, matching
with records the target already holds, and update times for undo; all against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.core.canonical import Entity
from adapters.core.errors import OutcomeUnknown, RecordRejected
from adapters.core.http import RetryPolicy
from adapters.core.protocols import MergeCandidate
from adapters.pipedrive import merge
from adapters.pipedrive.client import PipedriveClient
from adapters.pipedrive.emulator import PipedriveEmulator
from adapters.pipedrive.source import pipedrive_source
from adapters.pipedrive.target import PipedriveTarget
from tests.adapters.pipedrive.test_source_target import Sandbox, SharedClock

TOKEN = "tok-w"


@pytest.fixture
def sandbox() -> Sandbox:
    clock = SharedClock()
    emulator = PipedriveEmulator(clock=clock)
    emulator.create_account("w", api_token=TOKEN, dataset="empty")
    return Sandbox(emulator, clock)


def new_target(sandbox: Sandbox) -> PipedriveTarget:
    return PipedriveTarget(sandbox.client("w", TOKEN))


def person(name: str, *emails: str, **extra: Any) -> dict[str, Any]:
    contacts = [{"value": e, "label": "work", "primary": i == 0} for i, e in enumerate(emails)]
    return {"name": name, "emails": contacts, **extra}


async def listed(sandbox: Sandbox, path: str) -> dict[int, dict[str, Any]]:
    client = sandbox.client("w", TOKEN)
    iterate = client.iter_v1 if path.startswith("/notes") else client.iter_v2
    records = {int(item["id"]): item async for page in iterate(path) for item in page.items}
    await client.aclose()
    return records


def later(sandbox: Sandbox, seconds: float = 10) -> datetime:
    """Moves the emulator's clock on; returns a moment after all that was written before the
    move and before all that is written after it."""
    sandbox.clock.now += seconds
    return datetime.fromtimestamp(sandbox.clock.now - seconds / 2, UTC)


# Create and update -------------------------------------------------------------------------------


async def test_create_reports_the_id_and_update_time_from_its_answer(sandbox: Sandbox) -> None:
    target = new_target(sandbox)
    org = await target.create(Entity.organizations, {"name": "Acme"})
    assert target.client.stats.requests == 1  # no read-back
    note = await target.create(Entity.notes, {"content": "<p>hi</p>", "org_id": org.id})
    assert not org.reused and not note.reused
    assert org.updated_at == (await listed(sandbox, "/organizations"))[org.id]["update_time"]
    assert note.updated_at == (await listed(sandbox, "/notes"))[note.id]["update_time"]
    assert org.updated_at and note.updated_at


async def test_update_patches_the_record_and_reports_its_new_update_time(sandbox: Sandbox) -> None:
    target = new_target(sandbox)
    created = await target.create(Entity.persons, person("Ann", "ann@x.io"))
    later(sandbox)
    before = target.client.stats.requests
    updated = await target.update(Entity.persons, created.id, {"name": "Ann Lee"})
    assert target.client.stats.requests == before + 1
    assert updated.id == created.id and updated.updated_at
    assert updated.updated_at > (created.updated_at or "")
    record = (await listed(sandbox, "/persons"))[created.id]
    assert record["name"] == "Ann Lee" and record["update_time"] == updated.updated_at
    assert [e["value"] for e in record["emails"]] == ["ann@x.io"]  # untouched


async def test_notes_are_updated_with_v1_put(sandbox: Sandbox) -> None:
    target = new_target(sandbox)
    org = await target.create(Entity.organizations, {"name": "Acme"})
    note = await target.create(Entity.notes, {"content": "<p>draft</p>", "org_id": org.id})
    later(sandbox)
    updated = await target.update(Entity.notes, note.id, {"content": "<p>final</p>"})
    record = (await listed(sandbox, "/notes"))[note.id]
    assert record["content"] == "<p>final</p>" and record["org_id"] == org.id
    assert updated.updated_at == record["update_time"] != note.updated_at


@pytest.mark.parametrize("entity", [Entity.persons, Entity.notes])
async def test_update_of_a_deleted_record_is_rejected_as_gone(
    sandbox: Sandbox, entity: Entity
) -> None:
    target = new_target(sandbox)
    org = await target.create(Entity.organizations, {"name": "Acme"})
    payload = person("Bo") if entity is Entity.persons else {"content": "x", "org_id": org.id}
    created = await target.create(entity, payload)
    assert await target.delete(entity, created.id)
    with pytest.raises(RecordRejected) as caught:
        await target.update(entity, created.id, {"name": "Bo"} if entity is Entity.persons else {})
    assert caught.value.code == "target_record_gone"


async def test_update_refused_for_its_content_carries_pipedrive_words(sandbox: Sandbox) -> None:
    target = new_target(sandbox)
    created = await target.create(Entity.persons, person("Cy"))
    with pytest.raises(RecordRejected) as caught:
        await target.update(Entity.persons, created.id, {"org_id": 999999})
    assert caught.value.code == "validation_failed" and "999999" in caught.value.message


async def test_an_unreadable_update_answer_leaves_the_outcome_unknown() -> None:
    def pipedrive(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"success": True, "data": None})

    client = PipedriveClient("tok", "http://pd.test", transport=httpx.MockTransport(pipedrive))
    with pytest.raises(OutcomeUnknown):
        await PipedriveTarget(client).update(Entity.persons, 1, {"name": "X"})


async def test_an_update_that_met_a_server_error_is_sent_again(sandbox: Sandbox) -> None:
    inner = httpx.ASGITransport(app=sandbox.emulator.app)
    failed: list[str] = []

    class FlakyOnce(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "PATCH" and not failed:
                failed.append(request.url.path)
                return httpx.Response(503)
            return await inner.handle_async_request(request)

    client = PipedriveClient(
        TOKEN,
        "http://sandbox/w",
        transport=FlakyOnce(),
        retry=RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.01),
        sleep=sandbox.clock.sleep,
    )
    target = PipedriveTarget(client)
    created = await target.create(Entity.persons, person("Di"))
    assert (await target.update(Entity.persons, created.id, {"name": "Dee"})).id == created.id
    assert failed


# Delete ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "path"),
    [(Entity.persons, "/persons"), (Entity.notes, "/notes"), (Entity.pipelines, "/pipelines")],
)
async def test_delete_is_true_then_false(sandbox: Sandbox, entity: Entity, path: str) -> None:
    target = new_target(sandbox)
    org = await target.create(Entity.organizations, {"name": "Acme"})
    payloads = {
        Entity.persons: person("Ed"),
        Entity.notes: {"content": "x", "org_id": org.id},
        Entity.pipelines: {"name": "Sales"},
    }
    created = await target.create(entity, payloads[entity])
    before = target.client.stats.requests
    assert await target.delete(entity, created.id) is True
    assert await target.delete(entity, created.id) is False
    assert target.client.stats.requests == before + 2
    assert created.id not in await listed(sandbox, path)


async def test_a_deleted_pipeline_is_not_reused_by_a_later_create(sandbox: Sandbox) -> None:
    target = new_target(sandbox)
    first = await target.create(Entity.pipelines, {"name": "Sales"})
    await target.delete(Entity.pipelines, first.id)
    second = await target.create(Entity.pipelines, {"name": "Sales"})
    assert not second.reused and second.id != first.id


# Match -------------------------------------------------------------------------------------------


def candidates(*payloads: tuple[str, dict[str, Any]]) -> list[MergeCandidate]:
    return [MergeCandidate(source_id, payload) for source_id, payload in payloads]


async def test_persons_match_by_any_email_whatever_its_case(sandbox: Sandbox) -> None:
    target = new_target(sandbox)
    ann = await target.create(Entity.persons, person("Ann", "ann@x.io", "a.lee@corp.io"))
    await target.create(Entity.persons, person("Bob", "bob@x.io"))
    fresh = new_target(sandbox)
    found = await fresh.match(
        Entity.persons,
        candidates(
            ("s1", person("Ann Lee", "other@y.io", "  A.Lee@CORP.io ")),
            ("s2", person("Nobody", "nobody@x.io")),
            ("s3", person("No e-mail")),
        ),
        set(),
    )
    assert {sid: m.id for sid, m in found.items()} == {"s1": ann.id}


async def test_organizations_match_by_normalized_name_one_to_one_in_order(
    sandbox: Sandbox,
) -> None:
    target = new_target(sandbox)
    first = await target.create(Entity.organizations, {"name": "Acme  Corp"})
    second = await target.create(Entity.organizations, {"name": "acme corp"})
    other = await target.create(Entity.organizations, {"name": "Globex"})
    fresh = new_target(sandbox)
    twins = candidates(
        ("a", {"name": " ACME corp"}), ("b", {"name": "Acme\tCorp "}), ("c", {"name": "Acme Corp"})
    )
    found = await fresh.match(Entity.organizations, twins, set())
    assert {sid: m.id for sid, m in found.items()} == {"a": first.id, "b": second.id}
    # Ids Ferry already linked are never handed out; nor is one given to another source record.
    again = await fresh.match(
        Entity.organizations,
        candidates(("d", {"name": "acme corp"}), ("e", {"name": "GLOBEX"})),
        {other.id},
    )
    assert again == {}
    # The same source record asking again gets the same record.
    assert (await fresh.match(Entity.organizations, twins[:1], set()))["a"].id == first.id


async def test_products_match_by_code_before_name(sandbox: Sandbox) -> None:
    target = new_target(sandbox)
    coded = await target.create(Entity.products, {"name": "Widget", "code": "W-1"})
    uncoded = await target.create(Entity.products, {"name": "Gadget"})
    await target.create(Entity.products, {"name": "Gizmo", "code": "G-9"})
    fresh = new_target(sandbox)
    found = await fresh.match(
        Entity.products,
        candidates(
            ("by-name-first", {"name": "widget"}),  # would take the Widget by name...
            ("by-code", {"name": "Renamed", "code": " w-1"}),  # ...but the code settles first
            ("code-unknown", {"name": "Gadget", "code": "NEW-1"}),  # falls back to the name
            ("other-code", {"name": "Gizmo", "code": "G-10"}),  # another code: another product
        ),
        set(),
    )
    assert {sid: m.id for sid, m in found.items()} == {
        "by-code": coded.id,
        "code-unknown": uncoded.id,
    }


async def test_other_entities_are_never_matched_and_cost_nothing(sandbox: Sandbox) -> None:
    target = new_target(sandbox)
    for entity in (Entity.deals, Entity.activities, Entity.notes, Entity.pipelines):
        assert await target.match(entity, candidates(("x", {"title": "T"})), set()) == {}
    assert target.client.stats.requests == 0


async def test_match_reads_each_entity_once(sandbox: Sandbox) -> None:
    writer = new_target(sandbox)
    for i in range(3):
        await writer.create(Entity.persons, person(f"P{i}", f"p{i}@x.io"))
        await writer.create(Entity.organizations, {"name": f"Org {i}"})
    target = PipedriveTarget(sandbox.client("w", TOKEN, page_size=2))
    for i in range(3):
        await target.match(Entity.persons, candidates((f"s{i}", person("P", f"P{i}@x.io"))), set())
        await target.match(Entity.organizations, candidates((f"o{i}", {"name": "x"})), set())
    # Two pages of two per entity, read once for all six calls.
    assert target.client.stats.requests == 4


async def test_fill_lists_only_the_fields_empty_on_the_target(sandbox: Sandbox) -> None:
    target = new_target(sandbox)
    codes = []
    for name in ("Tier", "Region"):
        answer = await target.client.post_v2(
            "/personFields", {"field_name": name, "field_type": "varchar"}
        )
        codes.append(answer.json()["data"]["field_code"])
    tier, region = codes
    org = await target.create(Entity.organizations, {"name": "Acme"})
    held = await target.create(
        Entity.persons,
        {"name": "Ann", "emails": [{"value": "ann@x.io"}], "custom_fields": {tier: "gold"}},
    )
    payload = {
        "name": "Ann Lee",
        "owner_id": 1,
        "org_id": org.id,
        "emails": [{"value": "ANN@x.io", "primary": True, "label": "work"}],
        "phones": [{"value": "+1 555", "primary": True, "label": "work"}],
        "custom_fields": {tier: "silver", region: "EMEA"},
    }
    found = await new_target(sandbox).match(Entity.persons, candidates(("s", payload)), set())
    assert found["s"].id == held.id
    assert found["s"].fill == {
        "org_id": org.id,
        "phones": payload["phones"],
        "custom_fields": {region: "EMEA"},
    }


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        ({"phones": [], "org_id": None, "address": {"value": None}}, {"phones", "org_id"}),
        ({"phones": [{"value": "", "primary": True}], "org_id": 3}, {"phones"}),
        ({"phones": [{"value": "+1", "primary": True}], "org_id": 0}, set()),
        ({"title": None, "name": "", "owner_id": None}, {"phones", "org_id"}),
    ],
)
def test_fill_rules(held: dict[str, Any], expected: set[str]) -> None:
    payload = {"name": "N", "title": "T", "owner_id": 5, "org_id": 7, "phones": [{"value": "+2"}]}
    assert set(merge.fill(payload, held)) == expected


# Update times ------------------------------------------------------------------------------------


async def test_updated_times_report_what_changed_since(sandbox: Sandbox) -> None:
    target = new_target(sandbox)
    org = await target.create(Entity.organizations, {"name": "Acme"})
    kept = await target.create(Entity.persons, person("Kept"))
    edited = await target.create(Entity.persons, person("Edited"))
    note = await target.create(Entity.notes, {"content": "x", "org_id": org.id})
    pipeline = await target.create(Entity.pipelines, {"name": "Sales"})
    stage = await target.create(Entity.stages, {"name": "Lead", "pipeline_id": pipeline.id})
    archived = await target.create(
        Entity.deals,
        {"title": "Old", "stage_id": stage.id, "is_archived": True, "status": "won"},
    )
    since = later(sandbox)
    patched = await target.update(Entity.persons, edited.id, {"name": "Edited!"})
    put = await target.update(Entity.notes, note.id, {"content": "y"})
    deal = await target.update(Entity.deals, archived.id, {"title": "Older"})
    renamed = await target.update(Entity.pipelines, pipeline.id, {"name": "Sales 2"})

    ids = {kept.id, edited.id, 999}
    assert await target.updated_times(Entity.persons, ids, since) == {edited.id: patched.updated_at}
    assert await target.updated_times(Entity.notes, {note.id}, since) == {note.id: put.updated_at}
    assert await target.updated_times(Entity.deals, {archived.id}, since) == {
        archived.id: deal.updated_at
    }
    pipelines = await target.updated_times(Entity.pipelines, {pipeline.id}, since)
    assert pipelines == {pipeline.id: renamed.updated_at}
    assert await target.updated_times(Entity.stages, {stage.id}, since) == {}
    assert await target.updated_times(Entity.persons, set(), since) == {}


# Pipedrive as a source: delta reads --------------------------------------------------------------


@pytest.mark.parametrize("entity", [Entity.persons, Entity.notes, Entity.deals])
async def test_a_delta_read_brings_only_what_changed(sandbox: Sandbox, entity: Entity) -> None:
    target = new_target(sandbox)
    org = await target.create(Entity.organizations, {"name": "Acme"})
    pipeline = await target.create(Entity.pipelines, {"name": "Sales"})
    stage = await target.create(Entity.stages, {"name": "Lead", "pipeline_id": pipeline.id})
    payloads = {
        Entity.persons: lambda i: person(f"P{i}"),
        Entity.notes: lambda i: {"content": f"n{i}", "org_id": org.id},
        # one of them archived: both deal lists are read
        Entity.deals: lambda i: {"title": f"D{i}", "stage_id": stage.id, "is_archived": i == 1},
    }
    made = [await target.create(entity, payloads[entity](i)) for i in range(3)]
    since = later(sandbox)
    changed = {made[1].id, made[2].id}
    for target_id in sorted(changed):
        body = {"content": "changed"} if entity is Entity.notes else {}
        await target.update(entity, target_id, body)
    source = pipedrive_source(sandbox.client("w", TOKEN))
    assert source.reads_changes(entity)
    read = [i.record.source_id async for p in source.extract(entity, since=since) for i in p.items]
    assert sorted(read) == sorted(str(i) for i in changed)


def test_the_lists_without_updated_since_are_read_whole() -> None:
    source = pipedrive_source(PipedriveClient("tok", "http://pd.test"))
    assert not any(source.reads_changes(e) for e in (Entity.users, Entity.pipelines))
