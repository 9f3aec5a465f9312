"""The v2 API: `/api/v2/{collection}` CRUD for the seven record entities, configured per
entity by its `EntitySpec`, and the `/api/v2/{entity}Fields` endpoints.

Lists take the spec's filters (deals' `status` one or several, comma-separated), `ids`,
`updated_since`/`updated_until`, `sort_by`/`sort_direction` and `custom_fields`; the documented
parameters they do not implement (`filter_id`, `include_fields`...) are refused (`params`).

Archived deals are not in `GET /deals` (since July 2025): `GET /deals/archived` lists them,
with the same parameters and answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from starlette.datastructures import QueryParams
from starlette.routing import Route

from adapters.core.canonical import Entity
from adapters.pipedrive.costs import (
    FIELD_COLLECTIONS,
    READ_ONLY_FIELD_COLLECTIONS,
    V2_COLLECTIONS,
)
from adapters.pipedrive.emulator import records, render
from adapters.pipedrive.emulator.clock import normalize_rfc3339
from adapters.pipedrive.emulator.deal_products import drop_with_deal
from adapters.pipedrive.emulator.endpoint import Call, Context, Reply, operation
from adapters.pipedrive.emulator.entities import SPECS, EntitySpec
from adapters.pipedrive.emulator.errors import BadRequest, NotFound
from adapters.pipedrive.emulator.fields import (
    account_fields,
    add_field_options,
    create_custom_field,
)
from adapters.pipedrive.emulator.pagination import cursor_page, sorted_page
from adapters.pipedrive.emulator.params import (
    FIELD_UNSUPPORTED,
    RECORD_GET_UNSUPPORTED,
    custom_field_keys,
    refuse_unsupported,
)

PREFIX = "/{account_id}/api/v2"
MAX_IDS = 100
# Entities whose list call takes `ids` (a comma-separated list of up to 100 ids).
_TAKES_IDS = {
    Entity.persons,
    Entity.organizations,
    Entity.deals,
    Entity.activities,
    Entity.products,
}
# Collections whose archived records are listed apart, under `/{collection}/archived`.
_ARCHIVABLE = {Entity.deals}


def routes(context: Context) -> list[Route]:
    result: list[Route] = []
    for entity, collection in V2_COLLECTIONS.items():
        result += _entity_routes(context, SPECS[entity], collection)
    for entity, collection in {**FIELD_COLLECTIONS, **READ_ONLY_FIELD_COLLECTIONS}.items():
        result += _field_routes(context, entity, collection)
    return result


def _entity_routes(context: Context, spec: EntitySpec, collection: str) -> list[Route]:
    many, one = f"/{collection}", f"/{collection}/{{id}}"

    def route(method: str, path: str, handler: Callable[[Call], Any]) -> Route:
        endpoint = operation(context, method, "v2", path, handler)
        starlette_path = PREFIX + path.replace("{id}", "{id:int}")
        return Route(starlette_path, endpoint, methods=[method], include_in_schema=False)

    def lister(archived: bool) -> Callable[[Call], Any]:
        async def list_records(call: Call) -> Reply:
            params = call.request.query_params
            refuse_unsupported(params, spec.unsupported)
            keep = record_filter(spec, params, archived)
            keys = _custom_field_keys(spec, params)
            sort_by, descending = _sort(spec, params)
            store = call.state.store(spec.entity)
            if sort_by == "id" and not descending:
                page, next_cursor = cursor_page(params, store.after, keep)
            else:
                page, next_cursor = sorted_page(params, store.after(0), keep, sort_by, descending)
            data = [render.v2_record(spec, record, keys) for record in page]
            return _page(data, next_cursor)

        return list_records

    async def add_record(call: Call) -> Reply:
        record = records.create(call.state, spec, await call.json(), call.now)
        return Reply(_one(spec, record), spec.create_status)

    async def get_record(call: Call) -> Reply:
        params = call.request.query_params
        refuse_unsupported(params, RECORD_GET_UNSUPPORTED & spec.unsupported)
        keys = _custom_field_keys(spec, params)
        record = records.get(call.state, spec, call.path_params["id"])
        return Reply({"success": True, "data": render.v2_record(spec, record, keys)})

    async def update_record(call: Call) -> Reply:
        body = await call.json()
        record = records.update(call.state, spec, call.path_params["id"], body, call.now)
        return Reply(_one(spec, record))

    async def delete_record(call: Call) -> Reply:
        records.delete(call.state, spec, call.path_params["id"])
        if spec.entity is Entity.deals:
            drop_with_deal(call.state, call.path_params["id"])
        return Reply({"success": True, "data": {"id": call.path_params["id"]}})

    archived = (
        [route("GET", f"{many}/archived", lister(True))] if spec.entity in _ARCHIVABLE else []
    )
    return [
        route("GET", many, lister(False)),
        *archived,
        route("POST", many, add_record),
        route("GET", one, get_record),
        route("PATCH", one, update_record),
        route("DELETE", one, delete_record),
    ]


def _page(data: list[dict[str, Any]], next_cursor: str | None) -> Reply:
    return Reply({"success": True, "data": data, "additional_data": {"next_cursor": next_cursor}})


def _one(spec: EntitySpec, record: dict[str, Any]) -> dict[str, Any]:
    return {"success": True, "data": render.v2_record(spec, record)}


def _custom_field_keys(spec: EntitySpec, params: QueryParams) -> frozenset[str] | None:
    return custom_field_keys(params) if spec.custom_fields else None


def _sort(spec: EntitySpec, params: QueryParams) -> tuple[str, bool]:
    sort_by = params.get("sort_by", "id")
    if sort_by not in spec.sort_fields:
        raise BadRequest(f"sort_by must be one of: {', '.join(spec.sort_fields)}.")
    direction = params.get("sort_direction", "asc")
    if direction not in ("asc", "desc"):
        raise BadRequest("sort_direction must be one of: asc, desc.")
    return sort_by, direction == "desc"


def record_filter(
    spec: EntitySpec, params: QueryParams, archived: bool = False
) -> Callable[[dict[str, Any]], bool]:
    """The list call's filters (`owner_id`, `org_id`, `ids`, `updated_since`...) as a predicate;
    of an archivable entity, only the archived records or only the others."""
    conditions: list[tuple[str, Any]] = []
    for param, (key, parse) in spec.filters.items():
        if (text := params.get(param)) is not None:
            try:
                conditions.append((key, parse(text)))
            except ValueError as exc:
                raise BadRequest(f"{param} {exc}") from None
    ids = _ids(params.get("ids")) if spec.entity in _TAKES_IDS else None
    since = _time_param(params, "updated_since") if spec.updated_since else None
    until = _time_param(params, "updated_until") if spec.updated_since else None

    archivable = spec.entity in _ARCHIVABLE

    def keep(record: dict[str, Any]) -> bool:
        return (
            (not archivable or record["is_archived"] == archived)
            and all(_matches(record.get(key), expected) for key, expected in conditions)
            and (ids is None or record["id"] in ids)
            and (since is None or record["update_time"] >= since)
            and (until is None or record["update_time"] < until)
        )

    return keep


def _matches(value: Any, expected: Any) -> bool:
    # A filter given several values (deals' comma-separated `status`) keeps any of them.
    return value in expected if isinstance(expected, frozenset) else value == expected


def _ids(text: str | None) -> set[int] | None:
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(part.isdigit() for part in parts) or len(parts) > MAX_IDS:
        raise BadRequest(f"ids must be a comma-separated list of up to {MAX_IDS} integer ids.")
    return {int(part) for part in parts}


def _time_param(params: QueryParams, name: str) -> str | None:
    text = params.get(name)
    if text is None:
        return None
    # Stored timestamps share one format, so comparing the normalized strings compares times.
    normalized = normalize_rfc3339(text)
    if normalized is None:
        raise BadRequest(f"{name} must be an RFC 3339 date-time, e.g. 2025-01-01T10:20:00Z.")
    return normalized


def _field_routes(context: Context, entity: Entity, collection: str) -> list[Route]:
    many, one = f"/{collection}", f"/{collection}/{{field_code}}"

    def route(method: str, path: str, handler: Callable[[Call], Any]) -> Route:
        endpoint = operation(context, method, "v2", path, handler)
        return Route(PREFIX + path, endpoint, methods=[method], include_in_schema=False)

    async def list_fields(call: Call) -> Reply:
        refuse_unsupported(call.request.query_params, FIELD_UNSUPPORTED)
        fields = account_fields(call.state, entity).fields

        def after(position: int) -> Iterator[dict[str, Any]]:
            # Fields have no numeric id: their position stands in for one in the cursor.
            for index in range(position, len(fields)):
                yield {"id": index + 1, "field": fields[index]}

        page, next_cursor = cursor_page(call.request.query_params, after, lambda _: True)
        data = [render.field(item["field"]) for item in page]
        return _page(data, next_cursor)

    async def add_field(call: Call) -> Reply:
        definition = create_custom_field(call.state, entity, await call.json(), call.now)
        return Reply({"success": True, "data": render.field(definition)})

    async def get_field(call: Call) -> Reply:
        refuse_unsupported(call.request.query_params, FIELD_UNSUPPORTED)
        definition = account_fields(call.state, entity).by_code.get(call.path_params["field_code"])
        if definition is None:
            raise NotFound("Field not found.")
        return Reply({"success": True, "data": render.field(definition)})

    async def add_options(call: Call) -> Reply:
        code = call.path_params["field_code"]
        added = add_field_options(call.state, entity, code, await call.json())
        return Reply(
            {"success": True, "data": render.field_options(added), "additional_data": None}
        )

    # Activity fields are listed, not added to: the emulator keeps no custom activity fields.
    add = (
        [route("POST", many, add_field), route("POST", f"{one}/options", add_options)]
        if entity in FIELD_COLLECTIONS
        else []
    )
    return [route("GET", many, list_fields), *add, route("GET", one, get_field)]
