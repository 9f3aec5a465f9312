"""What of the reference company Insightly can hold: the company a migration from it carries.
Every rule says what Insightly lacks; everything else is kept."""

from __future__ import annotations

import dataclasses

from adapters.core.canonical import ContactPoint, FieldType, Lead, Organization, Person
from adapters.insightly.prospects import FILE_OBJECTS, lead_title
from adapters.insightly.render import EVENT_TYPES, lead_names, phone_slots
from adapters.insightly.shapes import PHONE_SLOTS
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.holds import ACTIVITY_TYPES, Holds, Names, listed

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


def _own_records(company: ReferenceCompany) -> ReferenceCompany:
    """An Insightly lead holds its person and company as its own fields (FIRST_NAME and
    LAST_NAME, one EMAIL, PHONE and MOBILE, ORGANISATION_NAME as text), never linked to a
    contact or an organisation. So each lead comes back with a person of its own (the lead's
    id) and, when it names a company, an organization of its own that person works at. A lead
    without a person has its company's name as its LAST_NAME (required). A lead has no title
    (TITLE is a job title), value, currency or close date: its title is "Name (Company)"."""
    persons = {p.source_id: p for p in company.persons}
    orgs = {o.source_id: o for o in company.organizations}
    own_persons: list[Person] = []
    own_orgs: list[Organization] = []
    leads: list[Lead] = []
    for lead in company.leads:
        person, org = persons.get(lead.person_source_id or ""), orgs.get(lead.org_source_id or "")
        first, last = lead_names(person, org.name if org else None)
        name = " ".join(part for part in (first, last) if part)
        firm, own, owner = (org.name if org else None), lead.source_id, lead.owner_source_id
        if org:
            own_orgs.append(Organization(source_id=own, name=org.name, owner_source_id=owner))
        phones = [p for p in (person.phones if person else []) if p.label in ("work", "mobile")]
        own_persons.append(
            Person(
                source_id=own, name=name, first_name=first, last_name=last,
                emails=person.emails if person else [],
                phones=[p.model_copy(update={"primary": i == 0}) for i, p in enumerate(phones)],
                org_source_id=own if org else None, owner_source_id=owner,
            )
        )  # fmt: skip
        leads.append(
            Lead(
                source_id=own, title=lead_title(name, firm), person_source_id=own,
                org_source_id=own if org else None, owner_source_id=owner, labels=lead.labels,
                add_time=lead.add_time,
            )
        )  # fmt: skip
    return dataclasses.replace(
        company,
        organizations=[*company.organizations, *own_orgs],
        persons=[*company.persons, *own_persons],
        leads=leads,
    )


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
    # Leads: the Leads object's open (unconverted) records, see `_own_records`; their notes and
    # tasks and events link to them (LINKS to a Lead).
    leads=True,
    # File attachments: each organisation's, contact's, opportunity's and lead's list, one
    # request per record (Insightly lists no file across records). Files on tasks, events,
    # notes, emails and projects are not read (a request per activity).
    files=True,
    file_parents=frozenset(link for _, link in FILE_OBJECTS.values()),
    extra=(_own_records,),
)

held = HOLDS.held
