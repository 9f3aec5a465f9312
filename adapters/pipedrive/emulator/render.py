"""Stored state -> the JSON Pipedrive answers with.

Empty values: the spec marks some response fields `nullable`; those are answered as null,
every other empty field is left out (the spec types them as plain integers or strings)."""

from __future__ import annotations

import hashlib
from typing import Any

from adapters.core.canonical import Entity
from adapters.pipedrive.emulator.clock import v1_time
from adapters.pipedrive.emulator.entities import EntitySpec
from adapters.pipedrive.emulator.fields import FieldDef, FieldOption
from adapters.pipedrive.emulator.state import AccountState, ActivityType, User


def v2_record(
    spec: EntitySpec, record: dict[str, Any], custom_keys: frozenset[str] | None = None
) -> dict[str, Any]:
    """`custom_keys`: the custom fields asked for (the `custom_fields` parameter), None for all."""
    rendered = {
        key: value for key, value in record.items() if value is not None or key in spec.nullable
    }
    if "custom_fields" in record:
        rendered["custom_fields"] = {
            key: value
            for key, value in record["custom_fields"].items()
            if custom_keys is None or key in custom_keys
        }
    if spec.entity is Entity.products:
        rendered["prices"] = [{**price, "product_id": record["id"]} for price in record["prices"]]
    return rendered


def field(definition: FieldDef) -> dict[str, Any]:
    options = definition.options
    return {
        "field_name": definition.name,
        "field_code": definition.code,
        "field_type": definition.field_type,
        "options": field_options(options),
        "subfields": definition.subfields(),
        "is_custom_field": definition.is_custom,
        "is_optional_response_field": False,
    }


def field_options(options: list[FieldOption] | None) -> list[dict[str, Any]] | None:
    if options is None:
        return None
    return [
        {"id": o.id, "label": o.label, **({"color": o.color} if o.color else {})} for o in options
    ]


# v1 names some standard fields differently from v2.
_V1_KEYS = {
    Entity.persons: {"emails": "email", "phones": "phone"},
    Entity.deals: {"owner_id": "user_id"},
    Entity.activities: {"owner_id": "user_id"},
}


def v1_field(entity: Entity, definition: FieldDef, field_id: int) -> dict[str, Any]:
    """A v1 `*Fields` entry; `field_id` is its position among the entity's fields."""
    options = definition.options
    added = v1_time(definition.add_time) if definition.add_time else V1_EPOCH
    rendered: dict[str, Any] = {
        "id": field_id,
        "key": _V1_KEYS.get(entity, {}).get(definition.code, definition.code),
        "name": definition.name,
        "order_nr": field_id,
        "field_type": definition.field_type,
        # Fields are not changed after creation here; who made them is not kept (left out).
        "add_time": added,
        "update_time": added,
        "active_flag": True,
        "edit_flag": definition.is_custom,
        "index_visible_flag": True,
        "details_visible_flag": True,
        "add_visible_flag": True,
        "important_flag": False,
        "bulk_edit_allowed": True,
        "searchable_flag": False,
        "filtering_allowed": True,
        "sortable_flag": True,
        "mandatory_flag": definition.code in ("name", "title", "subject", "content"),
        "options": field_options(options),
    }
    subfields = definition.subfields()
    if subfields is not None:
        rendered["subfields"] = [
            {"key": sub["field_code"], "name": sub["field_name"], "field_type": sub["field_type"]}
            for sub in subfields
        ]
    return rendered


# The add time v1 gives the standard fields, which every company has had from the start.
V1_EPOCH = "2010-01-01 00:00:00"


def user(state: AccountState, account: User) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "default_currency": account.default_currency,
        "locale": "en_US",
        "lang": 1,
        "email": account.email,
        "phone": None,
        "activated": account.active,
        "created": v1_time(account.created),
        "modified": v1_time(account.created),
        "has_created_company": account.id == 1,
        "access": [{"app": "sales", "admin": account.is_admin}],
        "active_flag": account.active,
        "timezone_name": "UTC",
        "timezone_offset": "+00:00",
        "role_id": 1,
        "icon_url": None,
        "is_you": account.id == state.token_user_id,
        "is_deleted": False,
        # Not in the spec's user schema; migrators look for admins to back-date records.
        "is_admin": account.is_admin,
    }


def company_id(account_id: str) -> int:
    return int(hashlib.sha256(account_id.encode()).hexdigest()[:10], 16)


def current_user(state: AccountState) -> dict[str, Any]:
    return {
        **user(state, state.token_user),
        # Real companies have ids unique across Pipedrive; Ferry's ledger tells them apart by it.
        "company_id": company_id(state.account_id),
        "company_name": state.account_id,
        "company_domain": state.account_id,
        "language": {"language_code": "en", "country_code": "US"},
    }


def activity_type(entry: ActivityType) -> dict[str, Any]:
    return {
        "id": entry.id,
        "order_nr": entry.order_nr,
        "name": entry.name,
        "key_string": entry.key,
        "icon_key": entry.key,
        "active_flag": True,
        "color": "FFFFFF",
        "is_custom_flag": False,
        "add_time": v1_time(entry.add_time),
        "update_time": v1_time(entry.add_time),
    }


def note(state: AccountState, record: dict[str, Any]) -> dict[str, Any]:
    """A v1 note, with the names of what it is attached to embedded as v1 does."""
    rendered: dict[str, Any] = {
        "id": record["id"],
        "active_flag": True,
        "add_time": v1_time(record["add_time"]),
        "update_time": v1_time(record["update_time"]),
        "content": record["content"],
        "user_id": record["user_id"],
        "last_update_user_id": record["user_id"],
        **{key: record[key] for key in NOTE_LINKS if record[key]},
        **{flag: record[flag] for flag in PINNED_FLAGS},
    }
    _embed(rendered, "deal", state.store(Entity.deals).get(record["deal_id"] or 0), "title")
    _embed(rendered, "person", state.store(Entity.persons).get(record["person_id"] or 0), "name")
    org = state.store(Entity.organizations).get(record["org_id"] or 0)
    _embed(rendered, "organization", org, "name")
    author = state.users.get(record["user_id"])
    if author is not None:
        rendered["user"] = {
            "email": author.email,
            "is_you": author.id == state.token_user_id,
            "name": author.name,
        }
    return rendered


NOTE_LINKS = ("deal_id", "person_id", "org_id", "lead_id")
PINNED_FLAGS = (
    "pinned_to_lead_flag",
    "pinned_to_deal_flag",
    "pinned_to_organization_flag",
    "pinned_to_person_flag",
)


def _embed(target: dict[str, Any], key: str, linked: dict[str, Any] | None, attr: str) -> None:
    if linked is not None:
        target[key] = {attr: linked[attr]}
