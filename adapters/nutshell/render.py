"""The reference company in Nutshell's record shapes, and what Nutshell can hold of it.

How Nutshell holds what Pipedrive links several ways (JSON-RPC entities; a getContact answer
in karlwnw/pynutshell's test stubs and the nutshell-api-php examples show the shapes):
- Accounts (organisations) and contacts (people); a contact lists its `accounts[]`.
- E-mails and phones are a hash keyed by label (`{"work": ..., "cell": ...}`; an unlabelled one
  under its position, "0"), with the primary one again under `--primary`; a phone is an object
  (`number`, `numberFormatted`, `E164`); an address is a hash of objects likewise.
- A lead (deal) has a `primaryAccount` (also in `accounts[]`), `contacts[]`, a `milestone` of a
  `stageset` (pipeline), `value {currency, amount}`, a numeric `status` (0 open, 10 won, 11
  lost), `closedTime` and an `assignee` (a user or a team); its `name` is "Lead-<id>", what it
  is about its `description`. Accounts and contacts have an `owner`.
- Activities have a `startTime` and an `endTime` (or `isAllDay`), `leads[]`, `accounts[]` and
  `participants[]` (contacts); their kind is an `activityType` by name.
- Products have a `sku` and one `price {currency, amount}`.
- Accounts, contacts and leads carry `tags` (names); a lead has its `file` array (attached.py).
  There is no lead object apart from the deals.
- Notes are not listed by a method of their own: each account, contact and lead carries its
  `notes[]` (here a note sits on one of them: the lead, else the contact, else the account).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.core.canonical import Activity, ContactPoint, Deal, Note, Product
from adapters.core.emulation import Tables
from adapters.nutshell.attached import file_bytes, held_step, lead_files
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, Holds, Parents
from adapters.reference.ids import DEFAULT_BASES, IdScheme

IDS = IdScheme("nutshell", {**DEFAULT_BASES, "pr": 600_000})  # products 600001..
nid = IDS.integer
UPDATED = f"{REFERENCE_DATE.isoformat()}T08:00:00+0000"
STAMP = "%Y-%m-%dT%H:%M:%S%z"
STATUS = {"open": 0, "won": 10, "lost": 11}
# Nutshell's activity types by name (the defaults, plus the kinds Pipedrive has beside them).
ACTIVITY_NAMES = {
    "call": "Phone call",
    "meeting": "Meeting",
    "email": "Email",
    "lunch": "Lunch",
    "task": "Task",
    "deadline": "Deadline",
}
PRIMARY = "--primary"
OTHER = "other"  # what a point read from under its position (no label of its own) is called
Raw = dict[str, Any]


def keyed(points: list[ContactPoint]) -> list[ContactPoint]:
    """Points as a hash keyed by label keeps them: a label already used goes under a position
    and comes back as OTHER; the primary is the first one."""
    seen: set[str] = set()
    out = []
    for i, point in enumerate(points):
        label = point.label if point.label not in seen else OTHER
        seen.add(point.label)
        out.append(ContactPoint(value=point.value, label=label, primary=i == 0))
    return out


HOLDS = Holds(
    # Not carried by this source yet: custom fields (findCustomFields / describeCustomFields).
    keeps_field=lambda definition: False,
    # One price per product; no unit, tax or owner on a product.
    prices=1,
    product_unit=False,
    product_tax=False,
    product_owner=False,
    # A lead's outcome is a record of its own (findLeadOutcomes), not read yet.
    lost_reason=False,
    # An all-day activity spans its day: its own length is not kept.
    all_day_no_duration=ACTIVITY_TYPES,
    note_parents=Parents.one,
    emails=keyed,
    phones=keyed,
    labels=True,
    files=True,
    file_parents=frozenset({"deal_source_id"}),  # files hang on leads (deals) only
    extra=(held_step(IDS),),
)
held = HOLDS.held


def _ref(kind: str, source_id: str | None) -> Raw | None:
    return None if source_id is None else {"entityType": kind, "id": nid(source_id)}


def _refs(kind: str, *source_ids: str | None) -> list[Raw]:
    return [found for s in source_ids if (found := _ref(kind, s))]


def _money(amount: float | None, currency: str | None) -> Raw | None:
    return None if amount is None else {"currency": currency, "amount": amount}


def _phone(value: str) -> Raw:
    digits = "".join(c for c in value if c.isdigit())
    return {"number": digits, "numberFormatted": value, "E164": f"+{digits}"}


def _hash(points: list[ContactPoint], shape: Any = str) -> Raw:
    """Nutshell's multi-value hash: by label, a repeated label under its position."""
    out: Raw = {}
    for i, point in enumerate(points):
        out[point.label if point.label not in out else str(i)] = shape(point.value)
    if points:
        out[PRIMARY] = shape(next((p.value for p in points if p.primary), points[0].value))
    return out


def _note(note: Note) -> Raw:
    return {
        "id": nid(note.source_id),
        "entityType": "Notes",
        "note": note.content,
        "createdTime": note.add_time.replace("Z", "+0000") if note.add_time else None,
        "creator": _ref("Users", note.owner_source_id),
    }


def _notes(notes: list[Note], link: str, source_id: str) -> list[Raw]:
    return [_note(n) for n in notes if getattr(n, link) == source_id]


def _lead(deal: Deal, notes: list[Note], kept: ReferenceCompany) -> Raw:
    closed = deal.won_time or deal.lost_time
    due = deal.expected_close_date
    return {
        "id": nid(deal.source_id),
        "entityType": "Leads",
        "rev": "1",
        "name": f"Lead-{nid(deal.source_id)}",
        "description": deal.title,
        "status": STATUS[deal.status],
        "value": _money(deal.value, deal.currency),
        "primaryAccount": _ref("Accounts", deal.org_source_id),
        "accounts": _refs("Accounts", deal.org_source_id),
        "contacts": _refs("Contacts", deal.person_source_id),
        "stageset": _ref("Stagesets", deal.pipeline_source_id),
        "milestone": _ref("Milestones", deal.stage_source_id),
        "assignee": _ref("Users", deal.owner_source_id),  # a user, or a team
        "dueTime": f"{due}T00:00:00+0000" if due else None,
        "closedTime": closed.replace("Z", "+0000") if closed else None,
        "modifiedTime": UPDATED,
        "notes": _notes(notes, "deal_source_id", deal.source_id),
        "tags": deal.labels,
        "file": lead_files(kept, IDS, deal.source_id),
    }


def _span(activity: Activity) -> tuple[str | None, str | None]:
    """Start and end: an all-day one spans its day; one without a length ends as it starts."""
    if not activity.due_date:
        return None, None
    start = datetime.fromisoformat(f"{activity.due_date}T{activity.due_time or '00:00'}+00:00")
    if activity.due_time is None:
        length = timedelta(days=1)
    elif activity.duration:
        hours, minutes = activity.duration.split(":")
        length = timedelta(hours=int(hours), minutes=int(minutes))
    else:
        length = timedelta()
    return start.strftime(STAMP), (start + length).strftime(STAMP)


def _activity(activity: Activity) -> Raw:
    start, end = _span(activity)
    return {
        "id": nid(activity.source_id),
        "entityType": "Activities",
        "rev": "1",
        "name": activity.subject,
        "description": activity.note,
        "activityType": {
            "entityType": "Activity_Types",
            "id": list(ACTIVITY_NAMES).index(activity.type) + 1,
            "name": ACTIVITY_NAMES[activity.type],
        },
        "startTime": start,
        "endTime": end,
        "isAllDay": bool(start) and activity.due_time is None,
        "status": 1 if activity.done else 0,
        "leads": _refs("Leads", activity.deal_source_id),
        "accounts": _refs("Accounts", activity.org_source_id),
        "participants": _refs("Contacts", activity.person_source_id),  # contacts and users
        "owner": _ref("Users", activity.owner_source_id),
        "modifiedTime": UPDATED,
    }


def _product(product: Product) -> Raw:
    price = product.prices[0] if product.prices else None
    return {
        "id": nid(product.source_id),
        "entityType": "Products",
        "rev": "1",
        "name": product.name,
        "sku": product.code,
        "price": _money(price.price, price.currency) if price else None,
        "modifiedTime": UPDATED,
    }


def render(company: ReferenceCompany) -> Tables:
    kept = held(company)
    # One parent per note: the emulator lists it under that record only.
    on_deal = [n for n in kept.notes if n.deal_source_id]
    on_person = [n for n in kept.notes if not n.deal_source_id and n.person_source_id]
    on_org = [n for n in kept.notes if not n.deal_source_id and not n.person_source_id]
    return {
        "users": [
            {
                "id": nid(u.source_id),
                "entityType": "Users",
                "rev": "1",
                "name": u.name,
                "emails": [u.email] if u.email else [],
                "isEnabled": u.active,
            }
            for u in kept.users
        ],
        "accounts": [
            {
                "id": nid(o.source_id),
                "entityType": "Accounts",
                "rev": "1",
                "name": o.name,
                "owner": _ref("Users", o.owner_source_id),
                "address": {"office": {"address_1": o.address}, PRIMARY: {"address_1": o.address}}
                if o.address
                else {},
                "modifiedTime": UPDATED,
                "notes": _notes(on_org, "org_source_id", o.source_id),
                "tags": o.labels,
            }
            for o in kept.organizations
        ],
        "contacts": [
            {
                "id": nid(p.source_id),
                "entityType": "Contacts",
                "rev": "1",
                "name": {
                    "givenName": p.first_name,
                    "familyName": p.last_name,
                    "displayName": p.name,
                },
                "email": _hash(p.emails),
                "phone": _hash(p.phones, _phone),
                "accounts": _refs("Accounts", p.org_source_id),
                "owner": _ref("Users", p.owner_source_id),
                "modifiedTime": UPDATED,
                "notes": _notes(on_person, "person_source_id", p.source_id),
                "tags": p.labels,
            }
            for p in kept.persons
        ],
        "stagesets": [
            {"id": nid(p.source_id), "entityType": "Stagesets", "name": p.name}
            for p in kept.pipelines
        ],
        "milestones": [
            {
                "id": nid(s.source_id),
                "entityType": "Milestones",
                "name": s.name,
                "stagesetId": nid(s.pipeline_source_id),
                "position": s.order_nr,
                "probability": s.deal_probability,
            }
            for s in kept.stages
        ],
        "products": [_product(p) for p in kept.products],
        "leads": [_lead(d, on_deal, kept) for d in kept.deals],
        "file_bytes": file_bytes(kept, IDS),
        "activities": [_activity(a) for a in kept.activities],
    }
