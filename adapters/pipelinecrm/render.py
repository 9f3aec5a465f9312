"""The reference company as Pipeline CRM holds it (`HOLDS`, `held`) and in its API's record
shapes (`render`: one table per list endpoint).

How Pipeline CRM keeps what Pipedrive links several ways:
- A person has fixed slots: `email`, `email2`, `home_email`; `phone`, `mobile`, `home_phone`,
  `fax`. A company has one address (`address_1`, `city`...). Deal stages (`percent`) are
  listed in one list; here all sit in one pipeline (`deal_pipeline_id`). No products.
- A deal names its `company_id`, `primary_contact_id` (and `person_ids`), `user_id` and
  `deal_stage_id`; a closed deal keeps its stage, with `status` and `closed_time`.
- Tasks (`type: "Task"`, a `due_date` day, `complete`) and events (`type: "CalendarEvent"`,
  `start_time`/`end_time`, no completion) are `calendar_entries`, typed by a category.
- Custom values sit in `custom_fields` as `custom_label_{id}`; a dropdown keeps its entry id,
  a multi-select a list of entry ids, a currency field a bare amount.
- Tags: a person carries `predefined_contacts_tag_ids` and `predefined_contacts_tags` ({id,
  name}). The account also keeps company and deal tag lists (`admin/company_tags`,
  `admin/deal_tags`), but no recorded answer shows how a company or deal names its tags: only
  people's tags are kept. No leads of their own: a lead is a person of `type` "Lead".
- Documents: one `documents` list for the account, each on a deal, person or company
  (`deal_id`, `person_id`, `company_id`) with its `title`, `size_in_k` (kilobytes: no byte size)
  and a `public_link`, an S3 URL signed for an hour; no MIME type (its name tells it).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.core.canonical import CustomFieldDef, Entity, FieldType
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.core.naming import mime_type
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import Holds, Names, listed
from adapters.reference.ids import IdScheme

IDS = IdScheme("pipelinecrm")
PIPELINE = ("pl1", "Pipeline")
EMAIL_SLOTS = ("email", "email2", "home_email")
PHONE_SLOTS = ("phone", "mobile", "home_phone", "fax")
EVENT_TYPES = frozenset({"call", "meeting", "email", "lunch"})  # the rest are tasks
VENDOR_TYPE = {
    FieldType.text: "text",
    FieldType.double: "numeric",
    FieldType.date: "date",
    FieldType.enum: "dropdown",
    FieldType.set: "multi_select",
}
FILE_PARENTS = frozenset({"deal_source_id", "person_source_id", "org_source_id"})
UPDATED = datetime(REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day, 8, tzinfo=UTC)
Raw = dict[str, Any]

HOLDS = Holds(
    # Custom field types are text, numeric, currency (an amount without currency), date,
    # dropdown and multi-select: no short-text or phone type.
    field_types={
        FieldType.varchar: FieldType.text,
        FieldType.phone: FieldType.text,
        FieldType.monetary: FieldType.double,
    },
    keeps_field=lambda f: f.entity is not Entity.products,
    inactive_users=False,  # the user list does not say who left
    one_pipeline=PIPELINE,
    names=Names.display_order,  # `full_name` is "first_name last_name"
    # Fixed slots: `email`, `email2`, `home_email`; `phone`, `mobile`, `home_phone`, `fax`.
    emails=listed(labels=("work", "work", "home")),
    phones=listed(labels=("work", "mobile", "home", "fax")),
    products=False,
    lost_reason=False,
    date_only=frozenset({"task", "deadline"}),  # a task is due on a day
    no_duration=frozenset({"task", "deadline"}),
    all_day_no_duration=EVENT_TYPES,
    no_done=EVENT_TYPES,  # an event has no completion state
    labels=True,
    files=True,
    file_parents=FILE_PARENTS,
    extra=(lambda company: _documents(_people_tagged(company)),),
)
held = HOLDS.held


def _people_tagged(company: ReferenceCompany) -> ReferenceCompany:
    """Only people's tags are kept."""
    return dataclasses.replace(
        company,
        organizations=[o.model_copy(update={"labels": []}) for o in company.organizations],
        deals=[d.model_copy(update={"labels": []}) for d in company.deals],
    )


def _documents(company: ReferenceCompany) -> ReferenceCompany:
    """A document keeps its name, a size in kilobytes only and its id as the way to its bytes."""
    files = [
        f.model_copy(
            update={"mime_type": mime_type(f.name), "size": None,
                    "content_ref": str(IDS.integer(f.source_id))}
        )
        for f in company.files
    ]  # fmt: skip
    return dataclasses.replace(company, files=files)


def tag_ids(company: ReferenceCompany) -> dict[str, int]:
    """The account's contact tags, numbered in name order."""
    names = sorted({label for p in company.persons for label in p.labels})
    return {name: 700 + position for position, name in enumerate(names, 1)}


def stamp(moment: datetime) -> str:
    """Pipeline CRM's time format, "2012/02/07 15:26:10 -0500" (kept here in UTC)."""
    return moment.astimezone(UTC).strftime("%Y/%m/%d %H:%M:%S %z")


def rfc(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def field_ids(fields: list[CustomFieldDef]) -> dict[str, int]:
    """Each custom field label's id, in the order of the definitions."""
    return {f.key: 600 + position for position, f in enumerate(fields, 1)}


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    tags = tag_ids(kept)
    fields = kept.custom_fields
    ids = field_ids(fields)

    def option_id(definition: CustomFieldDef, label: str) -> int:
        return ids[definition.key] * 100 + definition.options.index(label) + 1

    style = ValueStyle(option=option_id)
    by_key = {(f.entity, f.key): f for f in fields}

    def custom(entity: Entity, values: dict[str, Any]) -> Raw:
        out = {}
        for key, value in values.items():
            definition = by_key[(entity, key)]
            stored = vendor_value(definition, value, style)
            out[f"custom_label_{ids[key]}"] = stored
        return out

    def labels(entity: Entity) -> list[Raw]:
        return [
            {
                "id": ids[f.key],
                "name": f.name,
                "field_type": VENDOR_TYPE[f.field_type],
                "custom_field_label_dropdown_entries": [
                    {"id": option_id(f, label), "name": label} for label in f.options
                ],
            }
            for f in fields
            if f.entity is entity
        ]

    base = {"created_at": stamp(UPDATED), "updated_at": stamp(UPDATED)}
    return {
        "users": [
            {
                "id": IDS.integer(u.source_id),
                "first_name": u.name.partition(" ")[0],
                "last_name": u.name.partition(" ")[2],
                "email": u.email,
                **base,
            }
            for u in kept.users
        ],
        "companies": [
            {
                "id": IDS.integer(o.source_id),
                "name": o.name,
                "address_1": o.address,
                "user_id": IDS.integer(o.owner_source_id),
                "custom_fields": custom(Entity.organizations, o.custom_fields),
                **base,
            }
            for o in kept.organizations
        ],
        "people": [
            _person(p, custom(Entity.persons, p.custom_fields), base, tags) for p in kept.persons
        ],
        "deal_stages": [
            {
                "id": IDS.integer(s.source_id),
                "name": s.name,
                "percent": s.deal_probability or 0,
                "deal_pipeline_id": 1,
                **base,
            }
            for s in sorted(kept.stages, key=lambda s: s.order_nr)
        ],
        "deals": [
            {
                "id": IDS.integer(d.source_id),
                "name": d.title,
                "value": d.value,
                "currency": {"code": d.currency} if d.currency else None,
                "status": d.status,
                "closed_time": stamp(t) if (t := rfc(d.won_time or d.lost_time)) else None,
                "company_id": IDS.integer(d.org_source_id),
                "primary_contact_id": IDS.integer(d.person_source_id),
                "person_ids": [IDS.integer(d.person_source_id)] if d.person_source_id else [],
                "user_id": IDS.integer(d.owner_source_id),
                "deal_stage_id": IDS.integer(d.stage_source_id),
                "expected_close_date": d.expected_close_date.replace("-", "/")
                if d.expected_close_date
                else None,
                "custom_fields": custom(Entity.deals, d.custom_fields),
                **base,
            }
            for d in kept.deals
        ],
        "calendar_entries": [_entry(a, base) for a in kept.activities],
        "notes": [
            {
                "id": IDS.integer(n.source_id),
                "content": n.content,
                "deal_id": IDS.integer(n.deal_source_id),
                "person_id": IDS.integer(n.person_source_id),
                "company_id": IDS.integer(n.org_source_id),
                "user_id": IDS.integer(n.owner_source_id),
                **base,
                "created_at": stamp(rfc(n.add_time) or UPDATED),
            }
            for n in kept.notes
        ],
        "documents": [
            {
                "id": IDS.integer(f.source_id),
                "title": f.name,
                "size_in_k": math.ceil(len(kept.file_bytes[f.source_id]) / 1024),
                "deal_id": IDS.integer(f.deal_source_id),
                "person_id": IDS.integer(f.person_source_id),
                "company_id": IDS.integer(f.org_source_id),
                "owner_id": None,
                **base,
                "created_at": stamp(rfc(f.add_time) or UPDATED),
            }
            for f in kept.files
        ],
        "document_bytes": [
            {
                "id": IDS.integer(f.source_id),
                "bytes": kept.file_bytes[f.source_id],
                "type": mime_type(f.name) or "application/octet-stream",
            }
            for f in kept.files
        ],  # fmt: skip
        "deal_custom_field_labels": labels(Entity.deals),
        "person_custom_field_labels": labels(Entity.persons),
        "company_custom_field_labels": labels(Entity.organizations),
    }


def _person(p: Any, custom: Raw, base: Raw, tags: dict[str, int]) -> Raw:
    phones = {slot: None for slot in EMAIL_SLOTS + PHONE_SLOTS}
    phones.update({slot: point.value for slot, point in zip(PHONE_SLOTS, p.phones, strict=False)})
    phones.update({slot: point.value for slot, point in zip(EMAIL_SLOTS, p.emails, strict=False)})
    return {
        "id": IDS.integer(p.source_id),
        "first_name": p.first_name,
        "last_name": p.last_name,
        "full_name": " ".join(filter(None, (p.first_name, p.last_name))) or p.name,
        **phones,
        "company_id": IDS.integer(p.org_source_id),
        "user_id": IDS.integer(p.owner_source_id),
        "custom_fields": custom,
        "predefined_contacts_tag_ids": [tags[name] for name in p.labels],
        "predefined_contacts_tags": [{"id": tags[name], "name": name} for name in p.labels],
        **base,
    }


def _entry(a: Any, base: Raw) -> Raw:
    out: Raw = {
        "id": IDS.integer(a.source_id),
        "name": a.subject,
        "description": a.note,
        "category": {"name": a.type},
        "user_id": IDS.integer(a.owner_source_id),
        "deal_id": IDS.integer(a.deal_source_id),
        "person_id": IDS.integer(a.person_source_id),
        "company_id": IDS.integer(a.org_source_id),
        **base,
    }
    if a.type not in EVENT_TYPES:
        day = a.due_date.replace("-", "/") if a.due_date else None
        return {**out, "type": "Task", "due_date": day, "complete": a.done}
    start = datetime.fromisoformat(f"{a.due_date}T{a.due_time or '00:00'}+00:00")
    hours, _, minutes = (a.duration or "00:00").partition(":")
    end = start + timedelta(hours=int(hours), minutes=int(minutes))
    all_day = a.due_time is None
    return {
        **out,
        "type": "CalendarEvent",
        "all_day": all_day,
        "start_time": stamp(start),
        "end_time": None if all_day else stamp(end),
    }
