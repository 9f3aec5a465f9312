"""Salesforce: the source against the emulated org, in process (no server)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.core.canonical import Entity, Record
from adapters.core.declarative import DeclarativeSource
from adapters.core.errors import AuthFailed, BudgetExhausted
from adapters.reference.dataset import generate
from adapters.salesforce.emulator import SalesforceEmulator
from adapters.salesforce.records import ref_id, to18
from adapters.salesforce.source import SPEC, auth_from

BASE = "http://sf.test/org1"


def make_org(size: int = 30, **limits: int) -> tuple[SalesforceEmulator, dict[str, str]]:
    emulator = SalesforceEmulator()
    credentials = emulator.new_credentials(BASE)
    emulator.provision("org1", credentials, dataset="reference", size=size, limits=limits)
    return emulator, credentials


def source_for(
    emulator: SalesforceEmulator, credentials: dict[str, str], **headers: str
) -> DeclarativeSource:
    spec = dataclasses.replace(SPEC, headers=headers) if headers else SPEC
    transport = httpx.ASGITransport(app=emulator.app)
    client = spec.client(BASE, auth_from(credentials, BASE), transport)
    return DeclarativeSource(spec, client)


async def read_all(source: DeclarativeSource, entity: Entity) -> list[Any]:
    return [item.record async for page in source.extract(entity) for item in page.items]


def by_id(records: list[Record]) -> dict[str, Any]:
    return {r.source_id: r for r in records}


@pytest.fixture
async def org() -> Any:
    emulator, credentials = make_org()
    source = source_for(emulator, credentials)
    yield emulator, source
    await source.aclose()


async def test_every_entity_is_read_as_the_org_holds_it(org: Any) -> None:
    emulator, source = org
    held = emulator.held(generate(size=30, seed=0))
    info = await source.check()
    assert info.account["user_email"] == "anna.kowalska@example.pl"
    # totalSize counts every SOQL list; pipelines and stages are counted as they are read, and
    # so are notes (ContentNotes are listed per batch of linked ids, with no total of their own)
    # and files (gathered from the links to each parent object).
    counted = {e.value: len(held.records(e)) for e in source.entities}
    del counted["pipelines"], counted["stages"], counted["notes"], counted["files"]
    assert info.counts == counted
    for entity in source.entities:
        assert len(await read_all(source, entity)) == len(held.records(entity)), entity


async def test_people_keep_names_three_emails_links_and_custom_values(org: Any) -> None:
    emulator, source = org
    persons = by_id(await read_all(source, Entity.persons))
    p1 = persons[ref_id("Contact", "p1")]
    assert p1.name == "Zażółć Gęślą-Jaźń 🚀"
    assert [e.value for e in p1.emails] == [
        "zazolc.gesla-jazn@example.pl",
        "zazolc@example.com",
        "z.jazn@example.de",
    ]
    assert [e.primary for e in p1.emails] == [True, False, False]
    assert p1.org_source_id == ref_id("Account", "o3")
    assert p1.owner_source_id == ref_id("User", "u1")
    assert persons[ref_id("Contact", "p3")].name == "太郎 山田"  # Name is given name first
    custom = p1.custom_fields
    assert isinstance(custom["Lead_Score__c"], float)
    assert custom["Language__c"] in {"Polski", "Deutsch", "English", "日本語", "Français"}
    assert isinstance(custom["Interests__c"], list) and custom["Interests__c"]
    assert set(custom["Budget__c"]) == {"value", "currency"}
    assert len(custom["Birthday__c"]) == 10
    assert source.skipped_fields == []  # the e-mail fields are carried as e-mails


async def test_deals_stages_and_pipelines_link_up(org: Any) -> None:
    emulator, source = org
    pipelines = by_id(await read_all(source, Entity.pipelines))
    stages = by_id(await read_all(source, Entity.stages))
    deals = by_id(await read_all(source, Entity.deals))
    assert sorted(p.name for p in pipelines.values()) == ["Partnerzy & Wiederverkäufer", "Sales"]
    assert {s.pipeline_source_id for s in stages.values()} == set(pipelines)
    d1, d3 = deals[ref_id("Opportunity", "d1")], deals[ref_id("Opportunity", "d3")]
    assert (d1.status, d1.currency) == ("won", "PLN")
    assert stages[d1.stage_source_id].name == "Negotiations started"  # the stage it closed from
    assert d3.person_source_id is None and d3.org_source_id == ref_id("Account", "o2")
    assert all(d.stage_source_id in stages for d in deals.values())
    assert all(d.pipeline_source_id in pipelines for d in deals.values())
    products = by_id(await read_all(source, Entity.products))
    prices = {(p.currency, p.price) for p in products[ref_id("Product2", "pr1")].prices}
    assert prices == {("EUR", 1188.0), ("PLN", 5108.4)}


async def test_accounts_contacts_and_opportunities_keep_their_created_date(org: Any) -> None:
    emulator, source = org
    reference = generate(size=30, seed=0)
    originals = {r.source_id: r.add_time for r in (*reference.organizations, *reference.persons,
                                                   *reference.deals)}  # fmt: skip
    token = await token_of(emulator, emulator.account_of("org1").credentials)
    for entity, sobject, key in (
        (Entity.organizations, "Account", "o1"),
        (Entity.persons, "Contact", "p1"),
        (Entity.deals, "Opportunity", "d1"),
    ):
        record = by_id(await read_all(source, entity))[ref_id(sobject, key)]
        assert record.add_time == originals[key] and record.add_time.endswith("Z")
        # Served as the REST API writes a dateTime (milliseconds, +0000), and filterable.
        soql = f"SELECT Id, CreatedDate FROM {sobject} WHERE CreatedDate < 2030-01-01T00:00:00Z"
        answer = await raw_get(emulator, "/services/data/v64.0/query?q=" + soql, token)
        served = {r["Id"]: r["CreatedDate"] for r in answer.json()["records"]}
        assert served[record.source_id] == originals[key].replace("Z", ".000+0000")


async def test_activities_and_notes_keep_times_links_and_size(org: Any) -> None:
    emulator, source = org
    activities = by_id(await read_all(source, Entity.activities))
    meeting = activities[ref_id("Event", "a2")]
    assert (meeting.type, meeting.due_time, meeting.duration) == ("meeting", "13:00", "01:00")
    assert meeting.person_source_id == ref_id("Contact", "p2") and meeting.org_source_id is None
    lunch = activities[ref_id("Event", "a5")]
    assert (lunch.due_time, lunch.deal_source_id) == ("03:00", ref_id("Opportunity", "d3"))
    tokyo_call = activities[ref_id("Task", "a3")]
    assert (tokyo_call.type, tokyo_call.due_date) == ("call", "2026-01-20")
    assert activities[ref_id("Task", "a1")].done is True
    notes = by_id(await read_all(source, Entity.notes))
    n1 = notes[ref_id("Note", "n1")]
    assert len(n1.content) == 32_000 and n1.deal_source_id == ref_id("Opportunity", "d1")
    assert n1.add_time == "2025-12-01T10:00:00Z"


async def test_pages_cross_batches_and_resume_from_a_checkpoint() -> None:
    emulator, credentials = make_org(size=450)
    source = source_for(emulator, credentials, **{"Sforce-Query-Options": "batchSize=200"})
    pages = [page async for page in source.extract(Entity.persons)]
    leads = len(emulator.held(generate(size=450, seed=0)).leads)
    # Contacts in batches of 200, then the people of the open leads (those with a name).
    assert [len(p.items) for p in pages][:3] == [200, 200, 50] and len(pages) == 4
    assert 0 < len(pages[3].items) <= leads
    assert pages[0].next_cursor and "/query/01g" in pages[0].next_cursor
    resumed = [page async for page in source.extract(Entity.persons, pages[0].next_cursor)]
    ids = [i.record.source_id for p in resumed for i in p.items]
    assert all(i.record.source_id.startswith("00Q") for i in pages[3].items)
    assert ids == [i.record.source_id for p in pages[1:] for i in p.items]
    await source.aclose()


async def test_changed_since_asks_for_later_modstamps(org: Any) -> None:
    emulator, source = org
    since = datetime(2025, 12, 1, 20, 30, tzinfo=UTC)  # record i was modified at hour i
    pages = [p async for p in source.extract(Entity.persons, since=since)]
    assert len([i for p in pages for i in p.items]) == 30 - 21


async def test_bad_refresh_token_is_auth_failed() -> None:
    emulator, credentials = make_org(size=10)
    source = source_for(emulator, {**credentials, "refresh_token": "revoked"})
    with pytest.raises(AuthFailed, match="expired access/refresh token"):
        await source.check()
    await source.aclose()


async def test_daily_api_limit_pauses_instead_of_failing_the_credentials() -> None:
    emulator, credentials = make_org(size=10, burst=3)
    source = source_for(emulator, credentials)
    with pytest.raises(BudgetExhausted, match="quota spent") as caught:
        await source.check()  # token, userinfo, then the first count: over the limit
    assert caught.value.resume_at > datetime.now(UTC) + timedelta(minutes=59)
    await source.aclose()


async def raw_get(emulator: SalesforceEmulator, path: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as client:
        return await client.get(f"{BASE}{path}", headers=headers)


async def token_of(emulator: SalesforceEmulator, credentials: dict[str, str]) -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as client:
        answer = await client.post(
            f"{BASE}/services/oauth2/token", data={"grant_type": "refresh_token", **credentials}
        )
    assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer"
    return str(answer.json()["access_token"])


async def test_emulator_answers_in_salesforce_shapes() -> None:
    emulator, credentials = make_org(size=10, burst=1000)
    token = await token_of(emulator, credentials)
    query = "/services/data/v64.0/query"
    expired = await raw_get(emulator, query + "?q=SELECT+Id+FROM+Account", "nope")
    assert expired.status_code == 401
    assert expired.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    bad_field = await raw_get(emulator, query + "?q=SELECT+Foo+FROM+Account", token)
    assert bad_field.status_code == 400 and bad_field.json()[0]["errorCode"] == "INVALID_FIELD"
    bad_type = await raw_get(emulator, query + "?q=SELECT+Id+FROM+Lead2", token)
    assert bad_type.json()[0]["errorCode"] == "INVALID_TYPE"
    missing = await raw_get(emulator, "/services/data/v64.0/nothing", token)
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"
    ok = await raw_get(emulator, query + "?q=SELECT+Id,+Owner.Email+FROM+Account", token)
    body = ok.json()
    assert body["done"] is True and body["totalSize"] == len(body["records"])
    first = body["records"][0]
    assert first["attributes"]["type"] == "Account" and len(first["Id"]) == 18
    assert first["Owner"]["Email"] == "anna.kowalska@example.pl"
    assert ok.headers["Sforce-Limit-Info"].startswith("api-usage=")


async def test_each_sandbox_org_has_its_own_org_id_and_keeps_it() -> None:
    """Real org ids are unique across Salesforce; Ferry's ledger tells orgs apart by them."""
    emulator = SalesforceEmulator()
    seen: dict[str, set[str]] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as client:
        for name in ("org1", "org2"):
            base = f"http://sf.test/{name}"
            credentials = emulator.new_credentials(base)
            emulator.provision(name, credentials, dataset="empty", size=10, limits={})
            form = {"grant_type": "refresh_token", **credentials}
            for _ in range(2):
                token = (await client.post(f"{base}/services/oauth2/token", data=form)).json()
                auth = {"Authorization": f"Bearer {token['access_token']}"}
                info = (await client.get(f"{base}/services/oauth2/userinfo", headers=auth)).json()
                org_id = info["organization_id"]
                assert org_id.startswith("00D") and to18(org_id[:15]) == org_id
                assert token["access_token"].startswith(org_id[:15] + "!")
                assert f"/id/{org_id}/" in token["id"] and f"/id/{org_id}/" in info["sub"]
                seen.setdefault(name, set()).add(org_id)
    assert all(len(ids) == 1 for ids in seen.values())
    assert seen["org1"] != seen["org2"]
