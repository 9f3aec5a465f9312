"""The reference company as Capsule stores it: one table per collection, records in the shape
the API answers with (nested references as `{id, name...}`; the emulator expands `embed`s).

It renders what Capsule holds (`render.held`), so every simplification lives in one place.
"""

from __future__ import annotations

from typing import Any

from adapters.capsule.render import (
    CAPSULE_TYPE,
    CARRIER_ENTRY_BASE,
    CATEGORY_NAMES,
    EMAIL_TYPES,
    PHONE_TYPES,
    UPDATED_AT,
    USER_ZONES,
    cid,
    held,
    won_lost_ids,
)
from adapters.capsule.shapes import local_due
from adapters.core.canonical import (
    Activity,
    CustomFieldDef,
    Deal,
    Entity,
    File,
    Note,
    Organization,
    Person,
    User,
)
from adapters.core.emulation import Tables
from adapters.reference.dataset import ReferenceCompany

Raw = dict[str, Any]


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    defs = _definitions(kept.custom_fields)
    users = {u.source_id: u for u in kept.users}
    orgs = {o.source_id: o for o in kept.organizations}
    persons = {p.source_id: p for p in kept.persons}
    deals = {d.source_id: d for d in kept.deals}
    tasks = [_task(a, users, persons, orgs, deals) for a in kept.activities]
    party_tags = _tag_ids([*kept.organizations, *kept.persons])
    opportunity_tags = _tag_ids(kept.deals)
    parties = [_org(o, users, defs) for o in kept.organizations] + [
        _person(p, users, orgs, defs) for p in kept.persons
    ]
    for party, record in zip(parties, [*kept.organizations, *kept.persons], strict=True):
        party["tags"] = _tags(record.labels, party_tags)
    return {
        "users": [_user(u) for u in kept.users],
        "user_parties": [_user_party(u) for u in kept.users],
        "parties": parties,
        "party_definitions": [d for d in defs.values() if d["_entity"] != Entity.deals],
        "opportunity_definitions": [d for d in defs.values() if d["_entity"] == Entity.deals],
        "pipelines": [
            {"id": cid(p.source_id), "name": p.name, "description": None} for p in kept.pipelines
        ],
        "milestones": _milestones(kept),
        "opportunities": [
            {
                **_opportunity(d, kept, users, persons, orgs, defs),
                "tags": _tags(d.labels, opportunity_tags),
            }
            for d in kept.deals
        ],
        "tasks": tasks,
        "entries": [_note(n, users, persons, orgs, deals) for n in kept.notes]
        + [_task_entry(t) for t in tasks if t["status"] == "COMPLETED" and t["party"]]
        + [_file_entry(f, users, persons, orgs, deals) for f in kept.files],
        "attachments": [
            {**_attachment(f), "_bytes": kept.file_bytes[f.source_id]} for f in kept.files
        ],
    }


# --- tags and attachments ----------------------------------------------------------------------


def _tag_ids(records: list[Any]) -> dict[str, int]:
    """Tags of one kind (party or opportunity), numbered by name: each kind its own sequence."""
    names = sorted({label for record in records for label in record.labels})
    return {name: 70 + i for i, name in enumerate(names, start=1)}


def _tags(labels: list[str], ids: dict[str, int]) -> list[Raw]:
    return [{"id": ids[name], "name": name, "description": None} for name in labels]


def _attachment(file: File) -> Raw:
    return {
        "id": cid(file.source_id),
        "filename": file.name,
        "contentType": file.mime_type or "application/octet-stream",
        "size": file.size,
    }


def _file_entry(
    file: File,
    users: dict[str, User],
    persons: dict[str, Person],
    orgs: dict[str, Organization],
    deals: dict[str, Deal],
) -> Raw:
    """The note a file was attached with: on the file's record, with no text of its own."""
    carrier = Note(
        source_id=file.source_id,
        content="",
        deal_source_id=file.deal_source_id,
        person_source_id=file.person_source_id,
        org_source_id=file.org_source_id,
        owner_source_id="u1",
        add_time=file.add_time,
    )
    entry = _note(carrier, users, persons, orgs, deals)
    entry.update(id=(cid(file.source_id) or 0) + CARRIER_ENTRY_BASE, content=None)
    entry["attachments"] = [_attachment(file)]
    return entry


# --- people ------------------------------------------------------------------------------------


def _user_ref(user: User | None) -> Raw | None:
    if user is None:
        return None
    return {"id": cid(user.source_id), "username": _username(user), "name": user.name}


def _username(user: User) -> str:
    return (user.email or user.source_id).split("@")[0]


def _user(user: User) -> Raw:
    first, _, last = user.name.partition(" ")
    return {
        **_user_ref(user),  # type: ignore[dict-item]
        "status": "ACTIVE" if user.active else "INACTIVE",
        "timezone": USER_ZONES.get(user.source_id, "Europe/London"),
        "locale": "en_GB",
        "currency": "EUR",
        "taskReminder": True,
        "lastLoginAt": UPDATED_AT,
        "party": {"id": _user_party_id(user), "type": "person", "firstName": first},
    }


def _user_party_id(user: User) -> int:
    return 90_000 + (cid(user.source_id) or 0)


def _user_party(user: User) -> Raw:
    first, _, last = user.name.partition(" ")
    emails = [{"id": _user_party_id(user), "type": "Work", "address": user.email}]
    return {
        "id": _user_party_id(user),
        "type": "person",
        "firstName": first,
        "lastName": last or None,
        "emailAddresses": emails if user.email else [],
        "phoneNumbers": [],
        "addresses": [],
    }


def _org(org: Organization, users: dict[str, User], defs: dict[tuple[Entity, str], Raw]) -> Raw:
    addresses = []
    if org.address:
        addresses.append({"id": cid(org.source_id), "type": "Office", "street": org.address})
    return {
        **_party_base(org.source_id, users.get(org.owner_source_id or "")),
        "type": "organisation",
        "name": org.name,
        "addresses": addresses,
        "emailAddresses": [],
        "phoneNumbers": [],
        "fields": _values(Entity.organizations, cid(org.source_id), org.custom_fields, defs),
    }


def _person(
    person: Person,
    users: dict[str, User],
    orgs: dict[str, Organization],
    defs: dict[tuple[Entity, str], Raw],
) -> Raw:
    org = orgs.get(person.org_source_id or "")
    base = cid(person.source_id) or 0
    return {
        **_party_base(person.source_id, users.get(person.owner_source_id or "")),
        "type": "person",
        "title": None,
        "firstName": person.first_name,
        "lastName": person.last_name,
        "jobTitle": None,
        "organisation": {"id": cid(org.source_id), "name": org.name} if org else None,
        "addresses": [],
        "emailAddresses": [
            {"id": base * 10 + i, "type": EMAIL_TYPES.get(e.label), "address": e.value}
            for i, e in enumerate(person.emails)
        ],
        "phoneNumbers": [
            {"id": base * 10 + 5 + i, "type": PHONE_TYPES.get(p.label), "number": p.value}
            for i, p in enumerate(person.phones)
        ],
        "fields": _values(Entity.persons, base, person.custom_fields, defs),
    }


def _party_base(source_id: str, owner: User | None) -> Raw:
    return {
        "id": cid(source_id),
        "about": None,
        "createdAt": UPDATED_AT,
        "updatedAt": UPDATED_AT,
        "lastContactedAt": None,
        "websites": [],
        "pictureURL": "https://capsulecrm.com/theme/default/images/person_avatar_70.png",
        "owner": _user_ref(owner),
        "team": None,
    }


# --- custom fields -----------------------------------------------------------------------------


def _definitions(fields: list[CustomFieldDef]) -> dict[tuple[Entity, str], Raw]:
    """Party definitions (organisation's, then person's: one id sequence) and opportunity
    definitions, whose ids may repeat the party ones, as Capsule's may."""
    out: dict[tuple[Entity, str], Raw] = {}
    counters = {"parties": 0, "opportunities": 0}
    for field in fields:
        group = "opportunities" if field.entity is Entity.deals else "parties"
        counters[group] += 1
        rule = {Entity.organizations: "organisation", Entity.persons: "person"}
        definition = {
            "id": 40 + counters[group],
            "name": field.name,
            "type": CAPSULE_TYPE.get(field.field_type, "text"),
            "displayOrder": counters[group],
            "important": False,
            "_entity": field.entity,
        }
        if field.entity in rule:
            definition["captureRule"] = rule[field.entity]
        if field.options:
            definition["options"] = list(field.options)
        out[(field.entity, field.key)] = definition
    return out


def _values(
    entity: Entity,
    owner_id: int | None,
    values: dict[str, Any],
    defs: dict[tuple[Entity, str], Raw],
) -> list[Raw]:
    out = []
    for key, value in values.items():
        definition = defs[(entity, key)]
        shown = str(value) if definition["type"] == "number" else value  # numbers come as text
        out.append(
            {
                "id": (owner_id or 0) * 100 + definition["id"],
                "definition": {"id": definition["id"], "name": definition["name"]},
                "value": shown,
                "tagId": None,
            }
        )
    return out


# --- pipelines and opportunities ---------------------------------------------------------------


def _milestones(company: ReferenceCompany) -> list[Raw]:
    names = {p.source_id: p.name for p in company.pipelines}
    out = []
    for stage in company.stages:
        out.append(_milestone(cid(stage.source_id), stage.name, stage.deal_probability, False))
        out[-1].update(
            pipeline={"id": cid(stage.pipeline_source_id), "name": names[stage.pipeline_source_id]},
            displayOrder=stage.order_nr,
        )
    for pipeline in company.pipelines:
        won, lost = won_lost_ids(pipeline.source_id)
        ref = {"id": cid(pipeline.source_id), "name": pipeline.name}
        out.append({**_milestone(won, "Won", 100, True), "pipeline": ref, "displayOrder": 98})
        out.append({**_milestone(lost, "Lost", 0, True), "pipeline": ref, "displayOrder": 99})
    return out


def _milestone(milestone_id: int | None, name: str, probability: int | None, done: bool) -> Raw:
    return {
        "id": milestone_id,
        "name": name,
        "description": None,
        "complete": done,
        "probability": probability,
        "daysUntilStale": None if done else 14,
        "createdAt": UPDATED_AT,
        "updatedAt": UPDATED_AT,
    }


def _opportunity(
    deal: Deal,
    company: ReferenceCompany,
    users: dict[str, User],
    persons: dict[str, Person],
    orgs: dict[str, Organization],
    defs: dict[tuple[Entity, str], Raw],
) -> Raw:
    stage = {"id": cid(deal.stage_source_id), "name": _stage_name(company, deal)}
    milestone = stage
    if deal.status != "open":
        won, lost = won_lost_ids(deal.pipeline_source_id or "pl1")
        milestone = (
            {"id": won, "name": "Won"} if deal.status == "won" else {"id": lost, "name": "Lost"}
        )
    closed = deal.won_time or deal.lost_time
    lost_reason = {"id": 1, "name": deal.lost_reason} if deal.lost_reason else None
    return {
        "id": cid(deal.source_id),
        "name": deal.title,
        "description": None,
        "party": _party_of(deal.person_source_id, deal.org_source_id, persons, orgs),
        "owner": _user_ref(users.get(deal.owner_source_id or "")),
        "team": None,
        "milestone": milestone,
        "lastOpenMilestone": stage,
        "value": {"amount": deal.value, "currency": deal.currency}
        if deal.value is not None
        else None,
        "expectedCloseOn": deal.expected_close_date,
        "closedOn": closed[:10] if closed else None,
        "lostReason": lost_reason,
        "probability": 100 if deal.status == "won" else 0 if deal.status == "lost" else None,
        "durationBasis": "FIXED",
        "duration": None,
        "createdAt": UPDATED_AT,
        "updatedAt": UPDATED_AT,
        "lastContactedAt": None,
        "lastStageChangedAt": UPDATED_AT,
        "fields": _values(Entity.deals, cid(deal.source_id), deal.custom_fields, defs),
    }


def _stage_name(company: ReferenceCompany, deal: Deal) -> str:
    return next(s.name for s in company.stages if s.source_id == deal.stage_source_id)


def _party_of(
    person_id: str | None,
    org_id: str | None,
    persons: dict[str, Person],
    orgs: dict[str, Organization],
) -> Raw | None:
    if person_id:
        person = persons[person_id]
        return {"id": cid(person_id), "type": "person", "firstName": person.first_name,
                "lastName": person.last_name}  # fmt: skip
    if org_id:
        return {"id": cid(org_id), "type": "organisation", "name": orgs[org_id].name}
    return None


# --- tasks and entries -------------------------------------------------------------------------


def _task(
    activity: Activity,
    users: dict[str, User],
    persons: dict[str, Person],
    orgs: dict[str, Organization],
    deals: dict[str, Deal],
) -> Raw:
    owner = users.get(activity.owner_source_id or "")
    zone = USER_ZONES.get(activity.owner_source_id or "", "Europe/London")
    day, at = local_due(activity.due_date or "", activity.due_time, zone)
    category = CATEGORY_NAMES.get(activity.type)
    deal = deals.get(activity.deal_source_id or "")
    return {
        "id": cid(activity.source_id),
        "description": activity.subject,
        "detail": activity.note,
        "category": _category(category),
        "dueOn": day,
        "dueTime": at,
        "status": "COMPLETED" if activity.done else "OPEN",
        "party": _party_of(activity.person_source_id, activity.org_source_id, persons, orgs),
        "opportunity": {"id": cid(deal.source_id), "name": deal.title} if deal else None,
        "kase": None,
        "owner": _user_ref(owner),
        "completedAt": f"{day}T17:00:00Z" if activity.done else None,
        "hasTrack": False,
        "createdAt": UPDATED_AT,
        "updatedAt": UPDATED_AT,
    }


def _category(name: str | None) -> Raw | None:
    if name is None:
        return None
    number = list(CATEGORY_NAMES.values()).index(name) + 1
    return {"id": number, "name": name, "colour": "#2e7d32"}


def _note(
    note: Note,
    users: dict[str, User],
    persons: dict[str, Person],
    orgs: dict[str, Organization],
    deals: dict[str, Deal],
) -> Raw:
    deal = deals.get(note.deal_source_id or "")
    return {
        "id": cid(note.source_id),
        "type": "note",
        "creator": _user_ref(users.get(note.owner_source_id or "")),
        "activityType": {"id": -1, "name": "Note"},
        "content": note.content,
        "subject": None,
        "entryAt": note.add_time,
        "createdAt": note.add_time,
        "updatedAt": note.add_time,
        "party": _party_of(note.person_source_id, note.org_source_id, persons, orgs),
        "opportunity": {"id": cid(deal.source_id), "name": deal.title} if deal else None,
        "kase": None,
        "attachments": [],
    }


def _task_entry(task: Raw) -> Raw:
    """The history entry Capsule writes when a task on a party is completed."""
    return {
        "id": 550_000 + task["id"],
        "type": "task",
        "creator": task["owner"],
        "activityType": {"id": -4, "name": "Task completed"},
        "content": task["description"],
        "entryAt": task["completedAt"],
        "createdAt": task["completedAt"],
        "updatedAt": task["completedAt"],
        "party": task["party"],
        "opportunity": None,
        "kase": None,
    }
