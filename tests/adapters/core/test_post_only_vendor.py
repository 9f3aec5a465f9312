"""A vendor of POSTs only (Maximizer's Octopus API is one): the account check is a POST with its
body, and a page's token and size go into an object nested in the read's body (a dotted
`PostRead.page_into`), the rest of the body kept as the stream built it."""

from __future__ import annotations

import json
from typing import Any

import httpx

from adapters.core.canonical import Entity
from adapters.core.declarative import AccountCheck, DeclarativeSource, PostRead, SourceSpec, Stream
from adapters.core.mapping import ref, text
from adapters.core.paginators import CursorInBody

ROWS = [{"Key": f"k{i}", "Name": f"User {i}"} for i in range(5)]


def vendor(sent: list[dict[str, Any]]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        body = json.loads(request.content)
        sent.append(body)
        if request.url.path.endswith("/Session"):
            return httpx.Response(200, json={"User": {"Uid": "MASTER"}})
        order = body["User"]["OrderBy"]
        start = int(order.get("PageKey") or 0)
        end = start + order["PageSize"]
        following = str(end) if end < len(ROWS) else None
        return httpx.Response(200, json={"User": {"Data": ROWS[start:end], "PageKey": following}})

    return httpx.MockTransport(answer)


def build(params: Any, state: Any) -> dict[str, Any]:
    return {"User": {"Scope": {"Fields": {"Key": 1}}, "OrderBy": {"Fields": [{"Key": "ASC"}]}}}


STREAM = Stream(
    Entity.users,
    "/Read",
    {"source_id": ref("Key"), "name": text("Name")},
    paginator=CursorInBody(
        cursor_path="User.PageKey", cursor_param="PageKey", limit_param="PageSize", limit=2
    ),  # fmt: skip
    records="User.Data",
    post=PostRead(build, page_into="User.OrderBy"),
)
SPEC = SourceSpec(
    "Vendor", (STREAM,), AccountCheck("/Session", {"uid": "User.Uid"}, body={"User": {"Uid": 1}})
)


async def test_the_check_is_a_post_with_its_body() -> None:
    sent: list[dict[str, Any]] = []
    source = DeclarativeSource(SPEC, SPEC.client("https://crm.example", None, vendor(sent)))
    assert (await source.check()).account == {"uid": "MASTER"}
    assert sent == [{"User": {"Uid": 1}}]


async def test_pages_go_into_the_nested_object_of_the_body() -> None:
    sent: list[dict[str, Any]] = []
    source = DeclarativeSource(SPEC, SPEC.client("https://crm.example", None, vendor(sent)))
    users = [item.record async for page in source.extract(Entity.users) for item in page.items]
    assert [u.source_id for u in users] == [row["Key"] for row in ROWS]
    assert [body["User"]["OrderBy"] for body in sent] == [
        {"Fields": [{"Key": "ASC"}], "PageSize": 2},
        {"Fields": [{"Key": "ASC"}], "PageSize": 2, "PageKey": "2"},
        {"Fields": [{"Key": "ASC"}], "PageSize": 2, "PageKey": "4"},
    ]
    assert all(body["User"]["Scope"] == {"Fields": {"Key": 1}} for body in sent)
