"""An emulator of the Act! Web API (act.web.api) for the sandbox, seeded from the reference company.

Vendor facts it follows: the provider's Swagger 2.0 (apimta.act.com/act.web.api/swagger/docs/v1,
kept with Act!'s home and OData pages summarised in api-evangelist/act), the OData page
(actforweb.actops.com/act.web.api/OData/index), the Meteor client chrisbutler/act.web.api, a
generated Java client of the Swagger, and ../shared/research/source-crms.md ("ACT!"):
- `https://{server}/act.web.api` on the customer's own IIS (Act! Premium) or a per-customer
  cloud host: no one base URL. Every call names its database in `Act-Database-Name`.
- `GET /authorize` with HTTP Basic user name:password (and the database header) answers the JWT
  itself as the body; then `Authorization: Bearer <jwt>`. A 401 means authorize again.
- Errors are ASP.NET's `{"message": ...}`; 401 for bad or expired credentials; 403 with Act!'s
  codes 4030 (incompatible with Act!), 4031 (subscription required), 4032 (API access
  permission required), whose body (`{"message", "code"}`) is chosen here.
- Lists answer a bare JSON array (no envelope, count or next link), paged by OData `$top`/`$skip`
  (a short page is the last), with `$filter` (datetimes unquoted: `edited gt 2018-10-01T08:00:00
  -07:00`), `$orderby`, `$select`; "anything not listed is unsupported": a 400 here. `GET
  /api/users` takes no OData. Routes are case-insensitive (`api/Products`); lower case here.
- Records are the Swagger's models, GUID ids: Contacts.Contact (`fullName`, e-mail and phone
  columns, `companyID`), Companies.Company, Opportunities.Opportunity (`productTotal`, `status`
  Open/Won/Lost/Inactive, `stage` {id, name, number, probability, process}, `actualCloseDate`,
  `reason`, `groups[]`), Activities.Activity (`isTimeless`, `isCleared`, `scheduledForId`),
  Histories.History at `api/history` (`regarding`, `historyType`), Notes.Note, Products.Product
  (`itemNumber`, one `price`, `cost`, `editDate`), Users.UserInfo; activities, histories, notes
  and opportunities list `contacts[]`, `companies[]`, `opportunities[]` (a company's
  `address.line1` is chosen here). Processes and stages at `api/opportunities/processes|stages`.
- Line items: `GET api/opportunities/{id}/products` (OpportunityProduct: `productID`,
  `opportunityID`, `price`, `quantity`, `discount` a percentage, `total`; no tax or comment).
- Groups: `GET api/groups`, and a group's contacts at `api/groups/{id}/associated-contacts`; no
  documented call lists a group's companies (none served here).
- Files: a document is a history item whose `attachment` is an Attachments.Attachment
  (`displayName`, `fileName`, `fileSize` in bytes, `fileType` a system type name, not MIME),
  listed by `GET api/Documents`; its bytes at `GET api/attachments/documents/{id}`, those of a
  history item's or activity's attachment at `api/attachments/history|activities/{id}` (the
  answer's type is not documented: application/octet-stream here; documents are not in
  `api/history` here).
- Custom fields: `GET api/metadata/{recordType}/fields` (MetaData.Schema.Column: `columnName`,
  `displayName`, `type`, `isCustom`, `picklist` {id, isMultiSelect}) and `.../picklists` (here
  as DropDownList `items` [{id, value}]: which model it answers is not certain from the
  Swagger); values in `customFields` by column.
- Rate limits: Act! Premium Cloud sends `X-RateLimit-Limit/-Remaining/-Reset`; the status on
  exhaustion is undocumented: a 429 with Retry-After here.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.act.render import CURRENCY, IDS, held, render
from adapters.core.emulated_auth import basic_pair, jwt_like
from adapters.core.emulation import EmulatedAccount, RateHeaders, SourceEmulator, VendorError
from adapters.core.emulation import bearer as bearer_token
from adapters.core.odata import odata

API = "/{account_id}/act.web.api"
LISTS = ("contacts", "companies", "opportunities", "activities", "history", "notes", "products")
OCTETS = "application/octet-stream"
REFUSALS = {
    4030: "Incompatibility issue with Act!",
    4031: "Subscription required.",
    4032: "API access permission required.",
}


def database_named(account: EmulatedAccount, request: Request) -> bool:
    wanted = account.credentials.get("database", "")
    return secrets.compare_digest(request.headers.get("act-database-name", ""), wanted)


def signed_in(account: EmulatedAccount, request: Request) -> bool:
    token = bearer_token(request)
    return bool(token) and token in account.tokens and database_named(account, request)


class ActEmulator(SourceEmulator):
    ids, id_form = IDS, "guid"
    window_seconds = 60.0
    default_burst = 2000
    gate = staticmethod(signed_in)
    credential_names = ("password",)
    # The sandbox database keeps its amounts in euros, as the user states.
    credential_values = {"username": "chris", "database": "ACT_{account}", "currency": CURRENCY}
    error_shape = {"message": "{message}"}
    rate = RateHeaders(retry_after=True)
    unauthorized_message = "Authorization has been denied for this request."

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold

    def routes(self) -> list[BaseRoute]:
        named = [
            ("authorize", self.authorize),
            ("api/users", self._lister("users", options=frozenset())),  # no OData
            ("api/metadata/{record_type}/{kind}", self._lister("{kind}_{record_type}")),
            ("api/opportunities/processes", self._lister("processes")),
            ("api/opportunities/stages", self._lister("stages")),
            ("api/opportunities/{id}/products", self._lister("line_items", "opportunityID")),
            ("api/groups", self._lister("groups")),
            ("api/groups/{id}/associated-contacts", self._lister("members", "_group")),
            ("api/documents", self._lister("documents")),
            ("api/attachments/{kind}/{id}", self.attachment),
            *((f"api/{path}", self._lister(path)) for path in LISTS),
        ]
        return [Route(f"{API}/{path}", serve) for path, serve in named]

    async def authorize(self, request: Request) -> Response:
        account = self.account(request, check_auth=False)
        refusal = (account.table("refusal") or [{}])[0].get("code")
        if refusal in REFUSALS:
            return self.respond(request, {"message": REFUSALS[refusal], "code": refusal}, 403)
        if not (
            basic_pair("username", "password")(account, request)
            and database_named(account, request)
        ):
            body = {"message": "Invalid username, password or database."}
            return self.respond(request, body, 401)
        claims = {key: account.credentials.get(key) for key in ("username", "database")}
        token = jwt_like({**claims, "jti": secrets.token_hex(8)})
        account.tokens.add(token)
        return PlainTextResponse(token, headers=self.headers_of(request))

    async def attachment(self, request: Request) -> Response:
        """An attachment's bytes, by the kind and id of the record it is on."""
        wanted = "{kind}/{id}".format(**request.path_params)
        found = [b for b in self.account(request).table("blobs") if b["id"] == wanted]
        if not found:
            raise VendorError(404, "404", "The attachment was not found.")
        return self.respond_file(request, found[0]["data"], found[0]["name"], OCTETS)

    def _lister(self, table: str, parent: str | None = None, **query: Any) -> Any:
        """A list route: an OData page of `table` (named from the path's parameters: a record
        type's `fields_contact`), of the rows under the path's record when `parent` names the
        key that says whose they are."""

        async def serve(request: Request) -> Response:
            account, name = self.account(request), table.format(**request.path_params).lower()
            if name not in account.tables:
                raise VendorError(404, "404", f"No resource at '{request.url.path}'.")
            rows = account.table(name)
            if parent:
                rows = [r for r in rows if r.get(parent) == request.path_params["id"]]
            return self.respond(request, odata(rows, request.query_params, **query))

        return serve
