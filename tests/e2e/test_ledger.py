"""The record ledger, as a new user meets it, over HTTP only: two sandbox Pipedrive companies S
(the reference company) and T (empty).

A sample session puts exactly the sample in T; a full session then completes T with every
record of S once; after five persons of S are renamed and three added through S's own API, a
delta session creates the three and updates the five and nothing else; undoing the full session
deletes what it created and leaves the sample's records (and the delta's) in place; a session
from a reference company into another reference company merges every person that has an e-mail
and every organization, creating none of them.

The chain (sample, full, delta, undo, undo again, full again) is a row of module fixtures: each
step runs its session and reads T back at once, so every test asserts on what T held right
after its step, and running one test alone runs the steps before it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.e2e.pipedrive_view import MIGRATED, AccountView, assert_same
from tests.helpers import PipedriveReader, endpoint, sandbox, start_session, wait_for

SIZE = 30
PER_ENTITY = 5
NEWCOMERS = ("Ledger Newcomer One", "Ledger Newcomer Two", "Ledger Newcomer Three")

# How Pipedrive records point at their parents, as its API shows them: the links a sample
# follows (owners are users, never part of a sample).
PARENTS: dict[str, dict[str, str]] = {
    "persons": {"org_id": "organizations"},
    "stages": {"pipeline_id": "pipelines"},
    "deals": {
        "person_id": "persons",
        "org_id": "organizations",
        "stage_id": "stages",
        "pipeline_id": "pipelines",
    },
    "deal_products": {"deal_id": "deals", "product_id": "products"},
    "leads": {"person_id": "persons", "organization_id": "organizations"},
    "activities": {
        "deal_id": "deals",
        "person_id": "persons",
        "org_id": "organizations",
        "lead_id": "leads",
    },
    "notes": {
        "deal_id": "deals",
        "person_id": "persons",
        "org_id": "organizations",
        "lead_id": "leads",
    },
    "files": {
        "deal_id": "deals",
        "person_id": "persons",
        "org_id": "organizations",
        "lead_id": "leads",
        "activity_id": "activities",
        "product_id": "products",
    },
}

Ids = dict[str, set[Any]]  # Pipedrive ids by entity (leads' are UUIDs)


# Helpers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"authorization": f"Bearer {stack.api_key}"}
    async with httpx.AsyncClient(base_url=stack.url, headers=headers, timeout=30) as http:
        yield http


@dataclass
class Step:
    session: dict[str, Any]  # as it ended
    errors: list[dict[str, Any]]
    target: AccountView  # T read back right after the session ended

    def progress(self, entity: str) -> dict[str, Any]:
        return self.session["progress"][entity]  # type: ignore[no-any-return]


async def errors_of(api: httpx.AsyncClient, session_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"/v1/sessions/{session_id}/errors", params={"limit": 500})
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


async def ended(api: httpx.AsyncClient, session: dict[str, Any], target: dict[str, Any]) -> Step:
    done = await wait_for(api, session["id"], timeout=180)
    return Step(done, await errors_of(api, session["id"]), await view(target))


async def run(
    api: httpx.AsyncClient, source: dict[str, Any], target: dict[str, Any], **body: Any
) -> Step:
    return await ended(api, await start_session(api, source, target, **body), target)


async def undo(
    api: httpx.AsyncClient, session_id: str, target: dict[str, Any], **body: Any
) -> Step:
    response = await api.post(f"/v1/sessions/{session_id}/undo", json=body or None)
    assert response.status_code == 201, response.text
    started = response.json()
    assert started["mode"] == "undo" and started["undoes"] == session_id, started
    return await ended(api, started, target)


def assert_completed(step: Step) -> None:
    assert step.session["status"] == "completed", (step.session, step.errors[:5])
    assert step.errors == [], step.errors[:5]


async def view(account: dict[str, Any]) -> AccountView:
    return await AccountView(PipedriveReader(account)).load()


def ids(target: AccountView) -> Ids:
    return {entity: {r["id"] for r in target.data[entity]} for entity in MIGRATED}


def owner_maps(
    source: AccountView, target: AccountView
) -> tuple[dict[str | None, str | None], dict[str | None, str | None]]:
    """Owners as `assert_same` compares them: a source owner the target lacks becomes the
    target token's user."""
    target_emails = {u["email"] for u in target.data["users"]}
    me = target.me["email"]
    source_owners: dict[str | None, str | None] = {
        u["email"]: (u["email"] if u["email"] in target_emails else me)
        for u in source.data["users"]
    }
    source_owners[None] = me
    return source_owners, {email: email for email in target_emails}


def rendered(
    account: AccountView,
    entity: str,
    owners: dict[str | None, str | None],
    only: set[int] | None = None,
) -> Counter[Any]:
    render = getattr(account, f"_{entity}")
    return Counter(
        render(r, owners) for r in account.data[entity] if only is None or r["id"] in only
    )


def assert_holds_exactly(
    source: AccountView, picked: Ids, target: AccountView, what: str = "the sample"
) -> None:
    """T holds exactly the `picked` records of S: each once, links, owners and values alike."""
    source_owners, target_owners = owner_maps(source, target)
    for entity in MIGRATED:
        want = rendered(source, entity, source_owners, picked[entity])
        got = rendered(target, entity, target_owners)
        assert got == want, (
            f"{entity}: T should hold exactly {what}; missing {list((want - got).elements())[:3]}"
            f", unexpected {list((got - want).elements())[:3]}"
        )


def assert_links_inside(target: AccountView) -> None:
    """No record of T points at a record T does not hold."""
    held = ids(target)
    for entity, links in PARENTS.items():
        for record in target.data[entity]:
            for field, parent in links.items():
                linked = record.get(field)
                assert linked is None or linked in held[parent], (
                    f"{entity} {record['id']}: {field} {linked} is not in T"
                )


def sample_of(source: AccountView, per_entity: int) -> Ids:
    """What a sample of S is, by its definition: the first `per_entity` records of each entity
    (in the order S lists them), then every record they link to, and the products on every
    deal picked (a deal's value is the sum of its products), until nothing picked points
    outside."""
    by_id = {entity: source.by_id(entity) for entity in MIGRATED}
    picked: Ids = {entity: set() for entity in MIGRATED}
    todo = [(e, r["id"]) for e in MIGRATED for r in source.data[e][:per_entity]]
    while todo:
        entity, record_id = todo.pop()
        record = by_id[entity].get(record_id)
        if record is None or record_id in picked[entity]:
            continue
        picked[entity].add(record_id)
        for field, parent in PARENTS.get(entity, {}).items():
            if record.get(field):
                todo.append((parent, record[field]))
        if entity == "activities":  # every person taking part, not only the main one
            todo += [("persons", p["person_id"]) for p in record.get("participants") or []]
        if entity == "deals":
            lines = source.data["deal_products"]
            todo += [("deal_products", r["id"]) for r in lines if r["deal_id"] == record_id]
    return picked


def count(items: Ids) -> dict[str, int]:
    return {entity: len(found) for entity, found in items.items()}


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))


async def pipedrive(
    account: dict[str, Any], method: str, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    """One call to a sandbox Pipedrive's own API, as its user would make it."""
    headers = {"x-api-token": account["credentials"]["api_token"]}
    async with httpx.AsyncClient(base_url=account["base_url"], headers=headers) as http:
        response = await http.request(method, path, json=body)
    assert response.is_success, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]  # type: ignore[no-any-return]


# The chain: sample, full, delta, undo ----------------------------------------------------------


@dataclass
class Pair:
    source: dict[str, Any]
    target: dict[str, Any]
    before: AccountView  # S as seeded


@pytest.fixture(scope="module")
async def pair(api: httpx.AsyncClient) -> Pair:
    source = await sandbox(api, size=SIZE)
    target = await sandbox(api, dataset="empty")
    return Pair(source, target, await view(source))


@dataclass
class Sampled(Step):
    delta_refused: httpx.Response | None = None  # a delta asked for right after the sample


@pytest.fixture(scope="module")
async def sampled(api: httpx.AsyncClient, pair: Pair) -> Sampled:
    step = await run(
        api, pair.source, pair.target, mode="sample", sample={"per_entity": PER_ENTITY}
    )
    delta = await api.post(
        "/v1/sessions",
        json={"source": endpoint(pair.source), "target": endpoint(pair.target), "mode": "delta"},
    )
    return Sampled(step.session, step.errors, step.target, delta)


@pytest.fixture(scope="module")
async def completed(api: httpx.AsyncClient, pair: Pair, sampled: Sampled) -> Step:
    return await run(api, pair.source, pair.target)


@dataclass
class Changed(Step):
    source: AccountView  # S after the changes
    renamed: dict[int, str]  # S person id -> its new name
    renamed_in_sample: set[int]


@pytest.fixture(scope="module")
async def changed(api: httpx.AsyncClient, pair: Pair, completed: Step) -> Changed:
    sampled_persons = sample_of(pair.before, PER_ENTITY)["persons"]
    every = sorted(p["id"] for p in pair.before.data["persons"])
    in_sample = [i for i in every if i in sampled_persons][:2]
    outside = [i for i in every if i not in sampled_persons][:3]
    names = {p["id"]: p["name"] for p in pair.before.data["persons"]}
    renamed = {i: f"{names[i]} (renamed)" for i in in_sample + outside}
    for person_id, name in renamed.items():
        await pipedrive(pair.source, "PATCH", f"/api/v2/persons/{person_id}", {"name": name})
    for number, name in enumerate(NEWCOMERS, start=1):
        email = {"value": f"newcomer{number}@ledger.example", "primary": True, "label": "work"}
        await pipedrive(pair.source, "POST", "/api/v2/persons", {"name": name, "emails": [email]})
    after = await view(pair.source)
    step = await run(api, pair.source, pair.target, mode="delta")
    return Changed(step.session, step.errors, step.target, after, renamed, set(in_sample))


@pytest.fixture(scope="module")
async def undone(api: httpx.AsyncClient, pair: Pair, completed: Step, changed: Changed) -> Step:
    return await undo(api, completed.session["id"], pair.target)


async def test_a_sample_session_puts_exactly_the_sample_in_the_target(
    pair: Pair, sampled: Sampled
) -> None:
    assert_completed(sampled)
    session = sampled.session
    assert session["mode"] == "sample"
    assert session["sample"] == {"per_entity": PER_ENTITY}
    assert session["merge"] == {"fill_empty": False}  # merging is on by default
    assert session["tokens_spent"] > 0

    expected = sample_of(pair.before, PER_ENTITY)
    assert_holds_exactly(pair.before, expected, sampled.target)
    assert_links_inside(sampled.target)
    for entity in MIGRATED:
        progress = sampled.progress(entity)
        held = len(sampled.target.data[entity])
        assert progress["created"] == progress["total"] == progress["loaded"] == held, (
            entity,
            progress,
        )
        assert progress["failed"] == progress["matched"] == progress["updated"] == 0, progress
        assert held >= min(PER_ENTITY, len(pair.before.data[entity])), (entity, held)
    assert sampled.progress("persons")["total"] < len(pair.before.data["persons"])
    assert sum(count(expected).values()) < sum(len(pair.before.data[e]) for e in MIGRATED)

    # A sample is no baseline: what it left out has not arrived.
    assert sampled.delta_refused is not None
    assert sampled.delta_refused.status_code == 409, sampled.delta_refused.text
    assert error_code(sampled.delta_refused) == "no_baseline"


async def test_a_full_session_after_the_sample_completes_the_target_with_every_record_once(
    pair: Pair, sampled: Sampled, completed: Step
) -> None:
    assert_completed(completed)
    assert completed.session["mode"] == "full"
    # T is S: every record once (nothing of the sample twice), links, owners, values.
    assert_same(pair.before, completed.target)
    for entity in MIGRATED:
        progress = completed.progress(entity)
        in_source = len(pair.before.data[entity])
        assert progress["created"] + progress["unchanged"] == in_source, (entity, progress)
        assert progress["unchanged"] == sampled.progress(entity)["created"], (entity, progress)
        assert progress["updated"] == progress["matched"] == progress["failed"] == 0, progress
        assert progress["gone"] == 0, (entity, progress)
    # What the sample wrote is still where it was: the same Pipedrive records.
    before, after = ids(sampled.target), ids(completed.target)
    for entity in MIGRATED:
        assert before[entity] <= after[entity], entity


async def test_a_delta_creates_the_three_new_persons_updates_the_five_renamed_and_nothing_else(
    pair: Pair, completed: Step, changed: Changed
) -> None:
    assert_completed(changed)
    assert changed.session["mode"] == "delta"
    for entity in MIGRATED:
        progress = changed.progress(entity)
        want = (3, 5) if entity == "persons" else (0, 0)
        assert (progress["created"], progress["updated"]) == want, (entity, progress)
        assert progress["matched"] == progress["failed"] == 0, (entity, progress)
    # T is S as it is now: the new names, the three newcomers, nothing twice.
    assert_same(changed.source, changed.target)
    names = Counter(p["name"] for p in changed.target.data["persons"])
    for name in [*changed.renamed.values(), *NEWCOMERS]:
        assert names[name] == 1, name
    assert len(changed.target.data["persons"]) == len(pair.before.data["persons"]) + 3
    # Updated in place: the records the full session left are the ones the delta left.
    for entity in MIGRATED:
        assert ids(completed.target)[entity] <= ids(changed.target)[entity], entity


async def test_undoing_the_full_session_deletes_what_it_created_and_keeps_the_sample_and_delta(
    sampled: Sampled, completed: Step, changed: Changed, undone: Step
) -> None:
    assert_completed(undone)
    for entity in MIGRATED:
        progress = undone.progress(entity)
        assert progress["deleted"] == completed.progress(entity)["created"], (entity, progress)
        assert progress["failed"] == progress["skipped"] == 0, (entity, progress)
    assert "users" not in undone.session["progress"] or (
        undone.session["progress"]["users"]["deleted"] == 0
    )

    # Left: exactly the sample's records and the persons the delta created.
    delta_created = ids(changed.target)["persons"] - ids(completed.target)["persons"]
    assert len(delta_created) == 3
    expected = ids(sampled.target)
    expected["persons"] |= delta_created
    assert ids(undone.target) == expected
    # ... as the delta left them (the sample's renamed persons keep their new names).
    _, owners = owner_maps(changed.target, undone.target)
    for entity in MIGRATED:
        want = rendered(changed.target, entity, owners, expected[entity])
        assert rendered(undone.target, entity, owners) == want, entity
    names = {p["name"] for p in undone.target.data["persons"]}
    for person_id, name in changed.renamed.items():
        assert (name in names) == (person_id in changed.renamed_in_sample), name
    assert set(NEWCOMERS) <= names


async def test_a_second_undo_deletes_nothing_and_a_full_session_creates_the_undone_again(
    api: httpx.AsyncClient, pair: Pair, completed: Step, changed: Changed, undone: Step
) -> None:
    again = await undo(api, completed.session["id"], pair.target)
    assert_completed(again)
    for entity in MIGRATED:
        assert again.progress(entity)["deleted"] == 0, (entity, again.progress(entity))
    assert ids(again.target) == ids(undone.target)

    # What the undo deleted has not changed in S: a delta would not bring it back.
    body = {"source": endpoint(pair.source), "target": endpoint(pair.target), "mode": "delta"}
    refused = await api.post("/v1/sessions", json=body)
    assert refused.status_code == 409 and error_code(refused) == "no_baseline", refused.text

    full = await run(api, pair.source, pair.target)
    assert_completed(full)
    assert_same(changed.source, full.target)
    for entity in MIGRATED:
        progress = full.progress(entity)
        assert progress["created"] == completed.progress(entity)["created"], (entity, progress)
        assert progress["created"] + progress["unchanged"] == len(changed.source.data[entity])
        assert progress["updated"] == progress["matched"] == 0, (entity, progress)


# Undo keeps what was edited in Pipedrive ----------------------------------------------------


async def test_undo_keeps_a_record_edited_in_pipedrive_and_lists_it_unless_forced(
    api: httpx.AsyncClient,
) -> None:
    source = await sandbox(api, size=10)
    # 10 requests a second: the first persons are written seconds before the session ends.
    target = await sandbox(api, dataset="empty", limits={"burst": 20})
    full = await run(api, source, target)
    assert_completed(full)

    # The first organization and the first person T got, edited by hand in Pipedrive.
    first = {
        e: min(full.target.data[e], key=lambda r: r["id"]) for e in ("organizations", "persons")
    }
    for entity, record in first.items():
        edited = await pipedrive(
            target, "PATCH", f"/api/v2/{entity}/{record['id']}", {"name": f"Edited {entity}"}
        )
        # The test's own precondition: Pipedrive's clock tells the edit from Ferry's write.
        gap = moment(edited["update_time"]) - moment(record["update_time"])
        assert gap.total_seconds() >= 2, (entity, record["update_time"], edited["update_time"])

    kept = await undo(api, full.session["id"], target)
    assert kept.session["status"] in ("completed", "completed_with_errors"), kept.session
    listed = sorted((e["entity"], e["code"]) for e in kept.errors)
    assert listed == [("organizations", "edited_in_target"), ("persons", "edited_in_target")]
    for error in kept.errors:
        assert str(first[error["entity"]]["id"]) in error["message"], error
    for entity in MIGRATED:
        progress, created = kept.progress(entity), full.progress(entity)["created"]
        edits = 1 if entity in first else 0
        assert progress["deleted"] == created - edits, (entity, progress)
        assert progress["skipped"] == edits, (entity, progress)
        left = [(r["id"], r.get("name")) for r in kept.target.data[entity]]
        assert left == ([(first[entity]["id"], f"Edited {entity}")] if edits else []), entity

    forced = await undo(api, full.session["id"], target, force=True)
    assert_completed(forced)
    for entity in MIGRATED:
        want = 1 if entity in first else 0
        assert forced.progress(entity)["deleted"] == want, (entity, forced.progress(entity))
    for entity in MIGRATED:
        assert forced.target.data[entity] == [], entity


# Merge with what Pipedrive already holds ----------------------------------------------------


async def test_a_reference_company_into_another_merges_persons_with_an_email_and_organizations(
    api: httpx.AsyncClient,
) -> None:
    source = await sandbox(api, size=SIZE)
    target = await sandbox(api, size=SIZE)
    before = await view(target)
    src = await view(source)
    with_email = [p for p in src.data["persons"] if p.get("emails")]
    without = len(src.data["persons"]) - len(with_email)
    assert with_email and without

    step = await run(api, source, target)
    assert_completed(step)
    persons, orgs = step.progress("persons"), step.progress("organizations")
    assert (persons["matched"], persons["created"]) == (len(with_email), without), persons
    assert (orgs["matched"], orgs["created"]) == (len(src.data["organizations"]), 0), orgs
    products = step.progress("products")
    assert (products["matched"], products["created"]) == (len(src.data["products"]), 0)
    for entity in ("deals", "activities", "notes"):  # never merged
        progress = step.progress(entity)
        assert progress["created"] == len(src.data[entity]), (entity, progress)
        assert progress["matched"] == 0, (entity, progress)

    after = step.target
    assert len(after.data["organizations"]) == len(before.data["organizations"])
    assert len(after.data["products"]) == len(before.data["products"])
    assert len(after.data["persons"]) == len(before.data["persons"]) + without
    # Every e-mail T held, it still holds once: no person with an e-mail was created again.
    emails = Counter(e["value"] for p in after.data["persons"] for e in p.get("emails") or [])
    held = Counter(e["value"] for p in before.data["persons"] for e in p.get("emails") or [])
    assert emails == held

    # Undone, T is as it was: what was matched (or reused) stays, only what was created goes.
    undone = await undo(api, step.session["id"], target)
    assert_completed(undone)
    assert undone.progress("persons")["deleted"] == without, undone.progress("persons")
    assert undone.progress("organizations")["deleted"] == 0, undone.progress("organizations")
    assert_same(before, undone.target)
    assert ids(undone.target) == ids(before)


async def test_merge_false_creates_what_the_target_already_holds(
    api: httpx.AsyncClient,
) -> None:
    source = await sandbox(api, size=SIZE)
    target = await sandbox(api, size=SIZE)
    before = await view(target)

    step = await run(api, source, target, merge=False)
    assert_completed(step)
    assert step.session["merge"] is None
    for entity in ("organizations", "persons", "products"):
        progress = step.progress(entity)
        assert progress["matched"] == 0, (entity, progress)
        assert progress["created"] == len(before.data[entity]), (entity, progress)
        assert len(step.target.data[entity]) == 2 * len(before.data[entity]), entity


# Guards ----------------------------------------------------------------------------------------


async def test_guards_no_baseline_pair_busy_undo_of_a_running_session_and_sample_options(
    api: httpx.AsyncClient,
) -> None:
    source = await sandbox(api, size=SIZE)
    target = await sandbox(api, dataset="empty", limits={"burst": 10})  # 5 requests a second
    body = {"source": endpoint(source), "target": endpoint(target)}

    refused = await api.post("/v1/sessions", json={**body, "mode": "delta"})
    assert refused.status_code == 409, refused.text
    assert error_code(refused) == "no_baseline"

    for wrong in ({"mode": "full"}, {}, {"mode": "delta"}):
        response = await api.post("/v1/sessions", json={**body, **wrong, "sample": {}})
        assert response.status_code == 422, (wrong, response.text)
    response = await api.post("/v1/sessions", json={**body, "sample": {"per_entity": 3}})
    assert response.status_code == 422
    assert error_code(response) == "sample_without_sample_mode"

    session = await start_session(api, source, target)
    await wait_for(api, session["id"], until=lambda s: s["status"] == "running")
    try:
        busy = await api.post("/v1/sessions", json=body)
        assert busy.status_code == 409, busy.text
        assert error_code(busy) == "pair_busy"
        assert busy.json()["error"]["details"]["session_id"] == session["id"]
        sample = await api.post("/v1/sessions", json={**body, "mode": "sample"})
        assert sample.status_code == 409 and error_code(sample) == "pair_busy", sample.text

        running = await api.post(f"/v1/sessions/{session['id']}/undo")
        assert running.status_code == 409, running.text
        assert error_code(running) == "session_running"
    finally:
        await api.post(f"/v1/sessions/{session['id']}/cancel")
    done = await wait_for(api, session["id"], timeout=30)
    assert done["status"] == "cancelled", done
