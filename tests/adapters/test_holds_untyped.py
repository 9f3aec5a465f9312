"""Shared `Holds` rules for vendors that keep less: custom fields without types (values as text),
notes on one party beside their deal, deals that may have no stage, files without a content
type and read by the vendor's id."""

from __future__ import annotations

import dataclasses

from adapters.core.canonical import CustomFieldDef, Entity, FieldType, Note, Stage
from adapters.reference import generate
from adapters.reference.held import text_fields, text_value
from adapters.reference.holds import Holds, Parents, held_by, parents


def test_typed_values_become_the_text_a_user_would_type() -> None:
    def field(kind: FieldType) -> CustomFieldDef:
        return CustomFieldDef(entity=Entity.deals, key="k", name="K", field_type=kind)

    assert text_value(field(FieldType.set), ["A", "B"]) == "A, B"
    assert text_value(field(FieldType.monetary), {"value": 12.5, "currency": "EUR"}) == "12.5 EUR"
    assert text_value(field(FieldType.monetary), {"value": 3.0}) == "3"
    assert text_value(field(FieldType.double), 1743.0) == "1743"
    assert text_value(field(FieldType.date), "2026-01-15") == "2026-01-15"
    company = text_fields(generate(20))
    assert {f.field_type for f in company.custom_fields} == {FieldType.text}
    assert not any(f.options for f in company.custom_fields)
    values = [v for r in (*company.persons, *company.deals) for v in r.custom_fields.values()]
    assert values and all(isinstance(v, str) for v in values)


def test_one_party_keeps_the_deal_and_the_person_else_the_organization() -> None:
    note = Note(source_id="n1", content="x", deal_source_id="d1", person_source_id="p1")
    assert parents(note.model_copy(update={"org_source_id": "o1"}), Parents.one_party) == {
        "org_source_id": None
    }
    on_org = Note(source_id="n2", content="x", deal_source_id="d1", org_source_id="o1")
    assert parents(on_org, Parents.one_party) == {}


def test_deals_without_a_stage_go_to_a_stage_of_their_own_only_when_there_are_some() -> None:
    company = generate(20)
    unstaged = Stage(source_id="none", name="No category", pipeline_source_id="pl1")
    holds = Holds(unstaged=unstaged)
    assert held_by(company, holds).stages == held_by(company, Holds()).stages
    loose = company.deals[0].model_copy(update={"stage_source_id": None})
    company = dataclasses.replace(company, deals=[loose, *company.deals[1:]])
    held = held_by(company, holds)
    stage = held.stages[-1]
    assert stage.name == "No category" and held.deals[0].stage_source_id == "none"
    in_pipeline = [s for s in company.stages if s.pipeline_source_id == "pl1"]
    assert stage.order_nr == len(in_pipeline) + 1
    assert all(d.stage_source_id for d in held.deals)


def test_files_without_a_content_type_and_by_the_vendors_id() -> None:
    holds = Holds(files=True, file_types=False, file_ref=lambda f: f"id-{f.source_id}")
    files = held_by(generate(20), holds).files
    assert files and {f.mime_type for f in files} == {None}
    assert [f.content_ref for f in files] == [f"id-{f.source_id}" for f in files]
