"""The shared SData piece: feeds walked from startIndex 1 to `$totalResults` (following `$next`
when given), a page that ends short of the total or a diagnosis instead of a feed an error,
SData's `where=` on the emulator side, and diagnoses as the error text."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from adapters.core.canonical import ContactPoint, DealProduct, Lead, Organization, Person
from adapters.core.declarative import Join
from adapters.core.emulation import VendorError
from adapters.core.errors import UnreadableResponse
from adapters.core.mapping import text, value_at
from adapters.core.paginators import PageRequest
from adapters.core.sdata import (
    FileColumns,
    LeadColumns,
    SDataPages,
    and_where,
    changed_since,
    error_text,
    feed_lookup,
    joined_rows,
    lines,
    most_particular,
    only_labels,
    where_test,
)
from adapters.reference.dataset import generate

ROWS = [{"$key": f"A{i:011d}", "ModifyDate": f"2026-01-{i:02d}T10:00:00Z"} for i in range(1, 8)]


def server(*, total: int = len(ROWS), cut: int | None = None, next_link: bool = False) -> Any:
    """A fake SData provider: pages of ROWS by startIndex/count; `cut` drops a page's last row."""
    asked: list[PageRequest] = []

    async def fetch(request: PageRequest) -> httpx.Response:
        asked.append(request)
        if request.url:
            start, count = (int(x) for x in request.url.rsplit("/", 1)[1].split(","))
        else:
            start, count = request.params["startIndex"], request.params["count"]
        rows = ROWS[start - 1 : start - 1 + count]
        if cut is not None and start == cut:
            rows = rows[:-1]
        body: dict[str, Any] = {
            "$totalResults": total,
            "$startIndex": start,
            "$itemsPerPage": count,
            "$resources": rows,
        }
        if next_link and start + count <= total:
            body["$next"] = f"http://x/next/{start + count},{count}"
        return httpx.Response(200, json=body)

    return fetch, asked


async def walk(paginator: SDataPages, fetch: Any) -> list[str]:
    return [r["$key"] async for page in paginator.walk(fetch) for r in page.body["$resources"]]


async def test_pages_run_from_start_index_1_to_the_total() -> None:
    fetch, asked = server()
    assert await walk(SDataPages(count=3), fetch) == [r["$key"] for r in ROWS]
    assert [r.params["startIndex"] for r in asked] == [1, 4, 7]


async def test_next_links_are_followed_when_given() -> None:
    fetch, asked = server(next_link=True)
    assert await walk(SDataPages(count=3), fetch) == [r["$key"] for r in ROWS]
    assert asked[0].params["startIndex"] == 1
    assert [r.url for r in asked[1:]] == ["http://x/next/4,3", "http://x/next/7,3"]


async def test_a_page_short_of_the_total_is_an_error_not_the_end() -> None:
    fetch, _ = server(cut=4)
    with pytest.raises(UnreadableResponse, match="ended short"):
        await walk(SDataPages(count=3), fetch)
    fetch, _ = server(total=len(ROWS) + 5)  # the total promises more than is served
    with pytest.raises(UnreadableResponse):
        await walk(SDataPages(count=3), fetch)


async def test_a_diagnosis_in_place_of_a_feed_is_an_error() -> None:
    diagnosis = [{"$severity": "Error", "$sdataCode": "ApplicationDiagnosis", "$message": "boom"}]

    async def fetch(request: PageRequest) -> httpx.Response:
        return httpx.Response(200, json=diagnosis)

    with pytest.raises(UnreadableResponse, match="boom"):
        await walk(SDataPages(), fetch)
    refused = httpx.Response(400, json=diagnosis)
    assert error_text(refused) == "boom (ApplicationDiagnosis)"
    assert error_text(httpx.Response(502, text="<html>")) == "Bad Gateway"


def test_changed_since_is_a_where_on_the_modify_date_joined_with_a_streams_own() -> None:
    from datetime import UTC, datetime

    from adapters.core.declarative import Run

    since = datetime(2014, 3, 14, tzinfo=UTC)
    params = changed_since("ModifyDate").params(since)
    assert params == {"where": "ModifyDate gt @2014-03-14T00:00:00Z@"}
    joined = and_where("Type eq 'atNote'")(params, Run({}, {}, since))
    assert joined["where"] == "(Type eq 'atNote') and (ModifyDate gt @2014-03-14T00:00:00Z@)"
    assert and_where("Type eq 'atNote'")({}, Run({}, {}))["where"] == "Type eq 'atNote'"


def test_the_emulators_where_filters_as_sdata_says() -> None:
    rows = [{**r, "Type": "atNote" if i % 2 else "atToDo"} for i, r in enumerate(ROWS)]
    since = where_test("(Type eq 'atNote') and (ModifyDate gt @2026-01-03T00:00:00@)")
    assert [r["$key"] for r in rows if since(r)] == [ROWS[3]["$key"], ROWS[5]["$key"]]
    assert [r for r in rows if where_test('Type ne "atNote"')(r)] == rows[::2]
    for bad in ("ModifyDate after 2026", "Type eq atNote", "ModifyDate gt @yesterday@"):
        with pytest.raises(VendorError) as refused:
            where_test(bad)
        assert refused.value.code == "BadWhereSyntax"


def test_joined_rows_put_each_rows_match_in_it_and_none_where_there_is_none() -> None:
    table = joined_rows("defs", "props", Join("lists", text("list"), "_list"))
    assert table.needs == ("props", "lists")
    state = {
        "props": {"A": {"name": "A", "list": "Colours"}, "B": {"name": "B", "list": None}},
        "lists": {"Colours": {"items": ["red"]}},
    }
    built = table.build(state)
    assert built["A"]["_list"] == {"items": ["red"]} and built["B"]["_list"] is None


def test_a_feed_lookup_reads_the_whole_feed_by_start_index() -> None:
    lookup = feed_lookup("users", "/users", text("$key"), {"format": "json"}, many=True)
    assert lookup.records == "$resources" and isinstance(lookup.paginator, SDataPages)
    assert lookup.params == {"format": "json"} and lookup.many


# --- leads, files and line items as SData vendors keep them ------------------------------------

LEADS = LeadColumns(
    first="First",
    last="Last",
    company="Firm",
    email="Mail",
    phones=(("Work", "work"), ("Cell", "mobile")),
    owner="Owner.$key",
    created="Created",
)


def test_a_lead_with_its_own_person_and_company_is_read_as_the_three() -> None:
    lead_stream, person_stream, org_stream = LEADS.streams("/leads", None)
    row = {"$key": "L1", "First": "Anna", "Last": "Nowak", "Firm": "Acme", "Mail": "a@x.pl"}
    row |= {"Cell": "+48 600", "Owner": {"$key": "U1"}, "Created": "2026-01-02T10:00:00Z"}
    lead = {k: value_at(row, g) for k, g in lead_stream.fields.items()}
    person = {k: value_at(row, g) for k, g in person_stream.fields.items()}
    assert lead["title"] == "Anna Nowak (Acme)" and lead["person_source_id"] == "L1"
    assert lead["org_source_id"] == "L1" and lead["owner_source_id"] == "U1"
    assert [(p.label, p.primary) for p in person["phones"]] == [("mobile", True)]
    assert org_stream.keep is not None and not org_stream.keep({"$key": "L2", "Firm": ""})
    with_title = dataclasses.replace(LEADS, title="Topic")
    assert value_at({"Topic": "Demo"}, with_title.streams("/l", None)[0].fields["title"]) == "Demo"


def test_a_leads_row_is_its_person_and_company_in_its_columns() -> None:
    person = Person(source_id="l1", name="Acme", last_name="Acme")  # no person: the firm's name
    person.phones = [ContactPoint(value="+48 1", label="work", primary=True)]
    row = LEADS.row(
        Lead(source_id="l1", title="Acme"), person, Organization(source_id="l1", name="Acme")
    )
    assert row == {
        "First": None,
        "Last": "Acme",
        "Mail": None,
        "Work": "+48 1",
        "Cell": None,
        "Firm": "Acme",
    }


def test_a_file_names_only_its_most_particular_record() -> None:
    links = most_particular({"contactId": "person_source_id", "accountId": "org_source_id"})
    on_contact = {"contactId": "C1", "accountId": "A1"}
    assert {k: value_at(on_contact, g) for k, g in links.items()} == {
        "person_source_id": "C1",
        "org_source_id": None,
    }
    files = FileColumns("name", "size", "at", {"accountId": "org_source_id"})
    stream = files.stream("/files", None)
    raw = {"$key": "F1", "name": "a.pdf", "size": "12", "accountId": "A1"}
    read = {k: value_at(raw, g) for k, g in stream.fields.items()}
    assert (read["mime_type"], read["size"], read["content_ref"]) == ("application/pdf", 12, "F1")


def test_line_items_and_points_as_a_vendor_keeps_them() -> None:
    item = DealProduct(
        source_id="dp1",
        deal_source_id="d1",
        product_source_id="p1",
        item_price=10.0,
        discount=5.0,
        tax=8.0,
        comments="x",
    )
    step = lines(lambda i: 9.5, lambda i: 0.0)
    company = step(dataclasses.replace(generate(size=5, seed=0), deal_products=[item]))
    kept = company.deal_products[0]
    assert (kept.item_price, kept.discount, kept.tax, kept.comments) == (9.5, 0.0, 0.0, None)
    phones = [
        ContactPoint(value="1", label="home", primary=True),
        ContactPoint(value="2", label="mobile"),
    ]
    assert [(p.value, p.primary) for p in only_labels("work", "mobile")(phones)] == [("2", True)]
