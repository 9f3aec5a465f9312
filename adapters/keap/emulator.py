"""An emulator of Keap's (Infusionsoft's) REST API for the sandbox, from the reference company.

Vendor facts (../shared/specs/keap/: keap-rest-v1-openapi.ballerina.yml, the community v1 spec
1.70, keap-rest-v2-openapi.yml, the official v2; ../shared/research/source-crms.md; Keap's
developer pages "Personal Access Tokens & Service Account Keys" and "Throttles and Quotas"):
- `https://api.infusionsoft.com/crm/rest/v1/...` (v1 is marked deprecated, v2 current); an
  OAuth2 access token as `Authorization: Bearer`, or a personal access token / service account
  key in `X-Keap-API-Key` (both accepted); a refused one is 401 "Invalid Access Token".
- v1 lists take `limit` / `offset` and answer `{"<resource>": [...], "count": N, "next": url,
  "previous": url}`; ids are integers. The sandbox caps `limit` at 1000 (a larger one is cut).
- `/users` (RestUser: `given_name`, `family_name`, `email_address`, `status` Active / Invited /
  Inactive), `/companies` (`company_name`, `address.line1...`), `/contacts`
  (`email_addresses[]` with `field` EMAIL1..3, `phone_numbers[]` with `field` PHONE1..5 and a
  `type`, `company.id`, `owner_id`), `/opportunities` (`opportunity_title`, `contact.id`,
  `stage{id, name, reasons}`, `user.id`, `estimated_close_date`, `projected_revenue_high/low`),
  `/tasks` (`title`, `description`, `type`, `due_date`, `completed`, `contact.id`, `user_id`),
  `/appointments` (`start_date`, `end_date`, `contact_id`, `user`), `/notes` (`contact_id`,
  `user_id`, `title`, `body`, `type`), `/products` (`product_name`, `product_price`, `sku`).
  The spec leaves `id` out of Task and Appointment; the API returns it, and so does this.
- `/contacts` and `/companies` leave `custom_fields` out unless `optional_properties` names it;
  `/{contacts,companies,opportunities}/model` list `custom_fields` (`id`, `label`,
  `field_type`, `options[{id, label}]`); values are `custom_fields: [{id, content}]`.
- v1's `/opportunity/stage_pipeline` lists stages without their probability; v2's
  `/crm/rest/v2/opportunities/stages` (`page_size` <= 1000, `page_token`; `{"stages": [...],
  "next_page_token"}`) has it, so stages are served there. Neither version has pipelines: one
  sales pipeline. `/setting/application/configuration` names the win and loss stages
  (`opportunity.states.win.stage`); `/account/profile` the account (`name`, `currency_code`).
- A key may make 10 requests a second (the sandbox's window), 240 a minute and 30,000 a day;
  a 429 has no Retry-After and says `{"code": "429", "message": "Quota Exceeded", "status":
  "Request Throttled", "details": null}` (Keap's forum). Real answers carry
  `x-keap-product-{throttle,quota}-*` headers; the sandbox sends none. Errors are
  `{"message": ...}` (the v1 spec's Error).
- Tags (`/tags`, a contact's optional `tag_ids`, `/tags/{tagId}/companies`) and files
  (`/files`, `/files/{fileId}` with `optional_properties=file_data`): adapters/keap/attached.py.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import any_of, bearer_key, header_key
from adapters.core.emulation import RateHeaders, RateState, SourceEmulator, VendorError
from adapters.core.serving import Collection, CursorPages, OffsetPages, Served, Since, next_url
from adapters.keap.render import IDS, held, render
from adapters.keap.source import PIPELINE_ID

V1 = "/{account_id}/crm/rest/v1"
V2 = "/{account_id}/crm/rest/v2"
PAGES = OffsetPages(size_param="limit", default=1000, most=1000, clamp=True)
STAGE_PAGES = CursorPages("page_size", 1000, 1000, cursor_param="page_token")  # v2
OPTIONAL = frozenset({"optional_properties"})
LISTS = {  # each path lists the table of its name
    "users": Collection("users"),
    "companies": Collection("companies", filters={"company_name": "company_name"}, known=OPTIONAL),
    "contacts": Collection(
        "contacts",
        since=Since("since", field="last_updated"),
        filters={"given_name": "given_name", "family_name": "family_name"},
        known=OPTIONAL,
    ),
    "opportunities": Collection(
        "opportunities", filters={"user_id": "user.id", "stage_id": "stage.id"}
    ),
    "tasks": Collection("tasks", filters={"contact_id": "contact.id", "user_id": "user_id"}),
    "appointments": Collection("appointments", filters={"contact_id": "contact_id"}),
    "notes": Collection("notes", filters={"user_id": "user_id", "contact_id": "contact_id"}),
    "products": Collection("products"),
    "tags": Collection("tags"),
    "files": Collection("files", filters={"contact_id": "contact_id"}),
}
# The optional properties a list leaves out unless `optional_properties` names them.
OPTIONAL_PROPERTIES = {"contacts": ("custom_fields", "tag_ids"), "companies": ("custom_fields",)}
# Settings and field models, one object each, served from the table of the path's name.
SINGLE = ("account/profile", "setting/application/configuration")
SINGLE += tuple(f"{name}/model" for name in ("contacts", "companies", "opportunities"))


class KeapEmulator(SourceEmulator):
    ids = IDS
    one_pipeline = PIPELINE_ID
    window_seconds = 1.0
    default_burst = 10
    gate = staticmethod(any_of(header_key("X-Keap-API-Key", "api_key"), bearer_key("api_key")))
    credential_names = ("api_key",)
    error_shape = {"message": "{message}"}
    rate = RateHeaders(limit=None, remaining=None, reset=None, retry_after=False)
    unauthorized_message = "Invalid Access Token"

    def rate_limited(self, state: RateState) -> VendorError:  # no Retry-After
        body = {"code": "429", "message": "Quota Exceeded", "status": "Request Throttled"}
        return VendorError(429, "429", "Quota Exceeded", body={**body, "details": None})

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [Route(f"{V1}/{p}", self._lister(p, c)) for p, c in LISTS.items()]
        routes += [Route(f"{V1}/{path}", self._single(path.replace("/", "_"))) for path in SINGLE]
        routes.append(Route(f"{V2}/opportunities/stages", self.stages))
        routes.append(Route(f"{V1}/tags/{{tag_id:int}}/companies", self.tagged_companies))
        routes.append(Route(f"{V1}/files/{{file_id:int}}", self.file))
        return routes

    def _lister(self, table: str, collection: Collection) -> Any:
        def envelope(page: Served, request: Request) -> Any:
            body = {table: page.items, "count": page.total, "next": next_url(request, page)}
            return {**body, "previous": _previous(request, page)}

        async def serve(request: Request) -> Response:
            asked = request.query_params.get("optional_properties", "").split(",")
            hidden = {p for p in OPTIONAL_PROPERTIES.get(table, ()) if p not in asked}

            def bare(raw: dict[str, Any]) -> dict[str, Any]:
                return {k: v for k, v in raw.items() if k not in hidden}

            return self.serve_list(request, collection, PAGES, envelope, shape=bare)

        return serve

    async def tagged_companies(self, request: Request) -> Response:
        """The companies one tag is applied to (`TaggedCompanyList`)."""
        tag = request.path_params["tag_id"]
        if not any(t["id"] == tag for t in self.account(request).table("tags")):
            raise VendorError(404, "404", f"Tag not found: {tag}")
        wanted = Collection("tagged_companies", keep=lambda row: row["_tag"] == tag)

        def envelope(page: Served, request: Request) -> Any:
            body = {"companies": page.items, "count": page.total}
            return {**body, "next": next_url(request, page), "previous": _previous(request, page)}

        return self.serve_list(request, wanted, PAGES, envelope, shape=_bare)

    async def file(self, request: Request) -> Response:
        """One file's descriptor, and its bytes base64-encoded when `file_data` is asked for."""
        account, wanted = self.account(request), request.path_params["file_id"]
        Collection("files", known=OPTIONAL).refuse_unknown(request.query_params, None)
        found = next((f for f in account.table("files") if f["id"] == wanted), None)
        if found is None:
            raise VendorError(404, "404", f"File not found: {wanted}")
        body: dict[str, Any] = {"file_descriptor": found}
        if "file_data" in request.query_params.get("optional_properties", "").split(","):
            rows = account.table("file_data")
            body["file_data"] = next(r["data"] for r in rows if r["id"] == wanted)
        return self.respond(request, body)

    def _single(self, table: str) -> Any:
        async def serve(request: Request) -> Response:
            account = self.account(request)
            Collection(table).refuse_unknown(request.query_params, None)
            return self.respond(request, account.table(table)[0])

        return serve

    async def stages(self, request: Request) -> Response:
        def envelope(page: Served, request: Request) -> Any:
            return {"stages": page.items, "next_page_token": (page.next or {}).get("page_token")}

        return self.serve_list(request, Collection("stages"), STAGE_PAGES, envelope)

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold


def _previous(request: Request, page: Served) -> str | None:
    """The URL of the page before this one (none on the first)."""
    back = {"offset": str(max(page.start - page.size, 0))}
    return next_url(request, dataclasses.replace(page, next=back)) if page.start else None


def _bare(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if not k.startswith("_")}
