"""The reference company as Zendesk Sell holds it (`HOLDS`, `held`) and in its API's record
shapes (`render`: one table per list endpoint, records unwrapped from their `data` envelope).

How Zendesk Sell keeps what Pipedrive links several ways:
- People and companies are both `contacts` (`is_organization`); a person names its company in
  `contact_id` and has one `email` and three phones: `phone` (work), `mobile` and `fax`. A
  company has one `address`. Custom values sit in `custom_fields` by the field's *name*.
- A deal has one `stage_id`; won and lost are stages of their own (category `won`/`lost`) in
  each pipeline, entered at `last_stage_change_at`. The deal's `contact_id` is its primary
  contact (the person, else the company), `organization_id` (read-only) its company.
- Tasks and calls are the activities: a task is due at a time (`due_date`) and `completed`; a
  call is a log: it was `made_at` a time (so it is done) and lasted `duration` seconds; neither
  has a note beside its text. Each, like a note, hangs on one `resource_type` + `resource_id`
  (a call on a deal lists it in `associated_deal_ids`).
- Products have a `sku` and `prices` [{amount, currency}]; no unit, tax or owner.
- Contacts, deals and leads carry `tags` (names): their labels. Leads and documents: see
  `prospects`.
"""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import Activity, CustomFieldDef, Entity, FieldType, Note
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import Holds, Names, Parents, listed, slotted
from adapters.reference.ids import DEFAULT_BASES, IdScheme, kind_and_number
from adapters.zendesk_sell.prospects import document_row, documents, lead_row, own_records
from adapters.zendesk_sell.source import FIELD_TYPES

# lr: loss reasons; l: leads (and their own persons and organizations); fl: documents.
IDS = IdScheme("zendesk_sell", {**DEFAULT_BASES, "lr": 50, "l": 1_100_000, "fl": 1_200_000})
CLOSED = {"won": 1, "lost": 2}  # the closed stages of each pipeline, by category
# The Sell type a canonical type is written as: the first one read as it.
VENDOR_TYPE = {FieldType(kind): name for name, kind in reversed(FIELD_TYPES.items())}
# Where an entity's custom fields are defined: /v2/<resource type>/custom_fields.
FIELD_RESOURCE = {Entity.organizations: "contact", Entity.persons: "contact", Entity.deals: "deal"}
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"  # when every record was last changed
PERSON_ONLY = ("first_name", "last_name", "contact_id", "email", "phone", "mobile", "fax")
Raw = dict[str, Any]


HOLDS = Holds(
    # Types: string, text, number, date, list, multi_select_list, phone (and others we do not
    # write): no money type, an amount is a number. Products have no custom fields.
    field_types={FieldType.monetary: FieldType.double},
    keeps_field=lambda f: f.entity in FIELD_RESOURCE,
    names=Names.display_order,  # `name` is "first_name last_name"
    emails=listed(labels=("work",)),  # one `email`
    phones=slotted(("work", "mobile", "fax"), "work"),  # `phone`, `mobile` and `fax`
    product_unit=False,
    product_tax=False,
    product_owner=False,
    closed_in_first_stage=True,  # a closed deal sits in its pipeline's won or lost stage
    activity_types={"meeting": "task", "email": "task", "lunch": "task", "deadline": "task"},
    timed=frozenset({"task", "call"}),  # `due_date` and `made_at` are times
    no_duration=frozenset({"task"}),
    activity_parents=Parents.one,
    activity=lambda a: a.model_copy(update={"note": None, "done": a.done or a.type == "call"}),
    note_parents=Parents.one,
    labels=True,  # `tags` on contacts, deals and leads
    leads=True,  # `/v2/leads`: each a person and a company of its own (`own_records`)
    # `/v2/documents` of leads, contacts and deals: none on tasks, calls, notes or products.
    files=True,
    file_parents=frozenset(
        {"deal_source_id", "person_source_id", "org_source_id", "lead_source_id"}
    ),
    extra=(own_records, documents(IDS)),
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
        if resource == "contact":  # a contact field is for companies, people or both
            row |= {"for_company": f.entity is Entity.organizations}
            row |= {"for_contact": f.entity is Entity.persons}
        rows.append(row)
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
    if record.lead_source_id:
        return {"resource_type": "lead", "resource_id": IDS.integer(record.lead_source_id)}
    if record.deal_source_id:
        return {"resource_type": "deal", "resource_id": IDS.integer(record.deal_source_id)}
    parent = record.person_source_id or record.org_source_id
    return {"resource_type": "contact" if parent else None, "resource_id": IDS.integer(parent)}


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    custom, _ = custom_renderer(kept)
    leads = {lead.source_id for lead in kept.leads}  # their own persons are no contacts
    activities = [*kept.activities, *kept.lead_activities]
    parents: list[Any] = [*kept.deals, *kept.persons, *kept.organizations, *kept.leads]
    owners = {r.source_id: r.owner_source_id for r in parents}  # a document's, its record's
    tables: Tables = {
        "users": [
            {
                "id": IDS.integer(u.source_id),
                "name": u.name,
                "email": u.email,
                "status": "active" if u.active else "inactive",
                "role": "user",
                "confirmed": True,
            }
            for u in kept.users
        ],
        "contacts": [
            *(
                _organization(o, custom(Entity.organizations, o.custom_fields))
                for o in kept.organizations
                if o.source_id not in leads
            ),
            *(
                _person(p, custom(Entity.persons, p.custom_fields))
                for p in kept.persons
                if p.source_id not in leads
            ),
        ],
        "pipelines": [
            {"id": IDS.integer(pl.source_id), "name": pl.name, "disabled": False}
            for pl in kept.pipelines
        ],
        "stages": [row for pl in kept.pipelines for row in _stages(kept, pl.source_id)],
        "loss_reasons": [
            {"id": number, "name": name} for name, number in loss_reasons(kept).items()
        ],
        "deals": [_deal(kept, d, custom(Entity.deals, d.custom_fields)) for d in kept.deals],
        "products": [
            {
                "id": IDS.integer(p.source_id),
                "name": p.name,
                "sku": p.code,
                "active": True,
                "prices": [{"amount": f"{x.price:.2f}", "currency": x.currency} for x in p.prices],
            }
            for p in kept.products
        ],
        "tasks": [_task(a) for a in activities if a.type != "call"],
        "calls": [_call(a) for a in activities if a.type == "call"],
        "notes": [
            {
                "id": IDS.integer(n.source_id),
                "content": n.content,
                **resource(n),
                "creator_id": IDS.integer(n.owner_source_id),
                "created_at": n.add_time or STAMP,
            }
            for n in [*kept.notes, *kept.lead_notes]
        ],
        "leads": [lead_row(kept, lead, IDS) for lead in kept.leads],
        "documents": [
            document_row(f, kept.file_bytes[f.source_id], IDS, owners.get(_parent_of(f) or ""))
            for f in kept.files
        ],
        "contact_custom_fields": definitions(kept, "contact"),
        "deal_custom_fields": definitions(kept, "deal"),
    }
    stamps = {"created_at": STAMP, "updated_at": STAMP}
    return {name: [{**stamps, **row} for row in rows] for name, rows in tables.items()}


def _parent_of(file: Any) -> str | None:
    return file.deal_source_id or file.lead_source_id or file.person_source_id or file.org_source_id


def _contact(record: Any, custom: Raw, organization: bool) -> Raw:
    ids = {"id": IDS.integer(record.source_id), "owner_id": IDS.integer(record.owner_source_id)}
    return {**ids, "custom_fields": custom, "is_organization": organization, "tags": record.labels}


def _organization(o: Any, custom: Raw) -> Raw:
    where = {"line1": o.address, **dict.fromkeys(("city", "postal_code", "state", "country"))}
    named = {"name": o.name, **dict.fromkeys(PERSON_ONLY), "address": where}
    return {**_contact(o, custom, True), **named}


def _person(p: Any, custom: Raw) -> Raw:
    phones = {point.label: point.value for point in p.phones}
    return {
        **_contact(p, custom, False),
        "name": " ".join(filter(None, (p.first_name, p.last_name))) or p.name,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "contact_id": IDS.integer(p.org_source_id),
        "email": p.emails[0].value if p.emails else None,
        "phone": phones.get("work"),
        "mobile": phones.get("mobile"),
        "fax": phones.get("fax"),
        "address": None,
    }


def _stages(kept: ReferenceCompany, pipeline: str) -> list[Raw]:
    """A pipeline's stages in order, then its won and lost stages."""
    own = sorted(
        (s for s in kept.stages if s.pipeline_source_id == pipeline), key=lambda s: s.order_nr
    )
    rows = [
        (
            IDS.integer(s.source_id),
            s.name,
            "incoming" if i == 1 else "in_progress",
            s.order_nr,
            s.deal_probability,
        )
        for i, s in enumerate(own, 1)
    ]
    last = max((s.order_nr for s in own), default=0)
    rows += [(closed_stage(pipeline, "won"), "Won", "won", last + 1, 100)]
    rows += [(closed_stage(pipeline, "lost"), "Lost", "lost", last + 2, 0)]
    keys = ("id", "name", "category", "position", "likelihood")
    return [
        {
            **dict(zip(keys, row, strict=True)),
            "pipeline_id": IDS.integer(pipeline),
            "active": row[2] in CLOSED,
        }
        for row in rows
    ]


def _deal(kept: ReferenceCompany, d: Any, custom: Raw) -> Raw:
    pipeline = d.pipeline_source_id or "pl1"
    closed = d.status != "open"
    return {
        "id": IDS.integer(d.source_id),
        "name": d.title,
        "value": d.value,
        "currency": d.currency,
        "hot": False,
        "stage_id": closed_stage(pipeline, d.status) if closed else IDS.integer(d.stage_source_id),
        "contact_id": IDS.integer(d.person_source_id or d.org_source_id),
        "organization_id": IDS.integer(d.org_source_id),
        "owner_id": IDS.integer(d.owner_source_id),
        "estimated_close_date": d.expected_close_date,
        "last_stage_change_at": d.won_time or d.lost_time or STAMP,
        "loss_reason_id": loss_reasons(kept).get(d.lost_reason or ""),
        "custom_fields": custom,
        "tags": d.labels,
    }


def _task(a: Activity) -> Raw:
    return {
        "id": IDS.integer(a.source_id),
        "content": a.subject,
        "due_date": moment(a.due_date, a.due_time),
        "completed": a.done,
        "owner_id": IDS.integer(a.owner_source_id),
        **resource(a),
    }


def _call(a: Activity) -> Raw:
    on = resource(a)
    deal = on["resource_id"] if on["resource_type"] == "deal" else None
    return {
        "id": IDS.integer(a.source_id),
        "summary": a.subject,
        "made_at": moment(a.due_date, a.due_time),
        "duration": seconds(a.duration),
        "user_id": IDS.integer(a.owner_source_id),
        **({"resource_type": None, "resource_id": None} if deal else on),
        "associated_deal_ids": [deal] if deal else [],
        "incoming": False,
        "missed": False,
    }
