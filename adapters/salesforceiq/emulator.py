"""An emulator of SalesforceIQ's (formerly RelateIQ) API v2 for the sandbox.

SalesforceIQ is retired; the facts come from its last published documentation (the api.
salesforceiq.com pages' sources: "Get All Lists", "Get All List Items", "Get All Accounts",
"Account Properties", "Get All Contacts", "Create an Event", "Errors") and public clients
(cameronoca/salesforceiq-api, dkarter/RelateIQClient's recorded fixtures, sourcegraph/go-relateiq,
timelf123/node-salesforceiq, davejagoda/relateiq2postgres):
- `https://api.salesforceiq.com/v2` (earlier `api.relateiq.com/v2`), HTTP Basic with the API
  key and secret.
- `GET /accounts`, `/contacts`, `/lists`, `/lists/{listId}/listitems` take `_start` (from 0)
  and `_limit` ("defaults to 50, max size is 200"), `_ids` (comma separated), and, except
  lists, `modifiedDate`: records "modified at or after this timestamp (in milliseconds since
  epoch)". List items also take `contactIds` and `accountIds`. Over 200 is refused here (the
  docs do not say what happens).
- Lists answer `{"objects": [...], "nextPage": null}` (`nextPage` is null on every page in
  the docs and in relateiq2postgres's checks: a short page is the end); list items
  `{"totalSize", "offset", "limit", "queryId", "objects", "size", "errorSize"}` (the totals
  are 0 unless `_ids` is given, so no count is read from them).
- `GET /accounts/fields` answers `{"fields": [...]}`; list and account fields are `{id, name,
  dataType, isMultiSelect, isEditable, isLinkedField, listOptions: [{id, display}]}`.
- Ids are 24-hex; `modifiedDate` is epoch ms. Users: only `GET /users/{id}` ({id, name,
  email}) is documented; the list at `/users` in the same envelope is this sandbox's own.
- Events can only be created (`PUT /events`): nothing lists them, so none are served.
- Errors are `{"statusCode", "userMessage", "errorMessage"}`. No rate limit is published:
  the sandbox answers 429 with Retry-After over its burst.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.canonical import Entity
from adapters.core.emulated_auth import basic_pair
from adapters.core.emulation import RateHeaders, SourceEmulator, VendorError
from adapters.core.serving import Collection, OffsetPages, Served, Since
from adapters.salesforceiq.export import files_of
from adapters.salesforceiq.render import IDS, held, render, stage_id

API = "/{account_id}/v2"
PAGES = OffsetPages(size_param="_limit", start_param="_start", default=50, most=200)
# "modified at or after this timestamp" (the docs' words), not strictly after.
MODIFIED = Since("modifiedDate", "modifiedDate", "epoch_ms", inclusive=True)


def envelope(page: Served, request: Request) -> Any:
    return {"objects": page.items, "nextPage": None}


def items_envelope(page: Served, request: Request) -> Any:
    total = page.total if "_ids" in request.query_params else 0
    counts = {"totalSize": total, "offset": 0, "limit": 0, "size": 0, "errorSize": 0}
    return {**counts, "queryId": None, "objects": page.items}


class SalesforceIqEmulator(SourceEmulator):
    ids, id_form = IDS, "hex24"
    window_seconds = 10.0
    default_burst = 500
    gate = staticmethod(basic_pair("api_key", "api_secret"))
    credential_names = ("api_key", "api_secret")
    error_shape = dict(statusCode="{status}", userMessage="{message}", errorMessage="{message}")
    rate = RateHeaders(limit=None, remaining=None, reset=None, retry_after=True)
    unauthorized_message = "Unauthorized"
    rate_limited_message = "Rate limit exceeded"

    render = staticmethod(render)  # the reference company in the vendor's shapes
    held = staticmethod(held)  # what of it the vendor can hold

    def vendor_id(self, entity: Entity, field: str, reference_id: str) -> str | None:
        if (entity is Entity.stages and field == "source_id") or field == "stage_source_id":
            return stage_id(reference_id)
        return super().vendor_id(entity, field, reference_id)

    def routes(self) -> list[BaseRoute]:
        return [
            Route(f"{API}/users", self._lister("users", since=False)),
            Route(f"{API}/users/{{record_id}}", self.user),
            Route(f"{API}/accounts", self._lister("accounts")),
            Route(f"{API}/accounts/fields", self.account_fields),
            Route(f"{API}/contacts", self._lister("contacts")),
            Route(f"{API}/lists", self._lister("lists", since=False)),
            Route(f"{API}/lists/{{list_id}}/listitems", self.list_items),
        ]

    def export(self, account_id: str) -> dict[str, bytes]:
        """The account's data as SalesforceIQ's CSV export (see export.py for the layout)."""
        return files_of(self.account_of(account_id).tables)

    def _lister(self, table: str, since: bool = True) -> Any:
        collection = Collection(table, since=MODIFIED if since else None, filters={"_ids": "id"})

        async def serve(request: Request) -> Response:
            return self.serve_list(request, collection, PAGES, envelope)

        return serve

    async def user(self, request: Request) -> Response:
        wanted = request.path_params["record_id"]
        found = [u for u in self.account(request).table("users") if u["id"] == wanted]
        if not found:
            raise VendorError(404, "not_found", "User not found")
        return self.respond(request, found[0])

    async def account_fields(self, request: Request) -> Response:
        return self.respond(request, {"fields": self.account(request).table("account_fields")})

    async def list_items(self, request: Request) -> Response:
        list_id = request.path_params["list_id"]
        if not any(row["id"] == list_id for row in self.account(request).table("lists")):
            raise VendorError(404, "not_found", "List not found")
        collection = Collection(
            "listitems",
            since=MODIFIED,
            filters={"_ids": "id", "accountIds": "accountId", "contactIds": "contactIds"},
            keep=lambda row: row["listId"] == list_id,
        )
        return self.serve_list(request, collection, PAGES, items_envelope)
