"""The v1 API, for what v2 does not cover: users, activity types and notes; and v1's
`*Fields` reads, which extractors written against v1 still make."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from starlette.datastructures import QueryParams
from starlette.routing import Route

from adapters.core.canonical import Entity
from adapters.pipedrive.costs import V1_FIELD_COLLECTIONS, V1_FLAT_FIELD_COLLECTIONS
from adapters.pipedrive.emulator import render
from adapters.pipedrive.emulator.clock import normalize_rfc3339
from adapters.pipedrive.emulator.endpoint import Call, Context, Reply, v1_route
from adapters.pipedrive.emulator.errors import BadRequest, NotFound
from adapters.pipedrive.emulator.fields import account_fields
from adapters.pipedrive.emulator.notes import create_note, delete_note, get_note, update_note
from adapters.pipedrive.emulator.pagination import start_limit_page
from adapters.pipedrive.emulator.params import refuse_unsupported

_NOTE_FILTERS = ("deal_id", "person_id", "org_id", "user_id")
_NOTE_FLAGS = (
    "pinned_to_lead_flag",
    "pinned_to_deal_flag",
    "pinned_to_organization_flag",
    "pinned_to_person_flag",
)
# What GET /notes documents and the emulator does not implement (see `params`).
_NOTE_UNSUPPORTED = (
    "project_id", "task_id", "sort", "start_date", "end_date",
    "pinned_to_project_flag", "pinned_to_task_flag",
)  # fmt: skip


def routes(context: Context) -> list[Route]:
    def route(method: str, path: str, handler: Callable[[Call], Any]) -> Route:
        return v1_route(context, method, path, handler)

    return [
        route("GET", "/users", list_users),
        route("GET", "/users/me", current_user),
        route("GET", "/users/{id}", get_user),
        route("GET", "/activityTypes", list_activity_types),
        route("GET", "/notes", list_notes),
        route("POST", "/notes", add_note),
        route("GET", "/notes/{id}", get_one_note),
        route("PUT", "/notes/{id}", put_note),
        route("DELETE", "/notes/{id}", remove_note),
        *_field_routes(route),
    ]


def _field_routes(route: Callable[[str, str, Callable[[Call], Any]], Route]) -> list[Route]:
    result: list[Route] = []
    for entity, collection in V1_FIELD_COLLECTIONS.items():
        result += [
            route("GET", f"/{collection}", _field_lister(entity, paged=True)),
            route("GET", f"/{collection}/{{id}}", _field_getter(entity)),
        ]
    for entity, collection in V1_FLAT_FIELD_COLLECTIONS.items():
        result.append(route("GET", f"/{collection}", _field_lister(entity, paged=False)))
    return result


def _field_lister(entity: Entity, *, paged: bool) -> Callable[[Call], Any]:
    async def list_fields(call: Call) -> Reply:
        fields = account_fields(call.state, entity).fields
        rows = [{"id": n, "field": f} for n, f in enumerate(fields, start=1)]
        if paged:
            page, pagination = start_limit_page(call.request.query_params, rows)
        else:  # the spec documents no paging for these: all in one answer
            page = rows
            pagination = {"start": 0, "limit": len(rows), "more_items_in_collection": False}
        data = [render.v1_field(entity, row["field"], row["id"]) for row in page]
        return Reply({"success": True, "data": data, "additional_data": {"pagination": pagination}})

    return list_fields


def _field_getter(entity: Entity) -> Callable[[Call], Any]:
    async def get_field(call: Call) -> Reply:
        fields = account_fields(call.state, entity).fields
        field_id = call.path_params["id"]
        if not 1 <= field_id <= len(fields):
            raise NotFound("Field not found.")
        return Reply(
            {"success": True, "data": render.v1_field(entity, fields[field_id - 1], field_id)}
        )

    return get_field


async def list_users(call: Call) -> Reply:
    data = [render.user(call.state, user) for user in call.state.users.values()]
    return Reply({"success": True, "data": data})


async def current_user(call: Call) -> Reply:
    return Reply({"success": True, "data": render.current_user(call.state)})


async def get_user(call: Call) -> Reply:
    user = call.state.users.get(call.path_params["id"])
    if user is None:
        raise NotFound("User not found.")
    return Reply({"success": True, "data": render.user(call.state, user)})


async def list_activity_types(call: Call) -> Reply:
    data = [render.activity_type(entry) for entry in call.state.activity_types]
    return Reply({"success": True, "data": data})


async def list_notes(call: Call) -> Reply:
    params = call.request.query_params
    refuse_unsupported(params, _NOTE_UNSUPPORTED)
    notes = _matching_notes(call, params)
    page, pagination = start_limit_page(params, notes)
    data = [render.note(call.state, note) for note in page]
    return Reply({"success": True, "data": data, "additional_data": {"pagination": pagination}})


def _matching_notes(call: Call, params: QueryParams) -> Iterator[dict[str, Any]]:
    wanted: dict[str, int] = {}
    for key in _NOTE_FILTERS:
        if (text := params.get(key)) is not None:
            if not text.isdigit():
                raise BadRequest(f"{key} must be an integer.")
            wanted[key] = int(text)
    for flag in _NOTE_FLAGS:
        if (text := params.get(flag)) is not None:
            if text not in ("0", "1"):
                raise BadRequest(f"{flag} must be 0 or 1.")
            wanted[flag] = text == "1"
    lead_id = params.get("lead_id")
    since = params.get("updated_since")
    since_stored = normalize_rfc3339(since) if since else None
    if since and since_stored is None:
        raise BadRequest("updated_since must be an RFC 3339 date-time.")
    for note in call.state.store(Entity.notes).after(0):
        if (
            all(note[key] == value for key, value in wanted.items())
            and (lead_id is None or note["lead_id"] == lead_id)
            and (since_stored is None or note["update_time"] >= since_stored)
        ):
            yield note


async def add_note(call: Call) -> Reply:
    note = create_note(call.state, await call.json(), call.now)
    return Reply({"success": True, "data": render.note(call.state, note)})


async def get_one_note(call: Call) -> Reply:
    note = get_note(call.state, call.path_params["id"])
    return Reply({"success": True, "data": render.note(call.state, note)})


async def put_note(call: Call) -> Reply:
    note = update_note(call.state, call.path_params["id"], await call.json(), call.now)
    return Reply({"success": True, "data": render.note(call.state, note)})


async def remove_note(call: Call) -> Reply:
    delete_note(call.state, call.path_params["id"])
    return Reply({"success": True, "data": True})  # the spec's DeleteNoteResponse
