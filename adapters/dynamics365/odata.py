"""The small part of OData v4 the Dynamics emulator answers: $select, $filter (comparisons joined
by `and`), $orderby, $expand, the Prefer header, and Dataverse's skip-token paging cookie.

Dataverse facts (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/):
page-results (Prefer: odata.maxpagesize, at most 5,000, larger asks are ignored; the answer says
Preference-Applied; @odata.nextLink carries `$skiptoken=<cookie pagenumber=... pagingcookie=...>`;
$skip is not supported), filter-rows (unquoted date-time and GUID literals: `_x_value eq <guid>`),
select-columns.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from adapters.core.emulation import VendorError
from adapters.core.mapping import parse_time

MAX_PAGE = 5000
_PREFERENCE = re.compile(r'\s*([\w.-]+)\s*(?:=\s*("[^"]*"|[^,]*))?\s*(?:,|$)')
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_COMPARISON = re.compile(r"^\s*([\w@.]+)\s+(eq|ne|gt|ge|lt|le)\s+(.+?)\s*$")
_LAST = re.compile(r'last="\{?([0-9a-fA-F-]{36})\}?"')
_PAGE = re.compile(r'pagenumber="(\d+)"')


def bad_query(message: str, code: str = "0x80060888") -> VendorError:
    return VendorError(400, code, message)


def preferences(header: str) -> dict[str, str]:
    """`Prefer: odata.maxpagesize=2, odata.include-annotations="*"` as {name: value}."""
    found: dict[str, str] = {}
    for name, value in _PREFERENCE.findall(header or ""):
        if name:
            found[name.lower()] = (value or "").strip().strip('"')
    return found


def page_size(prefer: dict[str, str]) -> int:
    raw = prefer.get("odata.maxpagesize")
    if raw is None:
        return MAX_PAGE
    if not raw.isdigit() or int(raw) < 1:
        raise bad_query(f"Invalid value '{raw}' for the odata.maxpagesize preference.")
    return min(int(raw), MAX_PAGE)


def annotation_filter(prefer: dict[str, str]) -> list[str]:
    """The annotation terms asked for: "*" all, "ns.*" a namespace, or exact terms."""
    raw = prefer.get("odata.include-annotations", "")
    return [term.strip() for term in raw.split(",") if term.strip()]


def keep_annotation(key: str, terms: list[str]) -> bool:
    term = key.partition("@")[2]
    for wanted in terms:
        if wanted == "*" or wanted == term:
            return True
        if wanted.endswith(".*") and term.startswith(wanted[:-1]):
            return True
    return False


def select(
    row: dict[str, Any], names: list[str] | None, key: str, terms: list[str]
) -> dict[str, Any]:
    """The selected columns (all without $select), the key always, annotations when asked."""
    out: dict[str, Any] = {}
    for column, value in row.items():
        if "@" in column:
            base = column.partition("@")[0]
            if (names is None or base in names) and keep_annotation(column, terms):
                out[column] = value
        elif names is None or column in names or column == key:
            out[column] = value
    return out


def selected(raw: str | None, columns: tuple[str, ...], entity_type: str) -> list[str] | None:
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    for name in names:
        if name not in columns:
            raise bad_query(
                f"Could not find a property named '{name}' on type "
                f"'Microsoft.Dynamics.CRM.{entity_type}'.",
                code="0x0",
            )
    return names


def _literal(text: str) -> Any:
    text = text.strip()
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    if _GUID.match(text):
        return text.lower()
    if text in ("null", "true", "false"):
        return {"null": None, "true": True, "false": False}[text]
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        pass
    moment = parse_time(text)
    if moment is None:
        raise bad_query(f"Syntax error at position 0 in '{text}'.")
    return moment


def _compare(value: Any, op: str, literal: Any) -> bool:
    if hasattr(literal, "tzinfo"):
        value = parse_time(value) if value else None
    if op in ("eq", "ne"):
        return (value == literal) is (op == "eq")
    if value is None or literal is None:
        return False
    return {
        "gt": value > literal,
        "ge": value >= literal,
        "lt": value < literal,
        "le": value <= literal,
    }[op]


def row_filter(raw: str | None, columns: tuple[str, ...], entity_type: str) -> Any:
    """A predicate for `$filter`: comparisons joined by `and`."""
    if not raw:
        return lambda row: True
    tests = []
    for part in re.split(r"\s+and\s+", raw.strip()):
        match = _COMPARISON.match(part)
        if not match:
            raise bad_query(f"Syntax error: the $filter expression '{raw}' is not supported.")
        column, op, literal = match.groups()
        selected(column, columns, entity_type)
        tests.append((column, op, _literal(literal)))
    return lambda row: all(_compare(row.get(c), op, lit) for c, op, lit in tests)


def ordered(rows: list[dict[str, Any]], raw: str | None, key: str, columns: Any) -> list[Any]:
    """$orderby on one or more columns (asc/desc); without it, the primary key order."""
    result = sorted(rows, key=lambda row: str(row[key]))
    for clause in reversed([c.strip() for c in (raw or "").split(",") if c.strip()]):
        column, _, direction = clause.partition(" ")
        if column not in columns:
            raise bad_query(f"Could not find a property named '{column}'.", code="0x0")
        result.sort(
            key=lambda row: (row.get(column) is None, str(row.get(column) or "")),
            reverse=direction.strip().lower() == "desc",
        )
    return result


def skip_token(page: int, key: str, last_id: str) -> str:
    """Dataverse's paging cookie: the next page number and the last key of this page."""
    inner = quote(
        quote(f'<cookie page="{page - 1}"><{key} last="{{{last_id.upper()}}}" /></cookie>')
    )
    return f'<cookie pagenumber="{page}" pagingcookie="{inner}" istracking="False" />'


def resume(token: str, rows: list[dict[str, Any]], key: str) -> tuple[int, int]:
    """(page number, index of the first row) of a `$skiptoken`; a token we did not give is 400."""
    text = unquote(unquote(token))
    last, page = _LAST.search(text), _PAGE.search(text)
    if not last or not page:
        raise bad_query("The $skiptoken value is not valid.", code="0x80040203")
    wanted = last.group(1).lower()
    for index, row in enumerate(rows):
        if str(row[key]).lower() == wanted:
            return int(page.group(1)), index + 1
    raise bad_query("The $skiptoken value is not valid.", code="0x80040203")


def expansions(raw: str | None) -> dict[str, list[str] | None]:
    """`$expand=a($select=x,y),b` as {"a": ["x", "y"], "b": None}."""
    out: dict[str, list[str] | None] = {}
    for name, options in re.findall(r"(\w+)(?:\(([^)]*)\))?(?:,|$)", raw or ""):
        if not name:
            continue
        chosen = re.search(r"\$select=([^;]+)", options or "")
        out[name] = [n.strip() for n in chosen.group(1).split(",")] if chosen else None
    return out
