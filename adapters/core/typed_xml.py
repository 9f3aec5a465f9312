"""Rails' typed XML (ActiveSupport's `to_xml`, as Highrise and other Rails-era APIs answer):
read into plain values for the declarative engine, and written by emulators.

Reading (`typed_xml`, a `SourceSpec.decode`) takes xmltodict's mapping (decoders.xml) and turns
`nil="true"` into None, `type="integer"` into an int, `"float"`/`"decimal"` into a float,
`"boolean"` into a bool, `"datetime"`/`"date"` into their text, and a `type="array"` container
into the list of its items (of one, or of none). Any other `type` (a record's class, as in
`<party type="Person">`) stays as "@type" beside the record's fields.

Records are then read with `items` (a container's items, as a list whether it holds one, several
or none) and `rows_of` (a page's records; an answer without its container is unreadable), and
Rails' error bodies (`<errors><error>...</error></errors>`) by `error_text`.

Writing (`element`) is the inverse for an emulator's rows: a list is a container (its items'
element and whether it is marked `type="array"` from `children`), a dict an element ("@x" keys
its attributes), a bool or int typed so, an `id`, `*-id` or `*_id` an integer, `*-at` a
datetime, `*-on` a date, None an empty element with `nil="true"`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
Children = Mapping[str, tuple[str, bool]]  # container -> (its items' element, type="array")


def typed(node: Any) -> Any:
    """xmltodict's reading of typed XML in plain values (see the module docstring)."""
    if isinstance(node, list):
        return [typed(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("@nil") == "true":
        return None
    kind = node.get("@type")
    if kind == "array":
        items: list[Any] = []
        for key, value in node.items():
            if not key.startswith("@"):
                items += value if isinstance(value, list) else [value]
        return [typed(item) for item in items]
    if kind in CASTS:
        value = node.get("#text")
        return None if value is None else CASTS[kind](value)
    return {key: typed(value) for key, value in node.items()}


def typed_xml(*, lists: tuple[str, ...] = ()) -> Callable[[httpx.Response], Any]:
    """A decoder of typed XML; `lists` as for decoders.xml (elements always read as lists)."""
    read = xml(lists=lists)
    return lambda response: typed(read(response))


def items(node: Any, item: str) -> list[Any]:
    """The items of a container: a list (an array), or the `item` elements inside it."""
    if isinstance(node, dict):
        node = node.get(item)
    if node in (None, ""):
        return []
    return node if isinstance(node, list) else [node]


def rows_of(root: str, item: str) -> Callable[[Any], list[dict[str, Any]]]:
    """The records of a page (`Stream.rows`): the `item` elements of `<root>`; an answer
    without that container is not the list asked for (an error, not an empty page)."""

    def rows(body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, dict) or root not in body:
            raise UnreadableResponse(f"no <{root}> list in the answer")
        return [row for row in items(body[root], item) if isinstance(row, dict)]

    return rows


def error_text(response: httpx.Response) -> str:
    """What a Rails error says (`SourceSpec.error_text`): its `<error>`s, else the body's text
    or the status line."""
    try:
        body = response.json()  # the client's decoding of the XML
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    errors = items(body.get("errors") if isinstance(body, dict) else None, "error")
    return "; ".join(str(e) for e in errors) or response.reason_phrase


def kind_of(name: str, value: Any) -> str:
    """The `type` an element gets, from its value and its name."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or name == "id" or name.endswith(("-id", "_id")):
        return "integer"
    if name.endswith("-at"):
        return "datetime"
    return "date" if name.endswith("-on") else ""


def element(name: str, value: Any, children: Children) -> str:
    """A value as typed XML (see the module docstring)."""
    if isinstance(value, list):
        child, array = children[name]
        return container(name, child, value, array, children)
    if isinstance(value, dict):
        attrs = "".join(f" {k[1:]}={quoteattr(str(v))}" for k, v in value.items() if k[0] == "@")
        inner = "".join(element(k, v, children) for k, v in value.items() if k[0] != "@")
        return f"<{name}{attrs}>{inner}</{name}>"
    kind = kind_of(name, value)
    typed_as = f' type="{kind}"' if kind else ""
    if value is None:
        return f'<{name}{typed_as} nil="true"/>'
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f"<{name}{typed_as}>{escape(text)}</{name}>"


def container(name: str, child: str, items: list[Any], array: bool, children: Children) -> str:
    marked = ' type="array"' if array else ""
    inner = "".join(element(child, item, children) for item in items)
    return f"<{name}{marked}>{inner}</{name}>"
