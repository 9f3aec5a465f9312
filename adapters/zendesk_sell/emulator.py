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
- `leads` (developer.zendesk.com .../resources/leads; the fields as zendesk/basecrm-ruby's
  Lead model): a person at a company held on the lead, `tags` of names, as are a contact's and
  a deal's. Notes, tasks and calls hang on one by `resource_type` "lead".
- `documents` (.../resources/documents): `GET /v2/documents?resource_type=&resource_id=` (both
  required, each comma-separated: the documents of many records in one list) and
  `GET /v2/documents/:id`; each has `name`, `content_type`, `size` and a `download_url` that
  expires after 90 minutes, signed (S3-style) and fetched with no credentials; it answers the
  bytes with their Content-Type and Content-Length, an expired or forged one 403 in S3's XML.
- 36,000 requests an hour per token (10 a second); over it, 429. The rate-limit page names no
  rate-limit header and no Retry-After: none is sent here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import bearer_key
from adapters.core.emulation import (
    EmulatedAccount,
    RateHeaders,
    SourceEmulator,
    VendorError,
    base_url_of,
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
    "leads": ("leads", "lead", {"status": "status", "owner_id": "owner_id"}),
    "contact/custom_fields": ("contact_custom_fields", "custom_field", {}),
    "deal/custom_fields": ("deal_custom_fields", "custom_field", {}),
}
ATTACHED = {"resource_type": "resource_type", "resource_id": "resource_id"}
DOCUMENTS = Collection("documents", filters={"ids": "id", **ATTACHED}, order=lambda r: r["id"])
SIGNED_SECONDS = 90 * 60  # a download_url expires after 90 minutes
DENIED = (
    "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
    "<Message>Request has expired</Message></Error>"
)


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

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._signing_key = secrets.token_bytes(16)
        # Fault injection for tests: documents whose download sends half the body it announces.
        self.cut_short: set[int] = set()

    def routes(self) -> list[BaseRoute]:
        lists = [Route(f"{API}/{path}", self._lister(*spec)) for path, spec in LISTS.items()]
        return [
            Route(f"{API}/users/self", self._self),
            *lists,
            Route(f"{API}/documents", self._documents),
            Route(f"{API}/documents/{{document_id:int}}", self._document),
            Route("/{account_id}/sell-documents/{document_id:int}/{name}", self._download),
        ]

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

    async def _documents(self, request: Request) -> Response:
        account = self.account(request)  # the token first, then the query
        for required in ATTACHED:
            if not request.query_params.get(required):
                raise VendorError(400, "invalid_parameter", f"{required} is required.")
        envelope = enveloped("document")
        rows = DOCUMENTS.rows(account.table("documents"), request.query_params, PAGES)
        page = PAGES.serve(rows, request.query_params)
        page.items[:] = [self._public(request, row) for row in page.items]
        return self.respond(request, envelope(page, request))

    async def _document(self, request: Request) -> Response:
        wanted = request.path_params["document_id"]
        rows = self.account(request).table("documents")
        found = next((row for row in rows if row["id"] == wanted), None)
        if found is None:
            raise VendorError(404, "not_found", f"Document {wanted} not found.")
        return self.respond(
            request, {"data": self._public(request, found), "meta": {"type": "document"}}
        )

    def _public(self, request: Request, row: dict[str, Any]) -> dict[str, Any]:
        """The document as answered: a download URL signed for the next 90 minutes."""
        expires = int(self.clock()) + SIGNED_SECONDS
        query = urlencode({"Expires": expires, "Signature": self._sign(row["id"], expires)})
        url = f"{base_url_of(request)}/sell-documents/{row['id']}/{quote(row['name'])}?{query}"
        return {**{k: v for k, v in row.items() if not k.startswith("_")}, "download_url": url}

    async def _download(self, request: Request) -> Response:
        """The signed URL: no credentials and no API rate limit (it is the file store's)."""
        account_id, wanted = request.path_params["account_id"], request.path_params["document_id"]
        expires, given = (
            request.query_params.get("Expires", ""),
            request.query_params.get("Signature", ""),
        )
        valid = expires.isdigit() and int(expires) >= self.clock()
        valid = valid and hmac.compare_digest(given, self._sign(wanted, int(expires)))
        rows = (
            self.account_of(account_id).table("documents") if self.has_account(account_id) else []
        )
        found = next((row for row in rows if row["id"] == wanted), None)
        if found is None or not valid:
            return Response(DENIED, 403, media_type="application/xml")
        data: bytes = found["_bytes"]
        sent = data[: len(data) // 2] if wanted in self.cut_short else data

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(sent), 64 * 1024):
                yield sent[start : start + 64 * 1024]

        headers = {"Content-Length": str(len(data))}
        return StreamingResponse(chunks(), 200, headers, media_type=found["content_type"])

    def _sign(self, document_id: int, expires: int) -> str:
        message = f"{document_id}:{expires}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold
