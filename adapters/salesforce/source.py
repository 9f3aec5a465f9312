"""Salesforce as a source: every entity is a SOQL query, followed batch by batch.

Vendor facts relied on (REST API Developer Guide, SOQL reference, Object Reference):
- REST root `{My Domain}/services/data/vNN.0/`, `Authorization: Bearer <access token>` from the
  OAuth2 refresh-token grant at `{My Domain}/services/oauth2/token` (form-encoded).
- `GET /query?q=SOQL` -> {totalSize, done, records, nextRecordsUrl}; `nextRecordsUrl` is a path
  on the instance, followed until done. totalSize counts the whole result in one request.
- SOQL has no "all fields" without LIMIT 200 (FIELDS(ALL|CUSTOM) must be bounded), so custom
  fields are named one by one after `GET /sobjects/{Object}/describe` (custom: true, `__c`).
  Changed records: `WHERE SystemModstamp > <dateTime>`.
- Multi-select picklists store values joined by ";"; a currency field is a bare number in the
  record's CurrencyIsoCode.
- Contact has one Email; further addresses live in custom fields of type email, carried here as
  the person's other e-mails (labelled from the field's label), not as custom fields.
- Pipelines are sales processes (BusinessProcess); which stages a process offers is per record
  type: `GET /ui-api/object-info/Opportunity/picklist-values/{recordTypeId}/StageName`. Closed
  stages are Pipedrive's won/lost status, not stages: a closed opportunity is placed in the
  stage it left, read from its OpportunityHistory. A stage's id here is "<process>:<stage>".
- An org without a sales process (no Opportunity RecordType with a BusinessProcessId; common in
  small orgs) uses the master StageName picklist (OpportunityStage) for every opportunity: it
  becomes one pipeline, "master", whose stages are the active open OpportunityStage values.
- Notes are classic Notes (one ParentId, a Body of at most 32,000 characters) and, in orgs with
  enhanced notes, ContentNotes (069), read whole: a ContentNote sits on each record a
  ContentDocumentLink links it to (ContentDocumentLink must be queried by LinkedEntityId or
  ContentDocumentId: `IN (SELECT Id FROM Account)`, a query per parent object), its rows are
  read by `Id IN (...)`, and its Content (the text, whole) is a blob that a query names by path
  only: `GET /sobjects/ContentNote/{id}/Content` answers its bytes, one request per note (a blob
  cannot be read in bulk nor ride in a Composite request); its ContentSize is the body's size in
  bytes. ContentNote has LastModifiedDate, no SystemModstamp.
- Line items are OpportunityLineItem, all of them in one query (batches of 2,000): the
  opportunity (OpportunityId), the product (Product2Id, API 30.0+), Quantity, UnitPrice (the
  sales price), Discount (a percent, null when none) and Description; there is no tax.
- Tasks (00T) and Events (00U) are both activities; ids carry the object prefix, so they never
  collide. WhoId is a contact (003) or lead; WhatId an account (001) or opportunity (006).
- An Event's further people are EventRelation rows (EventId, RelationId, IsInvitee, IsParent,
  IsWhat): with Shared Activities, up to 50 related contacts (IsParent) besides the WhoId, and
  invitees (IsInvitee: contacts, leads, users, resources). All of them are one SOQL list, read
  once and joined to the Events by EventId; the contacts and leads other than WhoId are the
  participants. (TaskRelation would carry a Task's, but a Task is never a meeting.)
- Account, Contact and Opportunity carry the audit field CreatedDate (dateTime, read-only,
  e.g. "2024-03-05T09:12:00.000+0000"): the records' original creation times (add_time).
- Leads (unconverted Lead rows) and files (ContentDocument/ContentVersion through their
  ContentDocumentLinks, the bytes at ContentVersion's VersionData): see content.py.
- Errors are [{"message", "errorCode"}]; 401 INVALID_SESSION_ID is a dead token; 403
  REQUEST_LIMIT_EXCEEDED is the org's daily API limit, not a credential problem.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.core.auth import CredentialField, TokenExchangeAuth, oauth2_refresh
from adapters.core.canonical import Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    Detail,
    FieldCatalog,
    ForEach,
    Join,
    SourceSpec,
    Stream,
)
from adapters.core.mapping import (
    const,
    contact_points,
    joined,
    minutes_hhmm,
    number,
    ref,
    text,
    utc_time,
)
from adapters.core.paginators import NextUrl
from adapters.salesforce.content import FILE_STREAM, FILES, lead_streams
from adapters.salesforce.getters import (
    MASTER_PIPELINE,
    MASTER_PIPELINE_NAME,
    activity_org,
    activity_type,
    closed_on,
    deal_pipeline,
    deal_stage,
    deal_status,
    event_day,
    event_duration,
    event_participants,
    event_time,
    id_with_prefix,
    linked_with_prefix,
    phones,
    prices,
    primary_contact,
)
from adapters.salesforce.runtime import (
    API,
    API_VERSION,
    DERIVED,
    EVENT_RELATIONS,
    LOOKUPS,
    NOTE_BATCHES,
    NOTE_LINKS,
    PROCESS_TABLES,
    SALES_PROCESSES,
    Soql,
    add_emails,
    is_email,
    only_without_processes,
    soql_stream,
    stages_per_process,
)

__all__ = ["API", "API_VERSION", "SPEC", "auth_from"]
FIELD_TYPES = {
    "string": FieldType.varchar,
    "email": FieldType.varchar,  # outside Contact, an extra address is kept as text
    "url": FieldType.varchar,
    "textarea": FieldType.text,
    "double": FieldType.double,
    "percent": FieldType.double,
    "int": FieldType.double,
    "currency": FieldType.monetary,
    "date": FieldType.date,
    "picklist": FieldType.enum,
    "multipicklist": FieldType.set,
    "phone": FieldType.phone,
}
CUSTOM_OBJECTS = {
    Entity.organizations: "Account",
    Entity.persons: "Contact",
    Entity.deals: "Opportunity",
    Entity.products: "Product2",
}


OWNER = {"owner_source_id": ref("OwnerId")}
OPEN_STAGES = ("IsActive = true", "IsClosed = false")
ACTIVITY_LINKS = {
    "deal_source_id": id_with_prefix("WhatId", "006"),
    "person_source_id": id_with_prefix("WhoId", "003"),
    "lead_source_id": id_with_prefix("WhoId", "00Q"),
    "org_source_id": activity_org,
    **OWNER,
}
CONTENT_NOTES = (
    "SELECT Id, Title, OwnerId, CreatedDate, LastModifiedDate, ContentSize FROM ContentNote "
    "WHERE Id IN ({ids}){since} ORDER BY Id"
)


def whole_body(raw: Any, response: httpx.Response) -> bool:
    """A blob is bytes, not JSON: its ContentSize (bytes) tells a body cut short."""
    size = raw.get("ContentSize")
    return not isinstance(size, int) or len(response.content) == size


def content_note_stream() -> Stream:
    """Enhanced notes, whole: the linked ContentNotes a batch of ids per query, then each one's
    body by the blob endpoint; its parents are the records it is linked to."""
    return Stream(
        Entity.notes,
        API + "/query",
        {
            "source_id": "Id",
            "content": lambda raw: raw.get("_body") or raw.get("Title") or "",
            "deal_source_id": linked_with_prefix("_links", "006"),
            "person_source_id": linked_with_prefix("_links", "003"),
            "org_source_id": linked_with_prefix("_links", "001"),
            "lead_source_id": linked_with_prefix("_links", "00Q"),
            **OWNER,
            "add_time": utc_time("CreatedDate"),
        },
        paginator=NextUrl("nextRecordsUrl"),
        records="records",
        params={"q": CONTENT_NOTES.format(ids="{ids}", since="")},
        changed_since=ChangedSince(
            "q", CONTENT_NOTES.format(ids="{{ids}}", since=" AND LastModifiedDate > {iso}")
        ),
        for_each=ForEach(NOTE_BATCHES, {"ids": "ids"}),
        joins=(Join(NOTE_LINKS, on="Id", into="_links"),),
        # The vendor serves a note's body only by itself: one request per ContentNote.
        detail=Detail(
            API + "/sobjects/ContentNote/{id}/Content",
            {"id": "Id"},
            "_body",
            read=lambda response: response.content.decode("utf-8"),
            complete=whole_body,
        ),
    )


STREAMS: tuple[Stream, ...] = (
    soql_stream(
        Entity.users,
        Soql("User", ("Id", "Name", "Email", "IsActive"), ("UserType = 'Standard'",)),
        {"source_id": "Id", "name": "Name", "email": text("Email"), "active": "IsActive"},
    ),
    soql_stream(
        Entity.organizations,
        Soql(
            "Account",
            (
                "Id",
                "Name",
                "BillingStreet",
                "BillingCity",
                "BillingState",
                "BillingPostalCode",
                "BillingCountry",
                "OwnerId",
                "CurrencyIsoCode",
                "CreatedDate",
            ),
        ),
        {
            "source_id": "Id",
            "name": "Name",
            **OWNER,
            "add_time": utc_time("CreatedDate"),
            "address": joined(
                "BillingStreet",
                "BillingPostalCode",
                "BillingCity",
                "BillingState",
                "BillingCountry",
                sep=", ",
            ),
        },
    ),  # fmt: skip
    soql_stream(
        Entity.persons,
        Soql(
            "Contact",
            (
                "Id",
                "Name",
                "FirstName",
                "LastName",
                "Email",
                "Phone",
                "MobilePhone",
                "HomePhone",
                "OtherPhone",
                "AccountId",
                "OwnerId",
                "CurrencyIsoCode",
                "CreatedDate",
            ),
        ),
        {
            "source_id": "Id",
            "name": "Name",
            "first_name": text("FirstName"),
            "last_name": text("LastName"),
            "emails": contact_points("Email"),
            "phones": phones,
            "org_source_id": ref("AccountId"),
            **OWNER,
            "add_time": utc_time("CreatedDate"),
        },
        needs=("email_fields",),
        amend=add_emails,
    ),  # fmt: skip
    soql_stream(
        Entity.pipelines,
        Soql("BusinessProcess", ("Id", "Name"), ("TableEnumOrId = 'Opportunity'",)),
        {"source_id": "Id", "name": "Name"},
    ),
    soql_stream(
        Entity.pipelines,
        # No object stands for the master picklist: its first open stage says it has stages.
        Soql("OpportunityStage", ("Id",), OPEN_STAGES, order="SortOrder", limit=1),
        {"source_id": const(MASTER_PIPELINE), "name": const(MASTER_PIPELINE_NAME)},
        total=None,  # listed only without sales processes: counted as it is read
        needs=PROCESS_TABLES,
        select=only_without_processes,
    ),
    soql_stream(
        Entity.stages,
        Soql(
            "OpportunityStage",
            ("Id", "ApiName", "MasterLabel", "SortOrder", "DefaultProbability"),
            OPEN_STAGES,
            order="SortOrder",
        ),
        {
            "source_id": joined("_process", "ApiName", sep=":"),
            "name": "MasterLabel",
            "pipeline_source_id": "_process",
            "order_nr": "SortOrder",
            "deal_probability": number("DefaultProbability"),
        },
        total=None,  # a stage may sit in several processes: count what is read
        needs=PROCESS_TABLES,
        select=stages_per_process,
    ),  # fmt: skip
    soql_stream(
        Entity.products,
        Soql(
            "Product2",
            ("Id", "Name", "ProductCode", "QuantityUnitOfMeasure", "CurrencyIsoCode"),
            subqueries=(
                "SELECT UnitPrice, CurrencyIsoCode FROM PricebookEntries "
                "WHERE Pricebook2.IsStandard = true AND IsActive = true",
            ),
        ),
        {
            "source_id": "Id",
            "name": "Name",
            "code": text("ProductCode"),
            "unit": text("QuantityUnitOfMeasure"),
            "prices": prices,
        },
    ),  # fmt: skip
    soql_stream(
        Entity.deals,
        Soql(
            "Opportunity",
            (
                "Id",
                "Name",
                "Amount",
                "CurrencyIsoCode",
                "StageName",
                "CloseDate",
                "IsClosed",
                "IsWon",
                "AccountId",
                "OwnerId",
                "RecordType.BusinessProcessId",
                "CreatedDate",
            ),
            subqueries=(
                "SELECT ContactId FROM OpportunityContactRoles WHERE IsPrimary = true",
                "SELECT StageName, CreatedDate FROM OpportunityHistories",
            ),
        ),
        {
            "source_id": "Id",
            "title": "Name",
            "value": number("Amount"),
            "currency": lambda raw: (
                raw.get("CurrencyIsoCode") if raw.get("Amount") is not None else None
            ),
            "status": deal_status,
            "person_source_id": primary_contact,
            "org_source_id": ref("AccountId"),
            "pipeline_source_id": deal_pipeline,
            "stage_source_id": deal_stage,
            **OWNER,
            "expected_close_date": text("CloseDate"),
            "won_time": closed_on("won"),
            "lost_time": closed_on("lost"),
            "add_time": utc_time("CreatedDate"),
        },
        # Every SOQL record names its type: the org's sales processes for opportunities.
        joins=(Join(SALES_PROCESSES.name, on="attributes.type", into="_sales_processes"),),
    ),  # fmt: skip
    soql_stream(
        Entity.deal_products,
        Soql(
            "OpportunityLineItem",
            (
                "Id",
                "OpportunityId",
                "Product2Id",
                "Quantity",
                "UnitPrice",
                "Discount",
                "Description",
                "CurrencyIsoCode",
            ),
        ),
        {
            "source_id": "Id",
            "deal_source_id": "OpportunityId",
            "product_source_id": "Product2Id",
            "item_price": number("UnitPrice"),
            "quantity": number("Quantity"),
            "discount": lambda raw: float(raw.get("Discount") or 0.0),
            "comments": text("Description"),
        },
    ),  # fmt: skip
    soql_stream(
        Entity.activities,
        Soql(
            "Task",
            (
                "Id",
                "Subject",
                "Type",
                "TaskSubtype",
                "ActivityDate",
                "IsClosed",
                "Description",
                "WhoId",
                "WhatId",
                "AccountId",
                "OwnerId",
                "CallDurationInSeconds",
            ),
        ),
        {
            "source_id": "Id",
            "subject": text("Subject"),
            "type": activity_type("task"),
            "due_date": text("ActivityDate"),
            "done": "IsClosed",
            "note": text("Description"),
            "duration": minutes_hhmm("CallDurationInSeconds", unit_seconds=1),
            **ACTIVITY_LINKS,
        },
    ),  # fmt: skip
    soql_stream(
        Entity.activities,
        Soql(
            "Event",
            (
                "Id",
                "Subject",
                "Type",
                "ActivityDate",
                "ActivityDateTime",
                "DurationInMinutes",
                "IsAllDayEvent",
                "Description",
                "WhoId",
                "WhatId",
                "AccountId",
                "OwnerId",
            ),
        ),
        {
            "source_id": "Id",
            "subject": text("Subject"),
            "type": activity_type("meeting"),
            "due_date": event_day,
            "due_time": event_time,
            "duration": event_duration,
            "done": lambda raw: False,
            "note": text("Description"),
            "participant_source_ids": event_participants,
            **ACTIVITY_LINKS,
        },
        joins=(Join(EVENT_RELATIONS.name, on="Id", into="_relations"),),
    ),  # fmt: skip
    soql_stream(
        Entity.notes,
        Soql("Note", ("Id", "Title", "Body", "ParentId", "OwnerId", "CreatedDate")),
        {
            "source_id": "Id",
            "content": lambda raw: raw.get("Body") or raw.get("Title") or "",
            "deal_source_id": id_with_prefix("ParentId", "006"),
            "person_source_id": id_with_prefix("ParentId", "003"),
            "org_source_id": id_with_prefix("ParentId", "001"),
            "lead_source_id": id_with_prefix("ParentId", "00Q"),
            **OWNER,
            "add_time": utc_time("CreatedDate"),
        },
    ),  # fmt: skip
    content_note_stream(),
    *lead_streams(),
    FILE_STREAM,
)


def _catalog(entity: Entity, object_name: str) -> FieldCatalog:
    contact = entity is Entity.persons  # Contact's e-mail fields are carried as e-mails
    return FieldCatalog(
        entity,
        f"{API}/sobjects/{object_name}/describe",
        key="name",
        name="label",
        type="type",
        types=FIELD_TYPES,
        records="fields",
        is_custom=lambda raw: bool(raw.get("custom")) and not (contact and is_email(raw)),
        options=lambda raw: [(v["value"], v["label"]) for v in raw.get("picklistValues") or []],
        separator=";",
        rows_of="contact_fields" if contact else None,  # read once, e-mail fields and all
    )


def error_text(response: httpx.Response) -> str:
    """[{"message", "errorCode"}] from the REST API, {"error", "error_description"} from OAuth."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return f"{body[0].get('errorCode')}: {body[0].get('message')}"
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("error") or response.reason_phrase)
    return response.reason_phrase


def error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    first = body[0] if isinstance(body, list) and body else None
    return first.get("errorCode") if isinstance(first, dict) else None


def is_auth_failure(response: httpx.Response) -> bool:
    """401 is a dead session; a 403 is refused access, unless it is the daily API limit."""
    if response.status_code == 401:
        return True
    return response.status_code == 403 and error_code(response) != "REQUEST_LIMIT_EXCEEDED"


def limit_spent(response: httpx.Response) -> float | None:
    """The org's API limit counts requests over a rolling 24 hours; an hour's pause lets part of
    the window roll off before the session tries again."""
    if response.status_code == 403 and error_code(response) == "REQUEST_LIMIT_EXCEEDED":
        return 3600.0
    return None


def auth_from(credentials: dict[str, str], base_url: str) -> TokenExchangeAuth:
    return oauth2_refresh(
        base_url.rstrip("/") + "/services/oauth2/token",
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        refresh_token=credentials["refresh_token"],
    )


SPEC = SourceSpec(
    name="Salesforce",
    streams=STREAMS,
    check=AccountCheck(
        "/services/oauth2/userinfo",
        {
            "organization_id": "organization_id",
            "user_id": "user_id",
            "user_name": "name",
            "user_email": "email",
            "username": "preferred_username",
        },
    ),
    field_catalogs=tuple(_catalog(entity, name) for entity, name in CUSTOM_OBJECTS.items()),
    lookups=LOOKUPS,
    derived=DERIVED,
    error_text=error_text,
    is_auth_failure=is_auth_failure,
    budget_spent=limit_spent,
    files=FILES,
    id="salesforce",
    # Each org has its own My Domain host, so there is no default base URL; the OAuth token
    # endpoint lives on that same host.
    credentials=(
        CredentialField("client_id", "Connected app consumer key", secret=False),
        CredentialField("client_secret", "Connected app consumer secret"),
        CredentialField("refresh_token", "OAuth refresh token"),
    ),
    auth=auth_from,
)
