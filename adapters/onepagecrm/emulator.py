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
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.canonical import Entity
from adapters.core.emulated_auth import basic_pair
from adapters.core.emulation import RateHeaders, SourceEmulator
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

    def vendor_id(self, entity: Entity, field: str, reference_id: str) -> str | None:
        if (entity is Entity.stages and field == "source_id") or field == "stage_source_id":
            return stage_id(reference_id)
        return super().vendor_id(entity, field, reference_id)

    def routes(self) -> list[BaseRoute]:
        return [Route(f"{API}/{path}", self._lister(path, one)) for path, one in LISTS.items()]

    def _lister(self, plural: str, singular: str) -> Any:
        collection = Collection(
            plural,
            since=Since("modified_since", "modified_at", "epoch"),
            order=lambda r: r["id"],
        )
        envelope = enveloped(plural, singular)

        async def serve(request: Request) -> Response:
            return self.serve_list(request, collection, PAGES, envelope)

        return serve

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold
