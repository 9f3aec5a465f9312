"""Rails' typed XML: what an emulator writes reads back as the values it wrote (nil as None,
integers, booleans, lists of one or none, marked as arrays or named as Rails names a
collection's items), a cut-short body does not decode, and pages and errors are read."""

from __future__ import annotations

import httpx
import pytest

from adapters.core.errors import UnreadableResponse
from adapters.core.typed_xml import element, error_text, rows_of, singular, typed_xml


def test_what_is_written_reads_back_as_plain_values() -> None:
    row = {
        "id": 7,
        "name": "Zażółć & <Söhne>",
        "owner-id": None,
        "created-at": "2026-01-15T08:00:00Z",
        "closed-on": "2026-01-16",
        "public": False,
        "tags": [{"id": 1, "name": "VIP"}],
        "email-addresses": [{"address": "a@example.com"}],
        "parties": [],
        "party": {"@type": "Person", "id": 3},
    }
    written = element("person", row, unmarked={"email-addresses"})
    assert '<owner-id type="integer" nil="true"/>' in written
    assert '<created-at type="datetime">' in written and '<tags type="array"><tag>' in written
    assert "<email-addresses><email-address><address>" in written  # not marked, still a list
    body = typed_xml()(httpx.Response(200, content=written.encode()))
    assert body == {"person": row}


def test_singulars_and_lists_of_one_or_none() -> None:
    names = ["people", "parties", "email-addresses", "subject_datas", "deal-categories", "tags"]
    assert [singular(n) for n in names] == [
        "person",
        "party",
        "email-address",
        "subject_data",
        "deal-category",
        "tag",
    ]
    decode = typed_xml()
    assert decode(httpx.Response(200, content=b'<deals type="array"/>')) == {"deals": []}
    one = decode(httpx.Response(200, content=b"<people><person><id>1</id></person></people>"))
    assert one == {"people": [{"id": "1"}]}
    assert decode(httpx.Response(200, content=b"<people></people>")) == {"people": None}
    with pytest.raises(ValueError):
        decode(httpx.Response(200, content=b'<deals type="array"><deal><id type="int'))


def test_rows_are_the_list_of_their_container_and_rails_errors_are_read() -> None:
    rows = rows_of("people")
    assert rows({"people": [{"id": 1}]}) == [{"id": 1}] and rows({"people": None}) == []
    with pytest.raises(UnreadableResponse):
        rows({"html": {"body": "Maintenance"}})
    body = b"<errors><error>Name is blank</error><error>Too long</error></errors>"
    said = httpx.Response(422, json=typed_xml()(httpx.Response(422, content=body)))
    assert error_text(said) == "Name is blank; Too long"
    assert error_text(httpx.Response(503, text="Busy\n")) == "Busy"
