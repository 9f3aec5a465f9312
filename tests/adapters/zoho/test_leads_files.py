"""Zoho's leads, tags and attachments through the source, in-process: a lead comes with a person
(and a company) of its own, tags are labels, every attached file (on activities too) arrives
byte for byte at one request per record, and a download cut short is an error, not a shorter
file."""

from __future__ import annotations

import urllib.parse

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity, File
from adapters.core.errors import UnreadableResponse
from adapters.zoho.settings import zoho_id
from tests.adapters.sources import extract_records
from tests.adapters.zoho.support import ReferenceIds, held_company, new_account, new_source


async def test_leads_arrive_with_a_person_and_a_company_of_their_own() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    ids = ReferenceIds(held_company())
    read = {
        entity: {r["source_id"]: r for r in map(ids.record, await extract_records(source, entity))}
        for entity in (Entity.leads, Entity.persons, Entity.organizations, Entity.notes)
    }
    leads, persons, orgs = read[Entity.leads], read[Entity.persons], read[Entity.organizations]
    # l1: p1's lead, no company; the lead holds p1's name, two e-mails and both phone slots.
    assert leads["l1"]["title"] == "Zażółć Gęślą-Jaźń 🚀" and leads["l1"]["labels"] == [
        "Hot",
        "Webinar",
    ]
    assert leads["l1"]["person_source_id"] == "l1" and leads["l1"]["org_source_id"] is None
    assert [e["value"] for e in persons["l1"]["emails"]] == [
        "zazolc.gesla-jazn@example.pl",
        "zazolc@example.com",
    ]
    assert [(p["label"], p["primary"]) for p in persons["l1"]["phones"]] == [
        ("work", True),
        ("mobile", False),
    ]
    # l2: an organization's lead: its company is its Last_Name too.
    assert persons["l2"]["name"] == orgs["l2"]["name"] == leads["l2"]["title"] == "株式会社サンプル"
    # l3: 山田 太郎 at o2's name, as an organization of the lead's own (Company is text).
    assert leads["l3"]["title"] == "山田 太郎 (株式会社サンプル)"
    assert persons["l3"]["org_source_id"] == "l3" and leads["l3"]["org_source_id"] == "l3"
    assert leads["l3"]["value"] is None and leads["l3"]["currency"] is None
    # A lead's note hangs on the lead (Parent_Id with $se_module Leads), not on a person.
    assert read[Entity.notes]["n31"]["lead_source_id"] == "l1"
    assert read[Entity.notes]["n31"]["person_source_id"] is None
    # Tags: o1, p1 and d1 carry two each.
    assert orgs["o1"]["labels"] == persons["p1"]["labels"] == ["Customer", "VIP – Ważny"]
    await source.aclose()


async def test_every_file_downloads_byte_for_byte_at_a_request_per_record() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    held = held_company()
    files = await extract_records(source, Entity.files)
    # The four modules' field definitions, an id list of accounts, contacts, deals, leads,
    # tasks, events, calls and products (one page each; a run shares the deals one with the
    # line items), then one Attachments list per such record (the leads' own persons and
    # companies are the leads).
    activities = held.records(Entity.activities)
    parents = len(held.organizations) - 2 + len(held.persons) - 3 + len(held.deals) + 3
    parents += len(activities) + len(held.products)
    assert source.client.stats.requests == 4 + 8 + parents
    ids = ReferenceIds(held)
    assert {ids.ids[f.source_id] for f in files} == set(held.file_bytes)
    for file in files:
        assert isinstance(file, File)
        with Blob(file.name, cap=2 << 20) as blob:
            written = await source.download(file, blob)
            data = b"".join([chunk async for chunk in blob.chunks()])
        want = held.file_bytes[ids.ids[file.source_id]]
        assert written == file.size == len(want) and data == want, file.name
    await source.aclose()


async def test_a_file_on_an_activity_arrives_on_that_activity() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    held = held_company()
    ids = ReferenceIds(held)
    files = {ids.ids[f.source_id]: f for f in await extract_records(source, Entity.files)}
    # fl6 hangs on a1, listed in its module's (Calls, Events or Tasks) Attachments list.
    fl6 = files["fl6"]
    [a1] = [a for a in held.activities if a.source_id == "a1"]
    module = {"call": "Calls", "meeting": "Events"}.get(a1.type, "Tasks")
    assert (fl6.name, fl6.mime_type) == ("call-notes.csv", "text/csv")
    assert ids.ids[fl6.activity_source_id] == "a1"
    assert (fl6.deal_source_id, fl6.person_source_id, fl6.org_source_id) == (None, None, None)
    assert fl6.content_ref.split("/")[0] == module
    with Blob(fl6.name, cap=1 << 20) as blob:
        assert await source.download(fl6, blob) == fl6.size
    await source.aclose()


async def test_a_download_answers_zohos_headers_and_a_non_ascii_name_intact() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    [o1_file] = [f for f in await extract_records(source, Entity.files) if f.org_source_id]
    name = "Umowa – Zażółć gęślą jaźń 契約.txt"
    assert (o1_file.name, o1_file.mime_type) == (name, "text/plain")
    response = await source.client.request("GET", f"/{o1_file.content_ref}")
    assert response.headers["content-type"] == "text/plain"
    assert int(response.headers["content-length"]) == len(response.content) == o1_file.size
    # RFC 6266: an ASCII stand-in, and the name itself as UTF-8 in filename*.
    given = response.headers["content-disposition"].split("filename*=UTF-8''")[1]
    assert urllib.parse.unquote(given) == name
    wrong = await source.client.request("GET", o1_file.content_ref.rsplit("/", 1)[0] + "/1")
    assert wrong.status_code == 400 and wrong.json()["code"] == "INVALID_DATA"
    await source.aclose()


class CutShort:
    """The emulator behind a connection that drops an attachment's body halfway: the headers
    (Content-Length included) as sent, half the bytes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "/Attachments/" not in scope.get("path", ""):
            return await self.app(scope, receive, send)

        async def cut(message: Message) -> None:
            if message["type"] == "http.response.body":
                body = message.get("body", b"")
                message = {**message, "body": body[: len(body) // 2], "more_body": False}
            await send(message)

        await self.app(scope, receive, cut)


async def test_a_download_cut_short_is_an_error_not_a_shorter_file() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials, app=CutShort(emulator.app))
    [d1_pdf] = [f for f in await extract_records(source, Entity.files) if f.name.endswith("1.pdf")]
    with Blob(d1_pdf.name, cap=1 << 20) as blob, pytest.raises(UnreadableResponse, match="cut"):
        await source.download(d1_pdf, blob)
    await source.aclose()


def test_a_lead_renders_as_zoho_keeps_it() -> None:
    emulator, _ = new_account()
    leads = emulator.account_of("acme").table("Leads")
    l1 = next(r for r in leads if r["id"] == zoho_id("l1"))
    assert l1["Last_Name"] == "Gęślą-Jaźń 🚀" and l1["Company"] is None
    assert [t["name"] for t in l1["Tag"]] == ["Hot", "Webinar"]
