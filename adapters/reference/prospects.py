"""Leads and labels of the reference company, drawn from streams of their own so that every
other value of the dataset stays as it was.

- labels: about half of the organizations, persons and deals carry one or two labels (Pipedrive's
  defaults and one non-ASCII label); o1, p1 and d1 carry two.
- leads: one per ten persons (at least three). l1 is a person's lead with a non-ASCII title and
  two labels, l2 an organization's lead without a value, l3 belongs to a person and the person's
  organization, in PLN. A lead's notes and activities are kept apart from the other notes and
  activities (`lead_notes`, `lead_activities`), numbered after them, so a vendor without leads
  renders none of them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TypeVar

from adapters.core.canonical import Activity, Deal, Lead, Note, Organization, Person, Record
from adapters.reference.dataset import (
    CURRENCIES,
    _day,
    _owner,
    _Random,
    _random_timestamp,
    _timestamp,
)

PARTY_LABELS: tuple[str, ...] = ("Customer", "Hot lead", "Warm lead", "Cold lead", "VIP – Ważny")
DEAL_LABELS: tuple[str, ...] = ("Hot", "Warm", "Cold")
LEAD_LABELS: tuple[str, ...] = ("Hot", "Warm", "Cold", "Webinar")
_LEAD_TOPICS: tuple[str, ...] = (
    "Webinar sign-up",
    "Pricing request",
    "Demo request",
    "Anfrage über die Website",
    "Zapytanie ofertowe",
    "展示会での名刺交換",
)
R = TypeVar("R", bound=Record)


def _labels(rng: _Random, pool: Sequence[str], fixed: bool) -> list[str]:
    if fixed:
        return [pool[0], pool[-1]]
    roll = rng.random()
    if roll < 0.4:
        return [rng.pick(pool)]
    if roll < 0.5:
        return sorted({rng.pick(pool), rng.pick(pool)})
    return []


def labelled(records: list[R], pool: Sequence[str], rng: _Random) -> list[R]:
    """The records with labels: the first one with two, about half of the others with some."""
    return [
        r.model_copy(update={"labels": _labels(rng, pool, fixed=i == 0)})
        for i, r in enumerate(records)
    ]


def _fixed_leads(persons: list[Person], orgs: list[Organization]) -> list[Lead]:
    p1, o2 = persons[0], orgs[min(1, len(orgs) - 1)]
    p3 = persons[min(2, len(persons) - 1)]
    return [
        Lead(source_id="l1", title=f"Zapytanie ofertowe – {p1.name}",
             person_source_id=p1.source_id, owner_source_id="u1", value=4200.0, currency="EUR",
             expected_close_date=_day(45), labels=["Hot", "Webinar"],
             add_time=_timestamp(-10, 9 * 60)),
        Lead(source_id="l2", title=f"{o2.name}: Rahmenvertrag?", org_source_id=o2.source_id,
             owner_source_id="u2", add_time=_timestamp(-25, 11 * 60)),
        Lead(source_id="l3", title=f"Demo request {p3.name}", person_source_id=p3.source_id,
             org_source_id=p3.org_source_id, owner_source_id="u4", value=15000.0,
             currency="PLN", labels=["Warm"], add_time=_timestamp(-2, 7 * 60)),
    ]  # fmt: skip


def _random_lead(i: int, persons: list[Person], orgs: list[Organization], rng: _Random) -> Lead:
    roll = rng.random()
    person = rng.pick(persons) if roll < 0.7 else None
    org_id = person.org_source_id if person and roll >= 0.4 else None
    if person is None:
        org = rng.pick(orgs)
        org_id, name = org.source_id, org.name
    else:
        name = person.name
    valued = rng.random() < 0.6
    return Lead(
        source_id=f"l{i}",
        title=f"{rng.pick(_LEAD_TOPICS)} – {name}",
        person_source_id=person.source_id if person else None,
        org_source_id=org_id,
        owner_source_id=_owner(rng),
        value=float(rng.between(5, 400) * 100) if valued else None,
        currency=rng.pick(CURRENCIES) if valued else None,
        expected_close_date=_day(rng.between(10, 120)) if rng.random() < 0.5 else None,
        labels=_labels(rng, LEAD_LABELS, fixed=False),
        add_time=_random_timestamp(rng, -90, 0),
    )


def leads(count: int, persons: list[Person], orgs: list[Organization], rng: _Random) -> list[Lead]:
    out = _fixed_leads(persons, orgs)[:count]
    for i in range(len(out) + 1, count + 1):
        out.append(_random_lead(i, persons, orgs, rng))
    return out


def lead_notes(leads: list[Lead], first: int, rng: _Random) -> list[Note]:
    """A note on every other lead, numbered from `first`."""
    return [
        Note(
            source_id=f"n{first + n}",
            content=f"<p>Lead: <b>{html.escape(lead.title)}</b> – oddzwonić w przyszłym tygodniu.</p>",
            lead_source_id=lead.source_id,
            owner_source_id=lead.owner_source_id,
            add_time=_random_timestamp(rng, -60, 0),
        )
        for n, lead in enumerate(leads[::2])
    ]


def lead_activities(leads: list[Lead], first: int, rng: _Random) -> list[Activity]:
    """A call or a task on every third lead, numbered from `first`."""
    return [
        Activity(
            source_id=f"a{first + n}",
            subject=f"Qualify {lead.title}",
            type="call" if n % 2 == 0 else "task",
            due_date=_day(rng.between(-5, 20)),
            due_time=f"{rng.between(7, 17):02d}:00" if n % 2 == 0 else None,
            duration="00:15" if n % 2 == 0 else None,
            done=False,
            lead_source_id=lead.source_id,
            owner_source_id=lead.owner_source_id,
        )
        for n, lead in enumerate(leads[::3])
    ]


def labelled_company_parts(
    orgs: list[Organization], persons: list[Person], deals: list[Deal], rng: _Random
) -> tuple[list[Organization], list[Person], list[Deal]]:
    return (
        labelled(orgs, PARTY_LABELS, rng),
        labelled(persons, PARTY_LABELS, rng),
        labelled(deals, DEAL_LABELS, rng),
    )
