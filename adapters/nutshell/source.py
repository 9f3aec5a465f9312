"""Nutshell (JSON-RPC API) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): one endpoint `POST /api/v1/json`, HTTP
Basic (e-mail, API key); `find*` methods paged by `page`/`limit` inside `params`, stop on a
short page; `{"result": [...]}`; notes ride on their account, contact or lead. A failed call
may answer HTTP 200 with an `error` object: such a page is refused, never read as the end.
Accounts', contacts' and leads' `tags` are their labels; a lead's `file` array its files, the
bytes fetched from `/file/api/{id}` (attached.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from adapters.core.auth import BasicAuth, CredentialField
from adapters.core.canonical import ContactPoint, Entity
from adapters.core.declarative import (
    AccountCheck,
    FileContent,
    PostRead,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.errors import UnreadableResponse
from adapters.core.http import UnexpectedResponse, default_error_text
from adapters.core.mapping import (
    Getter,
    Raw,
    first,
    ident,
    number,
    parse_time,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.paginators import PageNumber
from adapters.nutshell.attached import FILE_FIELDS, FILE_PATH, files_of, tags
from adapters.nutshell.render import ACTIVITY_NAMES, OTHER, PRIMARY

API = "/api/v1/json"
DEFAULT_BASE_URL = "https://app.nutshell.com"
SIZE = 100
STATUS = {0: "open", 10: "won", 11: "lost"}
KINDS = {name.lower(): kind for kind, name in ACTIVITY_NAMES.items()}


def rpc(method: str) -> PostRead:
    """A find* call: whole records (not stubs) in id order; the engine adds page and limit."""

    def build(params: Any, state: RunState) -> dict[str, Any]:
        inner = {"query": {}, "orderBy": "id", "orderDirection": "ASC", "stubResponses": False}
        return {"jsonrpc": "2.0", "method": method, "params": inner, "id": method}

    return PostRead(build, page_into="params")


def result(body: Any) -> list[Raw]:
    """The records of an answer. An `error` object (Nutshell answers a failed call with 200)
    or a result that is not a list is refused: read as a short page it would end the list."""
    if not isinstance(body, dict):
        raise UnreadableResponse("Nutshell: an answer is not a JSON-RPC response object")
    error = body.get("error")
    if error is not None:
        message = error.get("message") if isinstance(error, dict) else error
        code = error.get("code") if isinstance(error, dict) else None
        raise UnexpectedResponse(f"Nutshell: the call failed ({code} {message})", status=200)
    found = body.get("result")
    if not isinstance(found, list):
        raise UnreadableResponse("Nutshell: an answer's result is not a list of records")
    return [item for item in found if isinstance(item, dict)]


def error_text(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return default_error_text(response)


def one(path: str, kind: str | None = None) -> Getter:
    """The id of the first reference in a list (of `kind`, when given)."""

    def read(raw: Raw) -> str | None:
        refs = (i for i in raw.get(path) or [] if kind in (None, i.get("entityType")))
        return next((ident(i) for i in refs), None)

    return read


def assignee(raw: Raw) -> str | None:
    """A lead's assignee when it is a user (a team is no one's deal)."""
    found = raw.get("assignee") or {}
    return ident(found) if found.get("entityType") == "Users" else None


def _point(value: Any) -> str | None:
    """A hash value: a string, or a phone {number, numberFormatted, E164}."""
    if isinstance(value, dict):
        value = value.get("numberFormatted") or value.get("E164") or value.get("number")
    return str(value) if value else None


def points(path: str) -> Getter:
    """E-mails or phones from Nutshell's hash: by label (a position for none), `--primary`."""

    def read(raw: Raw) -> list[ContactPoint]:
        found = raw.get(path) or {}
        if isinstance(found, list):  # a list of plain values when none has a label
            found = dict(enumerate(found))
        primary, out = _point(found.get(PRIMARY)), []
        for key, value in found.items():
            if key != PRIMARY and (value := _point(value)):
                label = OTHER if str(key).isdigit() else str(key).lower()
                is_primary = value == primary and not any(p.primary for p in out)
                out.append(ContactPoint(value=value, label=label, primary=is_primary))
        if out and not any(p.primary for p in out):
            out[0].primary = True
        return out

    return read


def _stream(entity: Entity, method: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    return Stream(
        entity,
        API,
        fields,
        paginator=PageNumber(
            page_param="page", size_param="limit", size=SIZE, records_path="result"
        ),
        records="result",
        rows=result,
        post=rpc(method),
        **extra,
    )


def status(raw: Raw) -> str:
    return STATUS.get(raw.get("status") or 0, "open")


def closed(kind: str) -> Getter:
    stamp = utc_time("closedTime")
    return lambda raw: stamp(raw) if status(raw) == kind else None


def duration(raw: Raw) -> str | None:
    """An activity's length from its start and end; none for an all-day one or a moment."""
    start, end = parse_time(raw.get("startTime")), parse_time(raw.get("endTime"))
    if raw.get("isAllDay") or start is None or end is None or end <= start:
        return None
    minutes = int((end - start).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def notes_of(parent: str) -> Any:
    """A parent's notes, each told which record it hangs on."""

    def explode(raw: Raw) -> Iterable[Raw]:
        return [{**note, parent: raw.get("id")} for note in raw.get("notes") or []]

    return explode


def _notes(method: str, parent: str) -> Stream:
    return _stream(Entity.notes, method, NOTE_FIELDS, explode=notes_of(parent))


def money(path: str) -> tuple[Getter, Getter]:
    """Amount and currency of a Nutshell Currency object."""
    return number(f"{path}.amount"), text(f"{path}.currency")


due_time = utc_hhmm("startTime")
NOTE_FIELDS = {
    "source_id": ref("id"),
    "content": first("note", lambda raw: ""),
    "owner_source_id": ref("creator"),
    "add_time": utc_time("createdTime"),
    "deal_source_id": ref("_lead"),
    "person_source_id": ref("_contact"),
    "org_source_id": ref("_account"),
}
USERS = _stream(
    Entity.users,
    "findUsers",
    {
        "source_id": ref("id"),
        "name": "name",
        "email": lambda raw: next(iter(raw.get("emails") or []), None),
        "active": lambda raw: raw.get("isEnabled") is not False,
    },
)
ORGANIZATIONS = _stream(
    Entity.organizations,
    "findAccounts",
    {
        "source_id": ref("id"),
        "name": "name",
        "address": text(f"address.{PRIMARY}.address_1"),
        "owner_source_id": ref("owner"),
        "labels": tags,
    },
)
PERSONS = _stream(
    Entity.persons,
    "findContacts",
    {
        "source_id": ref("id"),
        "name": first("name.displayName", "name"),
        "first_name": text("name.givenName"),
        "last_name": text("name.familyName"),
        "emails": points("email"),
        "phones": points("phone"),
        "org_source_id": one("accounts"),
        "owner_source_id": ref("owner"),
        "labels": tags,
    },
)
PIPELINES = _stream(Entity.pipelines, "findStagesets", {"source_id": ref("id"), "name": "name"})
STAGES = _stream(
    Entity.stages,
    "findMilestones",
    {
        "source_id": ref("id"),
        "name": "name",
        "pipeline_source_id": ref("stagesetId"),
        "order_nr": first("position", lambda raw: 0),
        "deal_probability": "probability",
    },
)
price, price_currency = money("price")
PRODUCTS = _stream(
    Entity.products,
    "findProducts",
    {
        "source_id": ref("id"),
        "name": "name",
        "code": text("sku"),
        "prices": lambda raw: (
            [{"price": price(raw), "currency": price_currency(raw)}]
            if price(raw) is not None and price_currency(raw)
            else []
        ),
    },
)
value, currency = money("value")
DEALS = _stream(
    Entity.deals,
    "findLeads",
    {
        "source_id": ref("id"),
        "title": first("description", "name"),
        "value": value,
        "currency": currency,
        "status": status,
        "person_source_id": one("contacts"),
        "org_source_id": first(ref("primaryAccount"), one("accounts")),
        "pipeline_source_id": ref("stageset"),
        "stage_source_id": ref("milestone"),
        "owner_source_id": assignee,
        "expected_close_date": utc_date("dueTime"),
        "won_time": closed("won"),
        "lost_time": closed("lost"),
        "labels": tags,
    },
)
ACTIVITIES = _stream(
    Entity.activities,
    "findActivities",
    {
        "source_id": ref("id"),
        "subject": first("name", lambda raw: ""),
        "type": lambda raw: (
            KINDS.get(str((raw.get("activityType") or {}).get("name")).lower()) or "task"
        ),
        "due_date": utc_date("startTime"),
        "due_time": lambda raw: None if raw.get("isAllDay") else due_time(raw),
        "duration": duration,
        "done": lambda raw: raw.get("status") == 1,
        "note": text("description"),
        "owner_source_id": ref("owner"),
        "deal_source_id": one("leads"),
        "person_source_id": one("participants", "Contacts"),
        "org_source_id": one("accounts"),
    },
)


def _caller(body: Raw) -> str | None:
    """The caller's id; a failed call (an `error` in a 200) is refused, not read as no one."""
    if not isinstance(body, dict) or body.get("error") is not None:
        raise UnexpectedResponse(f"Nutshell: getUser failed ({body!r:.200})", status=200)
    return ident(body.get("result"))


def _user_email(body: Raw) -> str | None:
    return next(iter((body.get("result") or {}).get("emails") or []), None)


SPEC = SourceSpec(
    name="Nutshell",
    streams=(
        USERS,
        ORGANIZATIONS,
        PERSONS,
        PIPELINES,
        STAGES,
        PRODUCTS,
        DEALS,
        ACTIVITIES,
        _notes("findAccounts", "_account"),
        _notes("findContacts", "_contact"),
        _notes("findLeads", "_lead"),
        _stream(Entity.files, "findLeads", FILE_FIELDS, explode=files_of),
    ),
    files=FileContent(path=lambda ref: FILE_PATH.format(id=ref)),
    # The engine's check is a GET: getUser (no id: the caller) by query parameters. It should
    # be the JSON-RPC POST the other calls are, once AccountCheck can POST.
    check=AccountCheck(
        API,
        {"user_id": _caller, "user_name": "result.name", "user_email": _user_email},
        params={"jsonrpc": "2.0", "method": "getUser", "id": "check"},
    ),
    error_text=error_text,
    id="nutshell",
    # HTTP Basic: the user's e-mail address and an API key (Setup > API keys).
    credentials=(
        CredentialField("username", "E-mail address", secret=False),
        CredentialField("api_key", "API key"),
    ),
    auth=lambda credentials, _base_url: BasicAuth(credentials["username"], credentials["api_key"]),
    default_base_url=DEFAULT_BASE_URL,
    api_path="/api/v1/json",
)
