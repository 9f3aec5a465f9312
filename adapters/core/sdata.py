"""SData (Sage Data), shared by the sources that speak it and by their emulators: Infor CRM
(Saleslogix) `dynamic/-/` feeds and Sage CRM's REST API (`sagecrm2/-/`, 2019 R2+).

Protocol facts (sage.github.io/SData-2.0 "JSON formatted responses" and "3.10 Error payload";
Saleslogix/SDataJavaScriptClientLib src/SDataUri.js and SDataService.js):
- A feed in JSON is `{"$totalResults", "$startIndex", "$itemsPerPage", "$resources": [...]}`,
  each resource with its native key as `$key`; a provider may add `$url` and `$next` (the
  next page's URL). Query arguments are `startIndex` (from 1), `count`, `where`, `select`,
  `include`, `orderby` and `format` (`format=json`: the Saleslogix dynamic adapter serves JSON
  only when asked this way; Atom XML is its default).
- `where` is SData's query language: `ModifyDate gt @2014-03-14T00:00:00@` (times between @),
  strings quoted, clauses joined by `and`.
- Errors are diagnoses: `severity`, `sdataCode` (BadUrlSyntax, BadQueryParameter, BadWhereSyntax,
  ResourceKindNotFound, ApplicationDiagnosis...), `applicationCode`, `message`; in JSON each
  name takes a `$`, a list of them as the body.

Client side: `SDataPages` (startIndex/count, `$next` followed when given, the feed's
`$totalResults` honoured: a page that ends short of it is an error, never the end),
`basic_login` (a server user's name and password, as HTTP Basic), `changed_since` (a `where=`
on the modify date), `and_where` (a stream's own filter joined with
it), `feed_stream` (a feed as a stream), `feed_lookup` (a whole feed as a lookup table),
`joined_rows` (a table's rows with other tables' rows in them: field definitions with their
choices), `points` (fixed columns as contact points), `most_particular` (one link of several named),
`closed` (a close date kept for one
status), `LeadColumns` (where a lead holds its own person and company: its feed read as the
three, its emulated row), `FileColumns` (the same of attachment records), `total` and `error_text`.

Emulator side: `SDataEmulator` (what their emulators share: HTTP Basic, diagnoses, no
published rate limit, feed routes), `FeedPages` (the page server), `feed` (the envelope), `where_test` (the `where=`
filter), `serve_feed` (a feed route in one call), `serve_file` (a file's bytes by its key) and
`DIAGNOSIS` (the error shape). For the reference company: `lines` (line items as a vendor keeps
them), `only_labels` (the contact points a record keeps), `own_parties` (each lead's person and
company of its own), `content_refs` (files named by the vendor's key) and `span` (an
activity's start and end).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.core.auth import BasicAuth, CredentialField
from adapters.core.canonical import (
    Activity,
    ContactPoint,
    DealProduct,
    Entity,
    File,
    Lead,
    Organization,
    Person,
)
from adapters.core.declarative import (
    ChangedSince,
    Derived,
    Join,
    Lookup,
    Run,
    RunState,
    Stream,
)
from adapters.core.emulated_auth import basic_pair
from adapters.core.emulation import RateHeaders, SourceEmulator, VendorError, filled
from adapters.core.errors import UnreadableResponse
from adapters.core.http import default_error_text
from adapters.core.mapping import Getter, joined, parse_time, ref, text, utc_time, value_at
from adapters.core.naming import lead_title, mime_type
from adapters.core.paginators import PageRequest, Paginator, Token
from adapters.core.serving import (
    Collection,
    Pages,
    Params,
    Served,
    file_response,
    integer,
    next_url,
)
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.holds import Points, Step

Raw = dict[str, Any]
QUERY_ARGS = frozenset({"format", "select", "include", "orderby", "orderBy", "where"})


# --- client ------------------------------------------------------------------------------------


def diagnoses(body: Any) -> list[Raw]:
    """The diagnoses of a body: a list of them, or a feed or entry carrying `$diagnoses`."""
    if isinstance(body, dict):
        body = body.get("$diagnoses") or body.get("diagnoses")
    if isinstance(body, list):
        return [d for d in body if isinstance(d, dict) and _message(d) is not None]
    return []


def _message(diagnosis: Raw) -> str | None:
    found = diagnosis.get("$message", diagnosis.get("message"))
    return str(found) if found is not None else None


def error_text(response: httpx.Response) -> str:
    """The diagnoses' messages (with their SData codes), else the common shapes."""
    try:
        found = diagnoses(response.json())
    except ValueError:
        found = []
    if not found:
        return default_error_text(response)
    parts = []
    for d in found:
        code = d.get("$sdataCode", d.get("sdataCode"))
        parts.append(f"{_message(d)} ({code})" if code else str(_message(d)))
    return "; ".join(parts)


def feed_of(body: Any) -> Raw:
    """The feed of a page; diagnoses or any other shape are an unreadable page."""
    if not isinstance(body, dict) or not isinstance(body.get("$resources"), list):
        found = diagnoses(body)
        detail = f": {'; '.join(str(_message(d)) for d in found)}" if found else ""
        raise UnreadableResponse(f"an SData page is not a feed{detail}")
    return body


def total(response: httpx.Response, body: Any) -> int | None:
    given = feed_of(body).get("$totalResults")
    return int(given) if given is not None else None


@dataclass
class SDataPages(Paginator):
    """startIndex (from 1) and count; the next page is the feed's `$next` when it gives one,
    else the index after this page's records. The walk ends when `$totalResults` records have
    been listed; an empty or short page before that is an error (a list cut short is never
    its end)."""

    count: int = 100
    follow_next: bool = True

    def first_token(self) -> Token:
        return 1

    def parse_token(self, cursor: str) -> Token:
        return int(cursor) if cursor.isdigit() else cursor

    def request_for(self, token: Token | None) -> PageRequest:
        if isinstance(token, str):  # a `$next` URL: it carries the whole query
            return PageRequest(url=token)
        return PageRequest({"startIndex": token or 1, "count": self.count})

    def next_token(self, token: Token | None, response: httpx.Response, body: Any) -> Token | None:
        feed = feed_of(body)
        got = len(feed["$resources"])
        start = _int(feed.get("$startIndex"), token if isinstance(token, int) else 1)
        listed = _int(feed.get("$totalResults"), None)
        size = _int(feed.get("$itemsPerPage"), self.count)
        if listed is None:  # no total given: a full page means there may be more
            return start + got if got >= size and got else None
        if start - 1 + got >= listed:
            return None
        if got == 0 or got < min(size, self.count):
            raise UnreadableResponse(
                f"an SData page from {start} held {got} of {listed} records and ended short"
            )
        link = feed.get("$next")
        if self.follow_next and isinstance(link, str) and link:
            return link
        return start + got


def _int(value: Any, default: Any) -> Any:
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        raise UnreadableResponse(f"an SData feed gave {value!r} for a number") from None


def feed_stream(
    entity: Entity,
    path: str,
    fields: Mapping[str, Getter],
    changed: ChangedSince | None,
    **extra: Any,
) -> Stream:
    """A feed as a stream: its records' `$key` the source id, paged to `$totalResults`."""
    return Stream(
        entity,
        path,
        {"source_id": ref("$key"), **fields},
        paginator=extra.pop("paginator", None) or SDataPages(),
        records="$resources",
        changed_since=changed,
        total=total,
        **extra,
    )


@dataclass(frozen=True)
class LeadColumns:
    """Where a vendor's lead keeps its person and company as columns of its own: read by
    `streams`, written (the emulator's lead) by `row`."""

    first: str
    last: str
    company: str
    email: str
    phones: tuple[tuple[str, str], ...]  # (column, label)
    owner: str  # a path to the owner's id
    created: str
    title: str | None = None  # the lead's own title; None: it has none, "Name (Company)"

    def streams(self, path: str, changed: ChangedSince | None, **extra: Any) -> tuple[Stream, ...]:
        """The lead feed read three times: as the lead, as a person of its own and, when it
        names a company, as an organization of its own, the two under the lead's `$key` (the
        lead's person and organization, the person's organization)."""
        company, owner = text(self.company), ref(self.owner)
        name = joined(self.first, self.last)

        def own_org(raw: Raw) -> str | None:
            return ref("$key")(raw) if company(raw) else None

        def title(raw: Raw) -> str:
            given = raw.get(self.title) if self.title else lead_title(name(raw), company(raw))
            return str(given or "")

        lead = {"title": title, "person_source_id": ref("$key"), "add_time": utc_time(self.created)}
        person: dict[str, Getter] = {
            "name": name,
            "first_name": text(self.first),
            "last_name": text(self.last),
        }
        person |= {"emails": points((self.email, "work")), "phones": points(*self.phones)}
        links = {"org_source_id": own_org, "owner_source_id": owner}
        org = {"name": lambda raw: str(company(raw)), "owner_source_id": owner}
        return (
            feed_stream(Entity.leads, path, {**lead, **links}, changed, **extra),
            feed_stream(Entity.persons, path, {**person, **links}, changed, **extra),
            feed_stream(Entity.organizations, path, org, changed, keep=own_org, **extra),
        )

    def row(self, lead: Lead, person: Person, org: Organization | None) -> Raw:
        """A lead's own columns: its person's names, first e-mail and phones by label (a last
        name is required: a lead without a person has its company's name there), its company's
        name and its title."""
        phones = {p.label: p.value for p in reversed(person.phones)}
        out = {self.first: person.first_name, self.last: person.last_name}
        out |= {self.email: person.emails[0].value if person.emails else None}
        out |= {column: phones.get(label) for column, label in self.phones}
        out |= {self.company: org.name if org else None}
        return out | ({self.title: lead.title} if self.title else {})


@dataclass(frozen=True)
class FileColumns:
    """Where a vendor's attachment records keep a file's name, size, date and records: read by
    `stream` (the bytes fetched by the record's `$key`), written by `row`."""

    name: str
    size: str
    added: str
    links: Mapping[str, str]  # column -> link field, the most particular first

    def stream(self, path: str, changed: ChangedSince | None, **extra: Any) -> Stream:
        def size(raw: Raw) -> int | None:
            given = raw.get(self.size)
            return None if given in (None, "") else int(given)

        fields: dict[str, Getter] = {
            "name": lambda raw: str(raw.get(self.name) or ""),
            "mime_type": lambda raw: mime_type(raw.get(self.name)),
            "size": size,
            **most_particular(self.links),
            "content_ref": ref("$key"),
            "add_time": utc_time(self.added),
        }
        return feed_stream(Entity.files, path, fields, changed, **extra)

    def row(self, file: File, data: bytes, links: Mapping[str, Any]) -> Raw:
        """A file's record under its `content_ref`, with the link columns given and its bytes
        (`_bytes`: served by `serve_file`, never listed)."""
        out = {"$key": file.content_ref, self.name: file.name, self.size: len(data)}
        out |= {self.added: file.add_time, **links}
        return out | {"_bytes": data}


def points(*columns: tuple[str, str]) -> Getter:
    """Fixed columns (column, label) as contact points; the first filled is the primary."""

    def read(raw: Raw) -> list[ContactPoint]:
        found = [(label, raw.get(column)) for column, label in columns if raw.get(column)]
        return [
            ContactPoint(value=str(value), label=label, primary=i == 0)
            for i, (label, value) in enumerate(found)
        ]

    return read


def most_particular(columns: Mapping[str, str]) -> dict[str, Getter]:
    """The links of a record that names its record and that record's parents (a file on a
    contact naming the contact's account too): only the first filled of `columns` (column ->
    link field, the most particular first) is kept, every other link None."""

    def link(field: str) -> Getter:
        def read(raw: Raw) -> str | None:
            found = next(((to, raw[c]) for c, to in columns.items() if raw.get(c)), (None, None))
            return str(found[1]) if found[0] == field else None

        return read

    return {field: link(field) for field in dict.fromkeys(columns.values())}


def closed(status: str, field: str, statuses: Mapping[str, str], at: Getter) -> Getter:
    """A deal's close time (`at`) when its `field` is a status `statuses` reads as `status`."""

    def read(raw: Raw) -> Any:
        return value_at(raw, at) if statuses.get(str(raw.get(field) or "")) == status else None

    return read


def feed_lookup(
    name: str, path: str, key: Getter, params: Mapping[str, Any] | None = None, many: bool = False
) -> Lookup:
    """A feed read whole (every page, by startIndex) as a lookup table keyed by `key`."""
    return Lookup(
        name,
        path,
        key=key,
        records="$resources",
        paginator=SDataPages(),
        params=params or {},
        many=many,
    )


def joined_rows(name: str, table: str, *joins: Join) -> Derived:
    """The rows of `table`, each with the row of every join's lookup that its `on` value keys
    put at the join's `into` (None when there is none), as a derived table `name`."""

    def build(state: RunState) -> dict[str, Any]:
        out = {}
        for key, row in state[table].items():
            found = {j.into: state[j.lookup].get(str(value_at(row, j.on))) for j in joins}
            out[key] = {**row, **found}
        return out

    return Derived(name, (table, *(j.lookup for j in joins)), build)


def basic_login(user_label: str) -> dict[str, Any]:
    """A server user's name and password, sent as HTTP Basic: the `credentials` and `auth` of
    a SourceSpec (the login name is not secret)."""
    return {
        "credentials": (
            CredentialField("username", user_label, secret=False),
            CredentialField("password", "Password"),
        ),
        "auth": lambda credentials, _url: BasicAuth(
            credentials["username"], credentials["password"]
        ),
    }


def changed_since(field: str) -> ChangedSince:
    """A delta read as SData asks it: `where=<field> gt @<time>@`."""
    return ChangedSince("where", field + " gt @{iso}@")


def and_where(clause: str) -> Callable[[dict[str, Any], Run], Mapping[str, Any]]:
    """A stream's own `where` joined with a delta's (a stream query hook)."""

    def query(params: dict[str, Any], run: Run) -> Mapping[str, Any]:
        given = params.get("where")
        return {**params, "where": f"({clause}) and ({given})" if given else clause}

    return query


# --- emulator ----------------------------------------------------------------------------------

DIAGNOSIS = [{"$severity": "Error", "$sdataCode": "{code}", "$message": "{message}"}]
CODES = {
    "invalid_parameter": "BadQueryParameter",
    "not_found": "ResourceKindNotFound",
    "method_not_allowed": "BadUrlSyntax",
}


def diagnosis_code(code: str) -> str:
    """An emulator's error code as an SData diagnosis code."""
    if code in CODES:
        return CODES[code]
    return code if code[:1].isupper() else "ApplicationDiagnosis"


class SDataEmulator(SourceEmulator):
    """What the emulators of SData vendors share: HTTP Basic with a user's name and password,
    errors as diagnoses, no rate-limit headers (on-premises servers publish no limit: 429 with
    Retry-After over the burst), feeds paged up to 100 records."""

    window_seconds = 10.0
    default_burst = 1000
    gate = staticmethod(basic_pair("username", "password"))
    credential_names = ("username", "password")
    error_shape = DIAGNOSIS
    rate = RateHeaders(limit=None, remaining=None, reset=None)

    def error_body(self, status: int, code: str, message: str) -> Any:
        return filled(DIAGNOSIS, {"code": diagnosis_code(code), "message": message})

    # Feeds only in JSON, when asked `format=json` (a provider whose default is Atom).
    json_only: bool = False

    def feed_route(self, path: str, table: str | Callable[[Request], str], **options: Any) -> Route:
        """A route serving `table` (or the table a request names) as a feed, with
        `serve_feed`'s options; a provider serving JSON only with `format=json` refuses any
        other request with a BadQueryParameter diagnosis (after the auth check)."""

        async def serve(request: Request) -> Response:
            if self.json_only and request.query_params.get("format") != "json":
                self.account(request)
                message = "The sandbox serves feeds as JSON only (format=json)."
                raise VendorError(400, "BadQueryParameter", message)
            name = table if isinstance(table, str) else table(request)
            return serve_feed(self, request, name, PAGES, **options)

        return Route(path, serve)


@dataclass(frozen=True)
class FeedPages(Pages):
    """The page server: `startIndex` from 1, `count` up to `most`."""

    size_param: str = "count"
    start_param: str = "startIndex"

    @property
    def params(self) -> frozenset[str]:
        return frozenset({self.size_param, self.start_param})

    def start(self, params: Params, size: int) -> int:
        return integer(params, self.start_param, 1, lo=1) - 1

    def next_params(self, page: Served, items: list[Raw]) -> dict[str, str]:
        return {self.start_param: str(page.start + page.size + 1), self.size_param: str(page.size)}


PAGES = FeedPages(default=100, most=100)


def feed(page: Served, request: Request, *, with_next: bool = True) -> Raw:
    """A page as an SData JSON feed."""
    body: Raw = {
        "$totalResults": page.total,
        "$startIndex": page.start + 1,
        "$itemsPerPage": page.size,
        "$resources": page.items,
    }
    link = next_url(request, page) if with_next else None
    return {**body, "$next": link} if link else body


_CLAUSE = re.compile(
    r"\s*([A-Za-z_][\w./]*)\s+(eq|ne|gt|ge|lt|le)\s+"
    r"(@[^@]*@|'[^']*'|\"[^\"]*\"|true|false|null|-?\d+(?:\.\d+)?)\s*",
    re.IGNORECASE,
)


def where_test(where: str | None) -> Callable[[Raw], bool]:
    """The `where=` filter of a feed as a test of a record: clauses `<property> <op> <value>`
    joined by `and` (brackets around a clause allowed); times between @...@. Anything else is
    a BadWhereSyntax diagnosis, as the provider answers."""
    if not where:
        return lambda item: True
    tests = [_clause(part) for part in re.split(r"\)?\s+and\s+\(?", _unwrap(where))]
    return lambda item: all(test(item) for test in tests)


def _clause(text: str) -> Callable[[Raw], bool]:
    found = _CLAUSE.fullmatch(_unwrap(text))
    if found is None:
        raise VendorError(400, "BadWhereSyntax", f"Invalid query syntax: {text.strip()!r}")
    field, op, literal = found.group(1).replace("/", "."), found.group(2).lower(), found.group(3)
    wanted = _literal(literal)

    def test(item: Raw) -> bool:
        value = value_at(item, field)
        if isinstance(wanted, datetime):
            value = parse_time(str(value)) if value not in (None, "") else None
        elif isinstance(wanted, str):
            value = value if value is None else str(value)
        return _compare(value, op, wanted)

    return test


def serve_feed(
    emulator: SourceEmulator,
    request: Request,
    table: str,
    pages: FeedPages,
    *,
    with_next: bool = True,
    keep: Callable[[Raw], bool] | None = None,
    deferred: tuple[str, ...] = (),
) -> Response:
    """A feed route in one call: the account (auth, rate limit), the table's records that pass
    `keep` and the request's `where=`, one page of them in the SData envelope. The query
    arguments SData defines are taken (`select` and `orderby` are not applied here); any
    other parameter is a BadQueryParameter diagnosis. A `deferred` relationship property is
    only a `{"$deferred": true}` link unless `include=` names it; a file's bytes are never
    listed."""
    tests: list[Callable[[Raw], bool]] = []
    included = set(request.query_params.get("include", "").split(","))

    def shape(item: Raw) -> Raw:
        links = {name: {"$deferred": True} for name in deferred if name not in included}
        return {k: v for k, v in item.items() if k != "_bytes"} | links

    def kept(item: Raw) -> bool:
        if not tests:  # compiled once the auth check has passed
            tests.append(where_test(request.query_params.get("where")))
        return (keep is None or keep(item)) and tests[0](item)

    collection = Collection(table, known=QUERY_ARGS, keep=kept)
    return emulator.serve_list(
        request,
        collection,
        pages,
        lambda page, req: feed(page, req, with_next=with_next),
        shape=shape,
    )


def serve_file(
    emulator: SourceEmulator,
    request: Request,
    table: str,
    key: str,
    name: str,
    mime: Callable[[Raw], str | None] = lambda row: None,
) -> Response:
    """A file's bytes (the row's `_bytes`) by its row's `$key`, named by the row's `name`
    column; a key that lists no file is a ResourceKindNotFound diagnosis (404)."""
    account = emulator.account(request)
    row = next((r for r in account.table(table) if r.get("$key") == key), None)
    if row is None or "_bytes" not in row:
        raise VendorError(404, "not_found", f"The resource '{key}' was not found.")
    return file_response(row["_bytes"], str(row.get(name) or key), mime(row))


# --- the reference company as SData vendors keep it ---------------------------------------------


def lines(price: Callable[[DealProduct], float], discount: Callable[[DealProduct], float]) -> Step:
    """The step keeping line items as a vendor does: at `price`, a percentage `discount`, no tax
    and no comment."""

    def line(item: DealProduct) -> DealProduct:
        update: dict[str, Any] = {"item_price": price(item), "discount": discount(item)}
        update |= {"discount_type": "percentage", "tax": 0.0, "comments": None}
        return item.model_copy(update=update)

    def step(company: ReferenceCompany) -> ReferenceCompany:
        return dataclasses.replace(company, deal_products=[line(i) for i in company.deal_products])

    return step


def only_labels(*labels: str) -> Points:
    """The contact points of these labels (a record's fixed columns), the first the primary."""

    def held(found: list[ContactPoint]) -> list[ContactPoint]:
        kept = [p for p in found if p.label in labels]
        return [p.model_copy(update={"primary": i == 0}) for i, p in enumerate(kept)]

    return held


def own_parties(company: ReferenceCompany) -> dict[str, tuple[Person, Organization | None]]:
    """Each lead's person and organization of its own (under the lead's id), by lead id: what
    the vendor shows as the lead's fields, not as contacts or companies."""
    persons = {p.source_id: p for p in company.persons}
    orgs = {o.source_id: o for o in company.organizations}
    return {
        lead.source_id: (persons[lead.source_id], orgs.get(lead.source_id))
        for lead in company.leads
        if lead.source_id in persons
    }


def content_refs(ref_of: Callable[[File], str]) -> Step:
    """The step naming each file's bytes as the vendor does (`content_ref`: its key)."""

    def step(company: ReferenceCompany) -> ReferenceCompany:
        files = [f.model_copy(update={"content_ref": ref_of(f)}) for f in company.files]
        return dataclasses.replace(company, files=files)

    return step


def span(activity: Activity) -> tuple[datetime | None, datetime | None]:
    """An activity's start (midnight UTC when it has no time) and end (None without a
    duration)."""
    if not activity.due_date:
        return None, None
    start = datetime.fromisoformat(f"{activity.due_date}T{activity.due_time or '00:00'}:00+00:00")
    if not activity.duration:
        return start, None
    hours, _, minutes = activity.duration.partition(":")
    return start, start + timedelta(hours=int(hours), minutes=int(minutes))


def stamp(moment: datetime | None) -> str | None:
    """A time as SData feeds write it (UTC, `Z`)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _unwrap(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text


def _literal(text: str) -> Any:
    if text.startswith("@"):
        moment = parse_time(text[1:-1])
        if moment is None:
            raise VendorError(400, "BadWhereSyntax", f"Invalid date literal: {text}")
        return moment
    if text[0] in "'\"":
        return text[1:-1]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    return float(text)


def _compare(value: Any, op: str, wanted: Any) -> bool:
    if op == "eq":
        return bool(value == wanted)
    if op == "ne":
        return bool(value != wanted)
    if value is None or wanted is None:
        return False
    try:
        if isinstance(wanted, float):
            value = float(value)
        return {
            "gt": value > wanted,
            "ge": value >= wanted,
            "lt": value < wanted,
            "le": value <= wanted,
        }[op]
    except (TypeError, ValueError):
        return False
