"""The reference company as Maximizer CRM holds it (`HOLDS`, `held`) and in the Octopus API's
record shapes (`render`: one table per object, and `keys`: each reference id's Maximizer key).

- Keys are base64 of tab-joined parts (Compatibility AbEntryKey 2.0): `Company\\t<Client_Id>\\t0`,
  `Individual\\t<Client_Id>\\t0`, `Contact\\t<its parent's Client_Id>\\t<Contact_Number>`,
  `User\\t<UID>`, `Opportunity\\t<id>\\t0`, `Task\\t<n>`, `SalesProcess\\t<id>\\t0`...
- The address book holds companies, individuals (a person on their own) and contacts (a person
  whose `ParentKey` is their company). A person has at most 3 e-mails (`Email1..3`) and 4
  phones (`Phone1..4`), each with a free `Description` (its label) and a `Default` flag; one
  address line. The owner is the `AccountManager` (a user key).
- Opportunities: `Objective` (title), `ForecastRevenue` (in the corporate currency: no currency
  of its own), `Status`, one sales process and stage (`SalesProcessSetupKey`,
  `SalesStageSetupKey`; a closed one keeps its stage), `AbEntryKey` (company, else the person)
  and `ContactKey`, `Leader` (owner), `CloseDate`; no won/lost time or lost reason is read.
- Tasks (a day or a moment, done or not, no length) name one address book entry (the person,
  else the company) and the opportunity (`WithKey`); appointments (meetings, lunches: always at
  a time, no completion) name their entries (`AbEntries`) and the opportunity. Notes hang on
  one parent (`ParentKey`: the opportunity, else the person, else the company).
- User-defined fields (UDFs: alphanumeric, numeric, date, single or multiple choice tables)
  are read from `Schema` and their table items from `FieldOptions`: no long text, phone or
  money type (those become alphanumeric and numeric); products and their fields are not
  carried (Maximizer's product list is an opportunity field, not a catalogue with prices).
- Leads (Maximizer's Lead object), labels and documents are not read by this source.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import datetime, timedelta
from typing import Any

from adapters.core.canonical import CustomFieldDef, Entity, FieldType
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, CloseTime, Holds, Names, Parents, listed
from adapters.reference.ids import IdScheme, kind_and_number

IDS = IdScheme("maximizer")
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
APPOINTMENTS = frozenset({"meeting", "lunch"})  # the rest are tasks
TASKS = ACTIVITY_TYPES - APPOINTMENTS
TABLE = {True: "Appointment", False: "Task"}  # an activity's, by whether it is an appointment
STATUS = {"open": "In Progress", "won": "Won", "lost": "Lost"}
UDF_TYPES = {
    FieldType.varchar: "StringField",
    FieldType.double: "NumericField",
    FieldType.date: "DateTimeField",
    FieldType.enum: "EnumField<StringItem>",
    FieldType.set: "EnumField<StringItem>",
}
Raw = dict[str, Any]


def key(*parts: Any) -> str:
    """A Maximizer key: its parts joined by tabs, base64-encoded."""
    return base64.b64encode("\t".join(str(p) for p in parts).encode()).decode()


def client_id(source_id: str) -> str:
    """An address book entry's Client_Id (22 characters, as Maximizer's look)."""
    return f"260115{IDS.integer(source_id):015d}C"


def _one_task_entry(activity: Any) -> Any:
    """A task names one address book entry: the person, else the company."""
    if activity.type in TASKS and activity.person_source_id:
        return activity.model_copy(update={"org_source_id": None})
    return activity


def _deal_links(company: ReferenceCompany) -> ReferenceCompany:
    """An opportunity is on a company (or a person) and its contact: an activity or note
    whose only link is gone keeps nothing."""
    notes = [n for n in company.notes if n.deal_source_id or n.person_source_id or n.org_source_id]
    return dataclasses.replace(company, notes=notes)


HOLDS = Holds(
    field_types={
        FieldType.text: FieldType.varchar,
        FieldType.phone: FieldType.varchar,
        FieldType.monetary: FieldType.double,
    },
    keeps_field=lambda f: f.entity is not Entity.products,
    names=Names.display_order,
    emails=listed(primary_first=False, most=3, labels=None, first_is_primary=False),
    phones=listed(primary_first=False, most=4, labels=None, first_is_primary=False),
    products=False,
    close_time=CloseTime.none,
    lost_reason=False,
    deal=lambda d: d.model_copy(update={"currency": None}),  # the corporate currency
    no_duration=TASKS,
    timed=APPOINTMENTS,
    no_done=APPOINTMENTS,
    activity=_one_task_entry,
    note_parents=Parents.one,
    extra=(_deal_links,),
)
held = HOLDS.held


def keys(company: ReferenceCompany) -> dict[str, str]:
    """Every reference record's Maximizer key, by reference id."""
    n = IDS.integer

    def entry(p: Any) -> tuple[Any, ...]:  # a contact's key is its company's Client_Id and n
        if p.org_source_id:
            return ("Contact", client_id(p.org_source_id), kind_and_number(p.source_id)[1])
        return ("Individual", client_id(p.source_id), 0)

    parts = (
        (company.users, lambda u: ("User", uid(u.source_id))),
        (company.organizations, lambda o: ("Company", client_id(o.source_id), 0)),
        (company.persons, entry),
        (company.pipelines, lambda p: ("SalesProcess", f"SP{n(p.source_id)}", 0)),
        (company.stages, lambda s: ("SalesProcessStageSetup", f"{n(s.source_id)}G", 0)),
        (company.deals, lambda d: ("Opportunity", f"260115{n(d.source_id):015d}O", 0)),
        (company.activities, lambda a: (TABLE[a.type in APPOINTMENTS], n(a.source_id))),
        (company.notes, lambda note: ("Note", n(note.source_id))),
    )
    return {r.source_id: key(*shape(r)) for records, shape in parts for r in records}


def uid(source_id: str) -> str:
    return f"USER{kind_and_number(source_id)[1]}"


def udf_key(definition: CustomFieldDef, fields: list[CustomFieldDef]) -> str:
    """A UDF's key as records carry it: `Udf/$TYPEID(<id>)`, ids from 60001."""
    return f"Udf/$TYPEID({60_001 + fields.index(definition)})"


def _item(definition: CustomFieldDef, fields: list[CustomFieldDef], label: str) -> Raw:
    """A table UDF's item: its key (`UdfItem\t<udf id>\t<n>`) and label."""
    udf = 60_001 + fields.index(definition)
    return {"Key": key("UdfItem", udf, definition.options.index(label) + 1), "Name": label}


def _points(points: list[Any], slot: str, value: str, count: int) -> Raw:
    out: Raw = {f"{slot}{i}": None for i in range(1, count + 1)}
    for i, p in enumerate(points[:count], start=1):
        out[f"{slot}{i}"] = {value: p.value, "Description": p.label, "Default": bool(p.primary)}
    return out


def _iso(day: str | None, at: str | None, minutes: int = 0) -> str | None:
    """A day and time (and minutes after it) as a UTC moment."""
    if not day:
        return None
    moment = datetime.fromisoformat(f"{day}T{at or '00:00'}+00:00") + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    ids = keys(kept)
    fields = kept.custom_fields
    by_key = {(f.entity, f.key): f for f in fields}
    base = {"CreationDate": STAMP, "LastModifyDate": STAMP}

    def item(definition: CustomFieldDef, label: str) -> Raw:  # as records carry it
        return {"Key": _item(definition, fields, label)["Key"], "Value": label}

    style = ValueStyle(option=lambda definition, label: [item(definition, label)])

    def udfs(entity: Entity, values: dict[str, Any]) -> Raw:
        out: Raw = {}
        for name, value in values.items():
            definition = by_key[(entity, name)]
            if definition.field_type is FieldType.set:  # a table's items, each {Key, Value}
                out[udf_key(definition, fields)] = [item(definition, label) for label in value]
            else:
                out[udf_key(definition, fields)] = vendor_value(definition, value, style)
        return out

    def of(source_id: str | None) -> str | None:
        return ids.get(source_id) if source_id else None

    def row(record: Any, **shape: Any) -> Raw:
        return {"Key": ids[record.source_id], **shape, **base}

    def entry(record: Any, entity: Entity, **shape: Any) -> Raw:
        emails, phones = getattr(record, "emails", []), getattr(record, "phones", [])
        contact = {
            **_points(emails, "Email", "Address", 3),
            **_points(phones, "Phone", "Number", 4),
        }
        values = udfs(entity, record.custom_fields)
        return row(record, AccountManager=of(record.owner_source_id), **contact, **shape, **values)

    def activity(a: Any) -> Raw:
        links = {"WithKey": of(a.deal_source_id), "Description": a.note}
        if a.type not in APPOINTMENTS:  # a task: on a day, or at a moment
            when = _iso(a.due_date, a.due_time) if a.due_time else a.due_date
            task = {"Activity": a.subject, "Category": [a.type], "DateTime": when}
            ab = of(a.person_source_id or a.org_source_id)
            task |= {"Completed": a.done, "AssignedTo": of(a.owner_source_id), "AbEntryKey": ab}
            return row(a, **task, **links)
        hours, _, minutes = (a.duration or "00:00").partition(":")
        start = _iso(a.due_date, a.due_time)
        end = _iso(a.due_date, a.due_time, int(hours) * 60 + int(minutes))
        on = [ids[x] for x in (a.org_source_id, a.person_source_id) if x]
        meeting = {"Subject": a.subject, "Category": a.type, "StartDate": start, "EndDate": end}
        return row(a, **meeting, **links, Organizer=of(a.owner_source_id), AbEntries=on)

    def deal(d: Any) -> Raw:
        status = {"Key": list(STATUS).index(d.status), "DisplayValue": STATUS[d.status]}
        on = {"AbEntryKey": of(d.org_source_id or d.person_source_id)}
        on["ContactKey"] = of(d.person_source_id) if d.org_source_id else None
        setup = {"SalesProcessSetupKey": of(d.pipeline_source_id)}
        setup["SalesStageSetupKey"] = of(d.stage_source_id)
        values = udfs(Entity.deals, d.custom_fields)
        shape = {"Objective": d.title, "Status": status, "ForecastRevenue": d.value, **on, **setup}
        return row(
            d, **shape, Leader=of(d.owner_source_id), CloseDate=d.expected_close_date, **values
        )

    def note(n: Any) -> Raw:
        parent = of(n.deal_source_id or n.person_source_id or n.org_source_id)
        when = n.add_time or STAMP
        return row(
            n, Text=n.content, DateTime=when, ParentKey=parent, Creator=of(n.owner_source_id)
        )

    def stage(s: Any) -> Raw:
        process = {"SalesProcessSetupKey": ids[s.pipeline_source_id]}
        return row(s, Description=s.name, **process, ProbabilityClose=s.deal_probability)

    def person(p: Any) -> Raw:
        kind = "Contact" if p.org_source_id else "Individual"
        names = {"FirstName": p.first_name, "LastName": p.last_name}
        return entry(p, Entity.persons, Type=kind, ParentKey=of(p.org_source_id), **names)

    def org(o: Any) -> Raw:
        where = {"AddressLine1": o.address}
        return entry(o, Entity.organizations, Type="Company", CompanyName=o.name, Address=where)

    users = [
        {"Key": ids[u.source_id], "Uid": uid(u.source_id), "DisplayName": u.name}
        | {"Email1": {"Address": u.email, "Default": True}, "Disabled": not u.active}
        for u in kept.users
    ]
    stages = sorted(kept.stages, key=lambda s: (s.pipeline_source_id, s.order_nr))
    return {
        "User": users,
        "AbEntry": [org(o) for o in kept.organizations] + [person(p) for p in kept.persons],
        "SalesProcessSetup": [row(p, Description=p.name) for p in kept.pipelines],
        "SalesStageSetup": [stage(s) for s in stages],
        "Opportunity": [deal(d) for d in kept.deals],
        "Task": [activity(a) for a in kept.activities if a.type not in APPOINTMENTS],
        "Appointment": [activity(a) for a in kept.activities if a.type in APPOINTMENTS],
        "Note": [note(n) for n in kept.notes],
        "Schema": [_udf(f, fields) for f in fields],
    }


def _udf(definition: CustomFieldDef, fields: list[CustomFieldDef]) -> Raw:
    obj, applies = {
        Entity.organizations: ("AbEntry", ["Company"]),
        Entity.persons: ("AbEntry", ["Individual", "Contact"]),
        Entity.deals: ("Opportunity", ["Opportunity"]),
    }[definition.entity]
    table = definition.field_type in (FieldType.enum, FieldType.set)
    return {
        "Key": f"/{obj}/{udf_key(definition, fields)}",
        "Name": definition.name,
        "Type": UDF_TYPES[definition.field_type],
        "AppliesTo": applies,
        "HasOption": table,
        "Attributes": {"MultiSelect": definition.field_type is FieldType.set} if table else {},
        "_items": [_item(definition, fields, label) for label in definition.options],
    }
