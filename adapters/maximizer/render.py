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
from datetime import UTC, datetime, timedelta
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
    out: dict[str, str] = {}
    for u in company.users:
        out[u.source_id] = key("User", uid(u.source_id))
    for o in company.organizations:
        out[o.source_id] = key("Company", client_id(o.source_id), 0)
    for p in company.persons:
        if p.org_source_id:
            number = kind_and_number(p.source_id)[1]
            out[p.source_id] = key("Contact", client_id(p.org_source_id), number)
        else:
            out[p.source_id] = key("Individual", client_id(p.source_id), 0)
    for pl in company.pipelines:
        out[pl.source_id] = key("SalesProcess", f"SP{IDS.integer(pl.source_id)}", 0)
    for s in company.stages:
        out[s.source_id] = key("SalesProcessStageSetup", f"{IDS.integer(s.source_id)}G", 0)
    for d in company.deals:
        out[d.source_id] = key("Opportunity", f"260115{IDS.integer(d.source_id):015d}O", 0)
    for a in company.activities:
        kind = "Appointment" if a.type in APPOINTMENTS else "Task"
        out[a.source_id] = key(kind, IDS.integer(a.source_id))
    for n in company.notes:
        out[n.source_id] = key("Note", IDS.integer(n.source_id))
    return out


def uid(source_id: str) -> str:
    return f"USER{kind_and_number(source_id)[1]}"


def udf_key(definition: CustomFieldDef, fields: list[CustomFieldDef]) -> str:
    """A UDF's key as records carry it: `Udf/$TYPEID(<id>)`."""
    return f"Udf/$TYPEID({udf_id(definition, fields)})"


def udf_id(definition: CustomFieldDef, fields: list[CustomFieldDef]) -> int:
    return 60_000 + fields.index(definition) + 1


def _points(points: list[Any], slot: str, value: str, count: int) -> Raw:
    out: Raw = {f"{slot}{i}": None for i in range(1, count + 1)}
    for i, point in enumerate(points[:count], start=1):
        out[f"{slot}{i}"] = {value: point.value, "Description": point.label,
                             "Default": bool(point.primary)}  # fmt: skip
    return out


def _moment(day: str | None, at: str | None) -> datetime | None:
    return datetime.fromisoformat(f"{day}T{at or '00:00'}+00:00") if day else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    ids = keys(kept)
    fields = kept.custom_fields
    by_key = {(f.entity, f.key): f for f in fields}
    base = {"CreationDate": STAMP, "LastModifyDate": STAMP}

    def item(definition: CustomFieldDef, label: str) -> Raw:
        number = definition.options.index(label) + 1
        return {"Key": key("UdfItem", udf_id(definition, fields), number), "Value": label}

    style = ValueStyle(option=item)

    def udfs(entity: Entity, values: dict[str, Any]) -> Raw:
        out: Raw = {}
        for name, value in values.items():
            definition = by_key[(entity, name)]
            if definition.field_type is FieldType.set:  # a table's items, each {Key, Value}
                stored: Any = [item(definition, label) for label in value]
            else:
                stored = vendor_value(definition, value, style)
            out[udf_key(definition, fields)] = [stored] if isinstance(stored, dict) else stored
        return out

    def owner(source_id: str | None) -> str | None:
        return ids.get(source_id) if source_id else None

    entries: list[Raw] = [
        {"Key": ids[o.source_id], "Type": "Company", "CompanyName": o.name, "ParentKey": None,
         "FirstName": None, "LastName": None, "Address": {"AddressLine1": o.address},
         "AccountManager": owner(o.owner_source_id),
         **_points([], "Email", "Address", 3), **_points([], "Phone", "Number", 4),
         **base, **udfs(Entity.organizations, o.custom_fields)}
        for o in kept.organizations
    ]  # fmt: skip
    entries += [
        {"Key": ids[p.source_id], "Type": "Contact" if p.org_source_id else "Individual",
         "CompanyName": None, "ParentKey": ids.get(p.org_source_id or ""),
         "FirstName": p.first_name, "LastName": p.last_name, "Address": None,
         "AccountManager": owner(p.owner_source_id),
         **_points(p.emails, "Email", "Address", 3), **_points(p.phones, "Phone", "Number", 4),
         **base, **udfs(Entity.persons, p.custom_fields)}
        for p in kept.persons
    ]  # fmt: skip
    tasks, appointments = [], []
    for a in kept.activities:
        links = {"WithKey": owner(a.deal_source_id), "Description": a.note}
        if a.type in APPOINTMENTS:
            start = _moment(a.due_date, a.due_time)
            hours, _, minutes = (a.duration or "00:00").partition(":")
            end = start + timedelta(hours=int(hours), minutes=int(minutes)) if start else None
            entries_of = [ids[x] for x in (a.org_source_id, a.person_source_id) if x]
            appointments.append(
                {"Key": ids[a.source_id], "Subject": a.subject, "Category": a.type,
                 "StartDate": _iso(start) if start else None,
                 "EndDate": _iso(end) if end else None, "Organizer": owner(a.owner_source_id),
                 "AbEntries": entries_of, **links, **base}
            )  # fmt: skip
        else:
            due = _moment(a.due_date, a.due_time)
            when = (_iso(due) if a.due_time else a.due_date) if due else None
            tasks.append(
                {"Key": ids[a.source_id], "Activity": a.subject, "Category": [a.type],
                 "DateTime": when, "Completed": a.done, "Priority": "Medium",
                 "AssignedTo": owner(a.owner_source_id),
                 "AbEntryKey": owner(a.person_source_id or a.org_source_id), **links, **base}
            )  # fmt: skip
    return {
        "User": [
            {
                "Key": ids[u.source_id],
                "Uid": uid(u.source_id),
                "DisplayName": u.name,
                "FirstName": u.name.partition(" ")[0],
                "LastName": u.name.partition(" ")[2],
                "Email1": {"Address": u.email, "Default": True},
                "Disabled": not u.active,
            }
            for u in kept.users
        ],  # fmt: skip
        "AbEntry": entries,
        "SalesProcessSetup": [
            {"Key": ids[p.source_id], "Description": p.name, **base} for p in kept.pipelines
        ],
        "SalesStageSetup": [
            {
                "Key": ids[s.source_id],
                "Description": s.name,
                "SalesProcessSetupKey": ids[s.pipeline_source_id],
                "ProbabilityClose": s.deal_probability,
                "TargetAge": 30,
                **base,
            }
            for s in sorted(kept.stages, key=lambda s: (s.pipeline_source_id, s.order_nr))
        ],  # fmt: skip
        "Opportunity": [
            {
                "Key": ids[d.source_id],
                "Objective": d.title,
                "Description": None,
                "Status": {"Key": list(STATUS).index(d.status), "DisplayValue": STATUS[d.status]},
                "ForecastRevenue": d.value,
                "Cost": None,
                "AbEntryKey": owner(d.org_source_id or d.person_source_id),
                "ContactKey": owner(d.person_source_id) if d.org_source_id else None,
                "Leader": owner(d.owner_source_id),
                "SalesProcessSetupKey": owner(d.pipeline_source_id),
                "SalesStageSetupKey": owner(d.stage_source_id),
                "CloseDate": d.expected_close_date,
                **base,
                **udfs(Entity.deals, d.custom_fields),
            }
            for d in kept.deals
        ],  # fmt: skip
        "Task": tasks,
        "Appointment": appointments,
        "Note": [
            {
                "Key": ids[n.source_id],
                "Text": n.content,
                "Type": 0,
                "Category": "Comment",
                "Important": False,
                "DateTime": n.add_time or STAMP,
                "ParentKey": owner(n.deal_source_id or n.person_source_id or n.org_source_id),
                "Creator": owner(n.owner_source_id),
                **base,
            }
            for n in kept.notes
        ],  # fmt: skip
        "Schema": [_udf(f, fields) for f in fields],
    }


def _udf(definition: CustomFieldDef, fields: list[CustomFieldDef]) -> Raw:
    applies = {
        Entity.organizations: ("AbEntry", ["Company"]),
        Entity.persons: ("AbEntry", ["Individual", "Contact"]),
        Entity.deals: ("Opportunity", ["Opportunity"]),
    }[definition.entity]
    table = definition.field_type in (FieldType.enum, FieldType.set)
    return {
        "Key": f"/{applies[0]}/{udf_key(definition, fields)}",
        "Name": definition.name,
        "Type": UDF_TYPES[definition.field_type],
        "AppliesTo": applies[1],
        "HasOption": table,
        "Attributes": {"MultiSelect": definition.field_type is FieldType.set} if table else {},
        "Inactive": False,
        "_items": _items(definition, fields) if table else [],
    }


def _items(definition: CustomFieldDef, fields: list[CustomFieldDef]) -> list[Raw]:
    number = udf_id(definition, fields)
    return [
        {"Key": key("UdfItem", number, i), "Name": label}
        for i, label in enumerate(definition.options, start=1)
    ]
