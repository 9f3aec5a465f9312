"""A CSV export as a source: one file per entity, read row by row from where the upload is kept
(an `UploadStore`: the database, so that any worker reads it), each row mapped to its canonical
record by what its columns mean (adapters/files/layout.py) and built by its entity's builder
(adapters/files/records.py). This module reads the upload, resolves links and keeps the indexes
they are resolved by.

Records keep the export's ids where it has an id column, else `<file>#<row>`: the same upload
read again gives the same ids, so a resume or a second session creates nothing twice. Links go
by the linked record's id, or when the export has no ids by its name or e-mail. What the export
names but has no file for (the owners of its records, a contact's company, its deals' stages and
pipelines) is made from the names its rows give. A row that is not a record (a value that is no
number, no title) is a problem of its page, named by file and line, never dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from adapters.core.canonical import (
    CUSTOM_FIELD_ENTITIES,
    ContactPoint,
    CustomFieldDef,
    Entity,
    FieldType,
    File,
    Organization,
    Person,
    Pipeline,
    Record,
    Stage,
    User,
)
from adapters.core.errors import AdapterError
from adapters.core.http import Sink
from adapters.core.protocols import ConnectionInfo, Page, RecordProblem, StagedItem
from adapters.files import records, values
from adapters.files.layout import (
    DEFINITIONS,
    FIELDS,
    LINKS,
    MANY,
    Described,
    ExportLayout,
    column_field,
)
from adapters.files.records import BadRow, DealStage, RowParts, RowValues

PAGE = 500
FIRST_STAGE = "Open"  # the stage of a pipeline made for deals that name none
UNREADABLE = "row_unreadable"
KINDS = {"number": FieldType.double, "date": FieldType.date}
VARCHAR_MAX = 255
# Entities made from the names rows give when the export has no file of them.
DERIVABLE = (Entity.users, Entity.organizations, Entity.persons)


@dataclass
class StoredFile:
    id: int
    name: str
    entity: str  # an Entity, or DEFINITIONS
    rows: int
    columns: list[dict[str, Any]]  # {"name", "kind", "max_length"}


@dataclass
class StoredRow:
    row: int
    line: int
    cells: list[str]


class UploadStore(Protocol):
    async def account(self) -> dict[str, Any]:
        """What the connection check says the export is of (its `account_id` keys the ledger)."""
        ...

    async def files(self) -> list[StoredFile]: ...

    async def rows(self, file_id: int, after: int, limit: int) -> list[StoredRow]:
        """The file's rows after row `after`, in order, at most `limit`."""
        ...


def _as_dict(file: StoredFile, row: StoredRow) -> dict[str, str]:
    return {
        c["name"]: (row.cells[i] if i < len(row.cells) else "") for i, c in enumerate(file.columns)
    }


@dataclass
class _Plan:
    """What each column of one file fills: a field, a custom field (its column name), or
    nothing."""

    fields: dict[int, str] = field(default_factory=dict)
    custom: dict[int, str] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)


def _key(value: str) -> str:
    return " ".join(value.split()).casefold()


class FileSource:
    def __init__(
        self,
        store: UploadStore,
        layout: ExportLayout,
        *,
        columns: dict[str, dict[str, str | None]] | None = None,
    ) -> None:
        self.store = store
        self.layout = layout
        self.overrides = {Entity(e): dict(m) for e, m in (columns or {}).items()}
        self.skipped_fields: list[str] = []
        self._files: dict[Entity, list[StoredFile]] | None = None
        self._definitions: list[StoredFile] = []
        self._described: Described | None = None
        self._plans: dict[int, _Plan] = {}
        self._indexes: dict[Entity, dict[str, str]] = {}
        self.entities: tuple[Entity, ...] = ()

    # -- what the upload holds -------------------------------------------------------------

    async def files(self) -> dict[Entity, list[StoredFile]]:
        if self._files is None:
            files: dict[Entity, list[StoredFile]] = {}
            for stored in await self.store.files():
                if stored.entity == DEFINITIONS:
                    self._definitions.append(stored)
                else:
                    files.setdefault(Entity(stored.entity), []).append(stored)
            self._files = files
            self.entities = self.offered(files)
            if self._definitions and self.layout.describe is not None:
                rows = {
                    f.name: [_as_dict(f, r) async for r in self._rows(f)] for f in self._definitions
                }
                self._described = self.layout.describe(rows)
        return self._files

    @property
    def described(self) -> Described:
        return self._described or Described()

    def offered(self, files: dict[Entity, list[StoredFile]]) -> tuple[Entity, ...]:
        have = set(files) | {Entity.users}
        for stored in (f for group in files.values() for f in group):
            linked = set(self.plan(stored).fields.values()) | set(self._named_links(stored))
            have |= {LINKS[f] for f in linked if f in LINKS}
        if have & {Entity.stages, Entity.pipelines, Entity.deals}:  # a deal needs a pipeline
            have |= {Entity.stages, Entity.pipelines}
        return tuple(e for e in Entity if e in have)

    def _named_links(self, file: StoredFile) -> dict[str, str]:
        """Links the file's name gives every row of it (a list file's pipeline)."""
        found = self.layout.pattern_of(file.name)
        return {k: v for k, v in (found[1] if found else {}).items() if k in LINKS}

    def plan(self, file: StoredFile) -> _Plan:
        if file.id in self._plans:
            return self._plans[file.id]
        entity = Entity(file.entity)
        plan = _Plan()
        taken: set[str] = set()
        overrides = self.overrides.get(entity, {})
        for index, column in enumerate(file.columns):
            name = column["name"]
            meaning = (
                overrides[name] if name in overrides else column_field(entity, name, self.layout)
            )
            if meaning is None:
                continue  # not carried, as the layout or the session says
            if isinstance(meaning, str) and (meaning in MANY or meaning not in taken):
                plan.fields[index] = meaning
                taken.add(meaning)
            elif entity in CUSTOM_FIELD_ENTITIES:
                plan.custom[index] = name
                plan.kinds[index] = self._kind(entity, column)
            else:
                self.skipped_fields.append(f"{entity.value}: column {name} of {file.name}")
        self._plans[file.id] = plan
        return plan

    def _kind(self, entity: Entity, column: dict[str, Any]) -> str:
        kind = str(column.get("kind") or "text")
        if kind == "text" and int(column.get("max_length") or 0) > VARCHAR_MAX:
            return "long"
        return kind

    async def check(self) -> ConnectionInfo:
        files = await self.files()
        counts = {e.value: sum(f.rows for f in group) for e, group in files.items()}
        return ConnectionInfo(account=await self.store.account(), counts=counts)

    async def custom_fields(self) -> list[CustomFieldDef]:
        found: dict[tuple[Entity, str], CustomFieldDef] = {}
        for entity, group in (await self.files()).items():
            for stored in group:
                plan = self.plan(stored)
                for index, name in plan.custom.items():
                    field_type, options = self._field_type(entity, name, plan.kinds[index])
                    known = found.get((entity, name))
                    if known is not None and known.field_type != field_type:
                        field_type, options = FieldType.text, []  # files that disagree
                    found[(entity, name)] = CustomFieldDef(
                        entity=entity, key=name, name=name, field_type=field_type, options=options
                    )
        return list(found.values())

    def _field_type(self, entity: Entity, name: str, kind: str) -> tuple[FieldType, list[str]]:
        described = self.described.fields.get((entity, name))
        if described is not None:
            return described[0], list(described[1])
        return KINDS.get(kind, FieldType.text if kind == "long" else FieldType.varchar), []

    def reads_changes(self, entity: Entity) -> bool:
        return False

    async def download(self, record: File, sink: Sink) -> int:
        raise AdapterError("A CSV export holds no file contents.", code="no_content")

    async def aclose(self) -> None:
        return None

    # -- reading ---------------------------------------------------------------------------

    async def extract(
        self, entity: Entity, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[Page]:
        files = await self.files()
        if entity in files:
            first, _, after = (cursor or "0:0").partition(":")
            group = files[entity]
            for position in range(int(first), len(group)):
                start = int(after or 0) if position == int(first) else 0
                last = position == len(group) - 1
                async for page in self._read_file(group[position], start):
                    if page.next_cursor:  # more of this file
                        page.next_cursor = f"{position}:{page.next_cursor}"
                    elif not last:  # the next file
                        page.next_cursor = f"{position + 1}:0"
                    yield page
            return
        if entity not in self.entities:
            return
        records = await self._derived(entity)
        start = int(cursor or 0)
        for offset in range(start, max(len(records), 1), PAGE):
            chunk = records[offset : offset + PAGE]
            more = offset + PAGE < len(records)
            items = [
                StagedItem(raw={"derived": r.model_dump(mode="json")}, record=r) for r in chunk
            ]
            yield Page(items, str(offset + PAGE) if more else None)

    async def _rows(self, file: StoredFile) -> AsyncIterator[StoredRow]:
        after = 0
        while True:
            rows = await self.store.rows(file.id, after, PAGE)
            for row in rows:
                yield row
            if len(rows) < PAGE:
                return
            after = rows[-1].row

    async def _read_file(self, file: StoredFile, after: int) -> AsyncIterator[Page]:
        seen: dict[str, int] = {}  # ids read in this run, and their lines
        while True:
            rows = await self.store.rows(file.id, after, PAGE)
            items: list[StagedItem] = []
            problems: list[RecordProblem] = []
            for row in rows:
                source_id = self.source_id(file, row)
                try:
                    if source_id in seen:  # staged once per id: the second would be lost
                        raise BadRow(f"its id {source_id!r} is the id of line {seen[source_id]}")
                    seen[source_id] = row.line
                    record = await self._record(file, row, source_id)
                except BadRow as exc:
                    where = f"{file.name}, line {row.line}"
                    problems.append(RecordProblem(source_id, UNREADABLE, f"{where}: {exc}"))
                    continue
                raw = {"file": file.name, "line": row.line, "cells": row.cells}
                items.append(StagedItem(raw=raw, record=record))
            more = len(rows) == PAGE
            after = rows[-1].row if rows else after
            yield Page(items, str(after) if more else None, problems)
            if not more:
                return

    def source_id(self, file: StoredFile, row: StoredRow) -> str:
        plan = self.plan(file)
        for index, meaning in plan.fields.items():
            if meaning == "id" and index < len(row.cells) and row.cells[index].strip():
                return row.cells[index].strip()
        return f"{file.name}#{row.row}"

    def _found(self, file: StoredFile, row: StoredRow) -> dict[str, list[str]]:
        """The values each field takes from the row (several for e-mails, phones, labels)."""
        found: dict[str, list[str]] = {}
        for index, meaning in self.plan(file).fields.items():
            text = row.cells[index].strip() if index < len(row.cells) else ""
            if not text:
                continue
            parts = text.split(self.layout.separator) if meaning in MANY else [text]
            found.setdefault(meaning, []).extend(p.strip() for p in parts if p.strip())
        for link, value in self._named_links(file).items():
            found.setdefault(link, [value])
        return found

    def _cells(
        self, file: StoredFile, row: StoredRow
    ) -> tuple[dict[str, list[str]], dict[str, Any]]:
        if len(row.cells) > len(file.columns):
            raise BadRow(
                f"the row has {len(row.cells)} values, the header {len(file.columns)} columns"
            )
        plan = self.plan(file)
        custom: dict[str, Any] = {}
        entity = Entity(file.entity)
        for index, name in plan.custom.items():
            text = row.cells[index].strip() if index < len(row.cells) else ""
            if text:
                field_type, _ = self._field_type(entity, name, plan.kinds[index])
                custom[name] = self._custom_value(field_type, text)
        return self._found(file, row), custom

    def _custom_value(self, field_type: FieldType, text: str) -> Any:
        if field_type is FieldType.double:
            return values.number(text)
        if field_type is FieldType.date:
            return values.day(text)
        if field_type is FieldType.set:
            return [p.strip() for p in text.split(self.layout.separator) if p.strip()]
        return text

    async def _record(self, file: StoredFile, row: StoredRow, source_id: str) -> Record:
        found, custom = self._cells(file, row)
        get = RowValues(found)
        links = {f: await self.link(LINKS[f], get.text(f)) for f in LINKS if f in found}
        parts = RowParts(source_id=source_id, row=row.row, get=get, links=links, custom=custom)
        return await records.build(Entity(file.entity), parts, self)

    # -- links -----------------------------------------------------------------------------

    async def link(self, entity: Entity, value: str | None) -> str | None:
        """The source id of the record `value` names (its id, e-mail or name)."""
        if not value:
            return None
        files = await self.files()
        if entity is Entity.stages and entity not in files and not self.described.stages:
            return None  # a deal's stage is placed by deal_stage
        if entity not in files and entity is not Entity.stages:
            return f"{entity.value}:{_key(value)}"
        index = await self._index(entity)
        return index.get(value.strip()) or index.get(_key(value))

    async def many(self, entity: Entity, cells: list[str]) -> list[str]:
        found: list[str] = []
        for cell in cells:
            for part in cell.split(self.layout.separator):
                linked = await self.link(entity, part.strip())
                if linked and linked not in found:
                    found.append(linked)
        return found

    async def _index(self, entity: Entity) -> dict[str, str]:
        """id -> source id, folded e-mails and names -> source id (the first of a name), and
        for stages "<pipeline source id>|<name>" -> source id."""
        if entity in self._indexes:
            return self._indexes[entity]
        index: dict[str, str] = {}
        names: dict[str, str] = {}
        files = await self.files()
        if entity is Entity.stages and entity not in files:
            for stage in self.described.stages:
                index[stage.source_id] = stage.source_id
                names.setdefault(f"{stage.pipeline_source_id}|{_key(stage.name)}", stage.source_id)
                names.setdefault(_key(stage.name), stage.source_id)
        for stored in files.get(entity, []):
            async for row in self._rows(stored):
                source_id = self.source_id(stored, row)
                index.setdefault(source_id, source_id)
                found = self._found(stored, row)
                for meaning in ("email", "name", "title", "subject"):
                    for value in found.get(meaning, []):
                        names.setdefault(_key(value), source_id)
                parts = [v for m in ("first_name", "last_name") for v in found.get(m, [])[:1]]
                if parts:
                    names.setdefault(_key(" ".join(parts)), source_id)
                if entity is Entity.stages and "pipeline" in found:
                    pipeline = await self.link(Entity.pipelines, found["pipeline"][0])
                    name = (found.get("name") or [""])[0]
                    names.setdefault(f"{pipeline}|{_key(name)}", source_id)
        self._indexes[entity] = {**names, **index}
        return self._indexes[entity]

    # -- what rows name without a file of it -------------------------------------------------

    async def default_pipeline(self) -> str:
        files = await self.files()
        for stored in files.get(Entity.pipelines, []):
            async for row in self._rows(stored):
                return self.source_id(stored, row)
        return "pipelines:default"

    async def deal_stage(self, get: RowValues) -> DealStage:
        """A deal's stage and pipeline source ids, and its outcome when its stage is one
        ("Closed Won", "Deal Lost": it goes to its pipeline's first stage)."""
        files = await self.files()
        stage, pipeline = get.text("stage"), get.text("pipeline")
        outcome = values.status(stage) if stage else None
        pipeline_id = await self.link(Entity.pipelines, pipeline)
        if outcome in ("won", "lost"):
            if Entity.stages not in files and not self.described.stages:
                pipeline_id = pipeline_id or await self.default_pipeline()
            return None, pipeline_id, outcome
        if Entity.stages in files or self.described.stages:
            if not stage:
                return None, pipeline_id, outcome
            index = await self._index(Entity.stages)
            found = index.get(f"{pipeline_id}|{_key(stage)}") or await self.link(
                Entity.stages, stage
            )
            return found, pipeline_id, outcome
        pipeline_id = pipeline_id or await self.default_pipeline()
        if not stage:  # its pipeline's first stage
            return None, pipeline_id, outcome
        return f"stages:{pipeline_id}/{_key(stage)}", pipeline_id, outcome

    async def _derived(self, entity: Entity) -> list[Record]:
        """Records of an entity the export has no file for, from the values its rows name
        (and the stages its definition files describe)."""
        if entity is Entity.stages and self.described.stages:
            return list(self.described.stages)
        files = await self.files()
        seen: dict[str, Record] = {}
        for stored in (f for group in files.values() for f in group):
            async for row in self._rows(stored):
                found = self._found(stored, row)
                for record in await self._named(entity, stored, found):
                    seen.setdefault(record.source_id, record)
        if entity is Entity.stages and Entity.pipelines not in files:
            # every pipeline made here gets a stage for its deals
            for pipeline in await self._derived(Entity.pipelines):
                if not any(
                    isinstance(r, Stage) and r.pipeline_source_id == pipeline.source_id
                    for r in seen.values()
                ):
                    source_id = f"stages:{pipeline.source_id}/{_key(FIRST_STAGE)}"
                    seen[source_id] = Stage(
                        source_id=source_id, name=FIRST_STAGE, pipeline_source_id=pipeline.source_id
                    )
        order: dict[str, int] = {}
        for record in seen.values():  # a pipeline's stages in the order its deals show them
            if isinstance(record, Stage):
                order[record.pipeline_source_id] = order.get(record.pipeline_source_id, 0) + 1
                record.order_nr = order[record.pipeline_source_id]
        return list(seen.values())

    async def _named(
        self, entity: Entity, file: StoredFile, found: dict[str, list[str]]
    ) -> list[Record]:
        """The records of `entity` one row names without the export having a file of them."""
        if entity in DERIVABLE:
            return self._named_by_link(entity, found)
        if entity is Entity.pipelines or entity is Entity.stages:
            return await self._named_pipeline_or_stage(entity, file, RowValues(found))
        return []

    def _named_by_link(self, entity: Entity, found: dict[str, list[str]]) -> list[Record]:
        """The owners, companies or contacts a row's link columns name (by name or e-mail)."""
        named: list[Record] = []
        link = next(k for k, v in LINKS.items() if v is entity)
        for cell in found.get(link, []):
            parts = cell.split(self.layout.separator) if entity is Entity.persons else [cell]
            for value in (p.strip() for p in parts if p.strip()):
                source_id = f"{entity.value}:{_key(value)}"
                email = value if "@" in value else None
                if entity is Entity.users:
                    named.append(User(source_id=source_id, name=value, email=email))
                elif entity is Entity.organizations:
                    named.append(Organization(source_id=source_id, name=value))
                else:
                    emails = [ContactPoint(value=email, primary=True)] if email else []
                    named.append(Person(source_id=source_id, name=value, emails=emails))
        return named

    async def _named_pipeline_or_stage(
        self, entity: Entity, file: StoredFile, get: RowValues
    ) -> list[Record]:
        """The pipeline a stage or deal row names, or the stage a deal row names."""
        pipeline = get.text("pipeline")
        if entity is Entity.pipelines and file.entity in (Entity.stages, Entity.deals):
            if file.entity == Entity.deals:
                _, pipeline_id, _ = await self.deal_stage(get)
            else:
                pipeline_id = f"pipelines:{_key(pipeline)}" if pipeline else "pipelines:default"
            if pipeline_id and pipeline_id.startswith("pipelines:"):  # not one of the export's
                return [Pipeline(source_id=pipeline_id, name=pipeline or "Pipeline")]
            return []
        files = await self.files()
        if entity is Entity.stages and file.entity == Entity.deals and Entity.stages not in files:
            stage_id, pipeline_id, _ = await self.deal_stage(get)
            if stage_id and pipeline_id:
                name = get.text("stage") or ""
                return [Stage(source_id=stage_id, name=name, pipeline_source_id=pipeline_id)]
        return []


def fields_of(entity: Entity) -> tuple[str, ...]:
    """What `options.mapping.columns` may name for the entity's columns."""
    return FIELDS.get(entity, ())
