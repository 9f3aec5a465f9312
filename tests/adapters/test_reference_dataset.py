"""The reference company: deterministic, scaled from the size, hard cases in place, no orphans."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from typing import Any

import pytest

from adapters.core.canonical import (
    CUSTOM_FIELD_ENTITIES,
    MODEL_BY_ENTITY,
    CustomFieldDef,
    Entity,
    FieldType,
)
from adapters.reference import DEFAULT_SIZE, ReferenceCompany, generate
from adapters.reference.dataset import ABSENT_OWNER_ID, CURRENCIES, TARGET_USER_IDS

PREFIXES = {
    Entity.users: "u",
    Entity.organizations: "o",
    Entity.persons: "p",
    Entity.pipelines: "pl",
    Entity.stages: "s",
    Entity.products: "pr",
    Entity.deals: "d",
    Entity.deal_products: "dp",
    Entity.leads: "l",
    Entity.activities: "a",
    Entity.notes: "n",
    Entity.files: "fl",
}
# Which entity each link field points at.
LINKS = {
    "owner_source_id": Entity.users,
    "org_source_id": Entity.organizations,
    "person_source_id": Entity.persons,
    "pipeline_source_id": Entity.pipelines,
    "stage_source_id": Entity.stages,
    "deal_source_id": Entity.deals,
    "product_source_id": Entity.products,
    "lead_source_id": Entity.leads,
    "activity_source_id": Entity.activities,
}
FILE_LINKS = (
    "deal_source_id",
    "person_source_id",
    "org_source_id",
    "lead_source_id",
    "activity_source_id",
    "product_source_id",
)
EMAIL = re.compile(r"^[a-z0-9.\-]+@example\.(com|pl|de|org|net)$")
ACTIVITY_TYPES = ("call", "meeting", "task", "deadline", "email", "lunch")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@pytest.fixture(scope="module")
def company() -> ReferenceCompany:
    return generate(DEFAULT_SIZE)


def dump(company: ReferenceCompany) -> dict[str, Any]:
    out: dict[str, Any] = {e.value: [r.model_dump() for r in company.records(e)] for e in Entity}
    out["custom_fields"] = [f.model_dump() for f in company.custom_fields]
    return out


def by_id(company: ReferenceCompany, entity: Entity) -> dict[str, Any]:
    return {r.source_id: r for r in company.records(entity)}


def all_emails(company: ReferenceCompany) -> Counter[str]:
    return Counter(e.value for p in company.persons for e in p.emails)


# --- determinism and scale -------------------------------------------------------------------


def test_same_size_and_seed_give_identical_output() -> None:
    assert dump(generate(300, seed=7)) == dump(generate(300, seed=7))


def test_different_size_or_seed_gives_different_output() -> None:
    base = dump(generate(300, seed=0))
    assert dump(generate(301, seed=0)) != base
    assert dump(generate(300, seed=1)) != base


def test_named_records_do_not_depend_on_seed() -> None:
    a, b = generate(50, seed=1), generate(50, seed=2)
    assert [p.name for p in a.persons[:7]] == [p.name for p in b.persons[:7]]
    assert [o.name for o in a.organizations[:5]] == [o.name for o in b.organizations[:5]]


@pytest.mark.parametrize("size", [300, 3000])
def test_counts_scale_with_size(size: int) -> None:
    counts = generate(size).counts()
    # About half the deals with a value have line items, one to three each.
    assert size // 3 < counts.pop("deal_products") < size * 2
    leads = max(3, size // 10)
    # A note on every other lead and an activity on every third, apart from the others.
    assert counts == {
        "users": 6,
        "organizations": size // 3,
        "persons": size,
        "pipelines": 2,
        "stages": 9,
        "products": max(5, size // 20),
        "deals": size * 2 // 3,
        "leads": leads,
        "activities": size + (leads + 2) // 3,
        "notes": size + (leads + 1) // 2,
        "files": 6 + size // 30,
    }


def test_records_and_counts_cover_every_entity(company: ReferenceCompany) -> None:
    counts = company.counts()
    assert set(counts) == {e.value for e in Entity}
    for entity in Entity:
        records = company.records(entity)
        assert len(records) == counts[entity.value]
        assert all(type(r) is MODEL_BY_ENTITY[entity] for r in records)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 9])
def test_tiny_sizes_work_and_stay_consistent(size: int) -> None:
    company = generate(size)
    assert company.counts()["persons"] == size
    assert company.persons[0].name == "Zażółć Gęślą-Jaźń 🚀"
    assert len(company.notes[0].content) > 90_000
    assert_integrity(company)


def test_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        generate(0)


def test_large_size_generates() -> None:
    company = generate(20_000)
    assert company.counts()["persons"] == 20_000
    assert_integrity(company)
    duplicates = {e for e, n in all_emails(company).items() if n > 1}
    assert duplicates == {"anna.schmidt@example.de"}


# --- hard cases --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [10, DEFAULT_SIZE])
def test_named_people_and_organizations(size: int) -> None:
    company = generate(size)
    persons = by_id(company, Entity.persons)
    orgs = by_id(company, Entity.organizations)
    assert persons["p1"].name == "Zażółć Gęślą-Jaźń 🚀"
    assert persons["p2"].name == "Jürgen Weiß"
    assert persons["p3"].name == "山田 太郎"
    assert (persons["p3"].first_name, persons["p3"].last_name) == ("太郎", "山田")
    assert orgs["o1"].name == "Müller & Söhne GmbH"
    assert orgs["o2"].name == "株式会社サンプル"


@pytest.mark.parametrize("size", [10, DEFAULT_SIZE])
def test_contact_point_cases(size: int) -> None:
    company = generate(size)
    persons = by_id(company, Entity.persons)
    p1 = persons["p1"]
    assert len(p1.emails) == 3
    assert [e.primary for e in p1.emails].count(True) == 1
    assert len(p1.phones) >= 2
    assert persons["p4"].emails == [] and len(persons["p4"].phones) == 3
    assert persons["p4"].org_source_id is None
    assert {p.source_id for p in company.persons if p.org_source_id is None} >= {"p4", "p6", "p7"}
    shared = persons["p5"].emails[0].value
    assert persons["p6"].emails[0].value == shared
    assert {e for e, n in all_emails(company).items() if n > 1} == {shared}


@pytest.mark.parametrize("size", [10, DEFAULT_SIZE])
def test_long_html_note(size: int) -> None:
    n1 = by_id(generate(size), Entity.notes)["n1"]
    assert 95_000 <= len(n1.content) <= 110_000
    for tag in ("<p>", "<b>", "<ul><li>"):
        assert tag in n1.content
    assert "Zażółć" in n1.content and "山田" in n1.content
    assert n1.deal_source_id == "d1" and n1.person_source_id == "p1"


@pytest.mark.parametrize("size", [10, DEFAULT_SIZE])
def test_deal_cases(size: int) -> None:
    deals = by_id(generate(size), Entity.deals)
    assert deals["d1"].status == "won" and deals["d1"].won_time
    d2 = deals["d2"]
    assert d2.status == "lost" and d2.lost_time and d2.lost_reason
    assert deals["d3"].person_source_id is None and deals["d3"].org_source_id
    assert deals["d3"].status == "open"
    assert deals["d4"].org_source_id is None and deals["d4"].person_source_id == "p4"
    assert deals["d5"].value is None
    assert {d.currency for d in deals.values()} >= set(CURRENCIES)
    # A won and a lost deal are archived, after they closed.
    archived = [d for d in deals.values() if d.is_archived]
    assert {d.source_id for d in archived} >= {"d1", "d2"}
    assert all(
        d.archive_time and d.archive_time > (d.won_time or d.lost_time or "") for d in archived
    )
    assert not any(d.archive_time for d in deals.values() if not d.is_archived)


@pytest.mark.parametrize("size", [10, DEFAULT_SIZE])
def test_absent_owner(size: int) -> None:
    company = generate(size)
    users = by_id(company, Entity.users)
    assert [u for u in users if users[u].active] == list(TARGET_USER_IDS)
    u6 = users[ABSENT_OWNER_ID]
    assert not u6.active and u6.email == "former.employee@example.com"
    for entity, source_id in [
        (Entity.organizations, "o2"),
        (Entity.persons, "p2"),
        (Entity.products, "pr2"),
        (Entity.deals, "d2"),
        (Entity.activities, "a2"),
        (Entity.notes, "n2"),
    ]:
        assert by_id(company, entity)[source_id].owner_source_id == ABSENT_OWNER_ID


def test_owners_are_spread(company: ReferenceCompany) -> None:
    owners = Counter(p.owner_source_id for p in company.persons)
    assert set(owners) == {f"u{i}" for i in range(1, 7)}


@pytest.mark.parametrize("size", [10, DEFAULT_SIZE])
def test_activity_cases(size: int) -> None:
    company = generate(size)
    acts = by_id(company, Entity.activities)
    assert acts["a1"].done and acts["a1"].deal_source_id == "d1"
    assert acts["a2"].person_source_id and not (
        acts["a2"].deal_source_id or acts["a2"].org_source_id
    )
    assert acts["a3"].due_time == "23:30"  # the next day in Tokyo
    a4 = acts["a4"]
    assert not a4.done and a4.due_date < "2026-01-15" and a4.org_source_id
    assert a4.person_source_id is None and a4.deal_source_id is None
    assert acts["a6"].due_time is None
    reference = date(2026, 1, 15).isoformat()
    assert any(a.due_date < reference for a in acts.values())
    assert any(a.due_date > reference for a in acts.values())
    assert {a.done for a in acts.values()} == {True, False}


def test_activity_variety(company: ReferenceCompany) -> None:
    assert {a.type for a in company.activities} == set(ACTIVITY_TYPES)
    deal_linked = [a for a in company.activities if a.deal_source_id and a.person_source_id]
    person_only = [
        a
        for a in company.activities
        if a.person_source_id and not (a.deal_source_id or a.org_source_id)
    ]
    assert deal_linked and person_only
    assert any(a.note for a in company.activities)


def test_note_attachments_vary(company: ReferenceCompany) -> None:
    kinds = Counter(
        (bool(n.deal_source_id), bool(n.person_source_id), bool(n.org_source_id))
        for n in company.notes
    )
    # (deal, person, org): deal alone, deal and its person, person alone, organization alone.
    expected = {
        (True, False, False),
        (True, True, False),
        (False, True, False),
        (False, False, True),
    }
    assert set(kinds) == expected


def test_products(company: ReferenceCompany) -> None:
    currencies = {price.currency for p in company.products for price in p.prices}
    assert currencies >= {"EUR", "USD", "PLN"}
    assert all(p.unit and p.prices for p in company.products)
    assert any(len(p.prices) > 1 for p in company.products)
    assert any(p.custom_fields for p in company.products)


def test_pipelines_and_stages(company: ReferenceCompany) -> None:
    for pipeline in company.pipelines:
        stages = [s for s in company.stages if s.pipeline_source_id == pipeline.source_id]
        assert 4 <= len(stages) <= 6
        assert [s.order_nr for s in stages] == list(range(1, len(stages) + 1))
        assert all(s.deal_probability is not None for s in stages)


def test_custom_fields_of_every_type(company: ReferenceCompany) -> None:
    required = set(FieldType)
    for entity in CUSTOM_FIELD_ENTITIES:
        defs = [f for f in company.custom_fields if f.entity == entity]
        assert {f.field_type for f in defs} >= required
        keys = [f.key for f in defs]
        assert len(keys) == len(set(keys))
        assert all(f.options for f in defs if f.field_type in (FieldType.enum, FieldType.set))
    # One record per entity carries every field; the others only a part.
    for entity, source_id in [
        (Entity.organizations, "o1"),
        (Entity.persons, "p1"),
        (Entity.deals, "d1"),
        (Entity.products, "pr1"),
    ]:
        record = by_id(company, entity)[source_id]
        assert set(record.custom_fields) == {
            f.key for f in company.custom_fields if f.entity == entity
        }
    assert any(not p.custom_fields for p in company.persons)


# --- referential integrity and formats --------------------------------------------------------


@pytest.mark.parametrize("size", [10, DEFAULT_SIZE])
def test_integrity(size: int) -> None:
    assert_integrity(generate(size))


def assert_integrity(company: ReferenceCompany) -> None:
    ids = {e: set(by_id(company, e)) for e in Entity}
    for entity in Entity:
        records = company.records(entity)
        expected = [f"{PREFIXES[entity]}{i}" for i in range(1, len(records) + 1)]
        assert [r.source_id for r in records] == expected
        for record in records:
            for field, target in LINKS.items():
                value = getattr(record, field, None)
                assert value is None or value in ids[target], (record.source_id, field, value)
    assert_deals(company)
    assert_line_items(company)
    assert_activities(company)
    assert_notes(company)
    assert_persons(company)
    assert_custom_values(company)


def assert_line_items(company: ReferenceCompany) -> None:
    """Each deal's line items add up to its value, every price positive."""
    lines: dict[str, list[Any]] = {}
    for item in company.deal_products:
        assert item.item_price > 0 and item.quantity > 0, item.source_id
        lines.setdefault(item.deal_source_id, []).append(item)
    for deal in company.deals:
        if deal.source_id in lines:
            assert round(sum(i.sum for i in lines[deal.source_id]), 2) == deal.value


def assert_deals(company: ReferenceCompany) -> None:
    stages = by_id(company, Entity.stages)
    for deal in company.deals:
        assert deal.person_source_id or deal.org_source_id, deal.source_id
        assert deal.stage_source_id and deal.expected_close_date
        assert stages[deal.stage_source_id].pipeline_source_id == deal.pipeline_source_id
        assert deal.status in ("open", "won", "lost")
        assert (deal.won_time is not None) == (deal.status == "won")
        assert (deal.lost_time is not None) == (deal.status == "lost")
        assert (deal.lost_reason is not None) == (deal.status == "lost")
        assert deal.currency in (*CURRENCIES, None)
        assert (deal.currency is None) == (deal.value is None)
        date.fromisoformat(deal.expected_close_date)
        for moment in (deal.won_time, deal.lost_time):
            assert moment is None or datetime.fromisoformat(moment).tzinfo is not None


def assert_activities(company: ReferenceCompany) -> None:
    deals = by_id(company, Entity.deals)
    for act in company.activities:
        assert act.type in ACTIVITY_TYPES
        assert act.deal_source_id or act.person_source_id or act.org_source_id
        assert act.due_date
        date.fromisoformat(act.due_date)
        assert act.due_time is None or HHMM.match(act.due_time)
        assert act.duration is None or HHMM.match(act.duration)
        if act.deal_source_id:
            deal = deals[act.deal_source_id]
            assert (act.person_source_id, act.org_source_id) == (
                deal.person_source_id,
                deal.org_source_id,
            )


def assert_notes(company: ReferenceCompany) -> None:
    deals = by_id(company, Entity.deals)
    for note in company.notes:
        links = [note.deal_source_id, note.person_source_id, note.org_source_id]
        if note.deal_source_id and note.person_source_id:
            assert note.person_source_id == deals[note.deal_source_id].person_source_id
            assert note.org_source_id is None
        else:
            assert sum(link is not None for link in links) == 1, note.source_id
        assert note.add_time and datetime.fromisoformat(note.add_time).tzinfo is not None
        assert note.content.startswith("<")


def assert_persons(company: ReferenceCompany) -> None:
    for person in company.persons:
        assert person.name.strip()
        for email in person.emails:
            assert EMAIL.match(email.value), email.value
        if person.emails:
            assert [e.primary for e in person.emails].count(True) == 1
        for phone in person.phones:
            assert phone.value.startswith("+")


def assert_custom_values(company: ReferenceCompany) -> None:
    defs = {(f.entity, f.key): f for f in company.custom_fields}
    for entity in CUSTOM_FIELD_ENTITIES:
        for record in company.records(entity):
            for key, value in record.custom_fields.items():  # type: ignore[attr-defined]
                assert_value_fits(defs[(entity, key)], value)


def assert_value_fits(field: CustomFieldDef, value: Any) -> None:
    kind = field.field_type
    if kind in (FieldType.text, FieldType.varchar, FieldType.phone):
        assert isinstance(value, str) and value
    elif kind == FieldType.double:
        assert isinstance(value, float)
    elif kind == FieldType.monetary:
        assert set(value) == {"value", "currency"}
        assert isinstance(value["value"], float) and value["currency"] in CURRENCIES
    elif kind == FieldType.date:
        assert date.fromisoformat(value).isoformat() == value
    elif kind == FieldType.enum:
        assert value in field.options
    elif kind == FieldType.set:
        assert isinstance(value, list) and value and set(value) <= set(field.options)
    else:  # pragma: no cover - a new FieldType needs a rule here
        raise AssertionError(f"no rule for {kind}")


# --- leads, labels and files -------------------------------------------------------------------


def test_leads_belong_to_a_person_or_an_organization(company: ReferenceCompany) -> None:
    assert all(lead.person_source_id or lead.org_source_id for lead in company.leads)
    assert {n.lead_source_id for n in company.lead_notes} <= {
        lead.source_id for lead in company.leads
    }
    assert all(a.lead_source_id and not a.deal_source_id for a in company.lead_activities)
    # Nothing else links to a lead: a vendor without leads renders none of their records.
    assert not any(n.lead_source_id for n in company.notes + company.activities)  # type: ignore[operator]


def test_labels_are_spread_and_include_non_ascii(company: ReferenceCompany) -> None:
    labels = {label for p in company.persons for label in p.labels}
    assert "VIP – Ważny" in labels
    assert 0.3 < sum(bool(d.labels) for d in company.deals) / len(company.deals) < 0.7


def test_files_have_their_bytes_and_the_hard_cases(company: ReferenceCompany) -> None:
    content = company.file_bytes
    assert set(content) == {f.source_id for f in company.files}
    assert all(f.size == len(content[f.source_id]) for f in company.files)
    by_name = {f.name: content[f.source_id] for f in company.files}
    assert (
        by_name["Angebot_2026-001.pdf"].startswith(b"%PDF-")
        and b"%%EOF" in by_name["Angebot_2026-001.pdf"]
    )
    assert by_name["portrait.png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert any(not f.name.isascii() for f in company.files)
    assert max(map(len, content.values())) > 1_000_000
    parents = {link for f in company.files for link in FILE_LINKS if getattr(f, link) is not None}
    assert parents == set(FILE_LINKS) - {"product_source_id"}
