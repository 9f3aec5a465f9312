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
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import query_key
from adapters.core.emulation import RateHeaders, SourceEmulator
from adapters.core.serving import Collection, NumberedPages, Served
from adapters.pipelinecrm.render import IDS, held, render
from adapters.pipelinecrm.source import PIPELINE_ID

API = "/{account_id}/api/v3"
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

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = []
        for path, table in LISTS.items():
            routes.append(Route(f"{API}/{path}.json", self._lister(table)))
            routes.append(Route(f"{API}/{path}", self._lister(table)))
        return routes

    def _lister(self, table: str) -> Any:
        collection = Collection(table, known=frozenset({"api_key"}), order=lambda r: r["id"])

        async def serve(request: Request) -> Response:
            return self.serve_list(request, collection, PAGES, envelope)

        return serve

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold
