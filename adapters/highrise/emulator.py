"""An emulator of the Highrise API (37signals) for the sandbox, seeded from the reference company.

Vendor facts it follows (github basecamp/highrise-api: README.md and sections/people.md,
companies.md, deals.md, categories.md, tasks.md, notes.md, emails.md, recordings.md, users.md,
custom_fields.md, tags.md, data_reference.md; research notes ../shared/research/source-crms.md,
"Highrise"):
- Each account has its own host, `https://{subdomain}.highrisehq.com`, and answers XML only
  (`/people.xml`, ...). HTTP Basic with the user's API token as the username and any password
  ("a dummy password, like X"); `/me.xml` (the token's user, with its `token`) also takes the
  user's name and password, so that an app can turn them into the token.
- Apps must identify themselves with a `User-Agent`; the docs do not say how a request without
  one is refused: here as Basecamp's APIs refuse it, 400 Bad Request.
- Lists: `/people.xml`, `/companies.xml` (`since`, `tag_id`, people also `title`) and
  `/deals.xml` (`since`, `status`) paged by offset `?n=`, 500 a page ("If 500 elements are
  returned (the page limit), use ?n=500"), an empty list when nothing is left;
  `/recordings.xml` (notes, e-mails and comments, `<recording type="Note">`, `since`) 25 a
  page. `since` is `yyyymmddhhmmss` in UTC (changed after it, oldest first). `/users.xml`,
  `/tasks/all.xml` ("None of these are paginated"), `/deal_categories.xml`,
  `/task_categories.xml`, `/subject_fields.xml?type=party|deal|all` (no `type`: party) whole.
- Records are dasherized XML with typed values: `type="integer"`, `"datetime"` (UTC, `Z`),
  `"date"`, `"boolean"`; `nil="true"` for an empty one; `type="array"` on the lists the docs
  mark so (all but people, companies, users, tasks, attachments, contact data). Custom values are a
  party's or deal's `subject_datas` (`subject_field_id`, `value`, `subject_field_label`); a
  deal's tags are at `/deals/{id}/tags.xml`; its `category-id` may be nil (in no category).
- Notes and e-mails carry their files: `<attachments>` of `id`, `url`
  (`https://example.highrisehq.com/files/1`: the account's own host), `name`, `size` (adding
  one by the API "is not yet supported"). The docs say no more of the URL: a client GETs it
  with the token (Highton, seibert-media/Highton pull 19, reads `files/{id}` so). Here it is
  on the sandbox account's host and answers the bytes (type, length, inline disposition).
- Rate limit: 150 requests per 5 seconds for an account, 10 per 10 seconds on
  `/recordings.xml`; over it Highrise answers 503 Service Unavailable with `Retry-After`
  (seconds). No rate-limit headers otherwise.
- Errors carry the status; a refused token is 401 with Rails' "HTTP Basic: Access denied.";
  other errors here as Rails' `<errors><error>...</error></errors>`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import basic_pair
from adapters.core.emulation import (
    EmulatedAccount,
    RateWindow,
    SourceEmulator,
    VendorError,
    base_url_of,
)
from adapters.core.serving import Collection, Since, file_response, integer
from adapters.core.typed_xml import element
from adapters.highrise.render import HOST, IDS, held, render

API = "/{account_id}"
# The lists Highrise's docs show without type="array" (every other one is marked so).
UNMARKED = {"people", "companies", "users", "tasks", "errors", "attachments"}
UNMARKED |= {"email-addresses", "phone-numbers", "addresses"}


# The lists: path -> table (named as the list's element, dasherized: <deal-categories>).
LISTS = {
    "users.xml": "users",
    "people.xml": "people",
    "companies.xml": "companies",
    "deals.xml": "deals",
    "recordings.xml": "recordings",
    "deal_categories.xml": "deal_categories",
    "task_categories.xml": "task_categories",
    "tasks/all.xml": "tasks",
}
PAGES = {"people": 500, "companies": 500, "deals": 500, "recordings": 25}  # `?n=` and `since`
FILTERS = {"people": {"title": "title"}, "deals": {"status": "status"}}
SINCE = Since("since", "updated-at", form="compact")


class HighriseEmulator(SourceEmulator):
    ids = IDS
    one_pipeline = "deals"  # the deal categories are the stages of one pipeline
    window_seconds = 5.0
    default_burst = 150
    gate = staticmethod(basic_pair("api_token", None))  # the token, any password ("X")
    credential_names = ("api_token",)
    rate = None  # no rate-limit headers; over the limit a 503 with Retry-After
    rate_limited_status, rate_limited_message = 503, "Rate limit exceeded"
    render = staticmethod(render)  # the reference company in the vendor's shapes
    held = staticmethod(held)  # what of it the vendor can hold

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._recordings = RateWindow(seconds=10.0, burst=10)  # /recordings.xml's own window

    def routes(self) -> list[BaseRoute]:
        lists = [Route(f"{API}/{path}", self._lister(table)) for path, table in LISTS.items()]
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

    def xml(self, body: str, status: int = 200, **headers: str) -> Response:
        document = f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'
        return Response(document, status, headers, media_type="application/xml")

    async def _vendor_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, VendorError)
        if exc.status == 401:  # Rails' answer to a refused Basic login
            challenge = {"WWW-Authenticate": 'Basic realm="Application"', **exc.headers}
            return Response("HTTP Basic: Access denied.\n", 401, challenge, media_type="text/plain")
        return self.xml(element("errors", [exc.message], UNMARKED), exc.status, **exc.headers)

    async def me(self, request: Request) -> Response:
        account = self.account(request)
        user = {**account.table("users")[0], "token": account.credentials["api_token"]}
        return self.xml(element("user", user, UNMARKED))

    async def subject_fields(self, request: Request) -> Response:
        account = self.account(request)
        kind = request.query_params.get("type", "party")
        if kind not in ("party", "deal", "all"):
            raise VendorError(400, "invalid_parameter", "type must be party, deal or all")
        known = Collection("subject_fields", known=frozenset({"type"}))
        rows = known.rows(account.table("subject_fields"), request.query_params)
        rows = [row for row in rows if kind == "all" or row["type"] == kind]
        return self.xml(element("subject-fields", rows))

    async def deal_tags(self, request: Request) -> Response:
        deal = self._find(self.account(request), "deals", request.path_params["deal_id"])
        return self.xml(element("tags", deal["tags"]))

    async def file(self, request: Request) -> Response:
        found = self._find(self.account(request), "files", request.path_params["file_id"])
        return file_response(found["bytes"], found["file"].name, found["file"].mime_type)

    def _find(self, account: EmulatedAccount, table: str, wanted: int) -> dict[str, Any]:
        found = next((row for row in account.table(table) if row["id"] == wanted), None)
        if found is None:
            raise VendorError(404, "not_found", "The record could not be found")
        return found

    def _lister(self, table: str) -> Any:
        page = PAGES.get(table)  # records a page; None: the whole list at once
        tagged = table in ("people", "companies")  # they take `tag_id`
        known = frozenset({"n", "tag_id"} if tagged else {"n"} if page else ())

        async def serve(request: Request) -> Response:
            account = self.account(request)
            if table == "recordings":
                state = self._recordings.spend(account.id, self.clock())
                if state.remaining < 0:
                    raise self.rate_limited(state)
            params = request.query_params
            tag = params.get("tag_id") if tagged else None
            collection = Collection(
                table,
                since=SINCE if page else None,
                filters=FILTERS.get(table, {}),
                known=known,
                keep=(lambda row: any(str(t["id"]) == tag for t in row["tags"])) if tag else None,
                order=(lambda row: row["updated-at"]) if params.get("since") else None,
            )
            rows = collection.rows(account.table(table), params)
            if page:
                start = integer(params, "n", 0, lo=0)
                rows = rows[start : start + page]
            if table == "deals":  # a deal's tags are not in its XML
                rows = [{k: v for k, v in row.items() if k != "tags"} for row in rows]
            body = element(table.replace("_", "-"), rows, UNMARKED)
            return self.xml(body.replace(HOST, base_url_of(request)))  # attachments' URLs

        return serve
