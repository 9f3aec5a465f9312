"""Rails' typed XML: what an emulator writes reads back as the values it wrote (nil as None,
integers, booleans, arrays of one or none as lists), and a cut-short body does not decode."""

from __future__ import annotations

import httpx
import pytest

from adapters.core.errors import UnreadableResponse
from adapters.core.typed_xml import element, error_text, items, rows_of, typed_xml

CHILDREN = {"tags": ("tag", True), "emails": ("email", False)}


def test_what_is_written_reads_back_as_plain_values() -> None:
    row = {
        "id": 7,
        "name": "Zażółć & <Söhne>",
        "owner-id": None,
        "created-at": "2026-01-15T08:00:00Z",
        "closed-on": "2026-01-16",
        "public": False,
        "tags": [{"id": 1, "name": "VIP"}],
        "emails": [],
        "party": {"@type": "Person", "id": 3},
    }
    written = element("person", row, CHILDREN)
    assert '<owner-id type="integer" nil="true"/>' in written
    assert '<created-at type="datetime">' in written and '<tags type="array">' in written
    body = typed_xml()(httpx.Response(200, content=written.encode()))
    assert body == {
        "person": {
            **row,
            "emails": None,  # an empty container that is not marked as an array
            "party": {"@type": "Person", "id": 3},
        }
    }


def test_an_empty_array_is_an_empty_list_and_a_cut_body_is_refused() -> None:
    decode = typed_xml()
    assert decode(httpx.Response(200, content=b'<deals type="array"/>')) == {"deals": []}
    with pytest.raises(ValueError):
        decode(httpx.Response(200, content=b'<deals type="array"><deal><id type="int'))


def test_rows_are_the_items_of_their_container_and_rails_errors_are_read() -> None:
    rows = rows_of("people", "person")
    decode = typed_xml(lists=("person",))
    one = decode(httpx.Response(200, content=b"<people><person><id>1</id></person></people>"))
    assert rows(one) == [{"id": "1"}] and rows({"people": None}) == []
    with pytest.raises(UnreadableResponse):
        rows({"html": {"body": "Maintenance"}})
    assert items({"tag": {"id": 1}}, "tag") == [{"id": 1}] and items("", "tag") == []
    said = httpx.Response(422, json={"errors": {"error": ["Name is blank", "Too long"]}})
    assert error_text(said) == "Name is blank; Too long"
    assert error_text(httpx.Response(503, text="Busy\n")) == "Busy"
