"""An emulator of Zendesk Sell's (formerly Base CRM) Core API v2 for the sandbox.

Vendor facts it follows (research notes ../shared/research/source-crms.md, "Base CRM (Zendesk
Sell)"; developer.zendesk.com/api-reference/sales-crm: requests, errors, rate-limits,
resources/custom-fields; the official clients: zendesk/basecrm-python http_client.py and
services.py, zendesk/basecrm-ruby lib/basecrm/models/*.rb for the record fields):
- `https://api.getbase.com/v2/<resource>`, `Authorization: Bearer <access token>` (a personal
  access token or an OAuth token). A request without a `User-Agent` is refused: 400
  (code `invalid_user_agent`, as api-evangelist/zendesk-sell's conventions file names it).
- `users` (and `users/self`), `contacts` (people and companies, `is_organization`), `deals`,
  `pipelines`, `stages`, `loss_reasons`, `products`, `tasks`, `calls`, `notes` and
  `/v2/:resource_type/custom_fields` (`contact`, `deal`; a contact field is `for_company`
  and/or `for_contact`).
- Lists take `page` (from 1), `per_page` (at most 100, default 25), `ids` and filters, and
  answer `{"items": [{"data": {...}, "meta": {"type": "<type>"}}], "meta": {"type":
  "collection", "count": <items on the page>, "links": {"self": url, "next_page": url}}}`;
  `next_page` is left out on the last page. One record: `{"data": {...}, "meta": {"type"}}`.
- Errors: `{"errors": [{"error": {"code", "message", "details"}, "meta": {"type": "error"}}],
  "meta": {"type": "errors", "http_status": "401 Unauthorized", "logref": <request id>}}`.
- 36,000 requests an hour per token (10 a second); over it, 429. The rate-limit page names no
  rate-limit header and no Retry-After: none is sent here.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import bearer_key
from adapters.core.emulation import (
    EmulatedAccount,
    RateHeaders,
    SourceEmulator,
    VendorError,
)
from adapters.core.serving import Collection, NumberedPages, Served, next_url
from adapters.zendesk_sell.render import IDS, held, render

API = "/{account_id}/v2"
PAGES = NumberedPages(page_param="page", size_param="per_page", default=25, most=100)
ORG = {"is_organization": lambda r: str(r["is_organization"]).lower()}  # true / false
CONTACTS = {**ORG, "contact_id": "contact_id", "owner_id": "owner_id"}
# path -> (table, record type, filters: parameter -> record field)
LISTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "users": ("users", "user", {"status": "status", "email": "email"}),
    "contacts": ("contacts", "contact", CONTACTS),
    "deals": ("deals", "deal", {"stage_id": "stage_id", "owner_id": "owner_id"}),
    "pipelines": ("pipelines", "pipeline", {}),
    "stages": ("stages", "stage", {"pipeline_id": "pipeline_id"}),
    "loss_reasons": ("loss_reasons", "loss_reason", {}),
    "products": ("products", "product", {"sku": "sku"}),
    "tasks": ("tasks", "task", {"resource_type": "resource_type", "owner_id": "owner_id"}),
    "calls": ("calls", "call", {"resource_type": "resource_type", "user_id": "user_id"}),
    "notes": ("notes", "note", {"resource_type": "resource_type", "creator_id": "creator_id"}),
    "contact/custom_fields": ("contact_custom_fields", "custom_field", {}),
    "deal/custom_fields": ("deal_custom_fields", "custom_field", {}),
}


def enveloped(kind: str) -> Any:
    def envelope(page: Served, request: Request) -> Any:
        links = {"self": str(request.url)}
        if (following := next_url(request, page)) is not None:
            links["next_page"] = following
        return {
            "items": [{"data": item, "meta": {"type": kind}} for item in page.items],
            "meta": {"type": "collection", "count": len(page.items), "links": links},
        }

    return envelope


class ZendeskSellEmulator(SourceEmulator):
    ids = IDS
    window_seconds = 1.0
    default_burst = 10  # 36,000 an hour: ten a second per token
    gate = staticmethod(bearer_key("access_token"))
    credential_names = ("access_token",)
    rate = RateHeaders(limit=None, remaining=None, reset=None, retry_after=False)
    unauthorized_message = "Invalid or expired access token."
    rate_limited_message = "Rate limit exceeded."

    def routes(self) -> list[BaseRoute]:
        lists = [Route(f"{API}/{path}", self._lister(*spec)) for path, spec in LISTS.items()]
        return [Route(f"{API}/users/self", self._self), *lists]

    def authenticate(self, account: EmulatedAccount, request: Request) -> bool:
        if not request.headers.get("user-agent"):
            raise VendorError(400, "invalid_user_agent", "User-Agent header is required.")
        return super().authenticate(account, request)

    def error_body(self, status: int, code: str, message: str) -> Any:
        # The reason phrase joins the status ("401 Unauthorized"); the logref is the request id.
        return {
            "errors": [
                {
                    "error": {"code": code, "message": message, "details": message},
                    "meta": {"type": "error"},
                }
            ],
            "meta": {
                "type": "errors",
                "http_status": f"{status} {HTTPStatus(status).phrase}",
                "logref": str(uuid.uuid4()),
            },
        }

    def _lister(self, table: str, kind: str, filters: dict[str, Any]) -> Any:
        collection = Collection(
            table,
            filters={"ids": "id", **filters},  # type: ignore[dict-item]
            order=lambda r: r["id"],
        )
        envelope = enveloped(kind)

        async def serve(request: Request) -> Response:
            return self.serve_list(request, collection, PAGES, envelope)

        return serve

    async def _self(self, request: Request) -> Response:
        account = self.account(request)
        me = account.table("users")[0] if account.table("users") else {}
        return self.respond(request, {"data": me, "meta": {"type": "user"}})

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold
