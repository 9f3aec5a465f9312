"""The emulator kit: each page server walked to the end by its client paginator, a collection
that filters by changed-since and refuses what it does not know, the auth gates and the token
endpoint, error envelopes and rate headers as data, typed ids and `vendor_value`."""

from __future__ import annotations

import base64
from typing import Any, ClassVar

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.auth import TokenExchangeAuth
from adapters.core.canonical import CustomFieldDef, Entity, FieldType
from adapters.core.emulated_auth import Login, any_of, basic_parts, header_key, issued
from adapters.core.emulation import RateHeaders, SourceEmulator, Tables
from adapters.core.fields import SourceField, ValueStyle, canonical_value, vendor_value
from adapters.core.http import ApiClient
from adapters.core.paginators import (
    CursorInBody,
    Keyset,
    LinkHeader,
    NextUrl,
    OffsetPaginator,
    PageNumber,
    Paginator,
)
from adapters.core.serving import (
    Collection,
    CursorPages,
    KeysetPages,
    NumberedPages,
    OffsetPages,
    Pages,
    Served,
    Since,
    next_url,
)
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.ids import IdScheme

ROWS = [{"id": i, "updated_at": f"2026-01-{i % 28 + 1:02d}T08:00:00Z"} for i in range(1, 24)]
COLLECTION = Collection("items", since=Since("since"), filters={"only": "id"})


def envelope(page: Served, request: Request) -> Any:
    return {"items": page.items, "next": next_url(request, page), "cursor": (page.next or {})}


class KitEmulator(SourceEmulator):
    """A vendor made only of the kit's parts."""

    gate = staticmethod(any_of(header_key("x-api-key", "api_key"), issued()))
    credential_names = ("api_key", "api_user_key")
    credential_values: ClassVar[dict[str, str]] = {"username": "admin@{account}.example"}
    error_shape: ClassVar[Any] = {"errors": [{"status": "{status}", "detail": "{message}"}]}
    rate = RateHeaders(reset_epoch=True, retry_after=False)
    default_burst = 50
    styles: ClassVar[dict[str, Pages]] = {
        "offset": OffsetPages(default=5, most=10),
        "numbered": NumberedPages(default=5, most=10),
        "cursor": CursorPages(default=5, most=10),
        "keyset": KeysetPages(default=5, most=10),
    }

    def routes(self) -> list[BaseRoute]:
        login = Login(
            {"api_key": "api_key", "username": "username", "password": "api_user_key"},
            read=basic_parts("api_key", "username", "password"),
            answer=lambda token, request, account: {"user": {"key": token}},
        )
        return [
            Route("/{account_id}/{style}/items", self.items),
            self.login_route("/{account_id}/login", login, ("GET",)),
        ]

    def render(self, company: ReferenceCompany) -> Tables:
        return {"items": [dict(row) for row in ROWS]}

    async def items(self, request: Request) -> Response:
        style = request.path_params["style"]
        return self.serve_list(request, COLLECTION, self.styles[style], envelope, link=True)


CLIENTS: dict[str, Paginator] = {
    "offset": OffsetPaginator(
        start_param="offset", limit=5, more_path=None, next_start_path=None, records_path="items"
    ),
    "numbered": PageNumber(size=5, records_path="items"),
    "cursor": CursorInBody(cursor_path="cursor.cursor", limit=5),
    "keyset": Keyset(records_path="items", size=5),
}


@pytest.fixture
def emulator() -> KitEmulator:
    emulator = KitEmulator()
    credentials = emulator.new_credentials("http://sandbox/acme")
    emulator.provision("acme", credentials, dataset="empty", size=10, limits={})
    return emulator


def client(emulator: KitEmulator, **headers: str) -> httpx.AsyncClient:
    key = emulator.account_of("acme").credentials["api_key"]
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url="http://sandbox/acme",
        headers={"x-api-key": key, **headers},
    )


async def walk(emulator: KitEmulator, style: str, paginator: Paginator) -> list[int]:
    key = emulator.account_of("acme").credentials["api_key"]
    transport = httpx.ASGITransport(app=emulator.app)
    api = ApiClient("http://sandbox/acme", transport=transport, headers={"x-api-key": key})
    seen: list[int] = []

    async def fetch(page: Any) -> httpx.Response:
        if page.url:
            return await api.request("GET", api.on_site(page.url), expect_json=True)
        return await api.request("GET", f"/{style}/items", params=page.params, expect_json=True)

    async for page in paginator.walk(fetch):
        seen += [row["id"] for row in page.body["items"]]
    await api.aclose()
    return seen


@pytest.mark.parametrize("style", sorted(CLIENTS))
async def test_each_page_server_is_walked_to_the_end_by_its_paginator(
    emulator: KitEmulator, style: str
) -> None:
    assert await walk(emulator, style, CLIENTS[style]) == [row["id"] for row in ROWS]


async def test_next_urls_and_link_headers_carry_the_next_page(emulator: KitEmulator) -> None:
    assert await walk(emulator, "offset", NextUrl("next")) == [row["id"] for row in ROWS]
    assert await walk(emulator, "numbered", LinkHeader()) == [row["id"] for row in ROWS]


async def test_a_collection_filters_and_refuses_what_it_does_not_know(
    emulator: KitEmulator,
) -> None:
    async with client(emulator) as http:
        changed = await http.get("/offset/items", params={"since": "2026-01-20T00:00:00Z"})
        assert {row["id"] for row in changed.json()["items"]} == {
            row["id"] for row in ROWS if row["updated_at"] > "2026-01-20"
        }
        only = await http.get("/offset/items", params={"only": "3,4"})
        assert [row["id"] for row in only.json()["items"]] == [3, 4]
        sort = await http.get("/offset/items", params={"sort": "name"})
        assert sort.status_code == 400
        assert sort.json() == {
            "errors": [{"status": 400, "detail": "Unsupported parameter: sort."}]
        }
        assert (await http.get("/offset/items", params={"limit": 11})).status_code == 400
        assert (await http.get("/cursor/items", params={"cursor": "made-up"})).status_code == 400


async def test_a_wrong_key_is_refused_and_the_rate_limit_answers_as_declared(
    emulator: KitEmulator,
) -> None:
    async with client(emulator, **{"x-api-key": "wrong"}) as http:
        refused = await http.get("/offset/items")
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["detail"] == "The credentials are not valid."
    emulator.account_of("acme").burst = 1
    async with client(emulator) as http:
        first = await http.get("/offset/items")
        assert first.headers["x-ratelimit-remaining"] == "0"
        assert int(first.headers["x-ratelimit-reset"]) > 1_000_000_000  # an epoch
        limited = await http.get("/offset/items")
        assert limited.status_code == 429 and "retry-after" not in limited.headers


async def test_a_session_login_issues_a_token_the_gate_then_accepts(
    emulator: KitEmulator,
) -> None:
    credentials = emulator.account_of("acme").credentials
    assert credentials["username"] == "admin@acme.example"
    parts = f"{credentials['api_key']}:{credentials['username']}:{credentials['api_user_key']}"
    login = {"Authorization": "Basic " + base64.b64encode(parts.encode()).decode()}
    auth = TokenExchangeAuth(
        "http://sandbox/acme/login",
        {},
        secret_keys=(),
        method="GET",
        login_headers=login,
        token_field="user.key",
    )
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, auth=auth) as http:
        answer = await http.get("http://sandbox/acme/offset/items")
        assert answer.status_code == 200 and len(answer.json()["items"]) == 5
    bad = "Basic " + base64.b64encode(b"k:u:wrong").decode()
    async with httpx.AsyncClient(transport=transport) as http:
        refused = await http.get("http://sandbox/acme/login", headers={"Authorization": bad})
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_vendor_value_is_the_inverse_of_canonical_value() -> None:
    options = ["Red", "Green", "Blue"]
    ids = {label: f"opt{i}" for i, label in enumerate(options)}
    style = ValueStyle(option=lambda d, label: ids[label], joined=";", numbers_as_text=True)
    cases = {
        FieldType.enum: "Green",
        FieldType.set: ["Red", "Blue"],
        FieldType.double: 12.5,
        FieldType.monetary: {"value": 100.0, "currency": None},
        FieldType.date: "2026-01-15",
        FieldType.varchar: "Zażółć 🚀",
    }
    for kind, value in cases.items():
        definition = CustomFieldDef(
            entity=Entity.persons, key="k", name="K", field_type=kind, options=options
        )
        read = SourceField(definition, {v: k for k, v in ids.items()}, separator=";")
        assert canonical_value(read, vendor_value(definition, value, style)) == value, kind


def test_typed_ids_are_stable_and_differ_between_vendors() -> None:
    one, other = IdScheme("one", {"p": 100_000}), IdScheme("other", {"p": 100_000})
    assert one.integer("p7") == 100_007 and one.integer(None) is None
    assert len(one.hex24("p7") or "") == 24 and one.hex24("p7") != other.hex24("p7")
    assert one.guid("p7") == IdScheme("one", {"p": 100_000}).guid("p7")
    with pytest.raises(ValueError):
        one.integer("person-7")
