"""The `*Fields` of persons, organizations, deals and products: the standard fields every
company has and the custom fields it creates, each custom one under a 40-character hash key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adapters.core.canonical import Entity
from adapters.pipedrive.emulator import validators as v
from adapters.pipedrive.emulator.errors import BadRequest, NotFound

if TYPE_CHECKING:
    from adapters.pipedrive.emulator.state import AccountState

# Field types POST /{entity}Fields accepts (the spec's enum).
CREATABLE_TYPES = (
    "varchar", "text", "double", "phone", "date", "daterange", "time", "timerange",
    "set", "enum", "varchar_auto", "address", "monetary", "org", "people", "user",
)  # fmt: skip
OPTION_TYPES = ("enum", "set")

_MONETARY_SUBFIELDS = ("value", "double", "Amount"), ("currency", "varchar", "Currency")
_ADDRESS_SUBFIELDS = (
    ("value", "varchar", "Full address"),
    ("country", "varchar", "Country"),
    ("locality", "varchar", "City/town/village/locality"),
    ("route", "varchar", "Street/road name"),
    ("street_number", "varchar", "House number"),
    ("postal_code", "varchar", "ZIP/Postal code"),
)

# (field_code, field_name, field_type) of the standard fields, per entity.
STANDARD_FIELDS: dict[Entity, tuple[tuple[str, str, str], ...]] = {
    Entity.persons: (
        ("name", "Name", "varchar"),
        ("first_name", "First name", "varchar"),
        ("last_name", "Last name", "varchar"),
        ("emails", "Email", "varchar"),
        ("phones", "Phone", "phone"),
        ("org_id", "Organization", "org"),
        ("owner_id", "Owner", "user"),
        ("visible_to", "Visible to", "visible_to"),
        ("label_ids", "Label", "set"),
    ),
    Entity.organizations: (
        ("name", "Name", "varchar"),
        ("address", "Address", "address"),
        ("owner_id", "Owner", "user"),
        ("visible_to", "Visible to", "visible_to"),
        ("label_ids", "Label", "set"),
    ),
    Entity.deals: (
        ("title", "Title", "varchar"),
        ("value", "Value", "monetary"),
        ("person_id", "Contact person", "people"),
        ("org_id", "Organization", "org"),
        ("stage_id", "Stage", "stage"),
        ("status", "Status", "status"),
        ("owner_id", "Owner", "user"),
        ("expected_close_date", "Expected close date", "date"),
        ("lost_reason", "Lost reason", "varchar"),
        ("visible_to", "Visible to", "visible_to"),
        ("label_ids", "Label", "set"),
    ),
    Entity.products: (
        ("name", "Name", "varchar"),
        ("code", "Product code", "varchar"),
        ("unit", "Unit", "varchar"),
        ("tax", "Tax", "double"),
        ("prices", "Price", "price_list"),
        ("owner_id", "Owner", "user"),
        ("visible_to", "Visible to", "visible_to"),
        ("billing_frequency", "Billing frequency", "billing_frequency"),
    ),
}


# The fields of entities whose fields the emulator serves but does not let clients add to.
READ_ONLY_STANDARD_FIELDS: dict[Entity, tuple[tuple[str, str, str], ...]] = {
    Entity.activities: (
        ("subject", "Subject", "varchar"),
        ("type", "Type", "varchar_options"),
        ("due_date", "Due date", "date"),
        ("due_time", "Due time", "time"),
        ("duration", "Duration", "time"),
        ("owner_id", "Assigned to user", "user"),
        ("deal_id", "Deal", "deal"),
        ("lead_id", "Lead", "lead"),
        ("person_id", "Contact person", "people"),
        ("org_id", "Organization", "org"),
        ("project_id", "Project", "project"),
        ("location", "Location", "address"),
        ("busy", "Free/busy", "boolean"),
        ("done", "Done", "boolean"),
        ("note", "Note", "text"),
        ("public_description", "Public description", "text"),
    ),
    Entity.notes: (
        ("content", "Content", "text"),
        ("deal_id", "Deal", "deal"),
        ("lead_id", "Lead", "lead"),
        ("person_id", "Person", "people"),
        ("org_id", "Organization", "org"),
        ("user_id", "User", "user"),
        ("pinned_to_deal_flag", "Pinned to deal", "boolean"),
        ("pinned_to_lead_flag", "Pinned to lead", "boolean"),
        ("pinned_to_person_flag", "Pinned to person", "boolean"),
        ("pinned_to_organization_flag", "Pinned to organization", "boolean"),
    ),
}


# Persons', organizations' and deals' labels are the options of their `label_ids` field, a
# system field every company has; a new company starts with Pipedrive's default labels.
LABEL_FIELD = "label_ids"
DEFAULT_LABELS: dict[Entity, tuple[tuple[str, str], ...]] = {
    Entity.persons: (("Customer", "green"), ("Hot lead", "red"), ("Warm lead", "yellow"),
                     ("Cold lead", "blue")),
    Entity.organizations: (("Customer", "green"), ("Hot lead", "red"), ("Warm lead", "yellow"),
                           ("Cold lead", "blue")),
    Entity.deals: (("Hot", "red"), ("Warm", "yellow"), ("Cold", "blue")),
}  # fmt: skip
MAX_OPTION_LABEL = 255


@dataclass
class FieldOption:
    id: int
    label: str
    color: str | None = None  # labels have one (the defaults); other options none


@dataclass
class FieldDef:
    code: str
    name: str
    field_type: str
    is_custom: bool
    options: list[FieldOption] | None = None
    add_time: str | None = None

    def __post_init__(self) -> None:
        # Options are only ever added to; indexed for value checks.
        self._id_by_label = {option.label: option.id for option in self.options or ()}
        self._option_ids = set(self._id_by_label.values())

    def add_option(self, option: FieldOption) -> None:
        assert self.options is not None
        self.options.append(option)
        self._id_by_label.setdefault(option.label, option.id)
        self._option_ids.add(option.id)

    def option_id(self, label: str) -> int | None:
        return self._id_by_label.get(label)

    def has_option(self, option_id: int) -> bool:
        return option_id in self._option_ids

    def subfields(self) -> list[dict[str, str]] | None:
        rows = {"monetary": _MONETARY_SUBFIELDS, "address": _ADDRESS_SUBFIELDS}.get(self.field_type)
        if rows is None:
            return None
        prefix = f"{self.code}_" if self.is_custom else ""
        return [
            {"field_code": f"{prefix}{code}", "field_name": f"{name}", "field_type": kind}
            for code, kind, name in rows
        ]


@dataclass
class FieldSet:
    """The fields of one entity in one company, in creation order."""

    fields: list[FieldDef] = field(default_factory=list)
    by_code: dict[str, FieldDef] = field(default_factory=dict)

    def add(self, definition: FieldDef) -> FieldDef:
        self.fields.append(definition)
        self.by_code[definition.code] = definition
        return definition

    def custom(self, code: str) -> FieldDef | None:
        definition = self.by_code.get(code)
        return definition if definition is not None and definition.is_custom else None


def standard_field_set(entity: Entity) -> FieldSet:
    field_set = FieldSet()
    for code, name, kind in {**STANDARD_FIELDS, **READ_ONLY_STANDARD_FIELDS}[entity]:
        options: list[FieldOption] | None = [] if code == LABEL_FIELD else None
        field_set.add(FieldDef(code=code, name=name, field_type=kind, is_custom=False,
                               options=options))  # fmt: skip
    return field_set


def add_default_labels(state: AccountState) -> None:
    for entity, labels in DEFAULT_LABELS.items():
        definition = state.fields[entity].by_code[LABEL_FIELD]
        for label, color in labels:
            definition.add_option(FieldOption(state.next_option_id(), label, color))


def label_ids(entity: Entity) -> v.Validator:
    """A record's `label_ids`: ids of options of its entity's label field."""

    def check(value: Any, state: AccountState) -> list[int]:
        definition = state.fields[entity].by_code[LABEL_FIELD]
        ids = v.list_of(v.integer)(value, state)
        for index, option_id in enumerate(ids):
            if not definition.has_option(option_id):
                raise v.Invalid(f"label {option_id} does not exist", f"[{index}]")
        return list(dict.fromkeys(ids))

    return check


_NEW_OPTION = v.obj({"label": v.non_empty_string}, required=("label",))


def add_field_options(
    state: AccountState, entity: Entity, code: str, body: Any
) -> list[FieldOption]:
    """POST /{entity}Fields/{field_code}/options: an array of {label}, at least one, added all
    or none; answers only the new options."""
    definition = account_fields(state, entity).by_code.get(code)
    if definition is None:
        raise NotFound("Field not found.")
    if definition.options is None:
        raise BadRequest(f"Field {code} is of type {definition.field_type}, which has no options.")
    if not isinstance(body, list) or not body:
        raise BadRequest("Validation failed: the body must be a non-empty array of options")
    labels = []
    for index, item in enumerate(body):
        try:
            label = _NEW_OPTION(item, state)["label"]
        except v.Invalid as exc:
            raise BadRequest(f"Validation failed: {exc.describe(f'[{index}]')}") from None
        if len(label) > MAX_OPTION_LABEL:
            raise BadRequest(f"Validation failed: [{index}].label: longer than 255 characters")
        labels.append(label)
    added = [FieldOption(state.next_option_id(), label) for label in labels]
    for option in added:
        definition.add_option(option)
    return added


def field_code(account_id: str, serial: int) -> str:
    """A 40-character lowercase hex key that differs per company, as Pipedrive's do; derived
    from the account and a counter so that re-seeding an account gives the same keys."""
    return hashlib.sha1(f"{account_id}:field:{serial}".encode()).hexdigest()


_ADDRESS_VALUE = v.obj({code: v.string for code, _, _ in _ADDRESS_SUBFIELDS})
_MONETARY_VALUE = v.obj({"value": v.number, "currency": v.string}, required=("value",))


def validate_custom_value(definition: FieldDef, value: Any, state: AccountState) -> Any:
    """Check a value written to a custom field; returns what to store."""
    kind = definition.field_type
    if kind in ("varchar", "varchar_auto", "text", "phone"):
        return v.string(value, state)
    if kind == "double":
        return v.number(value, state)
    if kind == "monetary":
        return _MONETARY_VALUE(value, state)
    if kind == "date":
        return v.date_string(value, state)
    if kind == "time":
        return v.time_of_day(value, state)
    if kind == "enum":
        return _option_id(definition, value, state)
    if kind == "set":
        return _option_ids(definition, value, state)
    if kind == "address":
        return _ADDRESS_VALUE(value, state)
    if kind == "org":
        return v.ref(Entity.organizations, "Organization")(value, state)
    if kind == "people":
        return v.ref(Entity.persons, "Person")(value, state)
    if kind == "user":
        return v.user_ref(value, state)
    if kind == "daterange":
        return v.obj({"start": v.date_string, "end": v.date_string}, required=("start",))(
            value, state
        )
    if kind == "timerange":
        return v.obj({"start": v.time_of_day, "end": v.time_of_day}, required=("start",))(
            value, state
        )
    return value


def _option_id(definition: FieldDef, value: Any, state: AccountState) -> int:
    option_id = v.integer(value, state)
    if not definition.has_option(option_id):
        raise v.Invalid(f"option {option_id} does not exist for this field")
    return option_id


def _option_ids(definition: FieldDef, value: Any, state: AccountState) -> list[int]:
    # The spec: "sending an empty array [] is not supported and will result in a validation error".
    if not isinstance(value, list) or not value:
        raise v.Invalid("must be a non-empty array of option ids (use null to clear)")
    ids = [_option_id(definition, element, state) for element in value]
    if len(set(ids)) != len(ids):
        raise v.Invalid("contains the same option twice")
    return ids


_OPTION = v.obj({"label": v.non_empty_string}, required=("label",))
_FIELD_BODY: dict[str, v.Validator] = {
    "field_name": v.non_empty_string,
    "field_type": v.one_of(CREATABLE_TYPES),
    "options": v.list_of(_OPTION),
    # Display settings: accepted, not modelled.
    "ui_visibility": v.obj({}, allow_unknown=True),
    "important_fields": v.obj({}, allow_unknown=True),
    "required_fields": v.obj({}, allow_unknown=True),
}


def create_custom_field(state: AccountState, entity: Entity, body: Any, now: str) -> FieldDef:
    """POST /{entity}Fields: `field_name`, `field_type`, and `options` for enum and set."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    for key in ("field_name", "field_type"):
        if body.get(key) is None:
            raise BadRequest(f"Validation failed: {key}: is required")
    checked = _check_field_body(state, body)
    kind = checked["field_type"]
    labels = [option["label"] for option in checked.get("options", [])]
    if kind in OPTION_TYPES and not labels:
        raise BadRequest(f"Validation failed: options: a field of type {kind} needs options")
    if kind not in OPTION_TYPES and labels:
        raise BadRequest(f"Validation failed: options: a field of type {kind} has no options")
    options = [FieldOption(state.next_option_id(), label) for label in labels]
    definition = FieldDef(
        code=state.next_field_code(),
        name=checked["field_name"],
        field_type=kind,
        is_custom=True,
        options=options if kind in OPTION_TYPES else None,
        add_time=now,
    )
    return state.fields[entity].add(definition)


def _check_field_body(state: AccountState, body: dict[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in body.items():
        validator = _FIELD_BODY.get(key)
        if validator is None:
            raise BadRequest(f"Validation failed: {key}: unknown field")
        try:
            checked[key] = validator(value, state)
        except v.Invalid as exc:
            raise BadRequest(f"Validation failed: {exc.describe(key)}") from None
    return checked


# Shared by every company: nothing changes them.
READ_ONLY_FIELD_SETS: dict[Entity, FieldSet] = {
    entity: standard_field_set(entity) for entity in READ_ONLY_STANDARD_FIELDS
}


def account_fields(state: AccountState, entity: Entity) -> FieldSet:
    """The fields of `entity` in a company: its own, or the read-only ones every company has."""
    read_only = READ_ONLY_FIELD_SETS.get(entity)
    return state.fields[entity] if read_only is None else read_only
