"""A Salesforce org for the sandbox: OAuth2 refresh, SOQL queries with query locators, describe,
UI API stage values per record type, Salesforce's error bodies and API usage limit.

Vendor facts relied on (REST API Developer Guide, OAuth docs; see also records.py):
- The org answers on its My Domain host: `POST /services/oauth2/token` (form: grant_type=
  refresh_token, client_id, client_secret, refresh_token) -> {access_token, instance_url, id,
  token_type, issued_at, signature}; refusals are 400 {"error", "error_description"}
  (invalid_grant, invalid_client_id, invalid_client, unsupported_grant_type).
- `GET /services/oauth2/userinfo` says who the token belongs to (403 Bad_OAuth_Token if bad).
- `GET /services/data/vNN.0/query?q=SOQL` -> {totalSize, done, records:[{attributes:{type,url},
  ...}], nextRecordsUrl}; `nextRecordsUrl` (/services/data/vNN.0/query/01g...-2000) gives the
  next batch until done. Batches are 2,000 by default; `Sforce-Query-Options: batchSize=N`
  asks for 200..2,000. Parent fields nest as objects, child subqueries as {totalSize, done,
  records} or null.
- Line items are OpportunityLineItem rows (their facts in records.py), queried like any object
  or as an opportunity's `OpportunityLineItems`; an opportunity with some has their total as
  its Amount.
- `GET /services/data/vNN.0/queryAll?q=SOQL` is the same with deleted and archived rows too
  (this org holds none, so it answers as `query`); its batches follow at
  `/services/data/vNN.0/queryAll/01g...-2000`.
- Describe Global, `GET /services/data/vNN.0/sobjects/` -> {encoding: "UTF-8", maxBatchSize:
  200, sobjects: [{name, label, labelPlural, keyPrefix, custom, queryable, retrieveable,
  searchable, createable, updateable, deletable, ..., urls: {sobject, describe, rowTemplate}}]}.
- sObject Basic Information, `GET /services/data/vNN.0/sobjects/{Object}/` ->
  {objectDescribe: <the object's describe-global entry>, recentItems: []}.
- `GET /services/data/vNN.0/sobjects/{Object}/describe` -> {name, fields:[{name, label, type,
  custom, picklistValues:[{value, label, active}]}]}.
- Clients name these resources with or without a trailing slash (simple-salesforce asks for
  `query/`, `queryAll/` and `sobjects`); both are served.
- `GET /services/data/vNN.0/ui-api/object-info/{Object}/picklist-values/{recordTypeId}/{Field}`
  -> {controllerValues, defaultValue, url, values:[{attributes, label, validFor, value}]}.
- sObject Blob Get, `GET /services/data/vNN.0/sobjects/{Object}/{id}/{blobField}`, answers a
  base64 field's data as binary, not JSON (ContentNote's Content: the note's text, whole;
  ContentVersion's VersionData: a file's bytes, with their Content-Length); it cannot ride in
  a Composite request, so each blob is a request of its own. A query names a blob field's
  path, not its data.
- Leads, files and their objects: see prospects.py and attachments.py.
- CreatedDate is a system audit field (Object Reference, "System Fields": dateTime, when the
  record was created, filterable); the REST API writes a dateTime as yyyy-MM-ddTHH:mm:ss.SSS
  with an offset, +0000 ("Valid Date and DateTime Formats"). Account, Contact and Opportunity
  serve it here.
- Errors are a list: [{"message", "errorCode"}]; a bad session is 401 INVALID_SESSION_ID, an
  unknown resource 404 NOT_FOUND. The org's API requests are counted over a rolling 24 hours
  (`Sforce-Limit-Info: api-usage=N/M` on responses); past the limit every call is 403
  REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded." Salesforce sends no 429 here.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import Login, issued, oauth2_refresh_login
from adapters.core.emulation import (
    EmulatedAccount,
    RateState,
    SourceEmulator,
    VendorError,
    base_url_of,
)
from adapters.reference.dataset import ReferenceCompany
from adapters.salesforce import records
from adapters.salesforce.render import (
    is_content_note,
    render,
    stage_process_values,
    without_sales_processes,
)
from adapters.salesforce.schema import describe, schemas_for
from adapters.salesforce.soql import Evaluator, parse

MAX_API_VERSION = 66
DEFAULT_BATCH, MIN_BATCH = 2000, 200
_BATCH = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


class SalesforceEmulator(SourceEmulator):
    gate = staticmethod(issued())
    window_seconds = 24 * 3600.0  # the daily API request limit is a rolling 24 hours
    default_burst = 100_000

    def __init__(
        self,
        *,
        sales_processes: bool = True,
        enhanced_notes: bool = False,
        cut_downloads: bool = False,
        **options: Any,
    ) -> None:
        # False: orgs served without any sales process (the master stage picklist only).
        self.sales_processes = sales_processes
        # True: part of the notes (the long ones among them) are ContentNotes, not Notes.
        self.enhanced_notes = enhanced_notes
        # Fault injection: every file download (VersionData) stops halfway through its body.
        self.cut_downloads = cut_downloads
        # Query locators: results held server side between batches, as Salesforce does.
        self._locators: OrderedDict[str, tuple[str, list[Any], int]] = OrderedDict()
        self._next_locator = itertools.count(1)
        super().__init__(**options)

    def routes(self) -> list[BaseRoute]:
        data = "/{account_id}/services/data/{version}"
        rest = [
            ("/query", self.query),
            ("/queryAll", self.query_all),
            ("/query/{locator}", self.query_more),
            ("/queryAll/{locator}", self.query_more),
            ("/sobjects", self.describe_global),
            ("/sobjects/{object}", self.sobject_info),
            ("/sobjects/{object}/describe", self.describe),
            ("/sobjects/{object}/{record_id}/{field}", self.blob),
        ]
        return [
            self.login_route("/{account_id}/services/oauth2/token", self._refresh_login()),
            Route("/{account_id}/services/oauth2/userinfo", self.userinfo),
            *(Route(data + path + slash, handler) for path, handler in rest for slash in ("", "/")),
            Route(
                data + "/ui-api/object-info/{object}/picklist-values/{record_type}/{field}",
                self.picklist_values,
            ),
        ]

    # --- the sandbox's side ---------------------------------------------------------------

    def new_credentials(self, base_url: str) -> dict[str, str]:
        return {
            "client_id": "3MVG9" + secrets.token_urlsafe(24),
            "client_secret": secrets.token_hex(32),
            "refresh_token": "5Aep861" + secrets.token_urlsafe(40),
        }

    def render(self, company: ReferenceCompany) -> dict[str, list[dict[str, Any]]]:
        tables = render(company, enhanced_notes=self.enhanced_notes)
        tables["_custom_fields"] = [d.model_dump(mode="json") for d in company.custom_fields]
        if not self.sales_processes:
            return {**without_sales_processes(tables), "_stage_values": []}
        tables["_stage_values"] = [
            {"RecordTypeId": rt, "values": values}
            for rt, values in stage_process_values(company).items()
        ]
        return tables

    def held(self, company: ReferenceCompany) -> ReferenceCompany:
        held = records.held(company)
        if self.enhanced_notes:
            held = _with_content_notes(held, company)
        return held if self.sales_processes else records.on_master_picklist(held)

    def error_body(self, status: int, code: str, message: str) -> Any:
        if code == "not_found":
            code, message = "NOT_FOUND", "The requested resource does not exist"
        elif code == "method_not_allowed":
            code = "METHOD_NOT_ALLOWED"
        return [{"message": message, "errorCode": code}]

    def rate_headers(self, state: RateState) -> dict[str, str]:
        used = min(state.limit - state.remaining, state.limit)
        return {"Sforce-Limit-Info": f"api-usage={used}/{state.limit}"}

    def rate_limited(self, state: RateState) -> VendorError:
        return VendorError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")

    def unauthorized(self) -> VendorError:
        return VendorError(401, "INVALID_SESSION_ID", "Session expired or invalid")

    # --- OAuth ----------------------------------------------------------------------------

    def _refresh_login(self) -> Login:
        def answer(token: str, request: Request, account: EmulatedAccount) -> Any:
            base = base_url_of(request)
            return {
                "access_token": token,
                "signature": secrets.token_urlsafe(32),
                "scope": "refresh_token api",
                "instance_url": base,
                "id": f"{base}/id/{_org_id18(account)}/{_api_user(account)['Id']}",
                "token_type": "Bearer",
                "issued_at": str(int(self.clock() * 1000)),
            }

        return oauth2_refresh_login(answer=answer, refusal=_refusal, token=_session_id)

    async def userinfo(self, request: Request) -> Response:
        account = self.account(request, check_auth=False)
        if not self.authenticate(account, request):
            return PlainTextResponse("Bad_OAuth_Token", 403)
        user = _api_user(account)
        return self.respond(
            request,
            {
                "sub": f"{base_url_of(request)}/id/{_org_id18(account)}/{user['Id']}",
                "user_id": user["Id"],
                "organization_id": _org_id18(account),
                "preferred_username": user["Username"],
                "name": user["Name"],
                "email": user["Email"],
                "email_verified": True,
                "active": True,
                "zoneinfo": "Europe/Warsaw",
                "locale": "pl_PL",
                "user_type": "STANDARD",
                "updated_at": "2025-12-01T00:00:00Z",
            },
        )

    # --- REST -----------------------------------------------------------------------------

    async def query(self, request: Request) -> Response:
        return self._query(request, "query")

    async def query_all(self, request: Request) -> Response:
        # The org holds no deleted or archived rows: queryAll finds what query finds.
        return self._query(request, "queryAll")

    def _query(self, request: Request, resource: str) -> Response:
        account = self._rest_account(request)
        text = request.query_params.get("q")
        if not text:
            raise VendorError(400, "MALFORMED_QUERY", "A query string has to be specified")
        evaluator = Evaluator(schemas_for(account.tables), account.tables, _url_maker(request))
        rows = evaluator.run(parse(text))
        return self._batch(request, account, rows, 0, _batch_size(request), resource=resource)

    async def describe_global(self, request: Request) -> Response:
        account = self._rest_account(request)
        version = request.path_params["version"]
        sobjects = [_global_entry(name, version) for name in schemas_for(account.tables)]
        return self.respond(
            request, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects}
        )

    async def sobject_info(self, request: Request) -> Response:
        account = self._rest_account(request)
        schemas = schemas_for(account.tables)
        name = next(
            (n for n in schemas if n.lower() == request.path_params["object"].lower()), None
        )
        if name is None:
            raise VendorError(404, "NOT_FOUND", "The requested resource does not exist")
        entry = _global_entry(name, request.path_params["version"])
        return self.respond(request, {"objectDescribe": entry, "recentItems": []})

    async def query_more(self, request: Request) -> Response:
        account = self._rest_account(request)
        locator, _, offset = request.path_params["locator"].rpartition("-")
        found = self._locators.get(locator)
        if found is None or found[0] != account.id or not offset.isdigit():
            raise VendorError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        _, rows, size = found
        resource = request.url.path.rstrip("/").split("/")[-2]
        return self._batch(request, account, rows, int(offset), size, locator, resource)

    async def describe(self, request: Request) -> Response:
        account = self._rest_account(request)
        name = request.path_params["object"]
        body = describe(schemas_for(account.tables), account.tables, name)
        if body is None:
            raise VendorError(404, "NOT_FOUND", "The requested resource does not exist")
        return self.respond(request, body)

    async def blob(self, request: Request) -> Response:
        """sObject Blob Get: a base64 field's data, as bytes (a 15- or 18-character id)."""
        account = self._rest_account(request)
        params = request.path_params
        data = _blob(account, params["object"], params["record_id"], params["field"])
        if data is None:
            raise VendorError(404, "NOT_FOUND", "The requested resource does not exist")
        state = getattr(request.state, "rate", None)
        headers = {**(self.rate_headers(state) if state else {}), "Content-Length": str(len(data))}
        if self.cut_downloads and params["field"].lower() == "versiondata":
            data = data[: len(data) // 2]  # the connection drops halfway: a body cut short
        return Response(data, 200, headers=headers, media_type="application/octet-stream")

    async def picklist_values(self, request: Request) -> Response:
        account = self._rest_account(request)
        params = request.path_params
        if params["object"] != "Opportunity" or params["field"] != "StageName":
            raise VendorError(404, "NOT_FOUND", "The requested resource does not exist")
        found = next(
            (
                r
                for r in account.table("_stage_values")
                if r["RecordTypeId"] == params["record_type"]
            ),
            None,
        )
        if found is None:
            raise VendorError(
                400, "INVALID_ID_FIELD", f"Invalid record type id: {params['record_type']}"
            )
        values = [
            {"attributes": None, "label": v, "validFor": [], "value": v} for v in found["values"]
        ]
        path = f"/services/data/{params['version']}/ui-api/object-info/Opportunity"
        url = f"{path}/picklist-values/{params['record_type']}/StageName"
        body = {"controllerValues": {}, "defaultValue": None, "url": url, "values": values}
        return self.respond(request, body)

    # --- internals ------------------------------------------------------------------------

    def _rest_account(self, request: Request) -> EmulatedAccount:
        account = self.account(request)
        match = re.fullmatch(r"v(\d+)\.0", request.path_params["version"])
        if not match or not 20 <= int(match.group(1)) <= MAX_API_VERSION:
            raise VendorError(404, "NOT_FOUND", "The requested resource does not exist")
        return account

    def _batch(
        self,
        request: Request,
        account: EmulatedAccount,
        rows: list[dict[str, Any]],
        offset: int,
        size: int,
        locator: str | None = None,
        resource: str = "query",
    ) -> Response:
        page = rows[offset : offset + size]
        body: dict[str, Any] = {"totalSize": len(rows), "done": offset + size >= len(rows)}
        if not body["done"]:
            locator = locator or self._remember(account, rows, size)
            version = request.path_params["version"]
            next_url = f"/services/data/{version}/{resource}/{locator}-{offset + size}"
            body["nextRecordsUrl"] = next_url
        body["records"] = page
        return self.respond(request, body)

    def _remember(self, account: EmulatedAccount, rows: list[dict[str, Any]], size: int) -> str:
        """A query locator (01g...): the result kept for the next batches, the oldest dropped."""
        locator = f"01g5g{next(self._next_locator):010d}"
        self._locators[locator] = (account.id, rows, size)
        while len(self._locators) > 500:
            self._locators.popitem(last=False)
        return locator


def _with_content_notes(held: ReferenceCompany, company: ReferenceCompany) -> ReferenceCompany:
    """A ContentNote keeps its whole text (no 32,000-character Body) and every record it is
    linked to (a ContentDocumentLink each), where a classic Note has one ParentId."""
    enhanced = {n.source_id: n for n in company.notes if is_content_note(n)}
    notes = []
    for note in held.notes:
        whole = enhanced.get(note.source_id)
        if whole is not None:
            note = note.model_copy(
                update={
                    "content": whole.content,
                    "deal_source_id": whole.deal_source_id,
                    "person_source_id": whole.person_source_id,
                    "org_source_id": whole.org_source_id,
                }
            )
        notes.append(note)
    return dataclasses.replace(held, notes=notes)


REFUSALS = {
    "grant_type": ("unsupported_grant_type", "grant type not supported"),
    "client_id": ("invalid_client_id", "client identifier invalid"),
    "client_secret": ("invalid_client", "invalid client credentials"),
    "refresh_token": ("invalid_grant", "expired access/refresh token"),
}


def _refusal(field: str, given: Mapping[str, str]) -> tuple[int, Any]:
    error, description = REFUSALS[field]
    return 400, {"error": error, "error_description": description}


def _session_id(account: EmulatedAccount) -> str:
    """Salesforce access tokens read "<org id>!<secret>"."""
    return f"{records.org_id(account.id)}!{secrets.token_hex(24)}"


def _blob(account: EmulatedAccount, object_name: str, record_id: str, field: str) -> bytes | None:
    schema = next(
        (s for n, s in schemas_for(account.tables).items() if n.lower() == object_name.lower()),
        None,
    )
    if schema is None or field.lower() not in {f.lower() for f in schema.blobs}:
        return None
    name = next(f for f in schema.blobs if f.lower() == field.lower())
    for row in account.table(schema.name):
        if record_id in (row["Id"], row["Id"][:15]) and row.get(name) is not None:
            data = row[name]
            return data if isinstance(data, bytes) else str(data).encode()
    return None


def _api_user(account: EmulatedAccount) -> dict[str, Any]:
    """The integration runs as the org's first active user (its administrator)."""
    return next(u for u in account.table("User") if u["IsActive"])


def _org_id18(account: EmulatedAccount) -> str:
    """The org's id in its 18-character form, one per sandbox account."""
    return records.to18(records.org_id(account.id))


def _batch_size(request: Request) -> int:
    match = _BATCH.search(request.headers.get("sforce-query-options", ""))
    if not match:
        return DEFAULT_BATCH
    # Salesforce takes 200..2,000 and treats the size as a hint; out of range is clamped.
    return max(MIN_BATCH, min(DEFAULT_BATCH, int(match.group(1))))


# Objects a user may read but not create, change or delete through the API.
_READ_ONLY = {"OpportunityStage", "OpportunityHistory", "BusinessProcess", "RecordType", "User"}
_PLURALS = {"Opportunity": "Opportunities", "OpportunityHistory": "Opportunity History",
            "Pricebook2": "Price Books", "Product2": "Products", "PricebookEntry": "Price Book Entries",
            "BusinessProcess": "Business Processes"}  # fmt: skip
_LABELS = {"Pricebook2": "Price Book", "Product2": "Product", "PricebookEntry": "Price Book Entry",
           "OpportunityLineItem": "Opportunity Product"}  # fmt: skip


def _global_entry(name: str, version: str) -> dict[str, Any]:
    """An object's entry in Describe Global (DescribeGlobalSObjectResult)."""
    path = f"/services/data/{version}/sobjects/{name}"
    writable = name not in _READ_ONLY
    label = _LABELS.get(name, re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name))
    return {
        "activateable": False,
        "createable": writable,
        "custom": name.endswith("__c"),
        "customSetting": False,
        "deepCloneable": False,
        "deletable": writable,
        "deprecatedAndHidden": False,
        "feedEnabled": name in ("Account", "Contact", "Opportunity"),
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": records.PREFIXES.get(name),
        "label": label,
        "labelPlural": _PLURALS.get(name, label + "s"),
        "layoutable": writable,
        "mergeable": name in ("Account", "Contact"),
        "mruEnabled": writable,
        "name": name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": writable,
        "triggerable": writable,
        "undeletable": writable,
        "updateable": writable,
        "urls": {
            "rowTemplate": f"{path}/{{ID}}",
            "defaultValues": f"{path}/defaultValues?recordTypeId&fields",
            "describe": f"{path}/describe",
            "sobject": path,
        },
    }


def _url_maker(request: Request) -> Any:
    version = request.path_params["version"]
    return lambda object_name, row_id: f"/services/data/{version}/sobjects/{object_name}/{row_id}"
