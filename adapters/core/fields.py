"""Custom field values in the canonical typing, whatever shape a source stores them in.

A source reads its field definitions once; `SourceField` keeps what is needed to read a value
back: the canonical definition and a map from the vendor's option ids to labels. Sources store
choices as option ids, labels, `{id, label}` objects, lists, or one string joined with a
separator (Salesforce "a;b", SugarCRM "^a^,^b^"); `canonical_value` takes them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.core.canonical import CustomFieldDef, FieldType


@dataclass(frozen=True)
class SourceField:
    definition: CustomFieldDef
    labels: dict[str, str] = field(default_factory=dict)  # option id (as a string) -> label
    separator: str = ","  # how a multi-choice value stored as one string is joined
    quote: str = ""  # a character wrapped around each choice in such a string (SugarCRM's ^)


def _float(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, dict):
        value = value.get("value", value.get("amount"))
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _choice(field: SourceField, value: Any) -> str | None:
    """One choice as its label: an option id, a label, or an object holding either."""
    if isinstance(value, dict):
        for key in ("label", "name", "value", "display_value", "id"):
            if value.get(key) not in (None, ""):
                value = value[key]
                break
        else:
            return None
    text = str(value).strip().strip(field.quote) if field.quote else str(value).strip()
    if text in field.labels:
        return field.labels[text]
    options = field.definition.options
    if not options or text in options:
        return text or None
    return None  # neither a known id nor a known label: nothing we can carry faithfully


def _choices(field: SourceField, value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        items: list[Any] = list(value)
    elif isinstance(value, str):
        items = [part for part in value.split(field.separator) if part.strip(field.quote + " ")]
    else:
        items = [value]
    labels = [_choice(field, item) for item in items]
    return [label for label in labels if label]


def _monetary(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        amount = _float(value.get("value", value.get("amount")))
        currency = value.get("currency") or value.get("currency_code")
    else:
        amount, currency = _float(value), None
    return None if amount is None else {"value": amount, "currency": currency}


def canonical_value(field: SourceField, value: Any) -> Any:
    """A stored value in the canonical typing; None when there is nothing to carry."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    kind = field.definition.field_type
    if kind is FieldType.double:
        return _float(value)
    if kind is FieldType.monetary:
        return _monetary(value)
    if kind is FieldType.date:
        return str(value)[:10]
    if kind is FieldType.enum:
        labels = _choices(field, value)
        return labels[0] if labels else None
    if kind is FieldType.set:
        return _choices(field, value) or None
    if isinstance(value, dict):  # phone/text objects some APIs wrap as {value: ...}
        value = value.get("value")
    return None if value in (None, "") else str(value)


def canonical_custom_fields(
    values: dict[str, Any], fields: dict[str, SourceField]
) -> dict[str, Any]:
    """`values` keyed by the source's field key -> the canonical `custom_fields` of a record."""
    out = {}
    for key, definition in fields.items():
        value = canonical_value(definition, values.get(key))
        if value is not None:
            out[key] = value
    return out


@dataclass(frozen=True)
class ValueStyle:
    """How a vendor stores custom values, for `vendor_value`: each choice as `option` makes it
    (its label by default), several joined by `joined` (None: a list), numbers and amounts as
    text when `numbers_as_text`, amounts as {value, currency} objects when `amount_object`."""

    option: Callable[[CustomFieldDef, str], Any] = lambda definition, label: label
    joined: str | None = None
    quote: str = ""
    numbers_as_text: bool = False
    amount_object: bool = False


def vendor_value(definition: CustomFieldDef, value: Any, style: ValueStyle = ValueStyle()) -> Any:
    """A canonical value as the vendor stores it: the inverse of `canonical_value` for a
    source that reads it with the matching `SourceField`."""
    if value is None:
        return None
    kind = definition.field_type
    if kind is FieldType.enum:
        return style.option(definition, value)
    if kind is FieldType.set:
        choices = [f"{style.quote}{style.option(definition, v)}{style.quote}" for v in value]
        return style.joined.join(choices) if style.joined is not None else choices
    if kind is FieldType.monetary:
        amount = value["value"]
        if style.amount_object:
            return {"value": amount, "currency": value.get("currency")}
        return _number_text(amount) if style.numbers_as_text else amount
    if kind is FieldType.double:
        return _number_text(value) if style.numbers_as_text else value
    return str(value)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
