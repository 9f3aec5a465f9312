"""v1 files: `POST /files` takes multipart/form-data, the `file` part and the id of the record
it hangs on (`deal_id`, `person_id`, `org_id`, `product_id`, `activity_id` or `lead_id`; at
least one, each existing). `GET /files` (start/limit, at most 100 a page; `sort` by `id` or
`update_time`), `GET /files/{id}`, `PUT /files/{id}` (name, description), `DELETE /files/{id}`
(marks the file deleted: `active_flag` false, out of the list, its bytes no longer served) and
`GET /files/{id}/download`: the bytes as uploaded, with their type and length.

The bytes are kept in memory once (read from the parsed form, or the seeded bytes themselves)
and served from there without a copy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.routing import Route

from adapters.core.canonical import Entity
from adapters.core.serving import OffsetPages
from adapters.pipedrive.emulator.clock import v1_time
from adapters.pipedrive.emulator.endpoint import Call, Context, Reply, v1_route
from adapters.pipedrive.emulator.errors import BadRequest, NotFound
from adapters.pipedrive.emulator.pagination import start_limit_page, v1_sorted
from adapters.pipedrive.emulator.state import AccountState

DEFAULT_TYPE = "application/octet-stream"
# Form field -> (entity, label, attribute that names it in the answer's `*_name`).
PARENTS: dict[str, tuple[Entity, str, str]] = {
    "deal_id": (Entity.deals, "Deal", "title"),
    "person_id": (Entity.persons, "Person", "name"),
    "org_id": (Entity.organizations, "Organization", "name"),
    "product_id": (Entity.products, "Product", "name"),
    "activity_id": (Entity.activities, "Activity", "subject"),
}
PAGES = OffsetPages(size_param="limit", start_param="start", default=100, most=100, clamp=True)
# Pipedrive's coarse `file_type`, by the start of the MIME type or the name's extension.
_KINDS = (("image/", "img"), ("application/pdf", "pdf"), ("video/", "video"),
          ("audio/", "audio"), ("text/csv", "xls"), ("text/", "txt"))  # fmt: skip


def add_file(
    state: AccountState,
    name: str,
    mime: str | None,
    content: bytes | memoryview,
    parents: dict[str, Any],
    now: str,
) -> dict[str, Any]:
    """Store a file on its records (form values: ids as text, or as ints when seeding)."""
    if not name.strip():
        raise BadRequest("The file has no name.")
    links = _links(state, parents)
    record = {
        "user_id": state.token_user_id,
        **{key: None for key in (*PARENTS, "lead_id", "project_id")},
        **links,
        "add_time": now,
        "update_time": now,
        "file_name": name,
        "name": name,
        "description": None,
        "mime_type": mime or DEFAULT_TYPE,
        "file_size": len(content),
        "active_flag": True,
        "inline_flag": False,
    }
    stored = state.store(Entity.files).insert(record)
    state.file_bytes[stored["id"]] = content
    return stored


def _links(state: AccountState, parents: dict[str, Any]) -> dict[str, Any]:
    links: dict[str, Any] = {}
    for key, value in parents.items():
        if value in (None, ""):
            continue
        if key == "lead_id":
            if str(value) not in state.leads:
                raise BadRequest("Lead not found.")
            links[key] = str(value)
            continue
        entity, label, _ = PARENTS[key]
        text = str(value)
        if not text.isdigit() or state.store(entity).get(int(text)) is None:
            raise BadRequest(f"{label} with id {text} does not exist.")
        links[key] = int(text)
    if not links:
        raise BadRequest(
            "A file must be attached to a deal, person, organization, product, activity or lead."
        )
    return links


def render(state: AccountState, record: dict[str, Any], base_url: str) -> dict[str, Any]:
    rendered = {key: value for key, value in record.items() if key != "mime_type"}
    rendered["add_time"] = v1_time(record["add_time"])
    rendered["update_time"] = v1_time(record["update_time"])
    rendered["file_type"] = _kind(record["mime_type"])
    for key, (entity, _, attr) in PARENTS.items():
        linked = state.store(entity).get(record[key] or 0)
        rendered[f"{key[:-3]}_name"] = linked[attr] if linked else ""
    lead = state.leads.get(record["lead_id"] or "")
    rendered["lead_name"] = lead["title"] if lead else ""
    rendered["url"] = f"{base_url}/v1/files/{record['id']}/download"
    return rendered


def _kind(mime: str) -> str:
    return next((kind for prefix, kind in _KINDS if mime.startswith(prefix)), "other")


# --- routes ----------------------------------------------------------------------------------


def routes(context: Context) -> list[Route]:
    def route(method: str, path: str, handler: Callable[[Call], Any]) -> Route:
        return v1_route(context, method, path, handler)

    return [
        route("GET", "/files", list_files),
        route("POST", "/files", upload),
        route("GET", "/files/{id}", one_file),
        route("PUT", "/files/{id}", put_file),
        route("DELETE", "/files/{id}", remove_file),
        route("GET", "/files/{id}/download", download),
    ]


def _base(call: Call) -> str:
    return str(call.request.base_url).rstrip("/") + "/" + call.state.account_id


def _get(call: Call, *, active: bool = False) -> dict[str, Any]:
    record = call.state.store(Entity.files).get(call.path_params["id"])
    if record is None or (active and not record["active_flag"]):
        raise NotFound("File not found.")
    return record


async def list_files(call: Call) -> Reply:
    params = call.request.query_params
    active = (f for f in call.state.store(Entity.files).after(0) if f["active_flag"])
    rows = v1_sorted(active, params.get("sort"), ("id", "update_time"))
    page, pagination = start_limit_page(params, rows, PAGES)
    data = [render(call.state, record, _base(call)) for record in page]
    return Reply({"success": True, "data": data, "additional_data": {"pagination": pagination}})


async def upload(call: Call) -> Reply:
    """The form's `file` and the ids beside it (project_id refused: no projects here)."""
    if not call.request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("The request must be multipart/form-data with a file.")
    try:
        form = await call.request.form()
    except MultiPartException as exc:
        raise BadRequest(f"The multipart body cannot be read: {exc.message}") from None
    try:
        part = form.get("file")
        if not isinstance(part, UploadFile) or not part.filename:
            raise BadRequest("No file was provided with the request (the form needs a `file`).")
        fields = {key: value for key, value in form.items() if key != "file"}
        unknown = sorted(set(fields) - {*PARENTS, "lead_id"})
        if unknown or not all(isinstance(value, str) for value in fields.values()):
            raise BadRequest(f"Unknown or misplaced field(s): {', '.join(unknown) or 'a file'}")
        content = await part.read()
        record = add_file(call.state, part.filename, part.content_type, content, fields, call.now)
    finally:
        await form.close()
    return Reply({"success": True, "data": render(call.state, record, _base(call))})


async def one_file(call: Call) -> Reply:
    return Reply({"success": True, "data": render(call.state, _get(call), _base(call))})


async def put_file(call: Call) -> Reply:
    record = _get(call, active=True)
    body = await call.json()
    if not isinstance(body, dict) or set(body) - {"name", "description"}:
        raise BadRequest("The body may have only name and description.")
    for key, value in body.items():
        if not isinstance(value, str) or (key == "name" and not value.strip()):
            raise BadRequest(f"Validation failed: {key}: must be a non-empty string")
        record[key] = value
    record["update_time"] = call.now
    return Reply({"success": True, "data": render(call.state, record, _base(call))})


async def remove_file(call: Call) -> Reply:
    record = _get(call, active=True)
    record["active_flag"] = False
    record["update_time"] = call.now
    call.state.file_bytes.pop(record["id"], None)
    return Reply({"success": True, "data": {"id": record["id"]}})


async def download(call: Call) -> Reply:
    record = _get(call, active=True)
    disposition = f"attachment; filename*=UTF-8''{quote(record['file_name'], safe='')}"
    return Reply(
        None,
        content=call.state.file_bytes[record["id"]],
        headers={"content-type": record["mime_type"], "content-disposition": disposition},
    )
