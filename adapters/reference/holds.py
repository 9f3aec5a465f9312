"""What a vendor can hold, as data: a `Holds` profile per vendor and one `held_by` applying it.

A vendor's `held` view of the reference company is what a migration from it can carry. Most of
what vendors lack is shared (a longest note, so many e-mails and phones per contact, one parent
per note, no products, no won time...): each is a field of `Holds`, applied by `held_by` in one
way for every vendor. What is genuinely one vendor's own (how its activity kinds map, Close's
leads) is a small function the profile names: `activity` per activity, `extra` on the company.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
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
    Pipeline,
    Product,
    Stage,
)
from adapters.core.naming import lead_title
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.held import (
    given_name_first,
    names_in_display_order,
    retyped_custom_fields,
    without_archive,
)

Points = Callable[[list[ContactPoint]], list[ContactPoint]]
Step = Callable[[ReferenceCompany], ReferenceCompany]
# A person's (name, first name, last name) as a lead of the vendor keeps them.
LeadNames = Callable[[Person], tuple[str, str | None, str | None]]
ACTIVITY_TYPES = frozenset({"call", "meeting", "task", "deadline", "email", "lunch"})
# The links of a file and the entity each points at.
FILE_PARENTS: Mapping[str, Entity] = {
    "deal_source_id": Entity.deals,
    "person_source_id": Entity.persons,
    "org_source_id": Entity.organizations,
    "lead_source_id": Entity.leads,
    "activity_source_id": Entity.activities,
    "product_source_id": Entity.products,
}


class Names(Enum):
    """How a contact's name parts come back."""

    kept = "kept"
    given_first = "given_first"  # the shown name is built "first last" (see given_name_first)
    display_order = "display_order"  # first/last stored so "first last" reads as written
    one = "one"  # a single name: no first and last name


class Parents(Enum):
    """What a note or an activity can hang on."""

    all = "all"  # its deal, person and organization
    one = "one"  # one record: the deal, else the person, else the organization
    no_org_with_deal = "no_org_with_deal"  # a deal's account is not kept beside the deal
    one_party = "one_party"  # its deal and one party: the person, else the organization


class CloseTime(Enum):
    """What a closed deal keeps of the moment it was won or lost."""

    kept = "kept"
    day = "day"  # a date: midnight UTC of its day
    none = "none"  # nothing


@dataclass(frozen=True)
class Holds:
    # Only Pipedrive archives deals.
    archive: bool = False
    # Custom field types the vendor lacks, as the type they become; fields it cannot keep.
    field_types: Mapping[FieldType, FieldType] = field(default_factory=dict)
    keeps_field: Callable[[CustomFieldDef], bool] | None = None
    # Whether the user list says who left (else every user arrives active).
    inactive_users: bool = True
    # One pipeline (source id, name) holding every stage in list order, for vendors without
    # pipelines.
    one_pipeline: tuple[str, str] | None = None
    stage_probability: bool = True
    # Persons.
    names: Names = Names.kept
    emails: Points | None = None  # None: kept as they are
    phones: Points | None = None
    # Products.
    products: bool = True
    prices: int | None = None  # how many prices a product keeps (None: all)
    product_unit: bool = True
    product_tax: bool = True
    product_owner: bool = True
    # Amount custom fields are in the record's one currency (a product's first price's, a
    # deal's own).
    record_currency: bool = False
    # Deals.
    close_time: CloseTime = CloseTime.kept
    lost_reason: bool = True
    # A closed deal's stage is its won/lost state: it arrives in its pipeline's first stage.
    closed_in_first_stage: bool = False
    # A deal may have no stage at the vendor (a Highrise deal in no category): such deals go to
    # this stage, added last to its pipeline when there are any. None: every deal has one.
    unstaged: Stage | None = None
    deal: Callable[[Deal], Deal] | None = None
    # Line items (products on deals): off unless the vendor has them and its source reads them.
    deal_products: bool = False
    # Original creation times of organizations, persons and deals: off unless the source reads
    # them (a record without one is dated the day of the migration).
    created_times: bool = False
    # Activities (by kind: the type once `activity_types` has renamed it) and notes.
    activity_types: Mapping[str, str] = field(default_factory=dict)  # kinds it lacks, as what
    date_only: frozenset[str] = frozenset()  # due on a date, never at a time of day
    timed: frozenset[str] = frozenset()  # always at a time: an all-day one is at midnight UTC
    no_duration: frozenset[str] = frozenset()
    all_day_no_duration: frozenset[str] = frozenset()  # an all-day one lasts the day
    no_done: frozenset[str] = frozenset()  # no completion state
    activity_parents: Parents = Parents.all
    # Persons taking part in an activity besides its main one: off unless the source reads them.
    participants: bool = False
    activity: Callable[[Activity], Activity] | None = None
    note_parents: Parents = Parents.all
    note_chars: int | None = None
    note_bytes: int | None = None
    # Labels of organizations, persons, deals and leads: off unless the source reads them.
    labels: bool = False
    # Leads, with their notes and activities: off unless the vendor has them and its source
    # reads them.
    leads: bool = False
    # Attached files: off unless the source reads them; the links a file may hang on.
    files: bool = False
    file_parents: frozenset[str] = frozenset(FILE_PARENTS)
    file_types: bool = True  # whether the vendor says a file's content type
    # What the source reads as a file's content_ref (the vendor's id of it); None: as it is.
    file_ref: Callable[[File], str] | None = None
    # Whatever is the vendor's own, applied last, in order.
    extra: tuple[Step, ...] = ()

    def held(self, company: ReferenceCompany) -> ReferenceCompany:
        """`held_by` with this profile: a vendor's `held` is its `HOLDS.held`."""
        return held_by(company, self)


def held_by(company: ReferenceCompany, holds: Holds) -> ReferenceCompany:
    """The company as a vendor with these `holds` keeps it."""
    if not holds.archive:
        company = without_archive(company)
    if holds.field_types or holds.keeps_field:
        company = retyped_custom_fields(
            company, holds.field_types, holds.keeps_field or (lambda f: True)
        )
    if holds.one_pipeline:
        company = _one_pipeline(company, *holds.one_pipeline)
    first_stage = {
        s.pipeline_source_id: s.source_id for s in sorted(company.stages, key=lambda s: -s.order_nr)
    }
    company = dataclasses.replace(
        company,
        users=company.users
        if holds.inactive_users
        else [u.model_copy(update={"active": True}) for u in company.users],
        stages=company.stages
        if holds.stage_probability
        else [s.model_copy(update={"deal_probability": None}) for s in company.stages],
        persons=[_person(p, holds) for p in company.persons],
        products=[_product(p, holds) for p in company.products] if holds.products else [],
        deals=[_deal(d, holds, first_stage) for d in company.deals],
        activities=[_activity(a, holds) for a in company.activities],
        notes=[_note(n, holds) for n in company.notes],
        lead_activities=[_activity(a, holds) for a in company.lead_activities],
        lead_notes=[_note(n, holds) for n in company.lead_notes],
    )
    if not holds.created_times:
        company = _undated(company)
    if not holds.participants:
        company = dataclasses.replace(
            company,
            activities=[
                a.model_copy(update={"participant_source_ids": []})
                if a.participant_source_ids
                else a
                for a in company.activities
            ],
        )
    if not holds.labels:
        company = _unlabelled(company)
    if not holds.leads:
        company = dataclasses.replace(company, leads=[], lead_notes=[], lead_activities=[])
    if holds.unstaged and not all(d.stage_source_id for d in company.deals):
        company = _unstaged(company, holds.unstaged)
    for step in holds.extra:
        company = step(company)
    return _attached(_line_items(company, holds), holds)


def _unstaged(company: ReferenceCompany, stage: Stage) -> ReferenceCompany:
    """The deals without a stage in `stage`, last in its pipeline."""
    in_pipeline = [s for s in company.stages if s.pipeline_source_id == stage.pipeline_source_id]
    stage = stage.model_copy(update={"order_nr": len(in_pipeline) + 1})
    deals = [
        d if d.stage_source_id else d.model_copy(update={"stage_source_id": stage.source_id})
        for d in company.deals
    ]
    return dataclasses.replace(company, stages=[*company.stages, stage], deals=deals)


def _unlabelled(company: ReferenceCompany) -> ReferenceCompany:
    def plain(records: list[Any]) -> list[Any]:
        return [r.model_copy(update={"labels": []}) if r.labels else r for r in records]

    return dataclasses.replace(
        company,
        organizations=plain(company.organizations),
        persons=plain(company.persons),
        deals=plain(company.deals),
        leads=plain(company.leads),
    )


def _attached(company: ReferenceCompany, holds: Holds) -> ReferenceCompany:
    """The files the vendor keeps: on records it still holds, of the kinds it attaches to."""
    if not holds.files:
        return dataclasses.replace(company, files=[], file_bytes={})
    present = {
        link: {r.source_id for r in company.records(entity)}
        for link, entity in FILE_PARENTS.items()
    }

    def kept(file: File) -> bool:
        links = [(link, getattr(file, link)) for link in FILE_PARENTS if getattr(file, link)]
        return bool(links) and all(
            link in holds.file_parents and value in present[link] for link, value in links
        )

    files = [f for f in company.files if kept(f)]
    content = {f.source_id: company.file_bytes[f.source_id] for f in files}
    if not holds.file_types:
        files = [f.model_copy(update={"mime_type": None}) for f in files]
    if holds.file_ref:
        files = [f.model_copy(update={"content_ref": holds.file_ref(f)}) for f in files]
    return dataclasses.replace(company, files=files, file_bytes=content)


def _undated(company: ReferenceCompany) -> ReferenceCompany:
    def undated(records: list[Any]) -> list[Any]:
        return [r.model_copy(update={"add_time": None}) for r in records]

    return dataclasses.replace(
        company,
        organizations=undated(company.organizations),
        persons=undated(company.persons),
        deals=undated(company.deals),
    )


def _line_items(company: ReferenceCompany, holds: Holds) -> ReferenceCompany:
    """The line items the vendor keeps: only on deals and of products it still holds."""
    deals = {d.source_id for d in company.deals}
    products = {p.source_id for p in company.products}
    kept = [
        item
        for item in company.deal_products
        if holds.deal_products
        and item.deal_source_id in deals
        and item.product_source_id in products
    ]
    return dataclasses.replace(company, deal_products=kept)


# --- contact points ----------------------------------------------------------------------------


def listed(
    *,
    primary_first: bool = True,
    most: int | None = None,
    labels: Mapping[str, str] | tuple[str, ...] | None = None,
    other: str = "work",
    first_is_primary: bool = True,
) -> Points:
    """Addresses in a list: the primary first (`primary_first`), at most `most` of them, and
    labelled from a fixed list: `labels` as a tuple labels them by position, as a mapping keeps
    the labels it has (others become `other`); None keeps every label. `first_is_primary`: the
    vendor has no primary flag, the first one listed is the main one."""

    def held(points: list[ContactPoint]) -> list[ContactPoint]:
        ordered = sorted(points, key=lambda p: not p.primary) if primary_first else list(points)
        ordered = ordered[:most] if most is not None else ordered
        if isinstance(labels, tuple):
            ordered = ordered[: len(labels)]
        out = []
        for i, point in enumerate(ordered):
            if isinstance(labels, tuple):
                label = labels[i]
            elif labels is not None:
                label = point.label if point.label in labels else other
            else:
                label = point.label
            primary = i == 0 if first_is_primary else point.primary
            out.append(ContactPoint(value=point.value, label=label, primary=primary))
        return out

    return held


def slotted(labels: tuple[str, ...], spare: str, *, primary_first: bool = False) -> Points:
    """Fixed columns, one per label, in this order: each point (the primary first, with
    `primary_first`) goes to its label's column, one that has none (or finds it taken) to the
    `spare` one while it is free; the rest are lost. The first column filled is the primary."""

    def held(points: list[ContactPoint]) -> list[ContactPoint]:
        ordered = sorted(points, key=lambda p: not p.primary) if primary_first else points
        return [
            ContactPoint(value=value, label=label, primary=i == 0)
            for i, (label, value) in enumerate(slots(ordered, labels, spare).items())
        ]

    return held


def slots(points: list[ContactPoint], labels: tuple[str, ...], spare: str) -> dict[str, str]:
    """{label: value} of `slotted`'s columns, in column order (spare last unless listed)."""
    taken: dict[str, str] = {}
    for point in points:
        label = point.label if point.label in labels and point.label not in taken else spare
        taken.setdefault(label, point.value)
    order = labels if spare in labels else (*labels, spare)
    return {label: taken[label] for label in order if label in taken}


# --- leads that hold their own person and company ---------------------------------------------


def held_names(person: Person) -> tuple[str, str | None, str | None]:
    """Its name as held, its first name, and its last name (else its whole name)."""
    return person.name, person.first_name, person.last_name or person.name


def one_part_last(person: Person) -> tuple[str, str | None, str | None]:
    """A name in one part is the last name; the name reads first name first."""
    first, last = (person.first_name, person.last_name) if person.last_name else (None, person.name)
    return " ".join(part for part in (first, last) if part), first, last


def leads_with_their_own_records(
    *,
    names: LeadNames = held_names,
    company_as_person: bool = True,
    emails: Points | None = None,
    phones: Points | None = None,
    dated: bool = False,
    addressed: bool = False,
    title: Callable[[str | None, str | None], str] | None = lead_title,
) -> Step:
    """The step for a vendor whose lead holds its person and company as fields of its own
    (names, e-mail, phones, the company's name as text), linked to no contact or company. After
    a round trip each lead comes back with a person of its own (under the lead's id; `names`,
    and the `emails` and `phones` it keeps, None: all) and, when it names a company, an
    organization of its own that person works at. A lead without a person is a person named
    after its company (its last name: the vendor requires one) with `company_as_person`, else
    it has none. `dated`: the two keep the lead's add_time; `addressed`: the organization its
    address. The lead keeps no value, currency or close date; its title is `title(name,
    company)` (None: its own)."""

    def step(company: ReferenceCompany) -> ReferenceCompany:
        persons = {p.source_id: p for p in company.persons}
        orgs = {o.source_id: o for o in company.organizations}
        own_persons, own_orgs, leads = [], [], []
        for lead in company.leads:
            person = persons.get(lead.person_source_id or "")
            org = orgs.get(lead.org_source_id or "")
            firm, own_org = (org.name, lead.source_id) if org else (None, None)
            own: dict[str, Any] = {
                "source_id": lead.source_id,
                "owner_source_id": lead.owner_source_id,
            }
            if dated:
                own["add_time"] = lead.add_time
            if org:
                address = org.address if addressed else None
                own_orgs.append(Organization(name=org.name, address=address, **own))
            named = names(person) if person else (firm or "", None, firm or "")
            if kept := bool(person) or company_as_person:
                own_persons.append(
                    Person(name=named[0], first_name=named[1], last_name=named[2],
                           emails=(emails or list)(person.emails) if person else [],
                           phones=(phones or list)(person.phones) if person else [],
                           org_source_id=own_org, **own)
                )  # fmt: skip
            leads.append(
                Lead(title=title(named[0] if kept else None, firm) if title else lead.title,
                     person_source_id=lead.source_id if kept else None, org_source_id=own_org,
                     labels=lead.labels, **{**own, "add_time": lead.add_time})
            )  # fmt: skip
        return dataclasses.replace(
            company,
            organizations=[*company.organizations, *own_orgs],
            persons=[*company.persons, *own_persons],
            leads=leads,
        )

    return step


# --- records -----------------------------------------------------------------------------------


def _person(person: Person, holds: Holds) -> Person:
    update: dict[str, Any] = {}
    if holds.names is Names.given_first:
        update["name"] = given_name_first(person)
    elif holds.names is Names.display_order:
        update["first_name"], update["last_name"] = names_in_display_order(person)
    elif holds.names is Names.one:
        update.update(first_name=None, last_name=None)
    if holds.emails:
        update["emails"] = holds.emails(person.emails)
    if holds.phones:
        update["phones"] = holds.phones(person.phones)
    return person.model_copy(update=update) if update else person


def in_currency(values: dict[str, Any], currency: str | None) -> dict[str, Any]:
    """Amounts kept in the record's one currency."""
    if not currency:
        return values
    return {
        key: {**value, "currency": currency} if isinstance(value, dict) else value
        for key, value in values.items()
    }


def _product(product: Product, holds: Holds) -> Product:
    update: dict[str, Any] = {}
    prices = product.prices if holds.prices is None else product.prices[: holds.prices]
    if holds.prices is not None:
        update["prices"] = prices
    if not holds.product_unit:
        update["unit"] = None
    if not holds.product_tax:
        update["tax"] = None
    if not holds.product_owner:
        update["owner_source_id"] = None
    if holds.record_currency:
        currency = prices[0].currency if prices else None
        update["custom_fields"] = in_currency(product.custom_fields, currency)
    return product.model_copy(update=update) if update else product


def _day(moment: str | None) -> str | None:
    return f"{moment[:10]}T00:00:00Z" if moment else None


def _deal(deal: Deal, holds: Holds, first_stage: dict[str, str]) -> Deal:
    update: dict[str, Any] = {}
    if holds.one_pipeline:
        update["pipeline_source_id"] = holds.one_pipeline[0]
    if holds.record_currency:
        update["custom_fields"] = in_currency(deal.custom_fields, deal.currency)
    if holds.close_time is CloseTime.day:
        update.update(won_time=_day(deal.won_time), lost_time=_day(deal.lost_time))
    elif holds.close_time is CloseTime.none:
        update.update(won_time=None, lost_time=None)
    if not holds.lost_reason:
        update["lost_reason"] = None
    if holds.closed_in_first_stage and deal.status != "open":
        pipeline = update.get("pipeline_source_id", deal.pipeline_source_id)
        update["stage_source_id"] = first_stage[pipeline or "pl1"]
    deal = deal.model_copy(update=update) if update else deal
    return holds.deal(deal) if holds.deal else deal


def parents(record: Activity | Note, rule: Parents) -> dict[str, Any]:
    """The links `rule` drops from a note or an activity."""
    if rule is Parents.one:
        if record.deal_source_id:
            return {"person_source_id": None, "org_source_id": None}
        if record.person_source_id:
            return {"org_source_id": None}
    elif rule is Parents.no_org_with_deal and record.deal_source_id:
        return {"org_source_id": None}
    elif rule is Parents.one_party:  # the person, else the organization
        return {"org_source_id": None} if record.person_source_id else {}
    return {}


def _activity(activity: Activity, holds: Holds) -> Activity:
    update = parents(activity, holds.activity_parents)
    kind = holds.activity_types.get(activity.type, activity.type)
    if kind != activity.type:
        update["type"] = kind
    all_day = activity.due_time is None
    if kind in holds.date_only:
        update["due_time"] = None
    elif kind in holds.timed and all_day:
        update["due_time"] = "00:00"
    if kind in holds.no_duration or (all_day and kind in holds.all_day_no_duration):
        update["duration"] = None
    if kind in holds.no_done:
        update["done"] = False
    if update:
        activity = activity.model_copy(update=update)
    return holds.activity(activity) if holds.activity else activity


def truncated(content: str, chars: int | None, size: int | None) -> str:
    """The text as a column of at most `chars` characters and `size` UTF-8 bytes keeps it (cut
    on a character boundary)."""
    if chars is not None:
        content = content[:chars]
    if size is not None and len(raw := content.encode()) > size:
        content = raw[:size].decode("utf-8", "ignore")
    return content


def _note(note: Note, holds: Holds) -> Note:
    update = parents(note, holds.note_parents)
    if holds.note_chars is not None or holds.note_bytes is not None:
        update["content"] = truncated(note.content, holds.note_chars, holds.note_bytes)
    return note.model_copy(update=update) if update else note


def _one_pipeline(company: ReferenceCompany, pipeline_id: str, name: str) -> ReferenceCompany:
    return dataclasses.replace(
        company,
        pipelines=[Pipeline(source_id=pipeline_id, name=name)],
        stages=[
            s.model_copy(update={"pipeline_source_id": pipeline_id, "order_nr": position})
            for position, s in enumerate(company.stages, start=1)
        ],
    )
