"""The NetSuite source against its emulator: SuiteQL pages walked to the end by `hasMore`, the
token-based signature verified (a wrong secret, a stale timestamp, a reused nonce refused; a
retried request signed afresh), a 429 waited out, a cut-short page an error, customers split
by `isperson`, custom list values, items' prices and opportunity lines, and the changed-since
query."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.core.auth import CredentialAuth, TokenExchangeAuth
from adapters.core.canonical import Entity
from adapters.core.client_assertion import (
    JWT_BEARER,
    client_assertion_auth,
    new_private_key,
    sign_assertion,
)
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.errors import AuthFailed, UnreadableResponse
from adapters.core.oauth1 import OAuth1
from adapters.core.paginators import OffsetPaginator
from adapters.netsuite.emulator import NetSuiteEmulator
from adapters.netsuite.render import IDS
from adapters.netsuite.source import SPEC, SUITEQL, TOKEN_PATH
from adapters.reference.dataset import generate
from tests.adapters.sources import BASE, FakeClock, extract_records, in_process_source, provision

SIZE = 30
HELD = NetSuiteEmulator().held(generate(size=SIZE, seed=0))
QUERY = {"q": "SELECT id, entityid FROM employee ORDER BY id"}


def new_account(burst: int = 0) -> tuple[NetSuiteEmulator, dict[str, str], FakeClock]:
    clock = FakeClock(start=datetime.now(UTC).timestamp())
    emulator = NetSuiteEmulator(clock=clock)
    return emulator, provision(emulator, size=SIZE, burst=burst), clock


def signer(credentials: dict[str, str], clock: FakeClock, **change: str) -> OAuth1:
    c = {**credentials, **change}
    keys = ("consumer_key", "consumer_secret", "token_id", "token_secret")
    return OAuth1(*(c[k] for k in keys), realm=c["account_id"], clock=clock)


def m2m(credentials: dict[str, str], **change: str) -> CredentialAuth:
    """The source's own auth style given only the M2M credentials (and the account id)."""
    c = {**credentials, **change}
    names = ("account_id", "client_id", "certificate_id", "private_key")
    assert SPEC.auth is not None
    return SPEC.auth({k: c[k] for k in names}, BASE)


def new_source(
    account: Any,
    spec: SourceSpec = SPEC,
    transport: httpx.AsyncBaseTransport | None = None,
    auth: CredentialAuth | None = None,
    **change: str,
) -> DeclarativeSource:
    emulator, credentials, clock = account
    return in_process_source(
        spec,
        auth or signer(credentials, clock, **change),
        emulator.app,
        clock=clock,
        transport=transport,
        attempts=4,
        wait_initial=1.0,
    )


def raw_client(account: Any, **change: str) -> httpx.AsyncClient:
    emulator, credentials, clock = account
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=BASE,
        auth=signer(credentials, clock, **change),
        headers={"Prefer": "transient"},
    )


@pytest.fixture(scope="module")
def account() -> tuple[NetSuiteEmulator, dict[str, str], FakeClock]:
    return new_account()


def paged(size: int) -> SourceSpec:
    pages = OffsetPaginator(
        start_param="offset", limit=size, more_path="hasMore", next_start_path=None
    )
    streams = tuple(
        dataclasses.replace(s, paginator=pages) if s.paginator else s for s in SPEC.streams
    )
    return dataclasses.replace(SPEC, streams=streams)


async def test_every_entity_is_read_to_the_end_of_its_pages(account: Any) -> None:
    source = new_source(account, paged(7))
    for entity in source.entities:
        records = await extract_records(source, entity)
        assert len({r.source_id for r in records}) == len(HELD.records(entity)), entity
    async with raw_client(account) as client:
        body = (await client.post(f"{SUITEQL}?limit=7&offset=7", json=QUERY)).json()
    assert (body["count"], body["offset"], body["totalResults"]) == (0, 7, len(HELD.users))
    assert body["hasMore"] is False and body["items"] == []


async def test_a_wrong_secret_a_stale_timestamp_and_a_reused_nonce_are_refused(
    account: Any,
) -> None:
    with pytest.raises(AuthFailed):
        await new_source(account, consumer_secret="wrong").check()
    with pytest.raises(AuthFailed):
        await new_source(account, token_secret="wrong").check()
    async with raw_client(account, token_secret="wrong") as client:
        refused = await client.post(SUITEQL, json=QUERY)
    assert refused.status_code == 401
    assert refused.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
    assert set(refused.json()) == {"type", "title", "status", "o:errorDetails"}
    emulator, credentials, clock = account
    stale = FakeClock(start=clock.now - 3600)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url=BASE
    ) as client:
        request = client.build_request("POST", SUITEQL, json=QUERY, headers={"Prefer": "transient"})
        signed = signer(credentials, clock).apply(request)
        first, again = await client.send(signed), await client.send(signed)
        old = signer(credentials, stale).apply(client.build_request("POST", SUITEQL, json=QUERY))
        late = await client.send(old)
    assert first.status_code == 200 and again.status_code == 401 and late.status_code == 401


async def test_a_429_is_waited_out_and_the_retry_signed_afresh() -> None:
    account = new_account(burst=2)
    source = new_source(account)
    users = await extract_records(source, Entity.users)  # lookups and pages past the limit
    persons = await extract_records(source, Entity.persons)
    assert len(users) == len(HELD.users) and len(persons) == len(HELD.persons)
    assert source.client.stats.rate_limited >= 1 and account[2].slept
    async with raw_client(account) as client:
        await client.post(SUITEQL, json=QUERY)
        await client.post(SUITEQL, json=QUERY)
        over = await client.post(SUITEQL, json=QUERY)
    assert over.status_code == 429 and "retry-after" not in over.headers


class CutShort(httpx.AsyncBaseTransport):
    """The emulator, but each SuiteQL page loses its last row (its count left as it was)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        body = json.loads(response.content)
        if isinstance(body, dict) and body.get("items"):
            body["items"] = body["items"][:-1]
        return httpx.Response(response.status_code, json=body, headers={"x": "1"})


async def test_a_page_short_of_its_count_is_an_error(account: Any) -> None:
    emulator = account[0]
    source = new_source(account, transport=CutShort(httpx.ASGITransport(app=emulator.app)))
    with pytest.raises(UnreadableResponse):
        await extract_records(source, Entity.users)


async def test_customers_split_by_isperson_and_contacts_are_persons_of_their_company(
    account: Any,
) -> None:
    source = new_source(account)
    orgs = await extract_records(source, Entity.organizations)
    persons = {p.source_id: p for p in await extract_records(source, Entity.persons)}
    assert {o.source_id for o in orgs} == {
        str(IDS.integer(o.source_id)) for o in HELD.organizations
    }
    for person in HELD.persons:
        got = persons[str(IDS.integer(person.source_id))]
        assert got.org_source_id == (
            str(IDS.integer(person.org_source_id)) if person.org_source_id else None
        )
    async with raw_client(account) as client:
        q = {"q": "SELECT id, isperson FROM customer WHERE isperson = 'T'"}
        individuals = (await client.post(SUITEQL, json=q)).json()["items"]
    assert len(individuals) == len([p for p in HELD.persons if not p.org_source_id]) > 0
    deals = {d.source_id: d for d in await extract_records(source, Entity.deals)}
    for deal in HELD.deals:  # an opportunity's one entity: a company, or an individual
        got = deals[str(IDS.integer(deal.source_id))]
        assert (got.org_source_id, got.person_source_id) == tuple(
            str(IDS.integer(i)) if i else None for i in (deal.org_source_id, deal.person_source_id)
        )


async def test_custom_list_values_arrive_as_their_labels(account: Any) -> None:
    source = new_source(account)
    fields = {(f.entity, f.key): f for f in await source.custom_fields()}
    industry = fields[(Entity.organizations, "custentity_industry")]
    assert industry.options == next(
        f.options for f in HELD.custom_fields if f.key == "custentity_industry"
    )
    assert (Entity.persons, "custentity_industry") in fields  # entity fields apply to both
    assert fields[(Entity.deals, "custbody_competitors")].field_type.value == "set"
    orgs = {o.source_id: o for o in await extract_records(source, Entity.organizations)}
    o1 = next(o for o in HELD.organizations if o.source_id == "o1")
    assert orgs[str(IDS.integer("o1"))].custom_fields == o1.custom_fields
    assert o1.custom_fields["custentity_industry"] == "Services"


async def test_changed_since_asks_for_lastmodifieddate_after_the_time(account: Any) -> None:
    source = new_source(account)
    before = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    after = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert source.reads_changes(Entity.deals)
    assert len(await extract_records(source, Entity.deals, since=before)) == len(HELD.deals)
    assert await extract_records(source, Entity.deals, since=after) == []
    async with raw_client(account) as client:
        unknown = await client.post(SUITEQL, json={"q": "SELECT nosuch FROM customer"})
        table = await client.post(SUITEQL, json={"q": "SELECT id FROM lead_magnet"})
        bare = await client.post(SUITEQL, json=QUERY, headers={"Prefer": ""})
    assert unknown.status_code == table.status_code == bare.status_code == 400
    assert "nosuch" in unknown.json()["o:errorDetails"][0]["detail"]
    assert unknown.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"


async def test_m2m_credentials_alone_read_every_entity_with_a_bearer_token() -> None:
    account = new_account()
    auth = m2m(account[1])
    assert isinstance(auth, TokenExchangeAuth)  # the credentials given decide the style
    source = new_source(account, paged(7), auth=auth)
    assert (await source.check()).account
    for entity in source.entities:
        records = await extract_records(source, entity)
        assert len({r.source_id for r in records}) == len(HELD.records(entity)), entity
    assert len(account[0].account_of("acme").tokens) == 1  # one exchange for the whole run


async def test_m2m_a_wrong_key_is_refused_and_an_expired_token_renewed() -> None:
    account = new_account()
    emulator, credentials, clock = account
    with pytest.raises(AuthFailed, match="invalid_grant"):
        await new_source(account, auth=m2m(credentials, private_key=new_private_key())).check()
    with pytest.raises(AuthFailed, match="private key"):
        await new_source(account, auth=m2m(credentials, private_key="not a key")).check()
    auth = client_assertion_auth(
        f"{BASE}{TOKEN_PATH}",
        client_id=credentials["client_id"],
        key_id=credentials["certificate_id"],
        private_key=credentials["private_key"],
        claims={"scope": "rest_webservices"},
        clock=clock,
    )
    source = new_source(account, auth=auth)
    assert len(await extract_records(source, Entity.users)) == len(HELD.users)
    first = set(emulator.account_of("acme").tokens)
    clock.now += 3601  # the access token lives 60 minutes: refused, then traded anew
    assert len(await extract_records(source, Entity.users)) == len(HELD.users)
    renewed = emulator.account_of("acme").tokens
    assert len(first) == len(renewed) == 1 and not renewed & first  # the expired one dropped


async def test_the_token_endpoint_refuses_an_expired_or_misaddressed_assertion(
    account: Any,
) -> None:
    emulator, credentials, clock = account
    now, url = int(clock.now), f"{BASE}{TOKEN_PATH}"
    claims = {"iss": credentials["client_id"], "aud": url, "scope": "rest_webservices"}
    times = {"iat": now, "exp": now + 600}

    def assertion(**change: Any) -> str:
        key = credentials["private_key"]
        return sign_assertion(
            key, key_id=credentials["certificate_id"], claims={**claims, **times, **change}
        )

    async def exchange(**form: str) -> httpx.Response:
        base = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as client:
            return await client.post(url, data={**base, **form})

    good = await exchange(client_assertion=assertion())
    assert good.status_code == 200 and good.json()["token_type"] == "Bearer"
    assert good.json()["expires_in"] == "3600"
    for refused in (
        assertion(iat=now - 7200, exp=now - 3600),  # expired
        assertion(exp=now + 7200),  # valid for longer than an hour
        assertion(aud="https://1234567.suitetalk.api.netsuite.com" + TOKEN_PATH),
        assertion(scope="restlets"),
    ):
        answer = await exchange(client_assertion=refused)
        assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant"})
    missing = await exchange()
    assert (missing.status_code, missing.json()) == (400, {"error": "invalid_request"})
    other = await exchange(client_assertion=assertion(), grant_type="password")
    assert other.json() == {"error": "unsupported_grant_type"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as client:
        token = good.json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}", "Prefer": "transient"}
        ok = await client.post(f"{BASE}{SUITEQL}", json=QUERY, headers=bearer)
        wrong = {**bearer, "Authorization": "Bearer nosuch"}
        refused = await client.post(f"{BASE}{SUITEQL}", json=QUERY, headers=wrong)
    assert ok.status_code == 200
    assert refused.status_code == 401
    assert refused.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"


async def test_items_carry_base_prices_per_currency_and_lines_read_positive(account: Any) -> None:
    source = new_source(account)
    products = {p.source_id: p for p in await extract_records(source, Entity.products)}
    for product in HELD.products:  # every currency's Base Price, none of another level
        got = products[str(IDS.integer(product.source_id))]
        assert (got.code, got.prices) == (product.code, product.prices)
    assert any(len(p.prices) > 1 for p in products.values())
    lines = await extract_records(source, Entity.deal_products)
    assert len(lines) == len(HELD.deal_products) > 0  # each opportunity's main line left out
    assert all(line.quantity > 0 for line in lines)
    async with raw_client(account) as client:
        q = {"q": "SELECT quantity FROM transactionline WHERE mainline = 'F'"}
        stored = (await client.post(SUITEQL, json=q)).json()["items"]
    assert all(float(row["quantity"]) < 0 for row in stored)  # a sale's quantity is negative
    fields = {(f.entity, f.key) for f in await source.custom_fields()}
    assert (Entity.products, "custitem_category") in fields
