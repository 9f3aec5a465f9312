"""The SQL subset an emulator answers (columns, conditions, order, refusals named by kind), the
changed-since condition a client adds, and US display dates written and read back."""

from __future__ import annotations

import pytest

from adapters.core.sql_subset import QueryError, changed_after, select
from adapters.core.us_dates import (
    hhmm_between,
    hhmm_later,
    iso_date,
    iso_hhmm,
    iso_time,
    us_date,
    us_datetime,
    us_time,
)

TABLES = {
    "customer": [
        {"id": "10", "name": "B", "isperson": "F", "modified": "2026-01-15T08:00:00Z"},
        {"id": "9", "name": "A", "isperson": "T", "modified": "2026-01-16T08:00:00Z"},
    ],
    "line": [{"id": "1", "of": "9"}, {"id": "2", "of": "7"}],
}


def test_select_filters_orders_and_picks_columns() -> None:
    assert select(TABLES, "SELECT id FROM customer ORDER BY id") == [{"id": "9"}, {"id": "10"}]
    found = select(TABLES, "SELECT * FROM Customer WHERE isperson = 'F' ORDER BY name DESC")
    assert [r["id"] for r in found] == ["10"] and set(found[0]) == set(TABLES["customer"][0])
    query = changed_after(
        "SELECT id FROM customer ORDER BY id",
        "modified",
        "2026-01-15T09:00:00Z",
        "YYYY-MM-DD HH24:MI:SS",
    )
    assert query == (
        "SELECT id FROM customer WHERE modified > "
        "TO_TIMESTAMP('2026-01-15 09:00:00', 'YYYY-MM-DD HH24:MI:SS') ORDER BY id"
    )
    assert select(TABLES, query) == [{"id": "9"}]
    both = changed_after(
        "SELECT id FROM customer WHERE isperson = 'T'",
        "modified",
        "2026-01-01T00:00:00Z",
        "YYYY-MM-DD HH24:MI:SS",
    )
    assert select(TABLES, both) == [{"id": "9"}]
    empty = select({"note": []}, "SELECT * FROM note", columns={"note": frozenset({"id", "title"})})
    assert empty == []
    within = "SELECT id FROM line WHERE of IN (SELECT id FROM customer)"
    assert select(TABLES, within) == [{"id": "1"}]
    picked = "SELECT id FROM line WHERE of IN (SELECT id FROM customer WHERE isperson = 'F')"
    assert select(TABLES, picked) == []


@pytest.mark.parametrize(
    ("query", "kind", "name"),
    [
        ("DELETE FROM customer", "query", "DELETE FROM customer"),
        ("SELECT id FROM lead", "table", "lead"),
        ("SELECT nosuch FROM customer", "column", "nosuch"),
        ("SELECT id FROM customer WHERE id LIKE '1%'", "condition", "id LIKE '1%'"),
        (
            "SELECT id FROM customer WHERE modified > TO_TIMESTAMP('x', 'YYYY-MM-DD HH24:MI:SS')",
            "time",
            "x",
        ),
    ],
)
def test_anything_outside_the_subset_is_a_query_error(query: str, kind: str, name: str) -> None:
    with pytest.raises(QueryError) as raised:
        select(TABLES, query)
    assert (raised.value.kind, raised.value.name) == (kind, name)


def test_us_dates_both_ways() -> None:
    assert us_date("2026-01-05") == "1/5/2026" and us_time("13:05") == "1:05 pm"
    assert (
        us_time("00:30") == "12:30 am" and us_datetime("2026-01-05T13:05:00Z") == "1/5/2026 1:05 pm"
    )
    assert us_date(None) is None and us_time("") is None and us_datetime(None) is None
    assert iso_date("1/5/2026 1:05 pm") == "2026-01-05" and iso_hhmm("1/5/2026 1:05 pm") == "13:05"
    assert iso_hhmm("12:30 am") == "00:30" and iso_hhmm("12:10 PM") == "12:10"
    assert iso_time("1/5/2026 1:05 pm") == "2026-01-05T13:05:00Z"
    assert iso_time("12/31/2025") == "2025-12-31T00:00:00Z"
    assert iso_date("2026-01-05") is None and iso_time(None) is None
    assert hhmm_later("23:30", "01:15") == "00:45" and hhmm_later("09:00", None) is None
    assert hhmm_between("11:30 pm", "12:45 am") == "01:15"
    assert hhmm_between("9:00 am", "10:30 am") == "01:30" and hhmm_between(None, "1:00 pm") is None
