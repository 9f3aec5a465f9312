"""A vendor answering in XML, read by the declarative engine through the spec's decoder: every
record of every page once, a page of one record still a list, and a cut-short page an error
(never the end of the list)."""

from __future__ import annotations

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.auth import HeaderAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import AccountCheck, DeclarativeSource, SourceSpec, Stream
from adapters.core.decoders import xml
from adapters.core.emulated_auth import header_key
from adapters.core.emulation import SourceEmulator, Tables
from adapters.core.errors import UnreadableResponse
from adapters.core.http import RetryPolicy
from adapters.core.mapping import ref
from adapters.core.paginators import PageNumber
from adapters.core.serving import Collection, NumberedPages, Served
from adapters.reference.dataset import ReferenceCompany
from tests.adapters.sources import BASE, FakeClock, extract_records, provision

PAGES = NumberedPages(page_param="page", size_param="per_page", default=4, most=4)


def as_xml(page: Served) -> str:
    people = "".join(
        f'<person id="{row["id"]}"><name>{row["name"]}</name></person>' for row in page.items
    )
    return (
        f'<?xml version="1.0"?><people total="{page.total}" pages="{page.pages}">{people}</people>'
    )


class XmlEmulator(SourceEmulator):
    gate = staticmethod(header_key("X-Token", "token"))
    credential_names = ("token",)
    cut_short = False  # answer the second page cut in the middle, as a dropped body arrives

    def routes(self) -> list[BaseRoute]:
        return [Route("/{account_id}/people.xml", self.people), Route("/{account_id}/me", self.me)]

    def render(self, company: ReferenceCompany) -> Tables:
        return {"people": [{"id": n, "name": f"Person {n}"} for n in range(1, 10)]}

    async def me(self, request: Request) -> Response:
        self.account(request)
        return Response('<user id="u1"><name>Anna</name></user>', media_type="application/xml")

    async def people(self, request: Request) -> Response:
        account = self.account(request)
        page = PAGES.serve(
            Collection("people").rows(account.table("people"), {}), request.query_params
        )
        body = as_xml(page)
        if self.cut_short and page.page == 2:
            body = body[: len(body) // 2]
        return Response(body, media_type="application/xml")


SPEC = SourceSpec(
    name="XML CRM",
    streams=(
        Stream(
            Entity.persons,
            "/people.xml",
            {"source_id": ref("@id"), "name": "name"},
            paginator=PageNumber(
                size=4, records_path="people.person", total_pages_path="people.@pages"
            ),
            records="people.person",
        ),
    ),
    check=AccountCheck("/me", {"user_id": "user.@id", "user_name": "user.name"}),
    headers={"accept": "application/xml"},
    decode=xml(lists=("person",)),
)


def source(emulator: XmlEmulator, token: str) -> DeclarativeSource:
    clock = FakeClock()
    client = SPEC.client(
        BASE,
        HeaderAuth("X-Token", token),
        httpx.ASGITransport(app=emulator.app),
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=2, wait_initial=0.01),
    )
    return DeclarativeSource(SPEC, client)


async def test_an_xml_vendor_is_read_to_the_end_through_the_decoder() -> None:
    emulator = XmlEmulator(clock=FakeClock())
    token = provision(emulator, size=10)["token"]
    src = source(emulator, token)
    info = await src.check()
    assert info.account == {"user_id": "u1", "user_name": "Anna"}
    records = await extract_records(src, Entity.persons)
    # Nine people on pages of four: the last page holds one, still read as a list.
    assert [r.source_id for r in records] == [str(n) for n in range(1, 10)]
    assert records[-1].name == "Person 9"


async def test_a_cut_short_xml_page_is_an_error_not_the_end() -> None:
    emulator = XmlEmulator(clock=FakeClock())
    emulator.cut_short = True
    token = provision(emulator, size=10)["token"]
    with pytest.raises(UnreadableResponse):
        await extract_records(source(emulator, token), Entity.persons)


def test_the_decoder_refuses_what_is_not_xml() -> None:
    decode = xml()
    with pytest.raises(ValueError):
        decode(httpx.Response(200, content=b"<people><person>"))
    assert decode(httpx.Response(200, content=b"<a><b>1</b></a>")) == {"a": {"b": "1"}}
