"""The reference company in Close's record shapes, one table per list endpoint.

How the Pipedrive-shaped company sits in Close (`held` says what that costs):
- An organization is a lead with a name; a person is a contact, and every contact belongs to a
  lead. A person without an organization gets a lead of their own with no name (Close then shows
  the contact's name as the lead's display_name), which is how Close keeps individuals.
- Owners of organizations and persons live in a `user`-type custom field named "Owner" (Close's
  own docs show one); leads and contacts have no built-in owner.
- A deal is an opportunity on the lead of its organization (or of its person). Close
  opportunities have no title: the title is the opportunity's `note`, as Close users write it.
  The value is in cents. Pipelines hold their statuses: the stages are the `active` ones, plus a
  `won` status and one `lost` status per lost reason (Close keeps the reason as the status).
  Where a closed deal stood before it was won or lost is in its OpportunityStatusChange activity.
- Activities: meetings and lunches are Meeting activities, e-mails Email activities, done calls
  Call activities (logged calls), open calls, tasks and deadlines are Tasks. Notes are Note
  activities with `note_html`. All of them hang on a lead and optionally a contact.
- Products do not exist in Close.
- Files (as held) are attachments of a note on their lead made for them (no text of its own), or
  of their e-mail; their bytes are kept in the `file` table by the key in their URL.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from datetime import datetime, timedelta
from typing import Any

from adapters.core.canonical import Activity, Deal, Entity, FieldType, Person
from adapters.core.emulation import Tables
from adapters.reference.dataset import ReferenceCompany

ORGANIZATION_ID = "orga_" + "Ferry0Reference0Company0Close0Sandbox0000001"
API_USER = "u1"  # whose API key the sandbox hands out
OWNER_FIELD = "Owner"
CREATED = "2025-06-02T09:00:00.000000+00:00"
APP = "https://app.close.com"  # where attachments' URLs point (the emulator serves its own)
_CREATED_AT = datetime.fromisoformat(CREATED)
# Lists read newest first in creation-time windows (Close's deep pagination), kept in that order.
TIMELINES = (
    "opportunity",
    "task",
    "activity/call",
    "activity/meeting",
    "activity/email",
    "activity/note",
    "activity/status_change/opportunity",
)
# The activity lists of types the reference company holds none of: served, and empty.
EMPTY_ACTIVITY_LISTS = (
    "activity/created",
    "activity/emailthread",
    "activity/sms",
    "activity/status_change/lead",
    "activity/task_completed",
    "activity/custom",
)
# Each event's `object_type` for the objects of a table (developer.close.com, Event Log).
EVENT_OBJECTS = {
    "lead": "lead",
    "contact": "contact",
    "opportunity": "opportunity",
    "task": "task.lead",
    "activity/call": "activity.call",
    "activity/meeting": "activity.meeting",
    "activity/email": "activity.email",
    "activity/note": "activity.note",
    "activity/status_change/opportunity": "status_change.opportunity",
}
LEAD_STATUS = ("stat_" + "LeadPotential0000000000000000000000000000000", "Potential")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGIT_PAIRS = tuple(_ALPHABET[n % 62] + _ALPHABET[n // 62] for n in range(62 * 62))
# Close's contact point types for the canonical labels, and back.
EMAIL_TYPES = {"work": "office", "home": "home", "other": "other"}
PHONE_TYPES = {"work": "office", "mobile": "mobile", "home": "home", "other": "other"}
Raw = dict[str, Any]
CUSTOM_OBJECTS = {
    Entity.organizations: "lead",
    Entity.persons: "contact",
    Entity.deals: "opportunity",
}


@functools.lru_cache(maxsize=1 << 17)
def close_id(prefix: str, reference_id: str) -> str:
    """A Close-looking id (`lead_` + 43 base62 characters), the same for the same record.
    Kept once made: a record's id is asked for by every record that links to it."""
    number = int.from_bytes(hashlib.sha256(f"{prefix}:{reference_id}".encode()).digest(), "big")
    chars = []
    for _ in range(21):  # two base62 digits (least significant first) per division
        number, pair = divmod(number, 62 * 62)
        chars.append(_DIGIT_PAIRS[pair])
    chars.append(_ALPHABET[number % 62])
    return f"{prefix}_{''.join(chars)}"


def field_id(entity: Entity, key: str) -> str:
    return close_id("cf", f"{entity.value}:{key}")


def created_at(reference_id: str) -> str:
    """When a record was created in Close: a second apart per record, in reference order (p12
    a second after p11), so that no two records of a list share a creation time, as in Close
    where it is kept to the microsecond."""
    number = int("".join(ch for ch in reference_id if ch.isdigit()) or 0)
    return (_CREATED_AT + timedelta(seconds=number)).isoformat(timespec="microseconds")


def lost_status_id(pipeline: str, reason: str) -> str:
    return close_id("stat", f"{pipeline}:lost:{reason}")


def won_status_id(pipeline: str) -> str:
    return close_id("stat", f"{pipeline}:won")


def activity_kind(activity: Activity) -> str:
    """Which Close object an activity becomes (see the module docstring)."""
    if activity.type in ("meeting", "lunch"):
        return "meeting"
    if activity.type == "email":
        return "email"
    if activity.type == "call" and activity.done:
        return "call"
    return "task"


class Company:
    """The reference company with the lookups rendering needs (which lead a record sits on)."""

    def __init__(self, company: ReferenceCompany) -> None:
        self.company = company
        self.persons = {p.source_id: p for p in company.persons}
        self.deals = {d.source_id: d for d in company.deals}
        self.users = {u.source_id: u for u in company.users}
        self.stages = {s.source_id: s for s in company.stages}
        self.pipelines = {p.source_id: p for p in company.pipelines}
        self.org_names = {o.source_id: o.name for o in company.organizations}

    def person_lead(self, person_id: str) -> str:
        """The reference id the person's lead is made from: the organization, or the person."""
        return self.persons[person_id].org_source_id or person_id

    def deal_lead(self, deal: Deal) -> str:
        if deal.org_source_id:
            return deal.org_source_id
        assert deal.person_source_id, deal.source_id
        return self.person_lead(deal.person_source_id)

    def lead_of(self, record: Any) -> str:
        """The lead an activity or note sits on: its deal's, else its person's, else its org."""
        if record.deal_source_id:
            return self.deal_lead(self.deals[record.deal_source_id])
        if record.person_source_id:
            return self.person_lead(record.person_source_id)
        return record.org_source_id

    def contact_of(self, record: Any) -> str | None:
        if record.person_source_id:
            return record.person_source_id
        if record.deal_source_id:
            return self.deals[record.deal_source_id].person_source_id
        return None


def custom_values(entity: Entity, values: dict[str, Any], types: dict[str, FieldType]) -> Raw:
    """`custom.cf_...` keys as Close puts them in a record: choices as labels (a list when the
    field takes several), numbers for amounts, dates as YYYY-MM-DD, everything else as text."""
    out: Raw = {}
    for key, value in values.items():
        if types.get(key) is FieldType.monetary:
            value = value["value"]
        out[f"custom.{field_id(entity, key)}"] = value
    return out


def app_url(item: Raw, base: str) -> Raw:
    """An attachment with its URL on `base` instead of Close's app host."""
    return {**item, "url": item["url"].replace(APP, base, 1)}


def user_id(reference_id: str | None) -> str | None:
    return close_id("user", reference_id) if reference_id else None


def iso_time(stamp: str | None) -> str | None:
    """An RFC 3339 "Z" time as Close writes it (microseconds, +00:00)."""
    return stamp.replace("Z", ".000000+00:00") if stamp else None


def render_users(company: ReferenceCompany) -> list[Raw]:
    users = []
    for user in company.users:
        first, _, last = user.name.partition(" ")
        users.append(
            {
                "id": user_id(user.source_id),
                "email": user.email,
                "first_name": first,
                "last_name": last,
                "image": None,
                "date_created": CREATED,
                "date_updated": CREATED,
            }
        )
    return users


def render_contact(person: Person, lead_id: str, types: dict[str, FieldType]) -> Raw:
    return {
        "id": close_id("cont", person.source_id),
        "lead_id": lead_id,
        "organization_id": ORGANIZATION_ID,
        "name": person.name,
        "display_name": person.name,
        "title": None,
        "emails": [
            {"email": e.value, "type": EMAIL_TYPES.get(e.label, "other"), "is_unsubscribed": False}
            for e in person.emails
        ],
        "phones": [
            {
                "phone": "+" + re.sub(r"\D", "", p.value),
                "phone_formatted": p.value,
                "type": PHONE_TYPES.get(p.label, "other"),
                "country": None,
            }
            for p in person.phones
        ],
        "urls": [],
        "date_created": CREATED,
        "date_updated": CREATED,
        "created_by": None,
        "updated_by": None,
        f"custom.{field_id(Entity.persons, 'owner')}": user_id(person.owner_source_id),
        **custom_values(Entity.persons, person.custom_fields, types),
    }


def _lead(lead_id: str, name: str | None, shown: str) -> Raw:
    return {
        "id": lead_id,
        "name": name,
        "display_name": shown,
        "description": "",
        "url": None,
        "status_id": LEAD_STATUS[0],
        "status_label": LEAD_STATUS[1],
        "organization_id": ORGANIZATION_ID,
        "addresses": [],
        "contact_ids": [],
        "contacts": [],
        "opportunities": [],
        "tasks": [],
        "html_url": f"https://app.close.com/lead/{lead_id}/",
        "date_created": CREATED,
        "date_updated": CREATED,
        "created_by": None,
        "updated_by": None,
    }


def _address(text: str) -> Raw:
    # The reference keeps one formatted line; Close splits it, so it all goes in address_1.
    return {
        "label": "business",
        "address_1": text,
        "address_2": None,
        "city": None,
        "state": None,
        "zipcode": None,
        "country": None,
    }


def render_leads(ref: Company, types: dict[Entity, dict[str, FieldType]]) -> dict[str, Raw]:
    leads: dict[str, Raw] = {}
    owner_key = f"custom.{field_id(Entity.organizations, 'owner')}"
    for org in ref.company.organizations:
        lead = _lead(close_id("lead", org.source_id), org.name, org.name)
        lead["addresses"] = [_address(org.address)] if org.address else []
        lead[owner_key] = user_id(org.owner_source_id)
        lead.update(
            custom_values(Entity.organizations, org.custom_fields, types[Entity.organizations])
        )
        leads[org.source_id] = lead
    for person in ref.company.persons:
        reference = ref.person_lead(person.source_id)
        if reference not in leads:  # an individual: a lead of their own, with no name
            leads[reference] = _lead(close_id("lead", reference), None, person.name)
        lead = leads[reference]
        contact = render_contact(person, lead["id"], types[Entity.persons])
        lead["contacts"].append(contact)
        lead["contact_ids"].append(contact["id"])
    return leads


def render_pipelines(ref: Company) -> list[Raw]:
    pipelines = []
    for pipeline in ref.company.pipelines:
        pid = pipeline.source_id
        statuses = [
            {"id": close_id("stat", s.source_id), "label": s.name, "type": "active"}
            for s in sorted(ref.company.stages, key=lambda s: s.order_nr)
            if s.pipeline_source_id == pid
        ]
        statuses.append({"id": won_status_id(pid), "label": "Won", "type": "won"})
        reasons = sorted({d.lost_reason or "Lost" for d in ref.company.deals if _lost_in(d, pid)})
        statuses += [{"id": lost_status_id(pid, r), "label": r, "type": "lost"} for r in reasons]
        pipelines.append(
            {
                "id": close_id("pipe", pid),
                "name": pipeline.name,
                "organization_id": ORGANIZATION_ID,
                "statuses": statuses,
            }
        )
    return pipelines


def _lost_in(deal: Deal, pipeline_id: str) -> bool:
    return deal.status == "lost" and deal.pipeline_source_id == pipeline_id


def deal_status(deal: Deal, ref: Company) -> tuple[str, str, str]:
    """(status id, label, type) of an opportunity."""
    pid = deal.pipeline_source_id or ""
    if deal.status == "won":
        return won_status_id(pid), "Won", "won"
    if deal.status == "lost":
        reason = deal.lost_reason or "Lost"
        return lost_status_id(pid, reason), reason, "lost"
    stage = ref.stages[deal.stage_source_id or ""]
    return close_id("stat", stage.source_id), stage.name, "active"


def plain_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup)).strip()


def render_fields(company: ReferenceCompany) -> dict[str, list[Raw]]:
    """Custom field definitions per object, plus the "Owner" user field on leads and contacts."""
    tables: dict[str, list[Raw]] = {f"custom_field/{o}": [] for o in CUSTOM_OBJECTS.values()}
    for entity in (Entity.organizations, Entity.persons):
        tables[f"custom_field/{CUSTOM_OBJECTS[entity]}"].append(
            _field(field_id(entity, "owner"), OWNER_FIELD, "user")
        )
    for definition in company.custom_fields:
        if definition.entity not in CUSTOM_OBJECTS:
            continue  # product fields: Close has no products
        kind = {
            FieldType.double: "number",
            FieldType.monetary: "number",
            FieldType.date: "date",
            FieldType.enum: "choices",
            FieldType.set: "choices",
        }.get(definition.field_type, "text")
        record = _field(field_id(definition.entity, definition.key), definition.name, kind)
        if kind == "choices":
            record["choices"] = list(definition.options)
            record["accepts_multiple_values"] = definition.field_type is FieldType.set
        tables[f"custom_field/{CUSTOM_OBJECTS[definition.entity]}"].append(record)
    return tables


def _field(fid: str, name: str, kind: str) -> Raw:
    return {
        "id": fid,
        "name": name,
        "description": None,
        "type": kind,
        "choices": None,
        "accepts_multiple_values": False,
        "editable_with_roles": [],
        "organization_id": ORGANIZATION_ID,
        "date_created": CREATED,
        "date_updated": CREATED,
        "created_by": None,
        "updated_by": None,
    }


def render(company: ReferenceCompany) -> Tables:
    from adapters.close.held import held
    from adapters.close.records import (
        attachment,
        file_key,
        render_activity,
        render_file_note,
        render_note,
        render_opportunity,
        render_status_change,
    )

    ref = Company(company)
    types: dict[Entity, dict[str, FieldType]] = {e: {} for e in CUSTOM_OBJECTS}
    for definition in company.custom_fields:
        types.get(definition.entity, {})[definition.key] = definition.field_type
    leads = render_leads(ref, types)
    tables: Tables = {
        "user": render_users(company),
        "lead": list(leads.values()),
        "contact": [c for lead in leads.values() for c in lead["contacts"]],
        "pipeline": render_pipelines(ref),
        "opportunity": [render_opportunity(d, ref, types[Entity.deals]) for d in company.deals],
        "activity/status_change/opportunity": [
            change for d in company.deals if (change := render_status_change(d, ref))
        ],
        "activity/call": [],
        "activity/meeting": [],
        "activity/email": [],
        "task": [],
        "activity/note": [render_note(n, ref) for n in company.notes],
        **render_fields(company),
    }
    for activity in company.activities:
        table, record = render_activity(activity, ref)
        tables[table].append(record)
    kept = held(company)
    emails = {e["id"]: e for e in tables["activity/email"]}
    for file in kept.files:
        if file.activity_source_id:
            emails[close_id("acti", file.activity_source_id)]["attachments"].append(
                attachment(file)
            )
        else:
            tables["activity/note"].append(render_file_note(file, ref))
    tables["file"] = [
        {"key": file_key(f), "attachment": attachment(f), "_bytes": kept.file_bytes[f.source_id]}
        for f in kept.files
    ]
    by_lead = {lead["id"]: lead for lead in tables["lead"]}
    for opportunity in tables["opportunity"]:
        by_lead[opportunity["lead_id"]]["opportunities"].append(opportunity)
    for name in TIMELINES:  # newest first, as Close lists them
        tables[name].sort(key=lambda r: (r["date_created"], r["id"]), reverse=True)
    tables.update({name: [] for name in EMPTY_ACTIVITY_LISTS})
    tables["custom_field/activity"] = []
    # `/activity/` lists every type together, newest first.
    everything = [r for name in TIMELINES if name.startswith("activity/") for r in tables[name]]
    tables["activity"] = sorted(
        everything, key=lambda r: (r["date_created"], r["id"]), reverse=True
    )
    tables["event"] = render_events(tables)
    return tables


def render_events(tables: Tables) -> list[Raw]:
    """The event log: one `created` event per lead, contact, opportunity, task and activity,
    most recently updated first (as Close lists it)."""
    events = []
    for table, object_type in EVENT_OBJECTS.items():
        for record in tables[table]:
            lead_id = record["id"] if table == "lead" else record.get("lead_id")
            events.append(
                {
                    "id": close_id("ev", f"{table}:{record['id']}"),
                    "date_created": record["date_created"],
                    "date_updated": record["date_created"],
                    "organization_id": ORGANIZATION_ID,
                    "user_id": record.get("created_by") or record.get("user_id"),
                    "request_id": close_id("req", f"{table}:{record['id']}"),
                    "api_key_id": None,
                    "object_type": object_type,
                    "object_id": record["id"],
                    "lead_id": lead_id,
                    "action": "created",
                    "changed_fields": [],
                    "meta": {"request_method": "POST", "request_path": f"/api/v1/{table}/"},
                    "data": {k: v for k, v in record.items() if k not in ("contacts", "tasks")},
                    "previous_data": {},
                }
            )
    events.sort(key=lambda e: (e["date_updated"], e["id"]), reverse=True)
    return events
