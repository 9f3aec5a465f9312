"""An emulator of the Dataverse Web API (Dynamics 365) and of its Entra ID token endpoint.

Vendor facts it follows (Microsoft Learn):
- Token: `POST {authority}/{tenant}/oauth2/v2.0/token`, form grant_type=client_credentials,
  client_id, client_secret, scope `{org URL}/.default`; answer {"token_type":"Bearer",
  "expires_in":3599,"access_token":...}. A wrong secret is a 401 `invalid_client` with AADSTS7000215,
  an unknown app a 400 `unauthorized_client` (AADSTS700016), a bad scope a 400 `invalid_scope`
  (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
- API root `{org URL}/api/data/v9.2/`; a missing or bad token is a 401 with
  `WWW-Authenticate: Bearer authorization_uri=...` and an empty body.
- Collections answer {"@odata.context", "value": [...], "@odata.nextLink"}; paging by
  `Prefer: odata.maxpagesize` (Preference-Applied echoed), no $skip (webapi/query/page-results).
- Errors {"error":{"code","message"}}: an unknown entity set is a 404 0x8006088a "Resource not
  found for the segment", an unknown column a 400 "Could not find a property named ..."
  (troubleshoot/power-platform/dataverse/.../web-api-client-errors).
- Service protection: 429 with Retry-After (seconds) and 0x80072322 "Number of requests exceeded
  the limit of 6000 over time window of 300 seconds." (data-platform/api-limits). The emulator's
  window is a minute, so that a sandbox run waits rather than pauses; every answer says
  x-ms-ratelimit-burst-remaining-xrm-requests.
- `$expand` of a single-valued lookup or of a collection such as `phonecall_activity_parties`
  (an activity's activityparty rows), each with its own `$select`; up to 15 per query
  (webapi/query/join-tables).
- Line items are opportunityproducts (ce/sales/developer/entities/opportunityproduct in
  MicrosoftDocs/dynamics-365-customer-engagement): `_opportunityid_value`, `_productid_value` (or
  a write-in: isproductoverridden with productdescription), quantity (Decimal, precision 5), and
  Money columns to the cent: priceperunit, baseamount, manualdiscountamount (an amount),
  volumediscountamount, tax (an amount, not a rate), extendedamount = baseamount - manual discount
  + tax (discounts per line item, the default: sales/developer/product-discounting-methods);
  description (2,000 characters). An opportunity's estimatedvalue is its products' total amount,
  taxes included, only when isrevenuesystemcalculated is true ("System Calculated"); the reference
  deals' values are their lines before tax, so the org's revenue is "User Provided" (false).
- `createdon` ("Created On", DateTime, UserLocal behaviour, Edm.DateTimeOffset) is served in UTC
  to the second, e.g. 2024-03-05T09:12:00Z, and can be filtered and sorted on. An imported record
  given `overriddencreatedon` ("Record Created On", "Date and time that the record was migrated")
  gets that value as its createdon; these records were made here, so it is null (the account,
  contact and opportunity entity references in MicrosoftDocs; data-platform/webapi/query).
- One record: `GET <set>(<id>)` with $select ("@odata.etag" and the columns), a missing one a
  404 0x80040217 "<table> With Id = <id> Does Not Exist"; one column `<set>(<id>)/<column>`
  ({"value": ...}) and its raw value `/$value` (an annotation's documentbody: the base64 text as
  text/plain, no name or size; a null value is a 204) (webapi/retrieve-entity-using-web-api,
  attachment-annotation-files). `cut_short` names annotations whose answers stop halfway
  through the Content-Length they announce (a dropped connection), for tests.
- `GET WhoAmI` gives {"BusinessUnitId","UserId","OrganizationId"}; metadata under
  `EntityDefinitions(LogicalName='x')/Attributes[/Microsoft.Dynamics.CRM.<Type>AttributeMetadata]`.
"""

from __future__ import annotations

import json
import re
import secrets
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import issued, oauth2_client_login
from adapters.core.emulation import (
    EmulatedAccount,
    RateState,
    SourceEmulator,
    Tables,
    VendorError,
    base_url_of,
)
from adapters.dynamics365 import odata
from adapters.dynamics365.held import held
from adapters.dynamics365.render import APPLICATION_USER, Renderer
from adapters.dynamics365.shapes import (
    COLLECTIONS,
    COLUMNS,
    ENTITY_TYPES,
    NAVIGATION,
    PRIMARY_KEYS,
    guid,
)
from adapters.reference.dataset import ReferenceCompany

API = "/api/data/v9.2"
_ONE = re.compile(r"^(\w+)\(([0-9a-fA-F-]{36})\)(?:/(\w+)(/\$value)?)?$")
_METADATA = re.compile(
    r"^EntityDefinitions\(LogicalName='(\w+)'\)/Attributes(?:/Microsoft\.Dynamics\.CRM\.(\w+))?$"
)


class DynamicsEmulator(SourceEmulator):
    gate = staticmethod(issued())
    window_seconds = 60.0
    default_burst = 1200

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.cut_short: set[str] = set()  # annotation ids whose answers break off

    def routes(self) -> list[BaseRoute]:
        return [
            self.login_route("/{account_id}/{tenant}/oauth2/v2.0/token", ENTRA_LOGIN),
            Route("/{account_id}" + API + "/{resource:path}", self.resource),
        ]

    def new_credentials(self, base_url: str) -> dict[str, str]:
        return {
            "tenant_id": str(guid(f"tenant:{secrets.token_hex(8)}")),
            "client_id": str(guid(f"client:{secrets.token_hex(8)}")),
            "client_secret": secrets.token_urlsafe(30),
            "authority": base_url,  # login.microsoftonline.com lives elsewhere in real life
        }

    def render(self, company: ReferenceCompany) -> Tables:
        return Renderer(company, "").tables()

    def render_account(self, company: ReferenceCompany, credentials: dict[str, str]) -> Tables:
        return Renderer(company, credentials.get("client_id", "")).tables()

    held = staticmethod(held)  # what of it the vendor can hold

    def unauthorized(self) -> VendorError:
        return VendorError(401, "unauthorized", "")

    def rate_headers(self, state: RateState) -> dict[str, str]:
        return {"x-ms-ratelimit-burst-remaining-xrm-requests": str(max(state.remaining, 0))}

    def rate_limited(self, state: RateState) -> VendorError:
        wait = str(max(1, int(state.reset_seconds + 0.999)))
        message = "Number of requests exceeded the limit of 6000 over time window of 300 seconds."
        return VendorError(429, "0x80072322", message, {"Retry-After": wait})

    async def _vendor_error(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, VendorError) and exc.status == 401:
            # Dataverse refuses a request without a valid token with an empty body.
            challenge = (
                "Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/"
                f"authorize, resource_id={base_url_of(request)}/"
            )
            return Response(status_code=401, headers={"WWW-Authenticate": challenge})
        return await super()._vendor_error(request, exc)

    # --- Entra ID -----------------------------------------------------------------------

    # --- the Web API --------------------------------------------------------------------

    async def resource(self, request: Request) -> Response:
        account = self.account(request)
        path = request.path_params["resource"].strip("/")
        if path == "WhoAmI":
            return self.respond(request, self.who_am_i(request, account))
        metadata = _METADATA.match(path)
        if metadata:
            return self.attributes(request, account, *metadata.groups())
        one = _ONE.match(path)
        if one and one.group(1) in COLUMNS:
            return self.one(request, account, *one.groups())
        if path not in COLUMNS:
            segment = path.split("/")[0].split("(")[0]
            raise VendorError(404, "0x8006088a", f"Resource not found for the segment '{segment}'.")
        return self.collection(request, account, path)

    def who_am_i(self, request: Request, account: EmulatedAccount) -> dict[str, Any]:
        return {
            "@odata.context": f"{base_url_of(request)}{API}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
            # Real organizations (and their root business units) have ids unique across
            # Dynamics; Ferry's ledger tells organizations apart by theirs, so each sandbox
            # account is its own organization.
            "BusinessUnitId": guid(f"business-unit:{account.id}"),
            "UserId": guid(APPLICATION_USER),
            "OrganizationId": guid(f"organization:{account.id}"),
        }

    def attributes(
        self, request: Request, account: EmulatedAccount, entity: str, cast: str | None
    ) -> Response:
        if f"attributes:{entity}" not in account.tables:
            raise VendorError(404, "0x80040217", f"Could not find an entity with name {entity}.")
        rows = account.table(f"attributes:{entity}")
        if cast:
            rows = [r for r in rows if r["@odata.type"] == f"#Microsoft.Dynamics.CRM.{cast}"]
        columns = tuple({key for row in rows for key in row} - {"@odata.type"})
        params = request.query_params
        names = odata.selected(
            params.get("$select"), columns or ("LogicalName",), "AttributeMetadata"
        )
        expand = odata.expansions(params.get("$expand"))
        out = []
        for row in rows:
            picked = {k: v for k, v in row.items() if k != "OptionSet"}
            if names is not None:
                keep = {*names, "MetadataId", "@odata.type"}
                picked = {k: v for k, v in picked.items() if k in keep}
            if "OptionSet" in expand and "OptionSet" in row:
                picked["OptionSet"] = row["OptionSet"]
            out.append(picked)
        context = f"{base_url_of(request)}{API}/$metadata#EntityDefinitions('{entity}')/Attributes"
        return self.respond(request, {"@odata.context": context, "value": out})

    def collection(self, request: Request, account: EmulatedAccount, name: str) -> Response:
        params = request.query_params
        for unsupported in ("$skip",):
            if unsupported in params:
                raise odata.bad_query(f"The query parameter {unsupported} is not supported")
        columns, key, kind = COLUMNS[name], PRIMARY_KEYS[name], ENTITY_TYPES[name]
        prefer = odata.preferences(request.headers.get("prefer", ""))
        size = odata.page_size(prefer)
        terms = odata.annotation_filter(prefer)
        names = odata.selected(params.get("$select"), columns, kind)
        keep = odata.row_filter(params.get("$filter"), columns, kind)
        rows = [r for r in account.table(name) if keep(r)]
        rows = odata.ordered(rows, params.get("$orderby"), key, columns)
        top = params.get("$top")
        if top is not None:
            rows = rows[: int(top)] if top.isdigit() else rows
        page, start = 1, 0
        if params.get("$skiptoken"):
            page, start = odata.resume(params["$skiptoken"], rows, key)
        chunk = rows[start : start + size]
        expand = odata.expansions(params.get("$expand"))
        value = [
            self.expanded(account, name, odata.select(r, names, key, terms), r, expand, terms)
            for r in chunk
        ]
        body: dict[str, Any] = {
            "@odata.context": self.context(request, name, names),
            "value": value,
        }
        if start + size < len(rows) and chunk:
            token = odata.skip_token(page + 1, key, str(chunk[-1][key]))
            query = [(k, v) for k, v in params.multi_items() if k != "$skiptoken"]
            query.append(("$skiptoken", token))
            body["@odata.nextLink"] = (
                f"{base_url_of(request)}{API}/{name}?{urlencode(query, safe='$')}"
            )
        headers = {"OData-Version": "4.0"}
        if "odata.maxpagesize" in prefer:
            headers["Preference-Applied"] = f"odata.maxpagesize={size}"
        return self.respond(request, body, **headers)

    def expanded(
        self,
        account: EmulatedAccount,
        name: str,
        picked: dict[str, Any],
        row: dict[str, Any],
        expand: dict[str, list[str] | None],
        terms: list[str],
    ) -> dict[str, Any]:
        for navigation, chosen in expand.items():
            if navigation in NAVIGATION:
                column, target = NAVIGATION[navigation]
                _check_columns(chosen, target)
                related = [
                    r for r in account.table(target) if r[PRIMARY_KEYS[target]] == row.get(column)
                ]
                picked[navigation] = (
                    odata.select(related[0], chosen, PRIMARY_KEYS[target], terms)
                    if related
                    else None
                )
            elif (name, navigation) in COLLECTIONS:
                child, column = COLLECTIONS[(name, navigation)]
                _check_columns(chosen, child)
                children = [
                    r for r in account.table(child) if r.get(column) == row[PRIMARY_KEYS[name]]
                ]
                picked[navigation] = [
                    odata.select(c, chosen, PRIMARY_KEYS[child], terms) for c in children
                ]
            else:
                raise odata.bad_query(
                    f"Could not find a property named '{navigation}' on type "
                    f"'Microsoft.Dynamics.CRM.{ENTITY_TYPES[name]}'.",
                    code="0x0",
                )
        return picked

    def one(
        self,
        request: Request,
        account: EmulatedAccount,
        name: str,
        record_id: str,
        column: str | None,
        raw: str | None,
    ) -> Response:
        key, kind = PRIMARY_KEYS[name], ENTITY_TYPES[name]
        found = [r for r in account.table(name) if str(r[key]).lower() == record_id.lower()]
        if not found:
            message = f"{kind} With Id = {record_id.lower()} Does Not Exist"
            raise VendorError(404, "0x80040217", message)
        row = found[0]
        context = f"{base_url_of(request)}{API}/$metadata#{name}"
        if column is not None:
            odata.selected(column, COLUMNS[name], kind)
            value = row.get(column)
            if raw:
                if value is None:
                    return Response(status_code=204, headers={"OData-Version": "4.0"})
                body = str(value).encode()
                return self.answer(request, record_id, body, "text/plain")
            body = {"@odata.context": f"{context}({record_id})/{column}", "value": value}
            return self.respond(request, body, **{"OData-Version": "4.0"})
        prefer = odata.preferences(request.headers.get("prefer", ""))
        names = odata.selected(request.query_params.get("$select"), COLUMNS[name], kind)
        shape = f"({','.join(names)})" if names else ""
        out = {
            "@odata.context": f"{context}{shape}/$entity",
            "@odata.etag": f'W/"{zlib.crc32(str(row.get("modifiedon")).encode())}"',
            **odata.select(row, names, key, odata.annotation_filter(prefer)),
        }
        return self.answer(request, record_id, json.dumps(out).encode(), "application/json")

    def answer(self, request: Request, record_id: str, body: bytes, kind: str) -> Response:
        """A body with its Content-Length; for an id in `cut_short`, only half of it."""
        state = getattr(request.state, "rate", None)
        headers = {
            **(self.rate_headers(state) if state else {}),
            "OData-Version": "4.0",
            "Content-Length": str(len(body)),
        }
        if record_id.lower() in self.cut_short:
            body = body[: len(body) // 2]
        media = f"{kind}; odata.metadata=minimal" if kind == "application/json" else kind
        return Response(body, 200, headers=headers, media_type=media)

    def context(self, request: Request, name: str, names: list[str] | None) -> str:
        shape = f"({','.join(names)})" if names else ""
        return f"{base_url_of(request)}{API}/$metadata#{name}{shape}"


def _check_columns(chosen: list[str] | None, entity_set: str) -> None:
    """An expanded $select naming a column the related table lacks is a 400, as at the top."""
    if chosen is not None:
        odata.selected(",".join(chosen), COLUMNS[entity_set], ENTITY_TYPES[entity_set])


def _tenant(account: EmulatedAccount, request: Request, given: Mapping[str, str]) -> str | None:
    return (
        None if request.path_params["tenant"] == account.credentials.get("tenant_id") else "tenant"
    )


def _scope(account: EmulatedAccount, request: Request, given: Mapping[str, str]) -> str | None:
    return (
        None
        if given.get("scope", "").rstrip("/") == f"{base_url_of(request)}/.default"
        else "scope"
    )


# Entra ID's answer to each refused part of a client-credentials login.
ENTRA_REFUSALS = {
    "tenant": (400, "invalid_request", "AADSTS90002: Tenant not found."),
    "grant_type": (
        400,
        "unsupported_grant_type",
        "AADSTS70003: The app requested an unsupported grant type.",
    ),
    "client_id": (
        400,
        "unauthorized_client",
        "AADSTS700016: Application with identifier '{client_id}' was not found in the directory.",
    ),
    "client_secret": (
        401,
        "invalid_client",
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        "request is the client secret value, not the client secret ID.",
    ),
    "scope": (
        400,
        "invalid_scope",
        "AADSTS1002012: The provided value for scope {scope} is not valid. Client credential "
        "flows must have a scope value with /.default suffixed to the resource identifier.",
    ),
}


def _entra_refusal(field: str, given: Mapping[str, str]) -> tuple[int, Any]:
    status, error, template = ENTRA_REFUSALS[field]
    values = {"client_id": "", "scope": "", **given}
    return status, _entra(error, template.format(**values))


def _entra_answer(token: str, request: Request, account: EmulatedAccount) -> Any:
    return {
        "token_type": "Bearer",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": token,
    }


ENTRA_LOGIN = oauth2_client_login(
    checks=(_tenant, _scope),
    answer=_entra_answer,
    refusal=_entra_refusal,
    token=lambda account: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + secrets.token_hex(24),
)


def _entra(error: str, description: str) -> dict[str, Any]:
    code = int(re.search(r"AADSTS(\d+)", description).group(1))  # type: ignore[union-attr]
    return {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": "2026-01-15 08:00:00Z",
        "trace_id": str(guid("trace")),
        "correlation_id": str(guid("correlation")),
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
