"""Microsoft Dynamics 365 (Dataverse Web API v9.2) described for the declarative engine.

Vendor facts it relies on (Microsoft Learn, power-apps/developer/data-platform/webapi/...):
- Base `{org URL}/api/data/v9.2/`; a bearer token from Entra ID's client-credentials grant with
  scope `{org URL}/.default` (system.py).
- Lists answer {"value": [...], "@odata.nextLink": <absolute URL with $skiptoken>}; the page size
  is asked with `Prefer: odata.maxpagesize=N` (at most 5,000); there is no $skip (query/page-results).
- `Prefer: odata.include-annotations=...` adds `<lookup>@Microsoft.Dynamics.CRM.lookuplogicalname`,
  which says what an activity's polymorphic Regarding points at (query/select-columns).
- Activities link one record through Regarding (`_regardingobjectid_value`); phone calls,
  appointments and e-mails also name who they are with as activity parties, read with
  `$expand=<type>_activity_parties($select=_partyid_value,participationtypemask)`: 1 sender,
  2 to, 5 required attendee, 7 organizer, 8 regarding, 9 owner; the party's table is the
  `_partyid_value` lookuplogicalname (power-apps/developer/data-platform/activityparty-entity).
  The activity's person is its Regarding contact, else its first contact party; every other
  contact party who is with it (6 optional attendee too; 3 cc and 4 bcc on e-mails) is a person
  taking part. Tasks have no party list.
- Changed since: `$filter=modifiedon gt 2026-01-15T10:00:00Z` (query/filter-rows).
- Users: systemusers; application users (applicationid set) are not people and are left out.
- Opportunities: statecode 0 open / 1 won / 2 lost; the lost reason is the description of the
  Opportunity Close activity; processid and stageid name the business process flow and its stage,
  which are the pipeline and the stage (workflows of category 4 and their processstages).
- Products: prices are price-list items (productpricelevels), one price list per currency.
- Line items: one opportunityproducts list (paged as the rest). The discount is an amount
  (manualdiscountamount, plus a discount list's volumediscountamount per unit); tax is an amount,
  read as the rate it is of the line before tax (baseamount - manualdiscountamount), to two
  decimals. A write-in line (no _productid_value) has no product to link to and is left out.
- Custom columns: EntityDefinitions(LogicalName=...)/Attributes, cast to String/Picklist/
  MultiSelectPicklist metadata for formats and options (query-metadata-web-api). Money columns are
  in the record's transaction currency.
- Errors {"error":{"code","message"}}; 429 with Retry-After (api-limits).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from adapters.core.auth import CredentialField, TokenExchangeAuth, oauth2_client_credentials
from adapters.core.canonical import ContactPoint, Entity
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    Join,
    Lookup,
    SourceSpec,
    Stream,
)
from adapters.core.http import default_error_text
from adapters.core.mapping import (
    Getter,
    Raw,
    first,
    joined,
    minutes_hhmm,
    number,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.paginators import NextUrl
from adapters.dynamics365.catalogs import LOGICAL_NAMES, catalogs
from adapters.dynamics365.leads import FILES, file_stream, lead_streams

API = "/api/data/v9.2"
PAGE_SIZE = 500
LOOKUP = "@Microsoft.Dynamics.CRM.lookuplogicalname"
STATUS = {0: "open", 1: "won", 2: "lost"}
LINE_COLUMNS = (
    "_opportunityid_value,_productid_value,quantity,priceperunit,baseamount,"
    "volumediscountamount,manualdiscountamount,tax,description"
)
CHANGED = ChangedSince("$filter", "modifiedon gt {iso}")


def error_text(response: httpx.Response) -> str:
    """Dataverse's {"error":{"code","message"}} or Entra's {"error","error_description"}."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return f"{error['message']} ({error.get('code')})"
    if isinstance(body, dict) and body.get("error_description"):
        return str(body["error_description"])
    return default_error_text(response)


def linked(table: str, column: str = "_regardingobjectid_value") -> Getter:
    """A polymorphic lookup's id when it points at `table`."""
    return lambda raw: raw.get(column) if raw.get(column + LOOKUP) == table else None


# Contact columns and the label each one means; the first one filled is the primary one.
EMAIL_COLUMNS = (("emailaddress1", "work"), ("emailaddress2", "home"), ("emailaddress3", "other"))
PHONE_COLUMNS = (
    ("telephone1", "work"),
    ("mobilephone", "mobile"),
    ("telephone2", "home"),
    ("telephone3", "other"),
)


def slots(columns: tuple[tuple[str, str], ...]) -> Getter:
    def read(raw: Raw) -> list[ContactPoint]:
        found = [(raw.get(column), label) for column, label in columns if raw.get(column)]
        return [
            ContactPoint(value=str(value), label=label, primary=index == 0)
            for index, (value, label) in enumerate(found)
        ]

    return read


def prices(raw: Raw) -> list[dict[str, Any]]:
    return [
        {
            "price": row["amount"],
            "currency": (row.get("transactioncurrencyid") or {}).get("isocurrencycode"),
        }
        for row in raw.get("_prices") or []
        if row.get("amount") is not None
    ]


def amount(column: str) -> Callable[[Raw], float]:
    """A Money or Decimal column, 0 when empty."""
    return lambda raw: number(column)(raw) or 0.0


def tax_rate(net: float, tax: float) -> float:
    """The percentage a line's tax amount is of the line before tax, to two decimals."""
    return round(tax / net * 100, 2) if net else 0.0


def line_discount(raw: Raw) -> float:
    """What the line takes off: the manual discount, and a discount list's per-unit one."""
    volume = amount("volumediscountamount")(raw) * amount("quantity")(raw)
    return round(amount("manualdiscountamount")(raw) + volume, 2)


def line_tax(raw: Raw) -> float:
    net = round(amount("baseamount")(raw) - amount("manualdiscountamount")(raw), 2)
    return tax_rate(net, amount("tax")(raw))


def _stream(
    entity: Entity,
    entity_set: str,
    fields: Mapping[str, Getter],
    size: int,
    params: Mapping[str, Any] | None = None,
    **extra: Any,
) -> Stream:
    return Stream(
        entity,
        f"/{entity_set}",
        fields,
        NextUrl(next_url_path="@odata.nextLink"),
        records="value",
        params=params or {},
        changed_since=CHANGED,
        **extra,
    )


NOT_WHO = (8, 9, 10)  # the Regarding, Owner and Resource party types


def party(parties: str, table: str) -> Getter:
    """The first participant of an activity's party list that is a `table` record, leaving out
    the Regarding (8), Owner (9) and Resource (10) parties, which are not who it is with."""

    def read(raw: Raw) -> str | None:
        for row in raw.get(parties) or []:
            if row.get("participationtypemask") in NOT_WHO:
                continue
            if row.get("_partyid_value" + LOOKUP) == table and row.get("_partyid_value"):
                return str(row["_partyid_value"])
        return None

    return read


def parties_besides(parties: str, main: Getter) -> Getter:
    """Every contact of an activity's party list who is with it (as `party` reads them: an
    appointment's required and optional attendees, a call's or e-mail's senders and
    recipients) other than its main person, each once."""

    def read(raw: Raw) -> list[str]:
        rows = [r for r in raw.get(parties) or [] if r.get("participationtypemask") not in NOT_WHO]
        ids = [str(r["_partyid_value"]) for r in rows
               if r.get("_partyid_value" + LOOKUP) == "contact" and r.get("_partyid_value")]  # fmt: skip
        return [i for i in dict.fromkeys(ids) if i != main(raw)]

    return read


# Activity sets with a party list, and the collection-valued navigation property that reads it
# (a task has none: its only link is Regarding).
PARTIES = {
    "phonecalls": "phonecall_activity_parties",
    "appointments": "appointment_activity_parties",
    "emails": "email_activity_parties",
}


def _activity(entity_set: str, kind: str, size: int, **fields: Getter) -> Stream:
    base = "subject,description,scheduledstart,scheduledend,statecode,_regardingobjectid_value,_ownerid_value"
    extra = {
        "appointments": ",scheduleddurationminutes,isalldayevent",
        "phonecalls": ",actualdurationminutes",
    }
    parties = PARTIES.get(entity_set)
    person, org = linked("contact"), linked("account")
    if parties:  # the Regarding record first, else who the activity is with
        person = first(person, party(parties, "contact"))
        org = first(org, party(parties, "account"))
    mapping: dict[str, Getter] = {
        "source_id": "activityid",
        "subject": first("subject", lambda raw: ""),
        "type": lambda raw: kind,
        "due_date": utc_date("scheduledend"),
        "due_time": utc_hhmm("scheduledend"),
        "done": lambda raw: raw.get("statecode") == 1,
        "note": text("description"),
        "deal_source_id": linked("opportunity"),
        "person_source_id": person,
        "org_source_id": org,
        "lead_source_id": linked("lead"),
        "owner_source_id": ref("_ownerid_value"),
        **fields,
    }
    if parties:
        mapping["participant_source_ids"] = parties_besides(parties, person)
    params = {"$select": base + extra.get(entity_set, "")}
    if parties:  # read in the same list request, not one request per activity
        params["$expand"] = f"{parties}($select=_partyid_value,participationtypemask)"
    return _stream(Entity.activities, entity_set, mapping, size, params)


def _all_day(getter: Getter) -> Getter:
    return lambda raw: None if raw.get("isalldayevent") else getter(raw)  # type: ignore[operator]


DEFAULT_AUTHORITY = "https://login.microsoftonline.com"


def dynamics_auth(credentials: dict[str, str], base_url: str) -> TokenExchangeAuth:
    """The client-credentials grant for the org: its scope is the org URL, without the API path."""
    authority = (credentials.get("authority") or DEFAULT_AUTHORITY).rstrip("/")
    org_url = base_url.rstrip("/").removesuffix(API)
    return oauth2_client_credentials(
        f"{authority}/{credentials['tenant_id']}/oauth2/v2.0/token",
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        scope=f"{org_url}/.default",
    )


CREDENTIALS = (
    CredentialField("tenant_id", "Directory (tenant) ID", secret=False),
    CredentialField("client_id", "Application (client) ID", secret=False),
    CredentialField("client_secret", "Client secret"),
    CredentialField(
        "authority", f"Authority (default {DEFAULT_AUTHORITY})", secret=False, required=False
    ),
)


def dynamics_spec(page_size: int = PAGE_SIZE) -> SourceSpec:
    currency = Join("currencies", "_transactioncurrencyid_value", "_currency")
    money: dict[str, Any] = {"record_currency": "_currency.isocurrencycode", "joins": (currency,)}
    pages = NextUrl(next_url_path="@odata.nextLink")
    streams = (
        _stream(
            Entity.users,
            "systemusers",
            {
                "source_id": "systemuserid",
                "name": first("fullname", "internalemailaddress"),
                "email": text("internalemailaddress"),
                "active": lambda raw: not raw.get("isdisabled"),
            },
            page_size,
            {"$select": "fullname,internalemailaddress,isdisabled,applicationid"},
            keep=lambda raw: raw.get("applicationid") is None,
        ),
        _stream(
            Entity.organizations,
            "accounts",
            {
                "source_id": "accountid",
                "name": first("name", lambda raw: ""),
                "address": first(
                    joined(
                        "address1_line1",
                        "address1_line2",
                        "address1_line3",
                        "address1_city",
                        "address1_stateorprovince",
                        "address1_postalcode",
                        "address1_country",
                        sep=", ",
                    )
                ),
                "owner_source_id": ref("_ownerid_value"),
                "add_time": utc_time("createdon"),
            },
            page_size,
            **money,
        ),
        _stream(
            Entity.persons,
            "contacts",
            {
                "source_id": "contactid",
                "name": first("fullname", joined("firstname", "lastname")),
                "first_name": text("firstname"),
                "last_name": text("lastname"),
                "emails": slots(EMAIL_COLUMNS),
                "phones": slots(PHONE_COLUMNS),
                "org_source_id": linked("account", "_parentcustomerid_value"),
                "owner_source_id": ref("_ownerid_value"),
                "add_time": utc_time("createdon"),
            },
            page_size,
            **money,
        ),
        Stream(
            Entity.pipelines,
            "/workflows",
            {"source_id": "workflowid", "name": text("name")},
            pages,
            records="value",
            params={
                "$select": "workflowid,name",
                "$filter": "category eq 4 and primaryentity eq 'opportunity'",
            },
        ),
        Stream(
            Entity.stages,
            "/workflows",
            {
                "source_id": "processstageid",
                "name": text("stagename"),
                "pipeline_source_id": "_pipeline",
                "order_nr": "_order",
            },
            pages,
            records="value",
            params={
                "$select": "workflowid,name",
                "$filter": "category eq 4 and primaryentity eq 'opportunity'",
                "$expand": "process_processstage($select=stagename,_processid_value)",
            },
            # A flow's stages in the order the flow lists them.
            explode=lambda flow: [
                {**stage, "_pipeline": flow["workflowid"], "_order": index}
                for index, stage in enumerate(flow.get("process_processstage") or [], start=1)
            ],
        ),
        _stream(
            Entity.products,
            "products",
            {
                "source_id": "productid",
                "name": first("name", lambda raw: ""),
                "code": text("productnumber"),
                "unit": text("defaultuomid.name"),
                "prices": prices,
            },
            page_size,
            {"$expand": "defaultuomid($select=name)"},
            record_currency="_currency.isocurrencycode",
            joins=(currency, Join("prices", "productid", "_prices")),
        ),
        _stream(
            Entity.deals,
            "opportunities",
            {
                "source_id": "opportunityid",
                "title": first("name", lambda raw: ""),
                "value": number("estimatedvalue"),
                "currency": lambda raw: (
                    (raw.get("_currency") or {}).get("isocurrencycode")
                    if raw.get("estimatedvalue") is not None
                    else None
                ),
                "status": lambda raw: STATUS.get(int(raw.get("statecode") or 0), "open"),
                "person_source_id": ref("_parentcontactid_value"),
                "org_source_id": ref("_parentaccountid_value"),
                "pipeline_source_id": ref("processid"),
                "stage_source_id": ref("stageid"),
                "owner_source_id": ref("_ownerid_value"),
                "expected_close_date": utc_date("estimatedclosedate"),
                "won_time": lambda raw: (
                    utc_time("actualclosedate")(raw) if raw.get("statecode") == 1 else None
                ),
                "lost_time": lambda raw: (
                    utc_time("actualclosedate")(raw) if raw.get("statecode") == 2 else None
                ),
                "lost_reason": lambda raw: (
                    text("_close.description")(raw) if raw.get("statecode") == 2 else None
                ),
                "add_time": utc_time("createdon"),
            },
            page_size,
            record_currency="_currency.isocurrencycode",
            joins=(currency, Join("closes", "opportunityid", "_close")),
        ),
        _stream(
            Entity.deal_products,
            "opportunityproducts",
            {
                "source_id": "opportunityproductid",
                "deal_source_id": ref("_opportunityid_value"),
                "product_source_id": ref("_productid_value"),
                "item_price": amount("priceperunit"),
                "quantity": amount("quantity"),
                "discount": line_discount,
                "discount_type": lambda raw: "amount",
                "tax": line_tax,
                "comments": text("description"),
            },
            page_size,
            {"$select": LINE_COLUMNS},
            # A write-in line (isproductoverridden) names no product record to link to.
            keep=lambda raw: raw.get("_productid_value") is not None,
        ),
        _activity("tasks", "task", page_size),
        _activity("phonecalls", "call", page_size, duration=minutes_hhmm("actualdurationminutes")),
        _activity(
            "appointments",
            "meeting",
            page_size,
            due_date=utc_date("scheduledstart"),
            due_time=_all_day(utc_hhmm("scheduledstart")),
            duration=_all_day(minutes_hhmm("scheduleddurationminutes")),
        ),
        _activity("emails", "email", page_size),
        _stream(
            Entity.notes,
            "annotations",
            {
                "source_id": "annotationid",
                "content": first("notetext", "subject", lambda raw: ""),
                "deal_source_id": lambda raw: (
                    raw["_objectid_value"] if raw.get("objecttypecode") == "opportunity" else None
                ),
                "person_source_id": lambda raw: (
                    raw["_objectid_value"] if raw.get("objecttypecode") == "contact" else None
                ),
                "org_source_id": lambda raw: (
                    raw["_objectid_value"] if raw.get("objecttypecode") == "account" else None
                ),
                "lead_source_id": lambda raw: (
                    raw["_objectid_value"] if raw.get("objecttypecode") == "lead" else None
                ),
                "owner_source_id": ref("_ownerid_value"),
                "add_time": utc_time("createdon"),
            },
            page_size,
            {
                "$select": "subject,notetext,objecttypecode,_objectid_value,_ownerid_value,isdocument,createdon"
            },
            # An attachment is a file (leads.py); one with text is a note as well.
            keep=lambda raw: not raw.get("isdocument") or bool(raw.get("notetext")),
        ),
        *lead_streams(currency),
        file_stream(),
    )
    lookups = (
        Lookup(
            "currencies",
            "/transactioncurrencies",
            key="transactioncurrencyid",
            records="value",
            paginator=pages,
            params={"$select": "isocurrencycode"},
        ),
        Lookup(
            "prices",
            "/productpricelevels",
            key="_productid_value",
            records="value",
            paginator=pages,
            params={
                "$select": "amount,_productid_value",
                "$expand": "transactioncurrencyid($select=isocurrencycode)",
            },
            many=True,
        ),
        Lookup(
            "closes",
            "/opportunitycloses",
            key="_opportunityid_value",
            records="value",
            paginator=pages,
            params={"$select": "description,_opportunityid_value"},
        ),
    )
    return SourceSpec(
        name="Microsoft Dynamics 365",
        streams=streams,
        check=AccountCheck(
            "/WhoAmI",
            {"user_id": "UserId", "organization_id": "OrganizationId"},
        ),
        field_catalogs=tuple(c for entity in LOGICAL_NAMES for c in catalogs(entity)),
        lookups=lookups,
        headers={
            "Prefer": f'odata.maxpagesize={page_size},odata.include-annotations="{LOOKUP[1:]}"',
            "OData-MaxVersion": "4.0",
            "OData-Version": "4.0",
        },
        error_text=error_text,
        files=FILES,
        id="dynamics365",
        credentials=CREDENTIALS,
        auth=dynamics_auth,
        api_path=API,
        api_in_root=True,
    )


SPEC = dynamics_spec()
