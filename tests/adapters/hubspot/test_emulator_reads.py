"""HubSpot emulator: what outside clients (hubspot-api-python's get_all, Airbyte's source-hubspot)
call, over HTTP in process: each object's property catalogue, defaults and custom, every object
list (tickets and line items too) paged to the end with the counts Ferry reads, and query
parameters the emulator does not serve refused as a VALIDATION_ERROR rather than ignored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.canonical import Entity
from adapters.reference.dataset import generate
from tests.adapters.hubspot.support import SIZE, new_emulator, new_source, raw_client
from tests.adapters.sources import extract_records

KNOWN_DEFAULTS = {
    "contacts": {"firstname", "lastname", "email", "phone", "lifecyclestage", "hubspot_owner_id"},
    "companies": {"name", "domain", "industry", "numberofemployees", "annualrevenue", "city"},
    "deals": {"dealname", "amount", "dealstage", "pipeline", "closedate", "deal_currency_code"},
    "products": {"name", "price", "hs_sku", "description", "hs_price_eur"},
    "line_items": {"name", "quantity", "price", "amount", "hs_product_id"},
    "tickets": {"subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority"},
}
TYPE_PAIRS = {
    ("string", "text"),
    ("string", "textarea"),
    ("string", "phonenumber"),
    ("number", "number"),
    ("datetime", "date"),
    ("date", "date"),
    ("enumeration", "select"),
    ("enumeration", "radio"),
    ("enumeration", "checkbox"),
    ("enumeration", "booleancheckbox"),
}
CUSTOM_OF = {"contacts": Entity.persons, "companies": Entity.organizations, "deals": Entity.deals,
             "products": Entity.products}  # fmt: skip
READ_AS = {
    Entity.organizations: ("companies",),
    Entity.persons: ("contacts",),
    Entity.deals: ("deals",),
    Entity.products: ("products",),
    Entity.activities: ("calls", "meetings", "tasks", "emails"),
    Entity.notes: ("notes",),
    Entity.deal_products: ("line_items",),
    Entity.leads: ("leads",),
}


@pytest.fixture(scope="module")
def emulator() -> Any:
    return new_emulator()


async def list_all(client: httpx.AsyncClient, path: str, **params: str) -> list[Any]:
    """hubspot-api-python's get_all: pages of `limit` following paging.next.after to the end."""
    results: list[Any] = []
    after: str | None = None
    while True:
        query = {**params, **({"after": after} if after else {})}
        answer = await client.get(path, params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        results += body["results"]
        after = (body.get("paging") or {}).get("next", {}).get("after")
        if after is None:
            return results


async def test_each_object_lists_hubspots_default_properties_and_the_custom_ones(
    emulator: Any,
) -> None:
    held = generate(size=SIZE, seed=0)
    async with raw_client(emulator) as client:
        for kind, known in KNOWN_DEFAULTS.items():
            answer = await client.get(f"/crm/v3/properties/{kind}", params={"archived": "false"})
            assert answer.status_code == 200
            results = answer.json()["results"]
            names = [p["name"] for p in results]
            assert len(names) == len(set(names)), kind
            defaults = [p for p in results if p.get("hubspotDefined")]
            assert len(defaults) >= 15 and known <= {p["name"] for p in defaults}, kind
            assert {"hs_object_id", "hs_lastmodifieddate", "hubspot_owner_id"} <= set(names)
            for prop in results:
                assert (prop["type"], prop["fieldType"]) in TYPE_PAIRS, prop
                assert {"label", "groupName", "options", "archived", "calculated"} <= set(prop)
            custom = [p for p in results if not p.get("hubspotDefined")]
            entity = CUSTOM_OF.get(kind)
            expected = [f for f in held.custom_fields if f.entity is entity] if entity else []
            assert len(custom) == len(expected), kind
        source = new_source(emulator)
        seen = await source.custom_fields()
        assert len(seen) == len(held.custom_fields)  # Ferry still tells its own from HubSpot's
        for kind in ("calls", "meetings", "tasks", "emails", "notes"):
            names = {p["name"] for p in (await client.get(f"/crm/v3/properties/{kind}")).json()[
                "results"]}  # fmt: skip
            assert "hs_timestamp" in names and "hubspot_owner_id" in names, kind


async def test_tickets_and_line_items_are_served_like_the_other_objects(emulator: Any) -> None:
    async with raw_client(emulator) as client:
        answer = await client.get("/crm/v3/objects/tickets", params={"limit": "100"})
        assert answer.status_code == 200 and answer.json() == {"results": []}
        for kind in ("tickets", "line_items"):
            missing = await client.get(f"/crm/v3/objects/{kind}/1")
            assert missing.status_code == 404
        pipelines = (await client.get("/crm/v3/pipelines/tickets")).json()["results"]
        [support] = pipelines
        assert [s["metadata"]["ticketState"] for s in support["stages"]] == [
            "OPEN",
            "OPEN",
            "OPEN",
            "CLOSED",
        ]


async def test_a_generic_client_lists_every_object_to_the_end_and_counts_as_ferry(
    emulator: Any,
) -> None:
    source = new_source(emulator)
    async with raw_client(emulator) as client:
        for entity, kinds in READ_AS.items():
            listed = 0
            for kind in kinds:
                rows = await list_all(
                    client, f"/crm/v3/objects/{kind}", limit="7", archived="false",
                    properties="hs_note_body,hs_attachment_ids",
                )  # fmt: skip
                assert len({r["id"] for r in rows}) == len(rows)
                # A note with attachments and no body is how a file hangs on a record.
                listed += sum(1 for r in rows if kind != "notes" or not _carries_files(r))
            assert listed == len(await extract_records(source, entity)), entity
        owners = await list_all(client, "/crm/v3/owners/", limit="2") + await list_all(
            client, "/crm/v3/owners/", limit="2", archived="true"
        )
        assert len(owners) == len(await extract_records(source, Entity.users))


def _carries_files(row: dict[str, Any]) -> bool:
    props = row["properties"]
    return bool(props.get("hs_attachment_ids")) and not props.get("hs_note_body")


async def test_a_record_is_found_by_a_unique_property(emulator: Any) -> None:
    async with raw_client(emulator) as client:
        [first] = (await client.get("/crm/v3/objects/contacts", params={"limit": "1"})).json()[
            "results"
        ]
        email = first["properties"]["email"]
        answer = await client.get(
            f"/crm/v3/objects/contacts/{email}", params={"idProperty": "email"}
        )
        assert answer.status_code == 200 and answer.json()["id"] == first["id"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/crm/v3/objects/contacts", {"sort": "-createdate"}),
        ("/crm/v3/objects/contacts", {"filter": "email=a@b.c"}),
        ("/crm/v3/objects/companies", {"q": "acme"}),
        ("/crm/v3/objects/deals", {"offset": "10"}),
        ("/crm/v3/objects/tickets", {"sorts": "subject"}),
        ("/crm/v3/objects/line_items", {"dealId": "40000000001"}),
        ("/crm/v3/objects/contacts/30000000001", {"limit": "5"}),
        ("/crm/v3/properties/contacts", {"limit": "5"}),
        ("/crm/v3/owners", {"sort": "email"}),
        ("/crm/v3/pipelines/deals", {"archived": "true"}),
    ],
)
async def test_a_parameter_it_does_not_serve_is_refused(
    emulator: Any, path: str, params: dict[str, str]
) -> None:
    async with raw_client(emulator) as client:
        answer = await client.get(path, params=params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR"
    assert next(iter(params)) in body["message"] and body["correlationId"]
