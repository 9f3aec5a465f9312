"""Shapes of nested values in v2 bodies (addresses, e-mails and phones, prices, participants)
and the link fields, as validators shared by the entity specs and their rules."""

from __future__ import annotations

from adapters.core.canonical import Entity
from adapters.pipedrive.emulator import validators as v

VISIBILITY = v.one_of((1, 3, 5, 7), v.integer)
ADDRESS = v.obj(
    {
        key: v.string
        for key in (
            "value", "country", "admin_area_level_1", "admin_area_level_2", "locality",
            "sublocality", "route", "street_number", "subpremise", "postal_code",
        )
    }
)  # fmt: skip
CONTACT = v.obj(
    {"value": v.string, "primary": v.boolean, "label": v.string},
    required=("value",),
    defaults={"primary": False, "label": "work"},
)
PRICE = v.obj(
    {
        "currency": v.string,
        "price": v.number,
        "cost": v.number,
        "direct_cost": v.nullable(v.number),
        "notes": v.string,
    },
    required=("currency", "price"),
    defaults={"cost": 0, "direct_cost": None, "notes": ""},
)
PARTICIPANT = v.obj(
    {"person_id": v.ref(Entity.persons, "Person"), "primary": v.boolean},
    required=("person_id",),
    defaults={"primary": False},
)
ATTENDEE = v.obj(
    {
        "email": v.string,
        "name": v.string,
        "status": v.string,
        "is_organizer": v.boolean,
        "person_id": v.integer,
        "user_id": v.integer,
    }
)
ORG = v.nullable(v.ref(Entity.organizations, "Organization"))
PERSON = v.nullable(v.ref(Entity.persons, "Person"))
DEAL = v.nullable(v.ref(Entity.deals, "Deal"))
