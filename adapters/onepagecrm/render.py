"""The reference company as OnePageCRM holds it (`HOLDS`, `held`) and in its API's record
shapes (`render`: one table per list endpoint, records unwrapped).

How OnePageCRM keeps what Pipedrive links several ways:
- A contact has lists of `emails`/`phones` ({type, value}) and a `company_id`; a company has
  one `address` object and no owner. Pipelines list their stages inline as {stage, label}
  (the stage number is its percentage); a deal names `pipeline_id` and `stage`.
- Actions hang on one contact, are assigned to a user, are due on a `date` or at an
  `exact_time` (Unix seconds) and are `done` or not; calls and meetings are logged on a contact
  at a `call_time_int`/`meeting_time_int` by an author named in words. No durations.
- Notes hang on a contact (`contact_id`) and maybe a deal (`linked_deal_id`); `author` is a
  name, not a user id. A closed deal keeps its `close_date` (a day). No products.
- Tags are a contact's (`tags`, names); a company has only `synced_tags` (its contacts' shared
  tags, when syncing), a deal none. No leads of their own: "lead" is a contact's status.
- Attachments hang on deals, notes, calls and meetings only (`attachments`: id, filename, size,
  no type and no date; a `url` signed until `url_expires_at`, the only way to the bytes: there
  is no one-attachment GET). A file on a contact or company has nowhere to go; one on an action
  neither. Held files name their record's list, its id and their own (`content_ref`).
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import UTC, datetime
from typing import Any

from adapters.core.canonical import Activity, CustomFieldDef, Entity, FieldType, File
from adapters.core.emulation import Tables
from adapters.core.fields import vendor_value
from adapters.core.naming import mime_type
from adapters.reference.dataset import ReferenceCompany, generate
from adapters.reference.holds import CloseTime, Holds, Names, listed
from adapters.reference.ids import IdScheme

IDS = IdScheme("onepagecrm")
VENDOR_TYPE = {
    FieldType.varchar: "single_line_text",
    FieldType.text: "multi_line_text",
    FieldType.double: "number",
    FieldType.date: "date",
    FieldType.enum: "select_box",
    FieldType.set: "multiple_choice",
}
# Where each entity's values and definitions sit: (record key, item key, definitions table).
FIELD_HOMES = {
    Entity.persons: ("custom_fields", "custom_field", "custom_fields"),
    Entity.organizations: ("company_fields", "company_field", "company_fields"),
    Entity.deals: ("deal_fields", "deal_field", "deal_fields"),
}
KINDS = ("email", "lunch", "deadline")  # kept as actions; calls and meetings are logged
LOGGED = {"call": "calls", "meeting": "meetings"}
Raw = dict[str, Any]


def _action(a: Activity) -> Activity:
    # An action, call or meeting hangs on one contact, with no duration or separate note; a
    # call or meeting names its author by name only.
    update: Raw = {"deal_source_id": None, "org_source_id": None, "note": None, "duration": None}
    if a.type in LOGGED:
        update["owner_source_id"] = None
    return a.model_copy(update=update)


def _notes_and_companies(company: ReferenceCompany) -> ReferenceCompany:
    # A note or an action needs a contact (a note may stand on its linked deal): those that
    # hang on a company alone are not kept.
    notes = [
        n.model_copy(update={"org_source_id": None, "owner_source_id": None})
        for n in company.notes
        if n.person_source_id or n.deal_source_id
    ]
    actions = [a for a in company.activities if a.person_source_id]
    # Only contacts carry tags.
    orgs = [
        o.model_copy(update={"owner_source_id": None, "labels": []}) for o in company.organizations
    ]
    deals = [d.model_copy(update={"labels": []}) for d in company.deals]
    return dataclasses.replace(
        company, notes=notes, organizations=orgs, deals=deals, activities=actions
    )


def content_ref(file: File, table: str) -> str:
    """Where the download finds a file: its record's list and id, and its attachment id."""
    parent = str(file.deal_source_id or file.activity_source_id)
    return f"{table}/{IDS.hex24(parent)}/{IDS.hex24(file.source_id)}"


def _files(company: ReferenceCompany) -> ReferenceCompany:
    # Calls and meetings take attachments, actions none; an attachment has a name and a size
    # (its type is its name's), no date.
    logged = {a.source_id: LOGGED[a.type] for a in company.activities if a.type in LOGGED}
    files = [
        f.model_copy(
            update={
                "mime_type": mime_type(f.name),
                "add_time": None,
                "content_ref": content_ref(f, logged.get(f.activity_source_id or "", "deals")),
            }
        )
        for f in company.files
        if f.deal_source_id or f.activity_source_id in logged  # not on a contact or company
    ]
    return dataclasses.replace(company, files=files)


HOLDS = Holds(
    # Field types: single/multi-line text, number, date, select box, multiple choice.
    field_types={FieldType.monetary: FieldType.double, FieldType.phone: FieldType.varchar},
    keeps_field=lambda f: f.entity is not Entity.products,
    inactive_users=False,
    names=Names.display_order,
    emails=listed(),
    phones=listed(),
    products=False,
    lost_reason=False,
    close_time=CloseTime.day,  # `close_date`
    activity_types={kind: "task" for kind in KINDS},
    no_duration=frozenset({"task", *LOGGED}),
    timed=frozenset(LOGGED),
    no_done=frozenset(LOGGED),
    activity=_action,
    labels=True,  # a contact's tags
    files=True,  # attachments of deals, calls and meetings (and notes: none in the reference)
    file_parents=frozenset({"deal_source_id", "activity_source_id"}),
    extra=(_notes_and_companies, _files),
)
held = HOLDS.held


def stamp(value: str | None) -> str:
    return value or "2026-01-01T08:00:00Z"


def epoch(day: str, time: str) -> int:
    return int(datetime.fromisoformat(f"{day}T{time}:00+00:00").astimezone(UTC).timestamp())


def stage_number(company: ReferenceCompany) -> dict[str, int]:
    """Each stage's number in its pipeline: its probability (distinct within a pipeline)."""
    return {s.source_id: int(s.deal_probability or s.order_nr) for s in company.stages}


@functools.cache
def _stages() -> dict[str, tuple[str, int]]:
    """The reference stages (the same at every size): pipeline and number of each."""
    company = generate(size=1, seed=0)
    numbers = stage_number(company)
    return {s.source_id: (s.pipeline_source_id, numbers[s.source_id]) for s in company.stages}


def stage_id(reference_id: str) -> str:
    """OnePageCRM's id of a reference stage: its pipeline's id and its number there."""
    pipeline, number = _stages()[reference_id]
    return f"{IDS.hex24(pipeline)}:{number}"


def definition(company: ReferenceCompany, f: CustomFieldDef) -> Raw:
    return {
        "id": _field_id(company, f),
        "name": f.name,
        "type": VENDOR_TYPE[f.field_type],
        "choices": list(f.options),
    }


def _field_id(company: ReferenceCompany, f: CustomFieldDef) -> str | None:
    return IDS.hex24(f"f{company.custom_fields.index(f) + 1}")


def custom(company: ReferenceCompany, entity: Entity, values: dict[str, Any]) -> Raw:
    record_key, item_key, _ = FIELD_HOMES[entity]
    defs = {f.key: f for f in company.custom_fields if f.entity is entity}
    return {
        record_key: [
            {item_key: definition(company, defs[k]), "value": vendor_value(defs[k], v)}
            for k, v in values.items()
        ]
    }


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    fields: Tables = {
        table: [definition(kept, f) for f in kept.custom_fields if f.entity is entity]
        for entity, (_, _, table) in FIELD_HOMES.items()
    }
    numbers = stage_number(kept)
    on: dict[str, list[Raw]] = {}  # each record's attachments (a url is signed when served)
    for f in kept.files:
        on.setdefault(f.deal_source_id or f.activity_source_id or "", []).append(attachment(f))
    base = {"created_at": stamp(None), "modified_at": stamp(None)}
    return {
        **fields,
        "users": [
            {
                "id": IDS.hex24(u.source_id),
                "first_name": u.name.partition(" ")[0],
                "last_name": u.name.partition(" ")[2],
                "email": u.email,
                **base,
            }
            for u in kept.users
        ],
        "companies": [
            {
                "id": IDS.hex24(o.source_id),
                "name": o.name,
                "address": {"address": o.address} if o.address else None,
                **custom(kept, Entity.organizations, o.custom_fields),
                **base,
            }
            for o in kept.organizations
        ],
        "contacts": [
            {
                "id": IDS.hex24(p.source_id),
                "first_name": p.first_name,
                "last_name": p.last_name or p.name,
                "emails": [{"type": e.label, "value": e.value} for e in p.emails],
                "phones": [{"type": e.label, "value": e.value} for e in p.phones],
                "company_id": IDS.hex24(p.org_source_id),
                "owner_id": IDS.hex24(p.owner_source_id),
                "tags": list(p.labels),
                **custom(kept, Entity.persons, p.custom_fields),
                **base,
            }
            for p in kept.persons
        ],
        "pipelines": [
            {
                "id": IDS.hex24(pl.source_id),
                "name": pl.name,
                "stages": [
                    {"stage": numbers[s.source_id], "label": s.name}
                    for s in sorted(kept.stages, key=lambda s: s.order_nr)
                    if s.pipeline_source_id == pl.source_id
                ],
                **base,
            }
            for pl in kept.pipelines
        ],
        "deals": [
            {
                "id": IDS.hex24(d.source_id),
                "name": d.title,
                "amount": d.value,
                "currency": d.currency,
                "status": {"open": "pending"}.get(d.status, d.status),
                "contact_id": IDS.hex24(d.person_source_id),
                "company_id": IDS.hex24(d.org_source_id),
                "owner_id": IDS.hex24(d.owner_source_id),
                "pipeline_id": IDS.hex24(d.pipeline_source_id),
                "stage": numbers.get(d.stage_source_id or ""),
                "expected_close_date": d.expected_close_date,
                "close_date": (d.won_time or d.lost_time or "")[:10] or None,
                "attachments": on.get(d.source_id, []),
                **custom(kept, Entity.deals, d.custom_fields),
                **base,
            }
            for d in kept.deals
        ],
        "actions": [
            {
                "id": IDS.hex24(a.source_id),
                "text": a.subject,
                "contact_id": IDS.hex24(a.person_source_id),
                "assignee_id": IDS.hex24(a.owner_source_id),
                "status": "done" if a.done else ("date_time" if a.due_time else "date"),
                "date": a.due_date,
                "exact_time": epoch(a.due_date, a.due_time) if a.due_date and a.due_time else None,
                "done": a.done,
                **base,
            }
            for a in kept.activities
            if a.type not in LOGGED
        ],
        **{
            table: [
                {
                    "id": IDS.hex24(a.source_id),
                    "text": a.subject,
                    "contact_id": IDS.hex24(a.person_source_id),
                    f"{kind}_time_int": epoch(a.due_date, a.due_time or "00:00")
                    if a.due_date
                    else None,
                    "author": "",
                    "attachments": on.get(a.source_id, []),
                    **base,
                }
                for a in kept.activities
                if a.type == kind
            ]
            for kind, table in LOGGED.items()
        },
        "notes": [
            {
                "id": IDS.hex24(n.source_id),
                "text": n.content,
                "contact_id": IDS.hex24(n.person_source_id),
                "linked_deal_id": IDS.hex24(n.deal_source_id),
                "date": (n.add_time or "")[:10] or None,
                "author": "",
                "attachments": on.get(n.source_id, []),
                **base,
                "created_at": stamp(n.add_time),
            }
            for n in kept.notes
        ],
        "attachment_bytes": [
            {"id": IDS.hex24(f.source_id), "bytes": kept.file_bytes[f.source_id]}
            for f in kept.files
        ],
    }


def attachment(f: File) -> Raw:
    """An attachment as stored (Attachment schema); `url`, `url_expires_at` come when served."""
    return {
        "id": IDS.hex24(f.source_id),
        "filename": f.name,
        "size": f.size,
        "pinned": False,
        "storage_provider": "amazon",
    }
