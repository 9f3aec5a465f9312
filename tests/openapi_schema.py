"""OpenAPI 3.0 schemas as JSON Schema, so a test can check an emulator's answers against a
vendor's spec with `jsonschema.validate`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Fixup = Callable[[dict[str, Any]], None]


def to_json_schema(
    node: Any, spec: dict[str, Any], seen: tuple[str, ...] = (), fixup: Fixup | None = None
) -> Any:
    """Resolve `$ref`s (a recursive one accepts anything below it) and turn `nullable: true` into
    a union with null. `fixup` may correct, in place, each converted schema object where a spec
    contradicts its own descriptions."""
    if isinstance(node, list):
        return [to_json_schema(item, spec, seen, fixup) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            return {}
        target: Any = spec
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return to_json_schema(target, spec, (*seen, ref), fixup)
    converted = {key: to_json_schema(value, spec, seen, fixup) for key, value in node.items()}
    if converted.pop("nullable", False):
        if isinstance(converted.get("type"), str):
            converted["type"] = [converted["type"], "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    if fixup:
        fixup(converted)
    return converted
