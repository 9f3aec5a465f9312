"""Salesforce emulator with enhanced notes: ContentNote and ContentDocumentLink through SOQL with
Salesforce's id-filter restriction, ContentNote's Content as a blob, and what the org holds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.reference.dataset import generate
from adapters.salesforce.emulator import SalesforceEmulator
from adapters.salesforce.records import NOTE_BODY_LIMIT, ref_id
from adapters.salesforce.render import is_content_note
from tests.adapters.salesforce.test_salesforce import BASE

API = "/services/data/v64.0"
SIZE = 30


async def _client(emulator: SalesforceEmulator) -> httpx.AsyncClient:
    credentials = emulator.new_credentials(BASE)
    emulator.provision("org1", credentials, dataset="reference", size=SIZE, limits={})
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url=BASE)
    answer = await client.post(
        "/services/oauth2/token", data={"grant_type": "refresh_token", **credentials}
    )
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


@pytest.fixture
async def org() -> Any:
    emulator = SalesforceEmulator(enhanced_notes=True)
    client = await _client(emulator)
    yield emulator, client
    await client.aclose()


async def soql(client: httpx.AsyncClient, text: str) -> httpx.Response:
    return await client.get(f"{API}/query", params={"q": text})


async def records(client: httpx.AsyncClient, text: str) -> list[Any]:
    answer = await soql(client, text)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["done"]
    return list(body["records"])


def long_note() -> Any:
    company = generate(size=SIZE, seed=0)
    return next(n for n in company.notes if len(n.content) > NOTE_BODY_LIMIT)


async def test_both_kinds_of_note_are_held(org: Any) -> None:
    _, client = org
    company = generate(size=SIZE, seed=0)
    classic = await records(client, "SELECT Id FROM Note")
    enhanced = await records(client, "SELECT Id, Title, TextPreview FROM ContentNote")
    assert classic and enhanced
    every = [*company.notes, *company.lead_notes]
    assert len(classic) + len(enhanced) == len(every)
    assert {r["Id"] for r in enhanced} == {
        ref_id("ContentNote", n.source_id) for n in every if is_content_note(n)
    }
    assert all(r["Id"].startswith("069") and len(r["TextPreview"]) <= 255 for r in enhanced)


async def test_content_document_link_needs_an_id_filter(org: Any) -> None:
    _, client = org
    for text in (
        "SELECT Id, LinkedEntityId FROM ContentDocumentLink",
        "SELECT Id FROM ContentDocumentLink WHERE ShareType = 'V'",
        "SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId != null",
    ):
        answer = await soql(client, text)
        assert answer.status_code == 400
        error = answer.json()[0]
        assert error["errorCode"] == "MALFORMED_QUERY"
        assert error["message"].startswith("Implementation restriction: ContentDocumentLink")
    # NOT IN is not a filter Salesforce takes here either (nor one this SOQL serves).
    answer = await soql(
        client, "SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId NOT IN ('x')"
    )
    assert answer.status_code == 400


async def test_links_by_linked_entity_in_a_semi_join_or_a_list(org: Any) -> None:
    _, client = org
    note = long_note()
    deal_id = ref_id("Opportunity", note.deal_source_id)
    by_semi_join = await records(
        client,
        "SELECT ContentDocumentId, LinkedEntityId, ShareType, Visibility FROM ContentDocumentLink "
        "WHERE LinkedEntityId IN (SELECT Id FROM Opportunity) ORDER BY Id",
    )
    assert by_semi_join and all(r["LinkedEntityId"].startswith("006") for r in by_semi_join)
    note_id = ref_id("ContentNote", note.source_id)
    assert {"ContentDocumentId": note_id, "LinkedEntityId": deal_id, "ShareType": "V",
            "Visibility": "AllUsers"}.items() <= next(
        r for r in by_semi_join if r["ContentDocumentId"] == note_id
    ).items()  # fmt: skip
    by_list = await records(
        client,
        f"SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId IN "
        f"('{deal_id}', '001000000000000')",
    )
    assert note_id in {r["ContentDocumentId"] for r in by_list}
    by_document = await records(
        client,
        f"SELECT LinkedEntityId, ShareType FROM ContentDocumentLink "
        f"WHERE ContentDocumentId = '{note_id}'",
    )
    linked = {r["LinkedEntityId"]: r["ShareType"] for r in by_document}
    assert linked[deal_id] == "V"
    assert linked[ref_id("User", note.owner_source_id)] == "I"  # the owner's link


async def test_content_is_a_blob_read_whole(org: Any) -> None:
    emulator, client = org
    note = long_note()
    note_id = ref_id("ContentNote", note.source_id)
    assert note_id is not None
    [row] = await records(client, f"SELECT Id, Content FROM ContentNote WHERE Id = '{note_id}'")
    assert row["Content"] == f"{API}/sobjects/ContentNote/{note_id}/Content"
    answer = await client.get(row["Content"])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    assert "Sforce-Limit-Info" in answer.headers
    assert len(answer.text) > NOTE_BODY_LIMIT and answer.text == note.content
    # The 15-character id names the same record.
    assert (await client.get(f"{API}/sobjects/ContentNote/{note_id[:15]}/Content")).text == (
        note.content
    )
    # What the org holds keeps the long note whole, on every record it is linked to.
    held = {n.source_id: n for n in emulator.held(generate(size=SIZE, seed=0)).notes}
    assert held[note.source_id] == note


async def test_blob_of_what_does_not_exist_is_not_found(org: Any) -> None:
    _, client = org
    for path in (
        f"{API}/sobjects/ContentNote/069000000000000/Content",
        f"{API}/sobjects/ContentNote/{ref_id('ContentNote', long_note().source_id)}/Title",
        f"{API}/sobjects/Nothing__c/069000000000000/Content",
    ):
        answer = await client.get(path)
        assert answer.status_code == 404
        assert answer.json()[0]["errorCode"] == "NOT_FOUND"


async def test_in_lists_on_any_object(org: Any) -> None:
    _, client = org
    accounts = await records(client, "SELECT Id FROM Account ORDER BY Id LIMIT 3")
    ids = ", ".join(f"'{r['Id']}'" for r in accounts[:2])
    picked = await records(client, f"SELECT Id FROM Account WHERE Id IN ({ids}) ORDER BY Id")
    assert [r["Id"] for r in picked] == [r["Id"] for r in accounts[:2]]
    answer = await soql(client, "SELECT Id FROM Account WHERE Id IN (SELECT Id, Name FROM User)")
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "MALFORMED_QUERY"


async def test_an_org_without_enhanced_notes_holds_classic_notes_truncated() -> None:
    emulator = SalesforceEmulator()
    client = await _client(emulator)
    try:
        assert await records(client, "SELECT Id FROM ContentNote") == []
        note = long_note()
        held = {n.source_id: n for n in emulator.held(generate(size=SIZE, seed=0)).notes}
        assert held[note.source_id].content == note.content[:NOTE_BODY_LIMIT]
    finally:
        await client.aclose()
