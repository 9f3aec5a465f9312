"""Mechanisms an OData vendor and a vendor with a stated setting share (Act!'s first): the OData query an
emulator serves and the pages a source walks, a spec configured by a connection's non-secret
settings, getters for embedded lists and fixed contact columns, a JWT-shaped token, a file's
bytes served by an emulator."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.auth import CredentialField, basic_token_login
from adapters.core.canonical import Activity, ContactPoint, Entity
from adapters.core.declarative import AccountCheck, SourceSpec, Stream
from adapters.core.emulated_auth import jwt_like
from adapters.core.emulation import SourceEmulator, VendorError
from adapters.core.mapping import columns, nth_ref, unless
from adapters.core.odata import odata, odata_pages
from adapters.core.registry import configured_source, settings
from adapters.reference.dataset import generate
from adapters.reference.steps import in_one_currency, percentage_discount, span

ROWS = [
    {"id": "b", "n": 2, "edited": "2026-01-02T00:00:00Z", "owner": {"name": "Ann"}, "_secret": 1},
    {"id": "a", "n": 1, "edited": "2026-01-01T00:00:00Z", "owner": {"name": "Bob"}},
    {"id": "c", "n": 3, "edited": None, "owner": {"name": "O'Neil"}},
]


def test_odata_filters_orders_pages_and_selects_as_asked() -> None:
    assert [r["id"] for r in odata(ROWS, {})] == ["a", "b", "c"]  # by key, emulator keys hidden
    assert all("_secret" not in r for r in odata(ROWS, {}))
    dated = {"$filter": "edited gt 2026-01-01T12:00:00Z"}
    assert [r["id"] for r in odata(ROWS, dated)] == ["b"]  # unquoted datetimes; null not after
    both = {"$filter": "n ge 2 and owner/name eq 'O''Neil'"}
    assert [r["id"] for r in odata(ROWS, both)] == ["c"]
    paged = {"$orderby": "n desc", "$skip": "1", "$top": "1", "$select": "n"}
    assert odata(ROWS, paged) == [{"id": "b", "n": 2}]  # the key is always selected


@pytest.mark.parametrize(
    "params", [{"$count": "true"}, {"$top": "x"}, {"$filter": "n between 1"}, {"$filter": "n eq x"}]
)
def test_what_odata_does_not_take_is_the_vendors_400(params: dict[str, str]) -> None:
    with pytest.raises(VendorError) as refused:
        odata(ROWS, params)
    assert refused.value.status == 400


def test_odata_pages_walk_skip_and_top_until_a_short_page() -> None:
    pages = odata_pages(2)
    assert (pages.start_param, pages.limit_param, pages.limit) == ("$skip", "$top", 2)
    assert pages.records_path is None and pages.more_path is None


def test_getters_for_embedded_lists_fixed_columns_and_conditions() -> None:
    raw = {"contacts": [{"id": 7}, {"id": "x"}], "work": "1", "home": "", "cell": "3", "f": True}
    assert (nth_ref("contacts")(raw), nth_ref("contacts", 1)(raw)) == ("7", "x")
    assert nth_ref("contacts", 2)(raw) is None and nth_ref("companies")(raw) is None
    assert columns(("work", "work"), ("home", "home"), ("cell", "mobile"))(raw) == [
        ContactPoint(value="1", label="work", primary=True),
        ContactPoint(value="3", label="mobile", primary=False),
    ]
    assert unless("f", "work")(raw) is None and unless("home", "work")(raw) == "1"


def test_a_jwt_like_token_has_three_parts_and_its_claims_inside() -> None:
    token = jwt_like({"sub": "chris"})
    header, claims, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert decoded == {"sub": "chris"} and signature and jwt_like({"sub": "chris"}) != token


SPEC = SourceSpec(
    name="Tiny",
    streams=(
        Stream(Entity.users, "/users", {"source_id": "id", "name": "name"}, records=None),
        Stream(Entity.deals, "/deals", {"source_id": "id", "title": "name"}, records=None),
    ),
    check=AccountCheck("/users", {}),
    id="tiny",
    credentials=(CredentialField("key", "Key"), CredentialField("currency", "Currency", False)),
)


def priced(spec: SourceSpec, given: Any) -> tuple[SourceSpec, list[str]]:
    """Deals in the stated currency; without one, no deals, and the session is told."""
    if given.get("currency"):
        return spec.with_fields({Entity.deals: {"currency": lambda raw: given["currency"]}}), []
    return spec.without(Entity.deals), ["deals: all (no currency stated)"]


async def test_a_source_is_configured_by_the_connections_non_secret_settings() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": 1, "name": "Deal"}])

    transport = httpx.MockTransport(answer)
    assert settings(SPEC, {"key": "secret", "currency": "PLN"}) == {"currency": "PLN"}
    build = configured_source(SPEC, priced)
    stated = build({"key": "secret", "currency": "PLN"}, "https://x.test", transport)
    deals = [item.record async for page in stated.extract(Entity.deals) for item in page.items]
    assert [d.currency for d in deals] == ["PLN"] and stated.skipped_fields == []  # type: ignore[attr-defined]
    unstated = build({"key": "secret"}, "https://x.test", transport)
    assert Entity.deals not in unstated.entities
    assert unstated.skipped_fields == ["deals: all (no currency stated)"]  # type: ignore[attr-defined]


class Files(SourceEmulator):
    gate = staticmethod(lambda account, request: True)

    def routes(self) -> list[BaseRoute]:
        return [Route("/{account_id}/file", self.file)]

    async def file(self, request: Request) -> Response:
        self.account(request)
        return self.respond_file(request, b"\x00bytes", "Umowa – 契約.txt", "text/plain")

    def render(self, company: Any) -> dict[str, list[dict[str, Any]]]:
        return {}


async def test_an_emulator_serves_a_files_bytes_named_for_download() -> None:
    emulator = Files()
    emulator.provision("acme", {}, dataset="empty", size=1, limits={})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as client:
        answer = await client.get("http://e.test/acme/file")
    assert answer.content == b"\x00bytes" and answer.headers["content-type"].startswith("text/")
    assert answer.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''Umowa%20%E2%80%93%20%E5%A5%91%E7%B4%84.txt"
    )


async def test_a_basic_token_login_gets_the_bare_token_and_sends_it_as_a_bearer() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/authorize":
            return httpx.Response(200, text="a.jwt.token")
        return httpx.Response(200, json=[])

    auth = basic_token_login("https://x.test/authorize", "chris", "pw", headers={"Db": "ACT"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer), auth=auth) as client:
        await client.get("https://x.test/api/users")
    login, call = seen
    assert login.method == "GET" and login.headers["authorization"] == "Basic Y2hyaXM6cHc="
    assert call.headers["authorization"] == "Bearer a.jwt.token"
    assert login.headers["db"] == call.headers["db"] == "ACT"


def test_held_steps_for_one_currency_percentage_discounts_and_activity_spans() -> None:
    company = generate(size=30, seed=0)
    euros = in_one_currency("EUR")(company)
    assert {d.currency for d in euros.deals} == {"EUR"}
    assert {p.currency for product in euros.products for p in product.prices} == {"EUR"}
    by_amount = next(i for i in company.deal_products if i.discount_type == "amount")
    folded = percentage_discount(by_amount)
    assert (folded.discount, folded.discount_type) == (0.0, "percentage")
    assert folded.sum == pytest.approx(by_amount.sum, abs=0.01 * by_amount.quantity)
    timed = Activity(
        source_id="a1", subject="x", due_date="2026-01-02", due_time="09:30", duration="01:15"
    )
    start, end = span(timed) or (None, None)
    assert (start.isoformat(), end.isoformat()) == (  # type: ignore[union-attr]
        "2026-01-02T09:30:00+00:00",
        "2026-01-02T10:45:00+00:00",
    )
    assert span(Activity(source_id="a2", subject="y")) is None
