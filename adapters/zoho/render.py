"""The reference company in Zoho CRM's record shapes, and what of it Zoho can hold.

Shapes follow the v8 answers (Zoho's own OpenAPI files, zoho/crm-oas v8.0, and the Get Records,
Users, Fields, Notes and Pipelines pages of https://www.zoho.com/crm/developer/docs/api/v8/):
- ids are 19-digit strings; lookups are `{"name", "id"}`; owners `{"name", "id", "email"}`.
- date-times carry the org's UTC offset ("2026-01-21T00:30:00+01:00"), dates are "YYYY-MM-DD";
  a record's Created_Time (date-time, seconds) is its original creation: accounts, contacts and
  deals take the reference `add_time`.
- a Contact has two e-mail fields (Email, Secondary_Email) and fixed phone fields.
- a Deal's status is its Stage: won and lost deals sit in "Closed Won" / "Closed Lost".
- activities are three modules: Tasks (a due *date* and a Status), Events (start and end, no
  completion state) and Calls (start time, duration in seconds, a call status). Each links one
  parent record in What_Id (with `$se_module`) and one contact in Who_Id.
- a Note has exactly one parent (Parent_Id with its module).
- currency fields are in the record's one Currency (multi-currency orgs).
- products on a deal are the deal's Products related list: product records with the
  relation's Quantity, List_Price, Discount (an amount) and Total (after the discount), in the
  deal's currency; kept per deal (`_deal`, never served) under the "Deals/Products" table.
- leads are the Leads module's records: a person at a company held on the lead (First_Name,
  Last_Name (required), Full_Name, Company as text, Email, Secondary_Email, Phone, Mobile,
  Lead_Status); a lead of an organization alone has the company's name as its Last_Name.
  Its notes (Parent_Id) and activities (What_Id) name it with $se_module Leads.
- tags are each record's Tag field, [{"name", "id", "color_code"}]; tags belong to a module.
- attachments (attachments.json `Attachment`) hang on one record (Parent_Id {name, id},
  $se_module): File_Name, Size (bytes, a string), $file_id, $type "Attachment", $link_url null
  for a file; their bytes and MIME type are kept beside them (`_bytes`, `_mime`, never listed).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.core.canonical import (
    Activity,
    Deal,
    DealProduct,
    Entity,
    File,
    Lead,
    Note,
    Person,
    Product,
)
from adapters.core.emulation import Tables
from adapters.core.mapping import parse_time
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.holds import slots
from adapters.zoho.held import line_items
from adapters.zoho.settings import (
    LAYOUT_ID,
    MODULES,
    api_name,
    field_defs,
    pipeline_settings,
    zoho_id,
)

ORG_OFFSET = timedelta(hours=1)  # the org's time zone (Europe/Warsaw in winter)
ORG_ZONE = "Europe/Warsaw"
HOME_CURRENCY = "EUR"
CREATED = "2025-06-02T09:00:00+01:00"
TAG_COLOURS = ("#57B1FD", "#879BFC", "#658BA8", "#FD87BD", "#969696", "#F48435", "#1DB9B4")


def local_time(value: str | datetime) -> str:
    """A UTC instant in the org's offset, as Zoho writes date-times."""
    moment = parse_time(value) if isinstance(value, str) else value
    assert moment is not None
    shifted = moment + ORG_OFFSET
    return shifted.strftime("%Y-%m-%dT%H:%M:%S") + "+01:00"


class Renderer:
    """One company into Zoho tables; lookups by reference id."""

    def __init__(self, company: ReferenceCompany) -> None:
        self.company = company
        self.users = {u.source_id: u for u in company.users}
        self.orgs = {o.source_id: o for o in company.organizations}
        self.persons = {p.source_id: p for p in company.persons}
        self.deals = {d.source_id: d for d in company.deals}
        self.products = {p.source_id: p for p in company.products}
        self.stages = {s.source_id: s for s in company.stages}
        self.pipelines = {p.source_id: p for p in company.pipelines}
        self.leads = {lead.source_id: lead for lead in company.leads}
        self.activities: dict[str, Activity] = {
            a.source_id: a for a in [*company.activities, *company.lead_activities]
        }
        self.tag_ids: dict[tuple[str, str], str] = {}
        self.fields = {
            entity: [f for f in company.custom_fields if f.entity is entity] for entity in MODULES
        }

    def tables(self) -> Tables:
        tables: Tables = {
            "users": [self.user(u) for u in self.company.users],
            "Accounts": [self.account(o) for o in self.company.organizations],
            "Contacts": [self.contact(p) for p in self.company.persons],
            "Products": [self.product(p) for p in self.company.products],
            "Deals": [self.deal(d) for d in self.company.deals],
            "Leads": [self.lead(lead) for lead in self.company.leads],
            "Tasks": [],
            "Events": [],
            "Calls": [],
            "Notes": [self.note(n) for n in [*self.company.notes, *self.company.lead_notes]],
            "Attachments": [self.attachment(f) for f in self.company.files],
            "Deals/Products": [self.line(i) for i in line_items(self.company.deal_products)],
            "pipeline": pipeline_settings(self.company),
            "layouts": [{"id": LAYOUT_ID, "name": "Standard", "api_name": "Standard"}],
        }
        for activity in self.activities.values():
            module, record = self.activity(activity)
            tables[module].append(record)
        for entity, module in MODULES.items():
            tables[f"fields:{module}"] = field_defs(self.company, entity, module)
        return tables

    # --- people and companies -----------------------------------------------------------

    def owner(self, user_id: str | None) -> dict[str, Any] | None:
        user = self.users.get(user_id or "")
        return (
            {"name": user.name, "id": zoho_id(user.source_id), "email": user.email}
            if user
            else None
        )

    def lookup(self, kind: str, source_id: str | None) -> dict[str, Any] | None:
        if not source_id:
            return None
        name = {
            "o": lambda: self.orgs[source_id].name,
            "p": lambda: self.persons[source_id].name,
            "d": lambda: self.deals[source_id].title,
            "l": lambda: self.lead_name(self.leads[source_id]),
            "a": lambda: self.activities[source_id].subject,
            "pr": lambda: self.products[source_id].name,
        }[kind]()
        return {"name": name, "id": zoho_id(source_id)}

    def tags(self, module: str, labels: list[str]) -> list[dict[str, Any]]:
        """Tag field values; a tag is the module's own, with one id per name."""
        out = []
        for name in labels:
            tag_id = self.tag_ids.setdefault(
                (module, name), f"5725767000022{len(self.tag_ids) + 1:06d}"
            )
            colour = TAG_COLOURS[int(tag_id) % len(TAG_COLOURS)]
            out.append({"name": name, "id": tag_id, "color_code": colour})
        return out

    def user(self, user: Any) -> dict[str, Any]:
        first, _, last = user.name.partition(" ")
        return {
            "id": zoho_id(user.source_id),
            "full_name": user.name,
            "first_name": first,
            "last_name": last or first,
            "email": user.email,
            "status": "active" if user.active else "disabled",
            "confirm": True,
            "role": {
                "name": "CEO" if user.source_id == "u1" else "Manager",
                "id": "5725767000000015969",
            },
            "profile": {"name": "Administrator", "id": "5725767000000015972"},
            "time_zone": ORG_ZONE,
            "language": "en_US",
            "locale": "en_US",
            "country_locale": "en_US",
            "created_time": CREATED,
            "Modified_Time": CREATED,
            "Isonline": False,
        }

    def _record(
        self, source_id: str, owner: str | None, currency: str | None, added: str | None = None
    ) -> dict[str, Any]:
        created = local_time(added) if added else CREATED
        return {
            "id": zoho_id(source_id),
            "Owner": self.owner(owner),
            "Currency": currency or HOME_CURRENCY,
            "Exchange_Rate": 1,
            "Created_Time": created,
            "Modified_Time": max(created, CREATED),  # one offset: the strings compare as times
            "$approved": True,
            "$editable": True,
        }

    def custom(self, entity: Entity, values: dict[str, Any]) -> dict[str, Any]:
        module = MODULES[entity]
        out = {}
        for definition in self.fields[entity]:
            value = values.get(definition.key)
            if isinstance(value, dict):  # monetary: the amount; its currency is the record's
                value = value["value"]
            out[api_name(module, definition.name)] = value
        return out

    def account(self, org: Any) -> dict[str, Any]:
        return {
            **self._record(
                org.source_id,
                org.owner_source_id,
                _money_currency(org.custom_fields),
                org.add_time,
            ),
            "Account_Name": org.name,
            "Billing_Street": org.address,
            "Tag": self.tags("Accounts", org.labels),
            **self.custom(Entity.organizations, org.custom_fields),
        }

    def contact(self, person: Person) -> dict[str, Any]:
        emails = [e.value for e in sorted(person.emails, key=lambda e: not e.primary)]
        currency = _money_currency(person.custom_fields)
        return {
            **self._record(person.source_id, person.owner_source_id, currency, person.add_time),
            "First_Name": person.first_name,
            "Last_Name": person.last_name or person.name,
            "Full_Name": person.name,
            "Email": emails[0] if emails else None,
            "Secondary_Email": emails[1] if len(emails) > 1 else None,
            **_phones(person),
            "Account_Name": self.lookup("o", person.org_source_id),
            "Tag": self.tags("Contacts", person.labels),
            **self.custom(Entity.persons, person.custom_fields),
        }

    def product(self, product: Product) -> dict[str, Any]:
        price = product.prices[0] if product.prices else None
        tax = (
            []
            if product.tax is None
            else [{"id": _tax_id(product.tax), "value": _tax_name(product.tax)}]
        )
        return {
            **self._record(product.source_id, product.owner_source_id, price and price.currency),
            "Product_Name": product.name,
            "Product_Code": product.code,
            "Unit_Price": price.price if price else None,
            "Usage_Unit": product.unit,
            "Tax": tax,
            "Product_Active": True,
            **self.custom(Entity.products, product.custom_fields),
        }

    # --- deals and pipelines ------------------------------------------------------------

    def deal(self, deal: Deal) -> dict[str, Any]:
        money = deal.custom_fields.get("setup_fee")
        currency = deal.currency or (money["currency"] if isinstance(money, dict) else None)
        pipeline = self.pipelines[deal.pipeline_source_id or "pl1"]
        stage = self.stages.get(deal.stage_source_id or "")
        stage_name = {"won": "Closed Won", "lost": "Closed Lost"}.get(deal.status)
        probability = {"won": 100, "lost": 0}.get(
            deal.status, stage.deal_probability if stage else 0
        )
        return {
            **self._record(deal.source_id, deal.owner_source_id, currency, deal.add_time),
            "Deal_Name": deal.title,
            "Amount": deal.value,
            "Stage": stage_name or (stage.name if stage else None),
            "Pipeline": {"name": pipeline.name, "id": zoho_id(pipeline.source_id)},
            "Probability": probability,
            "Closing_Date": deal.expected_close_date,
            "Account_Name": self.lookup("o", deal.org_source_id),
            "Contact_Name": self.lookup("p", deal.person_source_id),
            "Reason_For_Loss__s": deal.lost_reason if deal.status == "lost" else None,
            "Tag": self.tags("Deals", deal.labels),
            **self.custom(Entity.deals, deal.custom_fields),
        }

    # --- leads and attachments ----------------------------------------------------------

    def lead_name(self, lead: Lead) -> str:
        person = self.persons.get(lead.person_source_id or "")
        return person.name if person else self.orgs[lead.org_source_id or ""].name

    def lead(self, lead: Lead) -> dict[str, Any]:
        """A person at a company, on the lead itself (see the module docstring)."""
        person = self.persons.get(lead.person_source_id or "")
        org = self.orgs.get(lead.org_source_id or "")
        emails = (
            [e.value for e in sorted(person.emails, key=lambda e: not e.primary)] if person else []
        )
        phones = sorted(person.phones, key=lambda p: not p.primary) if person else []
        slot = slots(phones, ("work", "mobile"), "work")
        name = self.lead_name(lead)
        return {
            **self._record(lead.source_id, lead.owner_source_id, None, lead.add_time),
            "First_Name": person.first_name if person else None,
            "Last_Name": (person.last_name or person.name) if person else name,
            "Full_Name": name,
            "Company": org.name if org else None,
            "Email": emails[0] if emails else None,
            "Secondary_Email": emails[1] if len(emails) > 1 else None,
            "Phone": slot.get("work"),
            "Mobile": slot.get("mobile"),
            "Lead_Status": "Not Contacted",
            "Tag": self.tags("Leads", lead.labels),
            "Converted__s": False,
        }

    def parent(self, file: File) -> tuple[str, dict[str, Any]]:
        """The module and the lookup of the record a file is attached to."""
        if file.activity_source_id:
            module = self.activity(self.activities[file.activity_source_id])[0]
            return module, self.lookup("a", file.activity_source_id) or {}
        for module, kind, source_id in (
            ("Deals", "d", file.deal_source_id),
            ("Contacts", "p", file.person_source_id),
            ("Accounts", "o", file.org_source_id),
            ("Leads", "l", file.lead_source_id),
            ("Products", "pr", file.product_source_id),
        ):
            if source_id:
                return module, self.lookup(kind, source_id) or {}
        raise ValueError(f"{file.source_id} is attached to nothing")

    def attachment(self, file: File) -> dict[str, Any]:
        module, parent = self.parent(file)
        created = local_time(file.add_time) if file.add_time else CREATED
        owner = self.owner("u1")
        data = self.company.file_bytes[file.source_id]
        return {
            "id": zoho_id(file.source_id),
            "Owner": owner,
            "Created_By": owner,
            "Modified_By": owner,
            "Parent_Id": parent,
            "$se_module": module,
            "File_Name": file.name,
            "Size": str(len(data)),
            "Created_Time": created,
            "Modified_Time": created,
            "$editable": True,
            "$file_id": f"{zoho_id(file.source_id)}{file.source_id}".encode().hex()[:48],
            "$type": "Attachment",
            "$state": "save",
            "$link_url": None,
            "$attachment_type": 1,
            "$sharing_permission": "READ_WRITE",
            "_bytes": data,
            "_mime": file.mime_type or "application/octet-stream",
        }

    def line(self, item: DealProduct) -> dict[str, Any]:
        """A product in a deal's Products related list, with the relation's own fields."""
        product = self.products[item.product_source_id]
        return {
            "id": zoho_id(product.source_id),
            "Product_Name": product.name,
            "Product_Code": product.code,
            "Unit_Price": product.prices[0].price if product.prices else None,
            "Quantity": item.quantity,
            "List_Price": item.item_price,
            "Discount": item.discount,
            "Total": item.sum,
            "$approved": True,
            "_deal": zoho_id(item.deal_source_id),
        }

    def activity(self, activity: Activity) -> tuple[str, dict[str, Any]]:
        what = _first(
            ("Deals", self.lookup("d", activity.deal_source_id)),
            ("Accounts", self.lookup("o", activity.org_source_id)),
            ("Leads", self.lookup("l", activity.lead_source_id)),
        )
        common = {
            "id": zoho_id(activity.source_id),
            "Owner": self.owner(activity.owner_source_id),
            "What_Id": what[1] if what else None,
            "$se_module": what[0] if what else None,
            "Who_Id": self.lookup("p", activity.person_source_id),
            "Description": activity.note,
            "Created_Time": CREATED,
            "Modified_Time": CREATED,
        }
        if activity.type == "call":
            return "Calls", {**common, **_call(activity)}
        if activity.type in ("meeting", "lunch"):
            return "Events", {**common, **_event(activity)}
        return "Tasks", {
            **common,
            "Subject": activity.subject,
            "Due_Date": activity.due_date,
            "Status": "Completed" if activity.done else "Not Started",
            "Priority": "Normal",
        }

    def note(self, note: Note) -> dict[str, Any]:
        module, parent = _first(
            ("Deals", self.lookup("d", note.deal_source_id)),
            ("Contacts", self.lookup("p", note.person_source_id)),
            ("Accounts", self.lookup("o", note.org_source_id)),
            ("Leads", self.lookup("l", note.lead_source_id)),
        ) or ("Accounts", None)
        created = local_time(note.add_time) if note.add_time else CREATED
        owner = self.owner(note.owner_source_id)
        return {
            "id": zoho_id(note.source_id),
            "Note_Title": None,
            "Note_Content": note.content,
            "Parent_Id": {
                **(parent or {}),
                "module": {"api_name": module, "id": _module_id(module)},
            },
            "$se_module": module,
            "Owner": owner,
            "Created_By": owner,
            "Modified_By": owner,
            "Created_Time": created,
            "Modified_Time": created,
            "$attachments": [],
            "$editable": True,
            "$is_shared_to_client": False,
            "$size": None,
            "$state": "save",
            "$voice_note": False,
        }

    # --- field definitions --------------------------------------------------------------


def _call(activity: Activity) -> dict[str, Any]:
    start = f"{activity.due_date}T{activity.due_time or '00:00'}:00Z"
    seconds = _seconds(activity.duration)
    return {
        "Subject": activity.subject,
        "Call_Type": "Outbound",
        "Call_Start_Time": local_time(start),
        "Call_Duration": f"{seconds // 60:02d}:{seconds % 60:02d}",
        "Call_Duration_in_seconds": seconds,
        "Outgoing_Call_Status": "Completed" if activity.done else "Scheduled",
    }


def _event(activity: Activity) -> dict[str, Any]:
    all_day = activity.due_time is None
    if all_day:  # all-day events start at local midnight of their date
        start = datetime.fromisoformat(f"{activity.due_date}T00:00:00+00:00") - ORG_OFFSET
    else:
        start = datetime.fromisoformat(f"{activity.due_date}T{activity.due_time}:00+00:00")
    end = start + timedelta(seconds=_seconds(activity.duration) or 3600)
    return {
        "Event_Title": activity.subject,
        "Start_DateTime": local_time(start),
        "End_DateTime": local_time(end),
        "All_day": all_day,
        "Participants": [],
    }


def _seconds(duration: str | None) -> int:
    if not duration:
        return 0
    hours, _, minutes = duration.partition(":")
    return int(hours) * 3600 + int(minutes) * 60


def _phones(person: Person) -> dict[str, Any]:
    slots = {"work": "Phone", "mobile": "Mobile", "home": "Home_Phone", "other": "Other_Phone"}
    out: dict[str, Any] = {"Phone": None, "Mobile": None, "Home_Phone": None, "Other_Phone": None}
    for phone in person.phones:
        slot = slots.get(phone.label, "Other_Phone")
        out[slot if out[slot] is None else "Other_Phone"] = phone.value
    return out


def _money_currency(values: dict[str, Any]) -> str | None:
    for value in values.values():
        if isinstance(value, dict) and value.get("currency"):
            return str(value["currency"])
    return None


def _tax_name(rate: float) -> str:
    return f"VAT - {rate:.1f} %"


def _tax_id(rate: float) -> str:
    return f"5725767000000{int(rate * 10):06d}"


def _module_id(module: str) -> str:
    return f"5725767000000{['Accounts', 'Contacts', 'Deals', 'Leads'].index(module) + 2:06d}"


def _first(*pairs: tuple[str, Any]) -> tuple[str, Any] | None:
    return next((pair for pair in pairs if pair[1]), None)
