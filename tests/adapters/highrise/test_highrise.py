"""The Highrise source against its emulator: typed XML read as values (nil, integers, arrays of
one or none), every list walked to its end (offsets `?n=`, an empty container ends), a cut-short
or foreign page an error, a bad token and a missing User-Agent refused, the 503 + Retry-After
of the rate limits waited out, subject datas as custom values, tags as labels, `since` deltas,
notes' attachments as files on their records (bytes from the account's host), deals without a
category in a stage of their own."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.core.auth import BasicAuth
from adapters.core.blobs import Blob
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed, UnreadableResponse
from adapters.highrise.emulator import HighriseEmulator
from adapters.highrise.render import IDS, held, render
from adapters.highrise.source import SPEC, USER_AGENT
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, in_process_source, provision

SIZE = 30
HELD = HighriseEmulator().held(generate(size=SIZE, seed=0))


def vendor(reference_id: str) -> str:
    return str(IDS.integer(reference_id))


def new_emulator(
    clock: FakeClock | None = None, burst: int = 0, size: int = SIZE
) -> tuple[HighriseEmulator, str]:
    emulator = HighriseEmulator(clock=clock or FakeClock())
    return emulator, provision(emulator, size=size, burst=burst)["api_token"]


def new_source(
    emulator: HighriseEmulator,
    token: str,
    clock: FakeClock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DeclarativeSource:
    return in_process_source(
        SPEC,
        BasicAuth(token, "X", secret_username=True),
        emulator.app,
        clock=clock,
        transport=transport,
        attempts=4,
    )


def raw_client(emulator: HighriseEmulator, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=BASE,
        auth=(token, "X"),
        headers={"user-agent": USER_AGENT},
    )


@pytest.fixture(scope="module")
def account() -> tuple[HighriseEmulator, str]:
    return new_emulator()


async def test_typed_xml_reads_as_values_nil_as_none_and_arrays_as_lists(account: Any) -> None:
    async with raw_client(*account) as client:
        deals = await client.get("/deals.xml")
        tags = await client.get(f"/deals/{IDS.integer('d1')}/tags.xml")
        none = await client.get(f"/deals/{IDS.integer('d2')}/tags.xml")
    assert deals.headers["content-type"].startswith("application/xml")
    assert '<price type="integer">48500</price>' in deals.text
    assert '<owner-id type="integer" nil="true"/>' in deals.text
    body = SPEC.decode(deals)  # type: ignore[misc]
    d1 = body["deals"][0]
    assert d1["price"] == 48500 and d1["owner-id"] is None and d1["group-id"] is None
    assert d1["status-changed-on"] == "2025-10-01" and d1["category-id"] == IDS.integer("s5")
    assert [p["@type"] for p in d1["parties"]] == ["Person", "Company"]
    listed = SPEC.decode(tags)["tags"]  # type: ignore[misc]
    assert [t["name"] for t in listed] == ["Hot", "Cold"]
    assert all(isinstance(t["id"], int) for t in listed)
    assert SPEC.decode(none) == {"tags": []}  # type: ignore[misc]  # an empty array
    deal = {d.source_id: d for d in await extract_records(new_source(*account), Entity.deals)}
    got = deal[str(IDS.integer("d1"))]
    assert got.value == 48500.0 and got.status == "won" and got.won_time == "2025-10-01T00:00:00Z"
    assert got.person_source_id == str(IDS.integer("p1"))
    assert got.org_source_id == str(IDS.integer("o3"))


async def test_every_list_is_walked_by_offset_to_an_empty_container() -> None:
    clock = FakeClock()  # the deals' tags, a request each, meet the 150 a 5 s: waited out
    emulator, token = new_emulator(clock, size=1000)  # 1000 people: pages of 500, 500, none
    held = emulator.held(generate(size=1000, seed=0))
    seen: list[str] = []

    async def log(request: httpx.Request) -> None:
        seen.append(f"{request.url.path}?{request.url.query.decode()}")

    transport = httpx.ASGITransport(app=emulator.app)
    source = new_source(emulator, token, clock, transport)
    source.client._http.event_hooks["request"].append(log)
    for entity in (Entity.persons, Entity.deals, Entity.notes):
        records = await extract_records(source, entity)
        ids = {r.source_id for r in records}
        assert len(ids) == len(records) == len(held.records(entity)), entity
    people = [s for s in seen if s.startswith("/acme/people.xml")]
    assert people == ["/acme/people.xml?n=0", "/acme/people.xml?n=500", "/acme/people.xml?n=1000"]
    notes = {s for s in seen if s.startswith("/acme/recordings.xml")}  # some asked again (503)
    recordings = len(held.notes) + len(held.files)  # a file hangs on a note of its own
    assert notes == {f"/acme/recordings.xml?n={n}" for n in range(0, recordings + 1, 25)}


class Cutting(httpx.AsyncBaseTransport):
    """The emulator, with the second page of people cut short (or replaced)."""

    def __init__(self, emulator: HighriseEmulator, body: bytes | None = None) -> None:
        self.inner = httpx.ASGITransport(app=emulator.app)
        self.body = body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        if request.url.path.endswith("/people.xml") and request.url.params.get("n") == "500":
            content = self.body if self.body is not None else content[: len(content) // 2]
        headers = [(k, v) for k, v in response.headers.items() if k != "content-length"]
        return httpx.Response(response.status_code, headers=headers, content=content)


@pytest.mark.parametrize("body", [None, b"<html><body>Maintenance</body></html>"])
async def test_a_page_cut_short_or_not_a_list_is_an_error_not_the_end(body: bytes | None) -> None:
    emulator, token = new_emulator(size=600)
    source = new_source(emulator, token, transport=Cutting(emulator, body))
    with pytest.raises(UnreadableResponse):
        await extract_records(source, Entity.persons)


async def test_a_wrong_token_is_refused(account: Any) -> None:
    emulator, _ = account
    with pytest.raises(AuthFailed):
        await new_source(emulator, "wrong").check()
    async with raw_client(emulator, "wrong") as client:
        refused = await client.get("/people.xml")
    assert refused.status_code == 401 and refused.text.startswith("HTTP Basic: Access denied")


async def test_a_request_without_a_user_agent_is_refused_and_ferry_sends_one(account: Any) -> None:
    emulator, token = account
    async with raw_client(emulator, token) as client:
        client.headers.pop("user-agent")
        refused = await client.get("/me.xml")
    assert refused.status_code == 400 and "User-Agent" in refused.text
    source = new_source(emulator, token)
    info = await source.check()
    assert info.account["user_id"] == str(IDS.integer("u1"))
    assert source.client._http.headers["user-agent"] == USER_AGENT


async def test_the_503_and_retry_after_of_the_rate_limits_are_waited_out() -> None:
    clock = FakeClock()
    emulator, token = new_emulator(clock, burst=2)  # two requests per 5 s window
    async with raw_client(emulator, token) as client:
        await client.get("/users.xml")
        await client.get("/users.xml")
        over = await client.get("/users.xml")
    assert over.status_code == 503 and int(over.headers["Retry-After"]) >= 1
    source = new_source(emulator, token, clock)
    assert len(await extract_records(source, Entity.persons)) == len(HELD.persons)
    assert source.client.stats.rate_limited >= 1 and clock.slept
    # /recordings.xml has a window of its own: 10 requests in 10 seconds.
    emulator, token = new_emulator(clock)
    async with raw_client(emulator, token) as client:
        answers = [(await client.get("/recordings.xml")).status_code for _ in range(11)]
    assert answers == [200] * 10 + [503]


async def test_subject_datas_are_custom_values_and_party_fields_serve_both(account: Any) -> None:
    source = new_source(*account)
    fields = await source.custom_fields()
    by_entity = {e: {f.name for f in fields if f.entity is e} for e in Entity}
    assert by_entity[Entity.organizations] == by_entity[Entity.persons]  # one set: party fields
    assert {"Industry", "Lead score"} <= by_entity[Entity.persons]
    assert "Lead source" in by_entity[Entity.deals] and not by_entity[Entity.products]
    names = {(f.entity, f.key): f.name for f in fields}
    orgs = {o.source_id: o for o in await extract_records(source, Entity.organizations)}
    o1 = {names[(Entity.organizations, k)]: v for k, v in orgs["200001"].custom_fields.items()}
    assert o1["Employees"] == "1743" and o1["Segments"] == "Mid-market"
    assert o1["Annual revenue"] == "2878700.17 USD" and o1["Founded"] == "1952-09-24"


async def test_tags_are_labels_of_people_companies_and_deals(account: Any) -> None:
    source = new_source(*account)
    people = {p.source_id: p.labels for p in await extract_records(source, Entity.persons)}
    assert people[str(IDS.integer("p1"))] == ["Customer", "VIP – Ważny"]
    assert people == {str(IDS.integer(p.source_id)): p.labels for p in HELD.persons}
    deals = {d.source_id: d.labels for d in await extract_records(source, Entity.deals)}
    assert deals[str(IDS.integer("d1"))] == ["Hot", "Cold"]
    assert HELD.leads == [] and HELD.products == []


async def test_since_reads_what_changed_and_tasks_are_read_whole(account: Any) -> None:
    source = new_source(*account)
    before, after = datetime(2026, 1, 15, 7, tzinfo=UTC), datetime(2026, 1, 15, 9, tzinfo=UTC)
    for entity in (Entity.organizations, Entity.persons, Entity.deals):
        assert source.reads_changes(entity)
        assert len(await extract_records(source, entity, since=before)) == len(HELD.records(entity))
        assert await extract_records(source, entity, since=after) == []
    assert not source.reads_changes(Entity.activities)  # /tasks/all.xml takes no `since`
    async with raw_client(*account) as client:
        bad = await client.get("/people.xml", params={"since": "2026-01-15"})
        unknown = await client.get("/people.xml", params={"page": 2})
    assert bad.status_code == 400 and unknown.status_code == 400


async def test_deal_categories_are_the_stages_of_one_pipeline(account: Any) -> None:
    source = new_source(*account)
    pipelines = await extract_records(source, Entity.pipelines)
    stages = await extract_records(source, Entity.stages)
    assert [(p.source_id, p.name) for p in pipelines] == [("deals", "Deals")]
    assert [s.name for s in stages] == [s.name for s in HELD.stages]
    assert [s.order_nr for s in stages] == list(range(1, len(HELD.stages) + 1))


async def test_attachments_of_notes_are_files_on_the_notes_records_byte_for_byte() -> None:
    emulator, token = new_emulator()
    source = new_source(emulator, token)
    files = {f.name: f for f in await extract_records(source, Entity.files)}
    want = {f.name: f for f in HELD.files}
    assert set(files) == set(want) and len(want) >= 4  # not the lead's file nor the task's
    parents = ("deal_source_id", "person_source_id", "org_source_id")
    for name, file in files.items():
        on = [getattr(want[name], link) for link in parents]  # the deal, person or company
        assert [getattr(file, link) for link in parents] == [i and vendor(i) for i in on]
        with Blob(name, cap=10 << 20) as blob:
            assert await source.download(file, blob) == file.size == want[name].size
            got = hashlib.sha256(b"".join([chunk async for chunk in blob.chunks()])).hexdigest()
        assert got == hashlib.sha256(HELD.file_bytes[want[name].source_id]).hexdigest(), name
    notes = await extract_records(source, Entity.notes)
    assert len(notes) == len(HELD.notes) and all(n.content for n in notes)  # no file's note
    text = files["Umowa – Zażółć gęślą jaźń 契約.txt"]
    async with raw_client(emulator, token) as client:
        at = len(HELD.notes) + [f.name for f in HELD.files].index(text.name)  # notes come first
        recordings = (await client.get("/recordings.xml", params={"n": at // 25 * 25})).text
        url = f"{BASE}/files/{text.content_ref}"  # the account's own host, as Highrise's are
        answer = await client.get(url)
        refused = await client.get(url, auth=("wrong", "X"))
    assert f"<url>{url}</url>" in recordings
    assert answer.headers["content-type"].startswith("text/plain")
    assert "filename*=UTF-8''Umowa%20" in answer.headers["content-disposition"]
    assert refused.status_code == 401


async def test_deals_without_a_category_get_a_stage_of_their_own() -> None:
    company = generate(size=SIZE, seed=0)
    d1 = company.deals[0].model_copy(update={"stage_source_id": None})
    company = dataclasses.replace(company, deals=[d1, *company.deals[1:]])
    emulator, token = new_emulator()
    emulator.account_of("acme").tables.update(render(company))  # d1 in no category
    source = new_source(emulator, token)
    stages = await extract_records(source, Entity.stages)
    expected = held(company)
    assert [s.name for s in stages] == [s.name for s in expected.stages]
    assert stages[-1].name == "No category" and stages[-1].order_nr == len(stages)
    deals = {d.source_id: d for d in await extract_records(source, Entity.deals)}
    assert deals[str(IDS.integer("d1"))].stage_source_id == stages[-1].source_id
    assert deals[str(IDS.integer("d2"))].stage_source_id != stages[-1].source_id
    # Where every deal has one, no such stage.
    emulator, token = new_emulator()
    names = [s.name for s in await extract_records(new_source(emulator, token), Entity.stages)]
    assert "No category" not in names
