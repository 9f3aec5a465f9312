"""The declarative engine plus what SOQL needs at run time (see source.py for the facts)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from adapters.core.canonical import ContactPoint, Entity, Person
from adapters.core.declarative import (
    DeclarativeSource,
    FieldCatalog,
    Fields,
    SourceSpec,
    Stream,
    read_field,
    records_of,
)
from adapters.core.mapping import Raw
from adapters.core.paginators import FetchedPage
from adapters.core.protocols import StagedItem
from adapters.salesforce.getters import MASTER_PIPELINE
from adapters.salesforce.source import API, SALES_PROCESSES, SPEC, SoqlStream


def email_label(field_label: str) -> str:
    lowered = field_label.lower()
    return next((label for label in ("home", "work") if label in lowered), "other")


class SalesforceSource(DeclarativeSource):
    """The spec, plus what SOQL needs at run time: custom fields named in each SELECT, extra
    e-mail fields on Contact, and the stages of each process (or of the master picklist)."""

    def __init__(self, client: Any, *, count_records: bool = True, spec: SourceSpec = SPEC) -> None:
        super().__init__(spec, client, count_records=count_records)
        self.email_fields: list[tuple[str, str]] = []  # (API name, e-mail label)
        self._processes: dict[str, list[str]] | None = None  # stage value -> process ids
        self._master_picklist = False  # no sales process: one pipeline of the org's stages

    async def _walk(
        self, stream: Stream, start: str | None, since: datetime | None = None
    ) -> AsyncIterator[FetchedPage]:
        if not isinstance(stream, SoqlStream) or stream.soql is None:
            async for page in super()._walk(stream, start, since):
                yield page
            return
        if stream.entity is Entity.stages or stream.without_processes:
            await self._load_processes()
        extra = await self._extra_fields(stream.entity)
        iso = since.strftime("%Y-%m-%dT%H:%M:%SZ") if since and stream.changed_since else None
        params = {"q": stream.soql.text(extra, iso)}
        async for page in self._pages(stream.path, params, stream.paginator, start):
            yield page

    async def _extra_fields(self, entity: Entity) -> tuple[str, ...]:
        custom = tuple((await self._all_fields()).get(entity, {}))
        emails = tuple(name for name, _ in self.email_fields) if entity is Entity.persons else ()
        return custom + emails

    def _raw_records(self, stream: Stream, body: Any) -> list[Raw]:
        raws = super()._raw_records(stream, body)
        if isinstance(stream, SoqlStream) and stream.without_processes:
            return raws if self._master_picklist else []
        if stream.entity is not Entity.stages:
            return raws
        if self._master_picklist:
            return [{**raw, "_process": MASTER_PIPELINE} for raw in raws]
        processes = self._processes or {}
        return [
            {**raw, "_process": process}
            for raw in raws
            for process in processes.get(str(raw.get("ApiName")), [])
        ]

    def _stage(self, stream: Stream, raw: Raw, custom: Fields) -> StagedItem:
        item = super()._stage(stream, raw, custom)
        if isinstance(item.record, Person):
            self._add_emails(item.record, raw)
        return item

    def _add_emails(self, person: Person, raw: Raw) -> None:
        for name, label in self.email_fields:
            if raw.get(name):
                person.emails.append(ContactPoint(value=str(raw[name]), label=label))
        if person.emails and not any(e.primary for e in person.emails):
            person.emails[0].primary = True

    async def _read_catalog(self, catalog: FieldCatalog) -> Fields:
        if catalog.entity is not Entity.persons:
            return await super()._read_catalog(catalog)
        body = await self.client.json("GET", catalog.path)
        fields: Fields = {}
        for raw in records_of(body, catalog.records):
            if raw.get("custom") and raw.get("type") == "email":
                self.email_fields.append((raw["name"], email_label(str(raw.get("label")))))
                continue
            found = read_field(catalog, raw)
            if found:
                fields[found.definition.key] = found
            elif raw.get("custom"):
                self.skipped_fields.append(f"persons: {raw.get('label')} ({raw.get('type')})")
        return fields

    async def _load_processes(self) -> None:
        """Which process offers which stage: one record type per process is asked. None at all
        leaves `_processes` empty: the org uses the master picklist."""
        if self._processes is not None:
            return
        record_types = (await self._table(SALES_PROCESSES.name)).get("Opportunity", [])
        first_type: dict[str, str] = {}
        for row in record_types:
            first_type.setdefault(row["BusinessProcessId"], row["Id"])
        self._master_picklist = not first_type
        self._processes = {}
        for process, record_type in first_type.items():
            path = f"{API}/ui-api/object-info/Opportunity/picklist-values/{record_type}/StageName"
            values = await self.client.json("GET", path)
            for value in records_of(values, "values"):
                self._processes.setdefault(str(value.get("value")), []).append(process)
