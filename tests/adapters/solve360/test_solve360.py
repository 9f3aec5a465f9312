"""The Solve360 source against its emulator: id-keyed lists walked to their count, JSON only
when asked for (XML otherwise), what a record nests read from its detail once a run, custom
fields with their options, a bad token refused, a 429 waited out, a cut-short page an error."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import httpx
import pytest
import xmltodict  # type: ignore[import-untyped]
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.core.auth import BasicAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.errors import AuthFailed, UnreadableResponse
from adapters.reference.dataset import generate
from adapters.solve360.emulator import Solve360Emulator
from adapters.solve360.render import IDS
from adapters.solve360.source import SPEC, pages
from tests.adapters.sources import BASE, FakeClock, extract_records, in_process_source, provision

SIZE = 30
HELD = Solve360Emulator().held(generate(size=SIZE, seed=0))
JSON = {"Accept": "application/json"}


class Counted:
    """The emulator, counting the paths asked for; `cut` drops half of the body of list pages
    after the first (a connection lost mid-page)."""

    def __init__(self, app: ASGIApp, cut: bool = False) -> None:
        self.app, self.cut, self.paths = app, cut, Counter[str]()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.paths[scope["path"]] += 1
        query, listed = scope.get("query_string", b""), scope["path"].endswith("/contacts")
        later = self.cut and listed and b"start=0" not in query

        async def cut(message: Message) -> None:
            if message["type"] == "http.response.body" and later:
                body = message.get("body", b"")
                message = {**message, "body": body[: len(body) // 2], "more_body": False}
            elif message["type"] == "http.response.start" and later:
                headers = [(k, v) for k, v in message["headers"] if k != b"content-length"]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, cut)


def new_account(
    clock: FakeClock | None = None, burst: int = 0
) -> tuple[Solve360Emulator, dict[str, str]]:
    emulator = Solve360Emulator(clock=clock or FakeClock())
    return emulator, provision(emulator, size=SIZE, burst=burst)


def new_source(
    app: Any, credentials: dict[str, str], clock: FakeClock | None = None, spec: SourceSpec = SPEC
) -> DeclarativeSource:
    auth = BasicAuth(credentials["email"], credentials["api_token"])
    return in_process_source(spec, auth, app, clock=clock)


def raw_client(emulator: Solve360Emulator, credentials: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=BASE,
        auth=(credentials["email"], credentials["api_token"]),
    )


def small_pages(limit: int) -> SourceSpec:
    def smaller(stream: Any) -> Any:
        if stream.paginator is None:
            return stream
        return dataclasses.replace(stream, paginator=dataclasses.replace(pages(), limit=limit))

    return dataclasses.replace(SPEC, streams=tuple(smaller(s) for s in SPEC.streams))


@pytest.fixture(scope="module")
def account() -> tuple[Solve360Emulator, dict[str, str]]:
    return new_account()


async def test_id_keyed_pages_are_walked_to_the_count(account: Any) -> None:
    emulator, credentials = account
    source = new_source(emulator.app, credentials, spec=small_pages(7))
    persons = await extract_records(source, Entity.persons)
    assert sorted(p.source_id for p in persons) == sorted(
        str(IDS.integer(p.source_id)) for p in HELD.persons
    )
    assert (await source.check()).counts["persons"] == len(HELD.persons) > 7
    async with raw_client(*account) as client:
        body = (
            await client.get("/contacts", params={"limit": 7, "start": 28}, headers=JSON)
        ).json()
    assert set(body) == {"id100029", "id100030", "count", "status"}
    assert body["count"] == str(len(HELD.persons)) and body["status"] == "success"
    assert set(body["id100029"]) == {"id", "name", "created", "updated", "viewed", "flagged"}


async def test_json_only_when_asked_for_else_xml(account: Any) -> None:
    async with raw_client(*account) as client:
        xml = await client.get("/contacts", params={"limit": 2, "layout": 1})
        json = await client.get("/contacts", params={"limit": 2, "layout": 1}, headers=JSON)
        refused = await client.get("/contacts", params={"filtermode": "byemail"})
    assert xml.headers["content-type"].startswith("application/xml")
    parsed = xmltodict.parse(xml.content)["response"]
    assert parsed["count"] == json.json()["count"] and parsed["status"] == "success"
    assert parsed["id100001"]["businessemail"] == json.json()["id100001"]["businessemail"]
    assert refused.status_code == 400 and "errors" in xmltodict.parse(refused.content)["response"]


async def test_what_a_record_nests_is_read_from_its_detail_once_a_run(account: Any) -> None:
    emulator, credentials = account
    counted = Counted(emulator.app)
    source = new_source(counted, credentials)
    deals = await extract_records(source, Entity.deals)
    notes = await extract_records(source, Entity.notes)
    tasks = await extract_records(source, Entity.activities)
    details = [p for p in counted.paths if p.startswith(("/acme/contacts/1", "/acme/companies/2"))]
    assert len(details) == len(HELD.persons) + len(HELD.organizations)
    assert set(counted.paths[p] for p in details) == {1}  # one request a record, for three entities
    assert (len(deals), len(notes), len(tasks)) == (
        len(HELD.deals),
        len(HELD.notes),
        len(HELD.activities),
    )
    p1 = str(IDS.integer("p1"))
    assert {d.title for d in deals if d.person_source_id == p1} == {
        d.title for d in HELD.deals if d.person_source_id == "p1"
    }
    assert any(t.type == "task" for t in tasks) and any(t.type == "meeting" for t in tasks)
    async with raw_client(*account) as client:
        body = (await client.get(f"/contacts/{p1}", headers=JSON)).json()
    kinds = {a["typeid"] for a in body["item"]["activities"].values()}
    assert {"3", "32"} <= kinds  # notes and opportunities sit in the record, tasks in a list
    assert body["relateditems"]["relatedto"][0]["typeid"] == "40"


async def test_custom_fields_arrive_with_their_options_and_values(account: Any) -> None:
    source = new_source(account[0].app, account[1])
    fields = {f.name: f for f in await source.custom_fields()}
    assert fields["Interests"].options == ["CRM", "Automatyzacja", "Reporting", "API", "Mobile 📱"]
    assert {f.entity for f in fields.values()} == {Entity.persons, Entity.organizations}
    p1 = next(p for p in await extract_records(source, Entity.persons) if p.source_id == "100001")
    held = next(p for p in HELD.persons if p.source_id == "p1").custom_fields
    by_key = {f.key: f.name for f in fields.values()}
    assert {by_key[k]: v for k, v in p1.custom_fields.items()} == {
        next(f.name for f in HELD.custom_fields if f.key == k): v for k, v in held.items()
    }
    assert p1.labels == ["Customer", "VIP – Ważny"] and p1.org_source_id == str(IDS.integer("o3"))


async def test_a_wrong_token_is_refused(account: Any) -> None:
    emulator, credentials = account
    with pytest.raises(AuthFailed):
        await new_source(emulator.app, {**credentials, "api_token": "wrong"}).check()


async def test_a_429_is_waited_out_and_retried() -> None:
    clock = FakeClock()
    emulator, credentials = new_account(clock, burst=2)
    async with raw_client(emulator, credentials) as client:
        await client.get("/ownership")
        await client.get("/ownership")
        refused = await client.get("/ownership", headers=JSON)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused.json()["status"] == "failed"
    source = new_source(emulator.app, credentials, clock)
    assert len(await extract_records(source, Entity.users)) == len(HELD.users)
    assert source.client.stats.rate_limited >= 1 and clock.slept


async def test_a_page_cut_short_is_an_error_not_the_end() -> None:
    emulator, credentials = new_account()
    source = new_source(Counted(emulator.app, cut=True), credentials, spec=small_pages(7))
    with pytest.raises(UnreadableResponse):
        await extract_records(source, Entity.persons)
    assert source.client.stats.retries >= 1
