"""The reference company as Highrise holds it (`HOLDS`, `held`) and in its API's record shapes
(`render`: a table per list, rows keyed by the XML elements, written out as typed XML).

What Highrise keeps of it (facts in the emulator's docstring):
- People and companies are parties; a person names its company. E-mails and phones have a
  `location` (Work, Home, Other; phones also Mobile, Fax, Pager, Skype) and no primary flag: the
  first is the main one. A party's owner is its `author-id` (`owner-id` only for one visible to
  its owner alone). The user list does not say who left.
- Deals have no pipelines nor stages but a category: the categories are the stages of one
  pipeline ("Deals", in list order, no probability), a category being a deal's one grouping
  and a Pipedrive deal needing a stage. Deals in no category go to a stage of their own, "No
  category", last and only when there are such deals (in the first stage they would be lost
  among its deals). A deal's `parties` bring back its person and its organization; `price` is
  an integer (no cents); closed on a day, no time; no expected close date, no lost reason; its
  owner is its responsible user; its tags are listed apart.
- Custom fields have a label and no type: every value is text (choices' labels joined by ", ",
  "12.5 EUR", YYYY-MM-DD). Party fields serve people and companies: each arrives on both.
  Deals have fields of their own; there are no products.
- Tasks are the activities: a body (no note), a category (Call, Email, Meeting; Follow-up for a
  task, Milestone for a deadline, Lunch its own), due at a time (all-day at midnight UTC), no
  duration, done or not, about one record (the deal, else the person, else the company).
- A note is about one party or deal and may be filed under a deal: it keeps its deal and its
  person, else its company.
- Files are notes' and e-mails' attachments (tasks have none): a file on a person, company or
  deal hangs on a note about it made for it (no text: not a note in Pipedrive) and arrives on
  that record byte for byte, with no content type. Files on leads or activities are lost.
- Tags of people, companies and deals are labels. No leads (Highrise has none).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.core.canonical import Activity, Deal, Entity, File, Note, Organization, Person, Stage
from adapters.core.emulation import Tables
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.held import text_fields
from adapters.reference.holds import ACTIVITY_TYPES, CloseTime, Holds, Names, Parents, listed
from adapters.reference.ids import IdScheme

IDS = IdScheme("highrise")
PIPELINE = ("pl1", "Deals")  # the one pipeline the deal categories are the stages of
NO_CATEGORY = Stage(source_id="none", name="No category", pipeline_source_id=PIPELINE[0])
HOST = "https://example.highrisehq.com"  # the account's host, as attachments' URLs name it
STAMP = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
STAMPS = {"created-at": STAMP, "updated-at": STAMP}
PARTY = (Entity.organizations, Entity.persons)
FIELD_TYPES = {Entity.organizations: "party", Entity.persons: "party", Entity.deals: "deal"}
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


def _party_fields(company: ReferenceCompany) -> ReferenceCompany:
    """Party fields shared by people and companies (each arrives on both); no product fields."""
    party = [f for f in company.custom_fields if f.entity in PARTY]
    shared = [f.model_copy(update={"entity": entity}) for entity in PARTY for f in party]
    deals = [f for f in company.custom_fields if f.entity is Entity.deals]
    return dataclasses.replace(company, custom_fields=[*shared, *deals])


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
    file_types=False,  # an attachment has a name and a size
    file_ref=lambda file: str(IDS.integer(file.source_id)),  # its id: its bytes at /files/{id}
    note_parents=Parents.one_party,  # about one party, filed under its deal
    unstaged=NO_CATEGORY,  # deals in no category
    extra=(text_fields, _party_fields),
)
held = HOLDS.held


# What every record of a kind carries and the source does not read (as the docs show them).
SHARED = {"visible-to": "Everyone", "owner-id": None, "group-id": None, "background": None}
TASK = {"recording-id": None, "alert-at": None, "public": True, "recurring-period": None}
DEAL = {"duration": None, "price-type": "fixed", **STAMPS}


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    keys = dict.fromkeys(f.key for f in kept.custom_fields)
    field_ids = {key: 600 + i for i, key in enumerate(keys, 1)}
    labels = {f.key: f.name for f in kept.custom_fields}
    records: tuple[Any, ...] = (*kept.organizations, *kept.persons, *kept.deals)
    tag_ids = {n: 900 + i for i, n in enumerate(sorted({n for r in records for n in r.labels}), 1)}
    orgs = {o.source_id: o for o in kept.organizations}
    categories = {s.source_id: IDS.integer(s.source_id) for s in company.stages}  # not "none"
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
            {**party(o), "name": o.name, "contact-data": _contact_data(o)}
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
                "contact-data": _contact_data(p),
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
            {"id": field_ids[f.key], "label": f.name, "type": FIELD_TYPES[f.entity]}
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
        "files": [  # the bytes of the files kept, served with their name and type
            {"id": IDS.integer(f.source_id), "file": f, "bytes": company.file_bytes[f.source_id]}
            for f in company.files
            if f.source_id in kept.file_bytes
        ],
    }


def _contact_data(party: Organization | Person) -> Raw:
    """A party's contact data: a company's address, a person's e-mails and phones."""
    own = IDS.integer(party.source_id) or 0

    def points(kind: str, key: str, locations: dict[str, str]) -> list[Raw]:
        found = getattr(party, kind, [])
        return [
            {"id": own * 10 + i, key: p.value, "location": locations[p.label]}
            for i, p in enumerate(found)
        ]

    place = {"city": None, "country": None, "state": None, "zip": None, "location": "Work"}
    street = getattr(party, "address", None)
    return {
        "email-addresses": points("emails", "address", EMAIL_LOCATIONS),
        "phone-numbers": points("phones", "number", PHONE_LOCATIONS),
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
