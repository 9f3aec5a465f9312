"""The reference company as Solve360 holds it (`HOLDS`, `held`) and in its API's record shapes
(`render`: a table of contacts and one of companies, each record with what `GET /{type}/{id}`
nests in it, the ownership list and the field definitions).

How Solve360 keeps what Pipedrive links several ways:
- Users are the ownership list (users and groups); it does not say who left. A record's owner
  is its `ownership` (a user id here).
- Contacts and companies hold fixed fields: three e-mails (business, personal, other) and three
  phones (direct, cellular, home), so a fourth and any second of a kind are lost; a contact
  names its company among its related items (typeid 40). Category tags are the labels of
  contacts and companies; opportunities and other activities have none.
- Everything else is an activity nested in a record: notes, tasks (in a task list), events and
  opportunities. Each hangs on one record: the person, else the company, else (an item on a
  deal only) the deal's record; it names no deal. An opportunity has a status (discussion,
  pending, on-hold, won, lost), a value without currency, a probability and a forecast close
  date, no won/lost time or reason: its stages are one pipeline, "Opportunities", with the
  three open statuses; an open deal in its pipeline's first stage is `discussion`, one further
  on `pending`, a closed one sits in the first stage (its status says won or lost).
- Activity kinds: tasks (due on a day, no duration) and events (at a time, with an end, no
  completion); calls, meetings and lunches are events, deadlines and e-mails tasks.
- Custom fields (`custom<id>`, all values text) on contacts and companies only: no amount type
  (a number) and no phone type (text). No products, no leads (no lead object), and no files
  (the documented API serves no file activity's bytes).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from adapters.core.canonical import CustomFieldDef, Entity, FieldType, Pipeline, Stage
from adapters.core.emulation import Tables
from adapters.core.fields import ValueStyle, vendor_value
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import CloseTime, Holds, Names, slots, slotted
from adapters.reference.ids import IdScheme

IDS = IdScheme("solve360")
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00+00:00"
PIPELINE = ("pl1", "Opportunities")
PIPELINE_ID = "opportunities"  # the one list of statuses, as the source names it
STATUSES = {
    "s1": ("discussion", "Discussion"),
    "s2": ("pending", "Pending"),
    "s3": ("on-hold", "On hold"),
}
EMAILS = {"work": "businessemail", "home": "personalemail", "other": "otheremail"}
PHONES = {"work": "businessphonedirect", "mobile": "cellularphone", "home": "homephone"}
# Activity type ids (solve360/solve-anthropic SKILL.md; nibon/solve360 report docs).
NOTE, EVENT, TASK, OPPORTUNITY, TASKLIST = "3", "4", "14", "32", "13"
CONTACT, COMPANY = "1", "40"  # item type ids
VENDOR_TYPE = {
    FieldType.varchar: "text",
    FieldType.text: "textarea",
    FieldType.double: "number",
    FieldType.date: "date",
    FieldType.enum: "pulldown",
    FieldType.set: "checkbox",
}
VALUES = ValueStyle(joined="\n", numbers_as_text=True)
Raw = dict[str, Any]


def _statuses(company: ReferenceCompany) -> ReferenceCompany:
    """One pipeline of the open statuses; notes and activities on one record, without deals."""
    first = {s.source_id for s in company.stages if s.order_nr == 1}
    deals = [
        d.model_copy(
            update={
                "pipeline_source_id": PIPELINE[0],
                "stage_source_id": "s1"
                if d.status != "open" or d.stage_source_id in first
                else "s2",
                "org_source_id": None if d.person_source_id else d.org_source_id,
            }
        )
        for d in company.deals
    ]
    by_id = {d.source_id: d for d in deals}

    def one(item: Any) -> Any:
        deal = by_id.get(item.deal_source_id or "")
        person = item.person_source_id or (
            None if item.org_source_id else deal and deal.person_source_id
        )
        org = None if person else item.org_source_id or (deal and deal.org_source_id)
        return item.model_copy(
            update={"deal_source_id": None, "person_source_id": person, "org_source_id": org}
        )

    return dataclasses.replace(
        company,
        pipelines=[Pipeline(source_id=PIPELINE[0], name=PIPELINE[1])],
        stages=[
            Stage(source_id=sid, name=name, pipeline_source_id=PIPELINE[0], order_nr=n)
            for n, (sid, (_, name)) in enumerate(STATUSES.items(), 1)
        ],
        deals=[d.model_copy(update={"labels": []}) for d in deals],
        notes=[one(n) for n in company.notes],
        activities=[one(a) for a in company.activities],
    )


HOLDS = Holds(
    field_types={FieldType.monetary: FieldType.double, FieldType.phone: FieldType.varchar},
    keeps_field=lambda f: f.entity in (Entity.organizations, Entity.persons),
    inactive_users=False,
    stage_probability=False,
    names=Names.display_order,
    emails=slotted(tuple(EMAILS), "other"),
    phones=slotted(tuple(PHONES), "work"),
    products=False,
    close_time=CloseTime.none,
    lost_reason=False,
    deal=lambda d: d.model_copy(update={"currency": None}),
    activity_types={"call": "meeting", "lunch": "meeting", "deadline": "task", "email": "task"},
    date_only=frozenset({"task"}),
    no_duration=frozenset({"task"}),
    timed=frozenset({"meeting"}),
    no_done=frozenset({"meeting"}),
    labels=True,
    extra=(_statuses,),
)
held = HOLDS.held


def field_ids(fields: list[CustomFieldDef]) -> dict[str, str]:
    return {f.key: f"custom{7000 + i}" for i, f in enumerate(fields, 1)}


def definitions(fields: list[CustomFieldDef], entity: Entity) -> list[Raw]:
    names = field_ids(fields)
    return [
        {"name": names[f.key], "label": f.name, "type": VENDOR_TYPE[f.field_type]}
        | {"values": "\n".join(f.options)}
        for f in fields
        if f.entity is entity
    ]


def category_ids(company: ReferenceCompany) -> dict[str, int]:
    names = {n for r in (*company.organizations, *company.persons) for n in r.labels}
    return {name: 900 + i for i, name in enumerate(sorted(names), 1)}


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    custom = {k: f for k, f in zip(field_ids(kept.custom_fields), kept.custom_fields, strict=True)}
    names, tags = field_ids(kept.custom_fields), category_ids(kept)
    orgs = {o.source_id: o for o in kept.organizations}
    items: dict[str | None, list[Raw]] = {}
    for shape, many in ((_note, kept.notes), (_activity, kept.activities), (_deal, kept.deals)):
        for one in many:
            items.setdefault(one.person_source_id or one.org_source_id, []).append(shape(one))

    def record(r: Any, kind: str, fields: Raw, related: list[Raw]) -> Raw:
        values = {names[k]: vendor_value(custom[k], v, VALUES) for k, v in r.custom_fields.items()}
        return {
            "id": IDS.integer(r.source_id),
            "typeid": kind,
            "name": fields.get("name") or " ".join(filter(None, (r.first_name, r.last_name))),
            "ownership": IDS.integer(r.owner_source_id),
            **dict.fromkeys(("created", "updated", "viewed"), STAMP),
            "flagged": None,
            "fields": {**fields, **values},
            "categories": [{"id": tags[n], "name": n} for n in r.labels],
            "relateditems": related,
            "activities": _tasklisted(items.get(r.source_id, []), r.source_id),
        }

    return {
        "ownership": [
            {"id": IDS.integer(u.source_id), "name": u.name, "email": u.email, "type": "user"}
            for u in kept.users
        ]
        + [{"id": 5000, "name": "Everyone", "email": None, "type": "group"}],
        "companies": [
            record(o, COMPANY, {"name": o.name, "mainaddress": o.address}, [])
            for o in kept.organizations
        ],
        "contacts": [
            record(
                p,
                CONTACT,
                {
                    "firstname": p.first_name,
                    "lastname": p.last_name,
                    **{EMAILS[k]: v for k, v in slots(p.emails, tuple(EMAILS), "other").items()},
                    **{PHONES[k]: v for k, v in slots(p.phones, tuple(PHONES), "work").items()},
                },
                [{"id": IDS.integer(o.source_id), "name": o.name, "typeid": COMPANY}]
                if (o := orgs.get(p.org_source_id or ""))
                else [],
            )
            for p in kept.persons
        ],
        "contact_fields": definitions(kept.custom_fields, Entity.persons),
        "company_fields": definitions(kept.custom_fields, Entity.organizations),
    }


def _item(source_id: str, typeid: str, created: str | None, fields: Raw) -> Raw:
    times = dict.fromkeys(("created", "updated"), created or STAMP)
    return {"id": IDS.integer(source_id), "typeid": typeid, **times, "fields": fields}


def _note(n: Any) -> Raw:
    at = n.add_time.replace("Z", "+00:00") if n.add_time else None
    return _item(
        n.source_id, NOTE, at, {"details": n.content, "creatorid": IDS.integer(n.owner_source_id)}
    )


def _activity(a: Any) -> Raw:
    owner = {"title": a.subject, "details": a.note, "assignedto": IDS.integer(a.owner_source_id)}
    if a.type == "task":
        due = f"{a.due_date}T00:00:00+00:00" if a.due_date else None
        return _item(
            a.source_id, TASK, None, {**owner, "duedate": due, "completed": "1" if a.done else "0"}
        )
    start = datetime.fromisoformat(f"{a.due_date}T{a.due_time or '00:00'}+00:00")
    hours, _, minutes = (a.duration or "00:00").partition(":")
    end = start + timedelta(hours=int(hours), minutes=int(minutes))
    return _item(
        a.source_id, EVENT, None, {**owner, "start": start.isoformat(), "end": end.isoformat()}
    )


def _deal(d: Any) -> Raw:
    status = d.status if d.status != "open" else STATUSES[d.stage_source_id][0]
    return _item(
        d.source_id,
        OPPORTUNITY,
        None,
        {
            "title": d.title,
            "valuation": None if d.value is None else f"{d.value:.2f}",
            "probability": None,
            "status": status,
            "forecastclose": d.expected_close_date,
            "assignedto": IDS.integer(d.owner_source_id),
        },
    )


def _tasklisted(items: list[Raw], parent: str) -> list[Raw]:
    """Tasks sit in a task list ("Tasks") of their record; the rest at the record's top."""
    tasks = [i for i in items if i["typeid"] == TASK]
    others = [i for i in items if i["typeid"] != TASK]
    if not tasks:
        return others
    tasklist = {"id": 9_000_000 + (IDS.integer(parent) or 0), "typeid": TASKLIST}
    tasklist |= {"created": STAMP, "updated": STAMP, "fields": {"title": "Tasks"}}
    return [*others, {**tasklist, "children": tasks}]
