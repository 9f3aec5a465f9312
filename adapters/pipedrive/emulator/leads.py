"""v1 leads and lead labels. Lead and label ids are UUIDs.

A lead always belongs to a person, an organization or both (each must exist); `value` is
`{amount, currency}`, both required; `label_ids` name lead labels. Leads made through the API
have source and origin `API`; `origin_id` is the caller's. PATCH changes what it is given, and
`null` unsets `value`, `person_id`, `organization_id`. `GET /leads` lists the leads that are not
archived, oldest first, `GET /leads/archived` the others; both take start/limit, `owner_id`,
`person_id`, `organization_id`, `updated_since` and `sort`, and answer their paging in
`additional_data` itself (`start`, `limit`, `more_items_in_collection`), as the spec shows.
Lead labels: `GET /leadLabels` (all, unpaged), `POST` {name, color}, PATCH, DELETE; a new
company has Pipedrive's three: Hot, Cold and Warm."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import Route

from adapters.core.canonical import Entity
from adapters.pipedrive.emulator import validators as v
from adapters.pipedrive.emulator.clock import normalize_rfc3339
from adapters.pipedrive.emulator.endpoint import Call, Context, Reply, v1_route
from adapters.pipedrive.emulator.errors import BadRequest, PipedriveError
from adapters.pipedrive.emulator.pagination import start_limit_page, v1_sorted
from adapters.pipedrive.emulator.params import refuse_unsupported
from adapters.pipedrive.emulator.state import AccountState

COLOURS = ("blue", "brown", "dark-gray", "gray", "green", "orange", "pink", "purple", "red",
           "yellow")  # fmt: skip
DEFAULT_LEAD_LABELS = (("Hot", "red"), ("Cold", "blue"), ("Warm", "yellow"))
SORT_FIELDS = ("id", "title", "owner_id", "creator_id", "was_seen", "expected_close_date",
               "next_activity_id", "add_time", "update_time")  # fmt: skip
_FILTERS = ("owner_id", "person_id", "organization_id")
NOT_FOUND_INFO = "Object was not found."


class LeadNotFound(PipedriveError):
    def __init__(self, what: str = "lead") -> None:
        super().__init__(404, f"requested {what} not found", NOT_FOUND_INFO)


def _label_ref(value: Any, state: AccountState) -> str:
    label_id = v.string(value, state)
    if label_id not in state.lead_labels:
        raise v.Invalid(f"lead label {label_id} does not exist")
    return label_id


VALUE = v.nullable(v.obj({"amount": v.number, "currency": v.non_empty_string},
                         required=("amount", "currency")))  # fmt: skip
BODY: dict[str, v.Validator] = {
    "title": v.non_empty_string,
    "owner_id": v.user_ref,
    "label_ids": v.list_of(_label_ref),
    "person_id": v.nullable(v.ref(Entity.persons, "Person")),
    "organization_id": v.nullable(v.ref(Entity.organizations, "Organization")),
    "value": VALUE,
    "expected_close_date": v.nullable(v.date_string),
    "visible_to": v.one_of(("1", "3", "5", "7")),
    "was_seen": v.boolean,
    "origin_id": v.nullable(v.string),
    "channel": v.nullable(v.integer),
    "channel_id": v.nullable(v.string),
}
UPDATE_ONLY = {"is_archived": v.boolean}
CREATE_ONLY = ("origin_id",)


def _validated(state: AccountState, body: Any, *, creating: bool) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    if creating and body.get("title") is None:
        raise BadRequest("Validation failed: title: is required")
    accepted = (
        BODY
        if creating
        else {**{k: f for k, f in BODY.items() if k not in CREATE_ONLY}, **UPDATE_ONLY}
    )
    changes: dict[str, Any] = {}
    for key, value in body.items():
        validator = accepted.get(key)
        if validator is None:
            raise BadRequest(f"Validation failed: {key}: unknown field for Lead")
        try:
            changes[key] = validator(value, state)
        except v.Invalid as exc:
            raise BadRequest(f"Validation failed: {exc.describe(key)}") from None
    if "label_ids" in changes:
        changes["label_ids"] = list(dict.fromkeys(changes["label_ids"]))
    return changes


def _check_linked(record: dict[str, Any]) -> None:
    if record["person_id"] is None and record["organization_id"] is None:
        raise BadRequest(
            "Validation failed: A lead must be linked to a person or an organization or both."
        )


def create_lead(state: AccountState, body: Any, now: str) -> dict[str, Any]:
    changes = _validated(state, body, creating=True)
    record: dict[str, Any] = {
        "id": state.next_uuid(),
        "title": None,
        "owner_id": state.token_user_id,
        "creator_id": state.token_user_id,
        "label_ids": [],
        "person_id": None,
        "organization_id": None,
        "source_name": "API",
        "origin": "API",
        "origin_id": None,
        "channel": None,
        "channel_id": None,
        "source_deal_id": None,
        "is_archived": False,
        "was_seen": False,
        "value": None,
        "expected_close_date": None,
        "next_activity_id": None,
        "add_time": now,
        "update_time": now,
        "visible_to": "3",
        **changes,
    }
    _check_linked(record)
    state.leads[record["id"]] = record
    return record


def get_lead(state: AccountState, lead_id: str) -> dict[str, Any]:
    record = state.leads.get(lead_id)
    if record is None:
        raise LeadNotFound()
    return record


def update_lead(state: AccountState, lead_id: str, body: Any, now: str) -> dict[str, Any]:
    record = get_lead(state, lead_id)
    updated = {**record, **_validated(state, body, creating=False), "update_time": now}
    _check_linked(updated)
    record.update(updated)
    return record


def render_lead(state: AccountState, record: dict[str, Any]) -> dict[str, Any]:
    return {
        **record,
        "label_ids": list(record["label_ids"]),
        "add_time": _iso_millis(record["add_time"]),
        "update_time": _iso_millis(record["update_time"]),
        "cc_email": f"{state.account_id}+lead{record['id'][:8]}@pipedrivemail.invalid",
    }


def _iso_millis(stored: str) -> str:
    """Leads' times as the spec shows them: 2020-10-14T11:30:36.551Z."""
    return stored[:19] + ".000Z"


def add_lead_label(state: AccountState, body: Any, now: str) -> dict[str, Any]:
    changes = _label_body(state, body, creating=True)
    label = {"id": state.next_uuid(), **changes, "add_time": now, "update_time": now}
    state.lead_labels[label["id"]] = label
    return label


def add_default_lead_labels(state: AccountState, now: str) -> None:
    for name, color in DEFAULT_LEAD_LABELS:
        add_lead_label(state, {"name": name, "color": color}, now)


_LABEL_BODY: dict[str, v.Validator] = {"name": v.non_empty_string, "color": v.one_of(COLOURS)}


def _label_body(state: AccountState, body: Any, *, creating: bool) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    for key in ("name", "color") if creating else ():
        if body.get(key) is None:
            raise BadRequest(f"Validation failed: {key}: is required")
    changes: dict[str, Any] = {}
    for key, value in body.items():
        validator = _LABEL_BODY.get(key)
        if validator is None:
            raise BadRequest(f"Validation failed: {key}: unknown field for LeadLabel")
        try:
            changes[key] = validator(value, state)
        except v.Invalid as exc:
            raise BadRequest(f"Validation failed: {exc.describe(key)}") from None
    return changes


def _render_label(label: dict[str, Any]) -> dict[str, Any]:
    return {
        **label,
        "add_time": _iso_millis(label["add_time"]),
        "update_time": _iso_millis(label["update_time"]),
    }


# --- routes ----------------------------------------------------------------------------------


def routes(context: Context) -> list[Route]:
    def route(method: str, path: str, handler: Callable[[Call], Any]) -> Route:
        return v1_route(context, method, path, handler, integer_ids=False)  # UUIDs

    return [
        route("GET", "/leads", _lister(archived=False)),
        route("GET", "/leads/archived", _lister(archived=True)),
        route("POST", "/leads", add_lead),
        route("GET", "/leads/{id}", one_lead),
        route("PATCH", "/leads/{id}", patch_lead),
        route("DELETE", "/leads/{id}", remove_lead),
        route("GET", "/leadLabels", list_labels),
        route("POST", "/leadLabels", add_label),
        route("PATCH", "/leadLabels/{id}", patch_label),
        route("DELETE", "/leadLabels/{id}", remove_label),
    ]


def _lister(*, archived: bool) -> Callable[[Call], Any]:
    async def list_leads(call: Call) -> Reply:
        params = call.request.query_params
        refuse_unsupported(params, ("filter_id",))
        wanted: dict[str, int] = {}
        for key in _FILTERS:
            if (text := params.get(key)) is not None:
                if not text.isdigit():
                    raise BadRequest(f"{key} must be an integer.")
                wanted[key] = int(text)
        since_text = params.get("updated_since")
        since = normalize_rfc3339(since_text) if since_text else None
        if since_text and since is None:
            raise BadRequest(
                "updated_since must be an ISO 8601 date-time, e.g. 2025-01-01T10:20:00Z."
            )
        leads = [
            lead
            for lead in call.state.leads.values()
            if lead["is_archived"] is archived
            and all(lead[key] == value for key, value in wanted.items())
            and (since is None or lead["update_time"] >= since)
        ]
        page, pagination = start_limit_page(
            params, v1_sorted(leads, params.get("sort"), SORT_FIELDS)
        )
        pagination.pop("next_start", None)  # the spec's lead lists say no next start
        data = [render_lead(call.state, lead) for lead in page]
        return Reply({"success": True, "data": data, "additional_data": pagination})

    return list_leads


async def add_lead(call: Call) -> Reply:
    lead = create_lead(call.state, await call.json(), call.now)
    return Reply({"success": True, "data": render_lead(call.state, lead)}, 201)


async def one_lead(call: Call) -> Reply:
    lead = get_lead(call.state, call.path_params["id"])
    return Reply({"success": True, "data": render_lead(call.state, lead)})


async def patch_lead(call: Call) -> Reply:
    lead = update_lead(call.state, call.path_params["id"], await call.json(), call.now)
    return Reply({"success": True, "data": render_lead(call.state, lead)})


async def remove_lead(call: Call) -> Reply:
    lead_id = call.path_params["id"]
    if call.state.leads.pop(lead_id, None) is None:
        raise LeadNotFound()
    return Reply({"success": True, "data": {"id": lead_id}})


async def list_labels(call: Call) -> Reply:
    data = [_render_label(label) for label in call.state.lead_labels.values()]
    return Reply({"success": True, "data": data})


async def add_label(call: Call) -> Reply:
    label = add_lead_label(call.state, await call.json(), call.now)
    return Reply({"success": True, "data": _render_label(label)})


async def patch_label(call: Call) -> Reply:
    label = call.state.lead_labels.get(call.path_params["id"])
    if label is None:
        raise LeadNotFound("lead label")
    label.update(_label_body(call.state, await call.json(), creating=False))
    label["update_time"] = call.now
    return Reply({"success": True, "data": _render_label(label)})


async def remove_label(call: Call) -> Reply:
    label_id = call.path_params["id"]
    if call.state.lead_labels.pop(label_id, None) is None:
        raise LeadNotFound("lead label")
    for lead in call.state.leads.values():  # the label leaves the leads that had it
        if label_id in lead["label_ids"]:
            lead["label_ids"] = [i for i in lead["label_ids"] if i != label_id]
    return Reply({"success": True, "data": {"id": label_id}})
