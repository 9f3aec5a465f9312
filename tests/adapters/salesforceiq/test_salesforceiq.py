"""The SalesforceIQ source against its emulator: lists whose items are deals and whose Status
options are stages, HTTP Basic key:secret, `_start`/`_limit` walked to the end, `modifiedDate`
deltas, a 429 waited out, a cut-short page refused; and the CSV export people hold."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.core.auth import BasicAuth
from adapters.core.canonical import Entity, Organization
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.errors import AuthFailed, UnreadableResponse
from adapters.core.paginators import OffsetPaginator
from adapters.reference.dataset import generate
from adapters.salesforceiq.emulator import SalesforceIqEmulator
from adapters.salesforceiq.export import export_files
from adapters.salesforceiq.render import IDS, STAMP_MS, stage_id
from adapters.salesforceiq.source import SPEC
from tests.adapters.sources import BASE, FakeClock, extract_records, in_process_source, provision

SIZE = 30
HELD = SalesforceIqEmulator().held(generate(size=SIZE, seed=0))
World = tuple[SalesforceIqEmulator, dict[str, str], FakeClock]


def setup(burst: int = 100_000) -> World:
    clock = FakeClock()
    emulator = SalesforceIqEmulator(clock=clock)
    return emulator, provision(emulator, size=SIZE, burst=burst), clock


def source(
    world: World,
    spec: SourceSpec = SPEC,
    secret: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DeclarativeSource:
    emulator, creds, clock = world
    return in_process_source(
        spec,
        BasicAuth(creds["api_key"], secret or creds["api_secret"]),
        emulator.app,
        clock=clock,
        transport=transport,
    )


def raw(world: World, auth: Any = "default") -> httpx.AsyncClient:
    emulator, creds, _ = world
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=f"{BASE}/v2",
        auth=(creds["api_key"], creds["api_secret"]) if auth == "default" else auth,
    )


def paged_by(size: int) -> SourceSpec:
    """The spec with pages of `size` records, so that every list takes several."""
    small = OffsetPaginator(
        start_param="_start",
        limit_param="_limit",
        limit=size,
        more_path=None,
        next_start_path=None,
        records_path="objects",
    )
    return dataclasses.replace(
        SPEC, streams=tuple(dataclasses.replace(s, paginator=small) for s in SPEC.streams)
    )


@pytest.fixture(scope="module")
def world() -> World:
    return setup()


async def test_lists_are_pipelines_their_items_deals_and_status_options_stages(
    world: World,
) -> None:
    siq = source(world)
    pipelines = await extract_records(siq, Entity.pipelines)
    stages = await extract_records(siq, Entity.stages)
    deals = {d.source_id: d for d in await extract_records(siq, Entity.deals)}
    assert {p.name for p in pipelines} == {p.name for p in HELD.pipelines}
    # Every Status option but the outcomes is a stage, in order, named by its list and option.
    assert [(s.name, s.order_nr) for s in stages if s.pipeline_source_id == IDS.hex24("pl1")] == [
        ("Qualified", 1),
        ("Contact made", 2),
        ("Demo scheduled", 3),
        ("Proposal made", 4),
        ("Negotiations started", 5),
    ]
    assert {s.source_id for s in stages} == {stage_id(s.source_id) for s in HELD.stages}
    assert not {"Deal Won", "Deal Lost"} & {s.name for s in stages}
    # A won deal sits in "Deal Won": it arrives won, in its pipeline's first stage.
    won, lost = deals[IDS.hex24("d1")], deals[IDS.hex24("d2")]
    assert (won.status, lost.status) == ("won", "lost")
    assert won.stage_source_id == f"{won.pipeline_source_id}.0"
    assert won.won_time == HELD.deals[0].won_time and won.expected_close_date is None
    open_deal = next(d for d in HELD.deals if d.status == "open" and d.person_source_id)
    read = deals[IDS.hex24(open_deal.source_id)]
    assert read.stage_source_id == stage_id(open_deal.stage_source_id or "")
    assert read.person_source_id == IDS.hex24(open_deal.person_source_id)
    assert read.value == open_deal.value and read.currency == open_deal.currency
    assert read.expected_close_date == open_deal.expected_close_date
    # The lists' other fields with options are custom fields of deals, with their options.
    fields = {f.name: f for f in await siq.custom_fields() if f.entity is Entity.deals}
    assert fields["Competitors"].field_type == "set" and "その他" in fields["Competitors"].options
    assert "Status" not in fields and "Owner" not in fields
    async with raw(world) as client:
        listed = (await client.get("/lists")).json()
        items = await client.get(f"/lists/{IDS.hex24('pl1')}/listitems", params={"_limit": 2})
        missing = await client.get(f"/lists/{IDS.hex24('pl9')}/listitems")
        person = open_deal.person_source_id or ""
        by_contact = await client.get(
            f"/lists/{IDS.hex24(open_deal.pipeline_source_id)}/listitems",
            params={"contactIds": f"{IDS.hex24('p999')},{IDS.hex24(person)}"},
        )
    assert set(listed) == {"objects", "nextPage"} and listed["nextPage"] is None
    status = next(f for f in listed["objects"][0]["fields"] if f["id"] == "0")
    assert [o["display"] for o in status["listOptions"]][-2:] == ["Deal Won", "Deal Lost"]
    assert {"totalSize", "objects", "errorSize"} <= set(items.json())
    assert all(i["listId"] == IDS.hex24("pl1") for i in items.json()["objects"])
    assert missing.status_code == 404
    assert IDS.hex24(open_deal.source_id) in {i["id"] for i in by_contact.json()["objects"]}
    assert all(IDS.hex24(person) in i["contactIds"] for i in by_contact.json()["objects"])


async def test_contacts_find_their_account_by_company_name(world: World) -> None:
    persons = {p.source_id: p for p in await extract_records(source(world), Entity.persons)}
    p1 = persons[IDS.hex24("p1")]
    assert p1.name == "Zażółć Gęślą-Jaźń 🚀" and p1.first_name is None
    assert p1.org_source_id == IDS.hex24(HELD.persons[0].org_source_id)
    assert [(e.label, e.primary) for e in p1.emails] == [
        (e.label, e.primary) for e in HELD.persons[0].emails
    ]
    assert persons[IDS.hex24("p6")].org_source_id is None  # p6 has no organization


async def test_basic_key_and_secret_are_required(world: World) -> None:
    assert (await source(world).check()).account["user_id"] == IDS.hex24("u1")
    with pytest.raises(AuthFailed):
        await source(world, secret="wrong").check()
    async with raw(world, auth=None) as client:
        bare = await client.get("/accounts")
        bearer = await client.get(
            "/accounts", headers={"Authorization": f"Bearer {world[1]['api_secret']}"}
        )
    assert bare.status_code == bearer.status_code == 401
    assert bare.json() == {
        "statusCode": 401,
        "userMessage": "Unauthorized",
        "errorMessage": "Unauthorized",
    }


async def test_start_and_limit_are_walked_to_the_end(world: World) -> None:
    siq = source(world, paged_by(7))
    for entity in (Entity.organizations, Entity.persons, Entity.deals):
        records = await extract_records(siq, entity)
        assert len(records) == len(HELD.records(entity)) > 7, entity
        assert len({r.source_id for r in records}) == len(records)
    async with raw(world) as client:
        first = (await client.get("/contacts", params={"_limit": 7})).json()["objects"]
        second = (await client.get("/contacts", params={"_start": 7, "_limit": 7})).json()
        default = (await client.get("/contacts")).json()["objects"]
        too_big = await client.get("/contacts", params={"_limit": 201})
        unknown = await client.get("/contacts", params={"page": 2})
    assert second["objects"][0]["id"] not in {c["id"] for c in first}
    assert second["nextPage"] is None  # never a link: a short page is the end
    assert len(default) == min(50, len(HELD.persons))
    assert too_big.status_code == unknown.status_code == 400
    assert set(too_big.json()) == {"statusCode", "userMessage", "errorMessage"}


async def test_modified_date_reads_what_changed_at_or_after(world: World) -> None:
    siq = source(world)
    assert siq.reads_changes(Entity.deals) and siq.reads_changes(Entity.persons)
    since = datetime.fromtimestamp((STAMP_MS + 10 * 60_000) / 1000, UTC)
    changed = await extract_records(siq, Entity.organizations, since=since)
    assert [o.source_id for o in changed] == [
        IDS.hex24(o.source_id) for o in HELD.organizations[10:]
    ]
    deals = await extract_records(siq, Entity.deals, since=since)
    assert {d.source_id for d in deals} == {IDS.hex24(d.source_id) for d in HELD.deals[10:]}
    async with raw(world) as client:
        exact = await client.get("/contacts", params={"modifiedDate": STAMP_MS + 3 * 60_000})
        bad = await client.get("/contacts", params={"modifiedDate": "yesterday"})
    assert exact.json()["objects"][0]["id"] == IDS.hex24(HELD.persons[3].source_id)
    assert bad.status_code == 400


async def test_a_429_is_waited_out() -> None:
    world = setup(burst=2)
    async with raw(world) as client:
        await client.get("/users")
        await client.get("/users")
        refused = await client.get("/users")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused.json()["statusCode"] == 429
    siq = source(world)
    assert len(await extract_records(siq, Entity.users)) == len(HELD.users)
    assert siq.client.stats.rate_limited >= 1 and world[2].slept


class CutShort(httpx.AsyncBaseTransport):
    """The emulator, but every second page of contacts comes back cut in half."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/contacts") and request.url.params.get("_start") == "7":
            body = await response.aread()
            return httpx.Response(200, content=body[: len(body) // 2], headers=response.headers)
        return response


async def test_a_cut_short_page_is_an_error_not_the_end(world: World) -> None:
    transport = CutShort(httpx.ASGITransport(app=world[0].app))
    with pytest.raises(UnreadableResponse):
        await extract_records(source(world, paged_by(7), transport=transport), Entity.persons)


# --- the export ---------------------------------------------------------------------------------


def table(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[name].decode("utf-8"), newline="")))


def test_the_export_holds_every_record_with_resolvable_links() -> None:
    files = export_files(generate(size=SIZE, seed=0))
    lists = table(files, "lists.csv")
    assert set(files) == {
        "users.csv",
        "accounts.csv",
        "account_fields.csv",
        "contacts.csv",
        "lists.csv",
        "list_fields.csv",
        *(f"list_{x['List ID']}.csv" for x in lists),
    }
    users, accounts = table(files, "users.csv"), table(files, "accounts.csv")
    contacts = table(files, "contacts.csv")
    items = [row for x in lists for row in table(files, f"list_{x['List ID']}.csv")]
    assert (len(users), len(accounts), len(contacts), len(lists), len(items)) == (
        len(HELD.users),
        len(HELD.organizations),
        len(HELD.persons),
        len(HELD.pipelines),
        len(HELD.deals),
    )
    assert (
        files["accounts.csv"]
        .decode()
        .splitlines()[0]
        .startswith("Account ID,Name,Address,Owner ID,Modified Date,Industry,")
    )
    assert list(table(files, f"list_{lists[0]['List ID']}.csv")[0])[:11] == [
        "List Item ID",
        "Name",
        "Account ID",
        "Contact IDs",
        "Status",
        "Owner ID",
        "Revenue",
        "Currency",
        "Close Date",
        "Created Date",
        "Modified Date",
    ]
    user_ids, account_ids = {u["User ID"] for u in users}, {a["Account ID"] for a in accounts}
    contact_ids = {c["Contact ID"] for c in contacts}
    assert {a["Owner ID"] for a in accounts} - {""} <= user_ids
    assert {c["Account ID"] for c in contacts} - {""} <= account_ids
    assert {i["Account ID"] for i in items} - {""} <= account_ids
    assert {c for i in items for c in i["Contact IDs"].split("; ") if c} <= contact_ids
    assert {i["Owner ID"] for i in items} - {""} <= user_ids
    d1 = next(i for i in items if i["List Item ID"] == IDS.hex24("d1"))
    assert d1["Status"] == "Deal Won" and d1["Close Date"] == HELD.deals[0].won_time
    stages = [r["Option"] for r in table(files, "list_fields.csv") if r["Field ID"] == "0"]
    assert {s.name for s in HELD.stages} < set(stages)
    # Ids are the API's: the export and the sandbox name every record alike.
    assert {a["Account ID"] for a in accounts} == {
        IDS.hex24(o.source_id) for o in HELD.organizations
    }


def test_the_export_keeps_text_as_it_is() -> None:
    company = generate(size=SIZE, seed=0)
    formula = '=HYPERLINK("http://evil.example","click"),+1;-2@x'
    company = dataclasses.replace(
        company,
        organizations=[
            *company.organizations,
            Organization(source_id="o999", name=formula, address='Line "one"\nLine two'),
        ],
    )
    files = export_files(company)
    accounts = {a["Account ID"]: a for a in table(files, "accounts.csv")}
    assert accounts[IDS.hex24("o999")]["Name"] == formula  # data, not a neutralized formula
    assert accounts[IDS.hex24("o999")]["Address"] == 'Line "one"\nLine two'
    assert accounts[IDS.hex24("o1")]["Name"] == "Müller & Söhne GmbH"
    contacts = {c["Contact ID"]: c for c in table(files, "contacts.csv")}
    assert contacts[IDS.hex24("p1")]["Name"] == "Zażółć Gęślą-Jaźń 🚀"
    assert contacts[IDS.hex24("p3")]["Name"] == "山田 太郎"
    assert not files["users.csv"].startswith(b"\xef\xbb\xbf")  # UTF-8 without a BOM


def test_the_sandbox_serves_its_accounts_export(world: World) -> None:
    assert world[0].export("acme") == export_files(generate(size=SIZE, seed=0))
