"""The reference company in NetSuite's SuiteQL tables (`render`: one table per SuiteQL table,
columns lowercase, every value a string as SuiteQL answers it) and what NetSuite holds of it
(`HOLDS`, `held`).

How NetSuite keeps what Pipedrive links several ways (facts in the emulator's docstring):
- Users are employees. Organizations are customers with `isperson` 'F'; a person is either a
  contact of a company (`company`) or an individual customer (`isperson` 'T'), so a person
  without an organization is an individual customer. Contacts have no sales rep (no owner).
- An entity has one e-mail and one alternate (`email`, `altemail`) and four phones (`phone`,
  `mobilephone`, `homephone`, `altphone`). Addresses sit in an address sublist table of their
  own, not read: no organization address.
- NetSuite has no pipelines: an opportunity's `entitystatus` is a customer status of the
  Prospect stage (with its probability), so every stage is in one pipeline. An opportunity
  has one `entity` (a company or an individual, never a contact): a deal with a company keeps
  the company only, one with only a contact the contact's company. Won or lost (`status` C/D)
  on its `closedate`, a date; the win/loss reason (a list) is not read.
- Activities: tasks (due on a date, no length), phone calls and calendar events (a meeting or
  a lunch, with start and end time); each names one `company` (a company or an individual),
  one `contact` and one `transaction`. A deadline or an e-mail is a task, a lunch an event.
- A note (`note`, at most 4,000 characters: Assumption) hangs on one record: its `transaction`
  or its `entity`. Currency custom fields hold an amount only (the base currency's).
- Custom fields: entity fields (`custentity...`) apply to every customer and contact alike
  (SuiteQL's `customfield` table has no "applies to" columns), so each organization and person
  field arrives on both; transaction body fields (`custbody...`) on deals. List values are rows
  of each custom list's own table (`customlist_...`).
- Not held: products (an item's prices are a price-level sublist per currency: not read),
  labels (no tags), leads (a lead is a customer in the Lead stage: not read apart), files (the
  File Cabinet is not read).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.core.canonical import Activity, CustomFieldDef, Entity, FieldType, Person
from adapters.core.emulation import Tables
from adapters.core.us_dates import us_date, us_datetime, us_time
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import CloseTime, Holds, Parents, listed, slotted
from adapters.reference.ids import IdScheme

IDS = IdScheme("netsuite")
PIPELINE = ("pl1", "Opportunities")
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"  # every record's lastmodifieddate
PHONES = ("phone", "mobilephone", "homephone", "altphone")
PHONE_LABELS = ("work", "mobile", "home")
PREFIX = {
    Entity.organizations: "custentity_",
    Entity.persons: "custentity_",
    Entity.deals: "custbody_",
}
# NetSuite's value type of each canonical field type (`customfield.fieldvaluetype`).
VALUE_TYPES = {
    FieldType.varchar: "Free-Form Text",
    FieldType.text: "Long Text",
    FieldType.double: "Decimal Number",
    FieldType.date: "Date",
    FieldType.enum: "List/Record",
    FieldType.set: "Multiple Select",
    FieldType.phone: "Phone Number",
}
TABLE = {"call": "phonecall", "meeting": "calendarevent", "task": "task"}
Raw = dict[str, Any]


def _fields(company: ReferenceCompany) -> ReferenceCompany:
    """Custom fields under their script ids; entity fields on organizations and persons both."""
    defs: list[CustomFieldDef] = []
    for field in company.custom_fields:
        key = PREFIX[field.entity] + field.key
        defs.append(field.model_copy(update={"key": key}))
        if field.entity in (Entity.organizations, Entity.persons):
            other = Entity.persons if field.entity is Entity.organizations else Entity.organizations
            defs.append(field.model_copy(update={"key": key, "entity": other}))

    def renamed(records: list[Any], entity: Entity) -> list[Any]:
        def keyed(values: dict[str, Any]) -> dict[str, Any]:
            return {PREFIX[entity] + k: v for k, v in values.items()}

        return [r.model_copy(update={"custom_fields": keyed(r.custom_fields)}) for r in records]

    return dataclasses.replace(
        company,
        custom_fields=defs,
        organizations=renamed(company.organizations, Entity.organizations),
        persons=renamed(company.persons, Entity.persons),
        deals=renamed(company.deals, Entity.deals),
    )


def _links(company: ReferenceCompany) -> ReferenceCompany:
    """What NetSuite's columns can say of each link (see the module docstring)."""
    persons = {p.source_id: p for p in company.persons}

    def individual(person_id: str | None) -> bool:
        return person_id is not None and persons[person_id].org_source_id is None

    deals = []
    for deal in company.deals:
        org, person = deal.org_source_id, deal.person_source_id
        if org:
            person = None
        elif person and not individual(person):
            org, person = persons[person].org_source_id, None
        deals.append(deal.model_copy(update={"org_source_id": org, "person_source_id": person}))
    activities = [
        a.model_copy(update={"person_source_id": None})
        if a.org_source_id and individual(a.person_source_id)
        else a
        for a in company.activities
    ]
    return dataclasses.replace(
        company,
        organizations=[o.model_copy(update={"address": None}) for o in company.organizations],
        persons=[
            p.model_copy(update={"owner_source_id": None}) if p.org_source_id else p
            for p in company.persons
        ],
        deals=deals,
        activities=activities,
    )


HOLDS = Holds(
    field_types={FieldType.monetary: FieldType.double},
    keeps_field=lambda field: field.entity in PREFIX,
    one_pipeline=PIPELINE,
    emails=listed(most=2, labels=("work", "other")),
    phones=slotted(PHONE_LABELS, "other", primary_first=True),
    products=False,
    close_time=CloseTime.day,
    lost_reason=False,
    activity_types={"deadline": "task", "email": "task", "lunch": "meeting"},
    date_only=frozenset({"task"}),
    no_duration=frozenset({"task"}),
    all_day_no_duration=frozenset({"call", "meeting"}),
    note_parents=Parents.one,
    note_chars=4000,
    extra=(_fields, _links),
)
held = HOLDS.held


def _id(source_id: str | None) -> str | None:
    return None if source_id is None else str(IDS.integer(source_id))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _flag(value: bool) -> str:
    return "T" if value else "F"


# --- custom fields and their lists ---------------------------------------------------------------


def _lists(kept: ReferenceCompany) -> dict[str, list[str]]:
    """Each choice field's custom list (by script id) and its values."""
    return {
        "customlist_" + f.key.split("_", 1)[1]: f.options
        for f in kept.custom_fields
        if f.field_type in (FieldType.enum, FieldType.set)
    }


def _value(field: CustomFieldDef, value: Any) -> str | None:
    if value is None:
        return None
    if field.field_type is FieldType.enum:
        return str(field.options.index(value) + 1)
    if field.field_type is FieldType.set:
        return ", ".join(str(field.options.index(v) + 1) for v in value)
    if field.field_type is FieldType.date:
        return us_date(value)
    return str(value)


def _custom(kept: ReferenceCompany, entity: Entity, values: dict[str, Any]) -> Raw:
    """A record's custom columns: every field of its kind (unset ones null)."""
    fields = [f for f in kept.custom_fields if f.entity is entity]
    return {f.key: _value(f, values.get(f.key)) for f in fields}


def _customfields(kept: ReferenceCompany, lists: list[str]) -> list[Raw]:
    seen: dict[str, Raw] = {}
    for field in kept.custom_fields:
        target = "customlist_" + field.key.split("_", 1)[1]
        seen.setdefault(
            field.key,
            {
                "scriptid": field.key.upper(),
                "name": field.name,
                "fieldtype": "BODY" if field.entity is Entity.deals else "ENTITY",
                "fieldvaluetype": VALUE_TYPES[field.field_type],
                "fieldvaluetyperecord": str(lists.index(target) + 1) if target in lists else None,
                "isinactive": "F",
            },
        )
    return list(seen.values())


# --- records ---------------------------------------------------------------------------------------


def _entity(person: Person) -> Raw:
    emails = [e.value for e in person.emails] + [None, None]
    phones = dict(zip(PHONE_LABELS + ("other",), PHONES, strict=True))
    columns: Raw = dict.fromkeys(PHONES)
    columns.update({phones[p.label]: p.value for p in person.phones})
    return {
        "entityid": person.name,
        "firstname": person.first_name,
        "lastname": person.last_name,
        "email": emails[0],
        "altemail": emails[1],
        **columns,
    }


def _customer(kept: ReferenceCompany, record: Any, person: bool) -> Raw:
    """An organization (isperson F) or an individual (T) as a customer row."""
    entity = Entity.persons if person else Entity.organizations
    names = _entity(record) if person else {"entityid": record.name, "companyname": record.name}
    return {
        "id": _id(record.source_id),
        "isperson": _flag(person),
        **names,
        "salesrep": _id(record.owner_source_id),
        "lastmodifieddate": STAMP,
        **_custom(kept, entity, record.custom_fields),
    }


def _contact(kept: ReferenceCompany, person: Person) -> Raw:
    row = {"id": _id(person.source_id), **_entity(person), "company": _id(person.org_source_id)}
    custom = _custom(kept, Entity.persons, person.custom_fields)
    return {**row, "lastmodifieddate": STAMP, **custom}


def _opportunity(kept: ReferenceCompany, deal: Any, currencies: list[str]) -> Raw:
    closed = deal.won_time or deal.lost_time
    return {
        "id": _id(deal.source_id),
        "tranid": f"OPP{IDS.integer(deal.source_id)}",
        "title": deal.title,
        "entity": _id(deal.org_source_id or deal.person_source_id),
        "entitystatus": _id(deal.stage_source_id),
        "projectedtotal": None if deal.value is None else str(deal.value),
        "currency": str(currencies.index(deal.currency) + 1) if deal.currency else None,
        "expectedclosedate": us_date(deal.expected_close_date),
        "closedate": us_date(closed),
        "status": {"won": "C", "lost": "D"}.get(deal.status, "A"),
        "salesrep": _id(deal.owner_source_id),
        "lastmodifieddate": STAMP,
        **_custom(kept, Entity.deals, deal.custom_fields),
    }


def _activity(activity: Activity, individuals: set[str]) -> Raw:
    person = activity.person_source_id
    company = activity.org_source_id or (person if person in individuals else None)
    contact = None if person in individuals else person
    start = activity.due_time
    end = None
    if start and activity.duration:
        hours, minutes = (int(x) for x in activity.duration.split(":"))
        total = int(start[:2]) * 60 + int(start[3:5]) + hours * 60 + minutes
        end = f"{total // 60 % 24:02d}:{total % 60:02d}"
    table = TABLE[activity.type]
    row: Raw = {
        "id": _id(activity.source_id),
        "title": activity.subject,
        "message": activity.note,
        "company": _id(company),
        "contact": _id(contact),
        "transaction": _id(activity.deal_source_id),
        "startdate": us_date(activity.due_date),
        "status": ("COMPLETE" if activity.done else "NOTSTART"),
        "lastmodifieddate": STAMP,
    }
    if table == "task":
        row.update({"assigned": _id(activity.owner_source_id), "duedate": row["startdate"]})
    else:
        owner = "organizer" if table == "calendarevent" else "assigned"
        row.update({owner: _id(activity.owner_source_id), "starttime": us_time(start)})
        row.update({"endtime": us_time(end), "timedevent": _flag(start is not None)})
        row["status"] = "COMPLETE" if activity.done else "SCHEDULED"
    return row


def _status(id: str | None, name: str, probability: Any, stage: str = "PROSPECT") -> Raw:
    return {
        "id": id,
        "name": name,
        "probability": _text(probability),
        "stage": stage,
        "isinactive": "F",
    }


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    lists = _lists(kept)
    names = list(lists)
    currencies = sorted({d.currency for d in kept.deals if d.currency})
    individuals = {p.source_id for p in kept.persons if p.org_source_id is None}
    tables: Tables = {
        "employee": [
            {
                "id": _id(u.source_id),
                "entityid": u.name,
                "email": u.email,
                "isinactive": _flag(not u.active),
                "lastmodifieddate": STAMP,
            }
            for u in kept.users
        ],
        "customer": [_customer(kept, o, False) for o in kept.organizations]
        + [_customer(kept, p, True) for p in kept.persons if p.source_id in individuals],
        "contact": [_contact(kept, p) for p in kept.persons if p.source_id not in individuals],
        "currency": [
            {"id": str(i), "symbol": code, "name": code} for i, code in enumerate(currencies, 1)
        ],
        # The Prospect stage's statuses are the deal stages; a Lead and a Customer one besides.
        "entitystatus": [_status(_id(s.source_id), s.name, s.deal_probability) for s in kept.stages]
        + [_status("6", "Unqualified", 0, "LEAD"), _status("13", "Closed Won", 100, "CUSTOMER")],
        "opportunity": [_opportunity(kept, d, currencies) for d in kept.deals],
        "note": [
            {
                "id": _id(n.source_id),
                "title": n.content[:60],
                "note": n.content,
                "notedate": us_datetime(n.add_time),
                "author": _id(n.owner_source_id),
                "entity": _id(n.person_source_id or n.org_source_id),
                "transaction": _id(n.deal_source_id),
                "lastmodifieddate": STAMP,
            }
            for n in kept.notes
        ],
        "customfield": _customfields(kept, names),
        "customlist": [
            {"internalid": str(i), "scriptid": name.upper(), "name": name, "isinactive": "F"}
            for i, name in enumerate(names, 1)
        ],
    }
    for table in TABLE.values():
        tables[table] = []
    for activity in kept.activities:
        tables[TABLE[activity.type]].append(_activity(activity, individuals))
    for name, values in lists.items():
        tables[name] = [
            {"id": str(i), "name": value, "isinactive": "F"} for i, value in enumerate(values, 1)
        ]
    return tables
