"""The reference company as Zendesk Sell holds it (`HOLDS`, `held`) and in its API's record
shapes (`render`: one table per list endpoint, records unwrapped from their `data` envelope).

How Zendesk Sell keeps what Pipedrive links several ways:
- People and companies are both `contacts` (`is_organization`); a person names its company in
  `contact_id` and has one `email` and two phones, `phone` (work) and `mobile`. A company has
  one `address` object. Custom values sit in `custom_fields` by the field's *name*.
- A deal has one `stage_id`; won and lost are stages of their own (category `won`/`lost`) in
  each pipeline, entered at `last_stage_change_at`. The deal's `contact_id` is its primary
  contact (the person, else the company); `organization_id` its company; `loss_reason_id`
  names a loss reason.
- Tasks and calls are the activities: a task is due at a time (`due_date`) and `completed`; a
  call is `made_at` a time and lasts `duration` seconds. Each, like a note, hangs on one
  `resource_type` + `resource_id` (a call on a deal lists it in `associated_deal_ids`).
- Products have a `sku` and `prices` [{amount, currency}]; no unit, tax or owner.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.core.canonical import Activity, CustomFieldDef, Entity, FieldType, Note
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import Holds, Names, Parents, listed, slotted
from adapters.reference.ids import IdScheme, kind_and_number

IDS = IdScheme(
    bases={
        "u": 1_000,
        "p": 100_000,
        "o": 200_000,
        "d": 300_000,
        "a": 400_000,
        "n": 500_000,
        "pl": 700,
        "s": 800,
        "pr": 900_000,
        "f": 600,
        "lr": 50,
    },
    namespace="zendesk_sell",
)
CLOSED = {"won": 1, "lost": 2}  # the closed stages of each pipeline, by category
VENDOR_TYPE = {
    FieldType.varchar: "string",
    FieldType.text: "text",
    FieldType.double: "number",
    FieldType.date: "date",
    FieldType.enum: "list",
    FieldType.set: "multi_select_list",
    FieldType.phone: "phone",
}
# Where an entity's custom fields are defined: /v2/<resource type>/custom_fields.
FIELD_RESOURCE = {Entity.organizations: "contact", Entity.persons: "contact", Entity.deals: "deal"}
UPDATED = datetime(REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day, 8, tzinfo=UTC)
STAMP = UPDATED.strftime("%Y-%m-%dT%H:%M:%SZ")
Raw = dict[str, Any]


def _activity(a: Activity) -> Activity:
    # Neither a task nor a call has a note beside its text.
    return a.model_copy(update={"note": None})


HOLDS = Holds(
    # Types: string, text, number, date, list, multi_select_list, phone (and others we do not
    # write): no money type, an amount is a number. Products have no custom fields.
    field_types={FieldType.monetary: FieldType.double},
    keeps_field=lambda f: f.entity in FIELD_RESOURCE,
    names=Names.display_order,  # `name` is "first_name last_name"
    emails=listed(labels=("work",)),  # one `email`
    phones=slotted(("work", "mobile"), "work"),  # `phone` and `mobile`
    product_unit=False,
    product_tax=False,
    product_owner=False,
    closed_in_first_stage=True,  # a closed deal sits in its pipeline's won or lost stage
    activity_types={"meeting": "task", "email": "task", "lunch": "task", "deadline": "task"},
    timed=frozenset({"task", "call"}),  # `due_date` and `made_at` are times
    no_duration=frozenset({"task"}),
    no_done=frozenset({"call"}),
    activity_parents=Parents.one,
    activity=_activity,
    note_parents=Parents.one,
)
held = HOLDS.held


def closed_stage(pipeline_source_id: str, category: str) -> int:
    """The id of a pipeline's won or lost stage (no reference stage stands for them)."""
    return 9_000 + kind_and_number(pipeline_source_id)[1] * 10 + CLOSED[category]


def loss_reasons(company: ReferenceCompany) -> dict[str, int]:
    names = sorted({d.lost_reason for d in company.deals if d.lost_reason})
    return {name: IDS.integer(f"lr{i}") or 0 for i, name in enumerate(names, 1)}


def field_ids(company: ReferenceCompany) -> dict[tuple[Entity, str], int]:
    return {(f.entity, f.key): 600 + i for i, f in enumerate(company.custom_fields, 1)}


def custom_renderer(company: ReferenceCompany) -> Any:
    """{name: value} as Sell stores it: numbers as text, dates as M/D/YYYY, choices as
    {id, name} (the custom fields page's value formats)."""
    ids = field_ids(company)
    by_key = {(f.entity, f.key): f for f in company.custom_fields}

    def option(definition: CustomFieldDef, label: str) -> Raw:
        number = ids[(definition.entity, definition.key)] * 100
        return {"id": number + definition.options.index(label) + 1, "name": label}

    style = ValueStyle(option=option, numbers_as_text=True)

    def render(entity: Entity, values: dict[str, Any]) -> Raw:
        out = {}
        for key, value in values.items():
            definition = by_key[(entity, key)]
            stored = vendor_value(definition, value, style)
            if definition.field_type is FieldType.set:  # a list of {id, name}, not text
                stored = [option(definition, label) for label in value]
            elif definition.field_type is FieldType.date:
                year, month, day = (int(part) for part in str(value).split("-"))
                stored = f"{month}/{day}/{year}"
            out[definition.name] = stored
        return out

    return render, option


def definitions(company: ReferenceCompany, resource: str) -> list[Raw]:
    ids = field_ids(company)
    _, option = custom_renderer(company)
    rows = []
    for f in company.custom_fields:
        if FIELD_RESOURCE.get(f.entity) != resource:
            continue
        row: Raw = {"id": ids[(f.entity, f.key)], "name": f.name, "type": VENDOR_TYPE[f.field_type]}
        if f.field_type in (FieldType.enum, FieldType.set):
            row["choices"] = [option(f, label) for label in f.options]
        if resource == "contact":
            row.update(
                for_company=f.entity is Entity.organizations,
                for_contact=f.entity is Entity.persons,
            )
        rows.append({**row, "created_at": STAMP, "updated_at": STAMP})
    return rows


def moment(day: str | None, time: str | None) -> str | None:
    return f"{day}T{time or '00:00'}:00Z" if day else None


def seconds(duration: str | None) -> int | None:
    if not duration:
        return None
    hours, _, minutes = duration.partition(":")
    return int(hours) * 3600 + int(minutes) * 60


def resource(record: Activity | Note) -> Raw:
    """The one record a task, call or note hangs on."""
    if record.deal_source_id:
        return {"resource_type": "deal", "resource_id": IDS.integer(record.deal_source_id)}
    parent = record.person_source_id or record.org_source_id
    return {"resource_type": "contact" if parent else None, "resource_id": IDS.integer(parent)}


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    custom, _ = custom_renderer(kept)
    base = {"created_at": STAMP, "updated_at": STAMP}
    return {
        "users": [
            {
                "id": IDS.integer(u.source_id),
                "name": u.name,
                "email": u.email,
                "status": "active" if u.active else "inactive",
                "role": "user",
                "confirmed": True,
                **base,
            }
            for u in kept.users
        ],
        "contacts": [
            *(
                _organization(o, custom(Entity.organizations, o.custom_fields), base)
                for o in kept.organizations
            ),
            *(_person(p, custom(Entity.persons, p.custom_fields), base) for p in kept.persons),
        ],
        "pipelines": [
            {"id": IDS.integer(pl.source_id), "name": pl.name, "disabled": False, **base}
            for pl in kept.pipelines
        ],
        "stages": _stages(kept, base),
        "loss_reasons": [
            {"id": number, "name": name, **base} for name, number in loss_reasons(kept).items()
        ],
        "deals": [_deal(kept, d, custom(Entity.deals, d.custom_fields), base) for d in kept.deals],
        "products": [
            {
                "id": IDS.integer(p.source_id),
                "name": p.name,
                "sku": p.code,
                "description": None,
                "active": True,
                "prices": [{"amount": f"{x.price:.2f}", "currency": x.currency} for x in p.prices],
                **base,
            }
            for p in kept.products
        ],
        "tasks": [_task(a, base) for a in kept.activities if a.type != "call"],
        "calls": [_call(a, base) for a in kept.activities if a.type == "call"],
        "notes": [
            {
                "id": IDS.integer(n.source_id),
                "content": n.content,
                **resource(n),
                "creator_id": IDS.integer(n.owner_source_id),
                "is_important": False,
                "tags": [],
                **base,
                "created_at": n.add_time or STAMP,
            }
            for n in kept.notes
        ],
        "contact_custom_fields": definitions(kept, "contact"),
        "deal_custom_fields": definitions(kept, "deal"),
    }


def _contact(source_id: str, owner: str | None, custom: Raw, base: Raw) -> Raw:
    return {
        "id": IDS.integer(source_id),
        "owner_id": IDS.integer(owner),
        "custom_fields": custom,
        **base,
    }


def _organization(o: Any, custom: Raw, base: Raw) -> Raw:
    return {
        **_contact(o.source_id, o.owner_source_id, custom, base),
        "is_organization": True,
        "name": o.name,
        "first_name": None,
        "last_name": None,
        "contact_id": None,
        "email": None,
        "phone": None,
        "mobile": None,
        "address": {
            "line1": o.address,
            "city": None,
            "postal_code": None,
            "state": None,
            "country": None,
        },
    }


def _person(p: Any, custom: Raw, base: Raw) -> Raw:
    phones = {point.label: point.value for point in p.phones}
    return {
        **_contact(p.source_id, p.owner_source_id, custom, base),
        "is_organization": False,
        "name": " ".join(filter(None, (p.first_name, p.last_name))) or p.name,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "contact_id": IDS.integer(p.org_source_id),
        "email": p.emails[0].value if p.emails else None,
        "phone": phones.get("work"),
        "mobile": phones.get("mobile"),
        "address": None,
    }


def _stages(kept: ReferenceCompany, base: Raw) -> list[Raw]:
    rows = []
    for pl in kept.pipelines:
        own = sorted(
            (s for s in kept.stages if s.pipeline_source_id == pl.source_id),
            key=lambda s: s.order_nr,
        )
        pipeline = IDS.integer(pl.source_id)
        for position, s in enumerate(own, 1):
            rows.append(
                {
                    "id": IDS.integer(s.source_id),
                    "name": s.name,
                    "category": "incoming" if position == 1 else "in_progress",
                    "position": s.order_nr,
                    "likelihood": s.deal_probability,
                    "pipeline_id": pipeline,
                    "active": True,
                    **base,
                }
            )
        last = max((s.order_nr for s in own), default=0)
        for i, (category, likelihood) in enumerate((("won", 100), ("lost", 0)), 1):
            rows.append(
                {
                    "id": closed_stage(pl.source_id, category),
                    "name": category.title(),
                    "category": category,
                    "position": last + i,
                    "likelihood": likelihood,
                    "pipeline_id": pipeline,
                    "active": True,
                    **base,
                }
            )
    return rows


def _deal(kept: ReferenceCompany, d: Any, custom: Raw, base: Raw) -> Raw:
    reasons = loss_reasons(kept)
    pipeline = d.pipeline_source_id or "pl1"
    stage = (
        IDS.integer(d.stage_source_id) if d.status == "open" else closed_stage(pipeline, d.status)
    )
    return {
        "id": IDS.integer(d.source_id),
        "name": d.title,
        "value": d.value,
        "currency": d.currency,
        "hot": False,
        "stage_id": stage,
        "contact_id": IDS.integer(d.person_source_id or d.org_source_id),
        "organization_id": IDS.integer(d.org_source_id),
        "owner_id": IDS.integer(d.owner_source_id),
        "estimated_close_date": d.expected_close_date,
        "last_stage_change_at": d.won_time or d.lost_time or STAMP,
        "loss_reason_id": reasons.get(d.lost_reason) if d.lost_reason else None,
        "custom_fields": custom,
        **base,
    }


def _task(a: Activity, base: Raw) -> Raw:
    return {
        "id": IDS.integer(a.source_id),
        "content": a.subject,
        "due_date": moment(a.due_date, a.due_time),
        "completed": a.done,
        "owner_id": IDS.integer(a.owner_source_id),
        **resource(a),
        "remind_at": None,
        **base,
    }


def _call(a: Activity, base: Raw) -> Raw:
    on = resource(a)
    deal = on["resource_id"] if on["resource_type"] == "deal" else None
    if deal:
        on = {"resource_type": None, "resource_id": None}
    return {
        "id": IDS.integer(a.source_id),
        "summary": a.subject,
        "made_at": moment(a.due_date, a.due_time),
        "duration": seconds(a.duration),
        "user_id": IDS.integer(a.owner_source_id),
        **on,
        "associated_deal_ids": [deal] if deal else [],
        "incoming": False,
        "missed": False,
        "phone_number": None,
        **base,
    }
