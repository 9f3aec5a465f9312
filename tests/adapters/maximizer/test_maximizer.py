"""The Maximizer CRM source against its Octopus API emulator: Authenticate then a bearer, every
entity to the end of its PageKey pages, a negative Code in a 200 refused (never an end of the
list), a page key handed back twice stopping the run, base64 keys, the three kinds of address
book entry, leads with their own person and company (a converted one left out), UDF values,
changed-since, documents and their bytes, a 429 waited out, a cut-short page and a body that is not JSON."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.errors import AdapterError, AuthFailed
from adapters.core.http import UnexpectedResponse
from adapters.core.paginators import CursorInBody, RepeatedPageToken
from adapters.maximizer.emulator import MaximizerEmulator
from adapters.maximizer.render import keys
from adapters.maximizer.source import SPEC, maximizer_auth, read
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, in_process_source, provision

SIZE = 30
HELD = MaximizerEmulator().held(generate(size=SIZE, seed=0))
KEYS = keys(HELD)
LEADS = {lead.source_id for lead in HELD.leads}


def decoded(key: str) -> list[str]:
    return base64.b64decode(key).decode().split("\t")


def new_emulator(clock: FakeClock | None = None, burst: int = 0) -> tuple[Any, dict[str, str]]:
    emulator = MaximizerEmulator(clock=clock or FakeClock())
    return emulator, provision(emulator, size=SIZE, burst=burst)


def new_source(
    emulator: MaximizerEmulator,
    credentials: dict[str, str],
    *,
    clock: FakeClock | None = None,
    spec: SourceSpec = SPEC,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DeclarativeSource:
    return in_process_source(
        spec, maximizer_auth(credentials, BASE), emulator.app, clock=clock, transport=transport
    )


def small_pages(size: int) -> SourceSpec:
    """The spec with every stream paged `size` records at a time."""
    streams = tuple(
        dataclasses.replace(s, paginator=dataclasses.replace(s.paginator, limit=size))
        if isinstance(s.paginator, CursorInBody)
        else s
        for s in SPEC.streams
    )
    return dataclasses.replace(SPEC, streams=streams)


async def token(emulator: MaximizerEmulator, credentials: dict[str, str]) -> str:
    async with raw(emulator) as client:
        login = {"Database": credentials["database"], "UID": credentials["uid"],
                 "Password": credentials["password"], "VendorId": credentials["vendor_id"],
                 "AppKey": credentials["app_key"]}  # fmt: skip
        answer = (await client.post("/Authenticate", json=login)).json()
    assert answer["Code"] == 0
    return str(answer["Data"]["Token"])


def raw(emulator: MaximizerEmulator, bearer: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    transport = httpx.ASGITransport(app=emulator.app)
    return httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers)


@pytest.fixture(scope="module")
def account() -> tuple[MaximizerEmulator, dict[str, str]]:
    return new_emulator()


async def test_authenticate_then_a_bearer_token(account: Any) -> None:
    emulator, credentials = account
    bearer = await token(emulator, credentials)
    async with raw(emulator, bearer) as client:
        info = (await client.post("/GetSessionInfo", json={})).json()
    assert info["Code"] == 0 and info["User"]["Key"]["Uid"] == "USER1"
    checked = await new_source(emulator, credentials).check()
    assert checked.account == {"database": "acme", "user_id": "USER1", "user_name": "Anna Kowalska"}


async def test_a_wrong_password_or_token_is_refused(account: Any) -> None:
    emulator, credentials = account
    with pytest.raises(AuthFailed):
        await new_source(emulator, {**credentials, "password": "wrong"}).check()
    with pytest.raises(AuthFailed):  # the cloud refuses a login without the app's keys
        await new_source(emulator, {**credentials, "app_key": ""}).check()
    async with raw(emulator, "stale") as client:
        answer = await client.post("/Read", json={"User": {"Scope": {"Fields": {"Key": 1}}}})
    assert answer.status_code == 200 and answer.json() == {"Code": -1, "Msg": ["Token is invalid"]}


async def test_every_entity_is_read_to_the_end_of_its_pages(account: Any) -> None:
    source = new_source(*account, spec=small_pages(7))
    for entity in source.entities:
        records = await extract_records(source, entity)
        assert len(records) == len({r.source_id for r in records}) == len(HELD.records(entity))
    emulator, credentials = account
    body = read("AbEntry", ("Key",)).build({}, {})
    pages, page_key = 0, None
    async with raw(emulator, await token(emulator, credentials)) as client:
        while True:
            body["AbEntry"]["OrderBy"] = {"PageSize": 7, "PageKey": page_key}
            answer = (await client.post("/Read", json=body)).json()
            pages, page_key = pages + 1, answer["AbEntry"]["PageKey"]
            if page_key is None:
                break
    entries = [r for r in HELD.organizations + HELD.persons if r.source_id not in LEADS]
    assert pages == -(-len(entries) // 7)  # a lead's own person and company are not entries


async def test_a_negative_code_is_an_error_not_the_end_of_the_list(account: Any) -> None:
    persons = next(s for s in SPEC.streams if s.entity is Entity.persons)
    asking = dataclasses.replace(persons, post=read("AbEntry", ("Key", "Nickname")))
    spec = dataclasses.replace(
        SPEC, streams=tuple(asking if s is persons else s for s in SPEC.streams)
    )
    with pytest.raises(UnexpectedResponse, match="Invalid field Nickname"):
        await extract_records(new_source(*account, spec=spec), Entity.persons)


class Rewriting(httpx.AsyncBaseTransport):
    """The emulator, with each answer's body passed through `rewrite`."""

    def __init__(self, emulator: MaximizerEmulator, rewrite: Any) -> None:
        self.inner = httpx.ASGITransport(app=emulator.app)
        self.rewrite = rewrite

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = self.rewrite(request, await response.aread())
        return httpx.Response(response.status_code, headers={}, content=content)


async def test_a_page_key_handed_back_twice_stops_the_run(account: Any) -> None:
    first: list[str] = []

    def same_key(request: httpx.Request, content: bytes) -> bytes:
        body = json.loads(content)
        if isinstance(body.get("AbEntry"), dict) and body["AbEntry"].get("PageKey"):
            first.append(body["AbEntry"]["PageKey"])
            body["AbEntry"]["PageKey"] = first[0]  # the second page names the first's key
        return json.dumps(body).encode()

    source = new_source(*account, spec=small_pages(3), transport=Rewriting(account[0], same_key))
    with pytest.raises(RepeatedPageToken):
        await extract_records(source, Entity.organizations)


async def test_a_page_cut_short_is_an_error(account: Any) -> None:
    def cut(request: httpx.Request, content: bytes) -> bytes:
        return content[: len(content) // 2] if b'"AbEntry"' in request.content else content

    source = new_source(*account, transport=Rewriting(account[0], cut))
    with pytest.raises(AdapterError):
        await extract_records(source, Entity.organizations)


async def test_keys_are_base64_and_say_the_three_kinds_of_entry(account: Any) -> None:
    source = new_source(*account)
    companies = await extract_records(source, Entity.organizations)
    persons = await extract_records(source, Entity.persons)
    assert {decoded(o.source_id)[0] for o in companies} == {"Company", "Lead"}
    kinds = {p.source_id: decoded(p.source_id) for p in persons}
    assert {k[0] for k in kinds.values()} == {"Contact", "Individual", "Lead"}
    for person in persons:
        kind, client_id, number = kinds[person.source_id]
        if kind == "Lead":  # a lead's own person, at the lead's own company if it names one
            assert person.org_source_id in (None, person.source_id) and client_id.endswith("LE")
        elif kind == "Contact":  # a contact's key is its company's Client_Id and its number
            assert person.org_source_id and decoded(person.org_source_id)[1] == client_id
            assert number != "0"
        else:
            assert person.org_source_id is None and number == "0"
    assert decoded(KEYS["u1"]) == ["User", "USER1"]
    held = {KEYS[p.source_id]: KEYS.get(p.org_source_id or "") for p in HELD.persons}
    assert {p.source_id: p.org_source_id for p in persons} == held


async def test_udf_values_arrive_as_custom_fields(account: Any) -> None:
    source = new_source(*account)
    names = {(f.entity, f.key): f.name for f in await source.custom_fields()}
    for entity in (Entity.organizations, Entity.persons, Entity.deals):
        got = {
            r.source_id: {names[(entity, k)]: v for k, v in r.custom_fields.items()}  # type: ignore[attr-defined]
            for r in await extract_records(source, entity)
        }
        by_key = {f.key: f.name for f in HELD.custom_fields if f.entity is entity}
        want = {
            KEYS[r.source_id]: {by_key[k]: v for k, v in r.custom_fields.items()}  # type: ignore[attr-defined]
            for r in HELD.records(entity)
        }
        assert got == want
    industry = next(f for f in await source.custom_fields() if f.name == "Industry")
    assert industry.field_type == "enum" and "Produkcja" in industry.options


async def test_changed_since_asks_for_last_modify_date(account: Any) -> None:
    source = new_source(*account)
    before = datetime(2026, 1, 1, tzinfo=UTC)
    after = datetime(2026, 2, 1, tzinfo=UTC)
    assert source.reads_changes(Entity.persons) and not source.reads_changes(Entity.users)
    assert len(await extract_records(source, Entity.persons, since=before)) == len(HELD.persons)
    assert await extract_records(source, Entity.notes, since=after) == []


async def test_a_429_is_waited_out_and_retried() -> None:
    clock = FakeClock()
    emulator, credentials = new_emulator(clock, burst=3)
    source = new_source(emulator, credentials, clock=clock)
    users = await extract_records(source, Entity.users)
    stages = await extract_records(source, Entity.stages)
    assert len(users) == len(HELD.users) and len(stages) == len(HELD.stages)
    assert source.client.stats.rate_limited >= 1 and clock.slept


async def test_a_token_expired_mid_run_is_renewed_and_the_run_goes_on() -> None:
    clock = FakeClock()
    emulator, credentials = new_emulator(clock)
    logins: list[str] = []

    def counted(request: httpx.Request, content: bytes) -> bytes:
        if request.url.path.endswith("/Authenticate"):
            logins.append(request.url.path)
        return content

    transport = Rewriting(emulator, counted)
    source = new_source(
        emulator, credentials, clock=clock, spec=small_pages(5), transport=transport
    )
    persons, pauses = [], iter([9 * 60, 9 * 60, 11 * 60])  # used within 10 minutes, then idle
    async for page in source.extract(Entity.persons):
        persons += [item.record for item in page.items]
        clock.now += next(pauses, 0)
    assert len({p.source_id for p in persons}) == len(HELD.persons)
    assert len(logins) == 2  # the idle token refused (a 200 with Code -1), one new login
    renewed = clock.now
    while clock.now < renewed + 25 * 3600:  # a token kept alive is refused after 24 hours
        clock.now += 9 * 60
        assert (await source.check()).account["user_id"] == "USER1"
    assert len(logins) == 3
    with pytest.raises(AuthFailed):  # a wrong password still fails
        await new_source(emulator, {**credentials, "password": "wrong"}, clock=clock).check()


async def test_leads_come_with_their_own_person_and_company_and_their_notes_and_tasks() -> None:
    emulator, credentials = new_emulator()
    source = new_source(emulator, credentials)
    leads = {r.source_id: r for r in await extract_records(source, Entity.leads)}
    want = {KEYS[lead.source_id]: lead for lead in HELD.leads}
    assert set(leads) == set(want) and {decoded(k)[0] for k in leads} == {"Lead"}
    for lead_key, lead in leads.items():
        held = want[lead_key]
        assert lead.title == held.title and lead.add_time == held.add_time  # type: ignore[attr-defined]
        assert lead.person_source_id == lead_key  # type: ignore[attr-defined]
        assert lead.org_source_id == (lead_key if held.org_source_id else None)  # type: ignore[attr-defined]
        assert lead.owner_source_id == KEYS[held.owner_source_id or ""]  # type: ignore[attr-defined]
    persons = {p.source_id: p for p in await extract_records(source, Entity.persons)}
    for lead in HELD.leads:  # its own person: names, one e-mail, two phones
        own = next(p for p in HELD.persons if p.source_id == lead.source_id)
        got = persons[KEYS[lead.source_id]]
        assert (got.first_name, got.last_name, got.emails, got.phones) == (  # type: ignore[attr-defined]
            own.first_name,
            own.last_name,
            own.emails,
            own.phones,
        )
    companies = {o.source_id: o for o in await extract_records(source, Entity.organizations)}
    for lead in HELD.leads:
        own_org = next((o for o in HELD.organizations if o.source_id == lead.source_id), None)
        if own_org:
            assert companies[KEYS[lead.source_id]].address == own_org.address  # type: ignore[attr-defined]
    on_leads = [
        (r.source_id, r.lead_source_id)  # type: ignore[attr-defined]
        for entity in (Entity.notes, Entity.activities)
        for r in await extract_records(source, entity)
        if r.lead_source_id  # type: ignore[attr-defined]
    ]
    held_on = [(KEYS[r.source_id], KEYS[r.lead_source_id or ""]) for r in HELD.lead_notes]
    held_on += [(KEYS[r.source_id], KEYS[r.lead_source_id or ""]) for r in HELD.lead_activities]
    assert held_on and sorted(on_leads) == sorted(held_on)
    # A converted lead names its address book entry and is that entry now: not read again.
    table = emulator.account_of("acme").tables["Lead"]
    table[0]["AbEntryKey"] = KEYS[HELD.organizations[0].source_id]
    assert len(await extract_records(source, Entity.leads)) == len(HELD.leads) - 1


async def test_a_body_that_is_not_json_is_a_negative_code(account: Any) -> None:
    emulator, credentials = account
    async with raw(emulator, await token(emulator, credentials)) as client:
        for content in (b'{"User": ', b"[1]"):
            answer = await client.post("/Read", content=content)
            assert answer.status_code == 200 and answer.json()["Code"] == -1
        answer = await client.post("/Read", json={"Lead": {"FieldOptions": {"Udf/x": []}}})
        assert answer.json() == {"Code": -1, "Msg": ["Udf/x has no options."]}


async def test_documents_keep_their_parent_and_their_bytes(account: Any) -> None:
    emulator, credentials = account
    source = new_source(emulator, credentials)
    files = {f.name: f for f in await extract_records(source, Entity.files)}
    reference = generate(size=SIZE, seed=0)
    on_activities = {f.name for f in reference.files if f.activity_source_id}
    assert on_activities and set(files) == {f.name for f in reference.files} - on_activities
    links = ("deal_source_id", "person_source_id", "org_source_id", "lead_source_id")
    for want in HELD.files:
        got = files[want.name]
        assert [getattr(got, x) for x in links] == [KEYS.get(getattr(want, x)) for x in links]
        assert decoded(got.content_ref)[0] == "Document" and got.size == want.size
        with Blob(want.name, cap=10 << 20) as blob:
            assert await source.download(got, blob) == want.size
            data = b"".join([chunk async for chunk in blob.chunks()])
        assert (
            hashlib.sha256(data).digest()
            == hashlib.sha256(HELD.file_bytes[want.source_id]).digest()
        )
    async with raw(emulator, await token(emulator, credentials)) as client:
        answer = await client.get("/BinaryDownload/RG9jdW1lbnQJOTk=")  # Document\t99: none
    assert answer.json() == {"Code": -1, "Msg": ["Document not found."]}
