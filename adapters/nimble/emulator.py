"""An emulator of Nimble's REST API v1 for the sandbox, seeded from the reference company.

Vendor facts it follows (nimble.com/developers/docs, the OpenAPI it embeds, and the research
notes in ../shared/research/source-crms.md):
- `https://api.nimble.com/api/v1/...` with `Authorization: Bearer <token>` (the OpenAPI's
  security scheme also names an `X-Nimble-Token` header; both are accepted).
- `GET /myself` tells the token's user (`user_id`, `name`, `email`, `company_id`,
  `company_size`). Users are listed here at `/users` in the OpenAPI's ShortUserInfo shape
  (`user_id`, `name`, `email`, `is_active`); no listing of users was found in its split files.
- `GET /contacts` (OpenAPI "Contact List") takes `record_type` (person, company, all; default
  all), `keyword`, `fields`, `tags`, `sort`, `query`, `contexts`, `page` (from 1) and
  `per_page` (default 30; the most, 100, is the sandbox's: none is published); lists answer
  `{"meta": {page, pages, per_page, total}, "resources": [...]}`. Contact values are keyed by
  field label, each a list of `{value, label, modifier}`; an address value is a dict written
  as a Python-style string (`"{'city': ..., 'street': ...}"`), as in the OpenAPI's example.
- A contact lists its `tags` ([{tag, id}]); `tags=0` leaves them out (nimblecrm/api-docs,
  contacts/basic/list.rst: "tags — default: 1, whether tags should be included").
- `GET /contact/{id}/notes`: a contact's notes (`note`, `contacts`, `created`).
- Ids are 24-hex object ids. No changed-since filter on lists.
- Errors are `{"message": ..., "code": <int>}`; a malformed request is 409 with code 245
  (the OpenAPI's Errors.ValidationError), a missing object 404. Nimble publishes no rate
  limit (api-evangelist/nimble rate-limits notes); the sandbox answers 429 over its burst,
  with Retry-After.
- Tasks follow the OpenAPI's Tasks.Task (`subject`, `notes`, `due_date`, `completed`,
  `owner_id`, `related.contacts` [{id, contact_type}]). The OpenAPI documents creating tasks
  (`POST /tasks`) and listing activities (`GET /activities?direction=...`, cursor in
  `next_page`); the list of tasks served here at `/activities/task` is the sandbox's own.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import any_of, bearer_key, header_key
from adapters.core.emulation import RateHeaders, SourceEmulator, VendorError
from adapters.core.serving import Collection, NumberedPages, Served
from adapters.nimble.render import IDS, held, render

API = "/{account_id}/api/v1"
PAGES = NumberedPages(page_param="page", size_param="per_page", default=30, most=100)
KINDS = {"person": ("person",), "company": ("company",), "all": ("person", "company")}
CONTACTS = Collection(
    "contacts",
    known=frozenset({"record_type", "keyword", "fields", "tags", "sort", "query", "contexts"}),
)
USERS = Collection("users")
NOTES = Collection("notes")
TASKS = Collection("tasks")


def envelope(page: Served, request: Request) -> Any:
    meta = {"page": page.page, "pages": page.pages, "per_page": page.size, "total": page.total}
    return {"meta": meta, "resources": page.items}


class NimbleEmulator(SourceEmulator):
    ids, id_form = IDS, "hex24"
    window_seconds = 10.0
    default_burst = 1000
    gate = staticmethod(
        any_of(bearer_key("access_token"), header_key("X-Nimble-Token", "access_token"))
    )
    credential_names = ("access_token",)
    error_shape = {"message": "{message}", "code": "{code}"}
    rate = RateHeaders(limit=None, remaining=None, reset=None)
    unauthorized_message = "Invalid access token"

    def routes(self) -> list[BaseRoute]:
        return [
            Route(f"{API}/myself", self.myself),
            Route(f"{API}/users", self.users),
            Route(f"{API}/contacts", self.contacts),
            Route(f"{API}/contact/{{contact_id}}/notes", self.notes),
            Route(f"{API}/activities/task", self.tasks),
        ]

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"message": message, "code": int(code) if code.isdigit() else status}

    def serve_list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().serve_list(request, *args, **kwargs)
        except VendorError as exc:  # Nimble refuses a malformed query as a validation error
            if exc.status != 400:
                raise
            raise VendorError(409, "245", exc.message) from None

    async def myself(self, request: Request) -> Response:
        account = self.account(request)
        user = account.table("users")[0]
        body = {"user_id": user["user_id"], "name": user["name"], "email": user["email"]}
        company = {"company_id": account.id, "company_size": len(account.table("users"))}
        return self.respond(request, {**body, **company})

    async def users(self, request: Request) -> Response:
        return self.serve_list(request, USERS, PAGES, envelope)

    async def contacts(self, request: Request) -> Response:
        kind = request.query_params.get("record_type", "all")
        if kind not in KINDS:
            raise VendorError(409, "245", "record_type must be person, company or all")
        wanted = KINDS[kind]
        collection = Collection(
            "contacts", known=CONTACTS.known, keep=lambda raw: raw["record_type"] in wanted
        )
        tagged = request.query_params.get("tags", "1")
        if tagged not in ("0", "1"):
            raise VendorError(409, "245", "tags must be 0 or 1")
        shape = None if tagged == "1" else lambda raw: {k: v for k, v in raw.items() if k != "tags"}
        return self.serve_list(request, collection, PAGES, envelope, shape=shape)

    async def notes(self, request: Request) -> Response:
        account = self.account(request)
        contact = request.path_params["contact_id"]
        if not any(c["id"] == contact for c in account.table("contacts")):
            raise VendorError(404, "404", "Contact not found")
        on_it = Collection("notes", keep=lambda raw: contact in raw["contacts"])
        return self.serve_list(request, on_it, PAGES, envelope)

    async def tasks(self, request: Request) -> Response:
        return self.serve_list(request, TASKS, PAGES, envelope)
