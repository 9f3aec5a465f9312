"""Where Dataverse keeps an entity's custom columns, read as four field catalogs.

`EntityDefinitions(LogicalName='x')/Attributes` lists every column with its AttributeTypeName;
a string's format (Text, Phone...) and a choice's options are only on the derived metadata types,
read by casting the path (`/Microsoft.Dynamics.CRM.PicklistAttributeMetadata`) and expanding
OptionSet (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/
query-metadata-web-api). Companion columns (a Money column's `_base`) name their column in
AttributeOf and are left out.
"""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import Entity, FieldType
from adapters.core.declarative import FieldCatalog
from adapters.core.mapping import Raw, first
from adapters.core.paginators import NextUrl

LOGICAL_NAMES = {
    Entity.organizations: "account",
    Entity.persons: "contact",
    Entity.deals: "opportunity",
    Entity.products: "product",
}
# Attribute types read from the base attribute list; strings and choices come from the casts.
NUMERIC_TYPES: dict[str, FieldType] = {
    "DoubleType": FieldType.double,
    "DecimalType": FieldType.double,
    "IntegerType": FieldType.double,
    "BigIntType": FieldType.double,
    "MoneyType": FieldType.monetary,
    "DateTimeType": FieldType.date,
    "MemoType": FieldType.text,
}
STRING_FORMATS: dict[str, FieldType] = {
    "Text": FieldType.varchar,
    "Email": FieldType.varchar,
    "Url": FieldType.varchar,
    "TickerSymbol": FieldType.varchar,
    "Phone": FieldType.phone,
    "TextArea": FieldType.text,
}
CAST_TYPES = {"StringType", "PicklistType", "MultiSelectPicklistType"}


def catalogs(entity: Entity) -> tuple[FieldCatalog, ...]:
    root = f"/EntityDefinitions(LogicalName='{LOGICAL_NAMES[entity]}')/Attributes"
    wanted = "LogicalName,DisplayName,IsCustomAttribute,AttributeOf,AttributeTypeName"

    def custom(raw: Raw) -> bool:
        return bool(raw.get("IsCustomAttribute")) and not raw.get("AttributeOf")

    def options(raw: Raw) -> list[tuple[str, str]]:
        found = (raw.get("OptionSet") or {}).get("Options") or []
        return [(str(o["Value"]), str(o["Label"]["UserLocalizedLabel"]["Label"])) for o in found]

    common: dict[str, Any] = {
        "key": "LogicalName",
        "name": first("DisplayName.UserLocalizedLabel.Label", "LogicalName"),
        "records": "value",
        "paginator": NextUrl(next_url_path="@odata.nextLink"),
    }
    choices = {"$select": wanted, "$expand": "OptionSet($select=Options)"}
    return (
        FieldCatalog(
            entity,
            root,
            type="AttributeTypeName.Value",
            types=NUMERIC_TYPES,
            is_custom=lambda raw: (
                custom(raw) and raw["AttributeTypeName"]["Value"] not in CAST_TYPES
            ),
            params={"$select": wanted},
            **common,
        ),
        FieldCatalog(
            entity,
            root + "/Microsoft.Dynamics.CRM.StringAttributeMetadata",
            type="FormatName.Value",
            types=STRING_FORMATS,
            is_custom=custom,
            params={"$select": wanted + ",FormatName"},
            **common,
        ),
        FieldCatalog(
            entity,
            root + "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
            type="AttributeTypeName.Value",
            types={"PicklistType": FieldType.enum},
            is_custom=custom,
            options=options,
            params=choices,
            **common,
        ),
        FieldCatalog(
            entity,
            root + "/Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata",
            type="AttributeTypeName.Value",
            types={"MultiSelectPicklistType": FieldType.set},
            is_custom=custom,
            options=options,
            params=choices,
            **common,
        ),
    )
