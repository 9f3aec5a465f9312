"""Zoho CRM (API v8) as a source, described for the shared declarative engine.

Vendor facts the description relies on (where they come from: see the emulator's docstring):
- `https://www.zohoapis.{com|eu|in|com.au|jp|ca}/crm/v8/`, `Authorization: Zoho-oauthtoken ...`;
  OAuth2 only: the refresh grant at the data centre's accounts server `/oauth/v2/token`.
- Record lists need `fields` (at most 50 API names); pages of `per_page` <= 200 walked with
  `page_token` from `info.next_page_token` (the only way past 2,000 records). An empty list is a
  204. Ids are 19-digit strings; lookups are `{"name", "id"}`.
- Users: `/users?type=AllUsers` (`users[]`, status active / disabled / deleted).
- Custom fields: `/settings/fields?module=` (`fields[]`, `custom_field`, `api_name`,
  `field_label`, `data_type`, `pick_list_values[{display_value, actual_value}]`). Picklists hold
  the actual value, multi-select picklists a JSON array of them; currency fields an amount in the
  record's `Currency`.
- Pipelines: `/settings/pipeline?layout_id=` for each Deals layout (`/settings/layouts`); a
  pipeline's `maps` are its stages, with `forecast_type` Open / Closed Won / Closed Lost. A deal
  names its stage by value (`Stage`) and its pipeline by lookup; its status *is* its stage. The
  stage probabilities sit on the Deals `Stage` field's picklist values.
- Activities are three modules: Tasks (Due_Date, Status), Events (Start/End_DateTime, All_day,
  no completion), Calls (Call_Start_Time, Call_Duration_in_seconds, Outgoing_Call_Status); each
  has What_Id (+ `$se_module`) and Who_Id. Record ids are unique across modules, so activity ids
  need no prefix. Notes have one Parent_Id with its module.
- Changed since is the `If-Modified-Since` header; a 304 means nothing changed.

What the engine does not do is here as a small subclass: the pipeline walk over layouts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource, Stream
from adapters.core.http import ApiClient
from adapters.core.mapping import Raw
from adapters.core.paginators import FetchedPage
from adapters.zoho.spec import CLOSED, PAGE_SIZE, PIPELINES, Pipelines, zoho_spec


class ZohoSource(DeclarativeSource):
    """The spec plus what the engine cannot say: pipelines per Deals layout (with stage
    probabilities from the Stage field)."""

    def __init__(
        self, client: ApiClient, *, count_records: bool = True, page_size: int = PAGE_SIZE
    ) -> None:
        self.pipelines = Pipelines()
        spec = zoho_spec(self.pipelines, page_size)
        super().__init__(spec, client, count_records=count_records)

    async def _walk(
        self, stream: Stream, start: str | None, since: datetime | None = None
    ) -> AsyncIterator[FetchedPage]:
        if stream.path == PIPELINES:
            async for page in self._pipeline_pages():
                yield page
            return
        if stream.entity is Entity.deals:
            await self._load_pipelines()
        async for page in super()._walk(stream, start, since):
            yield page

    async def _pipeline_pages(self) -> AsyncIterator[FetchedPage]:
        probabilities = await self._stage_probabilities()
        for layout in await self._deal_layouts():
            params = {"layout_id": layout}
            async for page in self._pages(PIPELINES, params, None, None):
                for pipeline in (page.body or {}).get("pipeline") or []:
                    self._note_pipeline(pipeline, probabilities)
                yield page
        self.pipelines.loaded = True

    def _note_pipeline(self, pipeline: Raw, probabilities: dict[str, int]) -> None:
        """Annotate each stage with its own id (pipeline-scoped: stage values are shared between
        pipelines), its pipeline and its probability; remember what deals need."""
        pipeline_id = str(pipeline.get("id"))
        maps = pipeline.get("maps") or []
        for stage in sorted(maps, key=lambda stage: stage.get("sequence_number") or 0):
            value = str(stage.get("actual_value") or stage.get("display_value"))
            key = (pipeline_id, value)
            self.pipelines.kinds[key] = str(stage.get("forecast_type") or "Open")
            if self.pipelines.kinds[key] in CLOSED:
                continue  # won and lost are deal states in Pipedrive, not stages
            stage["_stage_id"] = f"{pipeline_id}:{stage.get('id')}"
            stage["_pipeline_id"] = pipeline_id
            stage["_probability"] = probabilities.get(value)
            self.pipelines.stage_ids[key] = stage["_stage_id"]
            self.pipelines.first_stage.setdefault(pipeline_id, stage["_stage_id"])

    async def _load_pipelines(self) -> None:
        if not self.pipelines.loaded:
            async for _ in self._pipeline_pages():
                pass

    async def _deal_layouts(self) -> list[str]:
        ids: list[str] = []
        async for page in self._pages("/settings/layouts", {"module": "Deals"}, None, None):
            ids += [
                str(row["id"]) for row in (page.body or {}).get("layouts") or [] if row.get("id")
            ]
        return ids

    async def _stage_probabilities(self) -> dict[str, int]:
        out: dict[str, int] = {}
        async for page in self._pages("/settings/fields", {"module": "Deals"}, None, None):
            for row in (page.body or {}).get("fields") or []:
                if row.get("api_name") == "Stage":
                    for option in row.get("pick_list_values") or []:
                        if isinstance(option.get("probability"), int):
                            out[str(option.get("actual_value"))] = option["probability"]
        return out
