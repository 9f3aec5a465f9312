"""Maximizer CRM (the Octopus API) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): every call `POST {base}/{Method}`;
`Authenticate` (Database, UID, Password, VendorId, AppKey) gives a bearer token; `Read` bodies
name one object with `Scope.Fields`, `Criteria.SearchQuery` and `OrderBy` (`PageKey`,
`PageSize`), and answer `{"Code": 0, "<Object>": {"Data": [...], "PageKey": ...}}`. A failed
call is a negative `Code` with `Msg[]` in a 200: a refused token is AuthFailed, any other such
answer an error, never an empty page. Keys are base64 of tab-joined parts (`Company\\t...\\t0`),
so a key tells the kind of entry it names. UDF definitions come from `Schema`, their table
items from one `FieldOptions` read per object; changed-since is `LastModifyDate $GT`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from adapters.core.auth import CredentialField, TokenExchangeAuth
from adapters.core.canonical import ContactPoint, Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    Derived,
    FieldCatalog,
    Lookup,
    PostRead,
    Run,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.errors import UnreadableResponse
from adapters.core.http import UnexpectedResponse, default_error_text, default_is_auth_failure
from adapters.core.mapping import Getter, Raw, number, ref, text, utc_time
from adapters.core.paginators import CursorInBody

DEFAULT_BASE_URL = "https://api.maximizer.com/octopus"
PAGE_SIZE = 100
COMPATIBILITY = {"AbEntryKey": "2.0", "SchemaObject": "1.0"}
STATUS = {"In Progress": "open", "Won": "won", "Lost": "lost", "Abandoned": "lost"}
UDF_TYPES = {
    "StringField": FieldType.varchar,
    "NumericField": FieldType.double,
    "DateTimeField": FieldType.date,
    "EnumField<StringItem>": FieldType.enum,
    "EnumField<StringItem>[]": FieldType.set,
}


def maximizer_auth(credentials: dict[str, str], base_url: str) -> TokenExchangeAuth:
    """`Authenticate` with the address book and user (and on the cloud the app's VendorId and
    AppKey); the token in `Data.Token` goes as a bearer. A token lives 10 minutes from its last
    use (24 hours at most): one refused is renewed by a new login and the call resent."""
    grant = {"Database": credentials["database"], "UID": credentials["uid"],
             "Password": credentials["password"]}  # fmt: skip
    if credentials.get("vendor_id") or credentials.get("app_key"):
        grant.update(VendorId=credentials.get("vendor_id", ""),
                     AppKey=credentials.get("app_key", ""))  # fmt: skip
    return TokenExchangeAuth(
        f"{base_url.rstrip('/')}/Authenticate",
        grant,
        secret_keys=("Password", "AppKey"),
        as_json=True,
        token_field="Data.Token",
        expired=token_refused,
    )


def _answer(response: httpx.Response) -> tuple[int | None, list[str]]:
    try:
        body = response.json()
    except ValueError:
        return None, []
    if not isinstance(body, dict) or not isinstance(body.get("Code"), int):
        return None, []
    return body["Code"], [str(m) for m in body.get("Msg") or []]


def token_refused(response: httpx.Response) -> bool:
    """A negative Code whose message is about the token (it expired: log in again)."""
    code, messages = _answer(response)
    return code is not None and code < 0 and any("token" in m.lower() for m in messages)


def is_auth_failure(response: httpx.Response) -> bool:
    """A 401/403, or a token still refused after a new login."""
    return default_is_auth_failure(response) or token_refused(response)


def error_text(response: httpx.Response) -> str:
    code, messages = _answer(response)
    return f"Code {code}: {'; '.join(messages)}" if messages else default_error_text(response)


def data(obj: str, where: str = "Data") -> Any:
    """The records of an answer; a negative Code or a missing list is refused, never read as
    an empty page (which would end the list)."""

    def rows(body: Any) -> list[Raw]:
        if not isinstance(body, dict) or not isinstance(body.get("Code"), int):
            raise UnreadableResponse("Maximizer: an answer without its Code")
        if body["Code"] < 0:
            messages = "; ".join(str(m) for m in body.get("Msg") or [])
            raise UnexpectedResponse(
                f"Maximizer: the call failed (Code {body['Code']}: {messages})", status=200
            )
        found = (body.get(obj) or {}).get(where) if isinstance(body.get(obj), dict) else None
        if not isinstance(found, list):
            raise UnreadableResponse(f"Maximizer: {obj}.{where} is not a list of records")
        return [item for item in found if isinstance(item, dict)]

    return rows


def read(obj: str, fields: tuple[str, ...], search: Mapping[str, Any] | None = None) -> PostRead:
    """A `Read` of `obj`: its fields and the UDFs named in the params (`udfs`), what changed
    since `since` when given; the engine adds PageKey and PageSize under OrderBy."""

    def build(params: Mapping[str, Any], state: RunState) -> dict[str, Any]:
        scope = {name: 1 for name in (*fields, *params.get("udfs", ()))}
        query = [dict(search)] if search else []
        if params.get("since"):
            query.append({"LastModifyDate": {"$GT": params["since"]}})
        where = query[0] if len(query) == 1 else ({"$AND": query} if query else {})
        order = {"Fields": [{"CreationDate": "ASC"}]} if "CreationDate" in fields else {}
        body = {"Scope": {"Fields": scope}, "Criteria": {"SearchQuery": where}, "OrderBy": order}
        return {obj: body, "Compatibility": COMPATIBILITY}

    return PostRead(build, page_into=f"{obj}.OrderBy")


def with_udfs(params: dict[str, Any], run: Run) -> Mapping[str, Any]:
    return {**params, "udfs": sorted(run.custom)}


def kind(getter: Getter) -> Any:
    """The kind of entry a key names (its first part): Company, Individual, Contact..."""

    def read(raw: Raw) -> str | None:
        value = raw.get(getter) if isinstance(getter, str) else getter(raw)
        try:
            return base64.b64decode(str(value)).decode().split("\t")[0] if value else None
        except (binascii.Error, UnicodeDecodeError):
            return None

    return read


def key_of(getter: str, *kinds: str) -> Callable[[Raw], Any]:
    """The key at `getter` when it names an entry of one of `kinds`."""
    is_kind = kind(getter)
    return lambda raw: raw.get(getter) if is_kind(raw) in kinds else None


def points(slot: str, value: str, count: int) -> Getter:
    def read(raw: Raw) -> list[ContactPoint]:
        out = []
        for i in range(1, count + 1):
            item = raw.get(f"{slot}{i}") or {}
            if item.get(value):
                out.append(ContactPoint(value=str(item[value]), label=item.get("Description")
                                        or "work", primary=bool(item.get("Default"))))  # fmt: skip
        return out

    return read


def udf_values(raw: Raw) -> dict[str, Any]:
    """UDF values by key; a table UDF's items (`[{Key, Value}]`) as their labels."""
    out = {}
    for name, value in raw.items():
        if name.startswith("Udf/"):
            table = isinstance(value, list)
            out[name] = [i.get("Value") for i in value if isinstance(i, dict)] if table else value
    return out


def _stream(entity: Entity, obj: str, fields: dict[str, Getter], names: tuple[str, ...],
            search: Mapping[str, Any] | None = None, *, udfs: bool = False,
            changes: bool = True, **extra: Any) -> Stream:  # fmt: skip
    return Stream(
        entity,
        "/Read",
        {"source_id": ref("Key"), **fields},
        paginator=CursorInBody(
            cursor_path=f"{obj}.PageKey",
            cursor_param="PageKey",
            limit_param="PageSize",
            limit=PAGE_SIZE,
        ),  # fmt: skip
        rows=data(obj),
        post=read(obj, ("Key", *names, "CreationDate", "LastModifyDate"), search),
        query=with_udfs if udfs else None,
        custom_values=udf_values if udfs else None,
        changed_since=ChangedSince("since") if changes else None,
        **extra,
    )


def due(raw: Raw) -> tuple[str | None, str | None]:
    """A task's day and time: `DateTime` is a day, or a moment."""
    when = raw.get("DateTime") or ""
    if len(when) <= 10:
        return when or None, None
    moment = utc_time("DateTime")(raw) or ""
    return moment[:10], moment[11:16]


def span(raw: Raw) -> str | None:
    start, end = (utc_time(k)(raw) for k in ("StartDate", "EndDate"))
    if not start or not end:
        return None
    minutes = (int(end[11:13]) * 60 + int(end[14:16])) - (
        int(start[11:13]) * 60 + int(start[14:16])
    )
    minutes += 1440 * (end[:10] != start[:10])
    return f"{minutes // 60:02d}:{minutes % 60:02d}" if minutes > 0 else None


def attendee(*kinds: str) -> Getter:
    def read(raw: Raw) -> str | None:
        is_kind = kind(lambda entry: entry["_key"])
        return next((k for k in raw.get("AbEntries") or [] if is_kind({"_key": k}) in kinds), None)

    return read


def positioned(raws: list[Raw], state: RunState) -> list[Raw]:
    """Stages in list order within their sales process."""
    seen: dict[str, int] = {}
    out = []
    for raw in raws:
        process = str(raw.get("SalesProcessSetupKey"))
        seen[process] = seen.get(process, 0) + 1
        out.append({**raw, "_order": seen[process]})
    return out


PERSON_KINDS = ("Individual", "Contact")
USER_FIELDS = ("Uid", "DisplayName", "Email1", "Disabled")
ENTRY_FIELDS = ("Type", "CompanyName", "FirstName", "LastName", "ParentKey", "Address",
                "AccountManager", "Email1", "Email2", "Email3", "Phone1", "Phone2", "Phone3",
                "Phone4")  # fmt: skip
# fmt: off
STREAMS = (
    Stream(
        Entity.users, "/Read",
        {"source_id": ref("Key"), "name": text("DisplayName"), "email": text("Email1.Address"),
         "active": lambda raw: not raw.get("Disabled")},
        paginator=CursorInBody(cursor_path="User.PageKey", cursor_param="PageKey",
                               limit_param="PageSize", limit=PAGE_SIZE),
        rows=data("User"), post=read("User", ("Key", *USER_FIELDS)),
    ),
    _stream(
        Entity.organizations, "AbEntry",
        {"name": text("CompanyName"), "address": text("Address.AddressLine1"),
         "owner_source_id": ref("AccountManager")},
        ENTRY_FIELDS, {"Type": {"$EQ": "Company"}}, udfs=True,
    ),
    _stream(
        Entity.persons, "AbEntry",
        {"name": lambda raw: " ".join(filter(None, (raw.get("FirstName"), raw.get("LastName")))),
         "first_name": text("FirstName"), "last_name": text("LastName"),
         "emails": points("Email", "Address", 3), "phones": points("Phone", "Number", 4),
         "org_source_id": key_of("ParentKey", "Company"),
         "owner_source_id": ref("AccountManager")},
        ENTRY_FIELDS, {"Type": {"$IN": list(PERSON_KINDS)}}, udfs=True,
    ),
    _stream(Entity.pipelines, "SalesProcessSetup", {"name": text("Description")},
            ("Description",), changes=False),
    _stream(
        Entity.stages, "SalesStageSetup",
        {"name": text("Description"), "pipeline_source_id": ref("SalesProcessSetupKey"),
         "order_nr": "_order", "deal_probability": "ProbabilityClose"},
        ("Description", "SalesProcessSetupKey", "ProbabilityClose"), changes=False,
        select=positioned,
    ),
    _stream(
        Entity.deals, "Opportunity",
        {"title": text("Objective"), "value": number("ForecastRevenue"),
         "status": lambda raw: STATUS.get(str((raw.get("Status") or {}).get("DisplayValue")),
                                          "open"),
         "org_source_id": key_of("AbEntryKey", "Company"),
         "person_source_id": lambda raw: raw.get("ContactKey")
         or key_of("AbEntryKey", *PERSON_KINDS)(raw),
         "pipeline_source_id": ref("SalesProcessSetupKey"),
         "stage_source_id": ref("SalesStageSetupKey"), "owner_source_id": ref("Leader"),
         "expected_close_date": lambda raw: (raw.get("CloseDate") or "")[:10] or None},
        ("Objective", "Status", "ForecastRevenue", "AbEntryKey", "ContactKey", "Leader",
         "SalesProcessSetupKey", "SalesStageSetupKey", "CloseDate"), udfs=True,
    ),
    _stream(
        Entity.activities, "Task",
        {"subject": lambda raw: raw.get("Activity") or "",
         "type": lambda raw: (raw.get("Category") or ["task"])[0],
         "due_date": lambda raw: due(raw)[0], "due_time": lambda raw: due(raw)[1],
         "done": lambda raw: bool(raw.get("Completed")), "note": text("Description"),
         "owner_source_id": ref("AssignedTo"), "deal_source_id": ref("WithKey"),
         "person_source_id": key_of("AbEntryKey", *PERSON_KINDS),
         "org_source_id": key_of("AbEntryKey", "Company")},
        ("Activity", "Category", "DateTime", "Completed", "Description", "AssignedTo",
         "WithKey", "AbEntryKey"),
    ),
    _stream(
        Entity.activities, "Appointment",
        {"subject": lambda raw: raw.get("Subject") or "", "type": text("Category"),
         "due_date": lambda raw: (utc_time("StartDate")(raw) or "")[:10] or None,
         "due_time": lambda raw: (utc_time("StartDate")(raw) or "")[11:16] or None,
         "duration": span, "note": text("Description"), "owner_source_id": ref("Organizer"),
         "deal_source_id": ref("WithKey"), "person_source_id": attendee(*PERSON_KINDS),
         "org_source_id": attendee("Company")},
        ("Subject", "Category", "StartDate", "EndDate", "Description", "Organizer",
         "WithKey", "AbEntries"),
    ),
    _stream(
        Entity.notes, "Note",
        {"content": lambda raw: raw.get("Text") or "", "add_time": utc_time("DateTime"),
         "owner_source_id": ref("Creator"), "deal_source_id": key_of("ParentKey", "Opportunity"),
         "person_source_id": key_of("ParentKey", *PERSON_KINDS),
         "org_source_id": key_of("ParentKey", "Company")},
        ("Text", "DateTime", "ParentKey", "Creator"),
    ),
)
# fmt: on


def _schema(params: Mapping[str, Any], state: RunState) -> dict[str, Any]:
    fields = {name: 1 for name in ("Key", "Name", "Type", "AppliesTo", "HasOption", "Attributes")}
    trees = [{"Key": {"$TREE": f"/{obj}/Udf"}} for obj in ("AbEntry", "Opportunity")]
    query = {"Scope": {"Fields": fields}, "Criteria": {"SearchQuery": {"$OR": trees}}}
    return {"Schema": query, "Compatibility": COMPATIBILITY}


def _udf(definition: Raw) -> str:
    return str(definition["Key"]).split("/", 2)[2]  # "/AbEntry/Udf/$TYPEID(1)" -> "Udf/..."


def _items(obj: str) -> Lookup:
    """The items of `obj`'s table UDFs, in one FieldOptions read."""

    def build(params: Mapping[str, Any], state: RunState) -> dict[str, Any]:
        tables = [_udf(d) for d in state["udf_defs"].values()
                  if d.get("HasOption") and str(d["Key"]).startswith(f"/{obj}/")]  # fmt: skip
        options = {name: [{"Key": 1, "Name": 1}] for name in tables}
        return {obj: {"FieldOptions": options}, "Compatibility": COMPATIBILITY}

    def rows(body: Any) -> list[Raw]:
        data(obj, "FieldOptions")  # a negative Code is refused
        found = (body.get(obj) or {}).get("FieldOptions")
        if not isinstance(found, dict):
            raise UnreadableResponse(f"Maximizer: {obj}.FieldOptions is not an object")
        return [{"_udf": f"/{obj}/{name}", **item} for name, items in found.items()
                for item in items or []]  # fmt: skip

    return Lookup(f"{obj}_items", "/Read", "_udf", None, many=True, rows=rows,
                  post=PostRead(build), needs=("udf_defs",))  # fmt: skip


def _with_items(state: RunState) -> dict[str, Any]:
    items = {**state["AbEntry_items"], **state["Opportunity_items"]}
    return {
        k: {**d, "_options": [(i["Key"], i["Name"]) for i in items.get(k, [])]}
        for k, d in state["udf_defs"].items()
    }


def _catalog(entity: Entity, obj: str, applies: tuple[str, ...]) -> FieldCatalog:
    def multi(raw: Raw) -> str:
        many = bool((raw.get("Attributes") or {}).get("MultiSelect"))
        return str(raw.get("Type")) + ("[]" if many else "")

    return FieldCatalog(
        entity, "/Read", key=_udf, name="Name", type=multi,
        types=UDF_TYPES,
        is_custom=lambda raw: str(raw["Key"]).startswith(f"/{obj}/")
        and bool(set(raw.get("AppliesTo") or []) & set(applies)),
        options=lambda raw: raw.get("_options") or [], rows_of="udfs",
    )  # fmt: skip


SPEC = SourceSpec(
    name="Maximizer CRM",
    streams=STREAMS,
    check=AccountCheck(
        "/GetSessionInfo",
        {
            "database": "AddressBook.Database",
            "user_id": "User.Key.Uid",
            "user_name": "User.DisplayName",
        },
        body={
            "AddressBook": {"Database": 1, "DisplayValue": 1},
            "User": {"Key": {"Value": 1, "Uid": 1}, "DisplayName": 1},
        },
    ),  # fmt: skip
    field_catalogs=(
        _catalog(Entity.organizations, "AbEntry", ("Company",)),
        _catalog(Entity.persons, "AbEntry", PERSON_KINDS),
        _catalog(Entity.deals, "Opportunity", ("Opportunity",)),
    ),
    lookups=(
        Lookup("udf_defs", "/Read", "Key", None, rows=data("Schema"), post=PostRead(_schema)),
        _items("AbEntry"),
        _items("Opportunity"),
    ),
    derived=(Derived("udfs", ("udf_defs", "AbEntry_items", "Opportunity_items"), _with_items),),
    is_auth_failure=is_auth_failure,
    error_text=error_text,
    id="maximizer",
    # The address book (database name), a user enabled for service access and their password;
    # on Maximizer Cloud also the app's VendorId and AppKey (from Maximizer), else left empty.
    credentials=(
        CredentialField("database", "Database (address book)", secret=False),
        CredentialField("uid", "User ID", secret=False),
        CredentialField("password", "Password"),
        CredentialField("vendor_id", "Vendor ID (cloud)", secret=False, required=False),
        CredentialField("app_key", "App key (cloud)", required=False),
    ),
    auth=maximizer_auth,
    default_base_url=DEFAULT_BASE_URL,
)
