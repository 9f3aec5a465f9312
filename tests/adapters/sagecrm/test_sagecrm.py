"""The Sage CRM (REST API) source against its emulator: feeds walked by startIndex (from 1) to
`$totalResults`, a bad password refused, a 429 waited out, a short page an error, diagnoses as
errors, deltas by `where=<prefix>_updateddate gt @...@`, notes by their foreign table, and
communications linked through Comm_Link."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import httpx
import pytest

from adapters.core.auth import BasicAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.errors import AdapterError, AuthFailed, UnreadableResponse
from adapters.core.sdata import SDataPages
from adapters.reference.dataset import generate
from adapters.sagecrm.emulator import SageCrmEmulator
from adapters.sagecrm.render import IDS
from adapters.sagecrm.source import SPEC
from tests.adapters.sources import BASE, FakeClock, extract_records, in_process_source, provision

SIZE = 30
HELD = SageCrmEmulator().held(generate(size=SIZE, seed=0))
OWN = {lead.source_id for lead in HELD.leads}  # a lead's person and company: its own columns
Creds = tuple[SageCrmEmulator, dict[str, str]]


def vid(source_id: str | None) -> str | None:
    return None if source_id is None else str(IDS.integer(source_id))


def new_emulator(clock: FakeClock | None = None, burst: int = 0) -> Creds:
    emulator = SageCrmEmulator(clock=clock or FakeClock())
    return emulator, provision(emulator, size=SIZE, burst=burst)


def new_source(
    account: Creds,
    clock: FakeClock | None = None,
    spec: SourceSpec = SPEC,
    transport: httpx.AsyncBaseTransport | None = None,
    password: str | None = None,
) -> DeclarativeSource:
    emulator, credentials = account
    return in_process_source(
        spec,
        BasicAuth(credentials["username"], password or credentials["password"]),
        emulator.app,
        clock=clock,
        transport=transport,
    )


def raw_client(account: Creds, password: str | None = None) -> httpx.AsyncClient:
    emulator, credentials = account
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=f"{BASE}/sagecrm2/-",
        auth=(credentials["username"], password or credentials["password"]),
    )


def paged(size: int) -> SourceSpec:
    streams = tuple(
        dataclasses.replace(s, paginator=SDataPages(count=size)) if s.paginator else s
        for s in SPEC.streams
    )
    return dataclasses.replace(SPEC, streams=streams)


@pytest.fixture(scope="module")
def account() -> Creds:
    return new_emulator()


async def test_feeds_run_from_start_index_1_to_the_total(account: Creds) -> None:
    persons = await extract_records(new_source(account, spec=paged(7)), Entity.persons)
    assert [p.source_id for p in persons] == [vid(p.source_id) for p in HELD.persons]
    async with raw_client(account) as client:
        first = (await client.get("/person", params={"count": 7})).json()
        last = (await client.get("/person", params={"count": 7, "startIndex": 29})).json()
        zero = await client.get("/person", params={"startIndex": 0})
        big = await client.get("/person", params={"count": 101})
    assert first["$startIndex"] == 1 and first["$totalResults"] == len(HELD.persons) - len(OWN)
    assert first["$resources"][0]["$key"] == IDS.integer("p1")  # an integer key
    assert [r["$key"] for r in last["$resources"]] == [IDS.integer("p29"), IDS.integer("p30")]
    assert zero.status_code == 400 and big.status_code == 400  # from 1, at most 100


async def test_a_wrong_password_is_refused(account: Creds) -> None:
    with pytest.raises(AuthFailed):
        await new_source(account, password="wrong").check()
    async with raw_client(account, password="wrong") as client:
        refused = await client.get("/company")
    assert refused.status_code == 401
    assert set(refused.json()[0]) == {"$severity", "$sdataCode", "$message"}


async def test_a_429_is_waited_out_and_retried() -> None:
    clock = FakeClock()
    account = new_emulator(clock, burst=2)
    async with raw_client(account) as client:
        for _ in range(2):
            await client.get("/users")
        refused = await client.get("/users")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    source = new_source(account, clock)
    assert len(await extract_records(source, Entity.users)) == len(HELD.users)
    assert source.client.stats.rate_limited >= 1 and clock.slept


async def test_a_short_page_before_the_total_is_an_error(account: Creds) -> None:
    inner = httpx.ASGITransport(app=account[0].app)

    class Short(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await inner.handle_async_request(request)
            body = json.loads(await response.aread())
            if request.url.path.endswith("/company") and "$resources" in body:
                body["$totalResults"] += 3  # the total promises more than the pages hold
            return httpx.Response(200, json=body)

    source = new_source(account, spec=paged(4), transport=Short())
    with pytest.raises(UnreadableResponse, match="ended short"):
        await extract_records(source, Entity.organizations)


async def test_diagnoses_are_errors(account: Creds) -> None:
    async with raw_client(account) as client:
        bad = await client.get("/company", params={"where": "comp_name like"})
        unknown = await client.get("/company", params={"page": 2})
    assert bad.status_code == 400 and bad.json()[0]["$sdataCode"] == "BadWhereSyntax"
    assert unknown.json()[0]["$sdataCode"] == "BadQueryParameter"
    broken = dataclasses.replace(
        SPEC,
        streams=tuple(dataclasses.replace(s, params={"page": 1}) for s in SPEC.streams),
    )
    with pytest.raises(AdapterError, match="BadQueryParameter"):
        await extract_records(new_source(account, spec=broken), Entity.users)


async def test_a_delta_asks_where_updateddate_gt() -> None:
    account = new_emulator()
    tables = account[0].account_of("acme").tables
    for row in tables["company"]:
        if row["$key"] == IDS.integer("o4"):
            row["comp_updateddate"] = "2026-03-01T12:00:00Z"
    seen: list[str] = []
    inner = httpx.ASGITransport(app=account[0].app)

    class Spy(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.url.params.get("where", ""))
            return await inner.handle_async_request(request)

    source = new_source(account, transport=Spy())
    since = datetime(2026, 2, 1, tzinfo=UTC)
    got = [
        i.record async for p in source.extract(Entity.organizations, since=since) for i in p.items
    ]
    assert [o.source_id for o in got] == [vid("o4")]
    assert "comp_updateddate gt @2026-02-01T00:00:00Z@" in seen
    assert all(source.reads_changes(e) for e in (Entity.persons, Entity.deals, Entity.notes))


async def test_notes_name_their_one_record_by_foreign_table(account: Creds) -> None:
    notes = {n.source_id: n for n in await extract_records(new_source(account), Entity.notes)}
    assert len(notes) == len(HELD.notes) + len(HELD.lead_notes)
    rows = {r["$key"]: r for r in account[0].account_of("acme").table("notes")}
    for note in HELD.notes:
        got, row = notes[vid(note.source_id) or ""], rows[IDS.integer(note.source_id)]
        parents = (got.deal_source_id, got.person_source_id, got.org_source_id)
        assert sum(p is not None for p in parents) == 1  # one record
        if note.deal_source_id:
            assert row["note_foreigntableid"] == 10 and got.deal_source_id == vid(
                note.deal_source_id
            )
        elif note.person_source_id:
            assert row["note_foreigntableid"] == 13
        else:
            assert row["note_foreigntableid"] == 5 and got.org_source_id == vid(note.org_source_id)
    assert notes[vid("n1") or ""].content == HELD.notes[0].content  # the long note whole
    for note in HELD.lead_notes:  # table 4: a lead
        assert rows[IDS.integer(note.source_id)]["note_foreigntableid"] == 4
        assert notes[vid(note.source_id) or ""].lead_source_id == vid(note.lead_source_id)


async def test_communications_are_linked_through_comm_link(account: Creds) -> None:
    activities = {
        a.source_id: a for a in await extract_records(new_source(account), Entity.activities)
    }
    for held in HELD.activities:
        got = activities[vid(held.source_id) or ""]
        assert got.person_source_id == vid(held.person_source_id)
        assert got.org_source_id == vid(held.org_source_id)
        assert got.owner_source_id == vid(held.owner_source_id)
        assert (got.duration, got.done) == (held.duration, held.done)
    stages = await extract_records(new_source(account), Entity.stages)
    assert [s.name for s in stages] == [s.name for s in HELD.stages]  # oppo_stage, in order
    assert HELD.files == []


async def test_custom_columns_come_with_captions_choices_and_currencies(account: Creds) -> None:
    source = new_source(account)
    fields = {f.key: f for f in await source.custom_fields()}
    assert len(fields) == len(HELD.custom_fields)
    assert "comp_name" not in fields  # a column the source reads itself
    segments = fields["comp_segments"]
    assert (segments.name, segments.field_type.value) == ("Segments", "set")
    org = (await extract_records(source, Entity.organizations))[0]
    want = HELD.organizations[0].custom_fields
    assert org.custom_fields["comp_segments"] == want["segments"]  # from ",code,code,"
    assert org.custom_fields["comp_industry"] == want["industry"]  # a code, as its caption
    assert org.custom_fields["comp_annual_revenue"] == want["annual_revenue"]  # with its _cid


async def test_products_keep_their_prices_and_lines_their_quoted_price(account: Creds) -> None:
    source = new_source(account)
    products = await extract_records(source, Entity.products)
    assert [p.prices for p in products] == [p.prices for p in HELD.products]
    lines = await extract_records(source, Entity.deal_products)
    assert [(i.item_price, i.discount) for i in lines[:2]] == [(1080.0, 0.0), (800.0, 0.0)]
    assert lines[1].deal_source_id == vid("d1") and lines[1].product_source_id == vid("pr2")


async def test_open_leads_come_with_a_person_and_company_of_their_own(account: Creds) -> None:
    source = new_source(account)
    leads = {lead.source_id: lead for lead in await extract_records(source, Entity.leads)}
    persons = {p.source_id: p for p in await extract_records(source, Entity.persons)}
    orgs = {o.source_id: o for o in await extract_records(source, Entity.organizations)}
    assert set(leads) == {vid(lead.source_id) for lead in HELD.leads}  # not the converted one
    rows = account[0].account_of("acme").table("lead")
    assert len(rows) == len(leads) + 1 and rows[-1]["lead_status"] == "Opportunity"
    for lead in HELD.leads:
        got = leads[vid(lead.source_id) or ""]
        assert got.title == lead.title and got.person_source_id == got.source_id  # description
        assert persons[got.source_id].owner_source_id == vid(lead.owner_source_id)
        if got.org_source_id:
            assert orgs[got.org_source_id].name == rows[HELD.leads.index(lead)]["lead_companyname"]
    activities = await extract_records(source, Entity.activities)
    on_leads = {a.source_id: a.lead_source_id for a in activities if a.lead_source_id}
    assert on_leads == {vid(a.source_id): vid(a.lead_source_id) for a in HELD.lead_activities}
