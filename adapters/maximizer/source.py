"""Maximizer CRM (the Octopus API) as a source for the declarative engine: POSTed `Read` bodies
paged by `OrderBy.PageKey`, failures a negative `Code` in a 200, base64 keys that tell their kind,
UDFs from `Schema` and `FieldOptions` (the vendor facts and their sources: the emulator's).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from adapters.core.asked_fields import asked_fields
from adapters.core.auth import CredentialField, TokenExchangeAuth
from adapters.core.body_code import CodeInBody
from adapters.core.canonical import Entity, FieldType
from adapters.core.contact_slots import Slots
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    FileContent,
    Lookup,
    PostRead,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.field_options import OptionedFields, prefixed_values
from adapters.core.listed import first_of, numbered
from adapters.core.mapping import (
    Getter,
    Raw,
    between,
    first,
    joined,
    lookup,
    number,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.naming import lead_title
from adapters.core.paginators import CursorInBody

DEFAULT_BASE_URL = "https://api.maximizer.com/octopus"
CODES = CodeInBody("Maximizer")
COMPATIBILITY = {"AbEntryKey": "2.0", "SchemaObject": "1.0"}
STATUS = {"In Progress": "open", "Won": "won", "Lost": "lost", "Abandoned": "lost"}
UDF_TYPES = {
    "StringField": FieldType.varchar,
    "NumericField": FieldType.double,
    "DateTimeField": FieldType.date,
    "EnumField<StringItem>": FieldType.enum,
    "EnumField<StringItem>[]": FieldType.set,
}
LOGIN = {"Database": "database", "UID": "uid", "Password": "password"}  # field: credential
CLOUD = {"VendorId": "vendor_id", "AppKey": "app_key"}  # Maximizer Cloud's too
PERSON_KINDS = ("Individual", "Contact")
UDF_OBJECTS = {  # where an entity's UDFs are, and the entries they apply to
    Entity.organizations: ("AbEntry", ("Company",)),
    Entity.persons: ("AbEntry", PERSON_KINDS),
    Entity.deals: ("Opportunity", ("Opportunity",)),
}
EMAILS = Slots("Address", ("Email1", "Email2", "Email3"))  # each {Address, Description, Default}
PHONES = Slots("Number", ("Phone1", "Phone2", "Phone3", "Phone4"))
LEAD_EMAIL, LEAD_PHONES = Slots("Address", ("Email",)), Slots("Number", ("Phone1", "Phone2"))
STAMPS = ("CreationDate", "LastModifyDate")  # asked for on every read but the users'


def maximizer_auth(credentials: dict[str, str], base_url: str) -> TokenExchangeAuth:
    """`Authenticate` with the address book and user (on the cloud also VendorId and AppKey); the
    token in `Data.Token` goes as a bearer, one refused renewed by a new login."""
    cloud = credentials.get("vendor_id") or credentials.get("app_key")
    names = {**LOGIN, **(CLOUD if cloud else {})}
    return TokenExchangeAuth(
        f"{base_url.rstrip('/')}/Authenticate",
        {field: credentials.get(name, "") for field, name in names.items()},
        secret_keys=("Password", "AppKey"),
        as_json=True,
        token_field="Data.Token",
        expired=CODES.token_refused,
    )


def read(obj: str, fields: tuple[str, ...], search: Mapping[str, Any] | None = None) -> PostRead:
    """A `Read` of `obj`: its fields and the UDFs named in the params (`udfs`), what changed
    since `since` when given; the engine adds PageKey and PageSize under OrderBy."""

    def build(params: Mapping[str, Any], state: RunState) -> dict[str, Any]:
        scope = {name: 1 for name in (*fields, *params.get("udfs", ()))}
        query = [dict(search)] if search else []
        if params.get("since"):
            query.append({"LastModifyDate": {"$GT": params["since"]}})
        where = query[0] if len(query) == 1 else ({"$AND": query} if query else {})
        order = {"Fields": [{"CreationDate": "ASC"}]} if "CreationDate" in fields else {}
        body = {"Scope": {"Fields": scope}, "Criteria": {"SearchQuery": where}, "OrderBy": order}
        return {obj: body, "Compatibility": COMPATIBILITY}

    return PostRead(build, page_into=f"{obj}.OrderBy")


def kind(key: Any) -> str | None:
    """A key's kind (its first part: Company, Individual, Contact, Lead, Opportunity...)."""
    try:
        return base64.b64decode(str(key)).decode().split("\t")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None


def key_of(field: str, *kinds: str) -> Getter:
    """The key in `field` (or the first of a list there) naming an entry of one of `kinds`."""
    return first_of(field, lambda key: kind(key) in kinds)


def stream(
    entity: Entity,
    obj: str,
    fields: dict[str, Getter],
    search: Mapping[str, Any] | None = None,
    *,
    udfs: bool = False,
    stamps: bool = True,
    changes: bool = True,
    **extra: Any,
) -> Stream:
    """A stream of `obj` by PageKey, asking for what its mapping (and `keep`) reads."""
    paginator = CursorInBody(
        cursor_path=f"{obj}.PageKey", cursor_param="PageKey", limit_param="PageSize", limit=100
    )
    reads = asked_fields(ref("Key"), *fields.values(), *filter(None, [extra.get("keep")]))
    return Stream(
        entity,
        "/Read",
        {"source_id": ref("Key"), **fields},
        paginator=paginator,
        rows=CODES.rows(f"{obj}.Data"),
        post=read(obj, (*reads, *(STAMPS if stamps else ())), search),
        query=(lambda params, run: {**params, "udfs": sorted(run.custom)}) if udfs else None,
        custom_values=prefixed_values("Udf/") if udfs else None,
        changed_since=ChangedSince("since") if stamps and changes else None,
        **extra,
    )


def _own(raw: Raw) -> str | None:
    """A lead's company is its own, under the lead's key (when it names one)."""
    return str(raw["Key"]) if raw.get("CompanyName") else None


NAMES = {"first_name": text("FirstName"), "last_name": text("LastName")}
NAMES["name"] = joined("FirstName", "LastName")
LEAD_AS: dict[Entity, dict[str, Getter]] = {  # a lead, and its own person and company
    Entity.leads: {
        "title": lambda raw: lead_title(NAMES["name"](raw), raw.get("CompanyName")),
        "person_source_id": ref("Key"),
        "org_source_id": _own,
        "add_time": utc_time("CreationDate"),
    },
    Entity.persons: {**NAMES, "emails": LEAD_EMAIL, "phones": LEAD_PHONES, "org_source_id": _own},
    Entity.organizations: {"name": text("CompanyName"), "address": text("Address.AddressLine1")},
}


def _open_lead(entity: Entity) -> Any:
    """Leads not converted (a converted one is its entry); as companies, those naming one."""
    company = entity is Entity.organizations
    return lambda raw: not raw.get("AbEntryKey") and (not company or bool(raw.get("CompanyName")))


PARENT = {  # a note's or document's one parent
    "deal_source_id": key_of("ParentKey", "Opportunity"),
    "person_source_id": key_of("ParentKey", *PERSON_KINDS),
    "org_source_id": key_of("ParentKey", "Company"),
    "lead_source_id": key_of("ParentKey", "Lead"),
}
STREAMS = (
    stream(
        Entity.users,
        "User",
        {
            "name": text("DisplayName"),
            "email": text("Email1.Address"),
            "active": lambda raw: not raw.get("Disabled"),
        },
        stamps=False,
    ),
    stream(
        Entity.organizations,
        "AbEntry",
        {
            "name": text("CompanyName"),
            "address": text("Address.AddressLine1"),
            "owner_source_id": ref("AccountManager"),
        },
        {"Type": {"$EQ": "Company"}},
        udfs=True,
    ),
    stream(
        Entity.persons,
        "AbEntry",
        {
            **NAMES,
            "emails": EMAILS,
            "phones": PHONES,
            "org_source_id": key_of("ParentKey", "Company"),
            "owner_source_id": ref("AccountManager"),
        },
        {"Type": {"$IN": list(PERSON_KINDS)}},
        udfs=True,
    ),
    *(
        stream(entity, "Lead", {**f, "owner_source_id": ref("AssignedTo")}, keep=_open_lead(entity))
        for entity, f in LEAD_AS.items()
    ),
    stream(Entity.pipelines, "SalesProcessSetup", {"name": text("Description")}, changes=False),
    stream(
        Entity.stages,
        "SalesStageSetup",
        {
            "name": text("Description"),
            "pipeline_source_id": ref("SalesProcessSetupKey"),
            "order_nr": "_order",
            "deal_probability": "ProbabilityClose",
        },
        changes=False,
        select=numbered("_order", "SalesProcessSetupKey"),
    ),
    stream(
        Entity.deals,
        "Opportunity",
        {
            "title": text("Objective"),
            "value": number("ForecastRevenue"),
            "status": lookup("Status.DisplayValue", STATUS, "open"),
            "org_source_id": key_of("AbEntryKey", "Company"),
            "person_source_id": first("ContactKey", key_of("AbEntryKey", *PERSON_KINDS)),
            "pipeline_source_id": ref("SalesProcessSetupKey"),
            "stage_source_id": ref("SalesStageSetupKey"),
            "owner_source_id": ref("Leader"),
            "expected_close_date": utc_date("CloseDate"),
        },
        udfs=True,
    ),
    stream(
        Entity.activities,
        "Task",
        {
            "subject": lambda raw: raw.get("Activity") or "",
            "type": lambda raw: (raw.get("Category") or ["task"])[0],
            "due_date": utc_date("DateTime"),  # a day, or a moment
            "due_time": utc_hhmm("DateTime"),
            "done": lambda raw: bool(raw.get("Completed")),
            "note": text("Description"),
            "owner_source_id": ref("AssignedTo"),
            "deal_source_id": ref("WithKey"),
            "person_source_id": key_of("AbEntryKey", *PERSON_KINDS),
            "org_source_id": key_of("AbEntryKey", "Company"),
            "lead_source_id": ref("LeadKey"),
        },
    ),
    stream(
        Entity.activities,
        "Appointment",
        {
            "subject": lambda raw: raw.get("Subject") or "",
            "type": text("Category"),
            "due_date": utc_date("StartDate"),
            "due_time": utc_hhmm("StartDate"),
            "duration": between("StartDate", "EndDate"),
            "note": text("Description"),
            "owner_source_id": ref("Organizer"),
            "deal_source_id": ref("WithKey"),
            "person_source_id": key_of("AbEntries", *PERSON_KINDS),
            "org_source_id": key_of("AbEntries", "Company"),
        },
    ),
    stream(
        Entity.notes,
        "Note",
        {
            "content": lambda raw: raw.get("Text") or "",
            "add_time": utc_time("DateTime"),
            "owner_source_id": ref("Creator"),
            **PARENT,
        },
    ),
    stream(
        Entity.files,
        "Document",
        {
            "name": lambda raw: f"{raw.get('Name') or ''}{raw.get('Ext') or ''}",
            "size": "Size",
            "content_ref": ref("Key"),
            "add_time": utc_time("DateTime"),
            **PARENT,
        },
        {"Type": {"$IN": [1, 3, 7]}},  # Maximizer documents, e-mails, others: bytes held
        stamps=False,
    ),
)


def _udf(definition: Raw) -> str:
    return str(definition["Key"]).split("/", 2)[2]  # "/AbEntry/Udf/$TYPEID(1)" -> "Udf/..."


def _items(obj: str) -> Lookup:
    """The items of `obj`'s table UDFs, in one FieldOptions read, by their UDF's Schema key."""

    def build(params: Mapping[str, Any], state: RunState) -> dict[str, Any]:
        defs = state["udf_defs"].values()
        tables = [_udf(d) for d in defs if d.get("HasOption") and d["Key"].startswith(f"/{obj}/")]
        options = {name: [{"Key": 1, "Name": 1}] for name in tables}
        return {obj: {"FieldOptions": options}, "Compatibility": COMPATIBILITY}

    def rows(body: Any) -> list[Raw]:
        found = CODES.rows(f"{obj}.FieldOptions", dict)(body)
        return [{"_udf": f"/{obj}/{name}", **i} for name, items in found.items() for i in items]

    post = PostRead(build)
    return Lookup(
        f"{obj}_items", "/Read", "_udf", None, many=True, rows=rows, post=post, needs=("udf_defs",)
    )


UDF_TREES = {"$OR": [{"Key": {"$TREE": f"/{obj}/Udf"}} for obj in ("AbEntry", "Opportunity")]}
SCHEMA = read("Schema", ("Key", "Name", "Type", "AppliesTo", "HasOption", "Attributes"), UDF_TREES)
UDFS = OptionedFields("udfs", "udf_defs", ("AbEntry_items", "Opportunity_items"), "Key", "Name")


def _catalog(entity: Entity) -> Any:
    obj, applies = UDF_OBJECTS[entity]

    def custom(raw: Raw) -> bool:
        return str(raw["Key"]).startswith(f"/{obj}/") and bool({*raw["AppliesTo"]} & {*applies})

    def multi(raw: Raw) -> str:
        return str(raw["Type"]) + ("[]" if (raw.get("Attributes") or {}).get("MultiSelect") else "")

    return UDFS.catalog(entity, _udf, "Name", multi, UDF_TYPES, custom)


SPEC = SourceSpec(
    name="Maximizer CRM",
    streams=STREAMS,
    check=AccountCheck(
        "/GetSessionInfo",
        {
            "database": "AddressBook.Database",
            "user_id": "User.Key.Uid",
            "user_name": "User.DisplayName",
        },
        body={
            "AddressBook": {"Database": 1, "DisplayValue": 1},
            "User": {"Key": {"Value": 1, "Uid": 1}, "DisplayName": 1},
        },
    ),
    field_catalogs=tuple(_catalog(entity) for entity in UDF_OBJECTS),
    lookups=(
        Lookup("udf_defs", "/Read", "Key", None, rows=CODES.rows("Schema.Data"), post=SCHEMA),
        _items("AbEntry"),
        _items("Opportunity"),
    ),
    derived=(UDFS.derived,),
    is_auth_failure=CODES.is_auth_failure,
    error_text=CODES.error_text,
    id="maximizer",
    # The address book, a user enabled for service access, their password; cloud: the app's keys.
    credentials=(
        CredentialField("database", "Database (address book)", secret=False),
        CredentialField("uid", "User ID", secret=False),
        CredentialField("password", "Password"),
        CredentialField("vendor_id", "Vendor ID (cloud)", secret=False, required=False),
        CredentialField("app_key", "App key (cloud)", required=False),
    ),
    auth=maximizer_auth,
    default_base_url=DEFAULT_BASE_URL,
    files=FileContent(path=lambda key: f"/BinaryDownload/{key}"),  # the document's bytes
)
