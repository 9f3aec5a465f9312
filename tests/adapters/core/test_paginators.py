"""Paginators against a fake fetch: the pages they ask for, where they stop, loops they refuse."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from adapters.core.errors import UnreadableResponse
from adapters.core.paginators import (
    CursorInBody,
    FetchedPage,
    Keyset,
    LinkHeader,
    NextUrl,
    OffsetPaginator,
    PageNumber,
    PageRequest,
    Paginator,
    RepeatedPageToken,
)


def reply(body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(body).encode(), headers=headers or {})


class FakeApi:
    """Records each PageRequest and answers with `answer(request)`."""

    def __init__(self, answer: Callable[[PageRequest], httpx.Response]) -> None:
        self.answer = answer
        self.requests: list[PageRequest] = []

    async def __call__(self, request: PageRequest) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


async def collect(
    paginator: Paginator, api: FakeApi, start: str | None = None
) -> list[FetchedPage]:
    return [page async for page in paginator.walk(api, start)]


async def test_cursor_in_body_follows_next_cursor_until_null() -> None:
    cursors = {None: "c1", "c1": "c2", "c2": None}
    api = FakeApi(
        lambda r: reply(
            {
                "data": [r.params.get("cursor")],
                "additional_data": {"next_cursor": cursors[r.params.get("cursor")]},
            }
        )
    )
    pages = await collect(CursorInBody(limit=500), api)
    assert [p.next_token for p in pages] == ["c1", "c2", None]
    assert api.requests[0].params == {"limit": 500}
    assert api.requests[2].params == {"limit": 500, "cursor": "c2"}


async def test_cursor_in_body_resumes_from_a_checkpoint() -> None:
    api = FakeApi(lambda r: reply({"additional_data": {"next_cursor": None}}))
    await collect(CursorInBody(), api, start="c7")
    assert api.requests[0].params["cursor"] == "c7"


async def test_cursor_coming_back_twice_raises() -> None:
    cursors = {None: "a", "a": "b", "b": "a"}
    api = FakeApi(
        lambda r: reply({"additional_data": {"next_cursor": cursors[r.params.get("cursor")]}})
    )
    with pytest.raises(RepeatedPageToken, match="'a'"):
        await collect(CursorInBody(), api)
    assert len(api.requests) == 3


def pipedrive_v1_page(start: int, limit: int, total: int) -> httpx.Response:
    more = start + limit < total
    pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    data = list(range(start, min(start + limit, total)))
    return reply({"data": data, "additional_data": {"pagination": pagination}})


async def test_offset_uses_next_start_and_more_items_flag() -> None:
    api = FakeApi(lambda r: pipedrive_v1_page(r.params["start"], r.params["limit"], total=5))
    pages = await collect(OffsetPaginator(limit=2), api)
    assert [r.params["start"] for r in api.requests] == [0, 2, 4]
    assert [p.next_token for p in pages] == [2, 4, None]
    assert sum(len(p.body["data"]) for p in pages) == 5


async def test_offset_resumes_from_a_string_checkpoint() -> None:
    api = FakeApi(lambda r: pipedrive_v1_page(r.params["start"], r.params["limit"], total=5))
    pages = await collect(OffsetPaginator(limit=2), api, start="4")
    assert [r.params["start"] for r in api.requests] == [4] and pages[0].next_token is None


async def test_offset_without_flag_stops_on_a_short_page() -> None:
    api = FakeApi(
        lambda r: reply({"data": list(range(r.params["start"], min(r.params["start"] + 2, 5)))})
    )
    await collect(OffsetPaginator(limit=2, more_path=None, next_start_path=None), api)
    assert [r.params["start"] for r in api.requests] == [0, 2, 4]


async def test_offset_of_a_fixed_page_size_asks_only_for_the_start() -> None:
    # Highrise: `?n=<offset>`, 500 a page, no size parameter.
    api = FakeApi(lambda r: reply({"data": list(range(r.params["n"], min(r.params["n"] + 2, 5)))}))
    paginator = OffsetPaginator(
        start_param="n", limit_param=None, limit=2, more_path=None, next_start_path=None
    )
    await collect(paginator, api)
    assert [r.params for r in api.requests] == [{"n": 0}, {"n": 2}, {"n": 4}]


async def test_offset_with_a_total_walks_to_the_count_whatever_the_records_shape() -> None:
    def answer(r: PageRequest) -> httpx.Response:
        start = r.params["start"]
        rows = {f"id{i}": {"id": i} for i in range(start, min(start + 2, 5))}
        return reply({**rows, "count": "5", "status": "success"})

    api = FakeApi(answer)
    paginator = OffsetPaginator(limit=2, more_path=None, next_start_path=None, total_path="count")
    pages = await collect(paginator, api)
    assert [r.params["start"] for r in api.requests] == [0, 2, 4]
    assert pages[-1].next_token is None
    with pytest.raises(UnreadableResponse):  # no count: not the end of the list
        await collect(paginator, FakeApi(lambda r: reply({"id1": {}, "status": "success"})))


async def test_offset_next_start_going_back_raises() -> None:
    stuck = {"additional_data": {"pagination": {"more_items_in_collection": True, "next_start": 0}}}
    api = FakeApi(lambda r: reply(stuck))
    with pytest.raises(RepeatedPageToken):
        await collect(OffsetPaginator(), api)
    assert len(api.requests) == 1


async def test_page_number_stops_at_total_pages() -> None:
    api = FakeApi(lambda r: reply({"items": [1], "meta": {"pages": 3}}))
    pages = await collect(PageNumber(records_path="items", total_pages_path="meta.pages"), api)
    assert [r.params["page"] for r in api.requests] == [1, 2, 3]
    assert pages[-1].next_token is None


async def test_page_number_stops_on_a_short_page() -> None:
    api = FakeApi(lambda r: reply({"data": [1, 2] if r.params["page"] < 3 else [1]}))
    await collect(PageNumber(size=2), api)
    assert [r.params["page"] for r in api.requests] == [1, 2, 3]


async def test_next_url_follows_urls_and_detects_a_loop() -> None:
    links = {None: "http://x/p2", "http://x/p2": "http://x/p3", "http://x/p3": None}
    api = FakeApi(lambda r: reply({"next": links[r.url]}))
    await collect(NextUrl(), api)
    assert [r.url for r in api.requests] == [None, "http://x/p2", "http://x/p3"]

    looping = FakeApi(lambda r: reply({"next": "http://x/p2"}))
    with pytest.raises(RepeatedPageToken):
        await collect(NextUrl(), looping)


async def test_link_header_follows_rel_next() -> None:
    link = '<http://x/items?page=2>; rel="next", <http://x/items?page=9>; rel="last"'

    def answer(r: PageRequest) -> httpx.Response:
        return reply([], {"link": link}) if r.url is None else reply([])

    api = FakeApi(answer)
    pages = await collect(LinkHeader(), api)
    assert [r.url for r in api.requests] == [None, "http://x/items?page=2"]
    assert pages[-1].next_token is None


async def test_offset_stops_at_the_end_marker_without_an_extra_call() -> None:
    """SugarCRM style: next_offset is -1 after the last page, even when that page is full."""

    def answer(r: PageRequest) -> httpx.Response:
        start = r.params["offset"]
        records = list(range(start, min(start + 2, 4)))
        return reply({"records": records, "next_offset": start + 2 if start + 2 < 4 else -1})

    api = FakeApi(answer)
    paginator = OffsetPaginator(
        start_param="offset",
        limit_param="max_num",
        limit=2,
        more_path=None,
        next_start_path="next_offset",
        end_marker=-1,
        records_path="records",
    )
    pages = await collect(paginator, api)
    assert [r.params["offset"] for r in api.requests] == [0, 2]
    assert [p.next_token for p in pages] == [2, None]


async def test_keyset_asks_after_the_last_key_until_a_short_page() -> None:
    ids = list(range(1, 6))

    def answer(r: PageRequest) -> httpx.Response:
        after = int(r.params.get("after", 0))
        return reply([{"id": i} for i in ids if i > after][: r.params["limit"]])

    api = FakeApi(answer)
    pages = await collect(Keyset(size=2, records_path=None), api)
    assert [r.params.get("after") for r in api.requests] == [None, "2", "4"]
    assert [len(p.body) for p in pages] == [2, 2, 1]


async def test_next_url_reads_a_key_that_holds_dots() -> None:
    links = {None: "https://x/next?$skiptoken=1", "https://x/next?$skiptoken=1": None}
    api = FakeApi(lambda r: reply({"value": [], "@odata.nextLink": links[r.url]}))
    pages = await collect(NextUrl(next_url_path="@odata.nextLink"), api)
    assert [p.next_token for p in pages] == ["https://x/next?$skiptoken=1", None]
