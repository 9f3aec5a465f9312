"""A small SOQL engine for the Salesforce emulator: the subset a migration's queries use.

Supported: `SELECT <fields> FROM <object> [WHERE <cond> [AND <cond>]...] [ORDER BY <field>
[ASC|DESC] [NULLS FIRST|LAST] [, ...]] [LIMIT n] [OFFSET n]`, where a field is a plain field
(`Name`), a parent relationship field (`RecordType.BusinessProcessId`) or a child subquery
(`(SELECT ContactId FROM OpportunityContactRoles WHERE IsPrimary = true ORDER BY ... LIMIT n)`).
Conditions compare a field with a literal: 'text', true/false, null, a number, a date or a
dateTime (2026-01-15T10:00:00Z), or test it against a list: `Field IN ('a', 'b')` or a semi-join
`Field IN (SELECT Id FROM Account [WHERE ...])` (one field selected). Field and object names are
case-insensitive, as in SOQL.
Ascending order puts nulls first and descending last unless NULLS says otherwise (SOQL's
defaults).

Whatever else SOQL has (OR, NOT, NOT IN, LIKE, INCLUDES, parentheses, aggregates and GROUP BY,
date literals such as TODAY, FIELDS(), TYPEOF, FOR VIEW/UPDATE, WITH, USING SCOPE) is refused with a 400
MALFORMED_QUERY rather than ignored: an emulator that ignored a clause would answer a query
Salesforce answers differently. Errors are Salesforce's: MALFORMED_QUERY, INVALID_FIELD,
INVALID_TYPE (all 400), each `[{"message", "errorCode"}]`.

Some objects refuse a query without a filter on their ids (ContentDocumentLink: "Implementation
restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or
LinkedEntityId using the equals operator or multiple Id's using the IN operator."); an object's
schema says so in `id_filter`. Base64 fields (`blobs`, ContentNote.Content) are answered with the
path of their blob (/services/data/vNN.0/sobjects/ContentNote/{id}/Content), not the data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.core.emulation import VendorError
from adapters.core.mapping import parse_time

Row = dict[str, Any]

_TOKEN = re.compile(r"\s*(?:('(?:[^'\\]|\\.)*')|(!=|<=|>=|=|<|>)|([(),])|([^\s(),'=<>!]+))")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OPERATOR = re.compile(r"^(!=|<=|>=|=|<|>)$")


@dataclass(frozen=True)
class ObjectSchema:
    """What SOQL may name on one object: its fields, parents and child relationships."""

    name: str
    fields: tuple[str, ...]
    parents: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # rel -> (fk, object)
    children: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # rel -> (object, fk)
    id_filter: tuple[str, ...] = ()  # a query must filter on one of these by = or IN
    blobs: tuple[str, ...] = ()  # base64 fields: a query answers the blob's path

    def field_name(self, name: str) -> str | None:
        return next((f for f in self.fields if f.lower() == name.lower()), None)


@dataclass
class Condition:
    path: str
    op: str
    value: Any  # a literal; for IN a tuple of literals or a Query (a semi-join)


@dataclass(frozen=True)
class Order:
    path: str
    descending: bool = False
    nulls_last: bool = False


@dataclass
class Query:
    object: str
    fields: list[Any]  # str paths, or Query for subqueries
    where: list[Condition]
    order: list[Order] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


def malformed(message: str) -> VendorError:
    return VendorError(400, "MALFORMED_QUERY", message)


def tokenize(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise malformed(f"unexpected token at position {position}: {text[position:][:20]!r}")
        tokens.append(next(g for g in match.groups() if g is not None))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected and token.upper() != expected):
            raise malformed(f"expecting '{expected or 'more'}', found '{token or 'EOF'}'")
        self.at += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.upper() == word:
            self.at += 1
            return True
        return False

    def query(self) -> Query:
        self.take("SELECT")
        fields: list[Any] = []
        while True:
            if self.keyword("("):
                fields.append(self.query())
                self.take(")")
            else:
                fields.append(self.name())
            if not self.keyword(","):
                break
        self.take("FROM")
        query = Query(object=self.take(), fields=fields, where=[])
        if self.keyword("WHERE"):
            query.where.append(self.condition())
            while self.keyword("AND"):
                query.where.append(self.condition())
        if self.keyword("ORDER"):
            self.take("BY")
            query.order.append(self.order())
            while self.keyword(","):
                query.order.append(self.order())
        if self.keyword("LIMIT"):
            query.limit = self.count("LIMIT")
        if self.keyword("OFFSET"):
            query.offset = self.count("OFFSET")
        return query

    def order(self) -> Order:
        path = self.name()
        descending = self.keyword("DESC")
        if not descending:
            self.keyword("ASC")
        nulls_last = descending
        if self.keyword("NULLS"):
            if self.keyword("LAST"):
                nulls_last = True
            else:
                self.take("FIRST")
                nulls_last = False
        return Order(path, descending, nulls_last)

    def count(self, clause: str) -> int:
        token = self.take()
        if not token.isdigit():
            raise malformed(f"{clause} must be a non-negative integer, found '{token}'")
        return int(token)

    def name(self) -> str:
        """A field path; a parenthesis or operator where one belongs is a clause not served."""
        token = self.take()
        if token in ("(", ")", ",") or _OPERATOR.match(token) or token.startswith("'"):
            raise malformed(f"unexpected token: '{token}'")
        if self.peek() == "(":
            # A function call: COUNT(), FIELDS(ALL), toLabel(), CALENDAR_YEAR()...
            raise malformed(f"unexpected token: '{token}(': functions are not supported")
        return token

    def condition(self) -> Condition:
        path = self.name()
        op = self.take()
        if op.upper() == "IN":
            return Condition(path, "IN", self.in_list())
        if op not in ("=", "!=", "<", ">", "<=", ">="):
            raise malformed(f"unexpected token: '{op}'")
        return Condition(path, op, _literal(self.take()))

    def in_list(self) -> Any:
        """`('a', 'b')`, or `(SELECT Id FROM Object ...)`: a semi-join of one field."""
        self.take("(")
        if self.peek() is not None and str(self.peek()).upper() == "SELECT":
            sub = self.query()
            self.take(")")
            if len(sub.fields) != 1 or not isinstance(sub.fields[0], str):
                raise malformed("a semi-join subquery must select exactly one field")
            return sub
        values = [_literal(self.take())]
        while self.keyword(","):
            values.append(_literal(self.take()))
        self.take(")")
        return tuple(values)


def _literal(token: str) -> Any:
    if token.startswith("'"):
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    lowered = token.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if _DATETIME.match(token) or _DATE.match(token):
        return token
    try:
        return float(token)
    except ValueError:
        raise malformed(f"unexpected token: '{token}'") from None


def parse(text: str) -> Query:
    parser = _Parser(tokenize(text))
    query = parser.query()
    if parser.peek() is not None:
        raise malformed(f"unexpected token: '{parser.peek()}'")
    return query


Lookup = Callable[[str, str], Row | None]  # (object, id) -> row


class Evaluator:
    """Runs a parsed query over tables of rows, with the schema saying what exists."""

    def __init__(
        self,
        schemas: Mapping[str, ObjectSchema],
        tables: Mapping[str, list[Row]],
        url_of: Callable[[str, str], str],
    ) -> None:
        self.schemas = {name.lower(): schema for name, schema in schemas.items()}
        self.tables = tables
        self.url_of = url_of
        self._index: dict[str, dict[str, Row]] = {}

    def schema(self, name: str) -> ObjectSchema:
        schema = self.schemas.get(name.lower())
        if schema is None:
            raise VendorError(
                400,
                "INVALID_TYPE",
                f"sObject type '{name}' is not supported. If you are attempting to use a custom "
                "object, be sure to append the '__c' after the entity name. Please reference "
                "your WSDL or the describe call for the appropriate names.",
            )
        return schema

    def run(self, query: Query) -> list[Row]:
        schema = self.schema(query.object)
        self._check(schema, query)
        self._id_filtered(schema, query)
        rows = self._selected(schema, query)
        return [self._shape(schema, row, query) for row in self._arrange(schema, rows, query)]

    def _selected(self, schema: ObjectSchema, query: Query) -> list[Row]:
        self._semi_joins(query)
        return [r for r in self.tables.get(schema.name, []) if self._matches(schema, r, query)]

    def _semi_joins(self, query: Query) -> None:
        """Each `IN (SELECT ...)` run once, its values put in place of the subquery."""
        for condition in query.where:
            if isinstance(condition.value, Query):
                sub = condition.value
                sub_schema = self.schema(sub.object)
                self._id_filtered(sub_schema, sub)
                rows = self._selected(sub_schema, sub)
                values = (self._value(sub_schema, r, sub.fields[0]) for r in rows)
                condition.value = tuple(v for v in values if v is not None)

    def _id_filtered(self, schema: ObjectSchema, query: Query) -> None:
        if not schema.id_filter:
            return
        fields = {f.lower() for f in schema.id_filter}
        if not any(c.path.lower() in fields and c.op in ("=", "IN") for c in query.where):
            raise malformed(
                f"Implementation restriction: {schema.name} requires a filter by a single Id on "
                f"{' or '.join(schema.id_filter)} using the equals operator or multiple Id's "
                "using the IN operator."
            )

    def _arrange(self, schema: ObjectSchema, rows: list[Row], query: Query) -> list[Row]:
        """ORDER BY (the last key first, as sorts are stable), then OFFSET and LIMIT."""
        for order in reversed(query.order):
            present = [r for r in rows if self._value(schema, r, order.path) is not None]
            absent = [r for r in rows if self._value(schema, r, order.path) is None]
            present.sort(key=lambda r: self._value(schema, r, order.path), reverse=order.descending)
            rows = present + absent if order.nulls_last else absent + present
        end = None if query.limit is None else query.offset + query.limit
        return rows[query.offset : end]

    # --- checks ---------------------------------------------------------------------------

    def _check(self, schema: ObjectSchema, query: Query) -> None:
        paths = [f for f in query.fields if isinstance(f, str)] + [c.path for c in query.where]
        paths += [order.path for order in query.order]
        for path in paths:
            self._resolve(schema, path)
        for sub in (f for f in query.fields if isinstance(f, Query)):
            child = self._child(schema, sub.object)
            self._check(self.schema(child[0]), sub)
        for semi in (c.value for c in query.where if isinstance(c.value, Query)):
            self._check(self.schema(semi.object), semi)

    def _resolve(self, schema: ObjectSchema, path: str) -> tuple[ObjectSchema, str, list[str]]:
        """(schema owning the field, field name, relationship hops) or INVALID_FIELD."""
        *hops, name = path.split(".")
        current, trail = schema, []
        for hop in hops:
            parent = next((k for k in current.parents if k.lower() == hop.lower()), None)
            if parent is None:
                raise _invalid_field(current.name, path)
            trail.append(parent)
            current = self.schema(current.parents[parent][1])
        found = current.field_name(name)
        if found is None:
            raise _invalid_field(current.name, path)
        return current, found, trail

    def _child(self, schema: ObjectSchema, relationship: str) -> tuple[str, str]:
        for name, child in schema.children.items():
            if name.lower() == relationship.lower():
                return child
        raise VendorError(
            400,
            "INVALID_TYPE",
            f"Didn't understand relationship '{relationship}' in FROM part of query call. "
            "If you are attempting to use a custom relationship, be sure to append the '__r' "
            "after the custom relationship name.",
        )

    # --- evaluation -----------------------------------------------------------------------

    def _row(self, object_name: str, row_id: Any) -> Row | None:
        if row_id is None:
            return None
        index = self._index.get(object_name)
        if index is None:
            index = self._index[object_name] = {
                r["Id"]: r for r in self.tables.get(object_name, [])
            }
        return index.get(row_id)

    def _value(self, schema: ObjectSchema, row: Row | None, path: str) -> Any:
        owner, name, trail = self._resolve(schema, path)
        current_schema = schema
        for hop in trail:
            if row is None:
                return None
            fk, target = current_schema.parents[hop]
            row = self._row(target, row.get(fk))
            current_schema = self.schema(target)
        return None if row is None else row.get(name)

    def _matches(self, schema: ObjectSchema, row: Row, query: Query) -> bool:
        return all(_compare(self._value(schema, row, c.path), c) for c in query.where)

    def _shape(self, schema: ObjectSchema, row: Row, query: Query) -> Row:
        out: Row = {"attributes": {"type": schema.name, "url": self.url_of(schema.name, row["Id"])}}
        for item in query.fields:
            if isinstance(item, Query):
                out[self._child_name(schema, item.object)] = self._children(schema, row, item)
            else:
                self._put(out, schema, row, item)
        return out

    def _put(self, out: Row, schema: ObjectSchema, row: Row, path: str) -> None:
        owner, name, trail = self._resolve(schema, path)
        if not trail and name in schema.blobs:
            has_blob = row.get(name) is not None
            out[name] = f"{self.url_of(schema.name, row['Id'])}/{name}" if has_blob else None
            return
        if not trail:
            out[name] = row.get(name)
            return
        # A parent field nests under the relationship: {"RecordType": {"attributes", field}}.
        node, current, current_row = out, schema, row
        for hop in trail:
            fk, target = current.parents[hop]
            parent_row = self._row(target, current_row.get(fk)) if current_row else None
            if parent_row is None:
                node[hop] = None
                return
            existing = node.get(hop)
            if not isinstance(existing, dict):
                url = self.url_of(target, parent_row["Id"])
                node[hop] = existing = {"attributes": {"type": target, "url": url}}
            node, current, current_row = existing, self.schema(target), parent_row
        node[name] = current_row.get(name) if current_row else None

    def _child_name(self, schema: ObjectSchema, relationship: str) -> str:
        return next(k for k in schema.children if k.lower() == relationship.lower())

    def _children(self, schema: ObjectSchema, row: Row, sub: Query) -> Row | None:
        object_name, fk = self._child(schema, sub.object)
        child_schema = self.schema(object_name)
        self._semi_joins(sub)
        rows = [
            r
            for r in self.tables.get(object_name, [])
            if r.get(fk) == row["Id"] and self._matches(child_schema, r, sub)
        ]
        rows = self._arrange(child_schema, rows, sub)
        if not rows:
            return None  # Salesforce gives null, not an empty list, for no children
        shaped = [self._shape(child_schema, r, sub) for r in rows]
        return {"totalSize": len(shaped), "done": True, "records": shaped}


def _invalid_field(object_name: str, path: str) -> VendorError:
    return VendorError(
        400,
        "INVALID_FIELD",
        f"No such column '{path}' on entity '{object_name}'. If you are attempting to use a "
        "custom field, be sure to append the '__c' after the custom field name. Please "
        "reference your WSDL or the describe call for the appropriate names.",
    )


def _comparable(value: Any, literal: Any) -> tuple[Any, Any]:
    is_time = isinstance(literal, str) and bool(_DATETIME.match(literal) or _DATE.match(literal))
    if is_time and isinstance(value, str) and len(value) > 10:
        return parse_time(value), parse_time(literal)
    return value, literal


def _compare(value: Any, condition: Condition) -> bool:
    if condition.op == "IN":
        return any(_compare(value, Condition(condition.path, "=", v)) for v in condition.value)
    left, right = _comparable(value, condition.value)
    if condition.op == "=":
        return left == right
    if condition.op == "!=":
        return left != right
    if left is None or right is None:
        return False
    try:
        return {
            "<": left < right,
            ">": left > right,
            "<=": left <= right,
            ">=": left >= right,
        }[condition.op]
    except TypeError:
        return False
