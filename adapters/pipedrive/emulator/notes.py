"""v1 notes: `content` plus at least one parent (deal, person, organization or lead).

`PUT /v1/notes/{id}` changes the fields it is given (the spec's `noteRequest`, none required) and
keeps the note attached to something; every write sets a new `update_time`. v1 is looser than
v2 about types: ids may come as numeric strings, flags as 0/1."""

from __future__ import annotations

from typing import Any

from adapters.core.canonical import Entity
from adapters.pipedrive.emulator.clock import parse_v1_time
from adapters.pipedrive.emulator.errors import BadRequest, NotFound
from adapters.pipedrive.emulator.render import PINNED_FLAGS
from adapters.pipedrive.emulator.state import AccountState

PARENTS: dict[str, tuple[Entity, str]] = {
    "deal_id": (Entity.deals, "Deal"),
    "person_id": (Entity.persons, "Person"),
    "org_id": (Entity.organizations, "Organization"),
}
_ACCEPTED = {"content", "lead_id", "user_id", "add_time", *PARENTS, *PINNED_FLAGS}


def create_note(state: AccountState, body: Any, now: str) -> dict[str, Any]:
    record = {**_changes(state, body, now, creating=True), "update_time": now}
    _check_attached(record)
    return state.store(Entity.notes).insert(record)


def update_note(state: AccountState, note_id: int, body: Any, now: str) -> dict[str, Any]:
    note = get_note(state, note_id)
    updated = {**note, **_changes(state, body, now, creating=False), "update_time": now}
    _check_attached(updated)
    note.update(updated)
    return note


def delete_note(state: AccountState, note_id: int) -> None:
    if not state.store(Entity.notes).remove(note_id):
        raise NotFound("Note not found.")


def _changes(state: AccountState, body: Any, now: str, *, creating: bool) -> dict[str, Any]:
    """The body's fields, checked: on a create every field (absent ones take their defaults),
    on an update only those given."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    unknown = sorted(set(body) - _ACCEPTED)
    if unknown:
        raise BadRequest(f"Unknown field(s): {', '.join(unknown)}")
    changes: dict[str, Any] = {}
    if creating or "content" in body:
        content = body.get("content")
        if not isinstance(content, str) or not content.strip():
            raise BadRequest("Note content is required.")
        changes["content"] = content
    if creating or "lead_id" in body:
        changes["lead_id"] = _lead_id(state, body.get("lead_id"))
    for key, (entity, label) in PARENTS.items():
        if creating or key in body:
            changes[key] = _parent_id(state, body.get(key), entity, label)
    if creating or body.get("user_id") is not None:
        changes["user_id"] = _author(state, body.get("user_id"))
    if creating or body.get("add_time") is not None:
        changes["add_time"] = _add_time(body.get("add_time"), now)
    for flag in PINNED_FLAGS:
        if creating or flag in body:
            changes[flag] = _flag(body.get(flag), flag)
    return changes


def _check_attached(record: dict[str, Any]) -> None:
    if not any(record[key] for key in (*PARENTS, "lead_id")):
        raise BadRequest("Note must be attached to a deal, person, organization or lead.")


def get_note(state: AccountState, note_id: int) -> dict[str, Any]:
    note = state.store(Entity.notes).get(note_id)
    if note is None:
        raise NotFound("Note not found.")
    return note


def _loose_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise BadRequest(f"{name} must be an integer.")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise BadRequest(f"{name} must be an integer.")


def _parent_id(state: AccountState, value: Any, entity: Entity, label: str) -> int | None:
    if value is None:
        return None
    parent_id = _loose_int(value, f"{label} id")
    if state.store(entity).get(parent_id) is None:
        raise BadRequest(f"{label} not found.")
    return parent_id


def _lead_id(state: AccountState, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest("lead_id must be a string (a UUID).")
    if value not in state.leads:
        raise BadRequest("Lead not found.")
    return value


def _author(state: AccountState, value: Any) -> int:
    if value is None:
        return state.token_user_id
    user_id = _loose_int(value, "user_id")
    if user_id not in state.users:
        raise BadRequest("User not found.")
    return user_id


def _add_time(value: Any, now: str) -> str:
    if value is None:
        return now
    parsed = parse_v1_time(value) if isinstance(value, str) else None
    if parsed is None:
        raise BadRequest("add_time must be in the format YYYY-MM-DD HH:MM:SS.")
    return parsed


def _flag(value: Any, name: str) -> bool:
    if value is None:
        return False
    if value in (0, 1, "0", "1", True, False):
        return value in (1, "1", True)
    raise BadRequest(f"{name} must be 0 or 1.")
