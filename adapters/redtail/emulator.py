"""An emulator of Redtail CRM's public API v1 for the sandbox.

Vendor facts it follows (research notes ../shared/research/source-crms.md, "Redtail CRM";
help.redtailtechnology.com "Authentication Methods" for the Basic triple and UserKey):
- `https://crm.redtailtechnology.com/api/public/v1` (sandbox `review.crm.redtailtechnology.com`).
- `GET /authentication` with `Authorization: Basic base64(APIKey:Username:Password)` answers
  `{"authenticated_user": {"user_key": ...}}`; every other call sends
  `Authorization: Userkeyauth base64(APIKey:UserKey)`.
- `/lists/database_users`, `/contacts` (individuals and businesses), `/contacts/search`
  (`updated_since`), `/opportunities`, `/lists/opportunity_stages`, `/activities`
  (`linked_contacts`), `/contacts/{id}/notes` (`note_associations`); integer ids.
- Lists take `?page=N` (from 1) with the page size in a `pagesize` request header, and answer
  `{"<list>": [...], "meta": {"total_records", "total_pages"}}`.
- Tag groups (Redtail's tags): `GET /lists/tag_groups` and each group's members at
  `GET /tag_groups/{id}/contacts`, after the legacy REST API's `taggroups` and
  `taggroups/{id}/contacts` (ruby-redtail), in the public API's names and envelope (chosen here).
- Not checked against the docs (chosen here): record field names, `/contacts/search`
  (not served; the source reads whole lists), the size limit (200), the error body
  `{"message": ...}`, the rate-limit headers and 429 Retry-After.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import Login, basic_parts
from adapters.core.emulation import EmulatedAccount, RateHeaders, SourceEmulator, VendorError
from adapters.core.serving import Collection, NumberedPages, Served
from adapters.redtail.render import IDS, held, render
from adapters.redtail.source import PIPELINE_ID

API = "/{account_id}/api/public/v1"
PAGES = NumberedPages(page_param="page", size_param="pagesize", default=100, most=200)
LISTS = {
    "lists/database_users": ("database_users", "database_users"),
    "contacts": ("contacts", "contacts"),
    "opportunities": ("opportunities", "opportunities"),
    "lists/opportunity_stages": ("opportunity_stages", "opportunity_stages"),
    "activities": ("activities", "activities"),
    "lists/tag_groups": ("tag_groups", "tag_groups"),
}


def user_key(account: EmulatedAccount, request: Request) -> bool:
    """`Userkeyauth base64(APIKey:UserKey)` with a user key this emulator issued."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "userkeyauth":
        return False
    try:
        key, _, issued = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return key == account.credentials.get("api_key") and issued in account.tokens


LOGIN = Login(
    matches={name: name for name in ("api_key", "username", "password")},
    read=basic_parts("api_key", "username", "password"),
    answer=lambda token, request, account: {"authenticated_user": {"user_key": token}},
    refusal=lambda field, given: (401, {"message": "Invalid credentials."}),
)


class RedtailEmulator(SourceEmulator):
    ids = IDS
    one_pipeline = PIPELINE_ID
    window_seconds = 1.0
    default_burst = 10
    gate = staticmethod(user_key)
    credential_names = ("api_key", "username", "password")
    error_shape = {"message": "{message}"}
    rate = RateHeaders(retry_after=True)
    unauthorized_message = "Invalid or missing Userkeyauth credentials."

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            self.login_route(f"{API}/authentication", LOGIN, methods=("GET",))
        ]
        for path, (table, key) in LISTS.items():
            routes.append(Route(f"{API}/{path}", self._lister(table, key)))
        routes.append(Route(f"{API}/contacts/{{contact_id:int}}/notes", self._notes))
        routes.append(Route(f"{API}/tag_groups/{{group_id:int}}/contacts", self._members))
        return routes

    def _page(self, request: Request, collection: Collection, key: str) -> Response:
        account = self.account(request)
        params = dict(request.query_params)
        if "pagesize" in request.headers:
            params["pagesize"] = request.headers["pagesize"]
        rows = collection.rows(account.table(collection.table), params, PAGES)
        page: Served = PAGES.serve(rows, params)
        meta = {"total_records": page.total, "total_pages": page.pages}
        return self.respond(request, {key: page.items, "meta": meta})

    def _lister(self, table: str, key: str) -> Any:
        collection = Collection(table, order=lambda r: r["id"])

        async def serve(request: Request) -> Response:
            return self._page(request, collection, key)

        return serve

    async def _notes(self, request: Request) -> Response:
        contact = request.path_params["contact_id"]
        collection = Collection(
            "notes",
            keep=lambda n: n["note_associations"][0]["noteable_id"] == contact,
            order=lambda r: r["id"],
        )
        return self._page(request, collection, "notes")

    async def _members(self, request: Request) -> Response:
        group = request.path_params["group_id"]
        if not any(g["id"] == group for g in self.account(request).table("tag_groups")):
            raise VendorError(404, "not_found", "Tag group not found.")
        collection = Collection(
            "tag_members", keep=lambda m: m["tag_group_id"] == group, order=lambda r: r["id"]
        )
        return self._page(request, collection, "contacts")

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold
