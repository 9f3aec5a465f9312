"""What vendors' `held` projections of the reference company share.

Many vendors lack some custom field types (no currency field, no phone field, one kind of text)
or cannot keep some fields at all; `retyped_custom_fields` says how the company's custom fields
then look, so each vendor states only its type table and what it cannot keep. Only Pipedrive
archives deals: every other vendor's view starts from `without_archive`. A vendor states all it
holds as a `Holds` profile (holds.py), which `held_by` applies with these."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from adapters.core.canonical import CustomFieldDef, Entity, FieldType, Person, Record
from adapters.reference.dataset import ReferenceCompany


def retyped_custom_fields(
    company: ReferenceCompany,
    types: Mapping[FieldType, FieldType],
    keep: Callable[[CustomFieldDef], bool] = lambda field: True,
) -> ReferenceCompany:
    """Definitions retyped through `types` (e.g. monetary -> double), fields `keep` refuses
    dropped with their values, and values reduced to what their new type holds (an amount
    without its currency)."""
    fields = [
        field.model_copy(update={"field_type": types.get(field.field_type, field.field_type)})
        for field in company.custom_fields
        if keep(field)
    ]
    kinds = {(field.entity, field.key): field.field_type for field in fields}

    def held(entity: Entity, record: Any) -> Any:
        return record.model_copy(update={"custom_fields": _values(entity, record, kinds)})

    return dataclasses.replace(
        company,
        custom_fields=fields,
        organizations=[held(Entity.organizations, o) for o in company.organizations],
        persons=[held(Entity.persons, p) for p in company.persons],
        products=[held(Entity.products, p) for p in company.products],
        deals=[held(Entity.deals, d) for d in company.deals],
    )


def text_value(field: CustomFieldDef, value: Any) -> str:
    """A typed custom value as a user keeps it in a text field: the labels of its choices joined
    by ", ", an amount with its currency ("12.5 EUR"), a whole number without a fraction, a
    date as YYYY-MM-DD."""
    if field.field_type is FieldType.set:
        return ", ".join(value)
    if field.field_type is FieldType.monetary:
        return " ".join(filter(None, (_number_text(value["value"]), value.get("currency"))))
    return _number_text(value) if field.field_type is FieldType.double else str(value)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def text_fields(company: ReferenceCompany) -> ReferenceCompany:
    """Every custom field a text field (no options) and every value its text (`text_value`):
    the company in a vendor whose custom fields have no type."""
    fields = {(field.entity, field.key): field for field in company.custom_fields}

    def texts(entity: Entity, records: list[Any]) -> list[Any]:
        def text_of(record: Any) -> Any:
            found = record.custom_fields.items()
            values = {key: text_value(fields[(entity, key)], value) for key, value in found}
            return record.model_copy(update={"custom_fields": values})

        return [text_of(record) for record in records]

    as_text = {"field_type": FieldType.text, "options": []}
    return dataclasses.replace(
        company,
        custom_fields=[field.model_copy(update=as_text) for field in company.custom_fields],
        organizations=texts(Entity.organizations, company.organizations),
        persons=texts(Entity.persons, company.persons),
        products=texts(Entity.products, company.products),
        deals=texts(Entity.deals, company.deals),
    )


def without_archive(company: ReferenceCompany) -> ReferenceCompany:
    """The company in a system that has no archive: its archived deals are ordinary deals
    (Pipedrive keeps them apart; no other source can say a deal was archived)."""
    return dataclasses.replace(
        company,
        deals=[
            d.model_copy(update={"is_archived": False, "archive_time": None})
            if d.is_archived
            else d
            for d in company.deals
        ],
    )


def _values(
    entity: Entity, record: Record, kinds: dict[tuple[Entity, str], FieldType]
) -> dict[str, Any]:
    out = {}
    for key, value in getattr(record, "custom_fields", {}).items():
        kind = kinds.get((entity, key))
        if kind is None:
            continue  # a field the vendor cannot keep
        if kind is not FieldType.monetary and isinstance(value, dict) and "value" in value:
            value = value["value"]  # a monetary amount kept in a plain number field
        out[key] = value
    return out


def given_name_first(person: Person) -> str:
    """The display name of a vendor that builds it as first name + last name: a name written
    family name first (山田 太郎) then reads given name first."""
    return " ".join(part for part in (person.first_name, person.last_name) if part) or person.name


def names_in_display_order(person: Person) -> tuple[str | None, str | None]:
    """(first, last) to store with a vendor that shows "first last", so that a name written
    family name first keeps its written order: the family name goes in the first-name field."""
    first, last = person.first_name, person.last_name
    if first and last and person.name == f"{last} {first}" != f"{first} {last}":
        return last, first
    return first, last
