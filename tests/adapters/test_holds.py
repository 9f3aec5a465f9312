"""`Holds` profiles and `held_by`: each shared rule on small records, and every vendor's profile."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.core.canonical import Activity, ContactPoint, Deal, Note
from adapters.reference import generate
from adapters.reference.held import without_archive
from adapters.reference.holds import (
    CloseTime,
    Holds,
    Parents,
    held_by,
    listed,
    parents,
    slotted,
    truncated,
)


def cp(value: str, label: str = "work", primary: bool = False) -> ContactPoint:
    return ContactPoint(value=value, label=label, primary=primary)


def test_the_empty_profile_keeps_everything_but_the_archive_line_items_and_dates() -> None:
    company = generate(20)
    assert company.deal_products and company.persons[0].add_time
    every = Holds(
        deal_products=True,
        created_times=True,
        participants=True,
        labels=True,
        leads=True,
        files=True,
    )
    assert held_by(company, every) == without_archive(company)
    assert held_by(company, dataclasses.replace(every, archive=True)) == company
    plain = held_by(company, Holds())
    assert plain.deal_products == [] and {p.add_time for p in plain.persons} == {None}
    assert plain.leads == plain.lead_notes == plain.files == [] and plain.file_bytes == {}
    assert not any(p.labels for p in plain.persons)


def test_line_items_go_with_the_products_they_sell() -> None:
    company = generate(20)
    assert held_by(company, Holds(products=False, deal_products=True)).deal_products == []


def test_listed_puts_the_primary_first_keeps_so_many_and_relabels() -> None:
    points = [cp("a", "home"), cp("b", "fax", primary=True), cp("c", "other")]
    assert listed(most=2, labels={"work": "", "home": ""})(points) == [
        cp("b", "work", True),
        cp("a", "home", False),
    ]
    assert listed(labels=("work", "home"))(points) == [cp("b", "work", True), cp("a", "home")]
    assert listed(primary_first=False, labels={}, first_is_primary=False)(points) == [
        cp("a"),
        cp("b", primary=True),
        cp("c"),
    ]


def test_slotted_fills_each_label_once_then_the_spare() -> None:
    points = [cp("1", "mobile"), cp("2", "mobile"), cp("3", "work"), cp("4", "fax")]
    assert slotted(("work", "mobile", "home"), "other")(points) == [
        cp("3", "work", True),
        cp("1", "mobile"),
        cp("2", "other"),
    ]
    # A spare that is one of the columns: two phone properties, `phone` and `mobilephone`.
    assert slotted(("work", "mobile"), "work", primary_first=True)(
        [cp("1", "home"), cp("2", "mobile", primary=True), cp("3", "mobile")]
    ) == [cp("1", "work", True), cp("2", "mobile")]


def test_truncated_cuts_characters_then_bytes_on_a_character_boundary() -> None:
    assert truncated("abcdef", 3, None) == "abc"
    assert truncated("żółw", None, 5) == "żó"
    assert truncated("żółw", 10, 100) == "żółw"


def test_parents() -> None:
    both = Note(source_id="n1", content="x", deal_source_id="d1", person_source_id="p1")
    both = both.model_copy(update={"org_source_id": "o1"})
    assert parents(both, Parents.one) == {"person_source_id": None, "org_source_id": None}
    assert parents(both, Parents.no_org_with_deal) == {"org_source_id": None}
    assert parents(both, Parents.all) == {}
    on_person = Activity(source_id="a1", subject="s", person_source_id="p1", org_source_id="o1")
    assert parents(on_person, Parents.one) == {"org_source_id": None}
    assert parents(on_person, Parents.no_org_with_deal) == {}


@pytest.mark.parametrize(
    ("rule", "won"),
    [
        (CloseTime.kept, "2025-01-02T13:14:00Z"),
        (CloseTime.day, "2025-01-02T00:00:00Z"),
        (CloseTime.none, None),
    ],
)
def test_close_time(rule: CloseTime, won: str | None) -> None:
    company = generate(5)
    deal = Deal(source_id="d1", title="t", status="won", won_time="2025-01-02T13:14:00Z")
    company = dataclasses.replace(company, deals=[deal], activities=[], notes=[])
    assert held_by(company, Holds(close_time=rule)).deals[0].won_time == won


def test_a_closed_deal_arrives_in_its_pipelines_first_stage() -> None:
    company = generate(20)
    holds = Holds(closed_in_first_stage=True)
    first = {
        pipeline.source_id: min(
            (s for s in company.stages if s.pipeline_source_id == pipeline.source_id),
            key=lambda s: s.order_nr,
        ).source_id
        for pipeline in company.pipelines
    }
    for deal in held_by(company, holds).deals:
        if deal.status != "open":
            assert deal.stage_source_id == first[deal.pipeline_source_id or "pl1"]


def test_activity_kinds() -> None:
    holds = Holds(
        activity_types={"lunch": "meeting"},
        date_only=frozenset({"task"}),
        timed=frozenset({"call"}),
        all_day_no_duration=frozenset({"meeting"}),
        no_done=frozenset({"meeting"}),
    )
    company = dataclasses.replace(generate(5), notes=[])
    activities = [
        Activity(source_id="a1", subject="s", type="lunch", done=True, duration="01:00"),
        Activity(source_id="a2", subject="s", type="task", due_time="10:00", duration="01:00"),
        Activity(source_id="a3", subject="s", type="call", duration="00:30"),
        Activity(source_id="a4", subject="s", type="meeting", due_time="09:00", duration="01:00"),
    ]
    held = held_by(dataclasses.replace(company, activities=activities), holds).activities
    assert [(a.type, a.due_time, a.duration, a.done) for a in held] == [
        ("meeting", None, None, False),
        ("task", None, "01:00", False),
        ("call", "00:00", "00:30", False),
        ("meeting", "09:00", "01:00", False),
    ]


def test_no_products() -> None:
    assert held_by(generate(20), Holds(products=False)).products == []


VENDORS = ["capsule.render", "close.held", "dynamics365.held", "hubspot.held", "insightly.held"]
VENDORS += ["salesforce.records", "sugarcrm.held", "zoho.held"]


@pytest.mark.parametrize("module", VENDORS)
def test_each_vendor_holds_by_its_profile(module: str) -> None:
    vendor = __import__(f"adapters.{module}", fromlist=["HOLDS", "held"])
    assert isinstance(vendor.HOLDS, Holds)
    company = generate(20)
    assert vendor.held(company) == held_by(company, vendor.HOLDS)
