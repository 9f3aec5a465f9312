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
  files. REST web services serve File Cabinet files and folders through the document service
  (`/services/rest/document/v1`, 10 MB a request: Oracle help "Working with File Cabinet
  Records in REST Web Services", article_0909085903), but none of its documented reads says
  which customer, contact, opportunity, task or note a file is attached to: the record service
  only writes that link (`!attach`/`!detach`: "Attach and Detach Operations",
  article_0113084334), and SuiteQL's `file` rows name their folder, not the record.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.core.canonical import Activity, CustomFieldDef, DealProduct, Entity, FieldType
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.core.us_dates import hhmm_later, us_date, us_datetime, us_time
from adapters.netsuite.source import CUSTOM_TYPES
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
# NetSuite's value type of each canonical field type (`customfield.fieldvaluetype`): the first.
VALUE_TYPES = {kind: name for name, kind in reversed(CUSTOM_TYPES.items())}
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

    records: dict[str, Any] = {e.value: renamed(company.records(e), e) for e in PREFIX}
    return dataclasses.replace(company, custom_fields=defs, **records)


def _folded(item: DealProduct) -> DealProduct:
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
        deal_products=[_folded(item) for item in company.deal_products],
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
    files=False,  # no REST read links a file to its record (docstring)
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


def _customfield(field: CustomFieldDef, lists: dict[str, str]) -> Raw:
    return {
        "scriptid": field.key.upper(),
        "name": field.name,
        "fieldtype": PLACEMENT.get(field.entity, "ENTITY"),
        "fieldvaluetype": VALUE_TYPES[field.field_type],
        "fieldvaluetyperecord": lists.get(_list_of(field)),
        "isinactive": "F",
    }


# --- records ---------------------------------------------------------------------------------------


def _record(kept: ReferenceCompany, entity: Entity, record: Any, /, **columns: Any) -> Raw:
    """A row: its id, `columns`, its time, and every custom column of its kind (unset: null)."""
    fields = [f for f in kept.custom_fields if f.entity is entity]
    custom = {f.key: _value(f, record.custom_fields.get(f.key)) for f in fields}
    return {"id": _id(record.source_id), **columns, "lastmodifieddate": STAMP, **custom}


def _customer(kept: ReferenceCompany, entity: Entity, record: Any, **names: Any) -> Raw:
    """An organization (isperson F) or an individual (T) as a customer row."""
    person, owner = _flag(entity is Entity.persons), _id(record.owner_source_id)
    return _record(kept, entity, record, isperson=person, **names, salesrep=owner)


def _entity(person: Any) -> Raw:
    emails = [e.value for e in person.emails] + [None, None]
    phones = dict.fromkeys(PHONES.values()) | {PHONES[p.label]: p.value for p in person.phones}
    names = {"firstname": person.first_name, "lastname": person.last_name}
    return {"entityid": person.name, **names, "email": emails[0], "altemail": emails[1], **phones}


def _opportunity(kept: ReferenceCompany, deal: Any, currency: dict[str, str]) -> Raw:
    return _record(
        kept,
        Entity.deals,
        deal,
        type="Opprtnty",
        tranid=f"OPP{IDS.integer(deal.source_id)}",
        title=deal.title,
        entity=_id(deal.org_source_id or deal.person_source_id),
        entitystatus=_id(deal.stage_source_id),
        projectedtotal=None if deal.value is None else str(deal.value),
        currency=currency.get(deal.currency or ""),
        expectedclosedate=us_date(deal.expected_close_date),
        closedate=us_date(deal.won_time or deal.lost_time),
        status={"won": "C", "lost": "D"}.get(deal.status, "A"),
        salesrep=_id(deal.owner_source_id),
    )


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
    return row | {
        "starttime": us_time(start),
        "endtime": us_time(hhmm_later(start, activity.duration)),
        "timedevent": _flag(start is not None),
        "status": "COMPLETE" if activity.done else "SCHEDULED",
    }


def _status(id: str | None, name: str, probability: Any, stage: str = "PROSPECT") -> Raw:
    chance = None if probability is None else str(probability)
    return {"id": id, "name": name, "probability": chance, "stage": stage, "isinactive": "F"}


def _line(item: DealProduct) -> Raw:
    """An item line; a sale's quantity is negative (it leaves the inventory)."""
    return {
        "uniquekey": _id(item.source_id),
        "transaction": _id(item.deal_source_id),
        "mainline": "F",
        "item": _id(item.product_source_id),
        "quantity": str(-item.quantity),
        "rate": str(item.item_price),
        "memo": item.comments,
    }


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    options = {_list_of(f): f.options for f in kept.custom_fields if f.options}
    lists = {name: str(i) for i, name in enumerate(options, 1)}
    prices = [(p, price) for p in kept.products for price in p.prices]
    codes = {d.currency for d in kept.deals if d.currency} | {x.currency for _, x in prices}
    currency = {code: str(i) for i, code in enumerate(sorted(codes), 1)}
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
        "customer": [
            _customer(kept, Entity.organizations, o, entityid=o.name, companyname=o.name)
            for o in kept.organizations
        ]
        + [
            _customer(kept, Entity.persons, p, **_entity(p))
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
        # Each item's Base Price (price level 1) in each of its currencies.
        "pricing": [
            {"item": _id(p.source_id), "pricelevel": "1", "currency": currency[x.currency]}
            | {"unitprice": str(x.price)}
            for p, x in prices
        ],
        # The Prospect stage's statuses are the deal stages; a Lead and a Customer one besides.
        "entitystatus": [_status(_id(s.source_id), s.name, s.deal_probability) for s in kept.stages]
        + [_status("6", "Unqualified", 0, "LEAD"), _status("13", "Closed Won", 100, "CUSTOMER")],
        "transaction": [_opportunity(kept, d, currency) for d in kept.deals],
        # Each opportunity's main line (no item), then its item lines.
        "transactionline": [
            {"uniquekey": _id(d.source_id), "transaction": _id(d.source_id), "mainline": "T"}
            for d in kept.deals
        ]
        + [_line(item) for item in kept.deal_products],
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
        "customfield": list({f.key: _customfield(f, lists) for f in kept.custom_fields}.values()),
        "customlist": [
            {"internalid": i, "scriptid": name.upper(), "name": name, "isinactive": "F"}
            for name, i in lists.items()
        ],
    }
    tables |= {table: [] for table in TABLE.values()}
    for activity in kept.activities:
        tables[TABLE[activity.type]].append(_activity(activity, individuals))
    for name, values in options.items():
        tables[name] = [
            {"id": str(i), "name": value, "isinactive": "F"} for i, value in enumerate(values, 1)
        ]
    return tables
