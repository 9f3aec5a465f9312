"""Lists read by a query POSTed to one endpoint (NetSuite's SuiteQL: `POST .../suiteql?limit=
&offset=`, body `{"q": "SELECT ..."}`), for the shared engine: `QueryApi` makes the `Stream`s
and `Lookup`s of such a vendor from their queries.

Each page's rows are at `items`, how many it holds at `count`, whether more follow at
`hasMore`, the whole list's size at `totalResults` (the names are the vendor's, given). A page
whose rows disagree with its count is refused: read short, it could end the list early. A delta
read adds `column > TO_TIMESTAMP(...)` to the query (`sql_subset.changed_after`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.core.canonical import Entity
from adapters.core.declarative import ChangedSince, Lookup, PostRead, RunState, Stream
from adapters.core.errors import UnreadableResponse
from adapters.core.mapping import Getter, Raw
from adapters.core.paginators import OffsetPaginator
from adapters.core.sql_subset import changed_after

Query = str | Callable[[Mapping[str, Any]], str]  # the query, or made from a lookup's params


@dataclass(frozen=True)
class QueryApi:
    vendor: str  # for messages
    path: str
    limit: int = 1000
    body_key: str = "q"
    items: str = "items"
    count: str = "count"
    more: str = "hasMore"
    total_at: str = "totalResults"
    changed: str = "lastmodifieddate"  # the column a delta read filters on, and its format
    form: str = "YYYY-MM-DD HH24:MI:SS"

    @property
    def pages(self) -> OffsetPaginator:
        return OffsetPaginator(
            start_param="offset",
            limit=self.limit,
            more_path=self.more,
            next_start_path=None,
            records_path=self.items,
        )

    def rows(self, body: Any) -> list[Raw]:
        """A page's rows; a body that is not such a page, or short of its count, is refused."""
        found = body.get(self.items) if isinstance(body, dict) else None
        if not isinstance(found, list) or not isinstance(body.get(self.more), bool):
            raise UnreadableResponse(f"{self.vendor}: an answer is not a page of query rows")
        if body.get(self.count) != len(found):
            raise UnreadableResponse(
                f"{self.vendor}: a page holds {len(found)} of its {body.get(self.count)} rows"
            )
        return [row for row in found if isinstance(row, dict)]

    def total(self, response: httpx.Response, body: Any) -> int | None:
        value = body.get(self.total_at) if isinstance(body, dict) else None
        return value if isinstance(value, int) else None

    def read(self, query: Query, *, delta: bool = True) -> PostRead:
        """The POST of `query`; a delta run (param `since`) asks for rows changed after it."""

        def build(params: Mapping[str, Any], state: RunState) -> dict[str, Any]:
            text = query(params) if callable(query) else query
            since = params.get("since") if delta else None
            if since:
                text = changed_after(text, self.changed, str(since), self.form)
            return {self.body_key: text}

        return PostRead(build, page_in_query=True)

    def stream(
        self,
        entity: Entity,
        query: str,
        fields: Mapping[str, Getter],
        *,
        delta: bool = True,
        **extra: Any,
    ) -> Stream:
        """The entity listed by `query`, counted by the vendor's total; `extra` for Stream."""
        return Stream(
            entity,
            self.path,
            fields,
            paginator=self.pages,
            records=None,
            rows=self.rows,
            post=self.read(query, delta=delta),
            changed_since=ChangedSince("since") if delta else None,
            total=self.total,
            **extra,
        )

    def lookup(self, name: str, query: Query, key: Getter, **extra: Any) -> Lookup:
        """A table read once per run by `query`; `extra` for Lookup (many, for_each...)."""
        post = self.read(query, delta=False)
        return Lookup(name, self.path, key, None, self.pages, rows=self.rows, post=post, **extra)
