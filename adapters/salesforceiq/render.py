"""The reference company as SalesforceIQ holds it (`HOLDS`, `held`) and in its API v2's record
shapes (`render`: one table per list endpoint; list items by list in `listitems`).

How SalesforceIQ keeps what Pipedrive links several ways:
- Accounts are a name and `fieldValues` ({field id: [{raw}]}) of the organization's account
  fields (`/accounts/fields`): `address` (Location) and, here, an Owner field "1" (User: a user
  id), then the custom fields. A picklist's raw value is its option id, a multi-select one raw
  per option, a Date "YYYY-MM-DD", a Numeric a decimal string.
- Contacts are `properties` ({name, email, phone, company, ...: [{value, metadata}]}): one
  name (no first and last name), e-mails and phones with `metadata.stype` (work, personal, ...)
  and `metadata.primary` ("true"/"false"). A contact names its account only by the company's
  name (`company`); it has no owner and no custom properties the API lists.
- Deals are the items of pipeline lists (one list per pipeline, `listType` "account"): `name`,
  `accountId`, `contactIds`, `fieldValues` of the list's fields. The list's "Status" field "0"
  is the stage: its options are the stages in order, then "Deal Won" and "Deal Lost" (as the
  vendor's default lists have them), so a closed deal's stage is its outcome (it arrives in its
  pipeline's first stage). "1" Owner (User), "3" Revenue (Numeric), `process_close_date` (Close
  Date, epoch ms: the expected close of an open deal, the close of a won or lost one, so a
  closed deal keeps no expected close date); "4" Currency (Text) is this sandbox's column (the
  vendor has no currency type). No stage probabilities, no lost reasons.
- Custom fields: account fields and list fields only (contacts have none). Types: Text, Numeric,
  Date, List (`isMultiSelect` for a set); long text, phone and amount fields become Text, Text
  and Numeric. Products, notes and activities have no place in the API (events can only be
  created, `PUT /events`); no labels, leads (a lead list would be one more pipeline) or files.
- Users have no active flag: everyone arrives active.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import UTC, datetime
from typing import Any

from adapters.core import canonical as c
from adapters.core.canonical import ContactPoint, CustomFieldDef, Entity, FieldType
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.core.mapping import parse_time
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany, generate
from adapters.reference.holds import Holds, Names
from adapters.reference.ids import IdScheme

IDS = IdScheme("salesforceiq")
STATUS, OWNER, REVENUE, CURRENCY = "0", "1", "3", "4"
CLOSE, CREATED, ADDRESS = "process_close_date", "process_created_date", "address"
WON, LOST = "Deal Won", "Deal Lost"
BUILT_IN = frozenset({STATUS, OWNER, REVENUE, CURRENCY, CLOSE, CREATED, ADDRESS, "primary_contact"})
# The vendor's data types of the canonical ones it keeps: (dataType, isMultiSelect).
VENDOR_TYPE = {
    FieldType.varchar: ("Text", False),
    FieldType.double: ("Numeric", False),
    FieldType.date: ("Date", False),
    FieldType.enum: ("List", False),
    FieldType.set: ("List", True),
}
LABELS = {"home": "personal"}  # canonical label -> metadata.stype
STAMP_MS = int(datetime(*REFERENCE_DATE.timetuple()[:3], 8, tzinfo=UTC).timestamp() * 1000)
Raw = dict[str, Any]
# Custom values: a picklist's as its option ids, a number as a decimal string.
STYLE = ValueStyle(option=lambda f, label: str(f.options.index(label)), numbers_as_text=True)


def _salesforceiq(company: ReferenceCompany) -> ReferenceCompany:
    """No notes or activities; contacts have no owner."""
    persons = [p.model_copy(update={"owner_source_id": None}) for p in company.persons]
    return dataclasses.replace(company, persons=persons, notes=[], activities=[])


HOLDS = Holds(
    field_types={
        FieldType.text: FieldType.varchar,
        FieldType.phone: FieldType.varchar,
        FieldType.monetary: FieldType.double,
    },
    keeps_field=lambda f: f.entity in (Entity.organizations, Entity.deals),
    inactive_users=False,
    stage_probability=False,
    names=Names.one,
    products=False,
    lost_reason=False,
    closed_in_first_stage=True,
    # One Close Date: a closed deal's is its close, so it keeps no expected close date.
    deal=lambda d: d if d.status == "open" else d.model_copy(update={"expected_close_date": None}),
    extra=(_salesforceiq,),
)
held = HOLDS.held


@functools.cache
def _stage_positions() -> dict[str, tuple[str, str]]:
    """Each reference stage's (pipeline, option id: its position from 0); fixed at every size."""
    stages = generate(size=10, seed=0).stages
    return {s.source_id: (s.pipeline_source_id, str(s.order_nr - 1)) for s in stages}


def stage_id(reference_id: str) -> str:
    """A stage's id as the source reads it: its list's id and its Status option's."""
    pipeline, option = _stage_positions()[reference_id]
    return f"{IDS.hex24(pipeline)}.{option}"


def field(field_id: str, name: str, kind: str, multi: bool = False, options: Any = ()) -> Raw:
    listed = [{"id": str(i), "display": label} for i, label in enumerate(options)]
    shape = {"isMultiSelect": multi, "isEditable": True, "isLinkedField": False}
    return {"id": field_id, "name": name, "dataType": kind, "listOptions": listed, **shape}


def _custom(company: ReferenceCompany, entity: Entity) -> dict[str, CustomFieldDef]:
    """The entity's custom fields by the vendor's id ("10", "11", ...)."""
    fields = [f for f in company.custom_fields if f.entity is entity]
    return {str(10 + i): f for i, f in enumerate(fields)}


def custom_fields(company: ReferenceCompany, entity: Entity) -> list[Raw]:
    found = _custom(company, entity).items()
    return [field(i, f.name, *VENDOR_TYPE[f.field_type], f.options) for i, f in found]


def raws(values: dict[str, Any]) -> dict[str, list[Raw]]:
    """`fieldValues`, {field id: [{raw}]}, of the values given as text (a list: one raw each)."""
    listed = {key: value if isinstance(value, list) else [value] for key, value in values.items()}
    return {
        key: [{"raw": str(v)} for v in found] for key, found in listed.items() if found != [None]
    }


def _values(company: ReferenceCompany, entity: Entity, values: dict[str, Any]) -> dict[str, Any]:
    """Custom values as `fieldValues`: a picklist's raws are its option ids, numbers text."""
    found = _custom(company, entity).items()
    return raws({i: vendor_value(f, values.get(f.key), STYLE) for i, f in found})


def _point(p: ContactPoint) -> Raw:
    stype = LABELS.get(p.label, p.label)
    return {"value": p.value, "metadata": {"stype": stype, "primary": str(p.primary).lower()}}


def _list(company: ReferenceCompany, pipeline: str, title: str) -> Raw:
    stages = sorted(company.stages, key=lambda s: s.order_nr)
    names = [s.name for s in stages if s.pipeline_source_id == pipeline] + [WON, LOST]
    fields = [
        field(STATUS, "Status", "List", options=names),
        field(OWNER, "Owner", "User"),
        field(CLOSE, "Close Date", "DateTime"),
        field(CREATED, "Created Date", "DateTime"),
        field(REVENUE, "Revenue", "Numeric"),
        field(CURRENCY, "Currency", "Text"),
        *custom_fields(company, Entity.deals),
    ]
    shape = {"listType": "account", "modifiedDate": 0, "size": 0}
    return {"id": IDS.hex24(pipeline), "title": title, **shape, "fields": fields}


def _status(deal: c.Deal, listed: Raw) -> str:
    """The deal's Status option: its stage's, or its outcome's."""
    if deal.status == "open":
        return _stage_positions()[deal.stage_source_id or ""][1]
    labels = [o["display"] for o in listed["fields"][0]["listOptions"]]
    return str(labels.index(WON if deal.status == "won" else LOST))


def _stamped(i: int, source_id: str, **fields: Any) -> Raw:
    """A record with its id, modified a minute after the one before it."""
    return {"id": IDS.hex24(source_id), "modifiedDate": STAMP_MS + i * 60_000, **fields}


def _account(kept: ReferenceCompany, i: int, org: c.Organization) -> Raw:
    values = _values(kept, Entity.organizations, org.custom_fields)
    values |= raws({ADDRESS: org.address, OWNER: IDS.hex24(org.owner_source_id)})
    return _stamped(i, org.source_id, name=org.name, fieldValues=values)


def _contact(i: int, person: c.Person, names: dict[str, str]) -> Raw:
    company_name = names.get(person.org_source_id or "")
    properties = {
        "name": [{"value": person.name, "metadata": {}}],
        "email": [_point(p) for p in person.emails],
        "phone": [_point(p) for p in person.phones],
        "company": [{"value": company_name, "metadata": {}}] if company_name else [],
    }
    properties = {key: found for key, found in properties.items() if found}
    ids = {"mergedIds": [], "requestedIds": [IDS.hex24(person.source_id)]}
    return _stamped(i, person.source_id, properties=properties, state="ACTIVE", **ids)


def _item(kept: ReferenceCompany, i: int, deal: c.Deal, lists: dict[str, Raw]) -> Raw:
    listed = lists[deal.pipeline_source_id or "pl1"]
    close = parse_time(deal.won_time or deal.lost_time or deal.expected_close_date)
    fixed = {STATUS: _status(deal, listed), CREATED: STAMP_MS, REVENUE: deal.value}
    fixed |= {OWNER: IDS.hex24(deal.owner_source_id), CURRENCY: deal.currency}
    fixed[CLOSE] = None if close is None else int(close.timestamp() * 1000)
    values = _values(kept, Entity.deals, deal.custom_fields) | raws(fixed)
    contact_ids = [IDS.hex24(deal.person_source_id)] if deal.person_source_id else []
    item = {"listId": listed["id"], "version": 1, "createdDate": STAMP_MS, "linkedItemIds": {}}
    links = {"accountId": IDS.hex24(deal.org_source_id), "contactIds": contact_ids}
    return _stamped(i, deal.source_id, name=deal.title, fieldValues=values, **item, **links)


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    names = {o.source_id: o.name for o in kept.organizations}
    lists = {p.source_id: _list(kept, p.source_id, p.name) for p in kept.pipelines}
    account_fields = [
        field(ADDRESS, "Address", "Location"),
        field("primary_contact", "Primary Contact", "Contact"),
        field(OWNER, "Owner", "User"),
        *custom_fields(kept, Entity.organizations),
    ]
    return {
        "users": [
            {"id": IDS.hex24(u.source_id), "name": u.name, "email": u.email} for u in kept.users
        ],
        "accounts": [_account(kept, i, o) for i, o in enumerate(kept.organizations)],
        "account_fields": account_fields,
        "contacts": [_contact(i, p, names) for i, p in enumerate(kept.persons)],
        "lists": list(lists.values()),
        "listitems": [_item(kept, i, d, lists) for i, d in enumerate(kept.deals)],
    }
