"""Pipedrive source and target: pure mapping rules, then a whole migration between two emulated
accounts (seeded -> empty) read back and compared."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest

from adapters.core.canonical import (
    ContactPoint,
    CustomFieldDef,
    Deal,
    Entity,
    FieldType,
    Note,
    Person,
    Record,
    User,
)
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed, BudgetExhausted, RecordRejected
from adapters.core.fields import SourceField, canonical_value
from adapters.core.http import LocalRateLimiter, RetryPolicy
from adapters.core.protocols import (
    PendingWrite,
    StagedItem,
    TargetField,
    TargetId,
    TargetUser,
)
from adapters.pipedrive.client import PipedriveClient
from adapters.pipedrive.source import pipedrive_source
from adapters.pipedrive.target import PipedriveTarget, target_value

# Pure rules ------------------------------------------------------------------------------------


def source_field(kind: FieldType, labels: dict[str, str] | None = None) -> SourceField:
    definition = CustomFieldDef(
        entity=Entity.deals,
        key="abc",
        name="F",
        field_type=kind,
        options=list((labels or {}).values()),
    )
    return SourceField(definition, labels or {})


@pytest.mark.parametrize(
    ("kind", "stored", "expected"),
    [
        (FieldType.enum, 2, "Outbound"),
        (FieldType.enum, {"id": 1, "label": "Inbound"}, "Inbound"),
        (FieldType.enum, 99, None),
        (FieldType.set, [1, 2], ["Inbound", "Outbound"]),
        (FieldType.set, "1,2", ["Inbound", "Outbound"]),
        (FieldType.monetary, {"value": 10, "currency": "EUR"}, {"value": 10.0, "currency": "EUR"}),
        (FieldType.double, 3, 3.0),
        (FieldType.date, "2026-01-15", "2026-01-15"),
        (FieldType.varchar, "", None),
    ],
)
def test_source_reads_stored_values_as_canonical(
    kind: FieldType, stored: Any, expected: Any
) -> None:
    field = source_field(kind, {"1": "Inbound", "2": "Outbound"})
    assert canonical_value(field, stored) == expected


def target_field(kind: FieldType, options: dict[str, int] | None = None) -> TargetField:
    return TargetField(key="h" * 40, field_type=kind.value, option_ids=options or {})


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (FieldType.enum, "Inbound", 1),
        (FieldType.enum, "inbound ", 1),  # case and spacing differences still match
        (FieldType.enum, "Nope", None),  # unknown label: dropped, not a failure
        (FieldType.set, ["Outbound", "Nope"], [2]),
        (FieldType.set, ["Nope"], None),  # Pipedrive refuses an empty set
        (FieldType.double, "12.5", 12.5),
        (FieldType.double, "many", None),
        (FieldType.monetary, {"value": 5, "currency": "PLN"}, {"value": 5.0, "currency": "PLN"}),
        (FieldType.date, "2026-02-30", None),
        (FieldType.varchar, "x" * 300, "x" * 255),
    ],
)
def test_target_converts_or_drops_values(kind: FieldType, value: Any, expected: Any) -> None:
    assert target_value(target_field(kind, {"Inbound": 1, "Outbound": 2}), value) == expected


def test_deal_payload_links_stage_owner_and_custom_fields() -> None:
    ids = {(Entity.stages, "s1"): 31, (Entity.persons, "p1"): 7, (Entity.users, "u1"): 100}
    fields = {(Entity.deals, "source"): target_field(FieldType.enum, {"Web": 4})}
    deal = Deal(
        source_id="d1",
        title="Big one",
        status="lost",
        lost_reason="price",
        won_time="2026-01-01T00:00:00Z",
        stage_source_id="s1",
        pipeline_source_id="pl1",
        person_source_id="p1",
        org_source_id="gone",
        owner_source_id="u1",
        custom_fields={"source": "Web", "unknown": "x"},
    )
    payload = PipedriveTarget(None).build_payload(  # type: ignore[arg-type]
        Entity.deals, deal, lambda e, s: ids.get((e, s)), fields, default_owner_id=1
    )
    assert payload == {
        "title": "Big one",
        "status": "lost",
        "lost_reason": "price",
        "stage_id": 31,
        "person_id": 7,
        "owner_id": 100,
        "custom_fields": {"h" * 40: 4},
    }


def test_person_and_note_payloads_fall_back_to_default_owner() -> None:
    target = PipedriveTarget(None)  # type: ignore[arg-type]
    person = Person(
        source_id="p1",
        name="Zażółć Gęślą-Jaźń 🚀",
        emails=[ContactPoint(value="a@x.pl"), ContactPoint(value="b@x.pl")],
        owner_source_id="u6",
    )
    payload = target.build_payload(Entity.persons, person, lambda e, s: None, {}, 9)
    assert payload["owner_id"] == 9
    assert [e["primary"] for e in payload["emails"]] == [True, False]

    note = Note(
        source_id="n1",
        content="<p>x</p>",
        deal_source_id="d1",
        add_time="2026-01-15T10:20:00+02:00",
    )
    payload = target.build_payload(Entity.notes, note, lambda e, s: 5, {}, 9)
    assert payload == {
        "content": "<p>x</p>",
        "deal_id": 5,
        "user_id": 9,
        "add_time": "2026-01-15 08:20:00",
    }


# A migration between two emulated companies ------------------------------------------------------

emulator_module = pytest.importorskip("adapters.pipedrive.emulator")
PipedriveEmulator = emulator_module.PipedriveEmulator
Limits = emulator_module.Limits

SIZE = 30
DATA_ENTITIES = (
    Entity.organizations,
    Entity.persons,
    Entity.pipelines,
    Entity.stages,
    Entity.products,
    Entity.deals,
    Entity.leads,
    Entity.activities,
    Entity.notes,
)


class SharedClock:
    """One fake clock for the emulator's rate windows and the client's waits: pacing is real,
    waiting is instant."""

    def __init__(self) -> None:
        self.now = time.time()
        self.waited = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waited += seconds
        self.now += seconds


@dataclass
class Sandbox:
    emulator: Any
    clock: SharedClock

    def client(self, account: str, token: str, page_size: int = 500) -> PipedriveClient:
        return PipedriveClient(
            token,
            f"http://sandbox/{account}",
            transport=httpx.ASGITransport(app=self.emulator.app),
            page_size=page_size,
            retry=RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.01),
            rate_limiter=LocalRateLimiter(sleep=self.clock.sleep, clock=self.clock),
            sleep=self.clock.sleep,
        )


@pytest.fixture
def sandbox() -> Sandbox:
    clock = SharedClock()
    # A small burst window so that the migration has to pace itself.
    emulator = PipedriveEmulator(clock=clock)
    emulator.create_account("acc1", api_token="tok", dataset="reference", size=SIZE)
    emulator.create_account("acc2", api_token="tok2", dataset="empty", limits=Limits(burst=20))
    return Sandbox(emulator, clock)


async def extract_all(source: DeclarativeSource, entity: Entity) -> list[StagedItem]:
    return [item async for page in source.extract(entity) for item in page.items]


@dataclass
class Migration:
    source_records: dict[Entity, list[Record]]
    ids: dict[tuple[Entity, str], TargetId]
    fields: dict[tuple[Entity, str], TargetField]
    rejected: list[tuple[Entity, str, str]]
    me: TargetUser
    target: PipedriveTarget
    payloads: dict[Entity, dict[str, dict[str, Any]]]


async def migrate(sandbox: Sandbox) -> Migration:
    """What the pipeline does, in its simplest form: extract, ensure fields, create in order."""
    source = pipedrive_source(sandbox.client("acc1", "tok"))
    target = PipedriveTarget(sandbox.client("acc2", "tok2"))
    me = await target.me()
    target_users = {u.email.casefold(): u.id for u in await target.users() if u.email}
    ids: dict[tuple[Entity, str], TargetId] = {}
    for item in await extract_all(source, Entity.users):  # users are matched by email
        user = cast(User, item.record)
        email = (user.email or "").casefold()
        if email in target_users:
            ids[(Entity.users, user.source_id)] = target_users[email]
    fields = await target.ensure_custom_fields(await source.custom_fields())

    def resolve(entity: Entity, source_id: str | None) -> TargetId | None:
        return ids.get((entity, source_id)) if source_id else None

    records: dict[Entity, list[Record]] = {}
    payloads: dict[Entity, dict[str, dict[str, Any]]] = {}
    rejected = []
    for entity in DATA_ENTITIES:
        records[entity], payloads[entity] = [], {}
        async for page in source.extract(entity):
            labels = {n for i in page.items for n in getattr(i.record, "labels", [])}
            await target.ensure_labels(entity, labels)
            for item in page.items:
                record = item.record
                records[entity].append(record)
                payload = target.build_payload(entity, record, resolve, fields, me.id)
                payloads[entity][record.source_id] = payload
                try:
                    written = await target.create(entity, payload)
                    ids[(entity, record.source_id)] = written.id
                except RecordRejected as exc:
                    rejected.append((entity, record.source_id, f"{exc.code}: {exc.message}"))
    await source.aclose()
    return Migration(records, ids, fields, rejected, me, target, payloads)


async def test_check_reports_the_account_and_reads_no_list(sandbox: Sandbox) -> None:
    source = pipedrive_source(sandbox.client("acc1", "tok"))
    info = await source.check()
    assert info.account["company_name"] == "acc1" and info.account["user_email"]
    # No Pipedrive list gives a total: none is read to count it (counted as it is extracted).
    assert info.counts == {} and source.client.stats.requests == 1


async def test_wrong_token_is_auth_failed_without_the_token(sandbox: Sandbox) -> None:
    source = pipedrive_source(sandbox.client("acc1", "not-the-token"))
    with pytest.raises(AuthFailed) as caught:
        await source.check()
    assert "not-the-token" not in str(caught.value) and "api_token" not in str(caught.value)


async def test_source_maps_custom_fields_and_hard_cases(sandbox: Sandbox) -> None:
    source = pipedrive_source(sandbox.client("acc1", "tok"))
    definitions = await source.custom_fields()
    assert {d.field_type for d in definitions} == set(FieldType)
    assert len(definitions) == 32
    persons = [i.record for i in await extract_all(source, Entity.persons)]
    assert len(persons) == SIZE
    hard = next(p for p in persons if p.name == "Zażółć Gęślą-Jaźń 🚀")
    assert len(hard.emails) == 3 and sum(e.primary for e in hard.emails) == 1
    # p1 has every field filled, with labels rather than option ids
    language = next(d for d in definitions if d.entity == Entity.persons and d.name == "Language")
    interests = next(d for d in definitions if d.entity == Entity.persons and d.name == "Interests")
    assert hard.custom_fields[language.key] in language.options
    assert set(hard.custom_fields[interests.key]) <= set(interests.options)


async def test_full_migration_into_an_empty_company(sandbox: Sandbox) -> None:
    m = await migrate(sandbox)
    assert m.rejected == []
    assert len(m.fields) == 32 and m.target.field_problems == []

    reader = pipedrive_source(sandbox.client("acc2", "tok2"))
    migrated = {e: [i.record for i in await extract_all(reader, e)] for e in DATA_ENTITIES}
    for entity in DATA_ENTITIES:
        assert len(migrated[entity]) == len(m.source_records[entity]), entity

    by_target_id = {e: {str(r.source_id): r for r in migrated[e]} for e in DATA_ENTITIES}

    def twin(entity: Entity, record: Record) -> Any:
        return by_target_id[entity][str(m.ids[(entity, record.source_id)])]

    def moved(entity: Entity, source_id: str | None) -> str | None:
        return None if source_id is None else str(m.ids[(entity, source_id)])

    # Links: every link of every record points at the migrated twin of its target.
    for deal in m.source_records[Entity.deals]:
        copy = twin(Entity.deals, deal)
        assert copy.person_source_id == moved(Entity.persons, deal.person_source_id)
        assert copy.org_source_id == moved(Entity.organizations, deal.org_source_id)
        assert copy.stage_source_id == moved(Entity.stages, deal.stage_source_id)
        assert (copy.title, copy.status, copy.value) == (deal.title, deal.status, deal.value)
    for person in m.source_records[Entity.persons]:
        assert twin(Entity.persons, person).org_source_id == moved(
            Entity.organizations, person.org_source_id
        )
    for activity in m.source_records[Entity.activities]:
        copy = twin(Entity.activities, activity)
        assert copy.deal_source_id == moved(Entity.deals, activity.deal_source_id)
        assert copy.person_source_id == moved(Entity.persons, activity.person_source_id)
        assert (copy.type, copy.done, copy.due_date) == (
            activity.type,
            activity.done,
            activity.due_date,
        )
    for note in m.source_records[Entity.notes]:
        copy = twin(Entity.notes, note)
        assert copy.content == note.content
        assert copy.deal_source_id == moved(Entity.deals, note.deal_source_id)
        assert copy.person_source_id == moved(Entity.persons, note.person_source_id)

    # Custom values: the same canonical values, now under the target's field keys.
    target_reader_fields = {(e, f.key): f for (e, _), f in m.fields.items()}
    assert target_reader_fields
    for entity in (Entity.organizations, Entity.persons, Entity.products, Entity.deals):
        for record in m.source_records[entity]:
            expected = {m.fields[(entity, k)].key: v for k, v in record.custom_fields.items()}
            assert twin(entity, record).custom_fields == expected, (entity, record.source_id)

    # The hard person: name intact, three emails with one primary.
    hard = next(p for p in migrated[Entity.persons] if p.name == "Zażółć Gęślą-Jaźń 🚀")
    source_hard = next(p for p in m.source_records[Entity.persons] if p.name == hard.name)
    assert [e.value for e in hard.emails] == [e.value for e in source_hard.emails]
    assert len(hard.emails) == 3 and sum(e.primary for e in hard.emails) == 1

    # Owners missing from the target fall back to the token's user.
    owners = {r.owner_source_id for r in migrated[Entity.persons]}
    assert str(m.me.id) in owners

    # Paced, not throttled: the small burst window was waited out, never hit.
    stats = m.target.client.stats
    assert stats.rate_limited == 0 and sandbox.clock.waited > 0
    assert stats.requests > 0


def _pending(payloads: dict[str, dict[str, Any]], at: datetime) -> list[PendingWrite]:
    return [PendingWrite(sid, payload, at) for sid, payload in payloads.items()]


async def test_reconcile_recovers_ids_after_a_crash(sandbox: Sandbox) -> None:
    started = datetime.fromtimestamp(sandbox.clock.now, UTC)
    m = await migrate(sandbox)
    # A fresh target (a new worker) with no memory of what was created.
    target = PipedriveTarget(sandbox.client("acc2", "tok2"))
    for entity in DATA_ENTITIES:
        result = await target.reconcile(entity, _pending(m.payloads[entity], started), set())
        expected = {sid: m.ids[(entity, sid)] for sid in m.payloads[entity]}
        assert result.found == expected, entity
        assert result.ambiguous == {}
    missing = {"x": {"name": "Never created", "emails": []}}
    assert (await target.reconcile(Entity.persons, _pending(missing, started), set())).found == {}


async def test_reconcile_never_claims_a_namesake_or_a_record_held_by_another(
    sandbox: Sandbox,
) -> None:
    target = PipedriveTarget(sandbox.client("acc2", "tok2"))
    at = datetime.fromtimestamp(sandbox.clock.now, UTC)
    org = (await target.create(Entity.organizations, {"name": "Acme"})).id
    with_org = {
        "name": "Noah Smith",
        "org_id": org,
        "emails": [{"value": "n@x.io", "primary": True, "label": "work"}],
    }
    held = (await target.create(Entity.persons, with_org)).id
    # The pending write had no organization: the namesake who has one is not it.
    alone = {"name": "Noah Smith", "emails": with_org["emails"]}
    result = await target.reconcile(Entity.persons, _pending({"p2": alone}, at), set())
    assert result.found == {}
    # The same payload, but the only match already belongs to another source record.
    result = await target.reconcile(Entity.persons, _pending({"p3": with_org}, at), {held})
    assert result.found == {} and result.ambiguous == {}
    # Made before the write was attempted: not ours either.
    later = datetime.fromtimestamp(sandbox.clock.now + 60, UTC)
    result = await target.reconcile(Entity.persons, _pending({"p4": with_org}, later), set())
    assert result.found == {}


async def test_reconcile_reports_what_it_cannot_tell_apart(sandbox: Sandbox) -> None:
    target = PipedriveTarget(sandbox.client("acc2", "tok2"))
    at = datetime.fromtimestamp(sandbox.clock.now, UTC)
    twin = {"name": "Twin Corp"}
    first = (await target.create(Entity.organizations, twin)).id
    second = (await target.create(Entity.organizations, twin)).id
    # Two identical pending writes and two identical records: each claims one.
    both = await target.reconcile(Entity.organizations, _pending({"a": twin, "b": twin}, at), set())
    assert sorted(both.found.values()) == [first, second]
    # One pending write and two identical records nobody holds: ambiguous, not guessed.
    one = await target.reconcile(Entity.organizations, _pending({"a": twin}, at), set())
    assert one.found == {} and one.ambiguous == {"a": [first, second]}


async def test_pipelines_and_stages_of_the_same_name_are_reused(sandbox: Sandbox) -> None:
    target = PipedriveTarget(sandbox.client("acc2", "tok2"))
    first = await target.create(Entity.pipelines, {"name": "Sales"})
    stage = await target.create(Entity.stages, {"name": "Won?", "pipeline_id": first.id})
    assert not first.reused and not stage.reused
    before = target.client.stats.requests
    again = await target.create(Entity.pipelines, {"name": "sales "})
    assert (again.id, again.reused) == (first.id, True)
    again = await target.create(Entity.stages, {"name": "WON?", "pipeline_id": first.id})
    assert (again.id, again.reused) == (stage.id, True)
    assert target.client.stats.requests == before  # answered from the cache, no request


async def test_create_turns_a_refusal_into_record_rejected(sandbox: Sandbox) -> None:
    target = PipedriveTarget(sandbox.client("acc2", "tok2"))
    with pytest.raises(RecordRejected) as caught:
        await target.create(Entity.persons, {"name": "X", "org_id": 999999})
    assert caught.value.code == "validation_failed"
    assert "999999" in caught.value.message


async def test_existing_fields_are_matched_not_duplicated(sandbox: Sandbox) -> None:
    source = pipedrive_source(sandbox.client("acc1", "tok"))
    definitions = await source.custom_fields()
    # acc1 already holds these fields: all matched by name and type, none created.
    target = PipedriveTarget(sandbox.client("acc1", "tok"))
    mapping = await target.ensure_custom_fields(definitions)
    assert {(e, k): f.key for (e, k), f in mapping.items()} == {
        (d.entity, d.key): d.key for d in definitions
    }
    assert target.client.stats.requests == 4  # one list page per entity


@pytest.mark.parametrize("entity", [Entity.persons, Entity.notes])  # a v2 cursor, a v1 offset
async def test_extract_resumes_from_a_page_cursor(sandbox: Sandbox, entity: Entity) -> None:
    source = pipedrive_source(sandbox.client("acc1", "tok", page_size=7))
    pages = [page async for page in source.extract(entity)]
    assert len(pages) > 2 and pages[-1].next_cursor is None
    resumed = [page async for page in source.extract(entity, pages[1].next_cursor)]
    ids = [i.record.source_id for page in pages[2:] for i in page.items]
    assert [i.record.source_id for page in resumed for i in page.items] == ids


async def test_spent_daily_budget_raises_budget_exhausted(sandbox: Sandbox) -> None:
    sandbox.emulator.create_account(
        "poor", api_token="tok3", dataset="reference", size=10, limits=Limits(daily_tokens=25)
    )
    source = pipedrive_source(sandbox.client("poor", "tok3"))
    with pytest.raises(BudgetExhausted) as caught:
        for entity in DATA_ENTITIES:
            await extract_all(source, entity)
    assert caught.value.resume_at > datetime.now(UTC)


async def test_missing_options_are_added_to_an_existing_field() -> None:
    seen: list[tuple[str, str, Any]] = []
    field = {
        "field_code": "f" * 40,
        "field_name": "Lead source",
        "field_type": "enum",
        "is_custom_field": True,
        "options": [{"id": 1, "label": "Website"}],
    }

    def pipedrive(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, request.url.path, body))
        if request.method == "GET":
            return httpx.Response(200, json={"success": True, "data": [field]})
        return httpx.Response(200, json={"success": True, "data": [{"id": 7, "label": "Messe"}]})

    client = PipedriveClient("tok", "http://pd.test", transport=httpx.MockTransport(pipedrive))
    definition = CustomFieldDef(
        entity=Entity.deals,
        key="lead_source",
        name="lead source",
        field_type=FieldType.enum,
        options=["website", "Messe"],
    )
    mapping = await PipedriveTarget(client).ensure_custom_fields([definition])
    mapped = mapping[(Entity.deals, "lead_source")]
    assert mapped.key == "f" * 40
    assert mapped.option_ids == {"Website": 1, "Messe": 7, "website": 1}
    assert seen[-1] == ("POST", f"/api/v2/dealFields/{'f' * 40}/options", [{"label": "Messe"}])


async def test_archived_deals_are_read_from_their_own_list_and_arrive_archived(
    sandbox: Sandbox,
) -> None:
    from adapters.reference.dataset import ARCHIVE_TIME, generate

    company = generate(size=SIZE)
    archived = {d.title for d in company.deals if d.is_archived}
    assert {d.status for d in company.deals if d.is_archived} >= {"won", "lost"}
    source = pipedrive_source(sandbox.client("acc1", "tok"))
    # /deals leaves archived deals out: the extract reads both lists.
    deals = [cast(Deal, item.record) for item in await extract_all(source, Entity.deals)]
    assert len(deals) == len({d.source_id for d in deals}) == len(company.deals)
    assert {d.title for d in deals if d.is_archived} == archived
    assert {d.archive_time for d in deals if d.is_archived} == {ARCHIVE_TIME}

    m = await migrate(sandbox)
    sent = [p for p in m.payloads[Entity.deals].values() if p.get("is_archived")]
    assert {p["title"] for p in sent} == archived
    assert {p["archive_time"] for p in sent} == {ARCHIVE_TIME.replace("T", " ")[:19]}
    reader = pipedrive_source(sandbox.client("acc2", "tok2"))
    moved = [cast(Deal, item.record) for item in await extract_all(reader, Entity.deals)]
    assert {(d.title, d.archive_time) for d in moved if d.is_archived} == {
        (title, ARCHIVE_TIME) for title in archived
    }
    assert len(moved) == len(company.deals)


async def test_reconcile_finds_an_archived_deal_whose_answer_was_lost(sandbox: Sandbox) -> None:
    target = PipedriveTarget(sandbox.client("acc2", "tok2"))
    at = datetime.fromtimestamp(sandbox.clock.now, UTC)
    pipeline = (await target.create(Entity.pipelines, {"name": "Sales"})).id
    stage = (await target.create(Entity.stages, {"name": "Lead", "pipeline_id": pipeline})).id
    payload = {
        "title": "Old deal",
        "stage_id": stage,
        "is_archived": True,
        "archive_time": "2026-01-15 08:00:00",
    }
    created = (await target.create(Entity.deals, payload)).id
    # Listed apart from the other deals, and answered with the time in RFC 3339.
    result = await target.reconcile(Entity.deals, _pending({"d1": payload}, at), set())
    assert result.found == {"d1": created}


def test_notes_that_differ_only_in_their_original_time_are_told_apart() -> None:
    from adapters.pipedrive import reconcile

    at = datetime(2026, 12, 1, tzinfo=UTC)
    first = {"content": "Call back", "person_id": 7, "add_time": "2024-01-01 10:00:00"}
    second = {**first, "add_time": "2024-02-01 10:00:00"}
    made = "2026-12-01 10:00:00"
    candidates = [
        {"id": 1, **second, "update_time": made},
        {"id": 2, **first, "update_time": made},
    ]
    result = reconcile.reconcile(
        Entity.notes, _pending({"a": first, "b": second}, at), candidates, set()
    )
    assert result.found == {"a": 2, "b": 1} and result.ambiguous == {}
