"""Small shared pieces: an error's message at a vendor's own keys; a changed-since filter that
keeps records changed at the very moment asked (SalesforceIQ's `modifiedDate`); a list filter
on a field that is itself a list (the contacts a deal links)."""

from __future__ import annotations

import httpx
import pytest

from adapters.core.emulation import VendorError
from adapters.core.http import default_error_text, error_text_at
from adapters.core.serving import Collection, Since


def test_error_text_is_read_at_the_vendors_keys_in_order() -> None:
    read = error_text_at("userMessage", "errorMessage")
    both = httpx.Response(400, json={"userMessage": "Bad list", "errorMessage": "internal"})
    only_second = httpx.Response(400, json={"userMessage": "", "errorMessage": "No such list"})
    assert (read(both), read(only_second)) == ("Bad list", "No such list")
    assert read(httpx.Response(503, text="<html>down</html>")) == "Service Unavailable"
    assert read(httpx.Response(400, json=["not", "an", "object"])) == "Bad Request"
    assert read(httpx.Response(400, json={"message": "other keys"})) == "Bad Request"
    assert default_error_text(httpx.Response(400, json={"message": "common"})) == "common"


def test_inclusive_since_keeps_what_changed_at_the_moment_itself() -> None:
    items = [{"id": 1, "at": 1_000}, {"id": 2, "at": 2_000}, {"id": 3, "at": 3_000}]
    after = Since("since", "at", "epoch_ms")
    at_or_after = Since("since", "at", "epoch_ms", inclusive=True)
    assert [i["id"] for i in after.keep(items, "2000")] == [3]
    assert [i["id"] for i in at_or_after.keep(items, "2000")] == [2, 3]
    iso = [{"id": 1, "at": "2026-01-15T08:00:00Z"}]
    assert Since("since", "at", inclusive=True).keep(iso, "2026-01-15T08:00:00Z") == iso
    assert Since("since", "at").keep(iso, "2026-01-15T08:00:00Z") == []
    with pytest.raises(VendorError):
        at_or_after.keep(items, "yesterday")


def test_a_filter_on_a_list_field_keeps_records_holding_one_of_the_values() -> None:
    rows = [{"id": "a", "contactIds": ["c1", "c2"]}, {"id": "b", "contactIds": []}, {"id": "c"}]
    listed = Collection("deals", filters={"contactIds": "contactIds", "ids": "id"})
    assert [r["id"] for r in listed.rows(rows, {"contactIds": "c9,c2"})] == ["a"]
    assert [r["id"] for r in listed.rows(rows, {"contactIds": "c9"})] == []
    assert [r["id"] for r in listed.rows(rows, {"ids": "b,c"})] == ["b", "c"]
