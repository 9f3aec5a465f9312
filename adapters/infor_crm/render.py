"""The reference company in Infor CRM's (Saleslogix) SData shapes (`render`) and what Infor CRM
holds of it (`HOLDS`, `held`).

- Ids are 12-character keys (`$key`, as `^[\\w]{12}$` in the vendor's mobile client), a link
  is the linked entity as `{"$key": ...}` (Contact.Account, Opportunity.Account,
  AccountManager) or a plain id column (Activity/History AccountId, ContactId, OpportunityId,
  UserId).
- A contact keeps two e-mails (Email, SecondaryEmail) and three phones (WorkPhone, HomePhone,
  Mobile): the rest are lost. An account keeps one address (Address.Address1 here).
- Opportunity stages are the items of the "Opportunity Stage" picklist: one list, so the
  reference's two pipelines arrive as one (its stages in order), with no probability (that is
  a picklist of its own). A deal names its stage by text and its person through
  OpportunityContacts (IsPrimary); a deal keeps no lost reason.
- Custom fields are extra properties of Account, Contact, Opportunity and Product, described by
  the metadata feed `entities('<Entity>')/properties` (propertyName, displayName, dataType); a
  choice is a PickList property naming its picklist (its items the options, `allowMultiples`
  for several, stored as text joined by ", "). A Currency property is a bare amount in the base
  currency: amount fields arrive as numbers.
- Products keep a name, a code (ActualId), a unit and one Price in the base currency (the
  BaseCurrency system option), no tax or owner. A deal's OpportunityProducts keep price,
  quantity and a Discount (a fraction of the price: an amount off becomes its share of the
  line, to four places of a percent), no tax and no comment.
- Open activities are Activities (Type atPhoneCall, atAppointment, atToDo, atEMail; deadlines
  become to-dos, lunches appointments); done ones are History records of the same types.
  Notes are History records of Type atNote (LongNotes holds the whole text).
- Leads: a lead holds its person and company as its own properties (FirstName, LastName, Email,
  WorkPhone, Mobile, Company as text), so each comes back with a person and, when it names a
  company, an organization of its own; it has no title of its own ("Name (Company)"), value,
  currency, close date or labels. Its activities and history name it by LeadId.
- Files are the Attachments of dataType R (a URL link, U, has no bytes) on an account, contact,
  opportunity, lead, activity or history record, with their bytes; none on a product.
- Not carried: users' retired state (every user arrives active) and labels.
"""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import (
    Activity,
    CustomFieldDef,
    DealProduct,
    Entity,
    FieldType,
    File,
    Lead,
    Note,
    Organization,
    Person,
)
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.core.sdata import content_refs, lines, only_labels, own_parties, span, stamp
from adapters.infor_crm.source import ATTACHMENTS, ENTITIES, LEADS, OWN, percent
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import (
    FILE_PARENTS,
    Holds,
    Names,
    leads_with_their_own_records,
    listed,
    slotted,
)
from adapters.reference.ids import kind_and_number

STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
PIPELINE_ID = "kPCKL0000001"  # the "Opportunity Stage" picklist
PIPELINE_NAME = "Opportunity Stage"
PREFIX = {"u": "U", "o": "A", "p": "C", "d": "O", "a": "V", "n": "H", "s": "k", "pl": "k"}
PREFIX |= {"pr": "P", "dp": "E", "l": "L", "fl": "Q"}
BASE_CURRENCY = "EUR"  # the BaseCurrency system option
DATA_TYPES = {FieldType.varchar: "Text", FieldType.text: "Memo", FieldType.double: "Decimal"}
DATA_TYPES |= {FieldType.date: "DateTime", FieldType.phone: "Phone"}
DATA_TYPES |= dict.fromkeys((FieldType.enum, FieldType.set), "PickList")
TYPES = {"call": "atPhoneCall", "meeting": "atAppointment", "task": "atToDo", "email": "atEMail"}
STATUS = {"open": "Open", "won": "Closed - Won", "lost": "Closed - Lost"}
PHONES = {"work": "WorkPhone", "home": "HomePhone", "mobile": "Mobile"}
Raw = dict[str, Any]


def discount_fraction(item: DealProduct) -> float:
    if item.discount_type == "amount":
        gross = item.item_price * item.quantity
        return round(item.discount / gross, 6) if gross else 0.0
    return round(item.discount / 100, 6)


HOLDS = Holds(
    field_types={FieldType.monetary: FieldType.double},
    inactive_users=False,
    one_pipeline=("pl1", PIPELINE_NAME),
    stage_probability=False,
    names=Names.display_order,
    emails=listed(labels=("work", "home")),
    phones=slotted(tuple(PHONES), "work"),
    prices=1,
    product_tax=False,
    product_owner=False,
    deal_products=True,
    lost_reason=False,
    activity_types={"deadline": "task", "lunch": "meeting"},
    leads=True,
    files=True,
    file_parents=frozenset(FILE_PARENTS) - {"product_source_id"},
    extra=(
        # Line items as an OpportunityProduct keeps them: a Discount that is a fraction of the
        # price (an amount off becomes its share of the line), no tax, no comment.
        lines(lambda item: item.item_price, lambda item: percent(discount_fraction(item))),
        leads_with_their_own_records(
            emails=only_labels("work"), phones=only_labels(*(label for _, label in LEADS.phones))
        ),
        content_refs(lambda f: str(key(f.source_id))),
    ),
)
held = HOLDS.held


def key(source_id: str | None) -> str | None:
    """The 12-character key of a reference record."""
    if source_id is None:
        return None
    kind, number = kind_and_number(source_id)
    if kind == "pl":
        return PIPELINE_ID
    return f"{PREFIX.get(kind, 'X')}6UJ9A{number:06d}"


def link(source_id: str | None) -> Raw | None:
    return {"$key": key(source_id)} if source_id else None


def prop(key: str) -> str:
    """A custom field's property name (Pascal case, as the entity model names properties)."""
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


def custom(company: ReferenceCompany, entity: Entity, values: dict[str, Any]) -> Raw:
    """A record's custom values as its properties: a choice as its text, several joined."""
    defs = {f.key: f for f in company.custom_fields if f.entity is entity}
    return {prop(k): vendor_value(defs[k], v, ValueStyle(joined=", ")) for k, v in values.items()}


def properties(company: ReferenceCompany, entity: Entity) -> list[Raw]:
    """An entity's metadata properties: its key, one it reads itself and the custom ones."""
    name = ENTITIES[entity]
    rows: list[Raw] = [
        {"propertyName": "Id", "dataType": "Text", "isKey": True},
        {"propertyName": "ModifyDate", "dataType": "DateTime", "isReadOnly": True},
        {"propertyName": sorted(OWN[name])[0], "dataType": "Text"},
    ]
    for f in (f for f in company.custom_fields if f.entity is entity):
        choice = f.field_type in (FieldType.enum, FieldType.set)
        row = {
            "propertyName": prop(f.key),
            "displayName": f.name,
            "dataType": DATA_TYPES[f.field_type],
            "pickListName": f.name if choice else None,
        }
        rows.append(row)
    return [
        {"$key": f"{name}.{r['propertyName']}", "isKey": False, "isReadOnly": False, **r}
        for r in rows
    ]


def picklist(number: int, f: CustomFieldDef) -> Raw:
    return {
        "$key": f"kPCKL{number:07d}",
        "name": f.name,
        "allowMultiples": f.field_type is FieldType.set,
        "items": {
            "$resources": [
                {"$key": f"kITEM{number:03d}{i:04d}", "text": o, "code": o[:64], "number": i}
                for i, o in enumerate(f.options, 1)
            ]
        },
    }


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    stages = sorted(kept.stages, key=lambda s: s.order_nr)
    stage_names = {s.source_id: s.name for s in stages}
    base = {"CreateDate": STAMP, "ModifyDate": STAMP}
    choices = [f for f in kept.custom_fields if f.options]
    own = own_parties(kept)  # the lead's fields, not accounts or contacts
    activities = [*kept.activities, *kept.lead_activities]
    return {
        **{f"properties_{ENTITIES[e]}": properties(kept, e) for e in ENTITIES},
        "systemoptions": [
            {"$key": "BaseCurrency", "name": "BaseCurrency", "value": BASE_CURRENCY},
            {"$key": "MultiCurrency", "name": "MultiCurrency", "value": "True"},
        ],
        "products": [
            {
                "$key": key(p.source_id),
                "Name": p.name,
                "ActualId": p.code,
                "Unit": p.unit,
                "Price": p.prices[0].price if p.prices else None,
                "Status": "Available",
                **base,
                **custom(kept, Entity.products, p.custom_fields),
            }
            for p in kept.products
        ],
        "opportunityProducts": [
            {
                "$key": key(i.source_id),
                "Opportunity": link(i.deal_source_id),
                "Product": link(i.product_source_id),
                "Price": i.item_price,
                "Quantity": i.quantity,
                "Discount": discount_fraction(i),
                "Sort": n,
                **base,
            }
            for n, i in enumerate(kept.deal_products, 1)
        ],
        "users": [
            {
                "$key": key(u.source_id),
                "UserName": u.email.split("@")[0] if u.email else u.name,
                "UserInfo": {
                    "FirstName": u.name.partition(" ")[0],
                    "LastName": u.name.partition(" ")[2],
                    "Email": u.email,
                },
                **base,
            }
            for u in kept.users
        ],
        "accounts": [
            {
                "$key": key(o.source_id),
                "AccountName": o.name,
                "Address": {"Address1": o.address} if o.address else None,
                "AccountManager": link(o.owner_source_id),
                **base,
                **custom(kept, Entity.organizations, o.custom_fields),
            }
            for o in kept.organizations
            if o.source_id not in own
        ],
        "contacts": [
            {**_contact(p, base), **custom(kept, Entity.persons, p.custom_fields)}
            for p in kept.persons
            if p.source_id not in own
        ],
        "picklists": [
            {
                "$key": PIPELINE_ID,
                "name": PIPELINE_NAME,
                "items": {
                    "$resources": [
                        {"$key": key(s.source_id), "text": s.name, "code": s.name, "number": i}
                        for i, s in enumerate(stages, 1)
                    ]
                },
            },
            *(picklist(n, f) for n, f in enumerate(choices, 2)),
        ],
        "opportunities": [
            {
                "$key": key(d.source_id),
                "Description": d.title,
                "SalesPotential": d.value,
                "ExchangeRateCode": d.currency,
                "Status": STATUS[d.status],
                "Stage": stage_names.get(d.stage_source_id or ""),
                "Account": link(d.org_source_id),
                "AccountManager": link(d.owner_source_id),
                "EstimatedClose": f"{d.expected_close_date}T00:00:00Z"
                if d.expected_close_date
                else None,
                "ActualClose": d.won_time or d.lost_time,
                **base,
                **custom(kept, Entity.deals, d.custom_fields),
            }
            for d in kept.deals
        ],
        "opportunityContacts": [
            {
                "$key": f"Q6UJ9A{i:06d}",
                "Opportunity": link(d.source_id),
                "Contact": link(d.person_source_id),
                "IsPrimary": True,
                "SalesRole": None,
            }
            for i, d in enumerate(kept.deals, 1)
            if d.person_source_id
        ],
        "activities": [_activity(a, base) for a in activities if not a.done],
        "history": [
            *(_activity(a, base) for a in activities if a.done),
            *(_note(n, base) for n in [*kept.notes, *kept.lead_notes]),
        ],
        "leads": [_lead(lead, *own[lead.source_id], base) for lead in kept.leads],
        "attachments": [
            *(_attachment(f, kept, base) for f in kept.files),
            {  # a URL link, not a file: dataType U, its address in `url`
                "$key": "Q6UJ9A999999",
                "fileName": "Website.url",
                "dataType": "U",
                "url": "https://www.example.com/",
                "accountId": key(kept.organizations[0].source_id),
                **base,
            },
        ],
    }


def _note(n: Note, base: Raw) -> Raw:
    return {
        "$key": key(n.source_id),
        "Type": "atNote",
        "Category": "Note",
        "Description": n.content[:64],
        "Notes": n.content[:255],
        "LongNotes": n.content,
        **_links(n),
        "StartDate": n.add_time or STAMP,
        "CompletedDate": n.add_time or STAMP,
        "Timeless": False,
        **base,
    }


def _links(record: Activity | Note) -> Raw:
    return {
        "AccountId": key(record.org_source_id),
        "ContactId": key(record.person_source_id),
        "OpportunityId": key(record.deal_source_id),
        "LeadId": key(record.lead_source_id),
        "UserId": key(record.owner_source_id),
    }


def _lead(lead: Lead, person: Person, org: Organization | None, base: Raw) -> Raw:
    own = LEADS.row(lead, person, org)
    return {
        "$key": key(lead.source_id),
        **own,
        "AccountManager": link(lead.owner_source_id),
        **base,
        "CreateDate": lead.add_time or STAMP,
    }


def _attachment(f: File, company: ReferenceCompany, base: Raw) -> Raw:
    """A file attachment (dataType R) as the Web Client files it: on a contact it names the
    contact's account too, on an opportunity the opportunity's account; on a done activity it
    is the history's."""
    orgs = {p.source_id: p.org_source_id for p in company.persons}
    orgs |= {d.source_id: d.org_source_id for d in company.deals}
    done = {a.source_id: a.done for a in [*company.activities, *company.lead_activities]}
    links = {"accountId": f.org_source_id or orgs.get(f.person_source_id or f.deal_source_id or "")}
    links |= {"contactId": f.person_source_id, "opportunityId": f.deal_source_id}
    links |= {"leadId": f.lead_source_id}
    links["historyId" if done.get(f.activity_source_id or "") else "activityId"] = (
        f.activity_source_id
    )
    row = ATTACHMENTS.row(f, company.file_bytes[f.source_id], {c: key(v) for c, v in links.items()})
    return {**base, **row, "description": f.name.rsplit(".", 1)[0], "dataType": "R"}


def _contact(p: Any, base: Raw) -> Raw:
    emails = [e.value for e in p.emails]
    phones = {PHONES[ph.label]: ph.value for ph in p.phones if ph.label in PHONES}
    return {
        "$key": key(p.source_id),
        "FirstName": p.first_name,
        "LastName": p.last_name if p.first_name or p.last_name else p.name,
        "Email": emails[0] if emails else None,
        "SecondaryEmail": emails[1] if len(emails) > 1 else None,
        **{column: phones.get(column) for column in PHONES.values()},
        "Account": link(p.org_source_id),
        "AccountManager": link(p.owner_source_id),
        **base,
    }


def _activity(a: Activity, base: Raw) -> Raw:
    start, end = span(a)
    minutes = int((end - start).total_seconds() // 60) if start and end else None
    return {
        "$key": key(a.source_id),
        "Type": TYPES[a.type],
        "Description": a.subject,
        "LongNotes": a.note,
        "StartDate": stamp(start),
        "Timeless": a.due_time is None,
        "Duration": minutes,
        "CompletedDate": stamp(start) if a.done else None,
        **_links(a),
        **base,
    }
