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
- NetSuite has no pipelines: an opportunity (a `transaction` of type Opprtnty) has an
  `entitystatus`, a customer status of the Prospect stage (with its probability), so every
  stage is in one pipeline. An opportunity has one `entity` (a company or an individual, never
  a contact): a deal with a company keeps the company only, one with only a contact the
  contact's company. Won or lost (`status` C/D) on its `closedate`, a date; the win/loss
  reason (a list) is not read.
- Products are items (`itemid`, the required Item Name/Number, is the code: a product without
  one keeps its name there; `displayname` the name) with a base price (price level 1) per
  currency in `pricing`; no unit (units of measure are a feature of their own), tax rate (a
  tax schedule) or owner. An opportunity's item lines (`transactionline`: `item`, `quantity`,
  `rate`, `memo`) are its products: a discount is an item line of its own, not read, so a
  line's discount is folded into its rate; no line tax.
- Activities: tasks (due on a date, no length), phone calls and calendar events (a meeting or
  a lunch, with start and end time); each names one `company` (a company or an individual),
  one `contact` and one `transaction`. A deadline or an e-mail is a task, a lunch an event.
- A note (`note`, at most 4,000 characters: Assumption) hangs on one record: its `transaction`
  or its `entity`. Currency custom fields hold an amount only (the base currency's).
- Custom fields: entity fields (`custentity...`) apply to every customer and contact alike
  (SuiteQL's `customfield` table has no "applies to" columns), so each organization and person
  field arrives on both; item fields (`custitem...`) on products, transaction body fields
  (`custbody...`) on deals. List values are rows of each custom list's own table.
- Not held: labels (no tags), leads (a lead is a customer in the Lead stage: not read apart),
  files (the File Cabinet is not read).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.core.canonical import Activity, CustomFieldDef, DealProduct, Entity, FieldType
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.core.us_dates import hhmm_later, us_date, us_datetime, us_time
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import CloseTime, Holds, Parents, listed, slotted
from adapters.reference.ids import DEFAULT_BASES, IdScheme

IDS = IdScheme("netsuite", {**DEFAULT_BASES, "dp": 950_000})
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"  # every record's lastmodifieddate
PHONES = {"work": "phone", "mobile": "mobilephone", "home": "homephone", "other": "altphone"}
PREFIX = {
    Entity.organizations: "custentity_",
    Entity.persons: "custentity_",
    Entity.products: "custitem_",
    Entity.deals: "custbody_",
}
PLACEMENT = {Entity.products: "ITEM", Entity.deals: "BODY"}  # else ENTITY
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
# A choice is its list value's id (its position in the list); several are joined by ", ".
STYLE = ValueStyle(lambda field, label: str(field.options.index(label) + 1), ", ", "", True)
TABLE = {"call": "phonecall", "meeting": "calendarevent", "task": "task"}
Raw = dict[str, Any]


def _fields(company: ReferenceCompany) -> ReferenceCompany:
    """Custom fields under their script ids; entity fields on organizations and persons both."""
    twin = {Entity.organizations: Entity.persons, Entity.persons: Entity.organizations}
    defs: list[CustomFieldDef] = []
    for field in company.custom_fields:
        defs.append(field.model_copy(update={"key": PREFIX[field.entity] + field.key}))
        if field.entity in twin:
            defs.append(defs[-1].model_copy(update={"entity": twin[field.entity]}))

    def renamed(records: list[Any], entity: Entity) -> list[Any]:
        def keyed(record: Any) -> Any:
            values = {PREFIX[entity] + k: v for k, v in record.custom_fields.items()}
            return record.model_copy(update={"custom_fields": values})

        return [keyed(r) for r in records]

    return dataclasses.replace(
        company,
        custom_fields=defs,
        **{e.value: renamed(company.records(e), e) for e in dict.fromkeys(PREFIX)},
    )


def _line(item: DealProduct) -> DealProduct:
    """A line's discount folded into its rate; no tax."""
    price = round(item.sum / item.quantity, 2) if item.discount else item.item_price
    update = {"item_price": price, "discount": 0.0, "discount_type": "percentage", "tax": 0.0}
    return item.model_copy(update=update)


def _links(company: ReferenceCompany) -> ReferenceCompany:
    """What NetSuite's columns can say of each link (see the module docstring), its products'
    codes and its lines."""
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
        products=[p.model_copy(update={"code": p.code or p.name}) for p in company.products],
        deals=deals,
        deal_products=[_line(item) for item in company.deal_products],
        activities=activities,
    )


HOLDS = Holds(
    field_types={FieldType.monetary: FieldType.double},
    keeps_field=lambda field: field.entity in PREFIX,
    one_pipeline=("pl1", "Opportunities"),
    emails=listed(most=2, labels=("work", "other")),
    phones=slotted(tuple(PHONES)[:3], "other", primary_first=True),
    product_unit=False,
    product_tax=False,
    product_owner=False,
    close_time=CloseTime.day,
    lost_reason=False,
    deal_products=True,
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


def _flag(value: bool) -> str:
    return "T" if value else "F"


def _value(field: CustomFieldDef, value: Any) -> Any:
    return (
        us_date(value) if field.field_type is FieldType.date else vendor_value(field, value, STYLE)
    )


def _list_of(field: CustomFieldDef) -> str:
    return "customlist_" + field.key.split("_", 1)[1]


def _custom(kept: ReferenceCompany, entity: Entity, values: dict[str, Any]) -> Raw:
    """A record's custom columns: every field of its kind (unset ones null)."""
    fields = [f for f in kept.custom_fields if f.entity is entity]
    return {f.key: _value(f, values.get(f.key)) for f in fields}


def _customfield(field: CustomFieldDef, lists: list[str]) -> Raw:
    return {
        "scriptid": field.key.upper(),
        "name": field.name,
        "fieldtype": PLACEMENT.get(field.entity, "ENTITY"),
        "fieldvaluetype": VALUE_TYPES[field.field_type],
        "fieldvaluetyperecord": str(lists.index(_list_of(field)) + 1)
        if _list_of(field) in lists
        else None,
        "isinactive": "F",
    }


# --- records ---------------------------------------------------------------------------------------


def _record(kept: ReferenceCompany, entity: Entity, record: Any, /, **columns: Any) -> Raw:
    custom = _custom(kept, entity, record.custom_fields)
    return {"id": _id(record.source_id), **columns, "lastmodifieddate": STAMP, **custom}


def _entity(person: Any) -> Raw:
    emails = [e.value for e in person.emails] + [None, None]
    phones = dict.fromkeys(PHONES.values()) | {PHONES[p.label]: p.value for p in person.phones}
    names = {"firstname": person.first_name, "lastname": person.last_name}
    return {"entityid": person.name, **names, "email": emails[0], "altemail": emails[1], **phones}


def _opportunity(deal: Any, currencies: list[str]) -> Raw:
    closed = deal.won_time or deal.lost_time
    return {
        "type": "Opprtnty",
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
    }


def _activity(activity: Activity, individuals: set[str]) -> Raw:
    person, table = activity.person_source_id, TABLE[activity.type]
    company = activity.org_source_id or (person if person in individuals else None)
    start, owner = activity.due_time, "organizer" if table == "calendarevent" else "assigned"
    row: Raw = {
        "id": _id(activity.source_id),
        "title": activity.subject,
        "message": activity.note,
        "company": _id(company),
        "contact": _id(None if person in individuals else person),
        "transaction": _id(activity.deal_source_id),
        "startdate": us_date(activity.due_date),
        "status": "COMPLETE" if activity.done else "NOTSTART",
        owner: _id(activity.owner_source_id),
        "lastmodifieddate": STAMP,
    }
    if table == "task":
        return row | {"duedate": row["startdate"]}
    end = hhmm_later(start, activity.duration)
    return row | {
        "starttime": us_time(start),
        "endtime": us_time(end),
        "timedevent": _flag(start is not None),
        "status": "COMPLETE" if activity.done else "SCHEDULED",
    }


def _status(id: str | None, name: str, probability: Any, stage: str = "PROSPECT") -> Raw:
    chance = None if probability is None else str(probability)
    return {"id": id, "name": name, "probability": chance, "stage": stage, "isinactive": "F"}


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    lists = {_list_of(f): f.options for f in kept.custom_fields if f.options}
    names = list(lists)
    prices = [(p, price) for p in kept.products for price in p.prices]
    currencies = sorted(
        {d.currency for d in kept.deals if d.currency} | {x.currency for _, x in prices}
    )
    individuals = {p.source_id for p in kept.persons if p.org_source_id is None}
    currency = {code: str(i) for i, code in enumerate(currencies, 1)}
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
        "customer": [
            _record(
                kept, Entity.organizations, o, entityid=o.name, companyname=o.name, isperson="F"
            )
            | {"salesrep": _id(o.owner_source_id)}
            for o in kept.organizations
        ]
        + [
            _record(kept, Entity.persons, p, isperson="T", **_entity(p))
            | {"salesrep": _id(p.owner_source_id)}
            for p in kept.persons
            if p.source_id in individuals
        ],
        "contact": [
            _record(kept, Entity.persons, p, company=_id(p.org_source_id), **_entity(p))
            for p in kept.persons
            if p.source_id not in individuals
        ],
        "currency": [{"id": i, "symbol": code, "name": code} for code, i in currency.items()],
        "item": [
            _record(kept, Entity.products, p, itemid=p.code, displayname=p.name, itemtype="Service")
            for p in kept.products
        ],
        "pricing": [
            {
                "item": _id(p.source_id),
                "pricelevel": "1",
                "currency": currency[price.currency],
                "unitprice": str(price.price),
            }
            for p, price in prices
        ],
        # The Prospect stage's statuses are the deal stages; a Lead and a Customer one besides.
        "entitystatus": [_status(_id(s.source_id), s.name, s.deal_probability) for s in kept.stages]
        + [_status("6", "Unqualified", 0, "LEAD"), _status("13", "Closed Won", 100, "CUSTOMER")],
        "transaction": [
            _record(kept, Entity.deals, d, **_opportunity(d, currencies)) for d in kept.deals
        ],
        # Each opportunity's main line (no item), then its item lines.
        "transactionline": [
            {"uniquekey": _id(d.source_id), "transaction": _id(d.source_id), "mainline": "T"}
            for d in kept.deals
        ]
        + [
            {
                "uniquekey": _id(i.source_id),
                "transaction": _id(i.deal_source_id),
                "mainline": "F",
                "item": _id(i.product_source_id),
                "quantity": str(-i.quantity),
                "rate": str(i.item_price),
                "memo": i.comments,
            }
            for i in kept.deal_products
        ],
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
        "customfield": list({f.key: _customfield(f, names) for f in kept.custom_fields}.values()),
        "customlist": [
            {"internalid": str(i), "scriptid": name.upper(), "name": name, "isinactive": "F"}
            for i, name in enumerate(names, 1)
        ],
    }
    tables |= {table: [] for table in TABLE.values()}
    for activity in kept.activities:
        tables[TABLE[activity.type]].append(_activity(activity, individuals))
    for name, values in lists.items():
        tables[name] = [
            {"id": str(i), "name": value, "isinactive": "F"} for i, value in enumerate(values, 1)
        ]
    return tables
