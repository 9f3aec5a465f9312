"""The reference company as Maximizer CRM holds it (`HOLDS`, `held`) and in the Octopus API's
record shapes (`render`: one table per object, and `keys`: each reference id's Maximizer key).

- Keys (AbEntryKey 2.0): `Company\\t<Client_Id>\\t0`, `Individual\\t<Client_Id>\\t0`, `Contact\\t<its
  company's Client_Id>\\t<Contact_Number>`, `Lead\\t<id>LE\\t0`, `User\\t<UID>`, `Task\\t<n>`...
- The address book holds companies, individuals (a person on their own) and contacts (a person
  whose `ParentKey` is their company). A person has at most 3 e-mails (`Email1..3`) and 4 phones
  (`Phone1..4`), each with a free `Description` (its label) and a `Default` flag; one address
  line. The owner is the `AccountManager` (a user key).
- Opportunities: `Objective` (title), `ForecastRevenue` (in the corporate currency: none of its
  own), `Status`, one sales process and stage (a closed one keeps its stage), `AbEntryKey`
  (company, else the person) and `ContactKey`, `Leader` (owner), `CloseDate`; no won/lost time
  or lost reason is read.
- Tasks (a day or a moment, done or not, no length) name one address book entry (the person,
  else the company) or a lead, and the opportunity; appointments (meetings, lunches: always at
  a time, no completion) name their entries and the opportunity. A note hangs on one parent:
  the opportunity, else the person, else the company; or the lead.
- A lead holds its person and company as fields of its own (names, one e-mail, two phones, the
  company's name and address as text), linked to no entry, so it comes back as a person and a
  company of its own (one without a person has its company's name as its `LastName`); it has no
  title, value, close date or tags: its title is "Name (Company)". A converted lead is its
  entry, not read again.
- UDFs (alphanumeric, numeric, date, single or multiple choice tables): no long text, phone or
  money type (those become alphanumeric and numeric). Products are not carried (Maximizer's
  product list is an opportunity field, not a catalogue with prices); nor are labels and
  documents.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from adapters.core.canonical import CustomFieldDef, Entity, FieldType
from adapters.core.emulation import Tables
from adapters.core.fields import vendor_value
from adapters.maximizer import source
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import (
    ACTIVITY_TYPES,
    CloseTime,
    Holds,
    Names,
    Parents,
    leads_with_their_own_records,
    listed,
)
from adapters.reference.ids import IdScheme, kind_and_number

IDS = IdScheme("maximizer")
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
APPOINTMENTS = frozenset({"meeting", "lunch"})  # the rest are tasks
TASKS = ACTIVITY_TYPES - APPOINTMENTS
TABLE = {True: "Appointment", False: "Task"}  # an activity's, by whether it is an appointment
STATUS = {"open": "In Progress", "won": "Won", "lost": "Lost"}
UDF_TYPES = {kind: name.removesuffix("[]") for name, kind in source.UDF_TYPES.items()}
Raw = dict[str, Any]


def key(*parts: Any) -> str:
    """A Maximizer key: its parts joined by tabs, base64-encoded."""
    return base64.b64encode("\t".join(str(p) for p in parts).encode()).decode()


def client_id(source_id: str, kind: str = "C") -> str:
    """An entry's Client_Id (22 characters, as Maximizer's look; a lead's ends in LE)."""
    return f"260115{IDS.integer(source_id):015d}{kind}"


def _one_task_entry(activity: Any) -> Any:
    """A task names one address book entry: the person, else the company."""
    if activity.type in TASKS and activity.person_source_id:
        return activity.model_copy(update={"org_source_id": None})
    return activity


def _slots(most: int) -> Any:
    return listed(primary_first=False, most=most, labels=None, first_is_primary=False)


HOLDS = Holds(
    field_types={
        FieldType.text: FieldType.varchar,
        FieldType.phone: FieldType.varchar,
        FieldType.monetary: FieldType.double,
    },
    keeps_field=lambda f: f.entity is not Entity.products,
    names=Names.display_order,
    emails=_slots(3),
    phones=_slots(4),
    products=False,
    close_time=CloseTime.none,
    lost_reason=False,
    deal=lambda d: d.model_copy(update={"currency": None}),  # the corporate currency
    no_duration=TASKS,
    timed=APPOINTMENTS,
    no_done=APPOINTMENTS,
    activity=_one_task_entry,
    note_parents=Parents.one,
    leads=True,
    extra=(leads_with_their_own_records(emails=_slots(1), phones=_slots(2), addressed=True),),
)
held = HOLDS.held


def keys(company: ReferenceCompany) -> dict[str, str]:
    """Every reference record's Maximizer key, by reference id (a lead's own person and company
    are the lead)."""
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
        (company.deals, lambda d: ("Opportunity", client_id(d.source_id, "O"), 0)),
        (company.leads, lambda lead: ("Lead", client_id(lead.source_id, "LE"), 0)),
        (
            company.records(Entity.activities),
            lambda a: (TABLE[a.type in APPOINTMENTS], n(a.source_id)),
        ),
        (company.records(Entity.notes), lambda note: ("Note", n(note.source_id))),
    )
    return {r.source_id: key(*shape(r)) for records, shape in parts for r in records}


def uid(source_id: str) -> str:
    return f"USER{kind_and_number(source_id)[1]}"


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
    own = {lead.source_id for lead in kept.leads}  # a lead's own person and company
    base = {"CreationDate": STAMP, "LastModifyDate": STAMP}

    def udf(definition: CustomFieldDef) -> str:  # as records carry it: ids from 60001
        return f"Udf/$TYPEID({60_001 + fields.index(definition)})"

    def item(definition: CustomFieldDef, label: str, name: str = "Value") -> Raw:
        n = (60_001 + fields.index(definition), definition.options.index(label) + 1)
        return {"Key": key("UdfItem", *n), name: label}  # records say Value, FieldOptions Name

    def udfs(entity: Entity, values: dict[str, Any]) -> Raw:
        out: Raw = {}
        for name, value in values.items():
            d = by_key[(entity, name)]
            labels = value if d.field_type is FieldType.set else [value]
            out[udf(d)] = [item(d, x) for x in labels] if d.options else vendor_value(d, value)
        return out

    def of(source_id: str | None) -> str | None:
        return ids.get(source_id) if source_id else None

    def row(record: Any, **shape: Any) -> Raw:
        return {"Key": ids[record.source_id], **shape, **base}

    def entry(record: Any, entity: Entity, **shape: Any) -> Raw:
        emails, phones = getattr(record, "emails", []), getattr(record, "phones", [])
        contact = {**source.EMAILS.shaped(emails), **source.PHONES.shaped(phones)}
        values = udfs(entity, record.custom_fields)
        return row(record, AccountManager=of(record.owner_source_id), **contact, **shape, **values)

    def activity(a: Any) -> Raw:
        links = {"WithKey": of(a.deal_source_id), "Description": a.note}
        if a.type not in APPOINTMENTS:  # a task: on a day, or at a moment
            when = _iso(a.due_date, a.due_time) if a.due_time else a.due_date
            task = {"Activity": a.subject, "Category": [a.type], "DateTime": when}
            ab = of(a.person_source_id or a.org_source_id)
            task |= {"Completed": a.done, "AssignedTo": of(a.owner_source_id), "AbEntryKey": ab}
            return row(a, **task, **links, LeadKey=of(a.lead_source_id))
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
        shape = {"Objective": d.title, "Status": status, "ForecastRevenue": d.value, **on, **setup}
        shape |= {"Leader": of(d.owner_source_id), "CloseDate": d.expected_close_date}
        return row(d, **shape, **udfs(Entity.deals, d.custom_fields))

    def note(n: Any) -> Raw:
        parent = of(n.deal_source_id or n.person_source_id or n.org_source_id or n.lead_source_id)
        shape = {"Text": n.content, "DateTime": n.add_time or STAMP, "ParentKey": parent}
        return row(n, **shape, Creator=of(n.owner_source_id))

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

    persons = {p.source_id: p for p in kept.persons}
    orgs = {o.source_id: o for o in kept.organizations}

    def lead(lead: Any) -> Raw:
        p, o = persons[lead.source_id], orgs.get(lead.source_id)
        company = {"CompanyName": o and o.name, "Address": {"AddressLine1": o and o.address}}
        contact = {**source.LEAD_EMAIL.shaped(p.emails), **source.LEAD_PHONES.shaped(p.phones)}
        shape = {"FirstName": p.first_name, "LastName": p.last_name, **company, **contact}
        shape |= {"AssignedTo": of(lead.owner_source_id), "AbEntryKey": None}
        return {**row(lead, **shape), "CreationDate": lead.add_time or STAMP}

    users = [
        {"Key": ids[u.source_id], "Uid": uid(u.source_id), "DisplayName": u.name}
        | {"Email1": {"Address": u.email, "Default": True}, "Disabled": not u.active}
        for u in kept.users
    ]
    stages = sorted(kept.stages, key=lambda s: (s.pipeline_source_id, s.order_nr))
    activities = kept.activities + kept.lead_activities
    entries = [org(o) for o in orgs.values() if o.source_id not in own]
    return {
        "User": users,
        "AbEntry": entries + [person(p) for p in persons.values() if p.source_id not in own],
        "Lead": [lead(x) for x in kept.leads],
        "SalesProcessSetup": [row(p, Description=p.name) for p in kept.pipelines],
        "SalesStageSetup": [stage(s) for s in stages],
        "Opportunity": [deal(d) for d in kept.deals],
        "Task": [activity(a) for a in activities if a.type not in APPOINTMENTS],
        "Appointment": [activity(a) for a in activities if a.type in APPOINTMENTS],
        "Note": [note(n) for n in kept.records(Entity.notes)],
        "Schema": [_udf(d, udf(d), [item(d, x, "Name") for x in d.options]) for d in fields],
    }


def _udf(definition: CustomFieldDef, name: str, items: list[Raw]) -> Raw:
    """A UDF's Schema row (its `_items` are what FieldOptions answers)."""
    kind, (obj, applies) = definition.field_type, source.UDF_OBJECTS[definition.entity]
    table = kind in (FieldType.enum, FieldType.set)
    shape: Raw = {"Key": f"/{obj}/{name}", "Name": definition.name, "Type": UDF_TYPES[kind]}
    shape |= {"AppliesTo": list(applies), "HasOption": table, "_items": items}
    return shape | {"Attributes": {"MultiSelect": kind is FieldType.set} if table else {}}
