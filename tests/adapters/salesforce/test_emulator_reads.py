"""Salesforce emulator: what outside clients (simple-salesforce, Airbyte's source-salesforce) call,
over HTTP in process: Describe Global, sObject basic information, describe, queryAll, batches
followed to the end, and SOQL the emulator does not implement refused as Salesforce refuses it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.canonical import Entity
from adapters.salesforce.prospects import NOT_PROVIDED
from tests.adapters.salesforce.test_salesforce import BASE, make_org, source_for

API = "/services/data/v59.0"
SIZE = 250  # enough Contacts and Notes for more than one batch of 200
ID_FILTERED = {"ContentDocumentLink"}  # queried by ContentDocumentId or LinkedEntityId only


@pytest.fixture
async def org() -> Any:
    emulator, credentials = make_org(size=SIZE)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url=BASE
    ) as client:
        answer = await client.post(
            "/services/oauth2/token", data={"grant_type": "refresh_token", **credentials}
        )
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield emulator, credentials, client


async def read_everything(client: httpx.AsyncClient, soql: str, resource: str) -> list[Any]:
    """What simple-salesforce's query_all does: the first batch, then each nextRecordsUrl."""
    headers = {"Sforce-Query-Options": "batchSize=200"}
    answer = await client.get(f"{API}/{resource}/", params={"q": soql}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows, total = list(body["records"]), body["totalSize"]
    while not body["done"]:
        assert f"/{resource}/" in body["nextRecordsUrl"]
        answer = await client.get(body["nextRecordsUrl"].removeprefix(BASE), headers=headers)
        body = answer.json()
        rows += body["records"]
    assert len(rows) == total
    return rows


async def test_describe_global_lists_every_object_as_documented(org: Any) -> None:
    _, _, client = org
    for path in (f"{API}/sobjects", f"{API}/sobjects/"):
        answer = await client.get(path)
        assert answer.status_code == 200
        body = answer.json()
        assert body["encoding"] == "UTF-8" and body["maxBatchSize"] == 200
    names = {o["name"]: o for o in body["sobjects"]}
    assert {
        "Account",
        "Contact",
        "Opportunity",
        "Product2",
        "Task",
        "Event",
        "Note",
        "User",
    } <= set(names)
    account = names["Account"]
    assert account["keyPrefix"] == "001" and account["queryable"] and not account["custom"]
    assert account["label"] == "Account" and account["labelPlural"] == "Accounts"
    assert account["urls"]["rowTemplate"] == f"{API}/sobjects/Account/{{ID}}"
    assert names["OpportunityStage"]["createable"] is False
    for entry in names.values():
        described = await client.get(entry["urls"]["describe"])
        assert described.status_code == 200 and described.json()["name"] == entry["name"]
        info = await client.get(entry["urls"]["sobject"] + "/")
        assert info.json() == {"objectDescribe": entry, "recentItems": []}
    assert (await client.get(f"{API}/sobjects/Account/describe/")).json()["name"] == "Account"
    missing = await client.get(f"{API}/sobjects/Lead__c/")
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"


async def test_a_generic_client_reads_every_object_to_the_end_and_counts_as_ferry(
    org: Any,
) -> None:
    emulator, credentials, client = org
    source = source_for(emulator, credentials)
    try:
        counts = (await source.check()).counts
    finally:
        await source.aclose()
    globals_ = (await client.get(f"{API}/sobjects/")).json()["sobjects"]
    read: dict[str, list[Any]] = {}
    for entry in (o for o in globals_ if o["queryable"]):
        fields = [f["name"] for f in (await client.get(entry["urls"]["describe"])).json()["fields"]]
        soql = f"SELECT {', '.join(fields)} FROM {entry['name']}"
        if entry["name"] in ID_FILTERED:  # generic clients leave these out: they need ids
            refused = await client.get(f"{API}/queryAll/", params={"q": soql})
            assert refused.status_code == 400
            assert refused.json()[0]["message"].startswith("Implementation restriction")
            continue
        read[entry["name"]] = await read_everything(client, soql, "queryAll")
        assert all(r["attributes"]["type"] == entry["name"] for r in read[entry["name"]])
    assert len(read["Contact"]) > 200 and len(read["Note"]) > 200  # more than one batch
    # An open lead is an organization (its company) and a person (its name) of its own.
    leads = [r for r in read["Lead"] if not r["IsConverted"]]
    assert len(leads) == counts[Entity.leads.value] < len(read["Lead"])
    companies = [r for r in leads if r["Company"] != NOT_PROVIDED]
    people = [r for r in leads if r["LastName"] != NOT_PROVIDED]
    assert len(read["Account"]) + len(companies) == counts[Entity.organizations.value]
    assert len(read["Contact"]) + len(people) == counts[Entity.persons.value]
    assert len(read["Opportunity"]) == counts[Entity.deals.value]
    assert len(read["Product2"]) == counts[Entity.products.value]
    # Notes are counted as they are read: ContentNotes are listed per batch of linked ids.
    assert Entity.notes.value not in counts
    assert len(read["Task"]) + len(read["Event"]) == counts[Entity.activities.value]
    standard = [u for u in read["User"] if u["UserType"] == "Standard"]
    assert len(standard) == counts[Entity.users.value]
    # query and queryAll agree: the org holds no deleted rows.
    assert len(await read_everything(client, "SELECT Id FROM Contact", "query")) == len(
        read["Contact"]
    )


async def test_order_by_several_keys_nulls_offset_and_limit_are_served(org: Any) -> None:
    _, _, client = org
    rows = await read_everything(
        client, "SELECT Id, AccountId FROM Contact ORDER BY AccountId DESC NULLS FIRST, Id", "query"
    )
    keys = [r["AccountId"] for r in rows]
    nulls = keys.count(None)
    assert nulls and keys[:nulls] == [None] * nulls
    assert keys[nulls:] == sorted(keys[nulls:], reverse=True)
    ids = [
        r["Id"] for r in await read_everything(client, "SELECT Id FROM Note ORDER BY Id", "query")
    ]
    page = await read_everything(
        client, "SELECT Id FROM Note ORDER BY Id LIMIT 5 OFFSET 10", "query"
    )
    assert [r["Id"] for r in page] == ids[10:15]
    soql = (
        "SELECT Id, (SELECT Id, StageName FROM OpportunityHistories ORDER BY Id DESC LIMIT 1) "
        "FROM Opportunity"
    )
    deals = await read_everything(client, soql, "query")
    histories = [d["OpportunityHistories"] for d in deals if d["OpportunityHistories"]]
    assert histories and all(h["totalSize"] == 1 for h in histories)


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b'",
        "SELECT Id FROM Account WHERE NOT Name = 'a'",
        "SELECT Id FROM Account WHERE Name LIKE 'A%'",
        "SELECT Id FROM Account WHERE Name NOT IN ('a', 'b')",
        "SELECT Id FROM Account WHERE Name IN ()",
        "SELECT Id FROM Account WHERE (Name = 'a')",
        "SELECT COUNT() FROM Account",
        "SELECT FIELDS(ALL) FROM Account LIMIT 200",
        "SELECT OwnerId, COUNT(Id) FROM Account GROUP BY OwnerId",
        "SELECT Id FROM Account WHERE SystemModstamp > TODAY",
        "SELECT Id FROM Account LIMIT 'x'",
        "SELECT Id FROM Account LIMIT -1",
        "SELECT Id FROM Account OFFSET 1.5",
        "SELECT Id FROM Account FOR VIEW",
        "SELECT Id FROM Account WITH SECURITY_ENFORCED",
        "SELECT Id FROM Account ORDER BY Name NULLS SOMETIMES",
        "SELECT Id, (SELECT Id FROM Contacts FOR VIEW) FROM Account",
    ],
)
async def test_soql_it_does_not_implement_is_refused_not_ignored(org: Any, soql: str) -> None:
    _, _, client = org
    for resource in ("query", "queryAll"):
        answer = await client.get(f"{API}/{resource}", params={"q": soql})
        assert answer.status_code == 400, (soql, answer.text)
        [error] = answer.json()
        assert error["errorCode"] == "MALFORMED_QUERY" and error["message"]


async def test_unknown_fields_and_objects_are_salesforce_errors(org: Any) -> None:
    _, _, client = org
    field = await client.get(f"{API}/queryAll/", params={"q": "SELECT Nope__c FROM Account"})
    assert field.status_code == 400 and field.json()[0]["errorCode"] == "INVALID_FIELD"
    order = await client.get(f"{API}/query/", params={"q": "SELECT Id FROM Account ORDER BY Nope"})
    assert order.status_code == 400 and order.json()[0]["errorCode"] == "INVALID_FIELD"
    kind = await client.get(f"{API}/query/", params={"q": "SELECT Id FROM Nope__c"})
    assert kind.status_code == 400 and kind.json()[0]["errorCode"] == "INVALID_TYPE"
