"""The declarative engine against a small vendor built on the shared emulator base: a token
exchange, offset pages, two streams feeding one entity, custom field definitions, a 429."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.auth import oauth2_refresh
from adapters.core.canonical import Entity, FieldType, Person
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    DeclarativeSource,
    Detail,
    FieldCatalog,
    Join,
    Lookup,
    SourceSpec,
    Stream,
)
from adapters.core.emulation import (
    EmulatedAccount,
    SourceEmulator,
    VendorError,
    bearer,
    form_fields,
    int_param,
    window,
)
from adapters.core.errors import AuthFailed
from adapters.core.mapping import const, contact_points, joined, ref, text, utc_date, utc_hhmm
from adapters.core.paginators import OffsetPaginator
from adapters.core.ratelimit import Unpaced
from adapters.reference.dataset import ReferenceCompany

REFRESH = "refresh-secret"


class TinyCrm(SourceEmulator):
    """A made-up vendor: OAuth2 refresh, `?offset&limit` pages of `{"items", "more"}`."""

    window_seconds = 60.0

    def __init__(self, **options: Any) -> None:
        self.listed: list[str] = []  # the lists asked for, one entry a page
        super().__init__(**options)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/{account_id}/oauth/token", self.token, methods=["POST"]),
            Route("/{account_id}/me", self.me),
            Route("/{account_id}/fields/people", self.fields),
            Route("/{account_id}/{table:str}", self.listing),
        ]

    def new_credentials(self, base_url: str) -> dict[str, str]:
        return {"client_id": "tiny", "client_secret": "s3cret", "refresh_token": REFRESH}

    def render(self, company: ReferenceCompany) -> dict[str, list[dict[str, Any]]]:
        people = [
            {
                "id": p.source_id,
                "first": p.first_name,
                "last": p.last_name,
                "emails": [e.value for e in p.emails],
                "company": {"id": p.org_source_id} if p.org_source_id else None,
                "cf": {"lead_score": p.custom_fields.get("lead_score")},
            }
            for p in company.persons
        ]
        activities = [
            {
                "id": a.source_id,
                "title": a.subject,
                "at": f"{a.due_date}T{a.due_time or '00:00'}:00Z",
                "who": a.person_source_id,
            }
            for a in company.activities
        ]
        return {
            "people": people,
            "calls": [a for a in activities if int(a["id"][1:]) % 2],
            "meetings": [a for a in activities if not int(a["id"][1:]) % 2],
        }

    def authenticate(self, account: EmulatedAccount, request: Request) -> bool:
        return bearer(request) in account.tokens

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"error": code, "message": message}

    async def token(self, request: Request) -> Response:
        account = self.account(request, check_auth=False)
        form = await form_fields(request)
        if form.get("refresh_token") != account.credentials["refresh_token"]:
            raise VendorError(400, "invalid_grant", "bad refresh token")
        return self.respond(request, {"access_token": self.issue_token(account)})

    async def me(self, request: Request) -> Response:
        self.account(request)
        return self.respond(request, {"user": {"name": "Ada", "email": "ada@example.com"}})

    async def fields(self, request: Request) -> Response:
        self.account(request)
        return self.respond(
            request,
            {"items": [{"key": "lead_score", "label": "Lead score", "kind": "number"}]},
        )

    async def listing(self, request: Request) -> Response:
        account = self.account(request)
        table = request.path_params["table"]
        self.listed.append(table)
        items = account.table(table)
        start = int_param(request, "offset", 0)
        page, more = window(items, start, int_param(request, "limit", 10, lo=1, hi=50))
        body: dict[str, Any] = {"items": page, "more": more}
        if table == "people":  # the people list says how long it is; calls and meetings do not
            body["total"] = len(items)
        return self.respond(request, body)


def pages() -> OffsetPaginator:
    return OffsetPaginator(
        start_param="offset", limit=7, more_path="more", next_start_path=None, records_path="items"
    )


ACTIVITY_FIELDS = {
    "source_id": "id",
    "subject": "title",
    "due_date": utc_date("at"),
    "due_time": utc_hhmm("at"),
}
SPEC = SourceSpec(
    name="Tiny CRM",
    check=AccountCheck("/me", {"user_email": "user.email"}),
    streams=(
        Stream(
            Entity.persons,
            "/people",
            paginator=pages(),
            records="items",
            fields={
                "source_id": "id",
                "name": joined("first", "last"),
                "first_name": text("first"),
                "emails": contact_points("emails"),
                "org_source_id": ref("company"),
            },
            custom_values=lambda raw: raw["cf"],
            changed_since=ChangedSince("updated_since"),
            total=lambda response, body: body.get("total"),
        ),
        Stream(
            Entity.activities,
            "/calls",
            paginator=pages(),
            records="items",
            fields={**ACTIVITY_FIELDS, "type": const("call")},
        ),
        Stream(
            Entity.activities,
            "/meetings",
            paginator=pages(),
            records="items",
            fields={**ACTIVITY_FIELDS, "type": const("meeting")},
        ),
    ),
    field_catalogs=(
        FieldCatalog(
            Entity.persons,
            "/fields/people",
            key="key",
            name="label",
            type="kind",
            types={"number": FieldType.double},
            records="items",
        ),
    ),
)
BASE = "http://tiny/acme"


class World:
    """The emulator and a source talking to it, on a clock the test moves."""

    def __init__(
        self, burst: int = 1000, refresh_token: str = REFRESH, rate_limiter: Any = None
    ) -> None:
        self.now = 1_000.0
        self.emulator = TinyCrm(clock=lambda: self.now)
        creds = self.emulator.new_credentials(BASE)
        self.emulator.provision(
            "acme", creds, dataset="reference", size=20, limits={"burst": burst}
        )
        auth = oauth2_refresh(
            f"{BASE}/oauth/token",
            client_id=creds["client_id"],
            client_secret=creds["client_secret"],
            refresh_token=refresh_token,
        )
        self.slept: list[float] = []
        transport = httpx.ASGITransport(app=self.emulator.app)
        client = SPEC.client(BASE, auth, transport, sleep=self.sleep, rate_limiter=rate_limiter)
        self.source = DeclarativeSource(SPEC, client)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = World()
    yield w
    await w.source.aclose()


async def records(source: DeclarativeSource, entity: Entity, cursor: str | None = None) -> list:
    return [item.record async for page in source.extract(entity, cursor) for item in page.items]


async def test_persons_arrive_mapped_with_links_emails_and_custom_values(world: World) -> None:
    persons = await records(world.source, Entity.persons)
    assert len(persons) == 20
    p1 = persons[0]
    assert isinstance(p1, Person)
    assert p1.name == "Zażółć Gęślą-Jaźń 🚀" and len(p1.emails) == 3 and p1.emails[0].primary
    assert p1.org_source_id is not None
    assert isinstance(p1.custom_fields["lead_score"], float)
    assert (await world.source.custom_fields())[0].name == "Lead score"


async def test_two_streams_feed_one_entity_and_a_cursor_resumes_in_the_second(
    world: World,
) -> None:
    cursors = [page.next_cursor async for page in world.source.extract(Entity.activities)]
    # 10 calls and 10 meetings in pages of 7: two pages each; the last call page hands over.
    assert cursors == ["0:7", "1:", "1:7", None]
    everything = await records(world.source, Entity.activities)
    resumed = await records(world.source, Entity.activities, "1:7")
    assert len(everything) == 20 and len({a.source_id for a in everything}) == 20
    assert [a.source_id for a in resumed] == [a.source_id for a in everything][-3:]
    assert {a.type for a in everything} == {"call", "meeting"}


async def test_an_expired_token_is_refreshed_once_and_the_call_replayed(world: World) -> None:
    info = await world.source.check()
    assert info.account == {"user_email": "ada@example.com"}
    world.emulator.account_of("acme").tokens.clear()  # every issued token expires
    assert len(await records(world.source, Entity.persons)) == 20
    assert len(world.emulator.account_of("acme").tokens) == 1


async def test_counts_are_the_vendors_totals_and_no_list_is_walked_to_count(world: World) -> None:
    info = await world.source.check()
    # Persons: the total on the first of three pages. Activities: calls and meetings give none,
    # so the count is unknown (made while extracting) and neither list is asked for.
    assert info.counts == {"persons": 20}
    assert world.emulator.listed == ["people"]
    assert world.source.client.stats.requests == 2  # /me and that one page
    assert await world.source.count(Entity.activities) is None
    assert world.emulator.listed == ["people"]


async def test_a_total_missing_from_the_first_page_leaves_the_count_unknown(world: World) -> None:
    spec = replace(
        SPEC, streams=tuple(replace(s, total=lambda response, body: None) for s in SPEC.streams)
    )
    source = DeclarativeSource(spec, world.source.client)
    assert await source.count(Entity.persons) is None
    assert world.emulator.listed == ["people"]  # one page read, no more


async def test_a_refused_refresh_token_is_an_auth_failure_that_names_no_secret() -> None:
    w = World(refresh_token="wrong-refresh")
    with pytest.raises(AuthFailed) as failure:
        await w.source.check()
    assert "400" in failure.value.message and "wrong-refresh" not in failure.value.message
    await w.source.aclose()


async def test_a_429_is_waited_out_as_the_vendor_says() -> None:
    w = World(burst=3, rate_limiter=Unpaced())  # the 429s come, not paced away
    assert len(await records(w.source, Entity.persons)) == 20
    assert w.source.client.stats.rate_limited >= 1
    assert w.slept and all(s >= 1 for s in w.slept)
    await w.source.aclose()


async def test_a_lookup_is_read_once_and_joined_into_every_record(world: World) -> None:
    spec = replace(
        SPEC,
        lookups=(Lookup("people", "/people", key="id", records="items", paginator=pages()),),
        streams=tuple(
            replace(
                s,
                joins=(Join("people", on="who", into="_who"),),
                fields={**s.fields, "person_source_id": ref("_who.id"), "note": text("_who.last")},
            )
            for s in SPEC.streams
            if s.entity is Entity.activities
        ),
    )
    source = DeclarativeSource(spec, world.source.client)
    before = world.source.client.stats.requests
    activities = await records(source, Entity.activities)
    people_pages, activity_pages = 3, 4  # 20 people and 2 x 10 activities, in pages of 7
    assert world.source.client.stats.requests - before <= people_pages + activity_pages + 1
    a3 = next(a for a in activities if a.source_id == "a3")
    assert a3.person_source_id == "p3" and a3.note == "山田"


async def test_a_detail_per_record_reads_an_answer_that_is_not_json() -> None:
    asked: list[str] = []

    def vendor(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        if request.url.path == "/notes":
            return httpx.Response(200, json={"items": [{"id": "n1"}, {"id": "n2"}]})
        if request.url.path.startswith("/meta/"):
            return httpx.Response(200, json={"summary": request.url.path[6:] + " in short"})
        note = request.url.path.split("/")[2]
        text = f"<p>{note}: " + "ż" * 40_000  # bytes, not JSON
        return httpx.Response(200, content=text.encode(), headers={"content-type": "text/html"})

    body = Detail("/notes/{id}/body", {"id": "id"}, "_body", read=lambda r: r.content.decode())
    stream = Stream(
        Entity.notes,
        "/notes",
        {"source_id": "id", "content": "_body"},
        records="items",
        detail=body,
    )
    spec = SourceSpec("Vendor", (stream,), AccountCheck("/me", {}))
    source = DeclarativeSource(
        spec, spec.client("https://crm.example", None, httpx.MockTransport(vendor))
    )
    read = await records(source, Entity.notes)
    assert [(n.source_id, n.content) for n in read] == [
        (f"n{i}", f"<p>n{i}: " + "ż" * 40_000) for i in (1, 2)
    ]
    assert asked == ["/notes", "/notes/n1/body", "/notes/n2/body"]  # one request per record
    await source.aclose()
    # Without `read`, the answer is JSON.
    meta = Detail("/meta/{id}", {"id": "id"}, "_meta")
    fields = {"source_id": "id", "content": "_meta.summary"}
    spec = replace(spec, streams=(replace(stream, detail=meta, fields=fields),))
    source = DeclarativeSource(
        spec, spec.client("https://crm.example", None, httpx.MockTransport(vendor))
    )
    assert [n.content for n in await records(source, Entity.notes)] == [
        "n1 in short",
        "n2 in short",
    ]
    await source.aclose()


async def test_a_detail_cut_short_is_asked_again() -> None:
    text = "ż" * 1_000
    answers: list[int] = []

    def vendor(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/notes":
            return httpx.Response(200, json={"items": [{"id": "n1", "size": len(text.encode())}]})
        answers.append(len(answers))
        body = text.encode()
        return httpx.Response(200, content=body[: len(body) // 2] if len(answers) == 1 else body)

    async def no_wait(seconds: float) -> None:
        return None

    stream = Stream(
        Entity.notes,
        "/notes",
        {"source_id": "id", "content": "_body"},
        records="items",
        detail=Detail(
            "/notes/{id}/body",
            {"id": "id"},
            "_body",
            read=lambda response: response.content.decode(),
            complete=lambda raw, response: len(response.content) == raw["size"],
        ),
    )
    spec = SourceSpec("Vendor", (stream,), AccountCheck("/me", {}))
    client = spec.client("https://crm.example", None, httpx.MockTransport(vendor), sleep=no_wait)
    source = DeclarativeSource(spec, client)
    [note] = await records(source, Entity.notes)
    assert note.content == text and len(answers) == 2  # the half body was not taken
    assert source.client.stats.retries == 1
    await source.aclose()


def test_changed_since_becomes_the_vendor_parameter() -> None:
    since = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    assert ChangedSince("updated_since").params(since) == {"updated_since": "2026-01-15T10:00:00Z"}
    odata = ChangedSince("$filter", "modifiedon gt {iso}").params(since)
    assert odata == {"$filter": "modifiedon gt 2026-01-15T10:00:00Z"}
    assert ChangedSince("since", "{epoch}").params(since) == {"since": str(int(since.timestamp()))}


async def test_custom_fields_are_named_in_the_query_and_money_takes_the_record_currency() -> None:
    asked: list[httpx.URL] = []

    def vendor(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        if request.url.path == "/fields/deals":
            return httpx.Response(200, json={"items": [
                {"key": "fee_c", "label": "Setup fee", "kind": "money"},
                {"key": "region_c", "label": "Region", "kind": "text"},
            ]})  # fmt: skip
        return httpx.Response(200, json={"items": [
            {"id": 1, "title": "Deal", "fee_c": 12.5, "region_c": "EU", "cur": "PLN"},
        ]})  # fmt: skip

    deals = Stream(
        Entity.deals,
        "/deals",
        {"source_id": "id", "title": "title"},
        records="items",
        params={"fields": "id,title"},
        custom_param="fields",
        custom_param_max=3,
        record_currency="cur",
    )
    catalog = FieldCatalog(
        Entity.deals,
        "/fields/deals",
        key="key",
        name="label",
        type="kind",
        types={"money": FieldType.monetary, "text": FieldType.varchar},
        records="items",
    )
    spec = SourceSpec("Vendor", (deals,), AccountCheck("/me", {}), field_catalogs=(catalog,))
    source = DeclarativeSource(
        spec, spec.client("https://crm.example", None, httpx.MockTransport(vendor))
    )
    [deal] = await records(source, Entity.deals)
    assert asked[-1].params["fields"] == "id,title,fee_c"  # three names at most
    assert deal.custom_fields == {"fee_c": {"value": 12.5, "currency": "PLN"}}
    assert source.skipped_fields == ["deals: Region (over the 3 fields a list can name)"]
    assert [f.name for f in await source.custom_fields()] == ["Setup fee"]
    await source.aclose()
