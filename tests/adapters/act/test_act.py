"""The Act! source against its emulator: the JWT from /authorize used as a bearer (and fetched
again when it expires), the database header on every call, plain-array pages walked to the
end (a full last page, then an empty one), `$filter` for changed-since, GUID ids, relations
as arrays, refused credentials and Act!'s 403 codes, a 429 waited out, a cut-short page."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.act.emulator import ActEmulator
from adapters.act.render import IDS
from adapters.act.source import SPEC, with_currency
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.errors import AuthFailed, UnreadableResponse
from adapters.core.http import RetryPolicy
from adapters.core.odata import odata_pages
from adapters.core.registry import settings
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, provision

SIZE = 30
HELD = ActEmulator().held(generate(size=SIZE, seed=0))
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Recorder(httpx.AsyncBaseTransport):
    """The emulator's transport, remembering each request; `cut` cuts bodies of that path short."""

    def __init__(self, emulator: ActEmulator, cut: str | None = None) -> None:
        self.inner = httpx.ASGITransport(app=emulator.app)
        self.cut = cut
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        response = await self.inner.handle_async_request(request)
        if self.cut and request.url.path.endswith(self.cut):
            body = await response.aread()
            return httpx.Response(200, headers={"content-type": "application/json"},
                                  content=body[: len(body) // 2])  # fmt: skip
        return response


def new_account(clock: FakeClock | None = None, burst: int = 0) -> tuple[ActEmulator, dict]:
    emulator = ActEmulator(clock=clock or FakeClock())
    return emulator, provision(emulator, size=SIZE, burst=burst)


def new_source(
    emulator: ActEmulator,
    credentials: dict[str, str],
    *,
    clock: FakeClock | None = None,
    spec: SourceSpec | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DeclarativeSource:
    """The source as a connection with these credentials runs it (its currency included)."""
    configured, left_out = with_currency(spec or SPEC, settings(SPEC, credentials))
    client = configured.client(
        configured.root(BASE),
        configured.auth(credentials, BASE) if configured.auth else None,
        transport or httpx.ASGITransport(app=emulator.app),
        sleep=(clock or FakeClock()).sleep,
        retry=RetryPolicy(attempts=3, wait_initial=0.01),
    )
    source = DeclarativeSource(configured, client)
    source.skipped_fields += left_out
    return source


def paged(size: int) -> SourceSpec:
    """The spec with pages of `size` records."""

    def small(stream: Any) -> Any:
        if stream.paginator is None:
            return stream
        return dataclasses.replace(stream, paginator=odata_pages(size))

    return dataclasses.replace(SPEC, streams=tuple(small(s) for s in SPEC.streams))


@pytest.fixture(scope="module")
def account() -> tuple[ActEmulator, dict]:
    return new_account()


async def test_the_jwt_from_authorize_is_the_bearer_and_every_call_names_the_database(
    account: Any,
) -> None:
    emulator, credentials = account
    transport = Recorder(emulator)
    await extract_records(new_source(*account, transport=transport), Entity.users)
    login, listed = transport.seen[0], transport.seen[1]
    assert login.url.path.endswith("/act.web.api/authorize")
    assert login.headers["authorization"].startswith("Basic ")
    token = listed.headers["authorization"].removeprefix("Bearer ")
    assert token.count(".") == 2 and token in emulator.account_of("acme").tokens  # a JWT
    assert {r.headers["act-database-name"] for r in transport.seen} == {credentials["database"]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as raw:
        no_database = await raw.get(
            f"{BASE}/act.web.api/api/users", headers={"Authorization": f"Bearer {token}"}
        )
    assert no_database.status_code == 401


async def test_an_expired_token_is_fetched_again_and_the_read_goes_on(account: Any) -> None:
    emulator, _ = account
    source = new_source(*account)
    assert len(await extract_records(source, Entity.users)) == len(HELD.users)
    emulator.account_of("acme").tokens.clear()  # every token expired
    persons = await extract_records(source, Entity.persons)
    assert len(persons) == len(HELD.persons)


async def test_plain_array_pages_are_read_to_the_end_a_full_last_page_then_an_empty_one(
    account: Any,
) -> None:
    emulator, _ = account
    size = len(HELD.organizations) // 2
    assert len(HELD.organizations) == 2 * size  # two full pages, then an empty one
    transport = Recorder(emulator)
    source = new_source(*account, spec=paged(size), transport=transport)
    orgs = await extract_records(source, Entity.organizations)
    assert len(orgs) == len(HELD.organizations)
    asked = [dict(r.url.params) for r in transport.seen if r.url.path.endswith("/api/companies")]
    assert [(q["$skip"], q["$top"]) for q in asked] == [
        ("0", str(size)), (str(size), str(size)), (str(2 * size), str(size))
    ]  # fmt: skip
    for entity in (Entity.persons, Entity.deals, Entity.activities, Entity.notes):
        assert len(await extract_records(source, entity)) == len(HELD.records(entity)), entity


async def test_changed_since_is_an_odata_filter_on_edited(account: Any) -> None:
    emulator, _ = account
    transport = Recorder(emulator)
    source = new_source(*account, transport=transport)
    before = datetime(2026, 1, 1, tzinfo=UTC)
    assert len(await extract_records(source, Entity.notes, since=before)) == len(HELD.notes)
    after = datetime(2026, 2, 1, tzinfo=UTC)
    assert await extract_records(source, Entity.deals, since=after) == []
    filters = {r.url.params.get("$filter") for r in transport.seen if "$filter" in r.url.params}
    assert filters == {"edited gt 2026-01-01T00:00:00Z", "edited gt 2026-02-01T00:00:00Z"}
    assert all(source.reads_changes(e) for e in source.entities if e not in (
        Entity.users, Entity.pipelines, Entity.stages, Entity.deal_products))  # fmt: skip


async def test_ids_are_guids_and_relations_arrive_from_their_arrays(account: Any) -> None:
    source = new_source(*account)
    deals = {d.source_id: d for d in await extract_records(source, Entity.deals)}
    assert all(GUID.match(i) for i in deals)
    d1 = deals[IDS.guid("d1")]
    assert (d1.person_source_id, d1.org_source_id) == (IDS.guid("p1"), IDS.guid("o3"))
    assert d1.stage_source_id == IDS.guid("s5") and d1.pipeline_source_id == IDS.guid("pl1")
    notes = {n.source_id: n for n in await extract_records(source, Entity.notes)}
    n1 = notes[IDS.guid("n1")]
    assert (n1.deal_source_id, n1.person_source_id) == (IDS.guid("d1"), IDS.guid("p1"))
    assert len(n1.content) > 90_000
    activities = {a.source_id: a for a in await extract_records(source, Entity.activities)}
    a1 = activities[IDS.guid("a1")]  # a done call: a history record
    assert (a1.type, a1.done, a1.deal_source_id) == ("call", True, IDS.guid("d1"))
    with_participants = [a for a in HELD.activities if a.participant_source_ids][0]
    read = activities[IDS.guid(with_participants.source_id)]
    assert read.participant_source_ids == [
        IDS.guid(p) for p in with_participants.participant_source_ids
    ]
    persons = {p.source_id: p for p in await extract_records(source, Entity.persons)}
    assert persons[IDS.guid("p1")].org_source_id == IDS.guid("o3")


async def test_custom_fields_are_read_from_the_metadata_columns(account: Any) -> None:
    source = new_source(*account)
    fields = {(f.entity, f.name): f for f in await source.custom_fields()}
    assert (Entity.persons, "Name") not in fields  # a built-in column
    assert fields[(Entity.organizations, "Segments")].options == [
        o for f in HELD.custom_fields if f.name == "Segments" for o in f.options
    ]
    orgs = {o.source_id: o for o in await extract_records(source, Entity.organizations)}
    key = fields[(Entity.organizations, "Segments")].key
    assert orgs[IDS.guid("o1")].custom_fields[key] == ["Mid-market"]


async def test_bad_credentials_and_act_403_codes_are_refused() -> None:
    emulator, credentials = new_account()
    with pytest.raises(AuthFailed):
        await new_source(emulator, {**credentials, "password": "wrong"}).check()
    with pytest.raises(AuthFailed):
        await new_source(emulator, {**credentials, "database": "OTHER"}).check()
    emulator.account_of("acme").tables["refusal"] = [{"code": 4032}]
    with pytest.raises(AuthFailed, match="403"):
        await new_source(emulator, credentials).check()


@pytest.mark.parametrize(
    "query", ["$count=true", "$expand=contacts", "page=2", "$top=x", "$filter=edited between 1"]
)
async def test_what_odata_does_not_take_is_a_400(account: Any, query: str) -> None:
    emulator, credentials = account
    source = new_source(*account)
    await source.check()
    token = next(iter(emulator.account_of("acme").tokens))
    headers = {"Authorization": f"Bearer {token}", "Act-Database-Name": credentials["database"]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as raw:
        response = await raw.get(f"{BASE}/act.web.api/api/contacts?{query}", headers=headers)
    assert response.status_code == 400 and set(response.json()) == {"message"}


async def test_a_429_is_waited_out_and_retried() -> None:
    clock = FakeClock()
    emulator, credentials = new_account(clock, burst=3)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as raw:
        answers = [(await raw.get(f"{BASE}/act.web.api/authorize")) for _ in range(4)]
    assert answers[-1].status_code == 429 and "Retry-After" in answers[-1].headers
    source = new_source(emulator, credentials, clock=clock)
    users = await extract_records(source, Entity.users)
    persons = await extract_records(source, Entity.persons)
    assert (len(users), len(persons)) == (len(HELD.users), len(HELD.persons))
    assert source.client.stats.rate_limited >= 1 and clock.slept


async def test_a_cut_short_page_is_an_error_not_the_end(account: Any) -> None:
    emulator, _ = account
    source = new_source(*account, transport=Recorder(emulator, cut="/api/contacts"))
    with pytest.raises(UnreadableResponse):
        await extract_records(source, Entity.persons)


async def test_attachments_arrive_as_files_on_their_records_with_their_bytes(account: Any) -> None:
    source = new_source(*account)
    files = {f.source_id: f for f in await extract_records(source, Entity.files)}
    held = {IDS.guid(f.source_id): f for f in HELD.files}  # by the ids Act! knows them by
    assert set(files) == set(held)
    for source_id, file in files.items():
        sink = io.BytesIO()
        await source.download(file, sink)  # type: ignore[arg-type]
        expected = HELD.file_bytes[held[source_id].source_id]
        assert hashlib.sha256(sink.getvalue()).digest() == hashlib.sha256(expected).digest()
    on_deal = next(f for f in files.values() if f.deal_source_id)
    assert on_deal.content_ref == f"documents/{on_deal.source_id}" and on_deal.mime_type
    assert len(files) == 6  # the file on a lead is lost: Act! has no leads
    on_call = files[IDS.guid("a1")]  # the done call's history record carries the file
    assert on_call.activity_source_id == IDS.guid("a1")
    assert on_call.content_ref.startswith("history/") and on_call.name == "call-notes.csv"


async def test_with_the_stated_currency_deals_products_and_line_items_carry_it(
    account: Any,
) -> None:
    source = new_source(*account)
    deals = await extract_records(source, Entity.deals)
    assert {d.currency for d in deals} == {"EUR"}
    products = await extract_records(source, Entity.products)
    assert len(products) == len(HELD.products)
    assert all(p.prices and p.prices[0].currency == "EUR" for p in products)
    lines = await extract_records(source, Entity.deal_products)
    assert len(lines) == len(HELD.deal_products)
    assert all(line.discount_type == "percentage" and line.tax == 0 for line in lines)


async def test_without_a_currency_no_products_are_read_and_the_session_is_told(
    account: Any,
) -> None:
    emulator, credentials = account
    transport = Recorder(emulator)
    source = new_source(emulator, {**credentials, "currency": ""}, transport=transport)
    assert Entity.products not in source.entities and Entity.deal_products not in source.entities
    assert {d.currency for d in await extract_records(source, Entity.deals)} == {None}
    assert any("currency" in note for note in source.skipped_fields)
    assert not [r for r in transport.seen if "/products" in r.url.path]


async def test_groups_are_labels_of_contacts_and_opportunities(account: Any) -> None:
    source = new_source(*account)
    persons = {p.source_id: p for p in await extract_records(source, Entity.persons)}
    deals = {d.source_id: d for d in await extract_records(source, Entity.deals)}
    for person in HELD.persons:
        assert persons[IDS.guid(person.source_id)].labels == sorted(person.labels)
    for deal in HELD.deals:
        assert deals[IDS.guid(deal.source_id)].labels == deal.labels
    assert any(p.labels for p in persons.values()) and any(d.labels for d in deals.values())
