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

import uuid
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
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
}
ALWAYS = ("hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate")
DAILY_LIMIT = 650_000  # a Professional account's private app


class HubSpotEmulator(SourceEmulator):
    gate = staticmethod(bearer_key("access_token"))  # a private app's access token
    window_seconds = 10.0  # TEN_SECONDLY_ROLLING
    default_burst = 190

    def routes(self) -> list[BaseRoute]:
        root = "/{account_id}"
        return [
            Route(f"{root}/account-info/v3/details", self.account_details),
            Route(f"{root}/crm/v3/owners", self.list_owners),
            Route(f"{root}/crm/v3/owners/", self.list_owners),
            Route(f"{root}/crm/v3/pipelines/{{object_type}}", self.list_pipelines),
            Route(f"{root}/crm/v3/properties/{{object_type}}", self.list_properties),
            Route(f"{root}/crm/v3/objects/{{object_type}}", self.list_objects),
            Route(f"{root}/crm/v3/objects/{{object_type}}/{{object_id}}", self.get_object),
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
