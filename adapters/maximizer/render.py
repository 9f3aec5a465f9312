"""The reference company as Maximizer CRM holds it (`HOLDS`, `held`) and in the Octopus API's
record shapes (`render`: one table per object, and `keys`: each reference id's Maximizer key).

- The address book holds companies, individuals and contacts (a person whose `ParentKey` is their
  company). A person has at most 3 e-mails and 4 phones, each with a free `Description` (its
  label) and a `Default` flag; one address line. The owner is the `AccountManager`.
- Opportunities: `Objective`, `ForecastRevenue` (corporate currency), `Status`, a process and
  stage, `AbEntryKey` (company, else person), `ContactKey`, `Leader`, `CloseDate`: no lost reason.
- Tasks (a day or a moment, done or not, no length) name one entry (the person, else the company)
  or a lead, and the opportunity; appointments (meetings, lunches: at a time, never done) name
  their entries. A note or document hangs on one parent: the opportunity, else the person, else
  the company; or the lead (a file on a task or appointment is lost).
- A lead holds its person and company as fields of its own (one e-mail, two phones, the company's
  name and address): they come back as its own; no title (it is "Name (Company)"), value, close
  date or tags. A converted lead is its entry, not read again.
- UDFs have no long text, phone or money type (alphanumeric, numeric instead). No products (an
  opportunity field, not a priced catalogue) or labels. A document: `Name`, `Ext`, `Size`, no type.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from adapters.core.canonical import CustomFieldDef, Entity, FieldType
from adapters.core.emulation import Tables
from adapters.core.fields import vendor_value
from adapters.maximizer import source
from adapters.reference import holds
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.ids import IdScheme, kind_and_number

IDS = IdScheme("maximizer")
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
APPOINTMENTS = frozenset({"meeting", "lunch"})  # the rest are tasks
TASKS = holds.ACTIVITY_TYPES - APPOINTMENTS
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
    return holds.listed(primary_first=False, most=most, labels=None, first_is_primary=False)


HOLDS = holds.Holds(
    field_types={
        FieldType.text: FieldType.varchar,
        FieldType.phone: FieldType.varchar,
        FieldType.monetary: FieldType.double,
    },
    keeps_field=lambda f: f.entity is not Entity.products,
    names=holds.Names.display_order,
    emails=_slots(3),
    phones=_slots(4),
    products=False,
    close_time=holds.CloseTime.none,
    lost_reason=False,
    deal=lambda d: d.model_copy(update={"currency": None}),  # the corporate currency
    no_duration=TASKS,
    timed=APPOINTMENTS,
    no_done=APPOINTMENTS,
    activity=_one_task_entry,
    note_parents=holds.Parents.one,
    leads=True,
    files=True,
    file_parents=frozenset(source.PARENT),  # one opportunity, entry or lead
    file_types=False,  # a document has a name and an extension
    file_ref=lambda file: key("Document", IDS.integer(file.source_id)),
    extra=(holds.leads_with_their_own_records(emails=_slots(1), phones=_slots(2), addressed=True),),
)
held = HOLDS.held


def keys(company: ReferenceCompany) -> dict[str, str]:
    """Each reference record's Maximizer key, by its id (a lead's own person and company: its)."""
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
            lambda a: ("Appointment" if a.type in APPOINTMENTS else "Task", n(a.source_id)),
        ),
        (company.records(Entity.notes), lambda note: ("Note", n(note.source_id))),
        (company.files, lambda file: ("Document", n(file.source_id))),
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

    def parent(r: Any) -> str | None:  # a note's or document's
        return of(r.deal_source_id or r.person_source_id or r.org_source_id or r.lead_source_id)

    def note(n: Any) -> Raw:
        shape = {"Text": n.content, "DateTime": n.add_time or STAMP, "ParentKey": parent(n)}
        return row(n, **shape, Creator=of(n.owner_source_id))

    def document(f: Any) -> Raw:  # Type 1 (a Maximizer document); `_bytes` are downloaded
        stem, dot, ext = f.name.rpartition(".")
        named = {"Name": stem, "Ext": dot + ext} if stem else {"Name": f.name, "Ext": ""}
        shape = {"Type": 1, "Size": f.size, "ParentKey": parent(f), "DateTime": f.add_time}
        return {"Key": ids[f.source_id], **named, **shape, "_bytes": kept.file_bytes[f.source_id]}

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
        "Document": [document(f) for f in kept.files],
        "Schema": [_udf(d, udf(d), [item(d, x, "Name") for x in d.options]) for d in fields],
    }


def _udf(definition: CustomFieldDef, name: str, items: list[Raw]) -> Raw:
    """A UDF's Schema row (its `_items` are what FieldOptions answers)."""
    kind, (obj, applies) = definition.field_type, source.UDF_OBJECTS[definition.entity]
    table = kind in (FieldType.enum, FieldType.set)
    shape: Raw = {"Key": f"/{obj}/{name}", "Name": definition.name, "Type": UDF_TYPES[kind]}
    shape |= {"AppliesTo": list(applies), "HasOption": table, "_items": items}
    return shape | {"Attributes": {"MultiSelect": kind is FieldType.set} if table else {}}
