"""An emulator of Insightly's API v3.1 for the sandbox: the read side a migration uses.

Vendor facts it follows (sources: the v3.1 help at https://api.insightly.com/v3.1/Help and its
introduction at https://api.na1.insightly.com/v3.1/; Insightly's knowledge-base article "Working
with the Insightly Web API"; the community OpenAPI copy konfig-sdks/openapi-examples
insightly/openapi.yaml; client code that runs against it: airbytehq/airbyte source-insightly,
leapforce-dev/lib-go-insightly):
- Paths `/v3.1/{Object}`, `/v3.1/{Object}/Search`, `/v3.1/{Object}/{id}`,
  `/v3.1/CustomFields/{Object}`, `/v3.1/Users/Me`, served per pod host (here per account).
- HTTP Basic: the API key is the user name, the password is ignored. A bad key is a 401.
- `skip` / `top` (top at most 500), `brief` (true: no LINKS/TAGS), `count_total=true` ->
  `X-Total-Count`. The body is a bare JSON array.
- Search filters on `updated_after_utc` (DATE_UPDATED_UTC after it) or `field_name` plus
  `field_value` (both or neither).
- Every answer carries the daily allowance: `X-RateLimit-Limit` and `X-RateLimit-Remaining`.
  Too many requests per second is a 429 (with `Retry-After` here, which the docs do not show).
- Errors are ASP.NET Web API bodies, `{"Message": "..."}`.
- Leads (`/Leads`, LEAD_ID) hold their person and company as fields of their own (FIRST_NAME,
  LAST_NAME, EMAIL, PHONE, MOBILE, ORGANISATION_NAME); a converted lead stays listed with
  CONVERTED true. TAGS on leads, contacts, organisations and opportunities: [{"TAG_NAME"}].
- File attachments (the OAS's FileAttachments and `{Object}_getFileAttachments`): no list of
  every file; each record's `/{Object}/{id}/FileAttachments` (skip/top/count_total/
  updated_after_utc) lists FILE_ID, FILE_NAME, CONTENT_TYPE, FILE_SIZE, FILE_CATEGORY_ID,
  OWNER_USER_ID, DATE_CREATED_UTC, DATE_UPDATED_UTC, URL; `/FileAttachments/{id}` answers the
  bytes (`format=JSON`: the metadata), a missing one a 404 "File Attachment not found."
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import basic_pair
from adapters.core.emulation import (
    EmulatedAccount,
    RateState,
    SourceEmulator,
    Tables,
    VendorError,
    int_param,
    window,
)
from adapters.core.mapping import parse_time
from adapters.insightly import render
from adapters.insightly.held import held
from adapters.reference.dataset import ReferenceCompany

MAX_TOP = 500
DAILY_LIMIT = 40_000  # requests a day; Insightly sets it by plan
ID_FIELDS: dict[str, str] = {
    "Users": "USER_ID",
    "Organisations": "ORGANISATION_ID",
    "Contacts": "CONTACT_ID",
    "Pipelines": "PIPELINE_ID",
    "PipelineStages": "STAGE_ID",
    "Product": "PRODUCT_ID",
    "Pricebook": "PRICEBOOK_ID",
    "PricebookEntry": "PRICEBOOK_ENTRY_ID",
    "Opportunities": "OPPORTUNITY_ID",
    "TaskCategories": "CATEGORY_ID",
    "Tasks": "TASK_ID",
    "Events": "EVENT_ID",
    "Notes": "NOTE_ID",
    "Leads": "LEAD_ID",
}
ATTACHABLE = frozenset({"Organisations", "Contacts", "Opportunities", "Leads"})
SEARCHABLE = frozenset(ID_FIELDS) - {"PipelineStages", "Pipelines", "TaskCategories"}
DETAIL_KEYS = ("LINKS", "TAGS", "DATES", "EMAILDOMAINS")  # left out of brief answers


class InsightlyEmulator(SourceEmulator):
    gate = staticmethod(basic_pair("api_key", None))  # the key as the Basic username
    error_shape: ClassVar[Any] = {"Message": "{message}"}
    unauthorized_message = "Authorization has been denied for this request."
    rate_limited_message = "API rate limit exceeded. Please retry later."
    window_seconds = 1.0  # the burst limit is per second
    default_burst = 50

    def __init__(self, **kwargs: Any) -> None:
        self._daily_used: dict[str, int] = {}
        super().__init__(**kwargs)

    # --- what the vendor says --------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        base = "/{account_id}/v3.1"
        return [
            Route(base + "/Users/Me", self.me),
            Route(base + "/CustomFields/{object_name}", self.custom_fields),
            Route(base + "/FileAttachments/{file_id}", self.file),
            Route(base + "/{object_name}/{record_id}/FileAttachments", self.attachments),
            Route(base + "/{object_name}/Search", self.search),
            Route(base + "/{object_name}/{record_id}", self.one),
            Route(base + "/{object_name}", self.list),
        ]

    def new_credentials(self, base_url: str) -> dict[str, str]:
        import secrets

        return {"api_key": secrets.token_hex(16)}

    def render(self, company: ReferenceCompany) -> Tables:
        return render.render(company)

    def provision(
        self,
        account_id: str,
        credentials: dict[str, str],
        *,
        dataset: str,
        size: int,
        limits: dict[str, int],
    ) -> None:
        super().provision(account_id, credentials, dataset=dataset, size=size, limits=limits)
        render.with_instance(self.account_of(account_id).tables, account_id)

    held = staticmethod(held)  # what of it the vendor can hold

    def rate_limited(self, state: RateState) -> VendorError:
        # Insightly's window is daily but it asks for a retry after one second regardless.
        return VendorError(429, "rate_limited", self.rate_limited_message, {"Retry-After": "1"})

    def rate_headers(self, state: RateState) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(DAILY_LIMIT)}

    # --- routes -----------------------------------------------------------------------------

    async def me(self, request: Request) -> Response:
        account = self._account(request)
        me = render.insightly_id(render.API_USER)
        user = next(u for u in account.table("Users") if u["USER_ID"] == me)
        return self._respond(request, account, user)

    async def custom_fields(self, request: Request) -> Response:
        account = self._account(request)
        name = f"CustomFields/{request.path_params['object_name']}"
        if name not in account.tables:
            raise VendorError(404, "not_found", "Object type not found.")
        return self._respond(request, account, account.table(name))

    async def list(self, request: Request) -> Response:
        account = self._account(request)
        return self._page(request, account, self._table(account, request))

    async def search(self, request: Request) -> Response:
        account = self._account(request)
        name = request.path_params["object_name"]
        if name not in SEARCHABLE:
            raise _no_resource(request)
        return self._page(request, account, _filtered(request, self._table(account, request)))

    async def one(self, request: Request) -> Response:
        account = self._account(request)
        return self._respond(request, account, self._record(account, request))

    async def attachments(self, request: Request) -> Response:
        """A record's file attachments (Gets a {Object}'s File Attachments)."""
        account = self._account(request)
        name = request.path_params["object_name"]
        if name not in ATTACHABLE:
            raise _no_resource(request)
        record_id = self._record(account, request)[ID_FIELDS[name]]
        files = [
            {k: v for k, v in row.items() if not k.startswith("_")}
            for row in account.table("FileAttachments")
            if row["_OBJECT"] == name and row["_RECORD_ID"] == record_id
        ]
        return self._page(request, account, _filtered(request, files))

    async def file(self, request: Request) -> Response:
        """A file's bytes, whole, with its type and length (Gets a File Attachment)."""
        account = self._account(request)
        raw_id = request.path_params["file_id"]
        if not raw_id.isdigit():
            raise VendorError(400, "invalid_parameter", f"The value '{raw_id}' is not valid.")
        rows = account.table("FileAttachments")
        found = next((r for r in rows if r["FILE_ID"] == int(raw_id)), None)
        if found is None:
            raise VendorError(404, "not_found", "File Attachment not found.")
        if request.query_params.get("format", "").upper() == "JSON":
            meta = {k: v for k, v in found.items() if not k.startswith("_")}
            return self._respond(request, account, meta)
        quoted = urllib.parse.quote(found["FILE_NAME"], safe="")
        left = max(DAILY_LIMIT - self._daily_used.get(account.id, 0), 0)
        headers = {
            **self.rate_headers(request.state.rate),
            "X-RateLimit-Remaining": str(left),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quoted}",
        }
        return Response(found["_BYTES"], 200, headers=headers, media_type=found["CONTENT_TYPE"])

    # --- helpers ----------------------------------------------------------------------------

    def _account(self, request: Request) -> EmulatedAccount:
        account = self.account(request)
        self._daily_used[account.id] = self._daily_used.get(account.id, 0) + 1
        return account

    def _respond(
        self, request: Request, account: EmulatedAccount, body: Any, **headers: str
    ) -> Response:
        left = max(DAILY_LIMIT - self._daily_used.get(account.id, 0), 0)
        return self.respond(request, body, **{"X-RateLimit-Remaining": str(left)}, **headers)

    def _record(self, account: EmulatedAccount, request: Request) -> dict[str, Any]:
        records = self._table(account, request)
        raw_id = request.path_params["record_id"]
        if not raw_id.isdigit():
            raise VendorError(400, "invalid_parameter", f"The value '{raw_id}' is not valid.")
        id_field = ID_FIELDS[request.path_params["object_name"]]
        found = next((r for r in records if r[id_field] == int(raw_id)), None)
        if found is None:
            raise VendorError(404, "not_found", "Record not found.")
        return found

    def _table(self, account: EmulatedAccount, request: Request) -> list[dict[str, Any]]:
        name = request.path_params["object_name"]
        if name not in ID_FIELDS:
            raise _no_resource(request)
        return account.table(name)

    def _page(self, request: Request, account: EmulatedAccount, records: list[dict]) -> Response:
        skip = int_param(request, "skip", 0, lo=0)
        top = int_param(request, "top", MAX_TOP, lo=1, hi=MAX_TOP)
        brief = _flag(request, "brief")
        items, _ = window(records, skip, top)
        if brief:
            items = [{k: v for k, v in r.items() if k not in DETAIL_KEYS} for r in items]
        headers = {"X-Total-Count": str(len(records))} if _flag(request, "count_total") else {}
        return self._respond(request, account, items, **headers)


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() not in ("true", "false"):
        raise VendorError(400, "invalid_parameter", f"The value '{raw}' is not valid for {name}.")
    return raw.lower() == "true"


def _no_resource(request: Request) -> VendorError:
    return VendorError(
        404,
        "not_found",
        f"No HTTP resource was found that matches the request URI '{request.url}'.",
    )


def _filtered(request: Request, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Search: updated_after_utc, and field_name with field_value (both or neither)."""
    out = records
    after = request.query_params.get("updated_after_utc")
    if after:
        since = parse_time(after)
        if since is None:
            raise VendorError(400, "invalid_parameter", "updated_after_utc is not a valid date.")
        out = [r for r in out if (parse_time(r.get("DATE_UPDATED_UTC")) or _EPOCH) > since]
    name, value = request.query_params.get("field_name"), request.query_params.get("field_value")
    if bool(name) != bool(value):
        raise VendorError(400, "invalid_parameter", "Both field_name and field_value are required.")
    if name:
        out = [r for r in out if _text(r.get(name.upper(), "")) == str(value).lower()]
    return out


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _text(value: Any) -> str:
    """A field's value as a search compares it: booleans as true/false, text without case."""
    return str(value).lower()
