"""The reference company as Act! holds it (`HOLDS`, `held`) and in the Act! Web API's record
shapes (`render`: one table per list).

- Companies and contacts are apart; a contact names its company in `companyID`, has three
  e-mail columns and phone columns per kind (business, mobile, home, alternate): a second
  address of one kind goes to the spare column while it is free, the rest are lost; the first
  filled is the main one. `fullName` is the shown name, first and last in display order.
- Opportunity processes are the pipelines, their stages the stages. Won and lost are `status`,
  closed at `actualCloseDate`; `reason` is the lost reason.
- Amounts are in the database's one currency, which no call names: the sandbox's is the euro
  (`CURRENCY`, as the connection states), for deals, products (one `price`; no unit, tax, owner
  or custom fields) and line items (a percentage discount, an amount off folded into the price;
  no tax or comment). A Currency field is a bare amount: money fields arrive as numbers.
- Custom fields are columns (`isCustom`), values in `customFields` by column name; choices are
  picklist items (a multi-select joined by ";", chosen here).
- Open activities are activities (`isTimeless` when due on a day only); a done one is a history
  record, always at a time of day. Both list their `contacts[]` (the first the main person, the
  others participants), `companies[]`, `opportunities[]`; so do notes. A cleared activity
  whose history was also recorded would arrive twice: both lists are read as they are.
- Labels are groups: an opportunity's `groups[]`, a contact's from each group's members (in
  name order); companies' groups are not read (no call lists them). No lead object.
- Files: documents (history items of their own) on contacts, companies and opportunities, and
  the one attachment of an activity or history record, known by that record's id. No MIME
  type (taken from the name).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.act.source import ACTIVITY_KINDS, RECORD_TYPES
from adapters.act.source import EMAILS as SOURCE_EMAILS
from adapters.act.source import PHONES as SOURCE_PHONES
from adapters.core.canonical import Activity, Entity, FieldType, File
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, Holds, Names, slots, slotted
from adapters.reference.ids import DEFAULT_BASES, IdScheme
from adapters.reference.steps import in_one_currency, percentage_discount, span

IDS = IdScheme("act", {**DEFAULT_BASES, "dp": 670_000, "g": 690_000})
CURRENCY = "EUR"  # the sandbox database's one currency
UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
EMAILS = {label: column for column, label in SOURCE_EMAILS}
PHONES = {label: column for column, label in SOURCE_PHONES}
SHOWN = {"contacts": "displayName"}  # what an embedded record shows of itself, else "name"
KINDS = {kind: name for name, kind in ACTIVITY_KINDS.items()}
VENDOR_TYPE = {
    **dict.fromkeys((FieldType.varchar, FieldType.enum, FieldType.set), "Character"),
    FieldType.text: "Memo",
    FieldType.double: "Decimal",
    FieldType.date: "Date",
    FieldType.phone: "Phone",
}
Raw = dict[str, Any]


def _done_at_a_time(activity: Activity) -> Activity:
    """A history record has a start time, never a bare day."""
    if activity.done and activity.due_date and activity.due_time is None:
        return activity.model_copy(update={"due_time": "00:00"})
    return activity


def _file(file: File, done: set[str]) -> File:
    """A file as Act! serves it: a document, or an activity's attachment by the activity's id."""
    on = file.activity_source_id
    kind = "documents" if not on else "history" if on in done else "activities"
    update = {"source_id": on or file.source_id, "content_ref": ""}
    update["content_ref"] = f"{kind}/{IDS.guid(update['source_id'])}"
    return file.model_copy(update=update)


def _act_only(company: ReferenceCompany) -> ReferenceCompany:
    """What Act! keeps beyond the profile: line items as above, no company groups, a
    contact's groups in name order, files known as above."""
    done = {a.source_id for a in company.activities if a.done}
    files = [_file(f, done) for f in company.files]
    contents = {
        new.source_id: company.file_bytes[f.source_id]
        for f, new in zip(company.files, files, strict=True)
    }
    return dataclasses.replace(
        company,
        organizations=[o.model_copy(update={"labels": []}) for o in company.organizations],
        persons=[p.model_copy(update={"labels": sorted(p.labels)}) for p in company.persons],
        deal_products=[  # a percentage discount only, no tax or comment
            percentage_discount(item).model_copy(update={"tax": 0.0, "comments": None})
            for item in company.deal_products
        ],
        files=files,
        file_bytes=contents,
    )


HOLDS = Holds(
    field_types={FieldType.monetary: FieldType.double},
    keeps_field=lambda f: f.entity in RECORD_TYPES,
    names=Names.display_order,
    emails=slotted(tuple(EMAILS), "other"),
    phones=slotted(tuple(PHONES), "other"),
    prices=1,
    product_unit=False,
    product_tax=False,
    product_owner=False,
    deal_products=True,
    created_times=True,
    all_day_no_duration=ACTIVITY_TYPES,
    participants=True,
    activity=_done_at_a_time,
    labels=True,
    files=True,
    file_parents=frozenset(
        {"deal_source_id", "person_source_id", "org_source_id", "activity_source_id"}
    ),
    extra=(in_one_currency(CURRENCY), _act_only),
)
held = HOLDS.held


def column(f: Any) -> str:
    return f"CUST_{f.key}"


def _custom(company: ReferenceCompany, entity: Entity, values: dict[str, Any]) -> Raw:
    defs = {f.key: f for f in company.custom_fields if f.entity is entity}
    style = ValueStyle(joined=";")
    return {column(defs[k]): vendor_value(defs[k], v, style) for k, v in values.items()}


def _metadata(company: ReferenceCompany, entity: Entity) -> tuple[list[Raw], list[Raw]]:
    """The record type's columns (two built in, then the custom ones) and its picklists."""
    record_type, number = RECORD_TYPES[entity], 1000 * (list(RECORD_TYPES).index(entity) + 1)
    built_in = [("Name", "NAME", "Character", False), ("Website", "WEBSITE", "Character", False)]
    customs = [f for f in company.custom_fields if f.entity is entity]
    listed = [*built_in, *((f.name, column(f), VENDOR_TYPE[f.field_type], True) for f in customs)]
    columns = [
        {
            "id": IDS.guid(f"f{number + i}"),
            "columnName": key,
            "displayName": name,
            "type": kind,
            "isCustom": custom,
            "recordType": record_type,
            "picklist": None,
        }
        for i, (name, key, kind, custom) in enumerate(listed)
    ]
    picklists: list[Raw] = []
    for row, f in zip(columns[len(built_in) :], customs, strict=True):
        if f.field_type in (FieldType.enum, FieldType.set):
            picklist = {"id": IDS.guid(f"f{number + 500 + len(picklists)}"), "name": f.name}
            row["picklist"] = {**picklist, "isMultiSelect": f.field_type is FieldType.set}
            items = [{"id": f"{picklist['id']}:{i}", "value": o} for i, o in enumerate(f.options)]
            picklists.append({**picklist, "isEditable": False, "items": items})
    return columns, picklists


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    names = {o.source_id: o.name for o in kept.organizations}
    names |= {p.source_id: p.name for p in kept.persons}
    names |= {d.source_id: d.title for d in kept.deals}

    def record(r: Any, entity: Entity | None = None, **fields: Any) -> Raw:
        """A record with what Act! records share: id, record manager, custom values, the
        `contacts[]`, `companies[]` and `opportunities[]` it lists, its times."""
        people = [getattr(r, "person_source_id", None), *getattr(r, "participant_source_ids", [])]
        listed = {
            "contacts": people,
            "companies": [getattr(r, "org_source_id", None)],
            "opportunities": [getattr(r, "deal_source_id", None)],
        }
        owner = getattr(r, "owner_source_id", None)
        return {
            "id": IDS.guid(r.source_id),
            **fields,
            "recordManagerID": IDS.guid(owner),
            "customFields": _custom(kept, entity, r.custom_fields) if entity else None,
            **{
                kind: [{"id": IDS.guid(i), SHOWN.get(kind, "name"): names[i]} for i in ids if i]
                for kind, ids in listed.items()
                if entity not in (Entity.organizations, Entity.persons)
            },
            "created": getattr(r, "add_time", None) or STAMP,
            "edited": STAMP,
        }

    processes = {p.source_id: {"id": IDS.guid(p.source_id), "name": p.name} for p in kept.pipelines}
    stages = {
        s.source_id: {
            "id": IDS.guid(s.source_id),
            "name": s.name,
            "number": s.order_nr,
            "probability": s.deal_probability,
            "process": processes[s.pipeline_source_id],
        }
        for s in kept.stages
    }
    labels = sorted({label for r in (*kept.persons, *kept.deals) for label in r.labels})
    groups = {name: {"id": IDS.guid(f"g{i}"), "name": name} for i, name in enumerate(labels, 1)}
    files = {f.activity_source_id: f for f in kept.files if f.activity_source_id}
    contacts = {p.source_id: record(p, Entity.persons, **_contact(p, names)) for p in kept.persons}
    activities = [
        record(a, **_activity(a), attachment=_attachment(files.get(a.source_id)))
        for a in kept.activities
    ]
    tables: Tables = {
        "users": [
            {
                "id": IDS.guid(u.source_id),
                "displayName": u.name,
                "email": u.email,
                "status": "Active" if u.active else "Inactive",
            }
            for u in kept.users
        ],
        "companies": [
            record(
                o,
                Entity.organizations,
                name=o.name,
                address={"line1": o.address} if o.address else None,
            )
            for o in kept.organizations
        ],
        "contacts": list(contacts.values()),
        "groups": list(groups.values()),
        "members": [
            {**contacts[p.source_id], "_group": groups[label]["id"]}
            for p in kept.persons
            for label in p.labels
        ],
        "processes": [{**processes[p.source_id], "status": "Active"} for p in kept.pipelines],
        "stages": list(stages.values()),
        "products": [
            {
                "id": IDS.guid(p.source_id),
                "name": p.name,
                "itemNumber": p.code,
                "price": p.prices[0].price if p.prices else None,
                "cost": None,
                "editDate": STAMP,
            }
            for p in kept.products
        ],
        "opportunities": [
            record(
                d,
                Entity.deals,
                name=d.title,
                productTotal=d.value,
                status=d.status.capitalize(),
                stage=stages.get(d.stage_source_id or ""),
                estimatedCloseDate=d.expected_close_date and f"{d.expected_close_date}T00:00:00Z",
                actualCloseDate=d.won_time or d.lost_time,
                reason=d.lost_reason,
                groups=[groups[label] for label in d.labels],
            )
            for d in kept.deals
        ],
        "line_items": [
            {
                "id": IDS.guid(i.source_id),
                "opportunityID": IDS.guid(i.deal_source_id),
                "productID": IDS.guid(i.product_source_id),
                "price": i.item_price,
                "quantity": i.quantity,
                "discount": i.discount,
                "total": i.sum,
            }
            for i in kept.deal_products
        ],
        "activities": [r for r, a in zip(activities, kept.activities, strict=True) if not a.done],
        "history": [r for r, a in zip(activities, kept.activities, strict=True) if a.done],
        "notes": [
            record(n, noteText=n.content, displayDate=n.add_time or STAMP) for n in kept.notes
        ],
        # A document is a history item of its own, the file its attachment.
        "documents": [
            record(
                f,
                regarding=f.name,
                historyType={"id": 40, "name": "Attachment"},
                attachment=_attachment(f),
            )
            for f in kept.files
            if not f.activity_source_id
        ],
        "blobs": [
            {"id": f.content_ref, "name": f.name, "data": kept.file_bytes[f.source_id]}
            for f in kept.files
        ],
    }
    for entity, record_type in RECORD_TYPES.items():
        fields, picklists = _metadata(kept, entity)
        tables[f"fields_{record_type}"], tables[f"picklists_{record_type}"] = fields, picklists
    return tables


def _contact(p: Any, names: dict[str, str]) -> Raw:
    """A contact's own columns: names, its company, e-mails and phones in their slots."""
    emails = slots(p.emails, tuple(EMAILS), "other")
    phones = slots(p.phones, tuple(PHONES), "other")
    return {
        "fullName": p.name,
        "firstName": p.first_name,
        "lastName": p.last_name,
        "companyID": IDS.guid(p.org_source_id),
        "company": names.get(p.org_source_id or ""),
        **{EMAILS[label]: value for label, value in emails.items()},
        **{PHONES[label]: value for label, value in phones.items()},
    }


def _attachment(file: File | None) -> Raw | None:
    if file is None:
        return None
    shown = {"displayName": file.name, "fileName": f"Attachments\\{file.name}"}
    return {**shown, "fileSize": file.size, "lastModified": file.add_time}


def _activity(a: Activity) -> Raw:
    """An open activity's columns, or (done) those of the history record Act! keeps of it."""
    moments = span(a)
    start, end = (m.strftime(UTC_FORMAT) for m in moments) if moments else (None, None)
    number, name = list(KINDS).index(a.type) + 1, KINDS[a.type]
    shared = {"details": a.note, "startTime": start, "endTime": end}
    if a.done:
        kind = {"id": number, "name": f"{name} Completed", "activityTypeName": name}
        return {**shared, "regarding": a.subject, "historyTypeID": number, "historyType": kind}
    owner = IDS.guid(a.owner_source_id)
    flags = {"isTimeless": a.due_time is None, "isAllDay": False, "isCleared": False}
    return {
        **shared,
        "subject": a.subject,
        "activityTypeName": name,
        **flags,
        "scheduledForId": owner,
    }
