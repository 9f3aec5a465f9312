"""The reference company as Highrise holds it (`HOLDS`, `held`) and in its API's record shapes
(`render`: one table per list, rows keyed by the XML element names; the emulator writes them
out as Highrise's typed XML).

How Highrise keeps what Pipedrive links several ways (facts in the emulator's docstring):
- People and companies are parties. A person names its company (`company-id`); e-mails and
  phones sit in `contact-data` with a `location` (Work, Home, Other; phones also Mobile, Fax,
  Pager, Skype) and no primary flag: the first listed is the main one. A party's owner is its
  `author-id` (`owner-id` is only set for a party visible to its owner alone). The user list
  does not say who left.
- Deals have no pipelines and no stages: each has a `category-id` (deal categories). Ferry
  carries the categories as the stages of one pipeline ("Deals", in the order of the list),
  because a category is the one grouping a Highrise deal has and a Pipedrive deal needs a stage;
  the stages have no probability. A deal in no category (`category-id` nil) goes to a stage of
  its own, "No category", last in the pipeline and only when there are such deals: in the first
  stage it would be lost among that category's deals. A deal is with one `party` and lists the
  people and companies involved (`parties`): the person and the organization both come back.
  `price` is an integer (amounts lose their cents), `status` pending/won/lost, closed on a day
  (`status-changed-on`, no time); no expected close date and no lost reason. The responsible
  user (`responsible-party-id`) is the owner. Tags of a deal are listed apart
  (`/deals/{id}/tags.xml`).
- Custom fields have a label and no type: every value is text (a choice its label, several
  joined by ", ", an amount with its currency "12.5 EUR", a date YYYY-MM-DD). Party fields are
  shared by people and companies: each field of either kind arrives on both. Deals have fields of
  their own; products do not exist (no products at all).
- Tasks are the activities: a `body` (no separate note), a category (Call, Email, Meeting;
  Follow-up for a task, Milestone for a deadline, Lunch its own), due at a time (`due-at`: an
  all-day one at midnight UTC), no duration, done when `done-at` is set, about one subject
  (a deal, else the person, else the company).
- Notes are about one subject, a party or a deal, and may be filed under a deal (`collection`):
  a note keeps its deal and its person, else its company.
- Files are attachments of notes and e-mails (tasks have none): a file on a person, a company or
  a deal hangs on a note about it made for the file (no text of its own: not a note in
  Pipedrive), and arrives on that record, byte for byte. Files on leads or activities are not
  kept (Highrise has no leads, and a task no attachments).
- Tags of people, companies and deals are their labels. No leads (Highrise has no lead object).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from adapters.core.canonical import (
    Activity,
    CustomFieldDef,
    Deal,
    Entity,
    FieldType,
    File,
    Note,
    Stage,
)
from adapters.core.emulation import Tables
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, CloseTime, Holds, Names, Parents, listed
from adapters.reference.ids import IdScheme

IDS = IdScheme("highrise")
PIPELINE = ("pl1", "Deals")  # the one pipeline the deal categories are the stages of
NO_CATEGORY = Stage(source_id="none", name="No category", pipeline_source_id=PIPELINE[0])
HOST = "https://example.highrisehq.com"  # the account's host, as attachments' URLs name it
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
STAMPS = {"created-at": STAMP, "updated-at": STAMP}
PARTY = (Entity.organizations, Entity.persons)
# The task category of each activity kind (Highrise's defaults, and Lunch of the account's own).
CATEGORIES = {
    "call": "Call",
    "email": "Email",
    "meeting": "Meeting",
    "task": "Follow-up",
    "deadline": "Milestone",
    "lunch": "Lunch",
}
EMAIL_LOCATIONS = {"work": "Work", "home": "Home", "other": "Other"}
PHONE_LOCATIONS = {"work": "Work", "mobile": "Mobile", "home": "Home", "other": "Other"}
CARRIER_BASE = 10_000  # a file's note's id: its attachment's id plus this
Raw = dict[str, Any]


def as_text(field: CustomFieldDef, value: Any) -> str:
    """A typed custom value as a Highrise user keeps it in a text field."""
    kind = field.field_type
    if kind is FieldType.set:
        return ", ".join(value)
    if kind is FieldType.monetary:
        amount = as_text(field.model_copy(update={"field_type": FieldType.double}), value["value"])
        return " ".join(filter(None, (amount, value.get("currency"))))
    if kind is FieldType.double and float(value).is_integer():
        return str(int(value))
    return str(value)


def _text_fields(company: ReferenceCompany) -> ReferenceCompany:
    """Every field text; party fields on both people and companies; no product fields."""
    fields = {(f.entity, f.key): f for f in company.custom_fields}
    text = {"field_type": FieldType.text, "options": []}
    party = [f for f in company.custom_fields if f.entity in PARTY]
    held = [f.model_copy(update={**text, "entity": e}) for e in PARTY for f in party]
    held += [f.model_copy(update=text) for f in company.custom_fields if f.entity is Entity.deals]

    def texts(entity: Entity, records: list[Any]) -> list[Any]:
        def text_of(record: Any) -> Any:
            values = {k: as_text(fields[(entity, k)], v) for k, v in record.custom_fields.items()}
            return record.model_copy(update={"custom_fields": values})

        return [text_of(r) for r in records]

    return dataclasses.replace(
        company,
        custom_fields=held,
        **{e.value: texts(e, company.records(e)) for e in (*PARTY, Entity.deals)},
    )


def _one_party_notes(company: ReferenceCompany) -> ReferenceCompany:
    """A note is about one party (the person, else the company), filed under its deal."""
    notes = [
        n.model_copy(update={"org_source_id": None}) if n.person_source_id else n
        for n in company.notes
    ]
    return dataclasses.replace(company, notes=notes)


def _uncategorized(company: ReferenceCompany) -> ReferenceCompany:
    """Deals without a category in a stage of their own, last in the pipeline."""
    if all(d.stage_source_id for d in company.deals):
        return company
    stage = NO_CATEGORY.model_copy(update={"order_nr": len(company.stages) + 1})
    deals = [
        d if d.stage_source_id else d.model_copy(update={"stage_source_id": stage.source_id})
        for d in company.deals
    ]
    return dataclasses.replace(company, stages=[*company.stages, stage], deals=deals)


def _attachments(company: ReferenceCompany) -> ReferenceCompany:
    """An attachment has an id (its bytes at /files/{id}), a name and a size; no content type."""
    files = [
        f.model_copy(update={"mime_type": None, "content_ref": str(IDS.integer(f.source_id))})
        for f in company.files
    ]
    return dataclasses.replace(company, files=files)


def _deal(deal: Deal) -> Deal:
    price = None if deal.value is None else float(round(deal.value))  # an integer price
    return deal.model_copy(update={"value": price, "expected_close_date": None})


def _task(activity: Activity) -> Activity:
    return activity.model_copy(update={"note": None})  # a task is its body alone


HOLDS = Holds(
    inactive_users=False,
    one_pipeline=PIPELINE,
    stage_probability=False,
    names=Names.display_order,
    emails=listed(labels=EMAIL_LOCATIONS, other="other"),
    phones=listed(labels=PHONE_LOCATIONS, other="other"),
    products=False,
    close_time=CloseTime.day,
    lost_reason=False,
    deal=_deal,
    timed=ACTIVITY_TYPES,
    no_duration=ACTIVITY_TYPES,
    activity_parents=Parents.one,
    activity=_task,
    labels=True,
    files=True,
    file_parents=frozenset({"deal_source_id", "person_source_id", "org_source_id"}),
    extra=(_text_fields, _one_party_notes, _uncategorized, _attachments),
)
held = HOLDS.held


# What every record of a kind carries and the source does not read (as the docs show them).
SHARED = {"visible-to": "Everyone", "owner-id": None, "group-id": None, "background": None}
TASK = {"recording-id": None, "alert-at": None, "public": True, "recurring-period": None}
DEAL = {"duration": None, "price-type": "fixed", **STAMPS}


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    types = {f.source_id: f.mime_type for f in company.files}  # the bytes' own, as served
    keys = dict.fromkeys(f.key for f in kept.custom_fields)
    field_ids = {key: 600 + i for i, key in enumerate(keys, 1)}
    labels = {f.key: f.name for f in kept.custom_fields}
    records: tuple[Any, ...] = (*kept.organizations, *kept.persons, *kept.deals)
    tag_ids = {n: 900 + i for i, n in enumerate(sorted({n for r in records for n in r.labels}), 1)}
    orgs = {o.source_id: o for o in kept.organizations}
    categories = {
        s.source_id: IDS.integer(s.source_id) for s in kept.stages if s.source_id != "none"
    }
    names = {r.source_id: getattr(r, "title", None) or r.name for r in records}

    def party(record: Any) -> Raw:
        """A record's subject data, tags, owner and the fields every party has."""
        own = IDS.integer(record.source_id) or 0
        return {
            "id": own,
            **STAMPS,
            **SHARED,
            "author-id": IDS.integer(record.owner_source_id),
            "subject_datas": [
                {
                    "id": own * 100 + i,
                    "value": value,
                    "subject_field_id": field_ids[key],
                    "subject_field_label": labels[key],
                }
                for i, (key, value) in enumerate(record.custom_fields.items(), 1)
            ],
            "tags": [{"id": tag_ids[name], "name": name} for name in record.labels],
        }

    def involved(source_id: str) -> Raw:
        kind = "Company" if source_id in orgs else "Person"
        return {"@type": kind, "id": IDS.integer(source_id), "name": names[source_id]}

    def deal(d: Deal) -> Raw:
        return {
            **party(d),
            **DEAL,
            "name": d.title,
            "category-id": categories.get(d.stage_source_id or ""),
            "currency": d.currency,
            "price": None if d.value is None else int(d.value),
            "party-id": IDS.integer(d.person_source_id or d.org_source_id),
            "responsible-party-id": IDS.integer(d.owner_source_id),
            "status": {"open": "pending"}.get(d.status, d.status),
            "status-changed-on": (d.won_time or d.lost_time or "")[:10] or None,
            "parties": [involved(i) for i in (d.person_source_id, d.org_source_id) if i],
            "party": involved(d.person_source_id or d.org_source_id or ""),
        }  # its `tags` are served apart, at /deals/{id}/tags.xml

    return {
        "users": [
            {"id": IDS.integer(u.source_id), "name": u.name, "email-address": u.email, **STAMPS}
            for u in kept.users
        ],
        "companies": [
            {**party(o), "name": o.name, "contact-data": _contact_data(o.source_id, o.address)}
            for o in kept.organizations
        ],
        "people": [
            {
                **party(p),
                "first-name": p.first_name,
                "last-name": p.last_name,
                "title": None,
                "company-id": IDS.integer(p.org_source_id),
                "company-name": orgs[p.org_source_id].name if p.org_source_id else None,
                "contact-data": _contact_data(p.source_id, None, p.emails, p.phones),
            }
            for p in kept.persons
        ],
        "deal_categories": [
            {"id": categories[s.source_id], "name": s.name, "color": "000000", **STAMPS}
            for s in kept.stages
            if s.source_id in categories
        ],
        "deals": [deal(d) for d in kept.deals],
        "subject_fields": [
            {
                "id": field_ids[f.key],
                "label": f.name,
                "type": "deal" if f.entity is Entity.deals else "party",
            }
            for f in {f.key: f for f in kept.custom_fields}.values()
        ],
        "task_categories": [
            {"id": 50 + i, "name": name, "color": "000000", **STAMPS}
            for i, name in enumerate(CATEGORIES.values(), 1)
        ],
        "tasks": [_task_row(a, names) for a in kept.activities],
        "recordings": [
            *(_note_row(n, names) for n in kept.notes),
            *(_note_row(f, names, kept.users[0].source_id) for f in kept.files),
        ],
        "files": [
            {"id": IDS.integer(f.source_id), "name": f.name, "type": types[f.source_id]}
            | {"_bytes": kept.file_bytes[f.source_id]}
            for f in kept.files
        ],
    }


def _contact_data(
    source_id: str, street: str | None, emails: Sequence[Any] = (), phones: Sequence[Any] = ()
) -> Raw:
    own = IDS.integer(source_id) or 0

    def points(found: Sequence[Any], key: str, locations: dict[str, str]) -> list[Raw]:
        return [
            {"id": own * 10 + i, key: p.value, "location": locations[p.label]}
            for i, p in enumerate(found)
        ]

    place = {"city": None, "country": None, "state": None, "zip": None, "location": "Work"}
    return {
        "email-addresses": points(emails, "address", EMAIL_LOCATIONS),
        "phone-numbers": points(phones, "number", PHONE_LOCATIONS),
        "addresses": [{"id": own, **place, "street": street}] if street else [],
    }


def _subject(record: Any, names: dict[str, str]) -> Raw:
    """The subject of a task, note or file's note: its party, else its deal."""
    party = record.person_source_id or record.org_source_id
    kind, subject = ("Party", party) if party else ("Deal", record.deal_source_id)
    return {
        "subject-id": IDS.integer(subject),
        "subject-type": kind if subject else None,
        "subject-name": names.get(subject or ""),
    }


def _task_row(a: Activity, names: dict[str, str]) -> Raw:
    due = f"{a.due_date}T{a.due_time}:00Z" if a.due_date else None
    return {
        "id": IDS.integer(a.source_id),
        "author-id": IDS.integer(a.owner_source_id),
        "owner-id": IDS.integer(a.owner_source_id),
        **_subject(a, names),
        "body": a.subject,
        "frame": "specific" if due else "later",
        "due-at": due,
        **TASK,
        "done-at": (due or STAMP) if a.done else None,
        "category-id": 50 + list(CATEGORIES).index(a.type) + 1,
        **STAMPS,
    }


def _note_row(n: Note | File, names: dict[str, str], uploader: str | None = None) -> Raw:
    """A note, or (a File, with who added it) the note the file hangs on: no text of its own,
    on the file's record."""
    filed = n.deal_source_id if n.person_source_id or n.org_source_id else None
    own = IDS.integer(n.source_id) or 0
    url = f"{HOST}/files/{own}"
    attached = (
        {"id": own, "url": url, "name": n.name, "size": n.size} if isinstance(n, File) else None
    )
    return {
        "@type": "Note",
        "id": own + CARRIER_BASE if attached else own,
        "body": n.content if isinstance(n, Note) else "",
        "author-id": IDS.integer(n.owner_source_id if isinstance(n, Note) else uploader),
        **_subject(n, names),
        "collection-id": IDS.integer(filed),
        "collection-type": "Deal" if filed else None,
        **SHARED,
        "updated-at": n.add_time or STAMP,
        "created-at": n.add_time or STAMP,
        "attachments": [attached] if attached else [],
    }
