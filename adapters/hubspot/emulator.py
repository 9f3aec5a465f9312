"""An emulator of HubSpot's CRM API v3 for the sandbox, seeded from the reference company.

Vendor facts it follows (developers.hubspot.com/docs):
- api-reference/crm-*-v3 guides: `GET /crm/v3/objects/{type}` with `limit` (default 10, at most
  100; at most 50 with `propertiesWithHistory`), `after`, `properties`, `propertiesWithHistory`,
  `associations` and `archived`; `{"results": [...], "paging": {"next": {"after", "link"}}}`
  with no `paging` on the last page; properties are strings, ids numeric strings; only the
  requested properties come back (plus hs_object_id, createdate and the last-modified date).
  `associations.<type>.results` lists `{id, type}`, primary and unlabeled both.
- crm-owners-v3: `/crm/v3/owners` (`archived=true` for deactivated users), paged the same way.
- crm-pipelines-v3: `/crm/v3/pipelines/deals`, `{"results": [pipeline with stages]}`.
- crm-properties-v3: `/crm/v3/properties/{type}`, `{"results": [...]}`, not paged: HubSpot's
  default properties of the type (`hubspotDefined: true`, render.PROPERTY_CATALOGUE) and the
  portal's custom ones.
- Tickets are CRM objects like the others (`/crm/v3/objects/tickets`, paged the same way; the
  reference company has none); `/crm/v3/pipelines/tickets` lists the Support Pipeline every
  portal starts with.
- Line items (crm-line-items-v3 guide, knowledge.hubspot.com "HubSpot's default line item
  properties"): `/crm/v3/objects/line_items`, one object per product on a deal, associated to
  it (type 20, `line_item_to_deal`; the deal lists them with `associations=line_items`);
  `price` per unit, `quantity`, `hs_discount_percentage` or `discount` (off each unit), `amount`
  = (price - discount) x quantity, `hs_tax_rate` (percent) from the tax library rate
  `hs_tax_rate_group_id`, `tax`/`hs_tax_amount` the tax on the amount, `description`. Lists
  take no deal filter (that is the search endpoint or the associations API). A deal's `amount`
  is not recomputed from line items set through the API or an import.
- `GET /crm/v3/objects/{type}/{id}?idProperty=<unique property>` finds a record by that
  property instead of its id.
- Each list takes only its documented query parameters; HubSpot sorts, filters and searches
  through `POST /crm/v3/objects/{type}/search`, which this sandbox does not serve. A parameter
  the sandbox does not serve (`sort`, `filter`, `q`, `email=` off the owners list...) is a 400
  VALIDATION_ERROR naming it, rather than ignored.
- crm-leads-v3: `/crm/v3/objects/leads` like any object (`hs_lead_name`, `hs_lead_label`,
  `hs_pipeline_stage`), associated with contacts and companies; notes and engagements may be
  associated with leads. `/crm/v3/properties/{type}/{name}` reads one property definition.
- files-files-v3: `GET /files/v3/files/search` (`limit`, `after`; the same envelope and paging),
  `GET /files/v3/files/{fileId}` (metadata: `name` without the extension, `extension`, `size`,
  `type`, `access`), `GET /files/v3/files/{fileId}/signed-url` (`expirationSeconds`, at most six
  hours, one by default) answering `{expiresAt, extension, name, size, type, url}`. The URL is
  signed (CloudFront-style `Expires`, `Signature`, `Key-Pair-Id`), fetched with no credentials;
  it answers the bytes with Content-Type, Content-Length and a Content-Disposition keeping a
  non-ASCII name (RFC 6266 `filename*`), and 403 AccessDenied once expired or tampered with.
  Files on engagements are named in their `hs_attachment_ids` (ids joined with ";").
- account-info/v3/details: portal id, time zone, company currency.
- Errors: `{"status": "error", "message", "correlationId", "category"}` (401
  INVALID_AUTHENTICATION, 400 VALIDATION_ERROR, 404 OBJECT_NOT_FOUND).
- usage-details (rate limits): private apps get `X-HubSpot-RateLimit-Daily`, `-Daily-Remaining`,
  `-Interval-Milliseconds`, `-Max` and `-Remaining` on each answer; over the ten-second burst
  limit: 429 `{"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
  "errorType": "RATE_LIMIT", "correlationId", "policyName": "TEN_SECONDLY_ROLLING"}`, no
  Retry-After.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import bearer_key
from adapters.core.emulation import (
    EmulatedAccount,
    RateState,
    SourceEmulator,
    VendorError,
    base_url_of,
    int_param,
)
from adapters.hubspot.held import held
from adapters.hubspot.render import portal_id, render

Raw = dict[str, Any]
OBJECT_TYPES = (
    "companies",
    "contacts",
    "deals",
    "products",
    "calls",
    "meetings",
    "tasks",
    "emails",
    "notes",
    "tickets",
    "line_items",
    "leads",
)
# What a list answers when no `properties` are named (beside the ones always present).
DEFAULT_PROPERTIES = {
    "companies": ("name", "domain"),
    "contacts": ("firstname", "lastname", "email"),
    "deals": ("dealname", "amount", "dealstage", "pipeline", "closedate"),
    "products": ("name", "price", "description"),
    "tickets": (
        "subject",
        "content",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_category",
        "hs_ticket_priority",
    ),
    "line_items": ("name", "price", "quantity", "amount", "discount", "hs_product_id", "tax"),
    "leads": ("hs_lead_name", "hs_lead_label", "hs_pipeline_stage"),
}
# The query parameters each kind of request takes (the crm-*-v3 references).
_OBJECT_READ = ("properties", "propertiesWithHistory", "associations", "archived")
PARAMETERS = {
    "account_details": (),
    "list_owners": ("email", "after", "limit", "archived"),
    "list_pipelines": (),
    "list_properties": ("archived", "dataSensitivity", "locale", "properties"),
    "list_objects": ("limit", "after", *_OBJECT_READ),
    "get_object": ("idProperty", *_OBJECT_READ),
    "get_property": ("archived",),
    "search_files": ("after", "limit"),
    "get_file": ("properties",),
    "signed_url": ("expirationSeconds", "size", "upscale"),
}
ALWAYS = ("hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate")
DAILY_LIMIT = 650_000  # a Professional account's private app
SIGNED_SECONDS, MAX_SIGNED_SECONDS = 3600, 21_600


class HubSpotEmulator(SourceEmulator):
    gate = staticmethod(bearer_key("access_token"))  # a private app's access token
    window_seconds = 10.0  # TEN_SECONDLY_ROLLING
    default_burst = 190

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._signing_key = secrets.token_bytes(16)
        # Fault injection for tests: files whose signed URL sends a body shorter than its
        # Content-Length (a connection dropped mid-download).
        self.cut_short: set[str] = set()

    def routes(self) -> list[BaseRoute]:
        root = "/{account_id}"
        return [
            Route(f"{root}/account-info/v3/details", self.account_details),
            Route(f"{root}/crm/v3/owners", self.list_owners),
            Route(f"{root}/crm/v3/owners/", self.list_owners),
            Route(f"{root}/crm/v3/pipelines/{{object_type}}", self.list_pipelines),
            Route(f"{root}/crm/v3/properties/{{object_type}}", self.list_properties),
            Route(f"{root}/crm/v3/properties/{{object_type}}/{{name}}", self.get_property),
            Route(f"{root}/crm/v3/objects/{{object_type}}", self.list_objects),
            Route(f"{root}/crm/v3/objects/{{object_type}}/{{object_id}}", self.get_object),
            Route(f"{root}/files/v3/files/search", self.search_files),
            Route(f"{root}/files/v3/files/{{file_id}}", self.get_file),
            Route(f"{root}/files/v3/files/{{file_id}}/signed-url", self.signed_url),
            Route(f"{root}/hubfs/{{file_id}}/{{name}}", self.signed_download),
        ]

    # --- what the sandbox calls -----------------------------------------------------------

    def new_credentials(self, base_url: str) -> dict[str, str]:
        return {"access_token": f"pat-eu1-{uuid.uuid4()}"}

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold

    def error_body(self, status: int, code: str, message: str) -> Any:
        correlation = str(uuid.uuid4())
        if status == 429:
            return {
                "status": "error",
                "message": message,
                "errorType": "RATE_LIMIT",
                "correlationId": correlation,
                "policyName": code,
            }
        # The shared helpers' codes (int_param's "invalid_parameter") in HubSpot's categories.
        category = {404: "OBJECT_NOT_FOUND", 405: "VALIDATION_ERROR"}.get(status, code)
        category = {"invalid_parameter": "VALIDATION_ERROR"}.get(category, category)
        return {
            "status": "error",
            "message": message,
            "correlationId": correlation,
            "category": category,
        }

    def rate_headers(self, state: RateState) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Daily": str(DAILY_LIMIT),
            "X-HubSpot-RateLimit-Daily-Remaining": str(DAILY_LIMIT - state.limit + state.remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.window_seconds * 1000)),
            "X-HubSpot-RateLimit-Max": str(state.limit),
            "X-HubSpot-RateLimit-Remaining": str(max(state.remaining, 0)),
        }

    def rate_limited(self, state: RateState) -> VendorError:
        message = "You have reached your ten_secondly_rolling limit."
        return VendorError(429, "TEN_SECONDLY_ROLLING", message)

    def unauthorized(self) -> VendorError:
        message = (
            "Authentication credentials not found. This API supports OAuth 2.0 authentication "
            "and you can find more details at "
            "https://developers.hubspot.com/docs/methods/auth/oauth-overview"
        )
        return VendorError(401, "INVALID_AUTHENTICATION", message)

    # --- routes ---------------------------------------------------------------------------

    def account(self, request: Request, *, check_auth: bool = True) -> EmulatedAccount:
        account = super().account(request, check_auth=check_auth)
        endpoint = getattr(request.scope.get("endpoint"), "__name__", "")
        allowed = PARAMETERS.get(endpoint)
        if allowed is not None:
            unknown = [name for name in request.query_params if name not in allowed]
            if unknown:
                raise VendorError(
                    400,
                    "VALIDATION_ERROR",
                    f"Unsupported query parameter(s): {', '.join(sorted(set(unknown)))}. "
                    f"Supported: {', '.join(allowed) or 'none'}.",
                )
        return account

    async def account_details(self, request: Request) -> Response:
        account = self.account(request)
        details = {"portalId": portal_id(account.id), **account.table("account")[0]}
        return self.respond(request, details)

    async def list_owners(self, request: Request) -> Response:
        account = self.account(request)
        archived = _flag(request, "archived")
        owners = [o for o in account.table("owners") if o["archived"] == archived]
        if email := request.query_params.get("email"):
            owners = [o for o in owners if o["email"] == email]
        return self._page(request, owners, hi=500)

    async def list_pipelines(self, request: Request) -> Response:
        account = self.account(request)
        kind = request.path_params["object_type"]
        if kind not in ("deals", "tickets"):
            raise _invalid_type(kind)
        return self.respond(request, {"results": account.table(f"pipelines:{kind}")})

    async def list_properties(self, request: Request) -> Response:
        account = self.account(request)
        kind = _object_type(request)
        archived = _flag(request, "archived")
        found = [p for p in account.table(f"properties:{kind}") if p["archived"] == archived]
        return self.respond(request, {"results": found})

    async def get_property(self, request: Request) -> Response:
        account = self.account(request)
        kind, name = _object_type(request), request.path_params["name"]
        for found in account.table(f"properties:{kind}"):
            if found["name"] == name:
                return self.respond(request, found)
        raise VendorError(404, "OBJECT_NOT_FOUND", f"Unable to find property {name}")

    async def list_objects(self, request: Request) -> Response:
        account = self.account(request)
        kind = _object_type(request)
        shape = _Shape.of(request)
        archived = _flag(request, "archived")
        records = [r for r in account.table(kind) if r["archived"] == archived]
        hi = 50 if shape.history else 100
        return self._page(request, [shape.apply(kind, r) for r in records], hi=hi)

    async def get_object(self, request: Request) -> Response:
        account = self.account(request)
        kind = _object_type(request)
        wanted = request.path_params["object_id"]
        key = request.query_params.get("idProperty")
        for record in account.table(kind):
            found = record["properties"].get(key) if key else record["id"]
            if found == wanted:
                return self.respond(request, _Shape.of(request).apply(kind, record))
        raise VendorError(404, "OBJECT_NOT_FOUND", "resource not found")

    # --- files ----------------------------------------------------------------------------

    async def search_files(self, request: Request) -> Response:
        account = self.account(request)
        return self._page(request, [_public(f) for f in account.table("files")], hi=100)

    async def get_file(self, request: Request) -> Response:
        return self.respond(request, _public(self._file(request)))

    async def signed_url(self, request: Request) -> Response:
        found = self._file(request)
        seconds = int_param(request, "expirationSeconds", SIGNED_SECONDS, lo=1,
                            hi=MAX_SIGNED_SECONDS)  # fmt: skip
        expires = int(self.clock()) + seconds
        full = f"{found['name']}.{found['extension']}" if found["extension"] else found["name"]
        query = urlencode({"Expires": expires, "Signature": self._sign(found["id"], expires),
                           "Key-Pair-Id": "APKAFERRYSANDBOX"})  # fmt: skip
        url = f"{base_url_of(request)}/hubfs/{found['id']}/{quote(full)}?{query}"
        body = {key: found[key] for key in ("extension", "name", "size", "type")}
        when = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return self.respond(request, {"expiresAt": when, **body, "url": url})

    async def signed_download(self, request: Request) -> Response:
        """The signed URL: no credentials, no API rate limit (it is the CDN's)."""
        account_id, file_id = request.path_params["account_id"], request.path_params["file_id"]
        params = request.query_params
        expires = params.get("Expires", "")
        given = params.get("Signature", "")
        valid = expires.isdigit() and hmac.compare_digest(given, self._sign(file_id, int(expires)))
        rows = self.account_of(account_id).table("files") if self.has_account(account_id) else []
        found = next((f for f in rows if f["id"] == file_id), None)
        if found is None or not valid or int(expires) < self.clock():
            body = "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>" \
                "<Message>Access denied</Message></Error>"  # fmt: skip
            return Response(body, 403, media_type="text/xml")
        data: bytes = found["_bytes"]
        name = request.path_params["name"]
        headers = {
            "Content-Length": str(len(data)),
            "Content-Disposition": f'inline; filename="{_ascii(name)}"; '
            f"filename*=UTF-8''{quote(name)}",
        }
        sent = data[: len(data) // 2] if file_id in self.cut_short else data

        async def body_chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(sent), 64 * 1024):
                yield sent[start : start + 64 * 1024]

        return StreamingResponse(body_chunks(), 200, headers, media_type=found["_mime"])

    def _file(self, request: Request) -> Raw:
        account = self.account(request)
        wanted = request.path_params["file_id"]
        found = next((f for f in account.table("files") if f["id"] == wanted), None)
        if found is None:
            raise VendorError(404, "OBJECT_NOT_FOUND", f"File {wanted} not found")
        return found

    def _sign(self, file_id: str, expires: int) -> str:
        message = f"{file_id}:{expires}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()

    # --- pages ----------------------------------------------------------------------------

    def _page(self, request: Request, items: list[Raw], *, hi: int) -> Response:
        limit = int_param(request, "limit", 10, lo=1, hi=hi)
        start = _after(request)
        body: Raw = {"results": items[start : start + limit]}
        if start + limit < len(items):
            after = str(start + limit)
            query = urlencode({**request.query_params, "after": after})
            path = request.url.path.split(f"/{request.path_params['account_id']}", 1)[1]
            body["paging"] = {
                "next": {"after": after, "link": f"{base_url_of(request)}{path}?{query}"}
            }
        return self.respond(request, body)


class _Shape:
    """What a request asks of each record: properties, their history, associations."""

    def __init__(self, properties: list[str] | None, history: list[str], links: list[str]) -> None:
        self.properties = properties
        self.history = history
        self.links = links

    @classmethod
    def of(cls, request: Request) -> _Shape:
        params = request.query_params
        properties = _names(params.get("properties")) if "properties" in params else None
        links = _names(params.get("associations"))
        for link in links:
            if link not in OBJECT_TYPES:
                raise _invalid_type(link)
        return cls(properties, _names(params.get("propertiesWithHistory")), links)

    def apply(self, kind: str, record: Raw) -> Raw:
        stored = record["properties"]
        names = self.properties if self.properties is not None else DEFAULT_PROPERTIES.get(kind, ())
        props = {name: stored.get(name) for name in names}
        props.update({name: stored[name] for name in ALWAYS if name in stored})
        out = {k: v for k, v in record.items() if not k.startswith("_")}
        out["properties"] = props
        if self.history:
            out["propertiesWithHistory"] = {
                name: self._history(record, name) for name in self.history
            }
        links = {
            link: {"results": [{"id": i, "type": t} for i, t in record["_assoc"][link]]}
            for link in self.links
            if record["_assoc"].get(link)
        }
        if links:
            out["associations"] = links
        return out

    @staticmethod
    def _history(record: Raw, name: str) -> list[Raw]:
        past = record.get("_history", {}).get(name)
        if past is not None:
            return past
        value = record["properties"].get(name)
        if value is None:
            return []
        return [{"value": value, "timestamp": record["updatedAt"], "sourceType": "CRM_UI"}]


def _public(row: Raw) -> Raw:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _ascii(name: str) -> str:
    """The name for clients that read only `filename`: non-ASCII letters as "_"."""
    return "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)


def _names(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _object_type(request: Request) -> str:
    kind = request.path_params["object_type"]
    if kind not in OBJECT_TYPES:
        raise _invalid_type(kind)
    return kind


def _invalid_type(kind: str) -> VendorError:
    return VendorError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {kind}")


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise VendorError(400, "VALIDATION_ERROR", f"{name} must be true or false.")
    return value == "true"


def _after(request: Request) -> int:
    raw = request.query_params.get("after", "0") or "0"
    if not raw.isdigit():
        raise VendorError(400, "VALIDATION_ERROR", f"Invalid paging cursor: {raw}")
    return int(raw)
