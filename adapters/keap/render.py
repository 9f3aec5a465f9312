"""The reference company as Keap holds it (`HOLDS`, `held`) and in its REST API's record shapes
(`render`: one table per list).

How Keap keeps what Pipedrive links several ways (facts in the emulator's docstring):
- A contact has at most three e-mails (`EMAIL1..3`, no type) and five phones (`PHONE1..5`,
  typed); a company has no owner. Names are `given_name` / `family_name`.
- One sales pipeline: every stage in one list, plus the account's win and loss stages
  (`/setting/application/configuration`); a closed deal sits in one of those, its reason in
  the stage's `reasons`, with no time of closing. An opportunity names one contact (required)
  and no company; amounts (deal revenue, product price, Currency fields) are in the account's
  one currency (`/account/profile` `currency_code`).
- Tasks (`Call`, `Email`, `Other`) are due at a time, without duration; meetings are
  appointments (start and end, no completion). Tasks, appointments and notes hang on one
  contact only.
- Products have one price, no unit, tax or owner, and no custom fields in v1.
- Tags label contacts and companies (not opportunities); files hang on a contact only; no leads
  (attached.py).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from adapters.core.canonical import Activity, CustomFieldDef, Entity, FieldType
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.keap.attached import contact_tags, held_step, tables
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import CloseTime, Holds, Names, in_currency, listed
from adapters.reference.ids import IdScheme

IDS = IdScheme("keap")
CURRENCY = "EUR"  # the account's one currency
ACCOUNT = "Ferry Reference Company"
PIPELINE = ("pl1", "Sales pipeline")
WON, LOST = ({"id": "898", "name": "Won", "order": 90}, {"id": "899", "name": "Lost", "order": 91})
TASK_TYPES = {"call": "Call", "email": "Email", "task": "Other"}
PHONE_TYPES = {"work": "Work", "home": "Home", "mobile": "Mobile", "other": "Other"}
# Keap's type for each canonical one, in FieldType's order.
KEAP_TYPES = ("Text", "TextArea", "DecimalNumber", "Currency", "Date", "Dropdown", "ListBox")
FIELD_TYPES = dict(zip(FieldType, (*KEAP_TYPES, "PhoneNumber"), strict=True))
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00.000Z"
DATES = {"date_created": STAMP, "last_updated": STAMP}
STYLE = ValueStyle(joined=",")  # a ListBox keeps its choices comma-separated
Raw = dict[str, Any]


def _money(record: Any, **update: Any) -> Any:
    """The record with its amounts in the account's currency (and `update`)."""
    values = in_currency(record.custom_fields, CURRENCY)
    return record.model_copy(update={"custom_fields": values, **update})


def _keap_only(company: ReferenceCompany) -> ReferenceCompany:
    """What Keap's records cannot say: company owners, a deal without a contact or with a
    company, amounts in another currency, notes on anything but one contact."""
    unlinked = {"deal_source_id": None, "org_source_id": None}
    return dataclasses.replace(
        company,
        organizations=[_money(o, owner_source_id=None) for o in company.organizations],
        persons=[_money(p) for p in company.persons],
        products=[
            p.model_copy(
                update={"prices": [x.model_copy(update={"currency": CURRENCY}) for x in p.prices]}
            )
            for p in company.products
        ],
        deals=[
            _money(d, org_source_id=None, currency=CURRENCY)
            for d in company.deals
            if d.person_source_id
        ],
        notes=[n.model_copy(update=unlinked) for n in company.notes if n.person_source_id],
    )


def _on_a_contact(activity: Activity) -> Activity:
    return activity.model_copy(update={"deal_source_id": None, "org_source_id": None})


HOLDS = Holds(
    keeps_field=lambda f: f.entity is not Entity.products,  # no products/model in v1
    one_pipeline=PIPELINE,
    closed_in_first_stage=True,
    close_time=CloseTime.none,
    names=Names.display_order,
    emails=listed(labels=("work", "work", "work")),  # EMAIL1..3
    phones=listed(most=5, labels=PHONE_TYPES, other="other"),  # PHONE1..5
    prices=1,
    product_unit=False,
    product_tax=False,
    product_owner=False,
    activity_types={"deadline": "task", "lunch": "meeting"},
    timed=frozenset({"call", "email", "task", "meeting"}),
    no_duration=frozenset(TASK_TYPES),
    no_done=frozenset({"meeting"}),
    activity=_on_a_contact,
    labels=True,
    files=True,
    file_parents=frozenset({"person_source_id"}),
    extra=(_keap_only, held_step(IDS)),
)
held = HOLDS.held


def _models(fields: list[CustomFieldDef], ids: dict[tuple[Entity, str], int]) -> Tables:
    def model(entity: Entity, record_type: str) -> Raw:
        return {
            "custom_fields": [
                {
                    "id": ids[(f.entity, f.key)],
                    "label": f.name,
                    "field_name": f.key,
                    "field_type": FIELD_TYPES[f.field_type],
                    "record_type": record_type,
                    "options": [{"id": str(i), "label": o} for i, o in enumerate(f.options, 1)],
                }
                for f in fields
                if f.entity is entity
            ],
            "optional_properties": ["custom_fields"],
        }

    return {
        "contacts_model": [model(Entity.persons, "CONTACT")],
        "companies_model": [model(Entity.organizations, "COMPANY")],
        "opportunities_model": [model(Entity.deals, "OPPORTUNITY")],
    }


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    ids = {(f.entity, f.key): 600 + i for i, f in enumerate(kept.custom_fields, 1)}
    by_key = {(f.entity, f.key): f for f in kept.custom_fields}

    def custom(entity: Entity, values: dict[str, Any]) -> list[Raw]:
        return [
            {"id": ids[(entity, k)], "content": vendor_value(by_key[(entity, k)], v, STYLE)}
            for k, v in values.items()
        ]

    stages = sorted(kept.stages, key=lambda s: s.order_nr)
    return {
        "users": [_user(u) for u in kept.users],
        "companies": [
            {
                "id": IDS.integer(o.source_id),
                "company_name": o.name,
                "address": {"line1": o.address} if o.address else None,
                "custom_fields": custom(Entity.organizations, o.custom_fields),
            }
            for o in kept.organizations
        ],
        "contacts": [
            {
                **_contact(p, custom(Entity.persons, p.custom_fields)),
                "tag_ids": contact_tags(p.labels, kept),
            }
            for p in kept.persons
        ],
        "stages": [
            {
                "id": str(IDS.integer(s.source_id)),
                "name": s.name,
                "order": s.order_nr,
                "probability": s.deal_probability,
            }
            for s in stages
        ]
        + [WON, LOST],
        "opportunities": [
            _opportunity(d, custom(Entity.deals, d.custom_fields)) for d in kept.deals
        ],
        "tasks": [_task(a) for a in kept.activities if a.type in TASK_TYPES],
        "appointments": [_appointment(a) for a in kept.activities if a.type not in TASK_TYPES],
        "notes": [
            {
                "id": IDS.integer(n.source_id),
                "title": "Note",
                "body": n.content,
                "type": "Other",
                "contact_id": IDS.integer(n.person_source_id),
                "user_id": IDS.integer(n.owner_source_id),
                "date_created": n.add_time or STAMP,
                "last_updated": n.add_time or STAMP,
            }
            for n in kept.notes
        ],
        "products": [
            {
                "id": IDS.integer(p.source_id),
                "product_name": p.name,
                "product_price": p.prices[0].price if p.prices else None,
                "sku": p.code,
            }
            for p in kept.products
        ],
        "account_profile": [
            {"name": ACCOUNT, "email": kept.users[0].email, "currency_code": CURRENCY}
        ],
        "setting_application_configuration": [
            {
                "opportunity": {
                    "default_stage": stages[0].name if stages else None,
                    "states": {
                        "win": {"stage": WON["name"], "reasons": ""},
                        "loss": {"stage": LOST["name"], "reasons": ""},
                        "active": {"stages": ",".join(s.name for s in stages)},
                    },
                }
            }
        ],
        **_models(kept.custom_fields, ids),
        **tables(kept, IDS),
    }


def _user(u: Any) -> Raw:
    given, _, family = u.name.partition(" ")
    return {
        "id": IDS.integer(u.source_id),
        "given_name": given,
        "family_name": family,
        "email_address": u.email,
        "status": "Active" if u.active else "Inactive",
        **DATES,
    }


def _contact(p: Any, custom: list[Raw]) -> Raw:
    return {
        "id": IDS.integer(p.source_id),
        "given_name": p.first_name if p.first_name or p.last_name else p.name,
        "family_name": p.last_name,
        "email_addresses": [
            {"email": e.value, "field": f"EMAIL{i}"} for i, e in enumerate(p.emails, 1)
        ],
        "phone_numbers": [
            {"number": x.value, "field": f"PHONE{i}", "type": PHONE_TYPES[x.label]}
            for i, x in enumerate(p.phones, 1)
        ],
        "company": {"id": IDS.integer(p.org_source_id)} if p.org_source_id else None,
        "owner_id": IDS.integer(p.owner_source_id),
        "custom_fields": custom,
        **DATES,
    }


def _opportunity(d: Any, custom: list[Raw]) -> Raw:
    stage: Raw = {"id": IDS.integer(d.stage_source_id), "reasons": []}
    if d.status != "open":  # a closed deal sits in the win or loss stage, with its reason
        reasons = [d.lost_reason] if d.lost_reason else []
        closed = WON if d.status == "won" else LOST
        stage = {"id": int(closed["id"]), "name": closed["name"], "reasons": reasons}
    return {
        "id": IDS.integer(d.source_id),
        "opportunity_title": d.title,
        "contact": {"id": IDS.integer(d.person_source_id)},
        "stage": stage,
        "user": {"id": IDS.integer(d.owner_source_id)} if d.owner_source_id else None,
        "projected_revenue_high": d.value,
        "projected_revenue_low": d.value,
        "estimated_close_date": f"{d.expected_close_date}T00:00:00.000Z"
        if d.expected_close_date
        else None,
        "custom_fields": custom,
        **DATES,
    }


def _start(a: Activity) -> datetime:
    return datetime.fromisoformat(f"{a.due_date}T{a.due_time or '00:00'}:00+00:00")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _task(a: Activity) -> Raw:
    return {
        "id": IDS.integer(a.source_id),
        "title": a.subject,
        "description": a.note,
        "type": TASK_TYPES[a.type],
        "due_date": _iso(_start(a)) if a.due_date else None,
        "completed": a.done,
        "contact": {"id": IDS.integer(a.person_source_id)} if a.person_source_id else None,
        "user_id": IDS.integer(a.owner_source_id),
        "creation_date": STAMP,
        "modification_date": STAMP,
    }


def _appointment(a: Activity) -> Raw:
    start = _start(a)
    hours, _, minutes = (a.duration or "00:00").partition(":")
    return {
        "id": IDS.integer(a.source_id),
        "title": a.subject,
        "description": a.note,
        "start_date": _iso(start),
        "end_date": _iso(start + timedelta(hours=int(hours), minutes=int(minutes))),
        "contact_id": IDS.integer(a.person_source_id),
        "user": IDS.integer(a.owner_source_id),
    }
