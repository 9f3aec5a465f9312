"""OData lists both ways, for vendors whose lists are OData (the Act! Web API, Dynamics): the
pages a source walks (`odata_pages`) and the query an emulator serves (`odata`: `$top`,
`$skip`, `$filter`, `$orderby`, `$select`).

`$filter` takes comparisons (eq ne gt ge lt le) joined by `and`, on dotted (`a/b`) paths;
literals are quoted strings ('' for a quote), null, true, false, numbers or unquoted
datetimes (`edited gt 2018-10-01T08:00:00-07:00`). What it does not know is the vendor's 400,
never ignored: an unknown option, a filter it cannot read, a count that is not one."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from adapters.core.emulation import VendorError
from adapters.core.mapping import parse_time, value_at
from adapters.core.paginators import OffsetPaginator

OPTIONS = frozenset({"$top", "$skip", "$filter", "$orderby", "$select"})
_COMPARISON = re.compile(r"^\s*([\w/]+)\s+(eq|ne|gt|ge|lt|le)\s+(.+?)\s*$")
Raw = dict[str, Any]


def odata_pages(limit: int = 200) -> OffsetPaginator:
    """`$skip`/`$top` pages of a bare array (no count, no next link): a full page may have more
    after it, a short one is the last."""
    return OffsetPaginator(
        start_param="$skip",
        limit_param="$top",
        limit=limit,
        more_path=None,
        next_start_path=None,
        records_path=None,
    )


def bad(message: str) -> VendorError:
    return VendorError(400, "400", message)


def odata(
    rows: list[Raw],
    params: Mapping[str, str],
    *,
    key: str = "id",
    options: frozenset[str] = OPTIONS,
) -> list[Raw]:
    """One page of `rows` as the query asks, in `key` order unless `$orderby` says; keys that
    start with "_" are the emulator's own, never served. `options`: those the list takes (a
    list that takes none refuses any)."""
    unknown = sorted(set(params) - options)
    if unknown:
        raise bad(f"The query parameter '{unknown[0]}' is not supported.")
    if params.get("$filter"):
        rows = [row for row in rows if _matches(params["$filter"])(row)]
    rows = sorted(rows, key=lambda r: str(r.get(key)))
    for clause in reversed([c.strip() for c in params.get("$orderby", "").split(",") if c.strip()]):
        name, _, direction = clause.partition(" ")
        path, descending = name.replace("/", "."), direction.strip().lower() == "desc"
        rows.sort(key=lambda r: str(value_at(r, path) or ""), reverse=descending)
    skip, top = _count(params, "$skip", 0), _count(params, "$top", len(rows))
    rows = rows[skip : skip + top]
    names = {n.strip() for n in params.get("$select", "").split(",") if n.strip()}
    names |= {key} if names else set()
    return [
        {k: v for k, v in r.items() if (k in names or not names) and k[:1] != "_"} for r in rows
    ]


def _matches(query: str) -> Callable[[Raw], bool]:
    tests = []
    for part in re.split(r"\s+and\s+", query.strip()):
        found = _COMPARISON.match(part)
        if not found:
            raise bad(f"The query specified in the URI is not valid: '{query}'.")
        path, op, literal = found.groups()
        tests.append((path.replace("/", "."), op, _literal(literal.strip())))
    return lambda row: all(_test(value_at(row, path), op, lit) for path, op, lit in tests)


def _literal(text: str) -> Any:
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    if text in ("null", "true", "false"):
        return {"null": None, "true": True, "false": False}[text]
    moment = parse_time(text) if "T" in text or "-" in text else None
    if moment is not None:
        return moment
    try:
        return float(text)
    except ValueError:
        raise bad(f"The query specified in the URI is not valid: '{text}'.") from None


def _test(value: Any, op: str, literal: Any) -> bool:
    if hasattr(literal, "tzinfo"):
        value = parse_time(value) if value else None
    if op not in ("eq", "ne") and (value is None or literal is None):
        return False
    return bool(getattr(operator, op)(value, literal))


def _count(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if not str(raw).isdigit():
        raise bad(f"Invalid value '{raw}' for {name} query option found.")
    return int(raw)
