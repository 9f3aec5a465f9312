"""The reference company as Act! holds it (`HOLDS`, `held`) and in the Act! Web API's record
shapes (`render`: one table per list).

- Users are Act! users (`displayName`, `email`, `status` Active/Inactive); ids are GUIDs.
- Companies and contacts are apart; a contact names its company in `companyID`. A contact has
  three e-mail columns (`emailAddress`, `altEmailAddress`, `personalEmailAddress`) and phone
  columns per kind (business, mobile, home, alternate; fax and pager unused): a second address
  of one kind goes to the spare column while it is free, the rest are lost; the first column
  filled is the main one. `fullName` is the shown name, first and last in display order.
- Opportunity processes are the pipelines, their stages (`number`, `probability`) the stages.
  An opportunity has `productTotal` but no currency (the database has one currency, which this
  source does not read): deals arrive without one. Won and lost are `status`, closed at
  `actualCloseDate`; `reason` is the lost reason.
- Products (`api/products`: name, item number, one `price` and `cost`) are not carried: their
  amounts are in the database's one currency, which no documented call names, and a product
  cannot arrive without a price (Pipedrive would give it 0 in its default currency). Nor are
  line items (`opportunities/{id}/products`). The Product model has no custom fields.
- Custom fields are columns (`api/metadata/{recordType}/fields`, `isCustom`), values in
  `customFields` by column name; choices are picklist items (a multi-select joined by ";",
  chosen here), an Act! Currency field is a bare amount: money fields arrive as numbers.
- Open activities are activities (`isCleared` false, `isTimeless` when due on a day only); a
  done one is a history record (Act!'s "record history"), always at a time of day. Both list
  their `contacts[]` (the first the main person, the others participants), `companies[]` and
  `opportunities[]`; so do notes. A cleared activity whose history was also recorded would
  arrive twice: the source reads both lists as they are.
- Act! has no tags (groups are lists of contacts, not read), no lead object, and attachments
  (`api/attachments/...`) are not read: no labels, leads or files.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.act.source import ACTIVITY_KINDS, RECORD_TYPES
from adapters.act.source import EMAILS as SOURCE_EMAILS
from adapters.act.source import PHONES as SOURCE_PHONES
from adapters.core.canonical import Activity, CustomFieldDef, Entity, FieldType
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, Holds, Names, slots, slotted
from adapters.reference.ids import IdScheme

IDS = IdScheme("act")
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
EMAILS = {label: column for column, label in SOURCE_EMAILS}
PHONES = {label: column for column, label in SOURCE_PHONES}
KINDS = {kind: name for name, kind in ACTIVITY_KINDS.items()}
VENDOR_TYPE = {FieldType.varchar: "Character", FieldType.text: "Memo", FieldType.double: "Decimal",
               FieldType.date: "Date", FieldType.phone: "Phone", FieldType.enum: "Character",
               FieldType.set: "Character"}  # fmt: skip
Raw = dict[str, Any]


def _done_at_a_time(activity: Activity) -> Activity:
    """A history record has a start time, never a bare day."""
    if activity.done and activity.due_date and activity.due_time is None:
        return activity.model_copy(update={"due_time": "00:00"})
    return activity


HOLDS = Holds(
    field_types={FieldType.monetary: FieldType.double},
    keeps_field=lambda f: f.entity in RECORD_TYPES,
    names=Names.display_order,
    emails=slotted(tuple(EMAILS), "other"),
    phones=slotted(tuple(PHONES), "other"),
    products=False,
    deal=lambda d: d.model_copy(update={"currency": None}),
    created_times=True,
    all_day_no_duration=ACTIVITY_TYPES,
    participants=True,
    activity=_done_at_a_time,
)
held = HOLDS.held


def column(f: CustomFieldDef) -> str:
    return f"CUST_{f.key}"


def _custom(company: ReferenceCompany, entity: Entity, values: dict[str, Any]) -> Raw:
    defs = {f.key: f for f in company.custom_fields if f.entity is entity}
    style = ValueStyle(joined=";")
    return {column(defs[k]): vendor_value(defs[k], v, style) for k, v in values.items()}


def _metadata(company: ReferenceCompany, entity: Entity) -> tuple[list[Raw], list[Raw]]:
    """The record type's columns (two built in, then the custom ones) and its picklists."""
    record_type, number = RECORD_TYPES[entity], 1000 * (list(RECORD_TYPES).index(entity) + 1)
    columns: list[Raw] = [
        {"id": IDS.guid(f"f{number + i}"), "name": name, "columnName": name.upper(),
         "displayName": name, "recordType": record_type, "type": "Character", "isCustom": False}
        for i, name in enumerate(("Name", "Website"))
    ]  # fmt: skip
    picklists: list[Raw] = []
    for f in (f for f in company.custom_fields if f.entity is entity):
        number += 10
        row: Raw = {"id": IDS.guid(f"f{number}"), "name": f.name, "columnName": column(f),
                    "displayName": f.name, "recordType": record_type,
                    "type": VENDOR_TYPE[f.field_type], "isCustom": True, "picklist": None}  # fmt: skip
        if f.field_type in (FieldType.enum, FieldType.set):
            multi = f.field_type is FieldType.set
            row["picklist"] = {"id": IDS.guid(f"f{number + 1}"), "name": f.name,
                               "isMultiSelect": multi}  # fmt: skip
            items = [{"id": IDS.guid(f"f{number * 100 + i}"), "value": o}
                     for i, o in enumerate(f.options)]  # fmt: skip
            picklists.append({"id": row["picklist"]["id"], "name": f.name, "type": "Character",
                              "isEditable": False, "items": items})  # fmt: skip
        columns.append(row)
    return columns, picklists


def _stamp(day: str | None, time: str | None = None) -> str | None:
    return f"{day}T{time or '00:00'}:00Z" if day else None


def _span(a: Activity) -> tuple[str | None, str | None, str]:
    start = _stamp(a.due_date, a.due_time)
    if not start:
        return None, None, "00:00:00"
    hours, _, minutes = (a.duration or "00:00").partition(":")
    length = timedelta(hours=int(hours), minutes=int(minutes))
    end = datetime.fromisoformat(start.replace("Z", "+00:00")) + length
    return start, end.strftime("%Y-%m-%dT%H:%M:%SZ"), str(length).zfill(8)


def _embedded(record: Any, names: dict[str, str]) -> Raw:
    people = [record.person_source_id, *getattr(record, "participant_source_ids", [])]
    return {
        "contacts": [{"id": IDS.guid(p), "displayName": names[p]} for p in people if p],
        "companies": [{"id": IDS.guid(o), "name": names[o]} for o in [record.org_source_id] if o],
        "opportunities": [
            {"id": IDS.guid(d), "name": names[d]}
            for d in [getattr(record, "deal_source_id", None)]
            if d
        ],
    }


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    base = {"edited": STAMP}
    names = {o.source_id: o.name for o in kept.organizations}
    names |= {p.source_id: p.name for p in kept.persons}
    names |= {d.source_id: d.title for d in kept.deals}
    processes = {p.source_id: {"id": IDS.guid(p.source_id), "name": p.name} for p in kept.pipelines}
    stages = {
        s.source_id: {"id": IDS.guid(s.source_id), "name": s.name, "description": "",
                      "probability": s.deal_probability, "number": s.order_nr,
                      "process": processes[s.pipeline_source_id]}
        for s in kept.stages
    }  # fmt: skip
    tables: Tables = {
        "users": [
            {
                "id": IDS.guid(u.source_id),
                "username": (u.email or u.name).partition("@")[0],
                "displayName": u.name,
                "firstName": u.name.partition(" ")[0],
                "lastName": u.name.partition(" ")[2],
                "email": u.email,
                "role": "Administrator" if u.source_id == "u1" else "Standard",
                "status": "Active" if u.active else "Inactive",
            }
            for u in kept.users
        ],  # fmt: skip
        "companies": [
            {
                "id": IDS.guid(o.source_id),
                "name": o.name,
                "address": {"line1": o.address} if o.address else None,
                "recordManagerID": IDS.guid(o.owner_source_id),
                "customFields": _custom(kept, Entity.organizations, o.custom_fields),
                "created": o.add_time or STAMP,
                **base,
            }
            for o in kept.organizations
        ],
        "contacts": [_contact(kept, p, names, base) for p in kept.persons],
        "processes": [
            {
                **processes[p.source_id],
                "description": "",
                "status": "Active",
                "stagesCount": sum(1 for s in kept.stages if s.pipeline_source_id == p.source_id),
            }
            for p in kept.pipelines
        ],  # fmt: skip
        "stages": list(stages.values()),
        "products": [  # served, not read: see the module docstring
            {
                "id": IDS.guid(p.source_id),
                "name": p.name,
                "itemNumber": p.code,
                "price": None,
                "cost": None,
                "createDate": STAMP,
                "editDate": STAMP,
            }
            for p in company.products
        ],  # fmt: skip
        "opportunities": [
            {
                "id": IDS.guid(d.source_id),
                "name": d.title,
                "productTotal": d.value,
                "status": d.status.capitalize(),
                "stage": stages[d.stage_source_id] if d.stage_source_id else None,
                "estimatedCloseDate": _stamp(d.expected_close_date),
                "actualCloseDate": d.won_time or d.lost_time,
                "reason": d.lost_reason,
                "recordManagerID": IDS.guid(d.owner_source_id),
                "customFields": _custom(kept, Entity.deals, d.custom_fields),
                "created": d.add_time or STAMP,
                **_embedded(d, names),
                **base,
            }
            for d in kept.deals
        ],
        "activities": [_activity(a, names, base) for a in kept.activities if not a.done],
        "history": [_activity(a, names, base) for a in kept.activities if a.done],
        "notes": [
            {
                "id": IDS.guid(n.source_id),
                "noteText": n.content,
                "noteTypeID": 100,
                "displayDate": n.add_time or STAMP,
                "recordManagerID": IDS.guid(n.owner_source_id),
                "created": n.add_time or STAMP,
                **_embedded(n, names),
                **base,
            }
            for n in kept.notes
        ],
    }
    for entity, record_type in RECORD_TYPES.items():
        fields, picklists = _metadata(kept, entity)
        tables[f"fields_{record_type}"], tables[f"picklists_{record_type}"] = fields, picklists
    return tables


def _contact(kept: ReferenceCompany, p: Any, names: dict[str, str], base: Raw) -> Raw:
    emails = slots(p.emails, tuple(EMAILS), "other")
    phones = slots(p.phones, tuple(PHONES), "other")
    return {
        "id": IDS.guid(p.source_id),
        "contactType": "Contact",
        "fullName": p.name,
        "firstName": p.first_name,
        "lastName": p.last_name,
        "companyID": IDS.guid(p.org_source_id),
        "company": names.get(p.org_source_id or ""),
        **{EMAILS[label]: value for label, value in emails.items()},
        **{PHONES[label]: value for label, value in phones.items()},
        "recordManagerID": IDS.guid(p.owner_source_id),
        "customFields": _custom(kept, Entity.persons, p.custom_fields),
        "created": p.add_time or STAMP,
        **base,
    }


def _activity(a: Activity, names: dict[str, str], base: Raw) -> Raw:
    """An open activity, or (done) the history record Act! keeps of it."""
    start, end, length = _span(a)
    number, name = list(KINDS).index(a.type) + 1, KINDS[a.type]
    shared = {"id": IDS.guid(a.source_id), "details": a.note, "startTime": start, "endTime": end,
              "duration": length, "created": STAMP, **_embedded(a, names), **base}  # fmt: skip
    if a.done:
        kind = {"id": number, "name": f"{name} Completed", "activityTypeId": number}
        return {**shared, "regarding": a.subject, "historyTypeID": number,
                "historyType": {**kind, "activityTypeName": name},
                "recordManagerID": IDS.guid(a.owner_source_id)}  # fmt: skip
    return {**shared, "subject": a.subject, "activityTypeId": number, "activityTypeName": name,
            "isTimeless": a.due_time is None, "isAllDay": False, "isCleared": False,
            "scheduledForId": IDS.guid(a.owner_source_id)}  # fmt: skip
