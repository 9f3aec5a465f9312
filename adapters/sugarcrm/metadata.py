"""The `/metadata` document of the sandbox instance: field definitions per module (vardefs) and
the dropdown lists (`app_list_strings`).

Sugar facts: each module's `fields` is an object keyed by field name; a definition has `name`,
`vname` (a label key), `type` (varchar, text, int, decimal, float, currency, date, datetime,
enum, multienum, phone, relate, id...), `options` naming an `app_list_strings` list for
dropdowns; Studio fields also carry `source: "custom_fields"`, `custom_module`, and their label
as `labelValue`. The sales stages are the `sales_stage_dom` list, their default probabilities
`sales_probability_dom` (keyed by stage).
"""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import CustomFieldDef, FieldType
from adapters.reference.dataset import ReferenceCompany
from adapters.sugarcrm.naming import (
    CLOSED_LOST,
    CLOSED_WON,
    MODULES,
    PROBABILITY_LIST,
    STAGE_LIST,
    custom_name,
    dropdown_keys,
    option_list,
)

SUGAR_TYPES: dict[FieldType, str] = {
    FieldType.varchar: "varchar",
    FieldType.text: "text",
    FieldType.double: "decimal",
    FieldType.monetary: "currency",
    FieldType.date: "date",
    FieldType.enum: "enum",
    FieldType.set: "multienum",
    FieldType.phone: "phone",
}
STOCK_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "Accounts": (("name", "name"), ("billing_address_street", "text"), ("industry", "enum")),
    "Contacts": (("first_name", "varchar"), ("last_name", "varchar"), ("email", "email")),
    "ProductTemplates": (("name", "name"), ("mft_part_num", "varchar"), ("weight", "decimal")),
    "Opportunities": (("name", "name"), ("amount", "currency"), ("sales_stage", "enum")),
}
STOCK_OPTIONS = {"industry": "industry_dom", "sales_stage": STAGE_LIST}


def metadata(company: ReferenceCompany) -> dict[str, Any]:
    lists: dict[str, dict[str, str]] = {"industry_dom": {"": "", "Other": "Other"}}
    lists.update(_stage_lists(company))
    modules: dict[str, Any] = {}
    for entity, module in MODULES.items():
        fields = {name: _stock(name, kind) for name, kind in STOCK_FIELDS[module]}
        for field in company.custom_fields:
            if field.entity is entity:
                fields[custom_name(field.key)] = _custom(field, module)
                if field.options:
                    keys = dropdown_keys(field.options)
                    lists[option_list(field.key)] = {
                        "": "",
                        **{keys[label]: label for label in field.options},
                    }
        modules[module] = {"fields": fields, "_hash": f"{module.lower()}-hash"}
    return {"_hash": "sandbox-metadata", "modules": modules, "app_list_strings": lists}


def _stage_lists(company: ReferenceCompany) -> dict[str, dict[str, Any]]:
    """Every stage of every pipeline in the one dropdown, then the two closed stages."""
    keys = dropdown_keys([stage.name for stage in company.stages])
    stages = {keys[s.name]: s.name for s in company.stages}
    probabilities: dict[str, Any] = {
        keys[s.name]: str(s.deal_probability) for s in company.stages if s.deal_probability
    }
    stages.update({CLOSED_WON: CLOSED_WON, CLOSED_LOST: CLOSED_LOST})
    probabilities.update({CLOSED_WON: "100", CLOSED_LOST: "0"})
    return {STAGE_LIST: stages, PROBABILITY_LIST: probabilities}


def _stock(name: str, kind: str) -> dict[str, Any]:
    definition: dict[str, Any] = {"name": name, "vname": f"LBL_{name.upper()}", "type": kind}
    if name in STOCK_OPTIONS:
        definition["options"] = STOCK_OPTIONS[name]
    return definition


def _custom(field: CustomFieldDef, module: str) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": custom_name(field.key),
        "vname": f"LBL_{field.key.upper()}",
        "labelValue": field.name,
        "type": SUGAR_TYPES[field.field_type],
        "source": "custom_fields",
        "custom_module": module,
        "required": False,
    }
    if field.options:
        definition["options"] = option_list(field.key)
        definition["isMultiSelect"] = field.field_type is FieldType.set
    if field.field_type is FieldType.double:
        definition.update(len=18, precision=2)
    return definition
