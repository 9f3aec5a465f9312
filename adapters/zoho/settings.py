"""Zoho's metadata answers for the reference company: field definitions per module
(`/settings/fields`), the Deals layout and its pipelines (`/settings/layouts`, `/settings/pipeline`).

A custom field's API name is its label with underscores (Zoho's rule); where that would take a
standard field's name (Accounts' Industry, Employees, Annual_Revenue; Deals' Lead_Source) Zoho
gives the custom one a `_1` suffix. Picklists start with "-None-". Stages are values of the Deals
Stage picklist (with their probability); a pipeline maps some of them, plus Closed Won / Lost.
"""

from __future__ import annotations

import re
from typing import Any

from adapters.core.canonical import CustomFieldDef, Entity, FieldType
from adapters.reference.dataset import ReferenceCompany

MODULES: dict[Entity, str] = {
    Entity.organizations: "Accounts",
    Entity.persons: "Contacts",
    Entity.deals: "Deals",
    Entity.products: "Products",
}
LAYOUT_ID = "5725767000000091055"  # the Deals "Standard" layout
COLOURS = {"Open": "#A9C5F5", "Closed Won": "#A6E5A8", "Closed Lost": "#F0A6A6"}
CLOSED_STAGES = (("Closed Won", 100, "Closed Won"), ("Closed Lost", 0, "Closed Lost"))
# Standard fields a custom field's API name must not take (Zoho suffixes the custom one).
STANDARD_NAMES: dict[str, set[str]] = {
    "Accounts": {"industry", "employees", "annual_revenue"},
    "Contacts": set(),
    "Deals": {"lead_source"},
    "Products": set(),
}
DATA_TYPES: dict[FieldType, str] = {
    FieldType.varchar: "text",
    FieldType.text: "textarea",
    FieldType.double: "double",
    FieldType.monetary: "currency",
    FieldType.date: "date",
    FieldType.enum: "picklist",
    FieldType.set: "multiselectpicklist",
    FieldType.phone: "phone",
}
JSON_TYPES = {"multiselectpicklist": "jsonarray", "double": "double", "currency": "double"}
# Two digits per kind (10-13 are field ids): leads 20, attachments 21.
_PREFIX_CODES = {
    "u": 1, "o": 2, "p": 3, "pl": 4, "s": 5, "pr": 6, "d": 7, "a": 8, "n": 9, "l": 20, "fl": 21,
}  # fmt: skip


def zoho_id(source_id: str) -> str:
    """A 19-digit id, the same for the same reference id: org prefix, kind, number."""
    prefix, number = re.fullmatch(r"([a-z]+)(\d+)", source_id).groups()  # type: ignore[union-attr]
    return f"57257670000{_PREFIX_CODES[prefix]:02d}{int(number):06d}"


def field_id(module: str, index: int) -> str:
    return f"57257670000{10 + list(MODULES.values()).index(module):02d}{index:06d}"


def api_name(module: str, label: str) -> str:
    base = re.sub(r"_+", "_", re.sub(r"[^0-9A-Za-z]+", "_", label)).strip("_")
    return f"{base}_1" if base.lower() in STANDARD_NAMES[module] else base


def pipeline_settings(company: ReferenceCompany) -> list[dict[str, Any]]:
    out = []
    for index, pipeline in enumerate(company.pipelines):
        stages = sorted(
            (s for s in company.stages if s.pipeline_source_id == pipeline.source_id),
            key=lambda s: s.order_nr,
        )
        maps = [
            _stage_map(zoho_id(s.source_id), s.name, n, "Open", "Pipeline")
            for n, s in enumerate(stages, start=1)
        ]
        maps += [
            _stage_map(f"57257670000050000{91 + k}", name, len(maps) + k + 1, kind, kind)
            for k, (name, _, kind) in enumerate(CLOSED_STAGES)
        ]
        out.append(
            {
                "display_value": pipeline.name,
                "actual_value": pipeline.name,
                "default": index == 0,
                "id": zoho_id(pipeline.source_id),
                "child_available": False,
                "maps": maps,
            }
        )
    return out


# --- activities and notes -----------------------------------------------------------


def field_defs(company: ReferenceCompany, entity: Entity, module: str) -> list[dict[str, Any]]:
    standard = [
        _field(module, index, label, name, "text", False)
        for index, (name, label) in enumerate(_STANDARD[module], start=1)
    ]
    custom = [
        _field(
            module,
            index,
            definition.name,
            api_name(module, definition.name),
            "integer" if definition.key == "employees" else DATA_TYPES[definition.field_type],
            True,
            definition,
        )
        for index, definition in enumerate(
            [f for f in company.custom_fields if f.entity is entity], start=100
        )
    ]
    if module == "Deals":
        standard = [stage_field(company, f) if f["api_name"] == "Stage" else f for f in standard]
    return standard + custom


def stage_field(company: ReferenceCompany, stage_field: dict[str, Any]) -> dict[str, Any]:
    """Deals' Stage picklist: every stage of every pipeline, with its probability."""
    values = [(s.name, s.deal_probability or 0, "Open") for s in company.stages]
    options = [
        {
            "display_value": name,
            "actual_value": name,
            "id": f"57257670000050{n:05d}",
            "sequence_number": n,
            "probability": probability,
            "forecast_type": kind,
            "type": "used",
            "colour_code": None,
        }
        for n, (name, probability, kind) in enumerate([*values, *CLOSED_STAGES], start=1)
    ]
    return {**stage_field, "data_type": "picklist", "pick_list_values": options}


_STANDARD: dict[str, tuple[tuple[str, str], ...]] = {
    "Accounts": (("Account_Name", "Account Name"), ("Billing_Street", "Billing Street")),
    "Contacts": (("First_Name", "First Name"), ("Last_Name", "Last Name"), ("Email", "Email")),
    "Deals": (("Deal_Name", "Deal Name"), ("Stage", "Stage")),
    "Products": (("Product_Name", "Product Name"), ("Product_Code", "Product Code")),
}


def _field(
    module: str,
    index: int,
    label: str,
    name: str,
    data_type: str,
    custom: bool,
    definition: CustomFieldDef | None = None,
) -> dict[str, Any]:
    options = list(definition.options) if definition else []
    picklist = data_type in ("picklist", "multiselectpicklist")
    values = (["-None-"] if data_type == "picklist" else []) + options
    return {
        "id": field_id(module, index),
        "api_name": name,
        "field_label": label,
        "display_label": label,
        "column_name": f"CUSTOMFIELD{index}" if custom else name.upper(),
        "data_type": data_type,
        "json_type": JSON_TYPES.get(data_type, "integer" if data_type == "integer" else "string"),
        "custom_field": custom,
        "system_mandatory": False,
        "visible": True,
        "read_only": False,
        "field_read_only": False,
        "length": 255 if data_type in ("text", "phone") else 16 if not picklist else 120,
        "decimal_place": 2 if data_type in ("double", "currency") else None,
        "currency": {"rounding_option": "normal", "precision": 2}
        if data_type == "currency"
        else None,
        "lookup": None,
        "pick_list_values": [
            {
                "display_value": value,
                "actual_value": value,
                "id": field_id(module, 1000 + index * 20 + n),
                "sequence_number": n + 1,
                "type": "used",
                "colour_code": None,
            }
            for n, value in enumerate(values if picklist else [])
        ],
    }


def _stage_map(
    stage_id: str, name: str, sequence: int, forecast_type: str, category: str
) -> dict[str, Any]:
    return {
        "display_value": name,
        "actual_value": name,
        "id": stage_id,
        "sequence_number": sequence,
        "forecast_type": forecast_type,
        "forecast_category": {"name": category, "id": f"572576700000005{len(category):04d}"},
        "colour_code": COLOURS[forecast_type],
    }
