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
import re
from datetime import timedelta
from typing import Any

from adapters.core.canonical import (
    Activity,
    CustomFieldDef,
    Deal,
    Entity,
    FieldType,
    Note,
    Organization,
    Person,
    Product,
    User,
)
from adapters.core.emulation import Tables
from adapters.core.mapping import parse_time
from adapters.hubspot.held import engagement_kind, held, phone_slots
from adapters.hubspot.properties import (
    ADDITIONAL_CURRENCIES,
    COMPANY_CURRENCY,
    STAMP,
    built_in_properties,
    custom_property,
    option_value,
    property_name,
)
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.held import names_in_display_order

Raw = dict[str, Any]

# Where each kind of record's ids start; the reference's number is added (p7 -> 30000000007).
BASES = {"u": 70_000_000, "o": 20_000_000_000, "p": 30_000_000_000, "d": 40_000_000_000}
BASES |= {"pr": 50_000_000_000, "n": 60_000_000_000, "s": 1_000_000, "pl": 7_000_000}
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
    prefix, number = re.fullmatch(r"([a-z]+)(\d+)", source_id).groups()  # type: ignore[union-attr]
    return str(BASES[prefix] + int(number))


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
    for activity in company.activities:
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
        "notes": [_note(n) for n in kept.notes],
    }
    for kind in SINGULAR:
        tables[kind] = [_engagement(a, ids[a.source_id]) for a in kept.activities
                        if ids[a.source_id][0] == kind]  # fmt: skip
    for kind, defs in fields.items():
        tables[f"properties:{kind}"] = built_in_properties(kind) + [
            custom_property(kind, f) for f in defs
        ]
    return tables


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


def _record(record_id: str, properties: dict[str, Any], **assoc: list[tuple[str, str]]) -> Raw:
    props = {k: v for k, v in properties.items() if v not in (None, "")}
    return {
        "id": record_id,
        "properties": {"hs_object_id": record_id, "createdate": STAMP, **props},
        "createdAt": STAMP,
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
        hid(org.source_id) or "", {**props, **_custom("companies", org.custom_fields, defs)}
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
        companies=companies,
    )


def _deal(deal: Deal, defs: list[CustomFieldDef]) -> Raw:
    pipeline = deal.pipeline_source_id or "pl1"
    won, lost = closed_stage_ids(pipeline)
    stage = hid(deal.stage_source_id) or ""
    current = {"won": won, "lost": lost}.get(deal.status, stage)
    closed_at = deal.won_time or deal.lost_time
    close = stamp(closed_at) if closed_at else f"{deal.expected_close_date}T00:00:00.000Z"
    history = [{"value": stage, "timestamp": STAMP, "sourceType": "CRM_UI"}]
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


def _links(activity: Activity | Note, singular: str) -> dict[str, list[tuple[str, str]]]:
    return {
        "contacts": _one(activity.person_source_id, f"{singular}_to_contact"),
        "companies": _one(activity.org_source_id, f"{singular}_to_company"),
        "deals": _one(activity.deal_source_id, f"{singular}_to_deal"),
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
