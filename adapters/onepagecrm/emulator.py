"""An emulator of OnePageCRM's REST API v3 for the sandbox.

Vendor facts it follows (official OpenAPI spec ../shared/specs/onepagecrm/
onepagecrm-api-v3-swagger.yaml; research notes ../shared/research/source-crms.md):
- `https://app.onepagecrm.com/api/v3/<resource>`, HTTP Basic `user_id:api_key`.
- `users`, `companies`, `contacts`, `deals`, `pipelines` (stages inline as {stage, label}),
  `actions`, `calls`, `meetings` (`call_time_int`, `meeting_time_int`), `notes`, `custom_fields`/`company_fields`/`deal_fields` (types single_line_text,
  multi_line_text, number, date, select_box, multiple_choice...; `choices` are labels); values
  on a record as [{"custom_field": {...}, "value": ...}] (`company_field`, `deal_field`); ids are 24-hex BSON ids (schemas Contact, Deal, Pipeline...).
- Lists take `page` (from 1) and `per_page` (at most 100) and answer `{"status": 0, "message":
  "OK", "timestamp": <unix>, "data": {"<plural>": [{"<singular>": {...}}], "total_count",
  "page", "per_page", "max_page"}}` (schemas Success, Page_data). `modified_since` takes Unix
  seconds.
- Errors carry `status`, `message`, `error_name` and `error_message` (the spec's error
  responses). The rate limit is not documented: a 429 with Retry-After here.
- Deals, notes, calls and meetings carry `attachments` (schema Attachment: id, filename, size,
  storage_provider, `url` signed until `url_expires_at`); `GET /<plural>/{id}` answers
  `{"data": {"<singular>": {...}}}` (getDeal...) with freshly signed URLs; there is no GET of
  one attachment. The URL is S3's (SigV4-style query, fetched with no credentials and no API
  rate limit): the bytes, else S3's 403 AccessDenied "Request has expired" (XML).
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.canonical import Entity
from adapters.core.emulated_auth import basic_pair
from adapters.core.emulation import RateHeaders, SourceEmulator, VendorError, base_url_of
from adapters.core.serving import Collection, NumberedPages, Served, Since
from adapters.onepagecrm.render import IDS, held, render, stage_id

API = "/{account_id}/api/v3"
PAGES = NumberedPages(page_param="page", size_param="per_page", default=10, most=100)
LISTS = {
    "users": "user",
    "companies": "company",
    "contacts": "contact",
    "deals": "deal",
    "pipelines": "pipeline",
    "actions": "action",
    "notes": "note",
    "calls": "call",
    "meetings": "meeting",
    "custom_fields": "custom_field",
    "company_fields": "company_field",
    "deal_fields": "deal_field",
}
ATTACHED = ("deals", "notes", "calls", "meetings")  # the records that take attachments
SIGNED_SECONDS = 3600


def enveloped(plural: str, singular: str) -> Any:
    def envelope(page: Served, request: Request) -> Any:
        return {
            "status": 0,
            "message": "OK",
            "timestamp": 1767254400,
            "data": {
                plural: [{singular: item} for item in page.items],
                "total_count": page.total,
                "page": page.page,
                "per_page": page.size,
                "max_page": page.pages,
            },
        }

    return envelope


class OnePageCrmEmulator(SourceEmulator):
    ids, id_form = IDS, "hex24"
    window_seconds = 1.0
    default_burst = 10
    gate = staticmethod(basic_pair("user_id", "api_key"))
    credential_names = ("user_id", "api_key")
    error_shape = {
        "status": "{status}",
        "message": "{message}",
        "error_name": "{code}",
        "error_message": "{message}",
    }
    rate = RateHeaders(retry_after=True)
    unauthorized_message = "Authorization data is invalid."

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._signing_key = secrets.token_bytes(16)

    def vendor_id(self, entity: Entity, field: str, reference_id: str) -> str | None:
        if (entity is Entity.stages and field == "source_id") or field == "stage_source_id":
            return stage_id(reference_id)
        return super().vendor_id(entity, field, reference_id)

    def routes(self) -> list[BaseRoute]:
        lists = [Route(f"{API}/{path}", self._lister(path, one)) for path, one in LISTS.items()]
        ones = [Route(f"{API}/{path}/{{record_id}}", self._getter(path)) for path in ATTACHED]
        return [*lists, *ones, Route("/{account_id}/s3/{attachment_id}/{name}", self.download)]

    def _signed(self, request: Request, record: dict[str, Any]) -> dict[str, Any]:
        """The record with its attachments' URLs signed now."""
        if not record.get("attachments"):
            return record
        now = int(self.clock())
        signed_at = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
        stamp = datetime.fromtimestamp(now + SIGNED_SECONDS, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        signed = []
        for item in record["attachments"]:
            query = urlencode({
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": "AKIAFERRYSANDBOX",
                "X-Amz-Date": signed_at, "X-Amz-Expires": SIGNED_SECONDS,
                "X-Amz-Signature": self._sign(item["id"], now),
            })  # fmt: skip
            name = quote(item["filename"])
            url = f"{base_url_of(request)}/s3/{item['id']}/{name}?{query}"
            signed.append({**item, "url": url, "url_expires_at": stamp})
        return {**record, "attachments": signed}

    def _getter(self, plural: str) -> Any:
        singular = LISTS[plural]

        async def get_one(request: Request) -> Response:
            wanted = request.path_params["record_id"]
            found = [r for r in self.account(request).table(plural) if r["id"] == wanted]
            if not found:
                raise VendorError(404, "Resource Not Found", f"No {singular} with id {wanted}.")
            body = {"status": 0, "message": "OK", "timestamp": 1767254400,
                    "data": {singular: self._signed(request, found[0])}}  # fmt: skip
            return self.respond(request, body)

        return get_one

    async def download(self, request: Request) -> Response:
        """The signed URL: S3's, so no credentials and no API rate limit."""
        wanted, params = request.path_params["attachment_id"], request.query_params
        try:  # SigV4: signed at X-Amz-Date, good for X-Amz-Expires seconds
            when = datetime.strptime(params.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ")
            signed_at = int(when.replace(tzinfo=UTC).timestamp())
            expires = signed_at + int(params.get("X-Amz-Expires", ""))
        except ValueError:
            signed_at = expires = 0
        given = params.get("X-Amz-Signature", "")
        valid = bool(signed_at) and hmac.compare_digest(given, self._sign(wanted, signed_at))
        account = request.path_params["account_id"]
        rows = (
            self.account_of(account).table("attachment_bytes") if self.has_account(account) else []
        )
        stored = next((row for row in rows if row["id"] == wanted), None)
        refused = None
        if not valid:
            refused = (
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match",
            )
        elif expires < self.clock():
            refused = (403, "AccessDenied", "Request has expired")
        elif stored is None:
            refused = (404, "NoSuchKey", "The specified key does not exist.")
        if refused or stored is None:
            status, code, message = refused or (404, "NoSuchKey", "")
            body = "<?xml version='1.0' encoding='UTF-8'?>" \
                f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"  # fmt: skip
            return Response(body, status, media_type="application/xml")
        data: bytes = stored["bytes"]
        headers = {"Content-Length": str(len(data))}
        media = mimetypes.guess_type(request.path_params["name"])[0]
        return Response(data, 200, headers, media_type=media or "binary/octet-stream")

    def _sign(self, attachment_id: str, signed_at: int) -> str:
        message = f"{attachment_id}:{signed_at}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()

    def _lister(self, plural: str, singular: str) -> Any:
        collection = Collection(
            plural,
            since=Since("modified_since", "modified_at", "epoch"),
            order=lambda r: r["id"],
        )
        envelope = enveloped(plural, singular)

        async def serve(request: Request) -> Response:
            shape = (lambda r: self._signed(request, r)) if plural in ATTACHED else None
            return self.serve_list(request, collection, PAGES, envelope, shape=shape)

        return serve

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold
