"""An emulator of the Solve360 (Solve CRM) external API for the sandbox.

Vendor facts it follows (solve360.com/api/contacts and norada.com/api/records, "API Reference";
Norada's own PHP gateway Solve360Service 0.4; the clients nibon/solve360 (Python) and
stevebartholomew/solve360 (Ruby) with its fixtures; solve360/solve-anthropic SKILL.md):
- `https://secure.solve360.com`; HTTP Basic with the user's e-mail and API token. "The API
  methods and parameters are the same for all record types": `/contacts`, `/companies`,
  `/projectblogs`, each with `/{id}`, `/fields` and `/categories`; `/ownership` lists users and
  workgroups.
- Responses are XML (`<response>...</response>`) unless the request's Accept header (the older
  docs say "Accepts", which the Ruby client sends) asks for application/json; both are served.
- A list answers the records keyed `id<N>` beside `count` (the whole list's number, as text)
  and `status` ("success"): `{"id31507": {...}, "count": "21", "status": "success"}`. With
  `layout=1` a record carries its fields flat (`firstname`, `businessemail`, `custom18432`...),
  without it only `id`, `name`, `created`, `updated`, `viewed`, `flagged`.
- List parameters (nibon's VALID_LIST_PARAM): layout, fieldlist, categories, filtermode,
  filtervalue, special, searchmode, searchvalue, limit, start, sortfield, sortdir; the most a
  list answers is 5000 (nibon's LIST_MAX_LIMIT). `start` is the number of records skipped
  (nibon steps it by `limit` from 0; Norada's PHP gateway defaults it to 1: the sandbox takes
  the offset). The sandbox serves layout, limit (default 50), start, sortfield and sortdir and
  refuses the filters and searches it does not emulate (400), and any other parameter.
- `GET /{type}/{id}` answers `item` (`id`, `name`, `typeid`, `ownership`, `fields`, times, and
  its `activities` keyed by id: notes, task lists with their tasks, events, opportunities...),
  its `categories` and `relateditems` (a contact's company is a related item of typeid 40).
  Activity type ids: note 3, event 4, task 14, opportunity 32; item types contact 1, company
  40. A note's text is `details`; an opportunity's status is discussion, pending, won, lost or
  on-hold. The other activity field names (`title`, `duedate`, `completed`, `assignedto`,
  `start`, `end`, `valuation`, `probability`, `forecastclose`), the task list's type id (13)
  and the `/{type}/fields` shape (`name`, `label`, `type`, `values` one a line) are the
  sandbox's own: no public example shows them.
- Errors: `{"errors": {<code>: <message>}, "status": "failed"}` (the Ruby client reads
  `response.errors`). No published rate limit: the sandbox answers 429 with Retry-After over
  its burst. Times are UTC ISO 8601 with an offset.
"""

from __future__ import annotations

from typing import Any

import xmltodict  # type: ignore[import-untyped]  # ships no type hints
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.core.canonical import Entity
from adapters.core.emulated_auth import basic_pair
from adapters.core.emulation import RateHeaders, SourceEmulator, VendorError
from adapters.core.serving import Collection, OffsetPages
from adapters.solve360.render import IDS, PIPELINE_ID, STATUSES, held, render

PAGES = OffsetPages(size_param="limit", start_param="start", default=50, most=5000)
LISTS = {"contacts": "contact_fields", "companies": "company_fields"}
SHORT = ("id", "name", "created", "updated", "viewed", "flagged")
UNSERVED = frozenset(
    {"fieldlist", "categories", "filtermode", "filtervalue", "special", "searchmode", "searchvalue"}
)


def keyed(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {f"id{row['id']}": row for row in rows}


def detail(record: dict[str, Any]) -> dict[str, Any]:
    def activity(item: dict[str, Any]) -> dict[str, Any]:
        children = item.get("children")
        parent = {k: v for k, v in item.items() if k != "children"}
        shown = {**parent, "parentid": record["id"]}
        return {**shown, "children": keyed([activity(c) for c in children])} if children else shown

    item = {k: record[k] for k in (*SHORT, "typeid", "ownership", "fields")}
    return {
        "item": {**item, "activities": keyed([activity(a) for a in record["activities"]])},
        "categories": {"category": record["categories"]},
        "relateditems": {"relatedto": record["relateditems"]},
        "status": "success",
    }


class Solve360Emulator(SourceEmulator):
    ids = IDS
    one_pipeline = PIPELINE_ID
    window_seconds = 10.0
    default_burst = 1000
    gate = staticmethod(basic_pair("email", "api_token"))
    credential_names = ("api_token",)
    credential_values = {"email": "admin@{account}.example.com"}
    rate = RateHeaders(limit=None, remaining=None, reset=None)
    unauthorized_message = "Authentication failed: check your e-mail and API token"

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [Route("/{account_id}/ownership", self.ownership)]
        for kind in LISTS:
            routes += [
                Route(f"/{{account_id}}/{kind}", self._lister(kind)),
                Route(f"/{{account_id}}/{kind}/fields", self._fields(kind)),
                Route(f"/{{account_id}}/{kind}/{{item_id:int}}", self._shower(kind)),
            ]
        return routes

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold

    def vendor_id(self, entity: Entity, field: str, reference_id: str) -> str | None:
        """Stages are opportunity statuses."""
        if (entity, field) in ((Entity.stages, "source_id"), (Entity.deals, "stage_source_id")):
            return STATUSES[reference_id][0]
        return super().vendor_id(entity, field, reference_id)

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"errors": {code: message}, "status": "failed"}

    def respond(self, request: Request, body: Any, status: int = 200, **headers: str) -> Response:
        """JSON when the request accepts it, XML otherwise (the vendor's default)."""
        state = getattr(request.state, "rate", None)
        extra = {**(self.rate_headers(state) if state else {}), **headers}
        wanted = request.headers.get("accept", "") + request.headers.get("accepts", "")
        if "application/json" in wanted:
            return JSONResponse(body, status, headers=extra)
        xml = xmltodict.unparse({"response": body}, encoding="utf-8")
        return Response(xml, status, headers=extra, media_type="application/xml")

    async def _vendor_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, VendorError)
        body = self.error_body(exc.status, exc.code, exc.message)
        return self.respond(request, body, exc.status, **exc.headers)

    async def ownership(self, request: Request) -> Response:
        account = self.account(request)
        return self.respond(request, {**keyed(account.table("ownership")), "status": "success"})

    def _lister(self, kind: str) -> Any:
        async def serve(request: Request) -> Response:
            account = self.account(request)
            params = request.query_params
            layout = params.get("layout", "0")
            if layout not in ("0", "1") or params.get("sortdir", "asc").lower() not in (
                "asc",
                "desc",
            ):
                raise VendorError(400, "request", "layout must be 0 or 1, sortdir asc or desc")
            unserved = sorted(UNSERVED & set(params))
            if unserved:
                raise VendorError(400, unserved[0], f"{unserved[0]} is not served by the sandbox")
            field = params.get("sortfield")
            collection = Collection(
                kind,
                known=frozenset({"layout", "sortfield", "sortdir"}),
                order=lambda r: (
                    str(r["fields"].get(field) or r.get(field) or "") if field else r["id"]
                ),
            )
            rows = collection.rows(account.table(kind), params, PAGES)
            if params.get("sortdir", "asc").lower() == "desc":
                rows.reverse()
            page = PAGES.serve(rows, params)
            shown = [self._listed(r, layout == "1") for r in page.items]
            return self.respond(
                request, {**keyed(shown), "count": str(page.total), "status": "success"}
            )

        return serve

    @staticmethod
    def _listed(record: dict[str, Any], full: bool) -> dict[str, Any]:
        short = {k: record[k] for k in SHORT}
        return {**short, **record["fields"], "typeid": record["typeid"]} if full else short

    def _fields(self, kind: str) -> Any:
        async def serve(request: Request) -> Response:
            account = self.account(request)
            return self.respond(
                request, {"fields": account.table(LISTS[kind]), "status": "success"}
            )

        return serve

    def _shower(self, kind: str) -> Any:
        async def serve(request: Request) -> Response:
            account = self.account(request)
            wanted = request.path_params["item_id"]
            found = next((r for r in account.table(kind) if r["id"] == wanted), None)
            if found is None:
                raise VendorError(404, "item", f"No such item: {wanted}")
            return self.respond(request, detail(found))

        return serve
