"""The reference company in Insightly's record shapes. Ids are integers derived from the
reference ids ("p12" -> 140000012), so every seeding gives the same ids."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from adapters.core.canonical import (
    Activity,
    ContactPoint,
    CustomFieldDef,
    Deal,
    Entity,
    FieldType,
    File,
    Lead,
    Note,
    Organization,
    Person,
    Product,
    Stage,
)
from adapters.core.emulation import Tables
from adapters.core.mapping import parse_time
from adapters.insightly.shapes import (
    CUSTOM_FIELD_OBJECTS,
    MULTISELECT_SEPARATOR,
    PHONE_SLOTS,
    words,
)
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.ids import kind_and_number

ID_BASES: dict[str, int] = {
    "u": 1_100_000,
    "o": 120_000_000,
    "p": 140_000_000,
    "pl": 700_000,
    "s": 800_000,
    "pr": 160_000_000,
    "d": 180_000_000,
    "task": 200_000_000,
    "event": 220_000_000,
    "n": 240_000_000,
    "l": 260_000_000,
    "fl": 280_000_000,
}
API_USER = "u1"  # whose API key the sandbox hands out
EVENT_TYPES = frozenset({"meeting", "lunch"})  # appointments live in the calendar, as Events
TASK_CATEGORIES: dict[str, tuple[int, str]] = {  # activity type -> (CATEGORY_ID, CATEGORY_NAME)
    "call": (3_001, "Call"),
    "email": (3_002, "Email"),
    "task": (3_003, "To-Do"),
    "deadline": (3_004, "Deadline"),
    "meeting": (3_005, "Meeting"),
    "lunch": (3_006, "Lunch"),
}
CUSTOM_TYPES: dict[FieldType, str] = {
    FieldType.varchar: "TEXT",
    FieldType.text: "MULTILINETEXT",
    FieldType.double: "NUMERIC",
    FieldType.monetary: "NUMERIC",  # no currency custom field: the amount alone
    FieldType.date: "DATE",
    FieldType.enum: "DROPDOWN",
    FieldType.set: "MULTISELECT",
    FieldType.phone: "TEXT",  # no phone custom field: the number as text
}
FIELD_FOR: dict[Entity, str] = {
    Entity.organizations: "ORGANISATION",
    Entity.persons: "CONTACT",
    Entity.deals: "OPPORTUNITY",
    Entity.products: "PRODUCT",
}
PREFERRED_PHONE_SLOT = {"work": "PHONE", "mobile": "PHONE_MOBILE", "home": "PHONE_HOME"}
SPARE_PHONE_SLOTS = ("PHONE_OTHER", "PHONE_ASSISTANT")


def insightly_id(source_id: str, kind: str | None = None) -> int:
    prefix, number = kind_and_number(source_id)
    return ID_BASES[kind or prefix] + number


def ref_id(source_id: str | None) -> int | None:
    return insightly_id(source_id) if source_id else None


def stamp(value: str | None) -> str | None:
    """An RFC 3339 time or a date in Insightly's "YYYY-MM-DD HH:MM:SS" (UTC)."""
    if not value:
        return None
    if len(value) == 10:
        return f"{value} 00:00:00"
    parsed = parse_time(value)
    return parsed.strftime("%Y-%m-%d %H:%M:%S") if parsed else None


def updated_at(n: int) -> str:
    """A deterministic DATE_UPDATED_UTC: records changed over the days before REFERENCE_DATE."""
    return stamp((REFERENCE_DATE - timedelta(days=n % 400)).isoformat()) or ""


def field_name(definition: CustomFieldDef) -> str:
    return "_".join(part.capitalize() for part in definition.key.split("_")) + "__c"


def phone_slots(phones: list[ContactPoint]) -> dict[str, str]:
    """Which contact phone slot each number goes to; a label met twice moves to a spare slot."""
    slots: dict[str, str] = {}
    for phone in phones:
        slot: str | None = PREFERRED_PHONE_SLOT.get(phone.label, "PHONE_OTHER")
        if slot in slots:
            slot = next((s for s in SPARE_PHONE_SLOTS if s not in slots), None)
        if slot:
            slots[slot] = phone.value
    return slots


# --- render ----------------------------------------------------------------------------------


def render(company: ReferenceCompany) -> Tables:
    defs = {d.entity: [] for d in company.custom_fields}
    for definition in company.custom_fields:
        defs[definition.entity].append(definition)
    activities = [*company.activities, *company.lead_activities]
    tables: Tables = {
        "Users": [_user(u, i) for i, u in enumerate(company.users)],
        "Organisations": [_organisation(o, defs, i) for i, o in enumerate(company.organizations)],
        "Contacts": [_contact(p, defs, i) for i, p in enumerate(company.persons)],
        "Pipelines": [_pipeline(p) for p in company.pipelines],
        "PipelineStages": [_stage(s) for s in company.stages],
        "Product": [_product(p, defs, i) for i, p in enumerate(company.products)],
        "Opportunities": [_opportunity(d, defs, i) for i, d in enumerate(company.deals)],
        "TaskCategories": [_category(*c) for c in TASK_CATEGORIES.values()],
        "Tasks": [_task(a, i) for i, a in enumerate(activities) if a.type not in EVENT_TYPES],
        "Events": [_event(a, i) for i, a in enumerate(activities) if a.type in EVENT_TYPES],
        "Notes": [_note(n) for n in [*company.notes, *company.lead_notes]],
        "Leads": [_lead(company, lead) for lead in company.leads] + _converted(company),
        "FileAttachments": [_file(company, f) for f in company.files if _file_parent(f)],
    }
    tables.update(_price_books(company.products))
    for entity, object_name in CUSTOM_FIELD_OBJECTS.items():
        tables[f"CustomFields/{object_name}"] = _field_defs(entity, defs.get(entity, []))
    return tables


def _user(user: Any, i: int) -> dict[str, Any]:
    """A user; its INSTANCE_ID is the account's, set by `with_instance`."""
    first, _, last = user.name.partition(" ")
    return {
        "USER_ID": insightly_id(user.source_id), "CONTACT_ID": None,
        "FIRST_NAME": first, "LAST_NAME": last or None, "TIMEZONE_ID": "UTC",
        "EMAIL_ADDRESS": user.email, "ADMINISTRATOR": user.source_id == API_USER,
        "ACCOUNT_OWNER": user.source_id == API_USER, "ACTIVE": user.active,
        "DATE_CREATED_UTC": "2020-01-06 09:00:00", "DATE_UPDATED_UTC": updated_at(i),
        "USER_CURRENCY": "EUR", "CONTACT_DISPLAY": "FirstLast", "CONTACT_ORDER": "FirstLast",
        "TASK_WEEK_START": 1, "INSTANCE_ID": None, "PROFILE_ID": None, "ROLE_ID": None,
    }  # fmt: skip


def instance_id(account_id: str) -> int:
    """The sandbox account's instance id, stable per account: real instance ids are unique
    across Insightly, and Ferry's ledger tells instances apart by them."""
    return 1 + int(hashlib.sha256(account_id.encode()).hexdigest()[:10], 16) % (2**31 - 1)


def with_instance(tables: Tables, account_id: str) -> Tables:
    """The tables with the account's instance id on every user (all users of an instance
    carry it)."""
    for user in tables.get("Users", []):
        user["INSTANCE_ID"] = instance_id(account_id)
    return tables


def _custom(record: Any, defs: dict[Entity, list[CustomFieldDef]], entity: Entity) -> list:
    out = []
    for definition in defs.get(entity, []):
        value = record.custom_fields.get(definition.key)
        if value is None:
            continue
        if definition.field_type is FieldType.monetary:
            value = value["value"]
        elif definition.field_type is FieldType.date:
            value = stamp(value)
        elif definition.field_type is FieldType.set:
            value = MULTISELECT_SEPARATOR.join(value)
        out.append({"FIELD_NAME": field_name(definition), "FIELD_VALUE": value})
    return out


def _link(kind: str, own_id: int, target: str, target_id: int, n: int) -> dict[str, Any]:
    return {
        "LINK_ID": own_id * 10 + n, "OBJECT_NAME": kind, "OBJECT_ID": own_id,
        "LINK_OBJECT_NAME": target, "LINK_OBJECT_ID": target_id, "ROLE": None,
        "DETAILS": None, "RELATIONSHIP_ID": None, "IS_FORWARD": None,
    }  # fmt: skip


def _links(
    kind: str,
    own_id: int,
    deal: str | None,
    person: str | None,
    org: str | None,
    lead: str | None = None,
) -> list:
    targets = [("Opportunity", deal), ("Contact", person), ("Organisation", org), ("Lead", lead)]
    present = [(name, insightly_id(sid)) for name, sid in targets if sid]
    return [_link(kind, own_id, name, tid, n) for n, (name, tid) in enumerate(present)]


def _organisation(org: Organization, defs: dict, i: int) -> dict[str, Any]:
    record = {
        "ORGANISATION_ID": insightly_id(org.source_id), "ORGANISATION_NAME": org.name,
        "BACKGROUND": None, "IMAGE_URL": None, "OWNER_USER_ID": ref_id(org.owner_source_id),
        "DATE_CREATED_UTC": "2023-03-01 10:00:00", "DATE_UPDATED_UTC": updated_at(i),
        "LAST_ACTIVITY_DATE_UTC": None, "NEXT_ACTIVITY_DATE_UTC": None,
        "CREATED_USER_ID": insightly_id(API_USER), "PHONE": None, "PHONE_FAX": None,
        "WEBSITE": None, "SOCIAL_LINKEDIN": None, "SOCIAL_FACEBOOK": None, "SOCIAL_TWITTER": None,
        "CUSTOMFIELDS": _custom(org, defs, Entity.organizations),
        "TAGS": tags(org.labels), "DATES": [], "EMAILDOMAINS": [], "LINKS": [],
    }  # fmt: skip
    for prefix in ("ADDRESS_BILLING", "ADDRESS_SHIP"):
        for part in ("STREET", "CITY", "STATE", "POSTCODE", "COUNTRY"):
            record[f"{prefix}_{part}"] = None
    record["ADDRESS_BILLING_STREET"] = org.address  # one line: the parts are not known apart
    return record


def _contact(person: Person, defs: dict, i: int) -> dict[str, Any]:
    record = {
        "CONTACT_ID": insightly_id(person.source_id), "SALUTATION": None,
        "FIRST_NAME": person.first_name, "LAST_NAME": person.last_name, "IMAGE_URL": None,
        "BACKGROUND": None, "OWNER_USER_ID": ref_id(person.owner_source_id),
        "DATE_CREATED_UTC": "2023-05-02 11:00:00", "DATE_UPDATED_UTC": updated_at(i),
        "SOCIAL_LINKEDIN": None, "SOCIAL_FACEBOOK": None, "SOCIAL_TWITTER": None,
        "DATE_OF_BIRTH": None, "EMAIL_ADDRESS": primary_email(person), "ASSISTANT_NAME": None,
        "PHONE_FAX": None, "LAST_ACTIVITY_DATE_UTC": None, "NEXT_ACTIVITY_DATE_UTC": None,
        "CREATED_USER_ID": insightly_id(API_USER), "ORGANISATION_ID": ref_id(person.org_source_id),
        "TITLE": None, "EMAIL_OPTED_OUT": False,
        "CUSTOMFIELDS": _custom(person, defs, Entity.persons), "TAGS": tags(person.labels),
        "DATES": [], "LINKS": [],
    }  # fmt: skip
    for slot, _ in PHONE_SLOTS:
        record[slot] = None
    record.update(phone_slots(person.phones))
    for part in ("STREET", "CITY", "STATE", "POSTCODE", "COUNTRY"):
        record[f"ADDRESS_MAIL_{part}"] = record[f"ADDRESS_OTHER_{part}"] = None
    return record


def primary_email(person: Person) -> str | None:
    chosen = [e for e in person.emails if e.primary] or person.emails
    return chosen[0].value if chosen else None


def _pipeline(pipeline: Any) -> dict[str, Any]:
    return {
        "PIPELINE_ID": insightly_id(pipeline.source_id), "PIPELINE_NAME": pipeline.name,
        "FOR_OPPORTUNITIES": True, "FOR_PROJECTS": False, "OWNER_USER_ID": insightly_id(API_USER),
    }  # fmt: skip


def _stage(stage: Stage) -> dict[str, Any]:
    return {
        "STAGE_ID": insightly_id(stage.source_id), "PIPELINE_ID": ref_id(stage.pipeline_source_id),
        "STAGE_NAME": stage.name, "STAGE_ORDER": stage.order_nr, "ACTIVITYSET_ID": None,
        "OWNER_USER_ID": insightly_id(API_USER),
    }  # fmt: skip


def _product(product: Product, defs: dict, i: int) -> dict[str, Any]:
    default = product.prices[0] if product.prices else None
    return {
        "PRODUCT_ID": insightly_id(product.source_id), "PRODUCT_NAME": product.name,
        "PRODUCT_CODE": product.code, "PRODUCT_SKU": None, "DESCRIPTION": None,
        "PRODUCT_FAMILY": None, "PRODUCT_IMAGE_URL": None,
        "CURRENCY_CODE": default.currency if default else None,
        "DEFAULT_PRICE": default.price if default else None,
        "DATE_CREATED_UTC": "2022-11-07 08:30:00", "DATE_UPDATED_UTC": updated_at(i),
        "CREATED_USER_ID": insightly_id(API_USER), "OWNER_USER_ID": ref_id(product.owner_source_id),
        "ACTIVE": True, "CUSTOMFIELDS": _custom(product, defs, Entity.products),
    }  # fmt: skip


def _price_books(products: list[Product]) -> Tables:
    """One price book per currency, with an entry for every price of every product."""
    currencies = sorted({p.currency for product in products for p in product.prices})
    book_ids = {currency: 5_000 + n for n, currency in enumerate(currencies, start=1)}
    books = [
        {"PRICEBOOK_ID": book_ids[c], "NAME": f"Price list {c}", "CURRENCY_CODE": c,
         "IS_STANDARD": n == 0, "ACTIVE": True}
        for n, c in enumerate(currencies)
    ]  # fmt: skip
    entries = [
        {"PRICEBOOK_ENTRY_ID": insightly_id(product.source_id) * 10 + n,
         "PRICEBOOK_ID": book_ids[price.currency], "PRODUCT_ID": insightly_id(product.source_id),
         "CURRENCY_CODE": price.currency, "PRICE": price.price, "USE_STANDARD_PRICE": False,
         "ACTIVE": True, "CREATED_USER_ID": insightly_id(API_USER),
         "DATE_CREATED_UTC": "2022-11-07 08:30:00", "DATE_UPDATED_UTC": "2022-11-07 08:30:00",
         "CUSTOMFIELDS": []}
        for product in products
        for n, price in enumerate(product.prices)
    ]  # fmt: skip
    return {"Pricebook": books, "PricebookEntry": entries}


def _opportunity(deal: Deal, defs: dict, i: int) -> dict[str, Any]:
    own = insightly_id(deal.source_id)
    return {
        "OPPORTUNITY_ID": own, "OPPORTUNITY_NAME": deal.title, "OPPORTUNITY_DETAILS": None,
        "OPPORTUNITY_STATE": deal.status.upper(), "RESPONSIBLE_USER_ID": ref_id(deal.owner_source_id),
        "CATEGORY_ID": None, "IMAGE_URL": None, "BID_CURRENCY": deal.currency,
        "BID_AMOUNT": deal.value, "BID_TYPE": "Fixed Bid", "BID_DURATION": None,
        "ACTUAL_CLOSE_DATE": stamp(deal.won_time or deal.lost_time),
        "DATE_CREATED_UTC": "2024-02-12 09:15:00", "DATE_UPDATED_UTC": updated_at(i),
        "OPPORTUNITY_VALUE": deal.value, "PROBABILITY": None,
        "FORECAST_CLOSE_DATE": stamp(deal.expected_close_date),
        "OWNER_USER_ID": ref_id(deal.owner_source_id), "LAST_ACTIVITY_DATE_UTC": None,
        "NEXT_ACTIVITY_DATE_UTC": None, "PIPELINE_ID": ref_id(deal.pipeline_source_id),
        "STAGE_ID": ref_id(deal.stage_source_id), "CREATED_USER_ID": insightly_id(API_USER),
        "ORGANISATION_ID": ref_id(deal.org_source_id), "PRICEBOOK_ID": None,
        "CUSTOMFIELDS": _custom(deal, defs, Entity.deals), "TAGS": tags(deal.labels),
        "LINKS": _links("Opportunity", own, None, deal.person_source_id, None),
    }  # fmt: skip


def _category(category_id: int, name: str) -> dict[str, Any]:
    return {"CATEGORY_ID": category_id, "CATEGORY_NAME": name, "ACTIVE": True,
            "BACKGROUND_COLOR": "019FDE"}  # fmt: skip


def _task(activity: Activity, i: int) -> dict[str, Any]:
    own = insightly_id(activity.source_id, "task")
    due = stamp(activity.due_date)
    return {
        "TASK_ID": own, "TITLE": activity.subject,
        "CATEGORY_ID": TASK_CATEGORIES.get(activity.type, TASK_CATEGORIES["task"])[0],
        "DUE_DATE": due, "COMPLETED_DATE_UTC": due if activity.done else None,
        "PUBLICLY_VISIBLE": True, "COMPLETED": activity.done, "PROJECT_ID": None,
        "OPPORTUNITY_ID": ref_id(activity.deal_source_id), "MILESTONE_ID": None,
        "PIPELINE_ID": None, "STAGE_ID": None, "DETAILS": activity.note,
        "STATUS": "COMPLETED" if activity.done else "NOT STARTED", "PRIORITY": 2,
        "PERCENT_COMPLETE": 100 if activity.done else 0, "START_DATE": None,
        "ASSIGNED_BY_USER_ID": None, "PARENT_TASK_ID": None, "OWNER_VISIBLE": True,
        "RESPONSIBLE_USER_ID": ref_id(activity.owner_source_id), "ASSIGNED_TEAM_ID": None,
        "ASSIGNED_DATE_UTC": None, "OWNER_USER_ID": ref_id(activity.owner_source_id),
        "DATE_CREATED_UTC": "2024-06-03 07:00:00", "DATE_UPDATED_UTC": updated_at(i),
        "REMINDER_DATE_UTC": None, "REMINDER_SENT": False, "RECURRENCE": None, "EMAIL_ID": None,
        "LINKS": _links("Task", own, activity.deal_source_id, activity.person_source_id,
                        activity.org_source_id, activity.lead_source_id),
    }  # fmt: skip


def _event(activity: Activity, i: int) -> dict[str, Any]:
    own = insightly_id(activity.source_id, "event")
    all_day = activity.due_time is None
    start = stamp(f"{activity.due_date}T{activity.due_time or '00:00'}:00Z")
    end = start
    if not all_day and activity.duration and start:
        hours, minutes = (int(x) for x in activity.duration.split(":"))
        moment = parse_time(start)
        assert moment is not None
        end = stamp((moment + timedelta(hours=hours, minutes=minutes)).isoformat())
    return {
        "EVENT_ID": own, "TITLE": activity.subject, "LOCATION": None,
        "START_DATE_UTC": start, "END_DATE_UTC": end, "ALL_DAY": all_day,
        "DETAILS": activity.note, "DATE_CREATED_UTC": "2024-06-03 07:00:00",
        "DATE_UPDATED_UTC": updated_at(i), "REMINDER_DATE_UTC": None, "REMINDER_SENT": False,
        "OWNER_USER_ID": ref_id(activity.owner_source_id), "CUSTOMFIELDS": [],
        "LINKS": _links("Event", own, activity.deal_source_id, activity.person_source_id,
                        activity.org_source_id, activity.lead_source_id),
    }  # fmt: skip


def _note(note: Note) -> dict[str, Any]:
    own = insightly_id(note.source_id)
    return {
        "NOTE_ID": own, "TITLE": words(note.content)[:80].rstrip(), "BODY": note.content,
        "DATE_CREATED_UTC": stamp(note.add_time), "DATE_UPDATED_UTC": stamp(note.add_time),
        "OWNER_USER_ID": ref_id(note.owner_source_id),
        "LINKS": _links("Note", own, note.deal_source_id, note.person_source_id,
                        note.org_source_id, note.lead_source_id),
    }  # fmt: skip


def _field_defs(entity: Entity, definitions: list[CustomFieldDef]) -> list[dict[str, Any]]:
    out = [_field_def(entity, d, order) for order, d in enumerate(definitions, start=1)]
    if entity is Entity.persons:  # a checkbox: a type with no canonical form, to be skipped
        out.append(_field_def(entity, None, len(out) + 1))
    return out


def _field_def(entity: Entity, definition: CustomFieldDef | None, order: int) -> dict[str, Any]:
    options = definition.options if definition else []
    return {
        "FIELD_NAME": field_name(definition) if definition else "Newsletter__c",
        "FIELD_ORDER": order, "FIELD_FOR": FIELD_FOR[entity],
        "FIELD_LABEL": definition.name if definition else "Newsletter",
        "FIELD_TYPE": CUSTOM_TYPES[definition.field_type] if definition else "BIT",
        "FIELD_HELP_TEXT": None, "DEFAULT_VALUE": None, "GROUP_ID": None,
        "EDITABLE": True, "VISIBLE": True, "JOIN_OBJECT": None, "DEPENDENCY": None,
        "CUSTOM_FIELD_OPTIONS": [
            {"OPTION_ID": order * 100 + n, "OPTION_VALUE": label, "OPTION_DEFAULT": False}
            for n, label in enumerate(options, start=1)
        ],
    }  # fmt: skip


# --- leads, tags and file attachments --------------------------------------------------------

LEAD_STATUS_OPEN, LEAD_SOURCE_WEB = 4_001, 4_101  # a lead's required status and source ids
CONVERTED_LEAD_ID = ID_BASES["l"] + 999_999  # a lead already converted into a contact


def tags(labels: list[str]) -> list[dict[str, str]]:
    return [{"TAG_NAME": label} for label in labels]


def lead_names(person: Person | None, firm: str | None) -> tuple[str | None, str]:
    """A lead's FIRST_NAME and LAST_NAME (required): its person's, else its company's name."""
    if person is None:
        return None, firm or ""
    if not person.last_name:
        return None, person.name
    return person.first_name, person.last_name


def _lead(company: ReferenceCompany, lead: Lead) -> dict[str, Any]:
    """A lead holds its person and company as its own fields (no link to a contact): names,
    one EMAIL, PHONE and MOBILE, ORGANISATION_NAME as text. It has no value or close date."""
    person = next((p for p in company.persons if p.source_id == lead.person_source_id), None)
    org = next((o for o in company.organizations if o.source_id == lead.org_source_id), None)
    first, last = lead_names(person, org.name if org else None)
    slots = phone_slots(person.phones) if person else {}
    return {
        "LEAD_ID": insightly_id(lead.source_id), "SALUTATION": None, "FIRST_NAME": first,
        "LAST_NAME": last, "LEAD_SOURCE_ID": LEAD_SOURCE_WEB, "LEAD_STATUS_ID": LEAD_STATUS_OPEN,
        "TITLE": None, "CONVERTED": False, "CONVERTED_CONTACT_ID": None,
        "CONVERTED_DATE_UTC": None, "CONVERTED_OPPORTUNITY_ID": None,
        "CONVERTED_ORGANISATION_ID": None, "DATE_CREATED_UTC": stamp(lead.add_time),
        "DATE_UPDATED_UTC": stamp(lead.add_time),
        "EMAIL": primary_email(person) if person else None, "EMPLOYEE_COUNT": None, "FAX": None,
        "INDUSTRY": None, "LEAD_DESCRIPTION": None, "LEAD_RATING": None,
        "MOBILE": slots.get("PHONE_MOBILE"), "OWNER_USER_ID": ref_id(lead.owner_source_id),
        "PHONE": slots.get("PHONE"), "RESPONSIBLE_USER_ID": ref_id(lead.owner_source_id),
        "WEBSITE": None, "ADDRESS_STREET": None, "ADDRESS_CITY": None, "ADDRESS_STATE": None,
        "ADDRESS_POSTCODE": None, "ADDRESS_COUNTRY": None, "LAST_ACTIVITY_DATE_UTC": None,
        "NEXT_ACTIVITY_DATE_UTC": None, "ORGANISATION_NAME": org.name if org else None,
        "CREATED_USER_ID": insightly_id(API_USER), "IMAGE_URL": None, "EMAIL_OPTED_OUT": False,
        "CUSTOMFIELDS": [], "TAGS": tags(lead.labels), "LINKS": [],
    }  # fmt: skip


def _converted(company: ReferenceCompany) -> list[dict[str, Any]]:
    """One lead already converted into the contact p2: Insightly keeps it, CONVERTED true."""
    if not company.leads or len(company.persons) < 2:
        return []
    person = company.persons[1]
    record = _lead(company, Lead(source_id="l1", title="", person_source_id=person.source_id))
    record.update(
        LEAD_ID=CONVERTED_LEAD_ID, CONVERTED=True, DATE_CREATED_UTC="2024-01-08 10:00:00",
        CONVERTED_CONTACT_ID=insightly_id(person.source_id),
        CONVERTED_DATE_UTC="2024-02-01 10:00:00", DATE_UPDATED_UTC="2024-02-01 10:00:00",
    )  # fmt: skip
    return [record]


# The records a file attaches to: the link on the reference file -> the object named in paths.
FILE_OBJECTS = {
    "org_source_id": "Organisations",
    "person_source_id": "Contacts",
    "deal_source_id": "Opportunities",
    "lead_source_id": "Leads",
}


def _file_parent(file: File) -> tuple[str, int] | None:
    for link, object_name in FILE_OBJECTS.items():
        if getattr(file, link):
            return object_name, insightly_id(getattr(file, link))
    return None  # on an activity: not rendered (tasks and events are not listed for files)


def _file(company: ReferenceCompany, file: File) -> dict[str, Any]:
    """A FileAttachment, its parent and bytes kept beside it (underscored: never served)."""
    parent = _file_parent(file)
    assert parent is not None
    return {
        "FILE_ID": insightly_id(file.source_id), "FILE_NAME": file.name,
        "CONTENT_TYPE": file.mime_type or "application/octet-stream", "FILE_SIZE": file.size,
        "FILE_CATEGORY_ID": None, "OWNER_USER_ID": insightly_id(API_USER),
        "DATE_CREATED_UTC": stamp(file.add_time), "DATE_UPDATED_UTC": stamp(file.add_time),
        "URL": None, "_OBJECT": parent[0], "_RECORD_ID": parent[1],
        "_BYTES": company.file_bytes[file.source_id],
    }  # fmt: skip
