"""The reference company in HubSpot's CRM v3 record shapes, one table per object type.

It renders what HubSpot holds (`held.held`), so every simplification lives in one place. The
emulator serves these tables; records keep their associations in `_assoc` (object type ->
[(id, association type)]) and the emulator answers only what a request's `associations=` asks.

Shapes (developers.hubspot.com/docs/api-reference/crm-*-v3): every value in `properties` is a
string (numbers too); datetimes are ISO 8601 in UTC with milliseconds; multi-select values are
joined with ";"; ids are numeric strings, and ids of different object types may be equal.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from adapters.core.canonical import (
    Activity,
    CustomFieldDef,
    Deal,
    DealProduct,
    Entity,
    FieldType,
    File,
    Lead,
    Note,
    Organization,
    Person,
    Product,
    User,
)
from adapters.core.emulation import Tables
from adapters.core.mapping import parse_time
from adapters.hubspot import attached
from adapters.hubspot.held import engagement_kind, held, phone_slots, unit_discount
from adapters.hubspot.properties import (
    ADDITIONAL_CURRENCIES,
    COMPANY_CURRENCY,
    STAMP,
    _definition,
    built_in_properties,
    custom_property,
    option_value,
    property_name,
)
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.held import names_in_display_order
from adapters.reference.ids import IdScheme

Raw = dict[str, Any]

# Where each kind of record's ids start; the reference's number is added (p7 -> 30000000007).
BASES = {"u": 70_000_000, "o": 20_000_000_000, "p": 30_000_000_000, "d": 40_000_000_000}
BASES |= {"pr": 50_000_000_000, "n": 60_000_000_000, "s": 1_000_000, "pl": 7_000_000}
BASES |= {"dp": 90_000_000_000}  # line items
BASES |= {"l": 10_000_000_000, "fl": 180_000_000_000}  # leads, files of the file manager
IDS = IdScheme("hubspot", BASES)
ENGAGEMENT_BASE = 80_000_000_000  # calls, meetings, tasks and e-mails each count from here
OBJECT_TYPES = {
    Entity.organizations: "companies",
    Entity.persons: "contacts",
    Entity.deals: "deals",
    Entity.products: "products",
}
SINGULAR = {"calls": "call", "meetings": "meeting", "tasks": "task", "emails": "email"}
TASK_TYPES = {"call": "CALL", "email": "EMAIL"}  # anything else is a to-do


def hid(source_id: str | None) -> str | None:
    """The HubSpot id of a reference record, deterministic from its source id."""
    if source_id is None:
        return None
    if source_id == "pl1":
        return "default"  # every account's first deal pipeline is called "default"
    return str(IDS.integer(source_id))


def closed_stage_ids(pipeline_id: str) -> tuple[str, str]:
    """(won, lost): every HubSpot deal pipeline ends in a Closed won and a Closed lost stage."""
    if pipeline_id == "pl1":
        return "closedwon", "closedlost"
    number = int(pipeline_id.removeprefix("pl"))
    return str(2_000_000 + 2 * number), str(2_000_001 + 2 * number)


def engagement_ids(company: ReferenceCompany) -> dict[str, tuple[str, str]]:
    """activity source id -> (object type, id). Each object type numbers its own records, so
    a call and a task may share an id, as they may in HubSpot."""
    counters = dict.fromkeys(SINGULAR, 0)
    out = {}
    for activity in company.records(Entity.activities):
        assert isinstance(activity, Activity)
        kind = engagement_kind(activity)
        counters[kind] += 1
        out[activity.source_id] = (kind, str(ENGAGEMENT_BASE + counters[kind]))
    return out


def number_text(value: float | int | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def stamp(iso: str | None) -> str | None:
    """ "2026-01-15T10:00:00Z" as HubSpot writes it, with milliseconds."""
    return None if iso is None else iso.replace("Z", ".000Z")


# --- the tables --------------------------------------------------------------------------------


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    fields = {
        kind: [f for f in kept.custom_fields if f.entity is e] for e, kind in OBJECT_TYPES.items()
    }
    ids = engagement_ids(kept)
    tables: Tables = {
        "account": [_account()],
        "owners": [_owner(u) for u in kept.users],
        "pipelines:deals": _pipelines(kept),
        "companies": [_company(o, fields["companies"]) for o in kept.organizations],
        "contacts": [_contact(p, fields["contacts"]) for p in kept.persons],
        "deals": [_deal(d, fields["deals"]) for d in kept.deals],
        "products": [_product(p, fields["products"]) for p in kept.products],
        "notes": [_note(n) for n in (*kept.notes, *kept.lead_notes)],
        "leads": [_lead(lead) for lead in kept.leads],
    }
    activities = (*kept.activities, *kept.lead_activities)
    for kind in SINGULAR:
        tables[kind] = [_engagement(a, ids[a.source_id]) for a in activities
                        if ids[a.source_id][0] == kind]  # fmt: skip
    _attach(kept, tables, ids)
    tables["line_items"] = _line_items(kept, tables["deals"])
    tables["tickets"] = []  # the reference company has none
    tables["pipelines:tickets"] = [_support_pipeline()]
    for kind in PROPERTY_CATALOGUE:
        defs = fields.get(kind, [])
        tables[f"properties:{kind}"] = default_properties(kind) + [
            custom_property(kind, f) for f in defs
        ]
    tables["properties:leads"] = [
        attached.lead_label_property() if p["name"] == "hs_lead_label" else p
        for p in tables["properties:leads"]
    ]
    return tables


def _attach(company: ReferenceCompany, tables: Tables, ids: dict[str, tuple[str, str]]) -> None:
    """The files, each named in `hs_attachment_ids` of a note on its record (made for it) or
    of its engagement."""
    tables["files"] = [
        attached.file_row(f, company.file_bytes[f.source_id], hid(f.source_id) or "",
                          stamp(f.add_time) or STAMP)
        for f in company.files
    ]  # fmt: skip
    for file in company.files:
        parent = attached.record_parent(file)
        if parent is not None:
            kind, ref_id, link = parent
            tables["notes"].append(_carrier_note(file, kind, hid(ref_id) or "", link))
    by_id = {(kind, r["id"]): r for kind in SINGULAR for r in tables[kind]}
    for activity_id, files in attached.attachments(company).items():
        record = by_id[ids[activity_id]]
        names = ";".join(hid(f.source_id) or "" for f in files)
        record["properties"]["hs_attachment_ids"] = names


def _carrier_note(file: File, kind: str, parent_id: str, link: str) -> Raw:
    props = {
        "hs_attachment_ids": hid(file.source_id),
        "hs_timestamp": stamp(file.add_time),
        "hs_lastmodifieddate": STAMP,
    }
    links: dict[str, list[tuple[str, str]]] = {kind: [(parent_id, link)]}
    return _record(attached.carrier_note_id(file), props, file.add_time, **links)


def _lead(lead: Lead) -> Raw:
    props = {**attached.lead_properties(lead, hid), "hs_lastmodifieddate": STAMP}
    return _record(hid(lead.source_id) or "", props, lead.add_time,
                   **attached.lead_links(lead, hid))  # fmt: skip


# --- HubSpot's default properties ---------------------------------------------------------------

# Each object's HubSpot-defined properties (`hubspotDefined: true`), a representative part of the
# catalogue a new portal lists (developers.hubspot.com: "HubSpot's default contact / company /
# deal / ticket / product / line item properties", the engagement guides): name, label, the
# type/fieldType pair and the property group. Types are short: s=string/text, t=string/
# textarea, ph=string/phonenumber, n=number/number, dt=datetime/date, d=date/date,
# sel=enumeration/select, rad=enumeration/radio, chk=enumeration/checkbox, b=enumeration/
# booleancheckbox.
_KINDS = {
    "s": ("string", "text"),
    "t": ("string", "textarea"),
    "ph": ("string", "phonenumber"),
    "n": ("number", "number"),
    "dt": ("datetime", "date"),
    "d": ("date", "date"),
    "sel": ("enumeration", "select"),
    "rad": ("enumeration", "radio"),
    "chk": ("enumeration", "checkbox"),
    "b": ("enumeration", "booleancheckbox"),
}
_COMMON = (
    ("hs_object_id", "Record ID", "n"),
    ("hs_createdate", "Create Date", "dt"),
    ("hs_lastmodifieddate", "Last Modified Date", "dt"),
    ("hubspot_owner_id", "Owner", "sel"),
    ("hs_created_by_user_id", "Created by user ID", "n"),
    ("hs_updated_by_user_id", "Updated by user ID", "n"),
    ("hs_all_owner_ids", "All owner IDs", "chk"),
    ("hs_merged_object_ids", "Merged record IDs", "chk"),
)
_ENGAGEMENT = (("hs_timestamp", "Activity date", "dt"), ("hs_attachment_ids", "Attachments", "chk"))
PROPERTY_CATALOGUE: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {
    "contacts": ("contactinformation", (
        ("firstname", "First Name", "s"), ("lastname", "Last Name", "s"),
        ("email", "Email", "s"), ("hs_additional_emails", "Additional email addresses", "chk"),
        ("phone", "Phone Number", "ph"), ("mobilephone", "Mobile Phone Number", "ph"),
        ("fax", "Fax Number", "ph"), ("salutation", "Salutation", "s"),
        ("jobtitle", "Job Title", "s"), ("company", "Company Name", "s"),
        ("website", "Website URL", "s"), ("address", "Street Address", "s"),
        ("city", "City", "s"), ("state", "State/Region", "s"), ("zip", "Postal Code", "s"),
        ("country", "Country/Region", "s"), ("industry", "Industry", "s"),
        ("annualrevenue", "Annual Revenue", "s"), ("message", "Message", "t"),
        ("date_of_birth", "Date of birth", "s"), ("lifecyclestage", "Lifecycle Stage", "rad"),
        ("hs_lead_status", "Lead Status", "rad"), ("hs_persona", "Persona", "rad"),
        ("hs_language", "Preferred language", "sel"), ("hs_timezone", "Time Zone", "sel"),
        ("associatedcompanyid", "Primary Associated Company ID", "n"),
        ("num_associated_deals", "Number of Associated Deals", "n"),
        ("hs_email_optout", "Unsubscribed from all email", "b"),
        ("hs_analytics_source", "Original Source", "sel"),
        ("notes_last_updated", "Last Activity Date", "dt"),
        ("createdate", "Create Date", "dt"), ("lastmodifieddate", "Last Modified Date", "dt"),
        ("closedate", "Close Date", "dt"),
    )),
    "companies": ("companyinformation", (
        ("name", "Company name", "s"), ("domain", "Company Domain Name", "s"),
        ("website", "Website URL", "s"), ("phone", "Phone Number", "ph"),
        ("address", "Street Address", "s"), ("address2", "Street Address 2", "s"),
        ("city", "City", "s"), ("state", "State/Region", "s"), ("zip", "Postal Code", "s"),
        ("country", "Country/Region", "s"), ("industry", "Industry", "sel"),
        ("type", "Type", "rad"), ("description", "Description", "t"),
        ("about_us", "About Us", "t"), ("numberofemployees", "Number of Employees", "n"),
        ("annualrevenue", "Annual Revenue", "n"), ("founded_year", "Year Founded", "s"),
        ("is_public", "Is Public", "b"), ("timezone", "Time Zone", "s"),
        ("linkedin_company_page", "LinkedIn Company Page", "s"),
        ("twitterhandle", "Twitter Handle", "s"),
        ("facebook_company_page", "Facebook Company Page", "s"),
        ("lifecyclestage", "Lifecycle Stage", "rad"), ("hs_lead_status", "Lead Status", "rad"),
        ("num_associated_contacts", "Number of Associated Contacts", "n"),
        ("num_associated_deals", "Number of Associated Deals", "n"),
        ("total_money_raised", "Total Money Raised", "s"),
        ("notes_last_updated", "Last Activity Date", "dt"),
        ("createdate", "Create Date", "dt"),
    )),
    "deals": ("dealinformation", (
        ("dealname", "Deal Name", "s"), ("amount", "Amount", "n"),
        ("dealstage", "Deal Stage", "rad"), ("pipeline", "Pipeline", "sel"),
        ("closedate", "Close Date", "dt"), ("dealtype", "Deal Type", "rad"),
        ("description", "Deal Description", "t"), ("deal_currency_code", "Currency", "sel"),
        ("amount_in_home_currency", "Amount in company currency", "n"),
        ("closed_lost_reason", "Closed Lost Reason", "t"),
        ("closed_won_reason", "Closed Won Reason", "t"), ("hs_priority", "Priority", "sel"),
        ("hs_next_step", "Next step", "t"),
        ("hs_deal_stage_probability", "Deal Stage Probability", "n"),
        ("hs_forecast_amount", "Forecast amount", "n"),
        ("hs_forecast_probability", "Forecast probability", "n"),
        ("hs_is_closed", "Is Deal Closed?", "b"), ("hs_is_closed_won", "Is closed won", "b"),
        ("hs_closed_amount", "Closed Deal Amount", "n"),
        ("hs_acv", "Annual contract value", "n"), ("hs_arr", "Annual recurring revenue", "n"),
        ("hs_mrr", "Monthly recurring revenue", "n"), ("hs_tcv", "Total contract value", "n"),
        ("num_associated_contacts", "Number of Associated Contacts", "n"),
        ("notes_last_updated", "Last Activity Date", "dt"),
        ("createdate", "Create Date", "dt"),
    )),
    "products": ("productinformation", (
        ("name", "Name", "s"), ("description", "Description", "t"),
        ("price", "Unit price", "n"), ("hs_sku", "SKU", "s"),
        ("hs_cost_of_goods_sold", "Unit cost", "n"),
        ("hs_recurring_billing_period", "Term", "s"),
        ("recurringbillingfrequency", "Billing frequency", "sel"),
        ("hs_product_type", "Product type", "sel"), ("hs_url", "URL", "s"),
        ("hs_images", "Image URL", "s"), ("hs_folder_id", "Folder", "n"),
        ("tax", "Tax", "n"), ("createdate", "Create Date", "dt"),
    )),
    "line_items": ("lineiteminformation", (
        ("name", "Name", "s"), ("description", "Description", "t"),
        ("price", "Unit price", "n"), ("quantity", "Quantity", "n"),
        ("amount", "Net price", "n"), ("discount", "Unit discount", "n"),
        ("hs_discount_percentage", "Discount Percentage", "n"),
        ("hs_total_discount", "Total discount", "n"), ("hs_product_id", "Product ID", "n"),
        ("hs_sku", "SKU", "s"), ("hs_line_item_currency_code", "Currency", "sel"),
        ("hs_recurring_billing_period", "Term", "s"),
        ("recurringbillingfrequency", "Billing frequency", "sel"), ("tax", "Tax", "n"),
        ("hs_tax_rate", "Tax rate", "n"), ("hs_tax_rate_group_id", "Tax rate ID", "s"),
        ("hs_tax_amount", "Tax amount", "n"), ("hs_pre_discount_amount", "Pre-discount amount", "n"),
        ("hs_position_on_quote", "Position on quote", "n"), ("createdate", "Create Date", "dt"),
    )),
    "tickets": ("ticketinformation", (
        ("subject", "Ticket name", "s"), ("content", "Ticket description", "t"),
        ("hs_pipeline", "Pipeline", "sel"), ("hs_pipeline_stage", "Ticket status", "sel"),
        ("hs_ticket_priority", "Priority", "sel"), ("hs_ticket_category", "Category", "chk"),
        ("source_type", "Source", "sel"), ("hs_resolution", "Resolution", "sel"),
        ("hs_ticket_id", "Ticket ID", "n"), ("closed_date", "Close date", "dt"),
        ("time_to_close", "Time to close", "n"),
        ("first_agent_reply_date", "First agent email reply date", "dt"),
        ("hs_file_upload", "File upload", "s"), ("createdate", "Create date", "dt"),
    )),
    "calls": ("call", (*_ENGAGEMENT,
        ("hs_call_title", "Call Title", "s"), ("hs_call_body", "Call notes", "t"),
        ("hs_call_duration", "Call duration", "n"), ("hs_call_status", "Call status", "sel"),
        ("hs_call_direction", "Call direction", "sel"), ("hs_call_disposition", "Call outcome", "sel"),
        ("hs_call_to_number", "To Number", "s"), ("hs_call_from_number", "From Number", "s"),
        ("hs_call_recording_url", "Recording URL", "s"),
    )),
    "meetings": ("meeting", (*_ENGAGEMENT,
        ("hs_meeting_title", "Meeting name", "s"), ("hs_meeting_body", "Meeting description", "t"),
        ("hs_internal_meeting_notes", "Internal notes", "t"),
        ("hs_meeting_start_time", "Start Time", "dt"), ("hs_meeting_end_time", "End Time", "dt"),
        ("hs_meeting_location", "Location", "s"), ("hs_meeting_outcome", "Meeting outcome", "sel"),
        ("hs_meeting_external_url", "External URL", "s"),
    )),
    "tasks": ("task", (*_ENGAGEMENT,
        ("hs_task_subject", "Task Title", "s"), ("hs_task_body", "Notes", "t"),
        ("hs_task_status", "Task Status", "sel"), ("hs_task_priority", "Priority", "sel"),
        ("hs_task_type", "Task Type", "sel"), ("hs_task_reminders", "Reminder", "s"),
        ("hs_task_completion_date", "Completed at", "dt"),
    )),
    "emails": ("email", (*_ENGAGEMENT,
        ("hs_email_subject", "Email subject", "s"), ("hs_email_text", "Email body", "t"),
        ("hs_email_html", "Email HTML body", "t"), ("hs_email_direction", "Email direction", "sel"),
        ("hs_email_status", "Email send status", "sel"), ("hs_email_headers", "Email headers", "t"),
    )),
    "notes": ("note", (*_ENGAGEMENT, ("hs_note_body", "Note body", "t"))),
    "leads": ("lead_information", (
        ("hs_lead_name", "Lead name", "s"), ("hs_lead_type", "Lead type", "sel"),
        ("hs_lead_label", "Lead label", "sel"), ("hs_pipeline", "Pipeline", "sel"),
        ("hs_pipeline_stage", "Lead stage", "sel"),
        ("hs_primary_associated_object_name", "Primary associated object name", "s"),
        ("createdate", "Create Date", "dt"),
    )),
}  # fmt: skip


def default_properties(kind: str) -> list[Raw]:
    """HubSpot's own properties of an object type: its catalogue, the ones every object has, and
    what `properties.built_in_properties` adds (the products' price per currency)."""
    group, own = PROPERTY_CATALOGUE[kind]
    out: dict[str, Raw] = {}
    for order, (name, label, short) in enumerate((*own, *_COMMON)):
        if name in out:
            continue
        options = []
        if short == "b":
            options = [{"label": label, "value": value, "displayOrder": i, "hidden": False}
                       for i, (label, value) in enumerate((("Yes", "true"), ("No", "false")))]  # fmt: skip
        out[name] = _definition(
            name, label, _KINDS[short], hubspotDefined=True, groupName=group,
            displayOrder=order, options=options, formField=kind in ("contacts", "companies"),
        )  # fmt: skip
    if kind in ("companies", "contacts", "deals", "products"):
        for extra in built_in_properties(kind):
            out.setdefault(extra["name"], extra)
    return list(out.values())


def _support_pipeline() -> Raw:
    """The ticket pipeline every portal starts with: New, Waiting on contact, Waiting on us,
    Closed (stage ids "1".."4", `metadata.ticketState` OPEN or CLOSED)."""
    names = ("New", "Waiting on contact", "Waiting on us", "Closed")
    stages = [
        {
            "id": str(i + 1),
            "label": label,
            "displayOrder": i,
            "metadata": {"ticketState": "CLOSED" if label == "Closed" else "OPEN"},
            "createdAt": STAMP,
            "updatedAt": STAMP,
            "archived": False,
            "writePermissions": "CRUD_ALL",
        }
        for i, label in enumerate(names)
    ]
    return {
        "id": "0",
        "label": "Support Pipeline",
        "displayOrder": 0,
        "stages": stages,
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "archived": False,
    }


def portal_id(account_id: str) -> int:
    """The sandbox account's portal (Hub) id, stable per account: real portal ids are unique
    across HubSpot, and Ferry's ledger tells portals apart by them."""
    return 1 + int(hashlib.sha256(account_id.encode()).hexdigest()[:10], 16) % 999_999_999


def _account() -> Raw:
    """The account's details but its `portalId`, which the emulator adds per account."""
    return {
        "accountType": "STANDARD",
        "timeZone": "Europe/Berlin",
        "companyCurrency": COMPANY_CURRENCY,
        "additionalCurrencies": list(ADDITIONAL_CURRENCIES),
        "utcOffset": "+01:00",
        "utcOffsetMilliseconds": 3_600_000,
        "uiDomain": "app-eu1.hubspot.com",
        "dataHostingLocation": "eu1",
    }


def _record(
    record_id: str,
    properties: dict[str, Any],
    created: str | None = None,
    **assoc: list[tuple[str, str]],
) -> Raw:
    """A CRM record; `createdate` (and the top-level `createdAt`) is its creation time, the
    reference's `add_time` where it has one."""
    props = {k: v for k, v in properties.items() if v not in (None, "")}
    created = stamp(created) or STAMP
    return {
        "id": record_id,
        "properties": {"hs_object_id": record_id, "createdate": created, **props},
        "createdAt": created,
        "updatedAt": STAMP,
        "archived": False,
        "_assoc": {k: v for k, v in assoc.items() if v},
    }


def _owner(user: User) -> Raw:
    first, _, last = user.name.partition(" ")
    number = int(hid(user.source_id) or 0)
    return {
        "id": hid(user.source_id),
        "email": user.email,
        "type": "PERSON",
        "firstName": first,
        "lastName": last,
        "userId": number - 60_000_000,
        "userIdIncludingInactive": number - 60_000_000,
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "archived": not user.active,
        "teams": [],
    }


def _stage(stage_id: str, label: str, order: int, closed: bool, probability: float) -> Raw:
    return {
        "id": stage_id,
        "label": label,
        "displayOrder": order,
        "metadata": {"isClosed": str(closed).lower(), "probability": str(probability)},
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "archived": False,
        "writePermissions": "CRUD_ALL",
    }


def _pipelines(company: ReferenceCompany) -> list[Raw]:
    out = []
    for order, pipeline in enumerate(company.pipelines):
        stages = [s for s in company.stages if s.pipeline_source_id == pipeline.source_id]
        won, lost = closed_stage_ids(pipeline.source_id)
        rendered = [
            _stage(hid(s.source_id) or "", s.name, s.order_nr - 1, False,
                   (s.deal_probability or 0) / 100)
            for s in sorted(stages, key=lambda s: s.order_nr)
        ]  # fmt: skip
        rendered += [
            _stage(won, "Closed won", len(stages), True, 1.0),
            _stage(lost, "Closed lost", len(stages) + 1, True, 0.0),
        ]
        out.append(
            {
                "id": hid(pipeline.source_id),
                "label": pipeline.name,
                "displayOrder": order,
                "createdAt": STAMP,
                "updatedAt": STAMP,
                "archived": False,
                "stages": rendered,
            }
        )
    return out


def _custom(kind: str, values: dict[str, Any], defs: list[CustomFieldDef]) -> dict[str, Any]:
    out = {}
    for definition in defs:
        value = values.get(definition.key)
        if value is not None:
            out[property_name(kind, definition.key)] = _value(definition, value)
    return out


def _value(definition: CustomFieldDef, value: Any) -> str:
    values = {label: option_value(definition, i) for i, label in enumerate(definition.options)}
    if definition.field_type is FieldType.enum:
        return values[value]
    if definition.field_type is FieldType.set:
        return ";".join(values[label] for label in value)
    if isinstance(value, int | float):
        return number_text(value) or ""
    return str(value)


def _company(org: Organization, defs: list[CustomFieldDef]) -> Raw:
    props = {
        "name": org.name,
        "address": org.address,
        "hubspot_owner_id": hid(org.owner_source_id),
        "hs_lastmodifieddate": STAMP,
    }
    return _record(
        hid(org.source_id) or "",
        {**props, **_custom("companies", org.custom_fields, defs)},
        org.add_time,
    )


def _contact(person: Person, defs: list[CustomFieldDef]) -> Raw:
    first, last = names_in_display_order(person)
    phone, mobile = phone_slots(person.phones)
    emails = [e.value for e in person.emails]  # held puts the primary first
    org = hid(person.org_source_id)
    props = {
        "firstname": first,
        "lastname": last,
        "email": emails[0] if emails else None,
        "hs_additional_emails": ";".join(emails[1:]),
        "phone": phone.value if phone else None,
        "mobilephone": mobile.value if mobile else None,
        "hubspot_owner_id": hid(person.owner_source_id),
        "associatedcompanyid": org,
        "lastmodifieddate": STAMP,
    }
    companies = [(org, "contact_to_company"), (org, "contact_to_company_unlabeled")] if org else []
    return _record(
        hid(person.source_id) or "",
        {**props, **_custom("contacts", person.custom_fields, defs)},
        person.add_time,
        companies=companies,
    )


def _deal(deal: Deal, defs: list[CustomFieldDef]) -> Raw:
    pipeline = deal.pipeline_source_id or "pl1"
    won, lost = closed_stage_ids(pipeline)
    stage = hid(deal.stage_source_id) or ""
    current = {"won": won, "lost": lost}.get(deal.status, stage)
    closed_at = deal.won_time or deal.lost_time
    close = stamp(closed_at) if closed_at else f"{deal.expected_close_date}T00:00:00.000Z"
    entered = stamp(deal.add_time) or STAMP  # a deal enters its first stage when created
    history = [{"value": stage, "timestamp": entered, "sourceType": "CRM_UI"}]
    if current != stage:  # newest first, as HubSpot lists a property's history
        history.insert(0, {"value": current, "timestamp": stamp(closed_at), "sourceType": "CRM_UI"})
    props = {
        "dealname": deal.title,
        "amount": number_text(deal.value),
        "deal_currency_code": deal.currency if deal.value is not None else None,
        "pipeline": hid(pipeline),
        "dealstage": current,
        "closedate": close if deal.expected_close_date or closed_at else None,
        "closed_lost_reason": deal.lost_reason,
        "hubspot_owner_id": hid(deal.owner_source_id),
        "hs_lastmodifieddate": STAMP,
    }
    record = _record(
        hid(deal.source_id) or "",
        {**props, **_custom("deals", deal.custom_fields, defs)},
        deal.add_time,
        contacts=_one(deal.person_source_id, "deal_to_contact"),
        companies=_one(deal.org_source_id, "deal_to_company")
        + _one(deal.org_source_id, "deal_to_company_unlabeled"),
    )
    record["_history"] = {"dealstage": history}
    return record


def _one(source_id: str | None, kind: str) -> list[tuple[str, str]]:
    return [(hid(source_id) or "", kind)] if source_id else []


def _product(product: Product, defs: list[CustomFieldDef]) -> Raw:
    prices = {f"hs_price_{p.currency.lower()}": number_text(p.price) for p in product.prices}
    props = {
        "name": product.name,
        "hs_sku": product.code,
        # `price` is the price in the company currency, when the product has one.
        "price": prices.get(f"hs_price_{COMPANY_CURRENCY.lower()}"),
        **prices,
        "hubspot_owner_id": hid(product.owner_source_id),
        "hs_lastmodifieddate": STAMP,
    }
    return _record(
        hid(product.source_id) or "", {**props, **_custom("products", product.custom_fields, defs)}
    )


def _line_items(company: ReferenceCompany, deals: list[Raw]) -> list[Raw]:
    """Each line item, linked both ways with its deal (HubSpot's association type 20)."""
    names = {p.source_id: p.name for p in company.products}
    currency = {d.source_id: d.currency for d in company.deals}
    by_id = {d["id"]: d for d in deals}
    out = []
    for item in company.deal_products:
        record = _line_item(item, names[item.product_source_id], currency[item.deal_source_id])
        out.append(record)
        deal = by_id[hid(item.deal_source_id)]
        deal["_assoc"].setdefault("line_items", []).append((record["id"], "deal_to_line_item"))
    return out


def _line_item(item: DealProduct, name: str, currency: str | None) -> Raw:
    """`amount` is the net price, (price - unit discount) x quantity, before tax; `tax` and
    `hs_tax_amount` the tax on it at `hs_tax_rate` (a rate from the tax library)."""
    gross = item.item_price * item.quantity
    by_amount = item.discount_type == "amount"
    tax = round(item.sum * item.tax / 100, 2) if item.tax else None
    props = {
        "name": name,
        "hs_product_id": hid(item.product_source_id),
        "price": number_text(item.item_price),
        "quantity": number_text(item.quantity),
        "discount": number_text(unit_discount(item)) if by_amount and item.discount else None,
        "hs_discount_percentage": None if by_amount else number_text(item.discount or None),
        "hs_pre_discount_amount": number_text(round(gross, 2)),
        "hs_total_discount": number_text(round(gross - item.sum, 2)),
        "amount": number_text(item.sum),
        "hs_tax_rate": number_text(item.tax or None),
        "hs_tax_rate_group_id": str(2_148_420_000 + round(item.tax * 100)) if tax else None,
        "tax": number_text(tax),
        "hs_tax_amount": number_text(tax),
        "description": item.comments,
        "hs_line_item_currency_code": currency,
        "hs_lastmodifieddate": STAMP,
    }
    deal = [(hid(item.deal_source_id) or "", "line_item_to_deal")]
    return _record(hid(item.source_id) or "", props, deals=deal)


def _links(activity: Activity | Note, singular: str) -> dict[str, list[tuple[str, str]]]:
    """An engagement's associations; an activity's further contacts follow its main one."""
    others = activity.participant_source_ids if isinstance(activity, Activity) else []
    contacts = [activity.person_source_id, *others]
    return {
        "contacts": [link for c in contacts for link in _one(c, f"{singular}_to_contact")],
        "companies": _one(activity.org_source_id, f"{singular}_to_company"),
        "deals": _one(activity.deal_source_id, f"{singular}_to_deal"),
        "leads": _one(activity.lead_source_id, f"{singular}_to_lead"),
    }


def _due(activity: Activity) -> str:
    return f"{activity.due_date}T{activity.due_time or '00:00'}:00.000Z"


def _minutes(duration: str | None) -> int:
    hours, _, minutes = (duration or "00:00").partition(":")
    return int(hours) * 60 + int(minutes)


def _end(activity: Activity) -> str | None:
    start = parse_time(_due(activity))
    if start is None or not activity.duration:
        return None
    end = start + timedelta(minutes=_minutes(activity.duration))
    return end.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _engagement(activity: Activity, where: tuple[str, str]) -> Raw:
    kind, record_id = where
    singular = SINGULAR[kind]
    common = {"hs_timestamp": _due(activity), "hubspot_owner_id": hid(activity.owner_source_id)}
    common["hs_lastmodifieddate"] = STAMP
    specific: dict[str, Any]
    if kind == "calls":
        specific = {
            "hs_call_title": activity.subject,
            "hs_call_body": activity.note,
            "hs_call_duration": str(_minutes(activity.duration) * 60_000)
            if activity.duration
            else None,
            "hs_call_status": "COMPLETED",
            "hs_call_direction": "OUTBOUND",
        }
    elif kind == "meetings":
        specific = {
            "hs_meeting_title": activity.subject,
            "hs_meeting_body": activity.note,
            "hs_meeting_start_time": _due(activity),
            "hs_meeting_end_time": _end(activity),
            "hs_meeting_outcome": "COMPLETED" if activity.done else "SCHEDULED",
            "hs_activity_type": "Lunch" if activity.type == "lunch" else None,
        }
    elif kind == "emails":
        specific = {
            "hs_email_subject": activity.subject,
            "hs_email_text": activity.note,
            "hs_email_direction": "EMAIL",
            "hs_email_status": "SENT",
        }
    else:
        specific = {
            "hs_task_subject": activity.subject,
            "hs_task_body": activity.note,
            "hs_task_status": "COMPLETED" if activity.done else "NOT_STARTED",
            "hs_task_type": TASK_TYPES.get(activity.type, "TODO"),
            "hs_task_priority": "NONE",
        }
    return _record(record_id, {**specific, **common}, **_links(activity, singular))


def _note(note: Note) -> Raw:
    props = {
        "hs_note_body": note.content,
        "hs_timestamp": stamp(note.add_time),
        "hubspot_owner_id": hid(note.owner_source_id),
        "hs_lastmodifieddate": STAMP,
    }
    return _record(hid(note.source_id) or "", props, **_links(note, "note"))
