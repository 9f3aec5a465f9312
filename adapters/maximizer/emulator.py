"""An emulator of Maximizer CRM's Octopus API (Maximizer.Web.Data) for the sandbox.

Vendor facts it follows (developer.maximizer.com/reference/octopus-api and its pages on
authentication, token validation, OrderBy, Key, AbEntry and System; the official Postman
collections maximizercrm/octopus-api `postman/collections/OctopusAPI.json` and its two
environments, and the older maximizercrm/maximizerwebdata-postman):
- Every call is `POST {base}/{Method}` with a JSON body: Maximizer Cloud's base is
  `https://api.maximizer.com/octopus`, an on-premises or CRM Live server's is its own
  (`https://ca1.maximizercrmlive.com/api160/Data.svc/json`).
- `Authenticate` takes `Database`, `UID`, `Password` and, on the cloud, `VendorId` and `AppKey`
  (without them the login fails), and answers `{"Code": 0, "Data": {"Token": ...}}`; every
  other call sends `Authorization: Bearer <token>` (the collection's auth). `TokenValid`
  answers a bad token with HTTP 200 `{"Code": -1, "Msg": ["Token is invalid"]}`: errors are a
  negative `Code` with `Msg[]`, in a 200. A token lives 10 minutes from its issue, each use
  moving that to 10 minutes after the use, 24 hours at most (Token Validation page).
- `Read` bodies name one object (`AbEntry`, `User`, `Opportunity`, `Task`, `Appointment`,
  `Note`, `SalesProcessSetup`, `SalesStageSetup`, `Schema`) with `Scope.Fields` (the fields
  returned; `1` for all), `Criteria.SearchQuery` (`$AND`, `$OR`, `$EQ`, `$NE`, `$GT`, `$GE`,
  `$LT`, `$LE`, `$IN`, `$NIN`, and `$TREE` on Schema keys), `Criteria.Top`, and `OrderBy`
  (`Fields: [{name: ASC|DESC}]`, `PageKey`, `PageSize`); the answer is
  `{"Code": 0, "<Object>": {"Data": [...]}}`. "Octopus API returns the key of the next page
  in the response" (OrderBy page); the example's second page key is `MTA=`.
- `FieldOptions` reads (`{"AbEntry": {"FieldOptions": {"Udf/$TYPEID(n)": [{"Key": 1,
  "Name": 1}]}}}`) list a table UDF's items; UDF definitions are `Schema` rows keyed
  `/AbEntry/Udf/$TYPEID(n)` (Key, Name, Type, AppliesTo, HasOption, Attributes...), read with
  `Compatibility.SchemaObject` 1.0; a record carries a UDF's value under `Udf/$TYPEID(n)`, a
  table UDF's as `[{"Key", "Value"}]`.
- Keys are base64 of tab-joined parts: `Company\\t<Client_Id>\\t0`, `Contact\\t<Client_Id>\\t1`,
  `User\\tMASTER`, `Task\\t1284`, `SalesProcess\\tDEFAULT\\t0`, `UdfDefinition\\t60030\\t0`
  (examples in the collection); a contact's Client_Id is its parent's (Key page: ID is the
  Client_Id, Number the Contact_Number).
- `GetSessionInfo` tells the token's user (`User.Key.{Value,Uid}`, `DisplayName`) and address
  book (`AddressBook.{Database,DisplayValue}`).
Assumptions (not documented): the next page key sits beside `Data` as `PageKey` (null on the
last page); a PageSize over 1000 is refused; Read answers a bad token as TokenValid does; an
unknown object, field or operator is `Code -1`; the rate limit is a 429 with Retry-After.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.emulated_auth import Login, issued, json_fields
from adapters.core.emulation import EmulatedAccount, SourceEmulator, Tables, VendorError, bearer
from adapters.core.mapping import parse_time
from adapters.core.serving import CursorPages
from adapters.maximizer.render import held, keys, render
from adapters.reference.dataset import ReferenceCompany, generate

API = "/{account_id}"
PAGES = CursorPages(size_param="PageSize", cursor_param="PageKey", default=100, most=1000)
OBJECTS = frozenset(
    [
        "AbEntry",
        "User",
        "Opportunity",
        "Task",
        "Appointment",
        "Note",
        "SalesProcessSetup",
        "SalesStageSetup",
        "Schema",
    ]
)
IDLE_SECONDS, LIFE_SECONDS = 600, 86_400  # a token's life from its last and its first use
ASIDE = frozenset({"Compatibility", "Configuration"})
LOGIN = Login(
    matches={"Database": "database", "UID": "uid", "Password": "password",
             "VendorId": "vendor_id", "AppKey": "app_key"},
    read=json_fields,
    answer=lambda token, request, account: {"Code": 0, "Data": {"Token": token}},
    refusal=lambda field, given: (200, {"Code": -1, "Msg": ["Authentication failed."]}),
)  # fmt: skip


def fault(message: str, code: int = -1) -> VendorError:
    return VendorError(200, str(code), message, body={"Code": code, "Msg": [message]})


def _order(value: Any) -> Any:
    """A sort key: times by moment, then other values, then none."""
    if value is None:
        return (2, 0)
    moment = parse_time(value) if isinstance(value, str) else None
    return (0, moment) if moment else (1, value)


def _compare(op: str, have: Any, want: Any) -> bool:
    if op == "$EQ":
        return bool(have == want)
    if op == "$NE":
        return bool(have != want)
    if op in ("$IN", "$NIN"):
        if not isinstance(want, list):
            raise fault(f"{op} takes a list.")
        return (have in want) == (op == "$IN")
    if op == "$TREE":
        return isinstance(have, str) and have.startswith(str(want))
    if op in ("$GT", "$GE", "$LT", "$LE"):
        if have is None:
            return False
        a, b = _order(have), _order(want)
        if a[0] != b[0]:
            raise fault(f"{op} compares values of different types.")
        return {"$GT": a > b, "$GE": a >= b, "$LT": a < b, "$LE": a <= b}[op]
    raise fault(f"Unsupported operator {op}.")


def matches(row: dict[str, Any], query: Any, known: set[str]) -> bool:
    if not isinstance(query, dict):
        raise fault("SearchQuery must be an object.")
    for name, condition in query.items():
        if name in ("$AND", "$OR"):
            parts = [matches(row, part, known) for part in condition or []]
            if not (all(parts) if name == "$AND" else any(parts)):
                return False
            continue
        if name not in known:
            raise fault(f"Invalid field {name}.")
        if not isinstance(condition, dict):
            raise fault(f"The condition on {name} must be an object.")
        if not all(_compare(op, row.get(name), want) for op, want in condition.items()):
            return False
    return True


class MaximizerEmulator(SourceEmulator):
    window_seconds = 10.0
    default_burst = 1000
    gate = staticmethod(issued())
    credential_names = ("password", "vendor_id", "app_key")
    credential_values = {"database": "{account}", "uid": "USER1"}

    def __init__(self, **kwargs: Any) -> None:
        self._keys: dict[str, str] = {}
        self._used: dict[str, tuple[float, float]] = {}  # token -> (issued, last used)
        super().__init__(**kwargs)

    def routes(self) -> list[BaseRoute]:
        return [
            self.login_route(f"{API}/Authenticate", dataclasses.replace(LOGIN, token=self._issue)),
            Route(f"{API}/Read", self.read, methods=["POST"]),
            Route(f"{API}/GetSessionInfo", self.session, methods=["POST"]),
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

    def _issue(self, account: EmulatedAccount) -> str:
        token = secrets.token_hex(24)
        self._used[token] = (self.clock(), self.clock())
        return token

    def authenticate(self, account: EmulatedAccount, request: Request) -> bool:
        """An issued token within 10 minutes of its issue or last use, 24 hours of its issue."""
        token, now = bearer(request), self.clock()
        if not token or not self.gate(account, request) or token not in self._used:
            return False
        issued_at, last = self._used[token]
        if now - last > IDLE_SECONDS or now - issued_at > LIFE_SECONDS:
            account.tokens.discard(token)
            return False
        self._used[token] = (issued_at, now)
        return True

    def unauthorized(self) -> VendorError:
        return fault("Token is invalid")

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"Code": -1, "Msg": [message]}

    async def session(self, request: Request) -> Response:
        account = self.account(request)
        await _body(request)
        user = account.table("User")[0]
        body = {
            "Code": 0,
            "AddressBook": {"Database": account.credentials["database"],
                            "DisplayValue": account.id},
            "User": {"Key": {"Value": user["Key"], "Uid": user["Uid"]},
                     "DisplayName": user["DisplayName"]},
        }  # fmt: skip
        return self.respond(request, body)

    async def read(self, request: Request) -> Response:
        account = self.account(request)
        body = await _body(request)
        named = [name for name in body if name not in ASIDE]
        if len(named) != 1 or named[0] not in OBJECTS or not isinstance(body[named[0]], dict):
            raise fault("A Read names one object that is supported.")
        name, query = named[0], body[named[0]]
        if "FieldOptions" in query:
            return self.respond(request, {"Code": 0, name: _options(account, name, query)})
        rows = account.table(name)
        known = {k for row in rows for k in row if not k.startswith("_")} | _udfs(account, name)
        criteria = query.get("Criteria") or {}
        found = [r for r in rows if matches(r, criteria.get("SearchQuery") or {}, known)]
        order = query.get("OrderBy") or {}
        for part in reversed(order.get("Fields") or []):
            for field, direction in part.items():
                if field not in known or direction not in ("ASC", "DESC"):
                    raise fault(f"Cannot order by {field} {direction}.")
                found.sort(key=_by(field), reverse=direction == "DESC")
        if isinstance(criteria.get("Top"), int):
            found = found[: criteria["Top"]]
        answer: dict[str, Any] = {}
        if "PageSize" in order or order.get("PageKey"):
            try:
                page = PAGES.serve(found, order)
            except VendorError as exc:
                raise fault(exc.message) from None
            found = page.items
            answer["PageKey"] = page.next["PageKey"] if page.next else None
        fields = (query.get("Scope") or {}).get("Fields", 1)
        data = [_scoped(row, fields, known) for row in found]
        return self.respond(request, {"Code": 0, name: {"Data": data, **answer}})


def _by(field: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: _order(row.get(field))


def _scoped(row: dict[str, Any], fields: Any, known: set[str]) -> dict[str, Any]:
    """The record with the fields asked for (`1`: all of them)."""
    if fields == 1:
        return {k: v for k, v in row.items() if not k.startswith("_")}
    if not isinstance(fields, dict):
        raise fault("Scope.Fields must be an object or 1.")
    unknown = sorted(set(fields) - known)
    if unknown:
        raise fault(f"Invalid field {unknown[0]}.")
    return {name: row.get(name) for name in fields}


def _udfs(account: EmulatedAccount, name: str) -> set[str]:
    prefix = f"/{name}/"
    return {d["Key"][len(prefix) :] for d in account.table("Schema") if d["Key"].startswith(prefix)}


def _options(account: EmulatedAccount, name: str, query: dict[str, Any]) -> dict[str, Any]:
    wanted = query["FieldOptions"]
    if not isinstance(wanted, dict):
        raise fault("FieldOptions must be an object.")
    defs = {d["Key"]: d for d in account.table("Schema")}
    out = {}
    for field in wanted:
        definition = defs.get(f"/{name}/{field}")
        if definition is None or not definition["HasOption"]:
            raise fault(f"{field} has no options.")
        out[field] = definition["_items"]
    return {"FieldOptions": out}


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise fault("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise fault("The request body must be an object.")
    return body
