"""A partial emulator of Keap REST v1 (`/crm/rest/v1`), not yet registered as a source.

Vendor facts (specs /work/shared/specs/keap/): the key in header `X-Keap-API-Key`; lists paged
by `limit`/`offset`, envelope `{"<resource>": [...], "count": N, "next": url, "previous": url}`;
integer ids; 429 without Retry-After.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import header_key
from adapters.core.emulation import RateHeaders, SourceEmulator, Tables
from adapters.core.serving import Collection, OffsetPages, Served, next_url
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.ids import IdScheme

API = "/{account_id}/crm/rest/v1"
PAGES = OffsetPages(size_param="limit", default=1000, most=1000)
IDS = IdScheme(bases={"u": 1_000, "o": 200_000}, namespace="keap")


class KeapEmulator(SourceEmulator):
    window_seconds = 1.0
    default_burst = 10
    gate = staticmethod(header_key("X-Keap-API-Key", "api_key"))
    credential_names = ("api_key",)
    error_shape = {"message": "{message}"}
    rate = RateHeaders(limit=None, remaining=None, reset=None, retry_after=False)
    unauthorized_message = "Invalid Access Token"
    rate_limited_message = "Quota Exceeded"

    def routes(self) -> list[BaseRoute]:
        return [Route(f"{API}/{name}", self._lister(name)) for name in ("users", "companies")]

    def _lister(self, table: str) -> Any:
        collection = Collection(table, known=frozenset(), order=lambda r: r["id"])

        def envelope(page: Served, request: Request) -> Any:
            return {table: page.items, "count": page.total, "next": next_url(request, page)}

        async def serve(request: Request) -> Response:
            return self.serve_list(request, collection, PAGES, envelope)

        return serve

    def render(self, company: ReferenceCompany) -> Tables:
        return {
            "users": [
                {"id": IDS.integer(u.source_id), "given_name": u.name, "email_address": u.email}
                for u in company.users
            ],
            "companies": [
                {"id": IDS.integer(o.source_id), "company_name": o.name}
                for o in company.organizations
            ],
        }

    def held(self, company: ReferenceCompany) -> ReferenceCompany:
        return company
