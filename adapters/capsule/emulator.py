"""An emulator of Capsule CRM's REST API v2 for the sandbox, seeded from the reference company.

Vendor facts it follows (developer.capsulecrm.com/v2):
- overview/authentication, reading-from-the-api: `https://api.capsulecrm.com/api/v2/...` with
  `Authorization: Bearer <token>` (a personal access token or an OAuth access token).
- reading-from-the-api, operations/*: lists take `page` (from 1) and `perPage` (1..100,
  default 50) and answer `{"<plural>": [...]}`; the next page is announced in an RFC 5988
  `Link: <...>; rel="next"` header. Ids are integers. `embed=` adds nested data (custom
  `fields`, a full `party`, `milestone` or `owner`). Parties and opportunities take `since`.
- operations/Task: `GET /tasks` answers only open tasks unless `status=open,completed,pending`.
- operations/Milestone, Pipeline: `/pipelines`, `/pipelines/{id}/milestones`; `/milestones`
  (kept for old clients) lists the oldest pipeline's milestones only.
- operations/Entry: `GET /entries` lists notes, e-mails and completed party tasks, newest first;
  a note's or e-mail's `attachments` are `[{id, filename, contentType, size}]` (models/attachment).
- operations/Attachment: `GET /attachments/{id}` answers the file's bytes, with its Content-Type,
  Content-Length and `Content-Disposition: inline; filename*=UTF-8''...; filename="..."`.
- `embed=tags` adds `tags: [{id, name, description}]` to parties and opportunities (models/party,
  models/opportunity); without it there is no `tags` key.
- overview/handling-api-responses: 4,000 requests per user per hour; every answer carries
  `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (UTC epoch seconds);
  over the limit: 429 `{"error": "rate limit reached"}` without Retry-After. Other errors are
  JSON with a `message` (404 "Could not find resource", as seen on the live API).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.capsule.records import render
from adapters.capsule.render import held
from adapters.core.emulated_auth import bearer_key
from adapters.core.emulation import (
    EmulatedAccount,
    RateHeaders,
    SourceEmulator,
    VendorError,
    base_url_of,
)
from adapters.core.mapping import parse_time
from adapters.core.serving import NumberedPages, link_header

API = "/{account_id}/api/v2"
PAGES = NumberedPages(size_param="perPage", default=50, most=100)
Raw = dict[str, Any]


class CapsuleEmulator(SourceEmulator):
    window_seconds = 3600.0  # the limit is per hour
    default_burst = 4000
    gate = staticmethod(bearer_key("api_token"))
    credential_names = ("api_token",)
    rate = RateHeaders(reset_epoch=True, retry_after=False)
    rate_limited_message = "rate limit reached"
    unauthorized_message = "authentication failed"

    def routes(self) -> list[BaseRoute]:
        return [
            Route(f"{API}/users", self.list_users),
            Route(f"{API}/users/current", self.current_user),
            Route(f"{API}/parties", self.list_parties),
            Route(f"{API}/parties/fields/definitions", self.party_definitions),
            Route(f"{API}/parties/{{item_id:int}}", self.show_party),
            Route(f"{API}/opportunities", self.list_opportunities),
            Route(f"{API}/opportunities/fields/definitions", self.opportunity_definitions),
            Route(f"{API}/opportunities/{{item_id:int}}", self.show_opportunity),
            Route(f"{API}/pipelines", self.list_pipelines),
            Route(f"{API}/pipelines/{{item_id:int}}/milestones", self.pipeline_milestones),
            Route(f"{API}/milestones", self.oldest_pipeline_milestones),
            Route(f"{API}/tasks", self.list_tasks),
            Route(f"{API}/entries", self.list_entries),
            Route(f"{API}/attachments/{{item_id:int}}", self.show_attachment),
        ]

    # --- what the sandbox calls -----------------------------------------------------------

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold

    def error_body(self, status: int, code: str, message: str) -> Any:
        if status == 429:
            return {"error": message}
        if status == 404:
            return {"message": "Could not find resource"}
        return {"message": message}

    # --- routes ---------------------------------------------------------------------------

    async def list_users(self, request: Request) -> Response:
        account = self.account(request)
        embeds = _embeds(request, {"party"})
        users = [self._user(account, u, embeds) for u in account.table("users")]
        return self.respond(request, {"users": users})

    async def current_user(self, request: Request) -> Response:
        account = self.account(request)
        embeds = _embeds(request, {"party"})
        # The token's user is the first (an administrator) in every seeded account.
        return self.respond(
            request, {"user": self._user(account, account.table("users")[0], embeds)}
        )

    async def list_parties(self, request: Request) -> Response:
        account = self.account(request)
        embeds = _embeds(request, {"tags", "fields", "organisation", "missingImportantFields"})
        items = _changed_since(request, account.table("parties"))
        return self._page(request, "parties", [_party(p, embeds) for p in items])

    async def show_party(self, request: Request) -> Response:
        account = self.account(request)
        embeds = _embeds(request, {"tags", "fields", "organisation", "missingImportantFields"})
        return self.respond(request, {"party": _party(_find(account, "parties", request), embeds)})

    async def party_definitions(self, request: Request) -> Response:
        account = self.account(request)
        return self._page(request, "definitions", _public(account.table("party_definitions")))

    async def opportunity_definitions(self, request: Request) -> Response:
        account = self.account(request)
        return self._page(request, "definitions", _public(account.table("opportunity_definitions")))

    async def list_opportunities(self, request: Request) -> Response:
        account = self.account(request)
        embeds = _embeds(
            request, {"tags", "fields", "party", "milestone", "missingImportantFields"}
        )
        items = _changed_since(request, account.table("opportunities"))
        return self._page(request, "opportunities", [self._opp(account, o, embeds) for o in items])

    async def show_opportunity(self, request: Request) -> Response:
        account = self.account(request)
        embeds = _embeds(
            request, {"tags", "fields", "party", "milestone", "missingImportantFields"}
        )
        found = _find(account, "opportunities", request)
        return self.respond(request, {"opportunity": self._opp(account, found, embeds)})

    async def list_pipelines(self, request: Request) -> Response:
        account = self.account(request)
        return self._page(request, "pipelines", account.table("pipelines"))

    async def pipeline_milestones(self, request: Request) -> Response:
        account = self.account(request)
        _find(account, "pipelines", request)
        pipeline = request.path_params["item_id"]
        items = [m for m in account.table("milestones") if m["pipeline"]["id"] == pipeline]
        return self._page(request, "milestones", items)

    async def oldest_pipeline_milestones(self, request: Request) -> Response:
        account = self.account(request)
        pipelines = account.table("pipelines")
        oldest = min((p["id"] for p in pipelines), default=None)
        items = [m for m in account.table("milestones") if m["pipeline"]["id"] == oldest]
        return self._page(request, "milestones", [_no_pipeline(m) for m in items])

    async def list_tasks(self, request: Request) -> Response:
        account = self.account(request)
        embeds = _embeds(request, {"party", "opportunity", "kase", "owner", "nextTask"})
        wanted = _statuses(request)
        items = [t for t in account.table("tasks") if t["status"] in wanted]
        return self._page(request, "tasks", [self._task(account, t, embeds) for t in items])

    async def list_entries(self, request: Request) -> Response:
        account = self.account(request)
        _embeds(request, {"party", "kase", "opportunity", "creator", "activityType"})
        newest_first = sorted(account.table("entries"), key=lambda e: e["entryAt"], reverse=True)
        return self._page(request, "entries", newest_first)

    async def show_attachment(self, request: Request) -> Response:
        found = _find(self.account(request), "attachments", request)
        data: bytes = found["_bytes"]
        name = found["filename"]
        plain = name.encode("ascii", "replace").decode().replace('"', "'")
        headers = {
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}; filename=\"{plain}\"",
            "Content-Length": str(len(data)),
        }
        state = getattr(request.state, "rate", None)
        headers.update(self.rate_headers(state) if state else {})
        return Response(data, 200, headers, media_type=found["contentType"])

    # --- shapes ---------------------------------------------------------------------------

    def _page(self, request: Request, key: str, items: list[Raw]) -> Response:
        page = PAGES.serve(items, request.query_params)
        links = [link_header(request, page).get("Link", "")]
        if page.page > 1:  # Capsule announces the previous page too
            links.append(f'<{_page_url(request, page.page - 1)}>; rel="prev"')
        headers = {"Link": ", ".join(filter(None, links))} if any(links) else {}
        return self.respond(request, {key: page.items}, 200, **headers)

    def _user(self, account: EmulatedAccount, user: Raw, embeds: set[str]) -> Raw:
        if "party" not in embeds:
            return user
        party = next(p for p in account.table("user_parties") if p["id"] == user["party"]["id"])
        return {**user, "party": party}

    def _opp(self, account: EmulatedAccount, opp: Raw, embeds: set[str]) -> Raw:
        out = _without_fields(opp, embeds)
        if "party" in embeds and opp["party"]:
            out["party"] = _party(_by_id(account, "parties", opp["party"]["id"]), set())
        if "milestone" in embeds:
            out["milestone"] = _by_id(account, "milestones", opp["milestone"]["id"])
        return out

    def _task(self, account: EmulatedAccount, task: Raw, embeds: set[str]) -> Raw:
        out = dict(task)
        if "owner" in embeds and task["owner"]:
            out["owner"] = self._user(account, _by_id(account, "users", task["owner"]["id"]), set())
        if "party" in embeds and task["party"]:
            out["party"] = _party(_by_id(account, "parties", task["party"]["id"]), set())
        return out


# --- helpers -----------------------------------------------------------------------------------


def _embeds(request: Request, allowed: set[str]) -> set[str]:
    """The `embed` list; a value the endpoint does not support is a 400, as on the live API."""
    given = {part.strip() for part in request.query_params.get("embed", "").split(",")}
    given.discard("")
    unknown = sorted(given - allowed)
    if unknown:
        raise VendorError(400, "invalid_parameter", f"embed has unsupported values: {unknown}")
    return given


def _statuses(request: Request) -> set[str]:
    raw = request.query_params.get("status", "open")
    wanted = {part.strip().upper() for part in raw.split(",") if part.strip()}
    if not wanted or wanted - {"OPEN", "COMPLETED", "PENDING"}:
        raise VendorError(400, "invalid_parameter", "status must be open, completed or pending")
    return wanted


def _changed_since(request: Request, items: list[Raw]) -> list[Raw]:
    raw = request.query_params.get("since")
    if raw is None:
        return items
    since = parse_time(raw)
    if since is None:
        raise VendorError(400, "invalid_parameter", "since must be an ISO8601 date")
    return [item for item in items if _updated(item) > since]


def _updated(item: Raw) -> datetime:
    parsed = parse_time(item["updatedAt"])
    assert parsed is not None
    return parsed


def _page_url(request: Request, page: int) -> str:
    query = {**request.query_params, "page": str(page)}
    path = request.url.path.split("/api/v2/", 1)[1]
    return f"{base_url_of(request)}/api/v2/{path}?{urlencode(query)}"


def _find(account: EmulatedAccount, table: str, request: Request) -> Raw:
    return _by_id(account, table, request.path_params["item_id"])


def _by_id(account: EmulatedAccount, table: str, item_id: int) -> Raw:
    for item in account.table(table):
        if item["id"] == item_id:
            return item
    raise VendorError(404, "not_found", "Could not find resource")


def _without_fields(record: Raw, embeds: set[str]) -> Raw:
    """The record without the `fields` and `tags` not asked for in `embed`."""
    return {k: v for k, v in record.items() if k not in {"fields", "tags"} - embeds}


def _party(party: Raw, embeds: set[str]) -> Raw:
    return _without_fields(party, embeds)


def _public(definitions: list[Raw]) -> list[Raw]:
    return [{k: v for k, v in d.items() if not k.startswith("_")} for d in definitions]


def _no_pipeline(milestone: Raw) -> Raw:
    return {k: v for k, v in milestone.items() if k != "pipeline"}
