"""The reference company in Capsule's record shapes (`render`) and what Capsule can hold of it
(`held`).

How Capsule holds what Pipedrive links several ways (developer.capsulecrm.com/v2 models):
- People and organisations are one list of parties (`type`), ids from one sequence; a person
  names its organisation (`organisation: {id, name}`) and its `owner` user.
- An opportunity has one `party` (a person, or an organisation when there is no person); its
  organisation is the person's. A closed one sits on its pipeline's Won or Lost milestone
  (`complete: true`) and remembers its stage in `lastOpenMilestone`; `closedOn` is a date.
- A task and a note (an entry) each sit on exactly one record: a party, an opportunity or a
  project (Capsule refuses an entry linked to more than one). Completed party tasks also show
  up in `/entries` as entries of type "task".
- A user's e-mail lives on the user's own party record, not in `/parties`.
- Tags (`embed=tags`: `[{id, name, description}]`) on parties and opportunities: the labels of
  organizations, persons and deals. Capsule has no leads.
- Files are attachments of entries (`attachments: [{id, filename, contentType, size}]`, bytes
  at `GET /attachments/{id}`); tasks have none. A file on a record hangs on a note on it made
  for the file (no text: `content` is optional); a file on an activity or a lead is not kept.
"""

from __future__ import annotations

import dataclasses

from adapters.capsule.shapes import local_due, utc_due
from adapters.core.canonical import (
    Activity,
    CustomFieldDef,
    Entity,
    FieldType,
)
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, CloseTime, Holds, Names, Parents, listed
from adapters.reference.ids import IdScheme

UPDATED_AT = f"{REFERENCE_DATE.isoformat()}T08:00:00Z"
# Attachments from 650,001; the notes carrying them (one a file) from 660,001.
IDS = IdScheme("capsule")
CARRIER_ENTRY_BASE = 10_000  # a file's entry id: its attachment id plus this
USER_ZONES = {
    "u1": "Europe/Warsaw",
    "u2": "Europe/Berlin",
    "u3": "America/New_York",
    "u4": "Asia/Tokyo",
    "u5": "Europe/Warsaw",
    "u6": "Europe/Warsaw",
}
CAPSULE_TYPE = {
    FieldType.double: "number",
    FieldType.monetary: "number",
    FieldType.date: "date",
    FieldType.enum: "list",
}
EMAIL_TYPES = {"work": "Work", "home": "Home"}
PHONE_TYPES = {"work": "Work", "home": "Home", "mobile": "Mobile", "fax": "Fax", "direct": "Direct"}
CATEGORY_NAMES = {"call": "Call", "meeting": "Meeting", "email": "Email", "deadline": "Deadline"}
CATEGORY_NAMES["lunch"] = "Lunch"


def cid(source_id: str | None) -> int | None:
    """The Capsule id of a reference record, deterministic from its source id."""
    return IDS.integer(source_id)


def won_lost_ids(pipeline_id: str) -> tuple[int, int]:
    """Each pipeline has its own Won and Lost milestones."""
    number = int(pipeline_id.removeprefix("pl"))
    return 900 + 2 * number, 901 + 2 * number


# --- what Capsule can hold ---------------------------------------------------------------------


def _holdable(field: CustomFieldDef) -> bool:
    # Capsule has no products, and a list field holds one option: multi-choice (set) fields
    # have no Capsule equivalent (it has no multi-select type), so they cannot be kept.
    return field.entity is not Entity.products and field.field_type is not FieldType.set


def _one_party(company: ReferenceCompany) -> ReferenceCompany:
    """One party per opportunity: with a person, the organisation is the person's."""
    orgs_of = {p.source_id: p.org_source_id for p in company.persons}
    return dataclasses.replace(
        company,
        deals=[
            d.model_copy(update={"org_source_id": orgs_of[d.person_source_id]})
            if d.person_source_id
            else d
            for d in company.deals
        ],
    )


def _held_activity(activity: Activity) -> Activity:
    day, at = _round_trip(activity)
    return activity.model_copy(update={"due_date": day, "due_time": at})


def _round_trip(activity: Activity) -> tuple[str | None, str | None]:
    """The UTC due date and time after being kept in the owner's zone (identical except for
    the hour a clock change repeats)."""
    if not activity.due_date:
        return activity.due_date, activity.due_time
    zone = USER_ZONES[activity.owner_source_id or "u1"]
    day, at = local_due(activity.due_date, activity.due_time, zone)
    return utc_due(day, at, zone)


HOLDS = Holds(
    # Capsule keeps every string as `text`, and an amount in a plain `number` field: it has no
    # currency, phone or short-text custom field types.
    field_types={
        FieldType.varchar: FieldType.text,
        FieldType.phone: FieldType.text,
        FieldType.monetary: FieldType.double,
    },
    keeps_field=_holdable,
    # Capsule shows "firstName lastName": a family-name-first name keeps its written order
    # only with the family name in firstName.
    names=Names.display_order,
    # Capsule has no primary flag: the first address listed is the main one. Its types are a
    # fixed list; an address of another kind is kept as Work.
    emails=listed(labels=EMAIL_TYPES),
    phones=listed(labels=PHONE_TYPES),
    # Capsule has no products (nor price lists): there is nowhere to keep them.
    products=False,
    # `closedOn` is a date: the time of day is not kept.
    close_time=CloseTime.day,
    # A task or an entry sits on one record: the opportunity, else the person, else the org.
    activity_parents=Parents.one,
    # Tasks have no duration in Capsule.
    no_duration=ACTIVITY_TYPES,
    activity=_held_activity,
    note_parents=Parents.one,
    # Tags on parties and opportunities; no leads.
    labels=True,
    # Attachments of notes on a party or an opportunity (tasks and leads have none).
    files=True,
    file_parents=frozenset({"deal_source_id", "person_source_id", "org_source_id"}),
    extra=(_one_party,),
)

held = HOLDS.held
