"""HubSpot (CRM API v3) as a source, described for the shared declarative engine.

Vendor facts the description relies on (developers.hubspot.com/docs, see the emulator):
- `https://api.hubapi.com`, `Authorization: Bearer <private app access token>`.
- Lists: `GET /crm/v3/objects/{type}?limit=<=100&after=...`, `{"results": [...], "paging":
  {"next": {"after", "link"}}}`, no `paging` on the last page. A record is `{id, properties,
  createdAt, updatedAt, archived, associations}`; only the properties named in `properties=`
  come back (custom ones too), every value a string. `associations=contacts,companies` adds
  `associations.<type>.results[{id, type}]`. `propertiesWithHistory=` adds each property's past
  values, newest first, and caps a page at 50 records.
- Owners: `/crm/v3/owners`; deactivated ones only with `archived=true`.
- Deal pipelines: `/crm/v3/pipelines/deals`, stages inline with `metadata.isClosed` and
  `metadata.probability` ("1.0" closed won, "0.0" closed lost): a deal's status is its stage's.
- Property definitions: `/crm/v3/properties/{type}` (not paged); HubSpot's own carry
  `hubspotDefined: true`. Multi-select (checkbox) values are joined with ";".
- Engagements (calls, meetings, tasks, e-mails) are separate object types whose ids may be
  equal across types: their source ids are prefixed with the type.
- Products: `price` is in the company currency (`/account-info/v3/details`), and accounts with
  several currencies have `hs_price_{currency}` per currency.
- 429: `{"errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING" | "DAILY", ...}` with
  `X-HubSpot-RateLimit-Interval-Milliseconds` and no Retry-After; the daily limit resets at
  midnight (of the account's time zone).
- An engagement (a meeting, a call) may be associated with several contacts: they are all in
  its `associations.contacts` list, and HubSpot marks none as the main one. The first is the
  activity's person, the others (each once: a pair may be listed under several association
  types) the persons taking part besides.
- Line items: `/crm/v3/objects/line_items` with `associations=deals` (type 20,
  `line_item_to_deal`), one list for every deal's: `price` per unit, `quantity`,
  `hs_discount_percentage` or `discount` (an amount off each unit), `hs_tax_rate` (percent, the
  tax library rate named by `hs_tax_rate_group_id`), `description`, `hs_product_id`. A custom
  line item (no `hs_product_id`) or one on no deal (a quote's) is not a deal product.
- Leads (`/crm/v3/objects/leads`): `hs_lead_name`, `hs_lead_label` (one option, read as the
  lead's one label through `/crm/v3/properties/leads/hs_lead_label`), `hubspot_owner_id`,
  `createdate`; their contact and company by association. A lead in the Qualified stage has
  become a deal (which carries it) and is not read. Notes and engagements name their lead in
  `associations.leads`.
- Files: engagements name their attachments in `hs_attachment_ids` (file ids joined with ";").
  A note on a record whose body is empty and that has attachments is how HubSpot attaches a file
  to a record: it is read as those files on the note's record, not as a note; the attachments of
  a call, meeting, task or e-mail are files on that activity. Each file's name, extension, size
  and creation time come from one list of the file manager (`GET /files/v3/files/search`, paged
  like the CRM lists: at most 10,000 files, HubSpot's cap on that search), and the bytes from the
  file's signed URL (`GET /files/v3/files/{id}/signed-url`, then its `url` without the token).
  HubSpot keeps no MIME type: it is guessed from the extension.
- Changed since: only the search endpoint (`POST /crm/v3/objects/{type}/search` on
  `hs_lastmodifieddate`) filters by time; lists do not, so no stream declares ChangedSince.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.core.auth import CredentialField, bearer
from adapters.core.canonical import Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    Derived,
    FieldCatalog,
    FileContent,
    Join,
    Lookup,
    Run,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.mapping import (
    Getter,
    Raw,
    const,
    contact_points,
    first,
    joined,
    minutes_hhmm,
    number,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
    value_at,
)
from adapters.core.paginators import CursorInBody, records_of
from adapters.hubspot.getters import (
    additional_emails,
    attachment_ids,
    attachments,
    call_seconds,
    closed_as,
    custom_values,
    deal_stage,
    deal_status,
    discount_type,
    error_text,
    explode_stages,
    file_fields,
    is_closed,
    known_files,
    lead_labels,
    line_discount,
    linked,
    linked_after_first,
    meeting_duration,
    meeting_type,
    options,
    phones,
    prefixed,
    product_prices,
    prop,
    property_type,
    retry_after,
    stage_probability,
)

DEFAULT_BASE_URL = "https://api.hubapi.com"
OBJECTS = "/crm/v3/objects"
DETAILS = "/account-info/v3/details"
PAGE = CursorInBody(cursor_path="paging.next.after", cursor_param="after", limit=100)
HISTORY_PAGE = dataclasses.replace(PAGE, limit=50)  # the most HubSpot gives with history
ENGAGEMENT_LINKS = "contacts,companies,deals,leads"
QUALIFIED_STAGE = "qualified-stage-id"  # the lead pipeline's stage of leads become deals
FIELD_TYPES = {
    "string/text": FieldType.varchar,
    "string/textarea": FieldType.text,
    "string/phonenumber": FieldType.phone,
    "number/number": FieldType.double,
    "date/date": FieldType.date,
    "datetime/date": FieldType.date,
    "enumeration/select": FieldType.enum,
    "enumeration/radio": FieldType.enum,
    "enumeration/booleancheckbox": FieldType.enum,
    "bool/booleancheckbox": FieldType.enum,
    "enumeration/checkbox": FieldType.set,
}
ADDRESS_PARTS = ("address", "address2", "city", "zip", "state", "country")
TASK_TYPES = {"CALL": "call", "EMAIL": "email"}  # TODO and the rest are tasks
# `createdate` ("Create Date"), which every list returns whatever `properties=` names; the
# record's `createdAt` is the same moment.
CREATED = utc_time(first(prop("createdate"), "createdAt"))


# --- the description ---------------------------------------------------------------------------


def _objects(
    entity: Entity, object_type: str, fields: dict[str, Getter], properties: str, **extra: Any
) -> Stream:
    """A CRM object list; `properties` are the built-in ones to ask for: a list returns only the
    properties it names, so the custom ones are added at run time."""
    params = {"properties": properties, **extra.pop("params", {})}
    return Stream(
        entity,
        f"{OBJECTS}/{object_type}",
        fields,
        paginator=extra.pop("paginator", PAGE),
        records="results",
        params=params,
        custom_values=custom_values,
        custom_param="properties",
        **extra,
    )


def _engagement(kind: str, fields: dict[str, Getter], properties: str) -> Stream:
    links = {
        "source_id": prefixed(kind),
        "owner_source_id": ref(prop("hubspot_owner_id")),
        "deal_source_id": linked("deals"),
        "person_source_id": linked("contacts"),
        "participant_source_ids": linked_after_first("contacts"),
        "org_source_id": linked("companies"),
        "lead_source_id": linked("leads"),
        "due_date": utc_date(prop("hs_timestamp")),
        "due_time": utc_hhmm(prop("hs_timestamp")),
    }
    return _objects(
        Entity.activities,
        f"{kind}s",
        {**links, **fields},
        f"{properties},hs_timestamp,hubspot_owner_id",
        params={"associations": ENGAGEMENT_LINKS},
    )


def _owners(active: bool) -> Stream:
    return Stream(
        Entity.users,
        "/crm/v3/owners",
        {
            "source_id": ref("id"),
            "name": first(joined("firstName", "lastName"), "email"),
            "email": text("email"),
            "active": const(active),
        },
        paginator=PAGE,
        records="results",
        params={"archived": str(not active).lower()},
    )


def _catalog(entity: Entity, object_type: str) -> FieldCatalog:
    return FieldCatalog(
        entity,
        f"/crm/v3/properties/{object_type}",
        key="name",
        name="label",
        type=property_type,
        types=FIELD_TYPES,
        records="results",
        is_custom=lambda raw: not raw.get("hubspotDefined") and not raw.get("archived"),
        options=options,
        separator=";",
    )


ORGANIZATIONS = _objects(
    Entity.organizations,
    "companies",
    {
        "source_id": ref("id"),
        "name": first(prop("name"), prop("domain"), "id"),
        "address": text(joined(*(prop(p) for p in ADDRESS_PARTS), sep=", ")),
        "owner_source_id": ref(prop("hubspot_owner_id")),
        "add_time": CREATED,
    },
    "name,domain,address,address2,city,zip,state,country,hubspot_owner_id",
)
PERSONS = _objects(
    Entity.persons,
    "contacts",
    {
        "source_id": ref("id"),
        "name": first(joined(prop("firstname"), prop("lastname")), prop("email"), "id"),
        "first_name": text(prop("firstname")),
        "last_name": text(prop("lastname")),
        "emails": contact_points(prop("email"), additional_emails),
        "phones": phones,
        "org_source_id": first(linked("companies"), prop("associatedcompanyid")),
        "owner_source_id": ref(prop("hubspot_owner_id")),
        "add_time": CREATED,
    },
    "firstname,lastname,email,hs_additional_emails,phone,mobilephone,associatedcompanyid,"
    "hubspot_owner_id",
    params={"associations": "companies"},
)
PIPELINES = Stream(
    Entity.pipelines,
    "/crm/v3/pipelines/deals",
    {"source_id": ref("id"), "name": "label"},
    records="results",
)
STAGES = Stream(
    Entity.stages,
    "/crm/v3/pipelines/deals",
    {
        "source_id": ref("id"),
        "name": "label",
        "pipeline_source_id": ref("_pipeline_id"),
        "order_nr": lambda raw: int(raw.get("displayOrder") or 0) + 1,
        "deal_probability": stage_probability,
    },
    records="results",
    explode=explode_stages,
    keep=lambda raw: not is_closed(raw),  # closed won/lost are a deal's status in Pipedrive
)
PRODUCTS = _objects(
    Entity.products,
    "products",
    {
        "source_id": ref("id"),
        "name": first(prop("name"), "id"),
        "code": text(prop("hs_sku")),
        "prices": product_prices,
        "owner_source_id": ref(prop("hubspot_owner_id")),
    },
    "name,hs_sku,price,hubspot_owner_id",
    # Every `hs_price_{currency}` is asked for by name; a bare `price` is in the company currency.
    needs=("price_properties", "company_currency"),
    query=lambda params, run: {**params, "properties": _with_prices(params, run)},
    joins=(Join("company_currency", on=lambda raw: "", into="_currency"),),
)
DEALS = _objects(
    Entity.deals,
    "deals",
    {
        "source_id": ref("id"),
        "title": first(prop("dealname"), "id"),
        "value": number(prop("amount")),
        "currency": lambda raw: (
            text(prop("deal_currency_code"))(raw)
            if number(prop("amount"))(raw) is not None
            else None
        ),
        "status": deal_status,
        "person_source_id": linked("contacts"),
        "org_source_id": linked("companies"),
        "pipeline_source_id": ref(prop("pipeline")),
        "stage_source_id": deal_stage,
        "owner_source_id": ref(prop("hubspot_owner_id")),
        "expected_close_date": utc_date(prop("closedate")),
        "won_time": closed_as("won"),
        "lost_time": closed_as("lost"),
        "lost_reason": lambda raw: (
            text(prop("closed_lost_reason"))(raw) if deal_status(raw) == "lost" else None
        ),
        "add_time": CREATED,
    },
    "dealname,amount,deal_currency_code,pipeline,dealstage,closedate,closed_lost_reason,"
    "hubspot_owner_id",
    params={"associations": "contacts,companies", "propertiesWithHistory": "dealstage"},
    paginator=HISTORY_PAGE,
    joins=(Join("pipelines", ref(prop("pipeline")), "_pipeline"),),
)
LINE_ITEMS = Stream(
    Entity.deal_products,
    f"{OBJECTS}/line_items",
    {
        "source_id": ref("id"),
        "deal_source_id": linked("deals"),
        "product_source_id": ref(prop("hs_product_id")),
        "item_price": first(number(prop("price")), const(0.0)),
        "quantity": number(prop("quantity")),
        "discount": line_discount,
        "discount_type": discount_type,
        "tax": number(prop("hs_tax_rate")),
        "comments": text(prop("description")),
    },
    paginator=PAGE,
    records="results",
    params={
        "properties": "hs_product_id,price,quantity,discount,hs_discount_percentage,hs_tax_rate,"
        "description",
        "associations": "deals",
    },
    keep=lambda raw: bool(
        linked("deals")(raw) and (raw.get("properties") or {}).get("hs_product_id")
    ),
)
CALLS = _engagement(
    "call",
    {
        "subject": first(prop("hs_call_title"), const("Call")),
        "type": const("call"),
        "duration": minutes_hhmm(call_seconds, unit_seconds=1),
        "done": lambda raw: (raw.get("properties") or {}).get("hs_call_status") == "COMPLETED",
        "note": text(prop("hs_call_body")),
    },
    "hs_call_title,hs_call_body,hs_call_duration,hs_call_status",
)
MEETINGS = _engagement(
    "meeting",
    {
        "subject": first(prop("hs_meeting_title"), const("Meeting")),
        "type": meeting_type,
        "due_date": utc_date(first(prop("hs_meeting_start_time"), prop("hs_timestamp"))),
        "due_time": utc_hhmm(first(prop("hs_meeting_start_time"), prop("hs_timestamp"))),
        "duration": meeting_duration,
        "done": lambda raw: (raw.get("properties") or {}).get("hs_meeting_outcome") == "COMPLETED",
        "note": text(prop("hs_meeting_body")),
    },
    "hs_meeting_title,hs_meeting_body,hs_meeting_start_time,hs_meeting_end_time,"
    "hs_meeting_outcome,hs_activity_type",
)
TASKS = _engagement(
    "task",
    {
        "subject": first(prop("hs_task_subject"), const("Task")),
        "type": lambda raw: TASK_TYPES.get(
            str((raw.get("properties") or {}).get("hs_task_type")), "task"
        ),
        "done": lambda raw: (raw.get("properties") or {}).get("hs_task_status") == "COMPLETED",
        "note": text(prop("hs_task_body")),
    },
    "hs_task_subject,hs_task_body,hs_task_status,hs_task_type",
)
EMAILS = _engagement(
    "email",
    {
        "subject": first(prop("hs_email_subject"), const("E-mail")),
        "type": const("email"),
        "done": const(True),  # a logged e-mail has been sent or received
        "note": text(prop("hs_email_text")),
    },
    "hs_email_subject,hs_email_text",
)
NOTE_LINKS = {
    "deal_source_id": linked("deals"),
    "person_source_id": linked("contacts"),
    "org_source_id": linked("companies"),
    "lead_source_id": linked("leads"),
}


def _carries_files(raw: Raw) -> bool:
    """A note with attachments and no body: how a file is attached to a record."""
    return bool(attachment_ids(raw)) and not (raw.get("properties") or {}).get("hs_note_body")


NOTES = _objects(
    Entity.notes,
    "notes",
    {
        "source_id": ref("id"),
        "content": first(prop("hs_note_body"), const("")),
        "owner_source_id": ref(prop("hubspot_owner_id")),
        "add_time": utc_time(first(prop("hs_timestamp"), "createdAt")),
        **NOTE_LINKS,
    },
    "hs_note_body,hs_timestamp,hubspot_owner_id,hs_attachment_ids",
    params={"associations": ENGAGEMENT_LINKS},
    keep=lambda raw: not _carries_files(raw),
)
LEADS = _objects(
    Entity.leads,
    "leads",
    {
        "source_id": ref("id"),
        "title": first(prop("hs_lead_name"), "id"),
        "person_source_id": linked("contacts"),
        "org_source_id": linked("companies"),
        "owner_source_id": ref(prop("hubspot_owner_id")),
        "labels": lead_labels,
        "add_time": CREATED,
    },
    "hs_lead_name,hs_lead_label,hs_pipeline_stage,hubspot_owner_id",
    params={"associations": "contacts,companies"},
    keep=lambda raw: (raw.get("properties") or {}).get("hs_pipeline_stage") != QUALIFIED_STAGE,
    joins=(Join("lead_labels", on=prop("hs_lead_label"), into="_label"),),
)


def _files(kind: str, parent: dict[str, Getter]) -> Stream:
    """The files one kind of engagement names: a record per attachment (a file attached twice
    is carried twice), its metadata from the file manager's list (one whose file is gone is
    left out). A note's files are on its record; an activity's on the activity."""
    return Stream(
        Entity.files,
        f"{OBJECTS}/{kind}s",
        {**file_fields(kind), **parent},
        paginator=PAGE,
        records="results",
        params={"properties": "hs_attachment_ids"}
        | ({"associations": ENGAGEMENT_LINKS} if kind == "note" else {}),
        explode=attachments,
        needs=("files",),
        select=known_files,
        joins=(Join("files", on="_file_id", into="_file"),),
    )


def _of_carrier(getter: Getter) -> Getter:
    """A getter of the engagement an attachment hangs on."""
    return lambda raw: value_at(raw["_on"], getter)


FILES = (
    _files("note", {name: _of_carrier(g) for name, g in NOTE_LINKS.items()}),
    *(
        _files(kind, {"activity_source_id": _of_carrier(prefixed(kind))})
        for kind in ("call", "meeting", "task", "email")
    ),
)


def _price_rows(body: Any) -> list[Raw]:
    """Every `hs_price_{currency}` property: a product's price in each currency."""
    return [
        p for p in records_of(body, "results") if str(p.get("name", "")).startswith("hs_price_")
    ]


def _with_prices(params: dict[str, Any], run: Run) -> str:
    return ",".join([str(params.get("properties")), *run.state["price_properties"]])


def _company_currency(state: RunState) -> dict[str, Any]:
    details = state["details"].get("") or {}
    return {"": str(details.get("companyCurrency") or "") or None}


SPEC = SourceSpec(
    name="HubSpot",
    streams=(
        _owners(active=True),
        _owners(active=False),
        ORGANIZATIONS,
        PERSONS,
        PIPELINES,
        STAGES,
        PRODUCTS,
        DEALS,
        LINE_ITEMS,
        CALLS,
        MEETINGS,
        TASKS,
        EMAILS,
        NOTES,
        LEADS,
        *FILES,
    ),
    check=AccountCheck(
        DETAILS,
        {
            "portal_id": "portalId",
            "time_zone": "timeZone",
            "company_currency": "companyCurrency",
        },
    ),
    field_catalogs=(
        _catalog(Entity.organizations, "companies"),
        _catalog(Entity.persons, "contacts"),
        _catalog(Entity.deals, "deals"),
        _catalog(Entity.products, "products"),
    ),
    lookups=(
        Lookup("pipelines", "/crm/v3/pipelines/deals", "id", "results"),
        Lookup("price_properties", "/crm/v3/properties/products", "name", rows=_price_rows),
        Lookup("details", DETAILS, lambda raw: "", rows=lambda body: [body or {}]),
        Lookup(
            "lead_labels",
            "/crm/v3/properties/leads/hs_lead_label",
            "value",
            rows=lambda body: (body or {}).get("options") or [],
        ),
        Lookup("files", "/files/v3/files/search", "id", "results", paginator=PAGE),
    ),
    files=FileContent(path=lambda file_id: f"/files/v3/files/{file_id}/signed-url", link="url"),
    derived=(Derived("company_currency", ("details",), _company_currency),),
    error_text=error_text,
    retry_after=retry_after,
    id="hubspot",
    # A private app's access token (Settings > Integrations > Private Apps), sent as
    # `Authorization: Bearer`; it needs the crm.objects.*.read, crm.schemas.*.read and
    # crm.objects.owners.read scopes.
    credentials=(CredentialField("access_token", "Private app access token"),),
    auth=bearer("access_token"),
    default_base_url=DEFAULT_BASE_URL,
)
