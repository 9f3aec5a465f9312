"""The Infor CRM (Saleslogix) source against its emulator: feeds walked by startIndex and
`$next` to their total, a bad password refused, a 429 waited out, a page cut short an error,
diagnoses as errors, deltas by `where=ModifyDate gt @...@`, notes and done activities from
History, stages from the "Opportunity Stage" picklist."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime

import httpx
import pytest

from adapters.core.auth import BasicAuth
from adapters.core.blobs import Blob
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.errors import AdapterError, AuthFailed, UnreadableResponse
from adapters.core.sdata import SDataPages
from adapters.infor_crm.emulator import InforCrmEmulator
from adapters.infor_crm.render import key
from adapters.infor_crm.source import SPEC
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, in_process_source, provision

SIZE = 30
HELD = InforCrmEmulator().held(generate(size=SIZE, seed=0))
OWN = {lead.source_id for lead in HELD.leads}  # a lead's person and company: its own fields
CONTACTS = [p for p in HELD.persons if p.source_id not in OWN]
Creds = tuple[InforCrmEmulator, dict[str, str]]


def new_emulator(clock: FakeClock | None = None, burst: int = 0) -> Creds:
    emulator = InforCrmEmulator(clock=clock or FakeClock())
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


def raw_client(account: Creds) -> httpx.AsyncClient:
    emulator, credentials = account
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=f"{BASE}/sdata/slx/dynamic/-",
        auth=(credentials["username"], credentials["password"]),
    )


def paged(size: int) -> SourceSpec:
    streams = tuple(dataclasses.replace(s, paginator=SDataPages(count=size)) for s in SPEC.streams)
    return dataclasses.replace(SPEC, streams=streams)


@pytest.fixture(scope="module")
def account() -> Creds:
    return new_emulator()


async def test_feeds_are_walked_by_next_links_to_their_total(account: Creds) -> None:
    source = new_source(account, spec=paged(7))
    persons = await extract_records(source, Entity.persons)
    assert [p.source_id for p in persons] == [key(p.source_id) for p in HELD.persons]
    assert len(persons) > 7 and len(CONTACTS) == 30
    async with raw_client(account) as client:
        body = (await client.get("/contacts", params={"format": "json", "count": 7})).json()
        last = (
            await client.get("/contacts", params={"format": "json", "count": 7, "startIndex": 29})
        ).json()
    assert body["$totalResults"] == len(CONTACTS) and body["$startIndex"] == 1
    assert body["$itemsPerPage"] == 7 and len(body["$resources"]) == 7
    assert body["$next"].endswith("/sdata/slx/dynamic/-/contacts?format=json&count=7&startIndex=8")
    assert "$next" not in last and len(last["$resources"]) == 2


async def test_a_wrong_password_is_refused(account: Creds) -> None:
    with pytest.raises(AuthFailed):
        await new_source(account, password="wrong").check()
    emulator, credentials = account
    async with raw_client((emulator, {**credentials, "password": "x"})) as client:
        refused = await client.get("/accounts", params={"format": "json"})
    assert refused.status_code == 401
    assert refused.json()[0]["$severity"] == "Error" and refused.json()[0]["$message"]


async def test_a_429_is_waited_out_and_retried() -> None:
    clock = FakeClock()
    account = new_emulator(clock, burst=2)
    async with raw_client(account) as client:
        for _ in range(2):
            await client.get("/users", params={"format": "json"})
        refused = await client.get("/users", params={"format": "json"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    source = new_source(account, clock)
    assert len(await extract_records(source, Entity.users)) == len(HELD.users)
    assert source.client.stats.rate_limited >= 1 and clock.slept


async def test_a_page_cut_short_is_an_error_not_the_end(account: Creds) -> None:
    inner = httpx.ASGITransport(app=account[0].app)

    class CutShort(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await inner.handle_async_request(request)
            body = json.loads(await response.aread())
            if request.url.params.get("startIndex") == "8":
                body["$resources"] = body["$resources"][:-1]  # a record lost on the way
            return httpx.Response(200, json=body)

    source = new_source(account, spec=paged(7), transport=CutShort())
    with pytest.raises(UnreadableResponse, match="ended short"):
        await extract_records(source, Entity.persons)


async def test_diagnoses_are_errors(account: Creds) -> None:
    async with raw_client(account) as client:
        bad_where = await client.get("/accounts", params={"format": "json", "where": "Name ~ 1"})
        atom = await client.get("/accounts")
        too_many = await client.get("/accounts", params={"format": "json", "count": 101})
    assert bad_where.status_code == 400
    assert bad_where.json()[0]["$sdataCode"] == "BadWhereSyntax"
    assert atom.status_code == 400 and "format=json" in atom.json()[0]["$message"]
    assert too_many.json()[0]["$sdataCode"] == "BadQueryParameter"
    broken = dataclasses.replace(
        SPEC,
        streams=tuple(
            dataclasses.replace(s, params={"format": "json", "sort": "x"}) for s in SPEC.streams
        ),
    )
    with pytest.raises(AdapterError, match="BadQueryParameter"):
        await extract_records(new_source(account, spec=broken), Entity.users)


async def test_a_delta_reads_what_was_modified_since() -> None:
    account = new_emulator()
    tables = account[0].account_of("acme").tables
    changed = {key("o2"), key("n3")}
    for row in tables["accounts"] + tables["history"]:
        if row["$key"] in changed:
            row["ModifyDate"] = "2026-03-01T12:00:00Z"
    source = new_source(account)
    since = datetime(2026, 2, 1, tzinfo=UTC)
    orgs = [
        r.source_id
        async for p in source.extract(Entity.organizations, since=since)
        for r in (i.record for i in p.items)
    ]
    notes = [
        r.source_id
        async for p in source.extract(Entity.notes, since=since)
        for r in (i.record for i in p.items)
    ]
    assert orgs == [key("o2")] and notes == [key("n3")]
    assert source.reads_changes(Entity.notes) and source.reads_changes(Entity.activities)


async def test_notes_and_done_activities_come_from_history(account: Creds) -> None:
    source = new_source(account)
    notes = {n.source_id: n for n in await extract_records(source, Entity.notes)}
    assert set(notes) == {key(n.source_id) for n in [*HELD.notes, *HELD.lead_notes]}
    first = HELD.notes[0]
    assert notes[key(first.source_id)].content == first.content  # LongNotes, whole
    assert notes[key(first.source_id)].deal_source_id == key(first.deal_source_id)
    activities = await extract_records(source, Entity.activities)
    assert sorted(a.source_id for a in activities) == sorted(
        key(a.source_id) for a in [*HELD.activities, *HELD.lead_activities]
    )
    assert {a.done for a in activities} == {True, False}
    emulator, _ = account
    history = emulator.account_of("acme").table("history")
    assert {h["Type"] for h in history} >= {"atNote", "atPhoneCall"}


async def test_stages_are_the_opportunity_stage_picklist_in_one_pipeline(account: Creds) -> None:
    source = new_source(account)
    pipelines = await extract_records(source, Entity.pipelines)
    stages = await extract_records(source, Entity.stages)
    deals = {d.source_id: d for d in await extract_records(source, Entity.deals)}
    assert [p.name for p in pipelines] == ["Opportunity Stage"]
    assert [s.name for s in stages] == [s.name for s in HELD.stages]
    by_name = {s.name: s.source_id for s in stages}
    names = {s.source_id: s.name for s in HELD.stages}
    for deal in HELD.deals:
        got = deals[key(deal.source_id)]
        assert got.stage_source_id == by_name[names[deal.stage_source_id or ""]]
        assert got.person_source_id == key(deal.person_source_id)  # the primary contact
    async with raw_client(account) as client:
        bare = (await client.get("../../system/-/picklists", params={"format": "json"})).json()
    assert bare["$resources"][0]["items"] == {"$deferred": True}  # only with include=items


async def test_custom_fields_are_the_entity_properties_beyond_those_read(account: Creds) -> None:
    source = new_source(account)
    fields = {(f.entity, f.name): f for f in await source.custom_fields()}
    assert len(fields) == len(HELD.custom_fields)
    segments = fields[(Entity.organizations, "Segments")]
    assert segments.field_type.value == "set" and "Enterprise" in segments.options
    assert not any(f.key in ("Id", "ModifyDate", "AccountName") for f in fields.values())
    org = next(o for o in await extract_records(source, Entity.organizations))
    want = HELD.organizations[0].custom_fields
    assert org.custom_fields["Segments"] == want["segments"]  # "a, b" in the property
    assert org.custom_fields["AnnualRevenue"] == want["annual_revenue"]  # a bare amount


async def test_products_and_their_lines_on_deals(account: Creds) -> None:
    source = new_source(account)
    products = await extract_records(source, Entity.products)
    assert {p.prices[0].currency for p in products} == {"EUR"}  # the BaseCurrency option
    lines = await extract_records(source, Entity.deal_products)
    assert len(lines) == len(HELD.deal_products)
    by_amount = lines[1]  # 150 off 3 x 850 is its share of the line
    assert (by_amount.discount, by_amount.discount_type) == (5.8824, "percentage")
    assert by_amount.deal_source_id == key("d1") and by_amount.product_source_id == key("pr2")


async def test_leads_come_with_a_person_and_company_of_their_own(account: Creds) -> None:
    source = new_source(account)
    leads = {lead.source_id: lead for lead in await extract_records(source, Entity.leads)}
    persons = {p.source_id: p for p in await extract_records(source, Entity.persons)}
    orgs = {o.source_id: o for o in await extract_records(source, Entity.organizations)}
    assert set(leads) == {key(lead.source_id) for lead in HELD.leads} and len(leads) == 3
    for lead in leads.values():
        assert lead.person_source_id == lead.source_id and lead.source_id in persons
        if lead.org_source_id:
            assert orgs[lead.org_source_id].name in lead.title  # "Name (Company)"
            assert persons[lead.source_id].org_source_id == lead.org_source_id
    notes = [n for n in await extract_records(source, Entity.notes) if n.lead_source_id]
    assert {n.lead_source_id for n in notes} == {key(n.lead_source_id) for n in HELD.lead_notes}
    activities = await extract_records(source, Entity.activities)
    assert sum(bool(a.lead_source_id) for a in activities) == len(HELD.lead_activities) > 0


async def test_attachments_are_files_on_their_records_byte_for_byte(account: Creds) -> None:
    source = new_source(account)
    files = {f.name: f for f in await extract_records(source, Entity.files)}
    want = {f.name: f for f in HELD.files}
    assert set(files) == set(want) and len(want) >= 6  # not the URL link (dataType U)
    links = ("deal_source_id", "person_source_id", "org_source_id", "lead_source_id")
    for name, file in files.items():  # the most particular record: not the contact's account
        expected = [key(getattr(want[name], link)) for link in (*links, "activity_source_id")]
        assert [getattr(file, link) for link in (*links, "activity_source_id")] == expected
        with Blob(name, cap=10 << 20) as blob:
            assert await source.download(file, blob) == file.size == want[name].size
            got = hashlib.sha256(b"".join([chunk async for chunk in blob.chunks()])).hexdigest()
        assert got == hashlib.sha256(HELD.file_bytes[want[name].source_id]).hexdigest(), name
    async with raw_client(account) as client:
        listed = (await client.get("../../system/-/attachments", params={"format": "json"})).json()
        missing = await client.get("../../system/-/attachments('QNOSUCHFILE0')/file")
    assert {a["dataType"] for a in listed["$resources"]} == {"R", "U"}
    assert all("_bytes" not in a for a in listed["$resources"])
    assert missing.status_code == 404 and missing.json()[0]["$sdataCode"] == "ResourceKindNotFound"
