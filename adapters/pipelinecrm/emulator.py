"""An emulator of Pipeline CRM's (PipelineDeals') REST API v3 for the sandbox.

Vendor facts it follows (research notes ../shared/research/source-crms.md, "PipelineDeals";
basis: the PipelineDeals/pipeline_api client's recorded responses):
- `https://api.pipelinecrm.com/api/v3/<resource>.json`, the key as `?api_key=`.
- `users`, `companies`, `people`, `deals`, `notes`, `calendar_entries`, `admin/deal_stages`,
  `admin/{deal,person,company}_custom_field_labels`; integer ids; times like
  `2012/02/07 15:26:10 -0500`; custom values `custom_fields.custom_label_{id}`.
- Lists take `page` (from 1) and `per_page` (at most 200) and answer
  `{"entries": [...], "pagination": {"page", "page_var", "per_page", "pages", "total"}}`
  (spec/cassettes/*_index.yml of PipelineDeals/pipeline_api).
- Errors are JSON `{"error": "..."}`: 400, 401 (bad key), 403, 404, 406, 429 (the gem's
  `handle_errors` in lib/pipeline/base.rb). Answers carry `X-Ratelimit-Limit`, `-Remaining`
  and `-Reset` (epoch seconds, a one-second window; cassettes). About 5 calls a second per key
  (research notes); whether a 429 has Retry-After is not recorded: it has one here.
- People: `email`, `email2`, `home_email`, `phone`, `mobile`, `home_phone`, `fax`; stages carry
  `percent` and `deal_pipeline_id` (cassettes people_index, deal_stages_index).
- `documents` (one list, `deal_id`/`person_id`/`company_id` filters) and `documents/{id}`, the
  document itself (a bare object, as `people/{id}` answers); each names a `public_link`, an S3
  URL signed for an hour (`AWSAccessKeyId`, `Expires`, `Signature`,
  `response-content-disposition=attachment`, `response-content-type`), fetched with no
  credentials: the bytes with that Content-Type and their Content-Length, else S3's 403
  AccessDenied (cassettes Pipeline_Deal_documents, get_a_person).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import query_key
from adapters.core.emulation import RateHeaders, SourceEmulator, VendorError, base_url_of
from adapters.core.serving import Collection, NumberedPages, Served
from adapters.pipelinecrm.render import IDS, held, render
from adapters.pipelinecrm.source import PIPELINE_ID

API = "/{account_id}/api/v3"
SIGNED_SECONDS = 3600  # the recorded links expire an hour after they were handed out
DOCUMENT_FILTERS = {"deal_id": "deal_id", "person_id": "person_id", "company_id": "company_id"}
PAGES = NumberedPages(page_param="page", size_param="per_page", default=200, most=200)
LISTS = {
    "users": "users",
    "companies": "companies",
    "people": "people",
    "deals": "deals",
    "notes": "notes",
    "calendar_entries": "calendar_entries",
    "admin/deal_stages": "deal_stages",
    "admin/deal_custom_field_labels": "deal_custom_field_labels",
    "admin/person_custom_field_labels": "person_custom_field_labels",
    "admin/company_custom_field_labels": "company_custom_field_labels",
}


def envelope(page: Served, request: Request) -> Any:
    return {
        "entries": page.items,
        "pagination": {
            "page": page.page,
            "page_var": "page",
            "per_page": page.size,
            "total": page.total,
            "pages": page.pages,
        },
    }


class PipelineCrmEmulator(SourceEmulator):
    ids = IDS
    one_pipeline = PIPELINE_ID
    window_seconds = 1.0
    default_burst = 5  # about five calls a second
    gate = staticmethod(query_key("api_key", "api_key"))
    credential_names = ("api_key",)
    error_shape = {"error": "{message}"}
    rate = RateHeaders(reset_epoch=True, retry_after=True)
    unauthorized_message = "Unauthorized: the api_key is not valid."
    rate_limited_message = "Rate limit exceeded."

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._signing_key = secrets.token_bytes(16)
        self.cut_short: set[int] = set()  # documents whose link sends half its body (for tests)

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = []
        for path, table in {**LISTS, "documents": "documents"}.items():
            routes.append(Route(f"{API}/{path}.json", self._lister(table)))
            routes.append(Route(f"{API}/{path}", self._lister(table)))
        routes.append(Route(f"{API}/documents/{{doc_id:int}}.json", self.document))
        routes.append(Route(f"{API}/documents/{{doc_id:int}}", self.document))
        routes.append(Route("/{account_id}/uploaded_documents/{doc_id:int}/{name}", self.download))
        return routes

    def _lister(self, table: str) -> Any:
        filters = DOCUMENT_FILTERS if table == "documents" else {}
        collection = Collection(
            table, filters=filters, known=frozenset({"api_key"}), order=lambda r: r["id"]
        )

        async def serve(request: Request) -> Response:
            shape = (lambda doc: self._linked(request, doc)) if table == "documents" else None
            return self.serve_list(request, collection, PAGES, envelope, shape=shape)

        return serve

    async def document(self, request: Request) -> Response:
        wanted = request.path_params["doc_id"]
        found = [d for d in self.account(request).table("documents") if d["id"] == wanted]
        if not found:
            raise VendorError(404, "not_found", "Document not found")
        return self.respond(request, self._linked(request, found[0]))

    def _linked(self, request: Request, doc: dict[str, Any]) -> dict[str, Any]:
        """The document with a link signed now."""
        stored = self._stored(request.path_params["account_id"], doc["id"])
        expires = int(self.clock()) + SIGNED_SECONDS
        query = urlencode({
            "AWSAccessKeyId": "AKIAFERRYSANDBOX", "Expires": expires,
            "Signature": self._sign(doc["id"], expires),
            "response-content-disposition": "attachment",
            "response-content-type": stored["type"] if stored else "application/octet-stream",
        })  # fmt: skip
        name = quote(doc["title"])
        link = f"{base_url_of(request)}/uploaded_documents/{doc['id']}/{name}?{query}"
        return {**doc, "public_link": link}

    async def download(self, request: Request) -> Response:
        """The signed link: S3's, so no credentials and no API rate limit."""
        doc_id, params = request.path_params["doc_id"], request.query_params
        expires = params.get("Expires", "")
        given = params.get("Signature", "")
        valid = expires.isdigit() and hmac.compare_digest(given, self._sign(doc_id, int(expires)))
        stored = self._stored(request.path_params["account_id"], doc_id)
        if stored is None or not valid or int(expires) < self.clock():
            body = "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>" \
                "<Message>Request has expired or its signature does not match</Message></Error>"  # fmt: skip
            return Response(body, 403, media_type="application/xml")
        data: bytes = stored["bytes"]
        sent = data[: len(data) // 2] if doc_id in self.cut_short else data

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(sent), 64 * 1024):
                yield sent[start : start + 64 * 1024]

        headers = {"Content-Length": str(len(data)), "Content-Disposition": "attachment"}
        content_type = params.get("response-content-type") or stored["type"]
        return StreamingResponse(chunks(), 200, headers, media_type=content_type)

    def _stored(self, account_id: str, doc_id: int) -> dict[str, Any] | None:
        if not self.has_account(account_id):
            return None
        rows = self.account_of(account_id).table("document_bytes")
        return next((row for row in rows if row["id"] == doc_id), None)

    def _sign(self, doc_id: int, expires: int) -> str:
        message = f"{doc_id}:{expires}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold
