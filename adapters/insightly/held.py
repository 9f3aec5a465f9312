"""What of the reference company Insightly can hold: the company a migration from it carries.
Every rule says what Insightly lacks; everything else is kept."""

from __future__ import annotations

from adapters.core.canonical import ContactPoint, FieldType
from adapters.insightly.prospects import FILE_OBJECTS
from adapters.insightly.render import EVENT_TYPES, phone_slots
from adapters.insightly.shapes import PHONE_SLOTS
from adapters.reference.holds import (
    ACTIVITY_TYPES,
    Holds,
    Names,
    leads_with_their_own_records,
    listed,
    one_part_last,
)

TASK_TYPES = ACTIVITY_TYPES - EVENT_TYPES


def _phones(phones: list[ContactPoint]) -> list[ContactPoint]:
    """Fixed phone slots (PHONE, PHONE_MOBILE, PHONE_HOME, PHONE_OTHER, PHONE_ASSISTANT): the
    labels are the slots', read back in slot order."""
    slots = phone_slots(phones)
    present = [(slot, label) for slot, label in PHONE_SLOTS if slot in slots]
    return [
        ContactPoint(value=slots[slot], label=label, primary=i == 0)
        for i, (slot, label) in enumerate(present)
    ]


def _lead_phones(phones: list[ContactPoint]) -> list[ContactPoint]:
    """A lead's PHONE and MOBILE."""
    kept = [p for p in phones if p.label in ("work", "mobile")]
    return [p.model_copy(update={"primary": i == 0}) for i, p in enumerate(kept)]


HOLDS = Holds(
    # No currency or phone custom field types: amounts are NUMERIC, phone numbers TEXT.
    field_types={FieldType.monetary: FieldType.double, FieldType.phone: FieldType.varchar},
    # Pipeline stages carry no win probability (only opportunities have PROBABILITY).
    stage_probability=False,
    # A contact is FIRST_NAME + LAST_NAME; there is no display name of its own (so a
    # family-name-first name like 山田 太郎 reads first name first).
    names=Names.given_first,
    # One EMAIL_ADDRESS per contact: the primary address stays, the others are lost.
    emails=listed(most=1, labels={}),
    phones=_phones,
    # A product has no unit and no tax rate.
    product_unit=False,
    product_tax=False,
    # An opportunity record has no field for why it was lost (state reasons are a catalog set
    # when the state changes; the record does not return the one chosen).
    lost_reason=False,
    # An Event (a meeting, a lunch) has a start and an end but no kind and no completion state;
    # a Task has a due *date* only: no time of day, no duration.
    activity_types=dict.fromkeys(EVENT_TYPES, "meeting"),
    no_done=frozenset({"meeting"}),
    all_day_no_duration=frozenset({"meeting"}),
    date_only=TASK_TYPES,
    no_duration=TASK_TYPES,
    # TAGS on organisations, contacts, opportunities and leads ([{"TAG_NAME"}]).
    labels=True,
    # Leads: the Leads object's open (unconverted) records; their notes and tasks and events
    # link to them (LINKS to a Lead). A lead holds its person and company as its own fields
    # (FIRST_NAME and LAST_NAME, one EMAIL, PHONE and MOBILE, ORGANISATION_NAME as text), so it
    # comes back as a person and a company of its own; one without a person has its company's
    # name as its LAST_NAME (required). It has no title (TITLE is a job title), value, currency
    # or close date: its title is "Name (Company)".
    leads=True,
    # File attachments: each organisation's, contact's, opportunity's and lead's list, one
    # request per record (Insightly lists no file across records). Files on tasks, events,
    # notes, emails and projects are not read (a request per activity).
    files=True,
    file_parents=frozenset(link for _, link in FILE_OBJECTS.values()),
    extra=(leads_with_their_own_records(names=one_part_last, phones=_lead_phones),),
)

held = HOLDS.held
