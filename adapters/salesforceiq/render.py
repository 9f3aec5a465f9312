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

from adapters.core.canonical import ContactPoint, CustomFieldDef, Entity, FieldType
from adapters.core.emulation import Tables
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


def _salesforceiq(company: ReferenceCompany) -> ReferenceCompany:
    """No notes or activities; contacts have no owner; a closed deal's Close Date is its close."""
    return dataclasses.replace(
        company,
        persons=[p.model_copy(update={"owner_source_id": None}) for p in company.persons],
        deals=[
            d.model_copy(update={"expected_close_date": None}) if d.status != "open" else d
            for d in company.deals
        ],
        notes=[],
        activities=[],
    )


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
    extra=(_salesforceiq,),
)
held = HOLDS.held


def ms(moment: str | None) -> int | None:
    """An RFC 3339 time or a date (midnight UTC) in epoch milliseconds."""
    parsed = parse_time(moment)
    return None if parsed is None else int(parsed.timestamp() * 1000)


@functools.cache
def _stage_positions() -> dict[str, tuple[str, str]]:
    """Each reference stage's (pipeline, option id: its position from 0); fixed at every size."""
    stages = generate(size=10, seed=0).stages
    return {s.source_id: (s.pipeline_source_id, str(s.order_nr - 1)) for s in stages}


def stage_id(reference_id: str) -> str:
    """A stage's id as the source reads it: its list's id and its Status option's."""
    pipeline, option = _stage_positions()[reference_id]
    return f"{IDS.hex24(pipeline)}.{option}"


def field_ids(company: ReferenceCompany, entity: Entity) -> dict[str, str]:
    """The vendor's id of each custom field (reference key -> "10", "11", ...)."""
    fields = [f for f in company.custom_fields if f.entity is entity]
    return {f.key: str(10 + i) for i, f in enumerate(fields)}


def field(
    field_id: str, name: str, data_type: str, options: list[str] | None = None, multi: bool = False
) -> Raw:
    listed = [{"id": str(i), "display": label} for i, label in enumerate(options or [])]
    return {"id": field_id, "name": name, "listOptions": listed, "isMultiSelect": multi,
            "isEditable": True, "isLinkedField": False, "dataType": data_type}  # fmt: skip


def custom_fields(company: ReferenceCompany, entity: Entity) -> list[Raw]:
    ids = field_ids(company, entity)
    out = []
    for f in company.custom_fields:
        if f.entity is entity:
            kind, multi = VENDOR_TYPE[f.field_type]
            out.append(field(ids[f.key], f.name, kind, f.options, multi))
    return out


def raw_values(definition: CustomFieldDef, value: Any) -> list[Raw]:
    """A canonical value as the vendor's [{raw}] list."""
    kind = definition.field_type
    if kind in (FieldType.enum, FieldType.set):
        chosen = value if isinstance(value, list) else [value]
        return [{"raw": str(definition.options.index(label))} for label in chosen]
    return [{"raw": str(value)}]


def _values(company: ReferenceCompany, entity: Entity, values: dict[str, Any]) -> dict[str, Any]:
    ids = field_ids(company, entity)
    defs = {f.key: f for f in company.custom_fields if f.entity is entity}
    return {ids[k]: raw_values(defs[k], v) for k, v in values.items() if k in defs}


def _points(points: list[ContactPoint]) -> list[Raw]:
    return [
        {
            "value": p.value,
            "metadata": {"stype": LABELS.get(p.label, p.label), "primary": str(p.primary).lower()},
        }
        for p in points
    ]


def _list(company: ReferenceCompany, pipeline: str, title: str) -> Raw:
    stages = sorted(
        (s for s in company.stages if s.pipeline_source_id == pipeline), key=lambda s: s.order_nr
    )
    return {
        "id": IDS.hex24(pipeline),
        "title": title,
        "listType": "account",
        "modifiedDate": 0,
        "fields": [
            field(STATUS, "Status", "List", [s.name for s in stages] + [WON, LOST]),
            field(OWNER, "Owner", "User"),
            field(CLOSE, "Close Date", "DateTime"),
            field(CREATED, "Created Date", "DateTime"),
            field(REVENUE, "Revenue", "Numeric"),
            field(CURRENCY, "Currency", "Text"),
            *custom_fields(company, Entity.deals),
        ],
        "size": 0,
    }


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    orgs = {o.source_id: o for o in kept.organizations}
    lists = {p.source_id: _list(kept, p.source_id, p.name) for p in kept.pipelines}
    accounts = []
    for i, org in enumerate(kept.organizations):
        values = _values(kept, Entity.organizations, org.custom_fields)
        if org.address:
            values[ADDRESS] = [{"raw": org.address}]
        if org.owner_source_id:
            values[OWNER] = [{"raw": IDS.hex24(org.owner_source_id)}]
        accounts.append(
            {"id": IDS.hex24(org.source_id), "modifiedDate": STAMP_MS + i * 60_000,
             "name": org.name, "fieldValues": values}
        )  # fmt: skip
    contacts = []
    for i, person in enumerate(kept.persons):
        properties: dict[str, list[Raw]] = {"name": [{"value": person.name, "metadata": {}}]}
        if person.emails:
            properties["email"] = _points(person.emails)
        if person.phones:
            properties["phone"] = _points(person.phones)
        if person.org_source_id:
            properties["company"] = [{"value": orgs[person.org_source_id].name, "metadata": {}}]
        contacts.append(
            {"id": IDS.hex24(person.source_id), "modifiedDate": STAMP_MS + i * 60_000,
             "mergedIds": [], "requestedIds": [IDS.hex24(person.source_id)],
             "properties": properties, "state": "ACTIVE"}
        )  # fmt: skip
    items = []
    for i, deal in enumerate(kept.deals):
        pipeline = deal.pipeline_source_id or "pl1"
        if deal.status == "open":
            status = _stage_positions()[deal.stage_source_id or ""][1]
        else:
            options = lists[pipeline]["fields"][0]["listOptions"]
            status = next(
                o["id"] for o in options if o["display"] == (WON if deal.status == "won" else LOST)
            )
        values = _values(kept, Entity.deals, deal.custom_fields)
        values[STATUS] = [{"raw": status}]
        values[CREATED] = [{"raw": str(STAMP_MS)}]
        close = deal.won_time or deal.lost_time or deal.expected_close_date
        for key, value in (
            (OWNER, IDS.hex24(deal.owner_source_id)),
            (REVENUE, None if deal.value is None else str(deal.value)),
            (CURRENCY, deal.currency),
            (CLOSE, None if close is None else str(ms(close))),
        ):
            if value is not None:
                values[key] = [{"raw": value}]
        items.append(
            {"id": IDS.hex24(deal.source_id), "listId": IDS.hex24(pipeline), "version": 1,
             "createdDate": STAMP_MS, "modifiedDate": STAMP_MS + i * 60_000, "name": deal.title,
             "accountId": IDS.hex24(deal.org_source_id),
             "contactIds": [IDS.hex24(deal.person_source_id)] if deal.person_source_id else [],
             "fieldValues": values, "linkedItemIds": {}}
        )  # fmt: skip
    return {
        "users": [
            {"id": IDS.hex24(u.source_id), "name": u.name, "email": u.email} for u in kept.users
        ],
        "accounts": accounts,
        "account_fields": [
            field(ADDRESS, "Address", "Location"),
            field("primary_contact", "Primary Contact", "Contact"),
            field(OWNER, "Owner", "User"),
            *custom_fields(kept, Entity.organizations),
        ],
        "contacts": contacts,
        "lists": list(lists.values()),
        "listitems": items,
    }
