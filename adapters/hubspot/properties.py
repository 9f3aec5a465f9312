"""HubSpot property definitions (`/crm/v3/properties/{type}`) for the emulator: a few of
HubSpot's own (`hubspotDefined: true`) and the company's custom ones, in HubSpot's type pairs
(`type`/`fieldType`). Option values are internal names apart from the labels users see."""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import CustomFieldDef, FieldType
from adapters.reference.dataset import REFERENCE_DATE

Raw = dict[str, Any]

STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00.000Z"
COMPANY_CURRENCY = "EUR"
ADDITIONAL_CURRENCIES = ("USD", "PLN")
# HubSpot's own property names a custom property may not take; ours get a suffix.
BUILT_IN = {"companies": {"industry", "name", "phone", "address"}}
PROPERTY_TYPES = {
    FieldType.varchar: ("string", "text"),
    FieldType.text: ("string", "textarea"),
    FieldType.phone: ("string", "phonenumber"),
    FieldType.double: ("number", "number"),
    FieldType.monetary: ("number", "number"),
    FieldType.date: ("date", "date"),
    FieldType.enum: ("enumeration", "select"),
    FieldType.set: ("enumeration", "checkbox"),
}


def property_name(object_type: str, key: str) -> str:
    return f"{key}_custom" if key in BUILT_IN.get(object_type, set()) else key


def option_value(definition: CustomFieldDef, index: int) -> str:
    """Options have an internal value apart from the label users see."""
    return f"{definition.key}_{index + 1}"


# --- property definitions ----------------------------------------------------------------------


def _definition(name: str, label: str, kind: tuple[str, str], **extra: Any) -> Raw:
    return {
        "name": name,
        "label": label,
        "type": kind[0],
        "fieldType": kind[1],
        "description": "",
        "groupName": "ferry",
        "options": [],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": False,
        "hidden": False,
        "formField": True,
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "archived": False,
        **extra,
    }


def built_in_properties(kind: str) -> list[Raw]:
    """A few of HubSpot's own properties, so that a client must tell them from custom ones."""
    names = {
        "companies": [
            ("name", "Company name"),
            ("industry", "Industry"),
            ("address", "Street Address"),
        ],
        "contacts": [("firstname", "First Name"), ("email", "Email"), ("phone", "Phone Number")],
        "deals": [("dealname", "Deal Name"), ("amount", "Amount"), ("closedate", "Close Date")],
        "products": [("name", "Name"), ("price", "Unit price"), ("hs_sku", "SKU")],
    }[kind]
    out = [_definition(n, label, ("string", "text"), hubspotDefined=True) for n, label in names]
    if kind == "products":
        out += [
            _definition(f"hs_price_{c.lower()}", f"Unit price ({c})", ("number", "number"),
                        hubspotDefined=True)
            for c in (COMPANY_CURRENCY, *ADDITIONAL_CURRENCIES)
        ]  # fmt: skip
    return out


def custom_property(kind: str, field: CustomFieldDef) -> Raw:
    options = [
        {"label": label, "value": option_value(field, i), "displayOrder": i, "hidden": False}
        for i, label in enumerate(field.options)
    ]
    name = property_name(kind, field.key)
    return _definition(name, field.name, PROPERTY_TYPES[field.field_type], options=options)
