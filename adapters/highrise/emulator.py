"""An emulator of the Highrise API (37signals) for the sandbox, seeded from the reference company.

Vendor facts it follows (github basecamp/highrise-api: README.md and sections/people.md,
companies.md, deals.md, categories.md, tasks.md, notes.md, emails.md, recordings.md, users.md,
custom_fields.md, tags.md, data_reference.md; research notes ../shared/research/source-crms.md,
"Highrise"):
- Each account has its own host, `https://{subdomain}.highrisehq.com`, and answers XML only
  (`/people.xml`, ...). HTTP Basic with the user's API token as the username and any password
  ("a dummy password, like X"); `/me.xml` (the token's user, with its `token`) also takes the
  user's name and password, so that an app can turn them into the token.
- Apps must identify themselves with a `User-Agent`. The docs do not say how a request without
  one is refused; here as Basecamp's APIs refuse it: 400 Bad Request.
- Lists: `/people.xml` and `/companies.xml` (`<people>`, `<companies>`; `since`, `tag_id`,
  people also `title`), `/deals.xml` (`<deals type="array">`; `since`, `status`), paged by
  offset `?n=`, 500 a page ("If 500 elements are returned (the page limit), use ?n=500");
  an empty container when nothing is left. `/recordings.xml` (notes, e-mails and comments,
  `<recording type="Note">`, `since`) 25 a page. `since` is `yyyymmddhhmmss` in UTC (records
  created or updated after it, oldest first). `/users.xml`, `/tasks/all.xml` ("None of these are
  paginated"), `/deal_categories.xml`, `/task_categories.xml`, `/subject_fields.xml?type=
  party|deal|all` (here without `type`: the party fields) come whole.
- Records are dasherized XML with typed values: `type="integer"`, `"datetime"` (UTC, `Z`),
  `"date"`, `"boolean"`; `nil="true"` for an empty one; `type="array"` on the lists the docs
  mark so (deals, categories, subject fields, recordings, a record's `tags`, `subject_datas`,
  a deal's `parties`). Custom values are a party's or deal's `subject_datas` (`subject_field_id`,
  `value`, `subject_field_label`); a deal's tags are read at `/deals/{id}/tags.xml`. A deal's
  `category-id` may be nil (a deal in no category).
- Notes and e-mails carry their files: `<attachments><attachment>` with `id`, `url`
  (`https://example.highrisehq.com/files/1`: the account's own host), `name` and `size`; adding
  one through the API "is not yet supported". The docs say no more of the URL; a client reads
  the bytes by a GET of it with the same token (Highton, seibert-media/Highton pull 19, reads
  `files/{id}` so). Here the URL is on the sandbox account's host and answers the bytes (type,
  length, an inline Content-Disposition) to the token.
- Rate limit: 150 requests per 5 seconds for an account, 10 per 10 seconds on
  `/recordings.xml`; over it Highrise answers 503 Service Unavailable with `Retry-After`
  (seconds). No rate-limit headers otherwise.
- Errors carry the status; a refused token is 401 with Rails' "HTTP Basic: Access denied.";
  other errors here as Rails' `<errors><error>...</error></errors>`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import basic_pair
from adapters.core.emulation import (
    EmulatedAccount,
    RateState,
    RateWindow,
    SourceEmulator,
    VendorError,
    base_url_of,
)
from adapters.core.serving import Collection, Since, file_response, integer
from adapters.core.typed_xml import container, element
from adapters.highrise.render import HOST, IDS, held, render

API = "/{account_id}"
# List element -> (its items' element, whether Highrise marks it type="array").
CHILDREN = {
    "tags": ("tag", True),
    "subject_datas": ("subject_data", True),
    "parties": ("party", True),
    "email-addresses": ("email-address", False),
    "phone-numbers": ("phone-number", False),
    "addresses": ("address", False),
    "attachments": ("attachment", False),
    "errors": ("error", False),
}


@dataclass(frozen=True)
class Listing:
    table: str
    root: str  # the container's element, its items' element
    item: str
    array: bool = False
    page: int | None = None  # records a page (`?n=` offsets); None: the whole list at once
    filters: dict[str, str] = field(default_factory=dict)  # paged ones also take `since`


LISTINGS = {
    "users.xml": Listing("users", "users", "user"),
    "people.xml": Listing("people", "people", "person", page=500, filters={"title": "title"}),
    "companies.xml": Listing("companies", "companies", "company", page=500),
    "deals.xml": Listing("deals", "deals", "deal", True, 500, {"status": "status"}),
    "recordings.xml": Listing("recordings", "recordings", "recording", True, 25),
    "deal_categories.xml": Listing("deal_categories", "deal-categories", "deal-category", True),
    "task_categories.xml": Listing("task_categories", "task-categories", "task-category", True),
    "tasks/all.xml": Listing("tasks", "tasks", "task"),
}
FIELDS = Listing("subject_fields", "subject-fields", "subject-field", True)
SINCE = Since("since", "updated-at", form="compact")


class HighriseEmulator(SourceEmulator):
    ids = IDS
    one_pipeline = "deals"  # the deal categories are the stages of one pipeline
    window_seconds = 5.0
    default_burst = 150
    gate = staticmethod(basic_pair("api_token", None))  # the token, any password ("X")
    credential_names = ("api_token",)
    rate = None  # no rate-limit headers
    render = staticmethod(render)  # the reference company in the vendor's shapes
    held = staticmethod(held)  # what of it the vendor can hold

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._recordings = RateWindow(seconds=10.0, burst=10)  # /recordings.xml's own window

    def routes(self) -> list[BaseRoute]:
        lists = [Route(f"{API}/{path}", self._lister(it)) for path, it in LISTINGS.items()]
        return [
            Route(f"{API}/me.xml", self.me),
            Route(f"{API}/subject_fields.xml", self.subject_fields),
            Route(f"{API}/deals/{{deal_id:int}}/tags.xml", self.deal_tags),
            Route(f"{API}/files/{{file_id:int}}", self.file),
            *lists,
        ]

    def authenticate(self, account: EmulatedAccount, request: Request) -> bool:
        if not request.headers.get("user-agent"):
            raise VendorError(400, "user_agent", "Please identify your app with a User-Agent.")
        return super().authenticate(account, request)

    def rate_limited(self, state: RateState) -> VendorError:
        wait = str(max(1, math.ceil(state.reset_seconds)))
        return VendorError(503, "rate_limited", "Rate limit exceeded", {"Retry-After": wait})

    def xml(self, body: str, status: int = 200, **headers: str) -> Response:
        document = f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'
        return Response(document, status, headers, media_type="application/xml")

    async def _vendor_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, VendorError)
        if exc.status == 401:  # Rails' answer to a refused Basic login
            challenge = {"WWW-Authenticate": 'Basic realm="Application"', **exc.headers}
            return Response("HTTP Basic: Access denied.\n", 401, challenge, media_type="text/plain")
        return self.xml(element("errors", [exc.message], CHILDREN), exc.status, **exc.headers)

    async def me(self, request: Request) -> Response:
        account = self.account(request)
        user = {**account.table("users")[0], "token": account.credentials["api_token"]}
        return self.xml(element("user", user, CHILDREN))

    async def subject_fields(self, request: Request) -> Response:
        account = self.account(request)
        kind = request.query_params.get("type", "party")
        if kind not in ("party", "deal", "all"):
            raise VendorError(400, "invalid_parameter", "type must be party, deal or all")
        known = Collection(FIELDS.table, known=frozenset({"type"}))
        rows = known.rows(account.table(FIELDS.table), request.query_params)
        rows = [row for row in rows if kind == "all" or row["type"] == kind]
        return self.xml(container(FIELDS.root, FIELDS.item, rows, FIELDS.array, CHILDREN))

    async def deal_tags(self, request: Request) -> Response:
        deal = self._find(self.account(request), "deals", request.path_params["deal_id"])
        return self.xml(element("tags", deal["tags"], CHILDREN))

    async def file(self, request: Request) -> Response:
        found = self._find(self.account(request), "files", request.path_params["file_id"])
        return file_response(found["_bytes"], found["name"], found["type"])

    def _find(self, account: EmulatedAccount, table: str, wanted: int) -> dict[str, Any]:
        found = next((row for row in account.table(table) if row["id"] == wanted), None)
        if found is None:
            raise VendorError(404, "not_found", "The record could not be found")
        return found

    def _lister(self, listing: Listing) -> Any:
        paged = listing.page is not None
        tagged = listing.table in ("people", "companies")  # they take `tag_id`
        known = frozenset({"n", "tag_id"} if tagged else {"n"} if paged else ())

        async def serve(request: Request) -> Response:
            account = self.account(request)
            if listing.table == "recordings":
                state = self._recordings.spend(account.id, self.clock())
                if state.remaining < 0:
                    raise self.rate_limited(state)
            params = request.query_params
            tag = params.get("tag_id") if tagged else None
            collection = Collection(
                listing.table,
                since=SINCE if paged else None,
                filters=listing.filters,
                known=known,
                keep=(lambda row: any(str(t["id"]) == tag for t in row["tags"])) if tag else None,
                order=(lambda row: row["updated-at"]) if params.get("since") else None,
            )
            rows = collection.rows(account.table(listing.table), params)
            if paged:
                start = integer(params, "n", 0, lo=0)
                rows = rows[start : start + (listing.page or 0)]
            if listing.table == "deals":  # a deal's tags are not in its XML
                rows = [{k: v for k, v in row.items() if k != "tags"} for row in rows]
            body = container(listing.root, listing.item, rows, listing.array, CHILDREN)
            return self.xml(body.replace(HOST, base_url_of(request)))  # attachments' URLs

        return serve
