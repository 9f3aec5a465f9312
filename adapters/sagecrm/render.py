"""The reference company in Sage CRM's REST (sagecrm2) shapes (`render`) and what Sage CRM holds
of it (`HOLDS`, `held`).

- Integer ids (`$key`, and the `<prefix>_<entity>id` column); links are id columns:
  pers_companyid, pers_primaryuserid, comp_primaryuserid, comp_primaryaddressid (an address
  record), oppo_primarycompanyid, oppo_primarypersonid, oppo_assigneduserid.
- A person keeps its default e-mail and phone (pers_emailaddress, pers_phonefullnumber): the
  Email and Phone tables' other rows are not read, so one of each arrives, as work.
- Opportunity stages are the one `oppo_stage` selection list (Custom_Captions, family
  oppo_stage, ordered by capt_order): the two reference pipelines arrive as one, with no
  probability (oppo_certainty is the deal's own). Deals keep oppo_status (In Progress, Won,
  Lost) and oppo_closed, no lost reason; the amount is oppo_forecast in the currency of
  oppo_forecast_cid (a Currency record).
- Activities are communications: comm_action (PhoneOut, Meeting, ToDo, EmailOut; deadlines
  become to-dos, lunches meetings), comm_status (Pending, Complete), from comm_datetime to
  comm_todatetime; who and what through a Comm_Link row (cmli_comm_personid, _companyid,
  _userid) and comm_opportunityid.
- A note hangs on one record (note_foreigntableid, note_foreignid): its deal, else its person,
  else its company.
- Custom fields are custom columns of Company, Person, Opportunity and NewProduct: Custom_Edits
  says each column's entry type, Custom_Captions its caption (family ColNames) and its choices
  (family = the column: a code and its caption). A selection stores its code, a multi-select
  `,code,code,`; a currency column its amount, with the currency in `<column>_cid`.
- Products (NewProduct) keep a name, a code and their prices (Pricing rows, each with its
  currency), no unit, tax or owner. A line item (OpportunityItems) keeps its quantity and its
  quoted price, the price per unit after any discount (Sage CRM shows the discount as list
  price less quoted price): it arrives undiscounted at that net price, with no tax or comment.
- Leads are the open Lead rows (not those converted to an opportunity): a lead holds its
  person and company as its own columns (lead_personfirstname, lead_personlastname, one e-mail
  and one phone, lead_companyname as text), so each comes back with a person and, when it names
  a company, an organization of its own; its title is its lead_description; it keeps no value,
  currency, close date or labels. Its communications (comm_leadid) and notes (table 4) stay on
  it.
- Not carried: disabled users (every user arrives active), labels and attachments. Documents
  are Library files on the CRM server's disk (Sage CRM help "About the library": each has a
  Library row naming the file); the RESTful API (developer.sage.com/crm references; the 2022
  R2 announcement adds only "Upload a file to a folder") serves no file's bytes, so none can be
  carried.
"""

from __future__ import annotations

import re
from typing import Any

from adapters.core.canonical import (
    Activity,
    DealProduct,
    Entity,
    FieldType,
    Lead,
    Organization,
    Person,
)
from adapters.core.emulation import Tables
from adapters.core.sdata import lines, own_parties, span, stamp
from adapters.reference.dataset import CURRENCIES, REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import Holds, Names, Parents, leads_with_their_own_records, listed
from adapters.reference.ids import DEFAULT_BASES, IdScheme
from adapters.sagecrm.source import ENTITIES, LEADS, PIPELINE_NAME

IDS = IdScheme("sagecrm", {**DEFAULT_BASES, "dp": 950_000})
ENTRY_TYPES = {FieldType.varchar: 10, FieldType.text: 11, FieldType.enum: 21, FieldType.set: 28}
ENTRY_TYPES |= {FieldType.double: 32, FieldType.date: 42, FieldType.phone: 50}
ENTRY_TYPES |= {FieldType.monetary: 51}
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
TABLES = {"deal_source_id": 10, "lead_source_id": 4, "person_source_id": 13, "org_source_id": 5}
ACTIONS = {"call": "PhoneOut", "meeting": "Meeting", "task": "ToDo", "email": "EmailOut"}
STATUS = {"open": "In Progress", "won": "Won", "lost": "Lost"}
Raw = dict[str, Any]


def quoted(item: DealProduct) -> float:
    if item.discount_type == "amount":
        return round(item.item_price - item.discount / item.quantity, 2)
    return round(item.item_price * (1 - item.discount / 100), 2)


HOLDS = Holds(
    inactive_users=False,
    one_pipeline=("pl1", PIPELINE_NAME),
    stage_probability=False,
    names=Names.display_order,
    emails=listed(labels=("work",)),
    phones=listed(labels=("work",)),
    product_unit=False,
    product_tax=False,
    product_owner=False,
    deal_products=True,
    lost_reason=False,
    activity_types={"deadline": "task", "lunch": "meeting"},
    note_parents=Parents.one,
    leads=True,
    extra=(
        # Line items as OpportunityItems keep them: at the quoted (net) price per unit.
        lines(quoted, lambda item: 0.0),
        leads_with_their_own_records(title=None),
    ),
)
held = HOLDS.held


def code(name: str) -> str:
    """A selection's code for a stage name (Sage CRM codes are short identifiers)."""
    return re.sub(r"\W+", "_", name.strip()).strip("_")[:40] or "Stage"


def column(entity: Entity, key: str) -> str:
    """A custom field's column: the table's prefix and its key."""
    return f"{ENTITIES[entity][1]}_{key}"


def custom(company: ReferenceCompany, entity: Entity, values: dict[str, Any]) -> Raw:
    """A record's custom columns: a choice as its code, several as `,code,code,`, an amount
    with its currency's id in `<column>_cid`."""
    defs = {f.key: f for f in company.custom_fields if f.entity is entity}
    out: Raw = {}
    for key, value in values.items():
        name, kind = column(entity, key), defs[key].field_type
        if kind is FieldType.enum:
            value = code(value)
        elif kind is FieldType.set:
            value = "," + ",".join(code(v) for v in value) + ","
        elif kind is FieldType.monetary:
            out[f"{name}_cid"] = CURRENCY_IDS[value["currency"]]
            value = value["value"]
        out[name] = value
    return out


def metadata(company: ReferenceCompany) -> Tables:
    """Custom_Edits (a column's entry type) and Custom_Captions: the stages (family oppo_stage),
    the captions of columns (ColNames) and their choices (family: the column)."""
    fields = [(f, column(f.entity, f.key)) for f in company.custom_fields]
    edits = [(f.entity, name, ENTRY_TYPES[f.field_type]) for f, name in fields]
    edits += [(e, f"{ENTITIES[e][1]}_name", 10) for e in (Entity.organizations, Entity.products)]
    stages = [
        (IDS.integer(s.source_id), "oppo_stage", code(s.name), s.name, s.order_nr)
        for s in company.stages
    ]
    captions = [("ColNames", name, f.name, 0) for f, name in fields]
    captions += [(name, code(o), o, i) for f, name in fields for i, o in enumerate(f.options, 1)]
    stages += [(n, *caption) for n, caption in enumerate(captions, 50_001)]
    return {
        "custom_edits": [
            {
                "$key": n,
                "colp_colpropsid": n,
                "colp_entity": ENTITIES[e][0],
                "colp_colname": c,
                "colp_entrytype": t,
            }
            for n, (e, c, t) in enumerate(edits, 60_001)
        ],
        "custom_captions": [
            {
                "$key": n,
                "capt_captionid": n,
                "capt_family": family,
                "capt_code": c,
                "capt_familytype": "Tags" if family == "ColNames" else "Choices",
                "capt_us": us,
                "capt_order": order,
            }
            for n, family, c, us, order in stages
        ],
    }


CURRENCY_IDS = {c: 9000 + i for i, c in enumerate(CURRENCIES, 1)}


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    base = {"_created": STAMP, "_updated": STAMP}
    stages = {s.source_id: s for s in kept.stages}
    tables = metadata(kept)
    own = own_parties(kept)  # the lead's fields, not companies or persons
    activities = [*kept.activities, *kept.lead_activities]
    return {
        "custom_edits": tables["custom_edits"],
        "newproduct": [
            _row(
                "prod",
                p.source_id,
                base,
                prod_name=p.name,
                prod_code=p.code,
                prod_active="Y",
                **custom(kept, Entity.products, p.custom_fields),
            )
            for p in kept.products
        ],
        "pricing": [
            {
                "$key": n,
                "pric_pricingid": n,
                "pric_productid": IDS.integer(p.source_id),
                "pric_price": x.price,
                "pric_price_cid": CURRENCY_IDS[x.currency],
                "pric_pricinglistid": CURRENCY_IDS[x.currency] - 8000,
                "pric_updateddate": STAMP,
            }
            for n, (p, x) in enumerate(((p, x) for p in kept.products for x in p.prices), 1)
        ],
        "opportunityitems": [_item(kept, i, base) for i in kept.deal_products],
        "users": [
            _row(
                "user",
                u.source_id,
                base,
                user_firstname=u.name.partition(" ")[0],
                user_lastname=u.name.partition(" ")[2],
                user_emailaddress=u.email,
                user_logon=(u.email or u.name).split("@")[0],
            )
            for u in kept.users
        ],
        "address": [
            _row("addr", o.source_id, base, addr_address1=o.address)
            for o in kept.organizations
            if o.address
        ],
        "company": [
            _row(
                "comp",
                o.source_id,
                base,
                comp_name=o.name,
                comp_primaryuserid=IDS.integer(o.owner_source_id),
                comp_primaryaddressid=IDS.integer(o.source_id) if o.address else None,
                **custom(kept, Entity.organizations, o.custom_fields),
            )
            for o in kept.organizations
            if o.source_id not in own
        ],
        "person": [
            _row(
                "pers",
                p.source_id,
                base,
                pers_firstname=p.first_name,
                pers_lastname=p.last_name if p.first_name or p.last_name else p.name,
                pers_emailaddress=p.emails[0].value if p.emails else None,
                pers_phonefullnumber=p.phones[0].value if p.phones else None,
                pers_companyid=IDS.integer(p.org_source_id),
                pers_primaryuserid=IDS.integer(p.owner_source_id),
                **custom(kept, Entity.persons, p.custom_fields),
            )
            for p in kept.persons
            if p.source_id not in own
        ],
        "custom_captions": tables["custom_captions"],
        "currency": [
            {"$key": i, "curr_currencyid": i, "curr_symbol": c} for c, i in CURRENCY_IDS.items()
        ],
        "opportunity": [
            _row(
                "oppo",
                d.source_id,
                base,
                oppo_description=d.title,
                oppo_forecast=d.value,
                oppo_forecast_cid=CURRENCY_IDS.get(d.currency or ""),
                oppo_status=STATUS[d.status],
                oppo_stage=code(stages[d.stage_source_id].name) if d.stage_source_id else None,
                oppo_primarycompanyid=IDS.integer(d.org_source_id),
                oppo_primarypersonid=IDS.integer(d.person_source_id),
                oppo_assigneduserid=IDS.integer(d.owner_source_id),
                oppo_targetclose=f"{d.expected_close_date}T00:00:00Z"
                if d.expected_close_date
                else None,
                oppo_closed=d.won_time or d.lost_time,
                **custom(kept, Entity.deals, d.custom_fields),
            )
            for d in kept.deals
        ],
        "communication": [_communication(a, base) for a in activities],
        "comm_link": [
            _row(
                "cmli",
                a.source_id,
                base,
                cmli_comm_communicationid=IDS.integer(a.source_id),
                cmli_comm_personid=IDS.integer(a.person_source_id),
                cmli_comm_companyid=IDS.integer(a.org_source_id),
                cmli_comm_userid=IDS.integer(a.owner_source_id),
            )
            for a in activities
        ],
        "notes": [_note(n, base) for n in [*kept.notes, *kept.lead_notes]],
        "lead": [
            *(_lead(lead, *own[lead.source_id], base) for lead in kept.leads),
            *(_converted(_lead(lead, *own[lead.source_id], base)) for lead in kept.leads[:1]),
        ],
    }


def _lead(lead: Lead, person: Person, org: Organization | None, base: Raw) -> Raw:
    own = LEADS.row(lead, person, org)
    return _row(
        "lead",
        lead.source_id,
        {**base, "_created": lead.add_time or STAMP},
        **own,
        lead_assigneduserid=IDS.integer(lead.owner_source_id),
        lead_status="In Progress",
        lead_opportunityid=None,
    )


def _converted(row: Raw) -> Raw:
    """A lead already converted to an opportunity: Lead_Status 'Opportunity', linked to it."""
    number = int(row["$key"]) + 900
    return {
        **row,
        "$key": number,
        "lead_leadid": number,
        "lead_status": "Opportunity",
        "lead_opportunityid": row["$key"],
    }


def _item(company: ReferenceCompany, item: DealProduct, base: Raw) -> Raw:
    deal = next(d for d in company.deals if d.source_id == item.deal_source_id)
    return _row(
        "oitm",
        item.source_id,
        base,
        oitm_opportunityid=IDS.integer(item.deal_source_id),
        oitm_productid=IDS.integer(item.product_source_id),
        oitm_lineitemtype="i",
        oitm_quantity=item.quantity,
        oitm_quotedprice=item.item_price,
        oitm_quotedprice_cid=CURRENCY_IDS.get(deal.currency or ""),
    )


# A column prefix's table where it is not the prefix itself (`<prefix>_<table>id` is the key).
PREFIXES = {"oitm": "opportunityitems", "prod": "product", "comp": "company", "pers": "person"}
PREFIXES |= {"oppo": "opportunity", "addr": "address", "comm": "communication"}
PREFIXES |= {"cmli": "commlink"}


def _row(prefix: str, source_id: str, base: Raw, **columns: Any) -> Raw:
    return {
        "$key": IDS.integer(source_id),
        f"{prefix}_{PREFIXES.get(prefix, prefix)}id": IDS.integer(source_id),
        f"{prefix}_createddate": base["_created"],
        f"{prefix}_updateddate": base["_updated"],
        **columns,
    }


def _communication(a: Activity, base: Raw) -> Raw:
    start, end = span(a)
    return _row(
        "comm",
        a.source_id,
        base,
        comm_action=ACTIONS[a.type],
        comm_type="Appointment" if a.type == "meeting" else "Task",
        comm_status="Complete" if a.done else "Pending",
        comm_subject=a.subject,
        comm_note=a.note,
        comm_datetime=stamp(start),
        comm_todatetime=stamp(end),
        comm_isallday="Y" if a.due_date and a.due_time is None else None,
        comm_opportunityid=IDS.integer(a.deal_source_id),
        comm_leadid=IDS.integer(a.lead_source_id),
    )


def _note(n: Any, base: Raw) -> Raw:
    link, parent = next(
        ((field, getattr(n, field)) for field in TABLES if getattr(n, field)), (None, None)
    )
    return _row(
        "note",
        n.source_id,
        base,
        note_note=n.content,
        note_foreigntableid=TABLES[link] if link else None,
        note_foreignid=IDS.integer(parent),
        note_createdby=IDS.integer(n.owner_source_id),
        **({"note_createddate": n.add_time} if n.add_time else {}),
    )
