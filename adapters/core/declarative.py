"""Declarative sources: a source CRM described as data, run by one shared engine.

A `SourceSpec` says everything particular to a vendor: where each entity is listed (`Stream`:
path, query, paginator, where the records sit, the mapping to the canonical model, the
changed-since filter), where custom field definitions are (`FieldCatalog`), how to tell who we
are connected as (`AccountCheck`), and how the vendor errs. `DeclarativeSource` runs any spec
and is the `SourceAdapter` the pipeline sees. Auth is built by the system from the credentials
and handed in with the client, so a spec holds no secret.

Run-time facts are lookups too: a `Lookup` is read once per run (by GET, by a POST that only
reads, or once per row of another lookup), a `Derived` table is computed from other tables, and
a stream's hooks (`query`, `select`, `amend`, a POST body) see the tables it `needs` as a
read-only `RunState`. What a list does not carry may be read by a request per record (`Detail`:
a body served apart, its answer JSON or not). So no vendor subclasses the engine: a vendor is
data plus small functions.

An entity may come from several streams (Salesforce's Tasks and Events are both activities); the
checkpoint cursor then says which stream and which page: "<stream index>:<page token>".
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import httpx

from adapters.core.auth import AuthStyle, CredentialAuth, CredentialField
from adapters.core.canonical import (
    LOAD_ORDER,
    CustomFieldDef,
    Entity,
    FieldType,
    File,
    Record,
    parse_record,
)
from adapters.core.errors import RecordRejected, UnreadableResponse
from adapters.core.fields import SourceField, canonical_custom_fields
from adapters.core.http import ApiClient, Sink, default_error_text, default_is_auth_failure
from adapters.core.mapping import Getter, Raw, value_at
from adapters.core.paginators import (
    FetchedPage,
    PageRequest,
    Paginator,
    page_body,
    records_of,
)
from adapters.core.protocols import ConnectionInfo, Page, StagedItem

Fields = dict[str, SourceField]
# The lookup tables a hook may read, by lookup name: read once per run, never written by a hook.
RunState = Mapping[str, Mapping[str, Any]]
Rows = Callable[[Any], list[Raw]]  # the records of a parsed page, where a dotted path cannot say


@dataclass(frozen=True)
class Run:
    """What a stream's `query` sees: the tables it needs, the entity's custom fields (by key)
    and the time of a delta read."""

    state: RunState
    custom: Mapping[str, SourceField]
    since: datetime | None = None


@dataclass(frozen=True)
class PostRead:
    """A list read by POST (a search, JSON-RPC): `build` makes the JSON body from the params and
    the run state; each page's token and size join the body. `repeatable`: the POST only reads,
    so it is retried like a GET."""

    build: Callable[[Mapping[str, Any], RunState], dict[str, Any]]
    repeatable: bool = True
    # Where in the body the page's token and size go (JSON-RPC's "params", a dotted path such
    # as Maximizer's "AbEntry.OrderBy"); None: at its top.
    page_into: str | None = None
    # The page's token and size go in the query string instead (NetSuite's SuiteQL: the body
    # is the query, `?limit=&offset=` its page).
    page_in_query: bool = False


@dataclass(frozen=True)
class ChangedSince:
    """How a stream asks for records changed after a time (for delta runs): a query parameter
    whose value is `template` with {iso} (2026-01-15T10:00:00Z), {epoch} or {compact}
    (20260115100000, UTC: 37signals' `since`) filled in, sent to
    `path` when the vendor filters on another endpoint (Insightly's /{Object}/Search), or a
    header; a 304 Not Modified then reads as an empty page."""

    param: str
    template: str = "{iso}"
    path: str | None = None
    header: bool = False  # a request header rather than a parameter (Zoho's If-Modified-Since)

    def params(self, since: datetime) -> dict[str, str]:
        iso = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        compact = since.astimezone(UTC).strftime("%Y%m%d%H%M%S")
        filled = self.template.format(iso=iso, epoch=int(since.timestamp()), compact=compact)
        return {self.param: filled}


@dataclass(frozen=True)
class Lookup:
    """A reference table read once per run and joined into records by key (currency ids to ISO
    codes, price-book entries per product), so that no record needs a request of its own."""

    name: str
    path: str
    key: Getter  # the key of each row
    records: str | None = "data"
    paginator: Paginator | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    many: bool = False  # several rows per key (joined as a list) rather than one
    rows: Rows | None = None  # the rows of a page, instead of the list at `records`
    for_each: ForEach | None = None  # read once per row of another table
    post: PostRead | None = None
    needs: tuple[str, ...] = ()  # the tables `post` reads


@dataclass(frozen=True)
class Derived:
    """A table computed from other tables (stage ids per pipeline from the pipelines and the
    probabilities): `build` gets the tables named in `needs`, read-only."""

    name: str
    needs: tuple[str, ...]
    build: Callable[[RunState], Mapping[str, Any]]


@dataclass(frozen=True)
class Join:
    """Put the `lookup` row(s) whose key is the record's `on` value into the record at `into`."""

    lookup: str
    on: Getter
    into: str


@dataclass(frozen=True)
class ForEach:
    """A stream listed once per row of a lookup (Capsule's milestones under each pipeline): the
    `{placeholders}` in the stream's path and params are filled from the row by `fill`."""

    lookup: str
    fill: Mapping[str, Getter]
    tag: str | None = None  # a lookup read per row keeps the filled values in each row here
    # Rows per request: with more than one, each placeholder gets the values of `batch` rows
    # joined by commas (Pipedrive's `deal_ids=1,2,3`), so a list is read per hundred parents.
    batch: int = 1


@dataclass(frozen=True)
class Detail:
    """A request per record for what its list does not carry: GET `path`, its `{placeholders}`
    filled from the record by `fill`; the answer goes into the record at `into`, made by `read`
    from the whole response (a body that need not be JSON), or else the parsed JSON. A body that
    is not JSON cannot show it was cut short: `complete` may check it against the record (a size
    the list gives), and a body it refuses is asked again, as an unreadable answer is."""

    path: str
    fill: Mapping[str, Getter]
    into: str
    read: Callable[[httpx.Response], Any] | None = None
    complete: Callable[[Raw, httpx.Response], bool] | None = None


@dataclass(frozen=True)
class Stream:
    entity: Entity
    path: str
    fields: Mapping[str, Getter]  # canonical field -> where it sits in the vendor's record
    paginator: Paginator | None = None  # None: one request returns everything
    records: str | None = "data"  # dotted path of the record list; None: the body is the list
    params: Mapping[str, Any] = field(default_factory=dict)
    # Where a record's custom values sit, as {field key: value}; None: in the record itself.
    custom_values: Callable[[Raw], Mapping[str, Any]] | None = None
    changed_since: ChangedSince | None = None
    keep: Callable[[Raw], bool] | None = None  # records of another kind share the list
    explode: Callable[[Raw], Iterable[Raw]] | None = None  # e.g. stages nested in pipelines
    # The vendor's total of the whole list, read from its first page; None: the vendor gives
    # none, and the entity is counted while it is extracted.
    total: Callable[[httpx.Response, Any], int | None] | None = None
    joins: tuple[Join, ...] = ()  # lookups joined into each record before it is mapped
    for_each: ForEach | None = None  # listed under each row of a lookup
    # A query parameter naming the fields a list returns (Zoho and Sugar `fields`, HubSpot
    # `properties`): the entity's custom field keys are added to it, up to `custom_param_max`.
    custom_param: str | None = None
    custom_param_max: int | None = None
    # Where a record's currency is, for money custom fields stored as a bare amount in it.
    record_currency: Getter | None = None
    rows_of: str | None = None  # the records are a table's rows, not a list of their own
    rows: Rows | None = None  # the records of a page, instead of the list at `records`
    needs: tuple[str, ...] = ()  # tables read before the stream, for the hooks below
    # The params at run time, from the declared ones (a query naming the custom fields).
    query: Callable[[dict[str, Any], Run], Mapping[str, Any]] | None = None
    post: PostRead | None = None
    select: Callable[[list[Raw], RunState], list[Raw]] | None = None  # a page's records reworked
    amend: Callable[[Record, Raw, RunState], None] | None = None  # a last touch to each record
    detail: Detail | None = None  # a request per record, before joins and mapping


@dataclass(frozen=True)
class FieldCatalog:
    """Where an entity's field definitions are and how to read one."""

    entity: Entity
    path: str
    key: Getter
    name: Getter
    type: Getter  # the vendor's type name, translated through `types`
    types: Mapping[str, FieldType]
    records: str | None = "data"
    is_custom: Callable[[Raw], bool] = lambda raw: True
    options: Callable[[Raw], list[tuple[str, str]]] | None = None  # [(option id, label)]
    params: Mapping[str, Any] = field(default_factory=dict)
    paginator: Paginator | None = None
    separator: str = ","  # how a multi-choice value is joined when stored as one string
    quote: str = ""
    rows_of: str | None = None  # the definitions are a table's rows (a document read once)


@dataclass(frozen=True)
class FileContent:
    """Where a vendor serves an attached file's bytes, from the file record's `content_ref`
    (what its stream put there: an id, a path)."""

    path: Callable[[str], str]  # the request path under the API root (or an absolute URL)
    # The answer is JSON naming where the bytes are (a signed URL, fetched without the
    # credentials): at this dotted path, or as this function of the answer and the content_ref
    # finds it (one attachment's fresh link among its record's); None: the answer is the bytes.
    link: str | Callable[[Any, str], Any] | None = None
    # The answer is JSON carrying the bytes base64-encoded at this dotted path (the whole file
    # is then in memory once: vendors that serve documents only so).
    base64: str | None = None


@dataclass(frozen=True)
class AccountCheck:
    """A cheap call that proves the credentials and says who we are connected as."""

    path: str
    account: Mapping[str, Getter]
    params: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None  # sent by POST (an API of POSTs only); None: a GET


@dataclass(frozen=True)
class SourceSpec:
    name: str  # the vendor's name, for messages
    streams: tuple[Stream, ...]
    check: AccountCheck
    field_catalogs: tuple[FieldCatalog, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    derived: tuple[Derived, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    error_text: Callable[[httpx.Response], str] = default_error_text
    is_auth_failure: Callable[[httpx.Response], bool] = default_is_auth_failure
    retry_after: Callable[[httpx.Response], float | None] | None = None
    # Seconds until a quota refills when an answer says it is spent (pauses the session).
    budget_spent: Callable[[httpx.Response], float | None] | None = None
    # The stream as `count` reads its first page (trimmed to ids, say); None: as it is.
    counting: Callable[[Stream], Stream] | None = None
    # Bodies in another format than JSON (adapters/core/decoders.py): decoded by the client.
    decode: Callable[[httpx.Response], Any] | None = None
    files: FileContent | None = None  # where attached files' bytes are (Entity.files)
    # How a user connects: the system's id, the credentials it takes (GET /v1/systems), how
    # they become the client's auth, and where the API lives. `api_path` is where the API sits
    # under the host the user gives: with `api_in_root` the client's root ends in it (added
    # when left off), without, the paths carry it and a pasted one is cut off the root.
    id: str = ""
    credentials: tuple[CredentialField, ...] = ()
    auth: AuthStyle | None = None
    default_base_url: str | None = None
    api_path: str = ""
    api_in_root: bool = False

    @property
    def entities(self) -> tuple[Entity, ...]:
        present = {stream.entity for stream in self.streams}
        return tuple(entity for entity in LOAD_ORDER if entity in present)

    def without(self, *entities: Entity) -> SourceSpec:
        """The spec without the streams of `entities` (what a connection's settings leave out)."""
        return dataclasses.replace(
            self, streams=tuple(s for s in self.streams if s.entity not in entities)
        )

    def with_fields(self, extra: Mapping[Entity, Mapping[str, Getter]]) -> SourceSpec:
        """The spec with the fields `extra` names for an entity added to (or replacing those
        of) its streams: a value a connection states, such as the currency no call names."""
        return dataclasses.replace(
            self,
            streams=tuple(
                dataclasses.replace(s, fields={**s.fields, **extra.get(s.entity, {})})
                for s in self.streams
            ),
        )

    def root(self, base_url: str) -> str:
        """The client's root for a base URL the user gave (the host, or the API URL pasted)."""
        if not self.api_path:
            return base_url
        host = base_url.rstrip("/").removesuffix(self.api_path)
        return host + self.api_path if self.api_in_root else host

    def source(
        self,
        credentials: dict[str, str],
        base_url: str,
        transport: httpx.AsyncBaseTransport | None,
    ) -> DeclarativeSource:
        """The source over the shared client; `transport` (the guarded one in the app) carries
        every call, the token exchanges included."""
        url = base_url or self.default_base_url or ""
        auth = self.auth(credentials, url) if self.auth else None
        return DeclarativeSource(self, self.client(self.root(url), auth, transport))

    def client(
        self,
        base_url: str,
        auth: CredentialAuth | None,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Any,
    ) -> ApiClient:
        """The shared client set up for this vendor; `options` go to ApiClient (retry, sleep...)."""
        return ApiClient(
            base_url,
            auth=auth,
            transport=transport,
            system_name=self.name,
            system_id=self.id or None,
            is_auth_failure=self.is_auth_failure,
            error_text=self.error_text,
            headers=self.headers,
            retry_after=self.retry_after,
            budget_spent=self.budget_spent,
            decode=self.decode,
            **options,
        )


def map_record(
    entity: Entity,
    raw: Raw,
    mapping: Mapping[str, Getter],
    custom: Fields,
    custom_values: Mapping[str, Any] | None = None,
) -> Record:
    """The vendor's record in the canonical model. Ids and links become strings."""
    data: dict[str, Any] = {}
    for name, getter in mapping.items():
        value = value_at(raw, getter)
        if name == "source_id" or name.endswith("_source_id"):
            value = None if value in (None, "") else str(value)
        if value is not None:
            data[name] = value
    if custom:
        data["custom_fields"] = canonical_custom_fields(
            dict(custom_values if custom_values is not None else raw), custom
        )
    return parse_record(entity, data)


def read_field(catalog: FieldCatalog, raw: Raw) -> SourceField | None:
    """A definition as a SourceField; None when built in or of a type we cannot carry."""
    kind = catalog.types.get(str(value_at(raw, catalog.type)))
    if kind is None or not catalog.is_custom(raw):
        return None
    options = catalog.options(raw) if catalog.options else []
    key = str(value_at(raw, catalog.key))
    definition = CustomFieldDef(
        entity=catalog.entity,
        key=key,
        name=str(value_at(raw, catalog.name) or key),
        field_type=kind,
        options=[label for _, label in options] if kind in (FieldType.enum, FieldType.set) else [],
    )
    labels = {str(option_id): label for option_id, label in options}
    return SourceField(definition, labels, catalog.separator, catalog.quote)


class DeclarativeSource:
    """Runs a `SourceSpec` against a vendor through the shared client. What is odd about a
    vendor is said in its spec (hooks, lookups, derived tables), never in a subclass."""

    def __init__(self, spec: SourceSpec, client: ApiClient, *, count_records: bool = True) -> None:
        self.spec = spec
        self.client = client
        self.entities = spec.entities
        self.count_records = count_records
        self.skipped_fields: list[str] = []  # "deals: Region (address)": fields we cannot carry
        self._fields: dict[Entity, Fields] | None = None
        self._tables: dict[str, Mapping[str, Any]] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def check(self) -> ConnectionInfo:
        check = self.spec.check
        if check.body is not None:
            body = await self.client.json("POST", check.path, json=dict(check.body))
        else:
            body = await self.client.json("GET", check.path, params=check.params)
        account = {name: value_at(body, g) for name, g in check.account.items()}
        counts: dict[str, int] = {}
        if self.count_records:
            for entity in self.entities:
                counted = await self.count(entity)
                if counted is not None:  # unknown: counted while it is extracted
                    counts[entity.value] = counted
        return ConnectionInfo(account=account, counts=counts)

    async def count(self, entity: Entity) -> int | None:
        """The vendor's own total of the entity, from the first page of each of its streams;
        None (unknown) when any stream has none. Never more than one page a stream, and no
        request at all for an entity whose count is unknown: a count that walked every page
        could spend a small vendor's quota before the migration starts."""
        streams = self._streams(entity)
        if not streams or not all(_has_total(stream) for stream in streams):
            return None
        total = 0
        for stream in streams:
            assert stream.total is not None
            given = None
            async for page in self._walk(self._counting(stream), None):
                given = stream.total(page.response, page.body)
                break  # the first page only
            if given is None:
                return None
            total += given
        return total

    async def custom_fields(self) -> list[CustomFieldDef]:
        fields = await self._all_fields()
        return [f.definition for per_entity in fields.values() for f in per_entity.values()]

    def reads_changes(self, entity: Entity) -> bool:
        """Whether every stream of the entity can be asked for what changed since a time."""
        streams = self._streams(entity)
        return bool(streams) and all(stream.changed_since for stream in streams)

    async def extract(
        self, entity: Entity, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[Page]:
        custom = (await self._all_fields()).get(entity, {})
        streams = self._streams(entity)
        part, token = _split_cursor(cursor)
        for index in range(part, len(streams)):
            stream = streams[index]
            start = token if index == part else None
            state = await self._state(*stream.needs, *(join.lookup for join in stream.joins))
            async for page in self._walk(stream, start, since):
                raws = self._raw_records(stream, page.body, state)
                if stream.detail:
                    raws = [await self._detailed(stream.detail, raw) for raw in raws]
                items = [
                    self._stage(stream, _joined(raw, stream.joins, state), custom, state)
                    for raw in raws
                ]
                if page.next_token is not None:
                    next_cursor: str | None = f"{index}:{page.next_token}"
                elif index + 1 < len(streams):
                    next_cursor = f"{index + 1}:"
                else:
                    next_cursor = None
                yield Page(items=items, next_cursor=next_cursor)

    async def download(self, record: File, sink: Sink) -> int:
        """Write the file's bytes into `sink`, streamed; the number of bytes written."""
        content = self.spec.files
        if content is None:
            raise RecordRejected(f"{self.spec.name} serves no file contents", code="no_content")
        path = content.path(record.content_ref)
        if content.base64 is not None:
            body = await self.client.json("GET", path)
            sink.write(base64.b64decode(value_at(body, content.base64) or ""))
            return int(sink.seek(0, 2))
        if content.link is not None:
            body = await self.client.json("GET", path)
            link = content.link
            url = link(body, record.content_ref) if callable(link) else value_at(body, link)
            if not isinstance(url, str):
                raise UnreadableResponse(f"{self.spec.name}: no download link for {path}")
            return await self.client.download(url, sink, credentials=False)
        return await self.client.download(path, sink)

    # --- internals ------------------------------------------------------------------------

    def _streams(self, entity: Entity) -> list[Stream]:
        return [stream for stream in self.spec.streams if stream.entity is entity]

    def _counting(self, stream: Stream) -> Stream:
        """The stream as `count` reads its first page (a vendor may trim it to ids)."""
        return self.spec.counting(stream) if self.spec.counting else stream

    def _stage(self, stream: Stream, raw: Raw, custom: Fields, state: RunState) -> StagedItem:
        values = stream.custom_values(raw) if stream.custom_values else raw
        if stream.record_currency and custom:
            values = _in_currency(values, custom, value_at(raw, stream.record_currency))
        record = map_record(stream.entity, raw, stream.fields, custom, values)
        if stream.amend:
            stream.amend(record, raw, state)
        return StagedItem(raw=raw, record=record)

    def _raw_records(self, stream: Stream, body: Any, state: RunState) -> list[Raw]:
        where = None if stream.rows_of else stream.records  # a table's rows come as a list
        raws = stream.rows(body) if stream.rows else records_of(body, where)
        if stream.explode:
            raws = [child for raw in raws for child in stream.explode(raw)]
        if stream.keep:
            raws = [raw for raw in raws if stream.keep(raw)]
        return stream.select(raws, state) if stream.select else raws

    async def _walk(
        self, stream: Stream, start: str | None, since: datetime | None = None
    ) -> AsyncIterator[FetchedPage]:
        if stream.rows_of:
            yield await self._table_page(stream.rows_of)
            return
        state = await self._state(*stream.needs)
        params, path, headers = await self._request(stream, state, since)
        post = _post(stream.post, params, state)
        if stream.for_each:
            async for page in self._walk_each(stream, path, params, start, headers):
                yield page
            return
        async for page in self._pages(path, params, stream.paginator, start, headers, post):
            yield page

    async def _request(
        self, stream: Stream, state: RunState, since: datetime | None
    ) -> tuple[dict[str, Any], str, dict[str, str]]:
        """The params, path and headers of a stream's list at run time."""
        params, path = dict(stream.params), stream.path
        headers: dict[str, str] = {}
        changed = stream.changed_since
        if since and changed:
            (headers if changed.header else params).update(changed.params(since))
            path = changed.path or path
        if stream.query:
            custom = (await self._all_fields()).get(stream.entity, {})
            params = dict(stream.query(params, Run(state, custom, since)))
        if stream.custom_param:
            given = params.get(stream.custom_param, "")
            params[stream.custom_param] = await self._named_fields(stream, str(given))
        return params, path, headers

    async def _table_page(self, name: str) -> FetchedPage:
        """A table's rows as one page (a stream that lists what a lookup read)."""
        rows = _rows(await self._table(name))
        return FetchedPage(httpx.Response(200, json=rows), rows, None)

    async def _walk_each(
        self,
        stream: Stream,
        path: str,
        params: dict[str, Any],
        start: str | None,
        headers: dict[str, str],
    ) -> AsyncIterator[FetchedPage]:
        """Each parent row (or batch of rows) in turn; the page token is "<row position>|<token
        in that row>"."""
        each = stream.for_each
        assert each is not None
        rows = _rows(await self._table(each.lookup))
        position, _, token = (start or "0|").partition("|")
        for index in range(int(position), len(rows), each.batch):
            values = _batch_values(each, rows[index : index + each.batch])
            filled = {k: _fill(v, values) for k, v in params.items()}
            pages = self._pages(
                _fill(path, values), filled, stream.paginator, token or None, headers
            )
            after = index + each.batch
            async for page in pages:
                if page.next_token is not None:
                    next_token: str | None = f"{index}|{page.next_token}"
                else:
                    next_token = f"{after}|" if after < len(rows) else None
                yield FetchedPage(page.response, page.body, next_token)
            token = ""

    async def _pages(
        self,
        path: str,
        params: dict[str, Any],
        paginator: Paginator | None,
        start: str | None,
        headers: dict[str, str] | None = None,
        post: _Post | None = None,
    ) -> AsyncIterator[FetchedPage]:
        if paginator is None:
            response = await self._get(path, params, PageRequest(), headers, post)
            yield FetchedPage(response, page_body(response), None)
            return

        async def fetch(request: PageRequest) -> httpx.Response:
            return await self._get(path, params, request, headers, post)

        async for page in paginator.walk(fetch, start):
            yield page

    async def _get(
        self,
        path: str,
        params: dict[str, Any],
        request: PageRequest,
        headers: dict[str, str] | None = None,
        post: _Post | None = None,
    ) -> httpx.Response:
        if post is not None:  # a read by POST: the page (token, size) joins the body
            return await self._post(path, post, request, headers)
        # A next-page URL already carries the query; otherwise the page params join the stream's.
        if request.url:
            query, where = request.params or None, self.client.on_site(request.url)
        else:
            query, where = {**params, **request.params}, path
        response = await self.client.request(
            "GET", where, params=query, headers=headers or None, expect_json=True
        )
        if response.status_code in (204, 304):  # an empty list (Zoho), nothing changed since
            return httpx.Response(200, json={}, request=response.request)
        if response.is_error:
            raise self.client.unexpected(response, "GET", where)
        return response

    async def _detailed(self, detail: Detail, raw: Raw) -> Raw:
        """The record with its `Detail` at `into`: one GET, whatever its body (with `read`)."""
        path = _fill(detail.path, {name: value_at(raw, g) for name, g in detail.fill.items()})
        check = detail.complete
        response = await self.client.request(
            "GET",
            path,
            expect_json=detail.read is None,
            complete=(lambda answer: check(raw, answer)) if check else None,
        )
        if response.is_error:
            raise self.client.unexpected(response, "GET", path)
        return {**raw, detail.into: detail.read(response) if detail.read else page_body(response)}

    async def _post(
        self, path: str, post: _Post, request: PageRequest, headers: dict[str, str] | None
    ) -> httpx.Response:
        query = request.params if post.page_in_query else None
        body = post.body if post.page_in_query else post.with_page(request.params)
        response = await self.client.request(
            "POST",
            path,
            params=query,
            json=body,
            headers=headers or None,
            repeatable=post.repeatable,
        )
        if response.is_error:
            raise self.client.unexpected(response, "POST", path)
        return response

    async def _named_fields(self, stream: Stream, given: str) -> str:
        names = [name for name in given.split(",") if name]
        custom = (await self._all_fields()).get(stream.entity, {})
        names = list(dict.fromkeys([*names, *custom]))
        cap = stream.custom_param_max
        if cap is not None and len(names) > cap:
            # Fields the list cannot name are not carried at all (no empty field in the target).
            for key in names[cap:]:
                if key in custom:
                    name = custom.pop(key).definition.name
                    note = f"{stream.entity.value}: {name} (over the {cap} fields a list can name)"
                    self.skipped_fields.append(note)
            names = names[:cap]
        return ",".join(names)

    async def _state(self, *names: str) -> RunState:
        """The named tables, read-only, each read (or derived) once per run."""
        return MappingProxyType({name: await self._table(name) for name in names})

    async def _table(self, name: str) -> Mapping[str, Any]:
        if name not in self._tables:
            derived = next((item for item in self.spec.derived if item.name == name), None)
            if derived is not None:
                built = derived.build(await self._state(*derived.needs))
                self._tables[name] = MappingProxyType(dict(built))
            else:
                lookup = next(item for item in self.spec.lookups if item.name == name)
                self._tables[name] = MappingProxyType(await self._read_lookup(lookup))
        return self._tables[name]

    async def _read_lookup(self, lookup: Lookup) -> dict[str, Any]:
        table: dict[str, Any] = {}
        async for row in self._lookup_rows(lookup):
            key = str(value_at(row, lookup.key))
            if lookup.many:
                table.setdefault(key, []).append(row)
            else:
                table[key] = row
        return table

    async def _lookup_rows(self, lookup: Lookup) -> AsyncIterator[Raw]:
        """A lookup's rows: from its list, or from its list under each row of another table."""
        each = lookup.for_each
        parents = _rows(await self._table(each.lookup)) if each else [{}]
        state = await self._state(*lookup.needs)
        for parent in parents:
            values = _values(each, parent) if each else {}
            params = {k: _fill(v, values) for k, v in lookup.params.items()}
            path = _fill(lookup.path, values)
            post = _post(lookup.post, params, state)  # a POST body per parent, from its params
            async for page in self._pages(path, params, lookup.paginator, None, None, post):
                rows = (
                    lookup.rows(page.body) if lookup.rows else records_of(page.body, lookup.records)
                )
                for row in rows:
                    yield {**row, each.tag: values} if each and each.tag else row

    async def _all_fields(self) -> dict[Entity, Fields]:
        if self._fields is None:
            self._fields = {}
            for catalog in self.spec.field_catalogs:
                self._fields.setdefault(catalog.entity, {}).update(
                    await self._read_catalog(catalog)
                )
        return self._fields

    async def _read_catalog(self, catalog: FieldCatalog) -> Fields:
        fields: Fields = {}
        async for raw in self._definitions(catalog):
            found = read_field(catalog, raw)
            if found:
                fields[found.definition.key] = found
            elif catalog.is_custom(raw):
                kind = value_at(raw, catalog.type)
                self.skipped_fields.append(
                    f"{catalog.entity.value}: {value_at(raw, catalog.name)} ({kind})"
                )
        return fields

    async def _definitions(self, catalog: FieldCatalog) -> AsyncIterator[Raw]:
        if catalog.rows_of:
            for raw in _rows(await self._table(catalog.rows_of)):
                yield raw
            return
        async for page in self._pages(catalog.path, dict(catalog.params), catalog.paginator, None):
            for raw in records_of(page.body, catalog.records):
                yield raw


@dataclass(frozen=True)
class _Post:
    body: dict[str, Any]
    repeatable: bool
    page_into: str | None = None
    page_in_query: bool = False

    def with_page(self, page: Mapping[str, Any]) -> dict[str, Any]:
        return _merged(self.body, self.page_into.split(".") if self.page_into else [], page)


def _merged(body: dict[str, Any], path: list[str], page: Mapping[str, Any]) -> dict[str, Any]:
    """`body` with `page` merged into the object at `path` (made where absent), copied."""
    if not path:
        return {**body, **page}
    inner = body.get(path[0])
    return {**body, path[0]: _merged(inner if isinstance(inner, dict) else {}, path[1:], page)}


def _post(post: PostRead | None, params: Mapping[str, Any], state: RunState) -> _Post | None:
    if post is None:
        return None
    return _Post(post.build(params, state), post.repeatable, post.page_into, post.page_in_query)


def _values(each: ForEach, row: Raw) -> dict[str, Any]:
    return {name: value_at(row, getter) for name, getter in each.fill.items()}


def _batch_values(each: ForEach, rows: list[Raw]) -> dict[str, Any]:
    if each.batch == 1:
        return _values(each, rows[0])
    values = [_values(each, row) for row in rows]
    return {name: ",".join(str(v[name]) for v in values) for name in each.fill}


def _has_total(stream: Stream) -> bool:
    """Whether the vendor's total of the stream's list is the number of records it yields:
    not when records are dropped (`keep`), split (`explode`) or listed per parent row."""
    return stream.total is not None and not (stream.keep or stream.explode or stream.for_each)


def _in_currency(values: Mapping[str, Any], custom: Fields, currency: Any) -> dict[str, Any]:
    """Money custom values stored as a bare amount, paired with the record's currency."""
    out = dict(values)
    for key, field_ in custom.items():
        if field_.definition.field_type is FieldType.monetary and _is_amount(out.get(key)):
            out[key] = {"value": out[key], "currency": currency}
    return out


def _is_amount(value: Any) -> bool:
    return isinstance(value, int | float | str) and not isinstance(value, bool) and value != ""


def _fill(template: Any, values: dict[str, Any]) -> Any:
    """`{name}` placeholders replaced; other braces (JSON in a query) left as they are."""
    if not isinstance(template, str):
        return template
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def _rows(table: Mapping[str, Any]) -> list[Raw]:
    """A lookup's rows in the order the vendor listed them."""
    rows: list[Raw] = []
    for value in table.values():
        rows += value if isinstance(value, list) else [value]
    return rows


def _joined(raw: Raw, joins: tuple[Join, ...], tables: RunState) -> Raw:
    if not joins:
        return raw
    joined = dict(raw)
    for join in joins:
        key = value_at(raw, join.on)
        joined[join.into] = None if key is None else tables[join.lookup].get(str(key))
    return joined


def _split_cursor(cursor: str | None) -> tuple[int, str | None]:
    if not cursor:
        return 0, None
    part, _, token = cursor.partition(":")
    return int(part), token or None
