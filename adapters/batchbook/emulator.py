"""An emulator of Batchbook's API (BB2, `/api/v1`) for the sandbox.

Vendor facts it follows (research notes ../shared/research/source-crms.md, "Batchbook";
basis: github batchblue/batchbook-api, README and sections/*.md):
- `https://{account}.batchbook.com/api/v1/{people,companies,communications,users,
  custom_field_sets}.json`; the user's API key as the query parameter `auth_token`.
- Lists are paged by `page` (from 1), 30 records a page (communications: "Each request is
  limited to 30"); past the end an empty list, `{"people": []}`. The docs name no page-size
  parameter: here `per_page` is taken up to 30 and more is a 400. Custom field sets come 25 a
  page ("Limited to 25").
- Envelope `{"<resource>": [...]}`; integer ids; ISO 8601 times with an offset;
  `updated_since` filters by `updated_at`.
- People and companies carry `tags` ([{id, name}]); `?tags=awesome` lists those with the tag.
  No files and no leads are served (the API has neither).
- The docs give no error body or rate limit: here `{"error": ...}`, 401 for a bad token, and
  429 with Retry-After over a burst.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.batchbook.render import IDS, held, render
from adapters.core.emulated_auth import query_key
from adapters.core.emulation import RateHeaders, SourceEmulator
from adapters.core.serving import Collection, NumberedPages, Served, Since

API = "/{account_id}/api/v1"
PAGES = NumberedPages(page_param="page", size_param="per_page", default=30, most=30)
SET_PAGES = NumberedPages(page_param="page", size_param="per_page", default=25, most=25)
LISTS = ("users", "companies", "people", "communications", "custom_field_sets")
FILTERS = {"communications": {"communication_type": "type"}}
TAGGED = frozenset({"people", "companies"})  # lists taking `?tags=`


class BatchbookEmulator(SourceEmulator):
    ids = IDS
    window_seconds = 1.0
    default_burst = 10
    gate = staticmethod(query_key("auth_token", "auth_token"))
    credential_names = ("auth_token",)
    error_shape = {"error": "{message}"}
    rate = RateHeaders(limit=None, remaining=None, reset=None, retry_after=True)
    unauthorized_message = "Invalid auth_token."
    rate_limited_message = "Too many requests."

    def routes(self) -> list[BaseRoute]:
        return [Route(f"{API}/{name}.json", self._lister(name)) for name in LISTS]

    def _lister(self, table: str) -> Any:
        collection = Collection(
            table,
            since=Since("updated_since", "updated_at"),
            filters=FILTERS.get(table, {}),
            known=frozenset({"auth_token"}),
            order=lambda r: r.get("id") or r["custom_field_set"]["id"],
        )

        def envelope(page: Served, request: Request) -> Any:
            return {table: page.items}

        async def serve(request: Request) -> Response:
            pages = SET_PAGES if table == "custom_field_sets" else PAGES
            tag = request.query_params.get("tags") if table in TAGGED else None
            listed = collection
            if tag is not None:  # those that have the tag
                listed = dataclasses.replace(
                    collection,
                    known=collection.known | {"tags"},
                    keep=lambda raw: tag in {t["name"] for t in raw.get("tags") or []},
                )
            return self.serve_list(request, listed, pages, envelope)

        return serve

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold
