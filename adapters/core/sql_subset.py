"""A small SQL subset, for vendors whose lists are queries (NetSuite's SuiteQL; SOQL and COQL
are of the same kind): the client adds a changed-since condition to its query, an emulator
answers a query over its tables.

Served: `SELECT * | col[, col] FROM table [WHERE cond [AND cond ...]] [ORDER BY col [ASC|DESC]]`
where a condition is `col = 'text'`, `col > TO_TIMESTAMP('YYYY-MM-DD HH24:MI:SS', format)`
(the format given as written: the vendor's) or `col IN (SELECT col FROM table [WHERE cond])`
(a subquery of one condition at most). Anything else is a `QueryError`, which the emulator
answers in its vendor's words: `kind` says what was wrong ("query", "table", "column",
"condition", "time") and `name` what.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

Row = dict[str, Any]
QUERY = re.compile(
    r"\s*SELECT\s+(?P<cols>.+?)\s+FROM\s+(?P<table>\w+)(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<dir>ASC|DESC))?)?\s*;?\s*$",
    re.I | re.S,
)
EQUALS = re.compile(r"(\w+)\s*=\s*'([^']*)'", re.S)
IN = re.compile(r"(\w+)\s+IN\s*\(\s*(SELECT\s+\w+\s+FROM\s+[^()]+?)\s*\)", re.I | re.S)
AFTER = re.compile(r"(\w+)\s*>\s*TO_TIMESTAMP\(\s*'([^']+)'\s*,\s*'([^']+)'\s*\)", re.I)


class QueryError(ValueError):
    def __init__(self, kind: str, name: str, table: str = "") -> None:
        super().__init__(f"{kind} {name!r}")
        self.kind, self.name, self.table = kind, name, table


def changed_after(query: str, column: str, moment: str, form: str) -> str:
    """The query with `column > TO_TIMESTAMP('moment', 'form')` added to its WHERE (before any
    ORDER BY); `moment` is an RFC 3339 UTC time, written as 'YYYY-MM-DD HH24:MI:SS'."""
    stamp = moment.replace("T", " ").removesuffix("Z")[:19]
    condition = f"{column} > TO_TIMESTAMP('{stamp}', '{form}')"
    head, _, order = query.partition(" ORDER BY ")
    joiner = " AND " if " WHERE " in head else " WHERE "
    return head + joiner + condition + (f" ORDER BY {order}" if order else "")


def select(
    tables: Mapping[str, list[Row]],
    query: str,
    *,
    columns: Mapping[str, frozenset[str]] = {},
    form: str = "YYYY-MM-DD HH24:MI:SS",
    numeric: frozenset[str] = frozenset({"id"}),
) -> list[Row]:
    """The rows `query` answers, each with the columns asked for (`*`: every column of the
    table, those in `columns` and those its rows hold); times are compared as ISO 8601,
    `numeric` columns sorted as numbers."""
    found = QUERY.fullmatch(query)
    if found is None:
        raise QueryError("query", query)
    table = found["table"].lower()
    if table not in tables and table not in columns:
        raise QueryError("table", table)
    known = columns.get(table, frozenset()) | {k for r in tables.get(table, []) for k in r}

    def column(name: str) -> str:
        if name.lower() not in known:
            raise QueryError("column", name, table)
        return name.lower()

    rows = list(tables.get(table, []))
    for condition in filter(None, re.split(r"\s+AND\s+", found["where"] or "", flags=re.I)):
        if within := IN.fullmatch(condition.strip()):  # a column's values in another table
            name, inner = column(within[1]), select(tables, within[2], columns=columns, form=form)
            values = {next(iter(r.values())) for r in inner}
            rows = [r for r in rows if r.get(name) in values]
            continue
        rows = [r for r in rows if _holds(condition.strip(), column, form)(r)]
    if found["order"]:
        name = column(found["order"])
        key = (lambda r: int(r[name])) if name in numeric else (lambda r: str(r.get(name) or ""))
        rows.sort(key=key, reverse=(found["dir"] or "").upper() == "DESC")
    wanted = [c.strip() for c in found["cols"].split(",")]
    names = sorted(known) if wanted == ["*"] else [column(c) for c in wanted]
    return [{n: r.get(n) for n in names} for r in rows]


def _holds(condition: str, column: Callable[[str], str], form: str) -> Callable[[Row], bool]:
    if equals := EQUALS.fullmatch(condition):
        name, value = column(equals[1]), equals[2]
        return lambda r: r.get(name) == value
    after = AFTER.fullmatch(condition)
    if after is None or after[3].upper() != form.upper():
        raise QueryError("condition", condition)
    name, since = column(after[1]), _moment(after[2])
    return lambda r: bool(r.get(name)) and _moment(r[name]) > since


def _moment(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError("time", value) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
