"""Rails' typed XML (ActiveSupport's `to_xml`, as Highrise and other Rails-era APIs answer):
read into plain values for the declarative engine, and written by emulators.

Reading (`typed_xml`, a `SourceSpec.decode`) takes xmltodict's mapping (decoders.xml) and turns
`nil="true"` into None, `type="integer"` into an int, `"float"`/`"decimal"` into a float,
`"boolean"` into a bool, `"datetime"`/`"date"` into their text, and a list into a list of its
items (of one, or of none: None for an empty one): a `type="array"` container, or one that
holds only elements named as its singular (`<people><person>`, `<addresses><address>`: how
Rails names a collection's items, marked as an array or not). Any other `type` (a record's
class, as in `<party type="Person">`) stays as "@type" beside the record's fields. A page's
records are then `rows_of` it (an answer without its container is unreadable), and Rails' error
bodies (`<errors><error>...</error></errors>`) are read by `error_text`.

Writing (`element`) is the inverse for an emulator's rows: a list is a container of its items,
each named by the container's singular, marked `type="array"` unless the container is one of
`unmarked`; a dict an element ("@x" keys its attributes), a bool or int typed so, an `id`,
`*-id` or `*_id` an integer, `*-at` a datetime, `*-on` a date, None an empty element with
`nil="true"`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import httpx

from adapters.core.decoders import xml
from adapters.core.errors import UnreadableResponse

CASTS: dict[str, Callable[[str], Any]] = {
    "integer": int,
    "float": float,
    "decimal": float,
    "boolean": lambda value: value.strip() == "true",
    "datetime": str.strip,
    "date": str.strip,
}
IRREGULAR = {"people": "person"}
SUFFIXES = (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh"), ("s", ""))


def singular(name: str) -> str:
    """A collection's item element, as Rails names it (ActiveSupport's singularize, for the
    names APIs use): people -> person, parties -> party, email-addresses -> email-address."""
    if name in IRREGULAR:
        return IRREGULAR[name]
    for plural, one in SUFFIXES:
        if name.endswith(plural):
            return name[: -len(plural)] + one
    return name


def typed(node: Any, name: str = "") -> Any:
    """xmltodict's reading of typed XML (element `name`) in plain values (see the module
    docstring)."""
    if isinstance(node, list):
        return [typed(item, name) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("@nil") == "true":
        return None
    kind = node.get("@type")
    children = [key for key in node if not key.startswith("@")]
    if kind == "array" or (children == [singular(name)] and children != [name]):
        found: list[tuple[str, Any]] = []
        for key in children:
            value = node[key]
            found += [(key, item) for item in (value if isinstance(value, list) else [value])]
        return [typed(item, key) for key, item in found]
    if kind in CASTS:
        value = node.get("#text")
        return None if value is None else CASTS[kind](value)
    return {key: typed(value, key) for key, value in node.items()}


def typed_xml(*, lists: tuple[str, ...] = ()) -> Callable[[httpx.Response], Any]:
    """A decoder of typed XML; `lists` as for decoders.xml (elements always read as lists)."""
    read = xml(lists=lists)
    return lambda response: typed(read(response))


def rows_of(root: str) -> Callable[[Any], list[dict[str, Any]]]:
    """The records of a page (`Stream.rows`): the list `<root>`; an answer without that
    container is not the list asked for (an error, not an empty page)."""

    def rows(body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, dict) or root not in body:
            raise UnreadableResponse(f"no <{root}> list in the answer")
        found = body[root]
        return [row for row in found or [] if isinstance(row, dict)]

    return rows


def error_text(response: httpx.Response) -> str:
    """What a Rails error says (`SourceSpec.error_text`): its `<error>`s, else the body's text
    or the status line."""
    try:
        body = response.json()  # the client's decoding of the XML
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    errors = body.get("errors") if isinstance(body, dict) else None
    return "; ".join(str(e) for e in errors or []) or response.reason_phrase


def kind_of(name: str, value: Any) -> str:
    """The `type` an element gets, from its value and its name."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or name == "id" or name.endswith(("-id", "_id")):
        return "integer"
    if name.endswith("-at"):
        return "datetime"
    return "date" if name.endswith("-on") else ""


def element(name: str, value: Any, unmarked: Collection[str] = ()) -> str:
    """A value as typed XML (see the module docstring)."""
    if isinstance(value, list):
        marked = "" if name in unmarked else ' type="array"'
        inner = "".join(element(singular(name), item, unmarked) for item in value)
        return f"<{name}{marked}>{inner}</{name}>"
    if isinstance(value, dict):
        attrs = "".join(f" {k[1:]}={quoteattr(str(v))}" for k, v in value.items() if k[0] == "@")
        inner = "".join(element(k, v, unmarked) for k, v in value.items() if k[0] != "@")
        return f"<{name}{attrs}>{inner}</{name}>"
    kind = kind_of(name, value)
    typed_as = f' type="{kind}"' if kind else ""
    if value is None:
        return f'<{name}{typed_as} nil="true"/>'
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f"<{name}{typed_as}>{escape(text)}</{name}>"
