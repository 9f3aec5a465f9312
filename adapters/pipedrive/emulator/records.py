"""Create, update and delete v2 records: one implementation for every entity, driven by its
`EntitySpec`. Seeding goes through here too, so seeded data obeys the same rules."""

from __future__ import annotations

from typing import Any

from adapters.pipedrive.emulator import validators as v
from adapters.pipedrive.emulator.entities import EntitySpec
from adapters.pipedrive.emulator.errors import BadRequest, NotFound
from adapters.pipedrive.emulator.fields import validate_custom_value
from adapters.pipedrive.emulator.state import AccountState


def create(state: AccountState, spec: EntitySpec, body: Any, now: str) -> dict[str, Any]:
    changes = validate_body(state, spec, body, creating=True)
    record = spec.new_record()
    record["add_time"] = now
    if spec.owned:
        record["owner_id"] = state.token_user_id
    _apply(record, changes)
    record["update_time"] = now
    if spec.finalize is not None:
        spec.finalize(state, record, changes, True, now)
    return state.store(spec.entity).insert(record)


def update(
    state: AccountState, spec: EntitySpec, record_id: int, body: Any, now: str
) -> dict[str, Any]:
    record = get(state, spec, record_id)
    changes = validate_body(state, spec, body, creating=False)
    # Work on a copy so that a rule failing half-way leaves the stored record untouched.
    updated = {**record, "custom_fields": dict(record.get("custom_fields", {}))}
    _apply(updated, changes)
    updated["update_time"] = now
    if spec.finalize is not None:
        spec.finalize(state, updated, changes, False, now)
    record.clear()
    record.update(updated)
    return record


def delete(state: AccountState, spec: EntitySpec, record_id: int) -> None:
    if not state.store(spec.entity).remove(record_id):
        raise _not_found(spec)


def get(state: AccountState, spec: EntitySpec, record_id: int) -> dict[str, Any]:
    record = state.store(spec.entity).get(record_id)
    if record is None:
        raise _not_found(spec)
    return record


def _not_found(spec: EntitySpec) -> NotFound:
    return NotFound(f"{spec.label} not found.")


def validate_body(
    state: AccountState, spec: EntitySpec, body: Any, *, creating: bool
) -> dict[str, Any]:
    """The body's fields, checked and converted; raises BadRequest naming the first problem."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    if creating:
        missing = [key for key in spec.required if body.get(key) is None]
        if missing:
            raise BadRequest(f"Validation failed: {missing[0]}: is required")
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "custom_fields" and spec.custom_fields:
            changes[key] = _validate_custom_fields(state, spec, value)
            continue
        validator = spec.body.get(key)
        if validator is None:
            raise BadRequest(f"Validation failed: {key}: unknown field for {spec.label}")
        try:
            changes[key] = validator(value, state)
        except v.Invalid as exc:
            raise BadRequest(f"Validation failed: {exc.describe(key)}") from None
    return changes


def _validate_custom_fields(state: AccountState, spec: EntitySpec, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest("Validation failed: custom_fields: must be an object")
    field_set = state.fields[spec.entity]
    checked: dict[str, Any] = {}
    for code, field_value in value.items():
        definition = field_set.custom(code)
        if definition is None:
            raise BadRequest(f"Validation failed: custom_fields.{code}: unknown custom field")
        try:
            checked[code] = (
                None
                if field_value is None
                else validate_custom_value(definition, field_value, state)
            )
        except v.Invalid as exc:
            where = exc.describe(f"custom_fields.{code}")
            raise BadRequest(f"Validation failed: {where}") from None
    return checked


def _apply(record: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if key == "custom_fields":
            _merge_custom_fields(record, value)
        else:
            record[key] = value


def _merge_custom_fields(record: dict[str, Any], values: dict[str, Any]) -> None:
    # null clears a custom field; unset ones are simply absent from the record.
    custom = record.setdefault("custom_fields", {})
    for code, value in values.items():
        if value is None:
            custom.pop(code, None)
        else:
            custom[code] = value
