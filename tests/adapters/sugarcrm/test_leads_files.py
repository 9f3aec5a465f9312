"""SugarCRM's leads, tags and attachments through the source, in-process: an unconverted lead
comes with a person (and a company) of its own, a converted one stays behind, tags are labels,
and every attachment (a Note with a file) is listed in one Notes list and arrives byte for byte;
a download cut short is an error, not a shorter file."""

from __future__ import annotations

import urllib.parse

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.core.blobs import Blob
from adapters.core.canonical import Entity, File
from adapters.core.errors import UnreadableResponse
from adapters.sugarcrm.naming import sugar_id
from tests.adapters.sources import extract_records
from tests.adapters.sugarcrm.support import (
    API,
    ReferenceIds,
    held_company,
    logged_in,
    new_account,
    new_source,
)


async def test_leads_arrive_with_a_person_and_a_company_of_their_own() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    ids = ReferenceIds(held_company())
    read = {
        entity: {r["source_id"]: r for r in map(ids.record, await extract_records(source, entity))}
        for entity in (Entity.leads, Entity.persons, Entity.organizations, Entity.notes)
    }
    leads, persons, orgs = read[Entity.leads], read[Entity.persons], read[Entity.organizations]
    # Only the three unconverted leads: the converted one is a contact already.
    assert sorted(leads) == ["l1", "l2", "l3"]
    assert sugar_id("converted-lead") not in persons
    # l1: p1's lead; its opportunity_name is its title, its tags its labels; no value.
    l1 = leads["l1"]
    assert l1["title"] == "Zapytanie ofertowe – Zażółć Gęślą-Jaźń 🚀"
    assert l1["labels"] == ["Hot", "Webinar"] and l1["value"] is None
    assert (l1["person_source_id"], l1["org_source_id"]) == ("l1", None)
    assert persons["l1"]["name"] == "Zażółć Gęślą-Jaźń 🚀" and len(persons["l1"]["emails"]) == 3
    # l2: an organization's lead: the company's name is its last_name too.
    assert persons["l2"]["name"] == orgs["l2"]["name"] == "株式会社サンプル"
    assert persons["l2"]["org_source_id"] == leads["l2"]["org_source_id"] == "l2"
    # l3: 山田 太郎 at o2's name, as an organization of the lead's own (account_name is text).
    assert persons["l3"]["org_source_id"] == "l3" and orgs["l3"]["name"] == orgs["o2"]["name"]
    # A lead's note hangs on the lead (parent_type Leads), not on a person.
    assert read[Entity.notes]["n31"]["lead_source_id"] == "l1"
    assert read[Entity.notes]["n31"]["person_source_id"] is None
    # Tags: o1, p1 and d1 carry two each.
    assert orgs["o1"]["labels"] == persons["p1"]["labels"] == ["Customer", "VIP – Ważny"]
    await source.aclose()


async def test_every_file_downloads_byte_for_byte_from_one_notes_list() -> None:
    emulator, credentials = new_account()
    source = new_source(emulator, credentials)
    held = held_company()
    files = await extract_records(source, Entity.files)
    before = source.client.stats.requests  # the login, then the list
    assert len(await extract_records(source, Entity.files)) == len(files)
    assert source.client.stats.requests - before == 1  # one Notes page holds every attachment
    ids = ReferenceIds(held)
    assert {ids.ids[f.source_id] for f in files} == set(held.file_bytes)
    # Not one of them is read as a note as well (they carry no text).
    notes = {n.source_id for n in await extract_records(source, Entity.notes)}
    assert not notes & {f.source_id for f in files}
    for file in files:
        assert isinstance(file, File)
        with Blob(file.name, cap=2 << 20) as blob:
            written = await source.download(file, blob)
            data = b"".join([chunk async for chunk in blob.chunks()])
        want = held.file_bytes[ids.ids[file.source_id]]
        assert written == file.size == len(want) and data == want, file.name
    # The call's CSV hangs on the call, the lead's PDF on the lead.
    by_id = {ids.ids[f.source_id]: f for f in files}
    assert ids.ids[by_id["fl6"].activity_source_id or ""] == "a1"
    assert ids.ids[by_id["fl5"].lead_source_id or ""] == "l1"
    await source.aclose()


async def test_a_download_answers_sugars_headers_and_a_note_without_a_file_is_not_found() -> None:
    emulator, credentials = new_account()
    client = await logged_in(emulator, credentials)
    o1_file = sugar_id("fl3")
    response = await client.get(f"{API}/Notes/{o1_file}/file/filename")
    name = "Umowa – Zażółć gęślą jaźń 契約.txt"
    assert response.headers["content-type"].startswith("text/plain")
    assert int(response.headers["content-length"]) == len(response.content) == 55
    given = response.headers["content-disposition"].split('filename="')[1].rstrip('"')
    assert urllib.parse.unquote(given) == name
    plain = await client.get(f"{API}/Notes/{sugar_id('n1')}/file/filename")
    assert plain.status_code == 404 and plain.json()["error"] == "not_found"
    nowhere = await client.get(f"{API}/Notes/{sugar_id('nobody')}/file/filename")
    assert nowhere.status_code == 404 and "Could not find record" in nowhere.json()["error_message"]
    # The documented filter operators: converted leads apart, notes with a file.
    converted = await client.get(f"{API}/Leads", params={"filter[0][converted]": "1"})
    assert [r["status"] for r in converted.json()["records"]] == ["Converted"]
    with_file = await client.get(
        f"{API}/Notes", params={"filter[0][filename][$not_empty]": "", "max_num": 100}
    )
    assert len(with_file.json()["records"]) == len(held_company().files)
    await client.aclose()


class CutShort:
    """The emulator behind a connection that drops a file's body halfway: the headers
    (Content-Length included) as sent, half the bytes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "/file/" not in scope.get("path", ""):
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
    [pdf] = [f for f in await extract_records(source, Entity.files) if f.name.endswith("1.pdf")]
    with Blob(pdf.name, cap=1 << 20) as blob, pytest.raises(UnreadableResponse, match="cut"):
        await source.download(pdf, blob)
    await source.aclose()
