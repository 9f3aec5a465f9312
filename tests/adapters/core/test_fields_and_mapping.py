"""Custom values and mapping getters: the vendor shapes they must read the same way."""

from __future__ import annotations

import pytest

from adapters.core.canonical import CustomFieldDef, Entity, FieldType
from adapters.core.fields import SourceField, canonical_value
from adapters.core.mapping import contact_points, joined, ref, utc_date, utc_hhmm, utc_time


def field(kind: FieldType, options: list[str] | None = None, **extra: str) -> SourceField:
    definition = CustomFieldDef(
        entity=Entity.deals, key="k", name="K", field_type=kind, options=options or []
    )
    labels = {"7": "Partner", "8": "Messe"} if options else {}
    return SourceField(definition, labels, **extra)


CHOICES = ["Partner", "Messe", "Cold call"]


@pytest.mark.parametrize(
    ("stored", "source_field", "expected"),
    [
        (7, field(FieldType.enum, CHOICES), "Partner"),  # an option id
        ("Messe", field(FieldType.enum, CHOICES), "Messe"),  # a label
        ({"id": 8, "label": "Messe"}, field(FieldType.enum, CHOICES), "Messe"),
        ("Unknown", field(FieldType.enum, CHOICES), None),  # not an option: not invented
        ("Partner;Messe", field(FieldType.set, CHOICES, separator=";"), ["Partner", "Messe"]),
        (
            "^Partner^,^Cold call^",
            field(FieldType.set, CHOICES, quote="^"),
            ["Partner", "Cold call"],
        ),
        ([7, "Messe"], field(FieldType.set, CHOICES), ["Partner", "Messe"]),
        ("12.5", field(FieldType.double), 12.5),
        (
            {"amount": 10, "currency": "EUR"},
            field(FieldType.monetary),
            {"value": 10.0, "currency": "EUR"},
        ),
        ("2026-01-15T10:00:00Z", field(FieldType.date), "2026-01-15"),
        ("", field(FieldType.varchar), None),
    ],
)
def test_stored_values_become_canonical(
    stored: object, source_field: SourceField, expected: object
) -> None:
    assert canonical_value(source_field, stored) == expected


def test_times_are_read_in_utc_whatever_the_offset() -> None:
    raw = {"at": "2026-01-21T08:30:00+0900", "day": "2026-01-21", "ms": 1768984200000}
    assert utc_date("at")(raw) == "2026-01-20" and utc_hhmm("at")(raw) == "23:30"
    assert utc_date("day")(raw) == "2026-01-21" and utc_hhmm("day")(raw) is None
    assert utc_time("ms")(raw) == "2026-01-21T08:30:00Z"


def test_names_links_and_contact_points() -> None:
    raw = {
        "first": "Jürgen",
        "last": " Weiß ",
        "org": {"id": 42},
        "emails": [{"email": "a@x.de", "type": "Office"}, {"email": "b@x.de", "type": "home"}],
    }
    assert joined("first", "last")(raw) == "Jürgen Weiß"
    assert ref("org")(raw) == "42" and ref("missing")(raw) is None
    points = contact_points(
        "emails", value_key="email", label_key="type", labels={"office": "work"}
    )(raw)
    assert [(p.value, p.label, p.primary) for p in points] == [
        ("a@x.de", "work", True),
        ("b@x.de", "home", False),
    ]
