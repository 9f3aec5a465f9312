"""The emulated org's objects: what SOQL may name, and `describe` answers built from it."""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import Entity, FieldType
from adapters.salesforce.records import (
    CONTACT_EMAIL_FIELDS,
    CUSTOM_OBJECTS,
    PREFIXES,
    SF_TYPES,
    api_name,
)
from adapters.salesforce.soql import ObjectSchema

_OWNED = {"Owner": ("OwnerId", "User")}
_STANDARD: dict[str, tuple[str, ...]] = {
    "User": ("Id", "Name", "FirstName", "LastName", "Email", "Username", "IsActive", "UserType"),
    "Account": ("Id", "Name", "BillingStreet", "BillingCity", "BillingState",
                "BillingPostalCode", "BillingCountry", "OwnerId", "CurrencyIsoCode", "CreatedDate"),
    "Contact": ("Id", "FirstName", "LastName", "Name", "Email", "Phone", "MobilePhone",
                "HomePhone", "OtherPhone", "AccountId", "OwnerId", "CurrencyIsoCode",
                "CreatedDate"),
    "BusinessProcess": ("Id", "Name", "TableEnumOrId", "IsActive"),
    "RecordType": ("Id", "Name", "DeveloperName", "SobjectType", "BusinessProcessId",
                   "IsActive"),
    "OpportunityStage": ("Id", "ApiName", "MasterLabel", "SortOrder", "DefaultProbability",
                         "IsActive", "IsClosed", "IsWon", "ForecastCategoryName"),
    "Product2": ("Id", "Name", "ProductCode", "QuantityUnitOfMeasure", "IsActive",
                 "CurrencyIsoCode"),
    "Pricebook2": ("Id", "Name", "IsStandard", "IsActive"),
    "PricebookEntry": ("Id", "Pricebook2Id", "Product2Id", "UnitPrice", "CurrencyIsoCode",
                       "IsActive"),
    "Opportunity": ("Id", "Name", "Amount", "CurrencyIsoCode", "StageName", "CloseDate",
                    "IsClosed", "IsWon", "AccountId", "OwnerId", "RecordTypeId", "Pricebook2Id",
                    "HasOpportunityLineItem", "CreatedDate"),
    "OpportunityLineItem": ("Id", "OpportunityId", "Product2Id", "PricebookEntryId", "Name",
                            "ProductCode", "Quantity", "UnitPrice", "ListPrice", "Subtotal",
                            "Discount", "TotalPrice", "Description", "SortOrder", "ServiceDate",
                            "CurrencyIsoCode"),
    "OpportunityContactRole": ("Id", "OpportunityId", "ContactId", "IsPrimary", "Role"),
    "OpportunityHistory": ("Id", "OpportunityId", "StageName", "CreatedDate"),
    "Task": ("Id", "Subject", "Type", "TaskSubtype", "ActivityDate", "Status", "IsClosed",
             "Priority", "Description", "WhoId", "WhatId", "AccountId", "OwnerId",
             "CallDurationInSeconds"),
    "Event": ("Id", "Subject", "Type", "ActivityDate", "ActivityDateTime", "DurationInMinutes",
              "IsAllDayEvent", "Description", "WhoId", "WhatId", "AccountId", "OwnerId"),
    "Note": ("Id", "Title", "Body", "ParentId", "OwnerId", "IsPrivate", "CreatedDate"),
    "ContentNote": ("Id", "Title", "Content", "TextPreview", "OwnerId", "CreatedDate",
                    "LastModifiedDate", "ContentModifiedDate", "ContentSize", "FileType",
                    "FileExtension", "IsReadOnly", "SharingPrivacy", "LatestPublishedVersionId"),
    "ContentDocumentLink": ("Id", "ContentDocumentId", "LinkedEntityId", "ShareType",
                            "Visibility", "IsDeleted"),
    "ContentDocument": ("Id", "Title", "FileExtension", "FileType", "ContentSize", "OwnerId",
                        "CreatedDate", "LatestPublishedVersionId", "PublishStatus",
                        "SharingPrivacy", "IsArchived"),
    "ContentVersion": ("Id", "ContentDocumentId", "Title", "PathOnClient", "FileExtension",
                       "FileType", "ContentSize", "VersionNumber", "IsLatest", "OwnerId",
                       "CreatedDate", "FirstPublishLocationId", "VersionData"),
    "EventRelation": ("Id", "EventId", "RelationId", "AccountId", "IsInvitee", "IsParent",
                      "IsWhat", "IsDeleted", "Status", "Response", "RespondedDate"),
    "Lead": ("Id", "FirstName", "LastName", "Name", "Company", "Email", "Phone", "MobilePhone",
             "Street", "City", "State", "PostalCode", "Country", "Status", "LeadSource",
             "IsConverted", "ConvertedDate", "ConvertedAccountId", "ConvertedContactId",
             "ConvertedOpportunityId", "OwnerId", "CurrencyIsoCode", "CreatedDate"),
}  # fmt: skip
_NO_MODSTAMP = {"ContentNote"}  # ContentNote has LastModifiedDate, no SystemModstamp
_ID_FILTERS = {"ContentDocumentLink": ("ContentDocumentId", "LinkedEntityId")}
_BLOBS = {"ContentNote": ("Content",), "ContentVersion": ("VersionData",)}
_TYPES = {"Content": "base64", "VersionData": "base64", "Street": "textarea",
          "VersionNumber": "string", "ContentSize": "int", "LastModifiedDate": "datetime",
          "ContentModifiedDate": "datetime", "ShareType": "picklist", "Visibility": "picklist",
          "SharingPrivacy": "picklist", "HasOpportunityLineItem": "boolean",
          "Quantity": "double", "Discount": "percent", "SortOrder": "int",
          "RespondedDate": "datetime", "Response": "string"}  # fmt: skip
_PARENTS: dict[str, dict[str, tuple[str, str]]] = {
    "Account": _OWNED,
    "Contact": {**_OWNED, "Account": ("AccountId", "Account")},
    "RecordType": {"BusinessProcess": ("BusinessProcessId", "BusinessProcess")},
    "PricebookEntry": {
        "Pricebook2": ("Pricebook2Id", "Pricebook2"),
        "Product2": ("Product2Id", "Product2"),
    },
    "Opportunity": {
        **_OWNED,
        "Account": ("AccountId", "Account"),
        "RecordType": ("RecordTypeId", "RecordType"),
        "Pricebook2": ("Pricebook2Id", "Pricebook2"),
    },
    "OpportunityLineItem": {
        "Opportunity": ("OpportunityId", "Opportunity"),
        "Product2": ("Product2Id", "Product2"),
        "PricebookEntry": ("PricebookEntryId", "PricebookEntry"),
    },
    "OpportunityContactRole": {"Contact": ("ContactId", "Contact")},
    "Task": _OWNED,
    "Event": _OWNED,
    "EventRelation": {"Event": ("EventId", "Event")},
    "Note": _OWNED,
    "ContentNote": _OWNED,
    "Lead": _OWNED,
    "ContentDocumentLink": {"ContentDocument": ("ContentDocumentId", "ContentDocument")},
    "ContentDocument": {
        **_OWNED,
        "LatestPublishedVersion": ("LatestPublishedVersionId", "ContentVersion"),
    },
    "ContentVersion": {**_OWNED, "ContentDocument": ("ContentDocumentId", "ContentDocument")},
}
_CHILDREN: dict[str, dict[str, tuple[str, str]]] = {
    "Account": {
        "Contacts": ("Contact", "AccountId"),
        "Opportunities": ("Opportunity", "AccountId"),
    },
    "Opportunity": {
        "OpportunityContactRoles": ("OpportunityContactRole", "OpportunityId"),
        "OpportunityHistories": ("OpportunityHistory", "OpportunityId"),
        "OpportunityLineItems": ("OpportunityLineItem", "OpportunityId"),
    },
    "Product2": {"PricebookEntries": ("PricebookEntry", "Product2Id")},
    "Event": {"EventRelations": ("EventRelation", "EventId")},
}


def custom_fields(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Object -> its custom field descriptions (name, label, type, picklist values)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for raw in tables.get("_custom_fields", []):
        field_type = FieldType(raw["field_type"])
        out.setdefault(CUSTOM_OBJECTS[Entity(raw["entity"])], []).append(
            {
                "name": api_name(raw["key"]),
                "label": raw["name"],
                "type": SF_TYPES[field_type],
                "options": raw["options"],
            }
        )
    # The org's extra e-mail fields on Contact are part of its setup, data or not.
    for name, label, _ in CONTACT_EMAIL_FIELDS:
        out.setdefault("Contact", []).append(
            {"name": name, "label": label, "type": "email", "options": []}
        )
    return out


def schemas_for(tables: dict[str, list[dict[str, Any]]]) -> dict[str, ObjectSchema]:
    extra = custom_fields(tables)
    return {
        name: ObjectSchema(
            name=name,
            fields=(
                *fields,
                *(() if name in _NO_MODSTAMP else ("SystemModstamp",)),
                *(f["name"] for f in extra.get(name, [])),
            ),
            parents=_PARENTS.get(name, {}),
            children=_CHILDREN.get(name, {}),
            id_filter=_ID_FILTERS.get(name, ()),
            blobs=_BLOBS.get(name, ()),
        )
        for name, fields in _STANDARD.items()
    }


def _standard_type(name: str) -> str:
    if name in _TYPES:
        return _TYPES[name]
    if name == "Id":
        return "id"
    if name.endswith("Id"):
        return "reference"
    if name.startswith("Is"):
        return "boolean"
    if name in ("SystemModstamp", "CreatedDate", "ActivityDateTime"):
        return "datetime"
    if name.endswith("Date"):
        return "date"
    if name in ("Amount", "UnitPrice", "ListPrice", "Subtotal", "TotalPrice"):
        return "currency"
    if name in ("StageName", "Type", "TaskSubtype", "Status", "CurrencyIsoCode", "LeadSource"):
        return "picklist"
    return "string"


def _field(name: str, label: str, kind: str, custom: bool, options: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": kind,
        "custom": custom,
        "nillable": name != "Id",
        "length": 255 if kind in ("string", "email", "phone") else 0,
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": o, "validFor": None, "value": o}
            for o in options
        ],
    }


def describe(
    schemas: dict[str, ObjectSchema], tables: dict[str, list[dict[str, Any]]], name: str
) -> dict[str, Any] | None:
    schema = schemas.get(name)
    if schema is None:
        return None
    custom = {f["name"]: f for f in custom_fields(tables).get(name, [])}
    fields = [
        _field(f, custom[f]["label"], custom[f]["type"], True, custom[f]["options"])
        if f in custom
        else _field(f, f, _standard_type(f), False, [])
        for f in schema.fields
    ]
    return {
        "name": name,
        "label": name,
        "custom": False,
        "keyPrefix": PREFIXES.get(name),
        "queryable": True,
        "fields": fields,
        "childRelationships": [
            {"relationshipName": rel, "childSObject": child, "field": fk}
            for rel, (child, fk) in schema.children.items()
        ],
    }
