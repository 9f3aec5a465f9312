"""SugarCRM (REST API v11) as a source, described for the shared declarative engine.

Vendor facts the description relies on (sources: see the emulator's docstring):
- Base `https://{instance}/rest/v11/`; a username/password login at `oauth2/token` (JSON,
  client_id "sugar", platform) gives a token sent as `OAuth-Token`; it expires after an hour.
- Lists `GET /{Module}?max_num=&offset=&fields=` answer `{"next_offset", "records"}`, with
  next_offset -1 at the end. `fields` may name a link as a JSON object
  (`{"name":"contacts","fields":["id"]}`): the related ids come inside each record, so the
  contacts of every opportunity or call arrive with the page, without a call per record.
  Changed since: `filter[0][date_modified][$gt]=<ISO time>`.
- Users (`status` Active/Inactive), Accounts, Contacts (`email` list with `primary_address`,
  fixed phone fields), Opportunities (`amount` in `currency_id`, `sales_stage`, `date_closed`),
  ProductTemplates (the catalogue: `discount_price` is the unit price), Calls and Meetings
  (`date_start`, `duration_hours`/`_minutes`, status Held/Planned), Tasks (`date_due`,
  status Completed...), Notes (`description`); ids are UUIDs, unique across modules, so
  activity ids need no prefix. Relations: `account_id`, `assigned_user_id`, `parent_type` +
  `parent_id`, `contact_id`.
- Currencies: `/Currencies` rows `{id, iso4217}`; the system currency has id "-99".
- `/metadata?type_filter=modules,app_list_strings`: field definitions per module (Studio fields
  end in `_c`, `source: "custom_fields"`, label in `labelValue`) and dropdown lists. Sales stages
  are the one `sales_stage_dom` list; "Closed Won"/"Closed Lost" are closed stages, not stages
  of a pipeline. Multi-selects are stored as `^a^,^b^`; currency fields are amounts in the
  record's `currency_id`.
- Errors `{"error", "error_message"}`.

What the engine cannot say is in `SugarSource`: the metadata document read once and reshaped
into the lists the pipeline, stage and field-catalog streams read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx

from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource, Stream
from adapters.core.http import ApiClient
from adapters.core.paginators import FetchedPage, PageRequest, Paginator
from adapters.sugarcrm.naming import (
    CLOSED_LOST,
    CLOSED_WON,
    MODULES,
    PIPELINE_ID,
    PIPELINE_NAME,
    PROBABILITY_LIST,
    STAGE_LIST,
)
from adapters.sugarcrm.spec import API, METADATA, PAGE_SIZE, SPEC, SalesStages, sugar_spec

__all__ = ["API", "PAGE_SIZE", "SPEC", "SugarSource"]


class SugarSource(DeclarativeSource):
    """The spec plus the metadata document, read once and reshaped into lists."""

    def __init__(
        self, client: ApiClient, *, count_records: bool = True, page_size: int = PAGE_SIZE
    ) -> None:
        self.stages = SalesStages()
        super().__init__(sugar_spec(self.stages, page_size), client, count_records=count_records)
        self._metadata: tuple[httpx.Response, dict[str, Any]] | None = None

    async def _walk(
        self, stream: Stream, start: str | None, since: datetime | None = None
    ) -> AsyncIterator[FetchedPage]:
        if stream.entity is Entity.deals and not self.stages.loaded:
            await self._meta()
        async for page in super()._walk(stream, start, since):
            yield page

    async def _pages(
        self,
        path: str,
        params: dict[str, Any],
        paginator: Paginator | None,
        start: str | None,
        headers: dict[str, str] | None = None,
    ) -> AsyncIterator[FetchedPage]:
        if path == METADATA:
            response, body = await self._meta()
            yield FetchedPage(response, body, None)
            return
        async for page in super()._pages(path, params, paginator, start, headers):
            yield page

    async def _meta(self) -> tuple[httpx.Response, dict[str, Any]]:
        if self._metadata is None:
            params = {"type_filter": "modules,app_list_strings",
                      "module_filter": ",".join(MODULES.values())}  # fmt: skip
            response = await self._get(METADATA, params, PageRequest())
            self._metadata = (response, self._reshape(response.json()))
        return self._metadata

    def _reshape(self, body: dict[str, Any]) -> dict[str, Any]:
        """Dropdowns and per-module field maps as the lists the spec's streams read."""
        lists = body.get("app_list_strings") or {}
        probabilities = lists.get(PROBABILITY_LIST) or {}
        open_stages = [
            (key, label)
            for key, label in (lists.get(STAGE_LIST) or {}).items()
            if key and key not in (CLOSED_WON, CLOSED_LOST)
        ]
        self.stages.first_open = open_stages[0][0] if open_stages else None
        self.stages.loaded = True
        out: dict[str, Any] = {
            "pipelines": [{"id": PIPELINE_ID, "name": PIPELINE_NAME}],
            "stages": [
                {"key": key, "label": label, "order": n, "probability": probabilities.get(key)}
                for n, (key, label) in enumerate(open_stages, start=1)
            ],
        }
        for module, meta in (body.get("modules") or {}).items():
            definitions = (meta or {}).get("fields") or {}
            out[f"fields:{module}"] = [
                {
                    **d,
                    "_options": [
                        (k, v) for k, v in (lists.get(d.get("options")) or {}).items() if k
                    ],
                }
                for d in definitions.values()
                if isinstance(d, dict)
            ]
        return out
