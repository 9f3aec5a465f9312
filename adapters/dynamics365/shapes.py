"""Dataverse names the emulator and the renderer share: ids, columns, lookups, custom attributes.

Facts (Dataverse Web API reference, https://learn.microsoft.com/power-apps/developer/data-platform/
webapi/reference/ — systemuser, account, contact, opportunity, opportunityclose, task, phonecall,
appointment, email, annotation, product, opportunityproduct, productpricelevel, processstage, workflow,
transactioncurrency, uom; and .../webapi/query-metadata-web-api for attribute metadata):
- ids are GUIDs; a lookup column `x` is read as `_x_value`, and with
  `Prefer: odata.include-annotations` it carries `_x_value@Microsoft.Dynamics.CRM.lookuplogicalname`
  (which table it points at) and `@OData.Community.Display.V1.FormattedValue` (its name).
- an activity's participants are activityparty rows (`_activityid_value`, `_partyid_value` with
  its lookuplogicalname, `participationtypemask`: 1 sender, 2 to, 5 required attendee,
  6 optional attendee, 7 organizer, 9 owner), reached from the activity as `<type>_activity_parties`
  (https://learn.microsoft.com/power-apps/developer/data-platform/activityparty-entity).
- a note (annotation) hangs on one record (`_objectid_value`, objecttypecode its table); with
  isdocument true it is an attachment: filename, mimetype, filesize and documentbody (base64)
  (https://learn.microsoft.com/power-apps/developer/data-platform/attachment-annotation-files).
- a lead (leadid, subject, its own name and company, Existing Contact/Account as
  `_parentcontactid_value`/`_parentaccountid_value`, estimatedamount, estimatedclosedate).
- custom columns carry the publisher prefix (`new_`); picklist options are integers from
  100000000; a multi-select picklist is read as "100000000,100000002"; a Money column gets a
  `_base` companion (its value in the base currency, `AttributeOf` the column).
"""

from __future__ import annotations

import uuid
from typing import Any

from adapters.core.canonical import CustomFieldDef, Entity, FieldType

NAMESPACE = uuid.UUID("6f1c3c43-7a0e-4d59-9f55-3ad0c1d2e901")
PREFIX = "new_"
OPTION_BASE = 100_000_000
LOGICAL_NAMES: dict[Entity, str] = {
    Entity.organizations: "account",
    Entity.persons: "contact",
    Entity.deals: "opportunity",
    Entity.products: "product",
}
LOOKUP_NAME = "Microsoft.Dynamics.CRM.lookuplogicalname"
FORMATTED = "OData.Community.Display.V1.FormattedValue"
# activityparty.participationtypemask values the renderer writes.
SENDER, TO_RECIPIENT, REQUIRED_ATTENDEE, OPTIONAL_ATTENDEE, ORGANIZER, OWNER = 1, 2, 5, 6, 7, 9

# Columns of each entity set (the emulator answers these and rejects others in $select).
ACTIVITY = (
    "activityid",
    "subject",
    "description",
    "scheduledstart",
    "scheduledend",
    "statecode",
    "statuscode",
    "_regardingobjectid_value",
    "_ownerid_value",
    "modifiedon",
)
# createdon is when the record was made, or for an imported one the overriddencreatedon it was
# given at import (which then keeps the import's own date instead): read createdon.
CREATED = ("createdon", "overriddencreatedon")
COLUMNS: dict[str, tuple[str, ...]] = {
    "systemusers": (
        "systemuserid",
        "fullname",
        "firstname",
        "lastname",
        "internalemailaddress",
        "isdisabled",
        "applicationid",
        "modifiedon",
    ),
    "accounts": (
        "accountid",
        "name",
        "address1_line1",
        "address1_city",
        "address1_country",
        "address1_composite",
        "_ownerid_value",
        "_transactioncurrencyid_value",
        "statecode",
        *CREATED,
        "modifiedon",
    ),
    "contacts": (
        "contactid",
        "firstname",
        "lastname",
        "fullname",
        "emailaddress1",
        "emailaddress2",
        "emailaddress3",
        "telephone1",
        "telephone2",
        "telephone3",
        "mobilephone",
        "_parentcustomerid_value",
        "_ownerid_value",
        "_transactioncurrencyid_value",
        "statecode",
        *CREATED,
        "modifiedon",
    ),
    "workflows": ("workflowid", "name", "category", "type", "primaryentity", "statecode"),
    "processstages": (
        "processstageid",
        "stagename",
        "stagecategory",
        "primaryentitytypecode",
        "_processid_value",
    ),
    "transactioncurrencies": (
        "transactioncurrencyid",
        "isocurrencycode",
        "currencyname",
        "currencysymbol",
    ),
    "uoms": ("uomid", "name", "quantity"),
    "products": (
        "productid",
        "name",
        "productnumber",
        "price",
        "_defaultuomid_value",
        "_transactioncurrencyid_value",
        "statecode",
        "modifiedon",
    ),
    "pricelevels": ("pricelevelid", "name", "_transactioncurrencyid_value"),
    "productpricelevels": (
        "productpricelevelid",
        "amount",
        "_productid_value",
        "_pricelevelid_value",
        "_uomid_value",
        "_transactioncurrencyid_value",
        "modifiedon",
    ),
    "opportunities": (
        "opportunityid",
        "name",
        "estimatedvalue",
        "estimatedclosedate",
        "actualclosedate",
        "statecode",
        "statuscode",
        "processid",
        "stageid",
        "stepname",
        "_parentaccountid_value",
        "_parentcontactid_value",
        "_ownerid_value",
        "_transactioncurrencyid_value",
        "isrevenuesystemcalculated",
        *CREATED,
        "modifiedon",
    ),
    "opportunityproducts": (
        "opportunityproductid",
        "_opportunityid_value",
        "_productid_value",
        "isproductoverridden",
        "productdescription",
        "_uomid_value",
        "quantity",
        "priceperunit",
        "ispriceoverridden",
        "baseamount",
        "volumediscountamount",
        "manualdiscountamount",
        "tax",
        "extendedamount",
        "description",
        "lineitemnumber",
        "_transactioncurrencyid_value",
        "_ownerid_value",
        "modifiedon",
    ),
    # A lead: its own contact details, or (Existing Contact / Existing Account) the records it
    # is for; statecode 0 Open, 1 Qualified, 2 Disqualified.
    "leads": (
        "leadid",
        "subject",
        "firstname",
        "lastname",
        "fullname",
        "companyname",
        "emailaddress1",
        "telephone1",
        "mobilephone",
        "_parentcontactid_value",
        "_parentaccountid_value",
        "estimatedamount",
        "estimatedclosedate",
        "_ownerid_value",
        "_transactioncurrencyid_value",
        "statecode",
        "statuscode",
        *CREATED,
        "modifiedon",
    ),
    "opportunitycloses": (*ACTIVITY, "_opportunityid_value", "actualend"),
    "tasks": (*ACTIVITY, "actualdurationminutes"),
    "phonecalls": (*ACTIVITY, "actualdurationminutes", "phonenumber", "directioncode"),
    "appointments": (*ACTIVITY, "scheduleddurationminutes", "isalldayevent", "location"),
    "emails": (*ACTIVITY, "directioncode"),
    "activityparties": (
        "activitypartyid",
        "_activityid_value",
        "_partyid_value",
        "participationtypemask",
        "addressused",
    ),
    "annotations": (
        "annotationid",
        "subject",
        "notetext",
        "objecttypecode",
        "_objectid_value",
        "_ownerid_value",
        "isdocument",
        # An attachment: its name, type, size in bytes and its bytes base64-encoded.
        "filename",
        "mimetype",
        "filesize",
        "documentbody",
        "createdon",
        "modifiedon",
    ),
}
PRIMARY_KEYS = {name: columns[0] for name, columns in COLUMNS.items()}
ENTITY_TYPES = {
    "systemusers": "systemuser",
    "accounts": "account",
    "contacts": "contact",
    "workflows": "workflow",
    "processstages": "processstage",
    "transactioncurrencies": "transactioncurrency",
    "uoms": "uom",
    "products": "product",
    "pricelevels": "pricelevel",
    "productpricelevels": "productpricelevel",
    "opportunities": "opportunity",
    "opportunityproducts": "opportunityproduct",
    "leads": "lead",
    "opportunitycloses": "opportunityclose",
    "tasks": "task",
    "phonecalls": "phonecall",
    "appointments": "appointment",
    "emails": "email",
    "activityparties": "activityparty",
    "annotations": "annotation",
}
# Single-valued navigation properties: name -> (lookup column, entity set it points at).
NAVIGATION: dict[str, tuple[str, str]] = {
    "transactioncurrencyid": ("_transactioncurrencyid_value", "transactioncurrencies"),
    "defaultuomid": ("_defaultuomid_value", "uoms"),
}
# Collection-valued navigation properties: (entity set, name) -> (child set, child's lookup).
COLLECTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("workflows", "process_processstage"): ("processstages", "_processid_value"),
    # An activity's parties: `<activity logical name>_activity_parties` on each activity type.
    **{
        (entity_set, f"{ENTITY_TYPES[entity_set]}_activity_parties"): (
            "activityparties",
            "_activityid_value",
        )
        for entity_set in ("tasks", "phonecalls", "appointments", "emails")
    },
}


def guid(source_id: str) -> str:
    """A stable GUID for a reference id (the same id gives the same GUID in every account)."""
    return str(uuid.uuid5(NAMESPACE, source_id))


def logical_name(definition: CustomFieldDef) -> str:
    return PREFIX + definition.key.lower()


def option_value(definition: CustomFieldDef, label: str) -> int:
    return OPTION_BASE + definition.options.index(label)


# --- attribute metadata ------------------------------------------------------------------

_TYPES: dict[FieldType, tuple[str, str, str]] = {
    # canonical type -> (@odata.type, AttributeType, AttributeTypeName)
    FieldType.varchar: ("StringAttributeMetadata", "String", "StringType"),
    FieldType.phone: ("StringAttributeMetadata", "String", "StringType"),
    FieldType.text: ("MemoAttributeMetadata", "Memo", "MemoType"),
    FieldType.double: ("DoubleAttributeMetadata", "Double", "DoubleType"),
    FieldType.monetary: ("MoneyAttributeMetadata", "Money", "MoneyType"),
    FieldType.date: ("DateTimeAttributeMetadata", "DateTime", "DateTimeType"),
    FieldType.enum: ("PicklistAttributeMetadata", "Picklist", "PicklistType"),
    FieldType.set: (
        "MultiSelectPicklistAttributeMetadata",
        "Virtual",
        "MultiSelectPicklistType",
    ),
}


def label(text: str) -> dict[str, Any]:
    localized = {"Label": text, "LanguageCode": 1033, "IsManaged": False}
    return {"LocalizedLabels": [localized], "UserLocalizedLabel": localized}


def attribute(
    logical: str,
    display: str,
    kind: FieldType,
    *,
    custom: bool = True,
    attribute_of: str | None = None,
) -> dict[str, Any]:
    """One AttributeMetadata row as the metadata API lists it (OptionSet only when expanded)."""
    odata_type, attribute_type, type_name = _TYPES[kind]
    row: dict[str, Any] = {
        "@odata.type": f"#Microsoft.Dynamics.CRM.{odata_type}",
        "MetadataId": str(uuid.uuid5(NAMESPACE, f"attribute:{logical}")),
        "LogicalName": logical,
        "SchemaName": logical,
        "AttributeType": attribute_type,
        "AttributeTypeName": {"Value": type_name},
        "DisplayName": label(display),
        "IsCustomAttribute": custom,
        "AttributeOf": attribute_of,
    }
    if odata_type == "StringAttributeMetadata":
        row["FormatName"] = {"Value": "Phone" if kind is FieldType.phone else "Text"}
        row["MaxLength"] = 100
    if odata_type == "MemoAttributeMetadata":
        row["Format"] = "TextArea"
        row["MaxLength"] = 2000
    if odata_type == "DateTimeAttributeMetadata":
        row["Format"] = "DateOnly"
        row["DateTimeBehavior"] = {"Value": "DateOnly"}
    return row


def attributes(entity: Entity, fields: list[CustomFieldDef]) -> list[dict[str, Any]]:
    """An entity's attribute metadata: a few built-in columns, then the custom ones; a Money
    column brings its `_base` companion, options sit under `OptionSet` for $expand."""
    rows = [
        attribute("createdon", "Created On", FieldType.date, custom=False),
        attribute("description", "Description", FieldType.text, custom=False),
    ]
    for definition in fields:
        if definition.entity is not entity:
            continue
        logical = logical_name(definition)
        row = attribute(logical, definition.name, definition.field_type)
        if definition.field_type in (FieldType.enum, FieldType.set):
            row["OptionSet"] = {
                "Name": logical,
                "Options": [
                    {"Value": option_value(definition, option), "Label": label(option)}
                    for option in definition.options
                ],
            }
        rows.append(row)
        if definition.field_type is FieldType.monetary:
            base = f"{definition.name} (Base)"
            rows.append(
                attribute(f"{logical}_base", base, FieldType.monetary, attribute_of=logical)
            )
    return rows
