"""For emulators: JSON queries of records in the operator style of MongoDB and the APIs that
copy it (Maximizer's `SearchQuery`): `{"$AND": [...]}`, `{"$OR": [...]}` and
`{field: {"$EQ": value, ...}}` with `$EQ`, `$NE`, `$IN`, `$NIN`, `$GT`, `$GE`, `$LT`, `$LE` and
`$TREE` (a path under another), any case; an order of `[{field: "ASC" | "DESC"}]`; and a scope
of the fields an answer carries (`1`: all); and the request body they come in, a JSON object.
A malformed query or body is `QueryError`, which the emulator answers in its vendor's words.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from adapters.core.mapping import parse_time

Raw = dict[str, Any]


class QueryError(ValueError):
    pass


def _sortable(value: Any) -> tuple[int, Any]:
    """Times by moment, then other values, then none."""
    if value is None:
        return (2, 0)
    moment = parse_time(value) if isinstance(value, str) else None
    return (0, moment) if moment else (1, value)


def _holds(op: str, have: Any, want: Any) -> bool:
    if op in ("$EQ", "$NE"):
        return (have == want) == (op == "$EQ")
    if op in ("$IN", "$NIN"):
        if not isinstance(want, list):
            raise QueryError(f"{op} takes a list.")
        return (have in want) == (op == "$IN")
    if op == "$TREE":
        return isinstance(have, str) and have.startswith(str(want))
    if op not in ("$GT", "$GE", "$LT", "$LE"):
        raise QueryError(f"Unsupported operator {op}.")
    if have is None:
        return False
    a, b = _sortable(have), _sortable(want)
    if a[0] != b[0]:
        raise QueryError(f"{op} compares values of different types.")
    return {"$GT": a > b, "$GE": a >= b, "$LT": a < b, "$LE": a <= b}[op]


def matches(row: Raw, query: Any, known: set[str]) -> bool:
    """Whether `row` passes `query`; a field not in `known` is refused."""
    if not isinstance(query, dict):
        raise QueryError("A query must be an object.")
    for name, condition in query.items():
        if name.upper() in ("$AND", "$OR"):
            parts = [matches(row, part, known) for part in condition or []]
            if not (all(parts) if name.upper() == "$AND" else any(parts)):
                return False
        elif name not in known:
            raise QueryError(f"Invalid field {name}.")
        elif not isinstance(condition, dict):
            raise QueryError(f"The condition on {name} must be an object.")
        elif not all(_holds(op.upper(), row.get(name), w) for op, w in condition.items()):
            return False
    return True


def ordered(rows: list[Raw], order: Any, known: set[str]) -> list[Raw]:
    """`rows` sorted by `[{field: "ASC" | "DESC"}, ...]`, the first field first."""
    out = list(rows)
    for part in reversed(order or []):
        for field, direction in part.items() if isinstance(part, dict) else [(part, "")]:
            way = str(direction).upper()
            if field not in known or way not in ("ASC", "DESC"):
                raise QueryError(f"Cannot order by {field} {direction}.")
            out.sort(key=lambda r: _sortable(r.get(field)), reverse=way == "DESC")
    return out


def scoped(row: Raw, fields: Any, known: set[str]) -> Raw:
    """The record with the fields asked for (`1`: all but those starting "_")."""
    if fields == 1:
        return {k: v for k, v in row.items() if not k.startswith("_")}
    if not isinstance(fields, dict):
        raise QueryError("The fields asked for must be an object or 1.")
    unknown = sorted(set(fields) - known)
    if unknown:
        raise QueryError(f"Invalid field {unknown[0]}.")
    return {name: row.get(name) for name in fields}


async def json_object(request: Request) -> Raw:
    """The request's body: a JSON object (an empty body is `{}`)."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise QueryError("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise QueryError("The request body must be an object.")
    return body
