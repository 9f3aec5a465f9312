"""An emulator of Maximizer CRM's Octopus API (Maximizer.Web.Data) for the sandbox.

Vendor facts (developer.maximizer.com/reference/octopus-api pages; the Postman collections
maximizercrm/octopus-api `postman/collections/OctopusAPI.json` and maximizerwebdata-postman):
- Every call is `POST {base}/{Method}` with a JSON body (base
  `https://api.maximizer.com/octopus`).
- `Authenticate` takes `Database`, `UID`, `Password` (on the cloud also `VendorId`, `AppKey`) and
  answers `{"Code": 0, "Data": {"Token": ...}}`, sent as `Authorization: Bearer`; a token lives 10
  minutes from its last use, 24 hours at most. Errors are a negative `Code` with `Msg[]` in a 200
  (`TokenValid` on a bad token: `{"Code": -1, "Msg": ["Token is invalid"]}`).
- `Read` names one object with `Scope.Fields` (`1`: all), `Criteria.SearchQuery` ($AND, $OR, $EQ,
  $IN, $GT, $TREE...), `Criteria.Top` and `OrderBy` (`Fields`, `PageKey`, `PageSize`), answering
  `{"Code": 0, "<Object>": {"Data": [...]}}` and "the key of the next page".
- UDFs are `Schema` rows keyed `/AbEntry/Udf/$TYPEID(n)`, a table's items from a `FieldOptions`
  read; a record carries a value under `Udf/$TYPEID(n)`, a table's as `[{Key, Value}]`.
- Keys are base64 of tab-joined parts (`Contact\\t<Client_Id>\\t1`: its company's Client_Id).
- A Lead has its names, `CompanyName`, `Email`, `Phone1`/`Phone2`, `Address`, `AssignedTo`, and
  `AbEntryKey` (null before "Convert Lead"); a task names it by `LeadKey`, a note by `ParentKey`.
  `GetSessionInfo` tells the token's user and address book.
- A `Document` has `Key` (`Document\\t<n>`), `Name`, `Ext` (".xlsx"), `Type` (1 Maximizer
  document, 3 e-mail, 7 other, 8 linked, 12 hyperlink, 14 profile picture), `Size`, `ParentKey`
  (Opportunity, AbEntry, Lead or Case), `DateTime`; its bytes: `GET {base}/BinaryDownload/<key>`.
Assumptions (not documented): the next page key is `PageKey` beside `Data` (null at the end); a
PageSize over 1000, an unknown object, field or operator, a missing document or a bad token is
`Code -1`; the rate limit is a 429 with Retry-After; a Lead has the stamps the others have.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import ExpiringTokens, Login, json_fields
from adapters.core.emulation import EmulatedAccount, SourceEmulator, Tables, VendorError
from adapters.core.json_query import QueryError, json_object, matches, ordered, scoped
from adapters.core.serving import CursorPages, file_response
from adapters.maximizer import source
from adapters.maximizer.render import held, keys, render
from adapters.reference.dataset import ReferenceCompany, generate

API = "/{account_id}"
PAGES = CursorPages(size_param="PageSize", cursor_param="PageKey", default=100, most=1000)
ASIDE = frozenset({"Compatibility", "Configuration"})
LOGIN = Login(
    matches={**source.LOGIN, **source.CLOUD},
    read=json_fields,
    answer=lambda token, request, account: {"Code": 0, "Data": {"Token": token}},
    refusal=lambda field, given: (200, {"Code": -1, "Msg": ["Authentication failed."]}),
)


def fault(message: str, code: int = -1) -> VendorError:
    return VendorError(200, str(code), message, body={"Code": code, "Msg": [message]})


class MaximizerEmulator(SourceEmulator):
    window_seconds = 10.0
    default_burst = 1000
    credential_names = ("password", "vendor_id", "app_key")
    credential_values = {"database": "{account}", "uid": "USER1"}
    error_shape = {"Code": -1, "Msg": ["{message}"]}

    def __init__(self, **kwargs: Any) -> None:
        self._keys: dict[str, str] = {}
        self.tokens = ExpiringTokens(idle=600, life=86_400, clock=lambda: self.clock())
        self.gate = self.tokens.gate()
        super().__init__(**kwargs)
        self.app.add_exception_handler(QueryError, self._refused)  # a malformed body or query

    async def _refused(self, request: Request, exc: Exception) -> Response:
        return await self._vendor_error(request, fault(str(exc)))

    def routes(self) -> list[BaseRoute]:
        return [
            self.login_route(
                f"{API}/Authenticate", dataclasses.replace(LOGIN, token=self.tokens.issue)
            ),
            Route(f"{API}/Read", self.read, methods=["POST"]),
            Route(f"{API}/GetSessionInfo", self.session, methods=["POST"]),
            Route(f"{API}/BinaryDownload/{{key:path}}", self.download),
        ]

    def render_account(self, company: ReferenceCompany, credentials: dict[str, str]) -> Tables:
        self._keys.update(keys(held(company)))
        return render(company)

    render = staticmethod(render)  # the reference company in the vendor's shapes
    held = staticmethod(held)  # what of it the vendor can hold

    def vendor_id(self, entity: Any, field: str, reference_id: str) -> str | None:
        if not self._keys:
            self._keys.update(keys(held(generate(size=30, seed=0))))
        return self._keys.get(reference_id)

    def unauthorized(self) -> VendorError:
        return fault("Token is invalid")

    async def session(self, request: Request) -> Response:
        account, _ = self.account(request), await json_object(request)
        user = account.table("User")[0]
        book = {"Database": account.credentials["database"], "DisplayValue": account.id}
        key = {"Value": user["Key"], "Uid": user["Uid"]}
        who = {"Key": key, "DisplayName": user["DisplayName"]}
        return self.respond(request, {"Code": 0, "AddressBook": book, "User": who})

    async def download(self, request: Request) -> Response:
        account, key = self.account(request), request.path_params["key"]
        document = next((d for d in account.table("Document") if d["Key"] == key), None)
        if document is None:
            raise fault("Document not found.")
        named = f"{document['Name']}{document['Ext']}"
        return file_response(document["_bytes"], named, None, **self.headers_of(request))

    async def read(self, request: Request) -> Response:
        account = self.account(request)
        body = await json_object(request)
        named = [name for name in body if name not in ASIDE]
        name, query = (named[0], body[named[0]]) if len(named) == 1 else ("", None)
        if name not in account.tables or not isinstance(query, dict):
            raise fault("A Read names one object that is supported.")
        try:
            return self.respond(request, {"Code": 0, name: _read(account, name, query)})
        except VendorError as exc:  # a page size or key refused
            raise fault(exc.message) from None


def _read(account: EmulatedAccount, name: str, query: dict[str, Any]) -> dict[str, Any]:
    defs = {d["Key"]: d for d in account.table("Schema")}
    if "FieldOptions" in query:  # a table UDF's items
        wanted = query["FieldOptions"]
        tables = {k.removeprefix(f"/{name}/"): d for k, d in defs.items() if d["HasOption"]}
        if not isinstance(wanted, dict):
            raise QueryError("FieldOptions must be an object.")
        if missing := sorted(set(wanted) - set(tables)):
            raise QueryError(f"{missing[0]} has no options.")
        return {"FieldOptions": {field: tables[field]["_items"] for field in wanted}}
    rows = account.table(name)
    known = {k for row in rows for k in row if not k.startswith("_")}
    known |= {k.removeprefix(f"/{name}/") for k in defs if k.startswith(f"/{name}/")}
    criteria, order = query.get("Criteria") or {}, query.get("OrderBy") or {}
    found = [r for r in rows if matches(r, criteria.get("SearchQuery") or {}, known)]
    found = ordered(found, order.get("Fields"), known)[: criteria.get("Top")]
    answer: dict[str, Any] = {}
    if "PageSize" in order or order.get("PageKey"):
        page = PAGES.serve(found, order)
        found, answer["PageKey"] = page.items, (page.next or {}).get("PageKey")
    fields = (query.get("Scope") or {}).get("Fields", 1)
    return {"Data": [scoped(row, fields, known) for row in found], **answer}
