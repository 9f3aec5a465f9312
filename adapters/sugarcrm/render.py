"""The reference company in a Sugar instance's record shapes (REST v11), one table per module.

Shapes follow the Sugar Developer Guide's endpoint examples: flat records with `id` (UUID),
`date_modified`, `_module`, relate ids (`account_id`, `assigned_user_id`, `parent_type` +
`parent_id`, `contact_id`), `email` as a list of `{email_address, primary_address, ...}`,
dropdown values as item keys and multi-selects as `^a^,^b^`. Datetimes are ISO 8601 in the API
user's time zone (here Europe/Warsaw), dates `YYYY-MM-DD`. What the instance cannot hold was
already taken out by `held`; rendering the held company keeps the two in step.

Tags are each record's `tag` list of `{id, name}`. Leads carry their person and company as text
(the held company has them as a person and an organization under the lead's id: those are not
Contacts or Accounts); one lead already converted is rendered too, which a migration must not
read. An attached file is a Note with `filename`, `file_mime_type` and `file_size` (its bytes
kept beside it, for the download route).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from adapters.core.canonical import (
    Activity,
    CustomFieldDef,
    Entity,
    FieldType,
    File,
    Lead,
    Note,
    Person,
)
from adapters.core.emulation import Tables
from adapters.reference.dataset import ReferenceCompany
from adapters.sugarcrm.held import MEETING_KINDS, held, phone_slots
from adapters.sugarcrm.metadata import metadata
from adapters.sugarcrm.naming import (
    CLOSED_LOST,
    CLOSED_WON,
    MODULES,
    currency_id,
    custom_name,
    dropdown_keys,
    sugar_id,
)

API_USER_ZONE = ZoneInfo("Europe/Warsaw")
MODIFIED = "2026-01-15T10:00:00+01:00"
Row = dict[str, Any]


def local_time(value: str | None) -> str | None:
    """An RFC 3339 UTC time as Sugar shows it to the API user: in their zone, with the offset."""
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(API_USER_ZONE)
    return moment.isoformat(timespec="seconds")


class Renderer:
    def __init__(self, company: ReferenceCompany) -> None:
        self.company = held(company)
        self.fields = {
            (f.entity, f.key): f for f in self.company.custom_fields if f.entity in MODULES
        }
        self.own = {lead.source_id for lead in self.company.leads}  # a lead's person and company
        self.modules = {a.source_id: _activity_module(a) for a in self.company.activities}

    def tables(self) -> Tables:
        c = self.company
        activities = [*c.activities, *c.lead_activities]
        return {
            "Users": [self.user(u.source_id, u.name, u.email, u.active) for u in c.users],
            "Currencies": self.currencies(),
            "Accounts": [
                self.record(
                    Entity.organizations,
                    o.source_id,
                    o.custom_fields,
                    name=o.name,
                    billing_address_street=o.address or "",
                    assigned_user_id=_id(o.owner_source_id),
                    tag=_tags(o.labels),
                )
                for o in c.organizations
                if o.source_id not in self.own
            ],
            "Contacts": [self.contact(p) for p in c.persons if p.source_id not in self.own],
            "Leads": [
                *(self.lead(lead) for lead in c.leads),
                *(_converted(self.lead(lead)) for lead in c.leads[:1]),
            ],
            "ProductTemplates": [
                self.record(
                    Entity.products,
                    p.source_id,
                    p.custom_fields,
                    currency=p.prices[0].currency if p.prices else None,
                    name=p.name,
                    mft_part_num=p.code or "",
                    discount_price=_amount(p.prices[0].price if p.prices else None),
                    list_price=_amount(p.prices[0].price if p.prices else None),
                    status="Available",
                )
                for p in c.products
            ],
            "Opportunities": [self.opportunity(d) for d in c.deals],
            "Calls": [self.call(a) for a in activities if a.type == "call"],
            "Meetings": [self.call(a) for a in activities if a.type in MEETING_KINDS],
            "Tasks": [self.task(a) for a in activities if a.type == "task"],
            "Notes": [
                *(self.note(n) for n in [*c.notes, *c.lead_notes]),
                *(self.attachment(f) for f in c.files),
            ],
            "metadata": [metadata(c)],
        }

    # --- records ------------------------------------------------------------------------

    def record(
        self,
        entity: Entity,
        source_id: str,
        custom: dict[str, Any],
        currency: str | None = None,
        **fields: Any,
    ) -> Row:
        money = [v.get("currency") for v in custom.values() if isinstance(v, dict)]
        row: Row = {
            "id": sugar_id(source_id),
            "date_entered": MODIFIED,
            "date_modified": MODIFIED,
            "deleted": False,
            **fields,
            "currency_id": currency_id(currency or (money[0] if money else None)),
            "_module": MODULES[entity],
        }
        for key, value in custom.items():
            row[custom_name(key)] = _custom_value(self.fields[(entity, key)], value)
        return row

    def user(self, source_id: str, name: str, email: str | None, active: bool) -> Row:
        first, _, last = name.partition(" ")
        return {
            "id": sugar_id(source_id),
            "user_name": (email or source_id).split("@")[0],
            "first_name": first,
            "last_name": last,
            "full_name": name,
            "email": [_email(email, True)] if email else [],
            "status": "Active" if active else "Inactive",
            "is_admin": source_id == "u1",
            "date_modified": MODIFIED,
            "_module": "Users",
        }

    def currencies(self) -> list[Row]:
        rows = [
            {"id": currency_id(iso), "iso4217": iso, "name": iso, "symbol": iso, "status": "Active"}
            for iso in ("EUR", "USD", "PLN")
        ]
        return [{**row, "conversion_rate": 1.0, "_module": "Currencies"} for row in rows]

    def contact(self, person: Person) -> Row:
        row = self.record(
            Entity.persons,
            person.source_id,
            person.custom_fields,
            first_name=person.first_name or "",
            last_name=person.last_name or person.name,
            full_name=person.name,
            name=person.name,
            email=[_email(e.value, e.primary) for e in person.emails],
            account_id=_id(person.org_source_id) or "",
            assigned_user_id=_id(person.owner_source_id),
            tag=_tags(person.labels),
        )
        return _phoned(row, person)

    def lead(self, lead: Lead) -> Row:
        person = next(p for p in self.company.persons if p.source_id == lead.source_id)
        org = next((o for o in self.company.organizations if o.source_id == lead.source_id), None)
        row: Row = {
            "id": sugar_id(lead.source_id),
            "first_name": person.first_name or "",
            "last_name": person.last_name or person.name,
            "full_name": person.name,
            "name": person.name,
            "account_name": org.name if org else "",
            "opportunity_name": lead.title,
            "opportunity_amount": "",
            "email": [_email(e.value, e.primary) for e in person.emails],
            "status": "New",
            "converted": False,
            "account_id": "",
            "contact_id": "",
            "assigned_user_id": _id(lead.owner_source_id),
            "tag": _tags(lead.labels),
            "date_entered": local_time(lead.add_time),
            "date_modified": MODIFIED,
            "deleted": False,
            "_module": "Leads",
        }
        return _phoned(row, person)

    def opportunity(self, deal: Any) -> Row:
        stages = {s.source_id: s for s in self.company.stages}
        stage = {"won": CLOSED_WON, "lost": CLOSED_LOST}.get(deal.status)
        open_stage = stages.get(deal.stage_source_id)
        keys = dropdown_keys([s.name for s in self.company.stages])
        row = self.record(
            Entity.deals,
            deal.source_id,
            deal.custom_fields,
            currency=deal.currency,
            name=deal.title,
            amount=_amount(deal.value),
            sales_stage=stage or (keys[open_stage.name] if open_stage else ""),
            date_closed=deal.expected_close_date or "",
            account_id=_id(deal.org_source_id) or "",
            assigned_user_id=_id(deal.owner_source_id),
            tag=_tags(deal.labels),
        )
        row["_contacts"] = [_id(deal.person_source_id)] if deal.person_source_id else []
        return row

    def call(self, activity: Activity) -> Row:
        start = f"{activity.due_date}T{activity.due_time or '00:00'}:00Z"
        hours, minutes = _duration(activity.duration)
        end = datetime.fromisoformat(start.replace("Z", "+00:00")) + timedelta(
            hours=hours, minutes=minutes
        )
        row = self.activity_row(activity, "Calls" if activity.type == "call" else "Meetings")
        row.update(
            date_start=local_time(start),
            date_end=local_time(end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            duration_hours=hours,
            duration_minutes=minutes,
            status="Held" if activity.done else "Planned",
        )
        if activity.type == "call":
            row["direction"] = "Outbound"
        row["_contacts"] = [_id(activity.person_source_id)] if activity.person_source_id else []
        return row

    def task(self, activity: Activity) -> Row:
        row = self.activity_row(activity, "Tasks")
        row.update(
            date_due=local_time(f"{activity.due_date}T{activity.due_time or '00:00'}:00Z"),
            date_due_flag=False,
            status="Completed" if activity.done else "Not Started",
            priority="Medium",
            contact_id=_id(activity.person_source_id) or "",
        )
        return row

    def activity_row(self, activity: Activity, module: str) -> Row:
        parent_type, parent_id = _parent(activity)
        return {
            "id": sugar_id(activity.source_id),
            "name": activity.subject,
            "description": activity.note or "",
            "parent_type": parent_type,
            "parent_id": parent_id,
            "assigned_user_id": _id(activity.owner_source_id),
            "date_modified": MODIFIED,
            "deleted": False,
            "_module": module,
        }

    def note(self, note: Note) -> Row:
        parent_type, parent_id = _parent(note)
        return {
            "id": sugar_id(note.source_id),
            "name": f"Note {note.source_id}",
            "description": note.content,
            "parent_type": parent_type,
            "parent_id": parent_id,
            "contact_id": _id(note.person_source_id) or "",
            "assigned_user_id": _id(note.owner_source_id),
            "date_entered": local_time(note.add_time),
            "date_modified": MODIFIED,
            "deleted": False,
            "filename": "",
            "file_mime_type": "",
            "file_size": None,
            "_module": "Notes",
        }

    def attachment(self, file: File) -> Row:
        """A Note carrying the file, on the file's one parent."""
        parent_type, parent_id = _parent(file)
        if file.activity_source_id:
            parent_type = self.modules[file.activity_source_id]
            parent_id = sugar_id(file.activity_source_id)
        return {
            "id": sugar_id(file.source_id),
            "name": file.name,
            "description": "",
            "parent_type": parent_type,
            "parent_id": parent_id,
            "contact_id": "",
            "assigned_user_id": _id("u1"),
            "date_entered": local_time(file.add_time),
            "date_modified": MODIFIED,
            "deleted": False,
            "filename": file.name,
            "file_mime_type": file.mime_type or "application/octet-stream",
            "file_ext": file.name.rpartition(".")[2] if "." in file.name else "",
            "file_size": file.size,
            "_module": "Notes",
            "_bytes": self.company.file_bytes[file.source_id],
        }


def _converted(row: Row) -> Row:
    """A lead converted into a contact: not an open lead any more."""
    ids = {"id": sugar_id("converted-lead"), "contact_id": sugar_id("converted-contact")}
    return {**row, **ids, "status": "Converted", "converted": True, "tag": []}


def _id(source_id: str | None) -> str | None:
    return sugar_id(source_id) if source_id else None


def _amount(value: float | None) -> str | None:
    """Sugar answers decimals as strings with six places."""
    return None if value is None else f"{value:.6f}"


def _email(address: str, primary: bool) -> Row:
    return {
        "email_address": address,
        "email_address_id": sugar_id(f"email:{address}"),
        "primary_address": primary,
        "reply_to_address": False,
        "invalid_email": False,
        "opt_out": False,
    }


def _duration(duration: str | None) -> tuple[int, int]:
    if not duration:
        return 0, 0
    hours, _, minutes = duration.partition(":")
    return int(hours), int(minutes)


def _tags(labels: list[str]) -> list[Row]:
    return [{"id": sugar_id(f"tag:{name.lower()}"), "name": name} for name in labels]


def _phoned(row: Row, person: Person) -> Row:
    for slot in ("phone_work", "phone_mobile", "phone_home", "phone_other"):
        row[slot] = ""
    for slot, phone in phone_slots(person.phones):
        row[slot] = phone.value
    return row


def _activity_module(activity: Activity) -> str:
    if activity.type == "call":
        return "Calls"
    return "Meetings" if activity.type in MEETING_KINDS else "Tasks"


def _parent(record: Activity | Note | File) -> tuple[str, str]:
    """One parent: the lead, else the deal, else the organization, else the person."""
    for module, source_id in (
        ("Leads", record.lead_source_id),
        ("Opportunities", record.deal_source_id),
        ("Accounts", record.org_source_id),
        ("Contacts", record.person_source_id),
    ):
        if source_id:
            return module, sugar_id(source_id)
    return "", ""


def _custom_value(field: CustomFieldDef, value: Any) -> Any:
    kind = field.field_type
    if kind is FieldType.enum:
        return dropdown_keys(field.options)[value]
    if kind is FieldType.set:
        keys = dropdown_keys(field.options)
        return ",".join(f"^{keys[label]}^" for label in value)
    if kind is FieldType.monetary:
        return _amount(value["value"])
    if kind is FieldType.double:
        return value
    return str(value)
