"""Small declarative helpers first written for Maximizer: custom fields whose options are read
apart (`OptionedFields`), the fields a mapping reads (`asked_fields`), e-mails and phones in
fixed slots (`Slots`), picking from lists (`first_of`, `numbered`), custom values among a
record's fields (`prefixed_values`), and an emulator's JSON body (`json_object`)."""

from __future__ import annotations

from types import MappingProxyType

import pytest
from starlette.requests import Request

from adapters.core.asked_fields import asked_fields
from adapters.core.canonical import ContactPoint, Entity, FieldType
from adapters.core.contact_slots import Slots
from adapters.core.declarative import read_field
from adapters.core.field_options import OptionedFields, options_of, prefixed_values
from adapters.core.json_query import QueryError, json_object
from adapters.core.listed import first_of, numbered
from adapters.core.mapping import first, joined, ref, text, utc_date


def test_definitions_carry_the_options_read_apart() -> None:
    fields = OptionedFields("fields", "defs", ("a_options", "b_options"), "Key", "Label")
    state = MappingProxyType(
        {
            "defs": {
                "/A/1": {"Key": "/A/1", "Type": "enum"},
                "/B/2": {"Key": "/B/2", "Type": "text"},
            },
            "a_options": {"/A/1": [{"Key": 7, "Label": "Red"}, {"Key": 8, "Label": "Blue"}]},
            "b_options": {},
        }
    )
    table = fields.derived.build(state)
    assert options_of(table["/A/1"]) == [("7", "Red"), ("8", "Blue")]
    assert options_of(table["/B/2"]) == []
    assert fields.derived.needs == ("defs", "a_options", "b_options")
    catalog = fields.catalog(Entity.deals, "Key", "Key", "Type", {"enum": FieldType.enum})
    assert catalog.rows_of == "fields"
    found = read_field(catalog, table["/A/1"])
    assert found and found.definition.options == ["Red", "Blue"] and found.labels["8"] == "Blue"
    # The options may be keyed otherwise than the definitions (a list the definition names).
    by_list = OptionedFields("f", "defs", ("lists",), key=lambda d: d["List"])
    listed = {"defs": {"x": {"List": "L1"}}, "lists": {"L1": [{"id": 1, "name": "One"}]}}
    assert options_of(by_list.build(MappingProxyType(listed))["x"]) == [("1", "One")]


def test_the_fields_a_mapping_reads() -> None:
    mapping = {
        "name": joined("FirstName", "LastName"),
        "city": text("Address.City"),  # a dotted path: its first part
        "person": first("ContactKey", ref("AbEntryKey")),  # every alternative
        "due": utc_date("DateTime"),
        "done": lambda raw: bool(raw.get("Completed")),
        "key": lambda raw: raw["Key"],
        "order": "_order",  # put there by a hook, not the vendor
    }
    assert asked_fields(*mapping.values()) == (
        "FirstName",
        "LastName",
        "Address",
        "ContactKey",
        "AbEntryKey",
        "DateTime",
        "Completed",
        "Key",
    )


def test_points_in_fixed_slots_read_and_written() -> None:
    phones = Slots("Number", ("Phone1", "Phone2", "Phone3"))
    raw = {
        "Phone1": {"Number": "+48 1", "Description": "mobile", "Default": False},
        "Phone2": None,
        "Phone3": {"Number": "+48 3", "Default": True},
    }
    read = phones(raw)
    assert read == [
        ContactPoint(value="+48 1", label="mobile", primary=False),
        ContactPoint(value="+48 3", label="work", primary=True),
    ]
    written = phones.shaped(read)
    assert written["Phone3"] is None and phones(written) == [
        ContactPoint(value="+48 1", label="mobile", primary=False),
        ContactPoint(value="+48 3", label="work", primary=True),
    ]
    assert asked_fields(phones) == ("Phone1", "Phone2", "Phone3")


def request_with(body: bytes) -> Request:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({"type": "http", "method": "POST", "headers": []}, receive)


async def test_a_json_body_must_be_an_object() -> None:
    assert await json_object(request_with(b'{"User": {}}')) == {"User": {}}
    assert await json_object(request_with(b"")) == {}
    for bad in (b'{"User": ', b"[1, 2]"):
        with pytest.raises(QueryError):
            await json_object(request_with(bad))


def test_picking_from_lists() -> None:
    company = first_of("links", lambda v: str(v).startswith("C"))
    assert company({"links": ["P1", "", None, "C2", "C3"]}) == "C2"
    assert company({"links": "C9"}) == "C9" and company({"links": ["P1"]}) is None
    stages = [{"p": "a"}, {"p": "b"}, {"p": "a"}]
    assert [r["n"] for r in numbered("n", "p")(stages, MappingProxyType({}))] == [1, 1, 2]
    assert [r["n"] for r in numbered("n")(stages, MappingProxyType({}))] == [1, 2, 3]


def test_custom_values_among_the_fields() -> None:
    values = prefixed_values("Udf/")
    raw = {"Key": "k", "Udf/1": "x", "Udf/2": [{"Key": "i1", "Value": "Red"}, "junk"]}
    assert values(raw) == {"Udf/1": "x", "Udf/2": ["Red"]}
