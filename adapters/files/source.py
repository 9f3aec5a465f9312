"""A CSV export as a source: one file per entity, read row by row from where the upload is kept
(an `UploadStore`: the database, so that any worker reads it), each row mapped to its canonical
record by what its columns mean (adapters/files/layout.py).

Records keep the export's ids where it has an id column, else `<file>#<row>`: the same upload
read again gives the same ids, so a resume or a second session creates nothing twice. Links go
by the linked record's id, or when the export has no ids by its name or e-mail. What the export
names but has no file for (the owners of its records, a contact's company, its deals' stages and
pipelines) is made from the names its rows give. A row that is not a record (a value that is no
number, no title) is a problem of its page, named by file and line, never dropped."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from adapters.core.canonical import (
    CUSTOM_FIELD_ENTITIES,
    Activity,
    ContactPoint,
    CustomFieldDef,
    Deal,
    Entity,
    FieldType,
    File,
    Note,
    Organization,
    Person,
    Pipeline,
    Product,
    ProductPrice,
    Record,
    Stage,
    User,
)
from adapters.core.errors import AdapterError
from adapters.core.http import Sink
from adapters.core.protocols import ConnectionInfo, Page, RecordProblem, StagedItem
from adapters.files import values
from adapters.files.layout import FIELDS, LINKS, MANY, ExportLayout, column_field

PAGE = 500
UNREADABLE = "row_unreadable"
ACTIVITY_TYPES = {
    "call": "call",
    "phonecall": "call",
    "phone": "call",
    "meeting": "meeting",
    "event": "meeting",
    "task": "task",
    "todo": "task",
    "deadline": "deadline",
    "email": "email",
    "lunch": "lunch",
}
KINDS = {"number": FieldType.double, "date": FieldType.date}
VARCHAR_MAX = 255
# Entities made from the names rows give when the export has no file of them.
DERIVABLE = (Entity.users, Entity.organizations, Entity.persons)


@dataclass
class StoredFile:
    id: int
    name: str
    entity: Entity
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


class BadRow(Exception):
    pass


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
        self._files: dict[Entity, StoredFile] | None = None
        self._plans: dict[Entity, _Plan] = {}
        self._indexes: dict[Entity, dict[str, str]] = {}
        self.entities: tuple[Entity, ...] = ()

    # -- what the upload holds -------------------------------------------------------------

    async def files(self) -> dict[Entity, StoredFile]:
        if self._files is None:
            self._files = {f.entity: f for f in await self.store.files()}
            self.entities = self.offered(self._files)
        return self._files

    def offered(self, files: dict[Entity, StoredFile]) -> tuple[Entity, ...]:
        have = set(files) | {Entity.users}
        for file in files.values():
            linked = set(self.plan(file).fields.values())
            have |= {LINKS[f] for f in linked if f in LINKS}
        if Entity.stages in have or Entity.pipelines in have:
            have |= {Entity.stages, Entity.pipelines}
        return tuple(e for e in Entity if e in have)

    def plan(self, file: StoredFile) -> _Plan:
        if file.entity in self._plans:
            return self._plans[file.entity]
        plan = _Plan()
        taken: set[str] = set()
        overrides = self.overrides.get(file.entity, {})
        for index, column in enumerate(file.columns):
            name = column["name"]
            meaning = (
                overrides[name]
                if name in overrides
                else column_field(file.entity, name, self.layout)
            )
            if meaning is None:
                continue  # not carried, as the layout or the session says
            if isinstance(meaning, str) and (meaning in MANY or meaning not in taken):
                plan.fields[index] = meaning
                taken.add(meaning)
            elif file.entity in CUSTOM_FIELD_ENTITIES:
                plan.custom[index] = name
                plan.kinds[index] = str(column.get("kind") or "text")
                if (
                    column.get("kind") == "text"
                    and int(column.get("max_length") or 0) > VARCHAR_MAX
                ):
                    plan.kinds[index] = "long"
            else:
                self.skipped_fields.append(f"{file.entity.value}: column {name} of {file.name}")
        self._plans[file.entity] = plan
        return plan

    async def check(self) -> ConnectionInfo:
        files = await self.files()
        counts = {e.value: f.rows for e, f in files.items()}
        return ConnectionInfo(account=await self.store.account(), counts=counts)

    async def custom_fields(self) -> list[CustomFieldDef]:
        found = []
        for entity, file in (await self.files()).items():
            plan = self.plan(file)
            for index, name in plan.custom.items():
                kind = plan.kinds[index]
                field_type = KINDS.get(
                    kind, FieldType.text if kind == "long" else FieldType.varchar
                )
                found.append(
                    CustomFieldDef(entity=entity, key=name, name=name, field_type=field_type)
                )
        return found

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
            async for page in self._read_file(files[entity], int(cursor or 0)):
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
        while True:
            rows = await self.store.rows(file.id, after, PAGE)
            items: list[StagedItem] = []
            problems: list[RecordProblem] = []
            for row in rows:
                source_id = self.source_id(file, row)
                try:
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

    def _cells(
        self, file: StoredFile, row: StoredRow
    ) -> tuple[dict[str, list[str]], dict[str, Any]]:
        if len(row.cells) > len(file.columns):
            raise BadRow(
                f"the row has {len(row.cells)} values, the header {len(file.columns)} columns"
            )
        plan = self.plan(file)
        found: dict[str, list[str]] = {}
        custom: dict[str, Any] = {}
        for index, cell in enumerate(row.cells):
            text = cell.strip()
            if not text:
                continue
            if index in plan.fields:
                found.setdefault(plan.fields[index], []).append(text)
            elif index in plan.custom:
                custom[plan.custom[index]] = _custom_value(plan.kinds[index], text)
        return found, custom

    async def _record(self, file: StoredFile, row: StoredRow, source_id: str) -> Record:
        found, custom = self._cells(file, row)
        get = _Getter(found, file)
        links = {f: await self.link(LINKS[f], get.text(f)) for f in LINKS if f in found}
        entity = file.entity
        owner = links.get("owner")
        if entity is Entity.users:
            email = get.text("email")
            name = get.text("name") or email or source_id
            active = get.flag("active")
            return User(source_id=source_id, name=name, email=email, active=active is not False)
        if entity is Entity.organizations:
            return Organization(
                source_id=source_id,
                name=get.required("name"),
                address=get.text("address"),
                owner_source_id=owner,
                add_time=get.moment("add_time"),
                labels=get.labels(self.layout.separator),
                custom_fields=custom,
            )
        if entity is Entity.persons:
            first, last = get.text("first_name"), get.text("last_name")
            emails = [
                ContactPoint(value=e, primary=i == 0) for i, e in enumerate(found.get("email", []))
            ]
            phones = [
                ContactPoint(value=p, primary=i == 0) for i, p in enumerate(found.get("phone", []))
            ]
            name = get.text("name") or " ".join(p for p in (first, last) if p)
            name = name or (emails[0].value if emails else "")
            if not name:
                raise BadRow("the person has no name, first or last name, nor e-mail")
            return Person(
                source_id=source_id,
                name=name,
                first_name=first,
                last_name=last,
                emails=emails,
                phones=phones,
                org_source_id=links.get("organization"),
                owner_source_id=owner,
                add_time=get.moment("add_time"),
                labels=get.labels(self.layout.separator),
                custom_fields=custom,
            )
        if entity is Entity.pipelines:
            return Pipeline(source_id=source_id, name=get.required("name"))
        if entity is Entity.stages:
            pipeline = links.get("pipeline") or await self._default_pipeline()
            return Stage(
                source_id=source_id,
                name=get.required("name"),
                pipeline_source_id=pipeline,
                order_nr=int(get.number("order_nr") or row.row),
                deal_probability=_int(get.number("deal_probability")),
            )
        if entity is Entity.products:
            price = get.number("price")
            currency = get.text("currency") or "USD"
            return Product(
                source_id=source_id,
                name=get.required("name"),
                code=get.text("code"),
                unit=get.text("unit"),
                tax=get.number("tax"),
                prices=[ProductPrice(price=price, currency=currency)] if price is not None else [],
                owner_source_id=owner,
                custom_fields=custom,
            )
        if entity is Entity.deals:
            status = values.status(get.text("status") or "")
            stage, pipeline_id = await self._deal_stage(get)
            person_ids = await self._many(Entity.persons, found.get("person", []))
            return Deal(
                source_id=source_id,
                title=get.required("title"),
                value=get.number("value"),
                currency=get.text("currency"),
                status=status or "open",
                person_source_id=person_ids[0] if person_ids else None,
                org_source_id=links.get("organization"),
                pipeline_source_id=pipeline_id,
                stage_source_id=stage,
                owner_source_id=owner,
                expected_close_date=get.day("expected_close_date"),
                won_time=get.moment("won_time"),
                lost_time=get.moment("lost_time"),
                lost_reason=get.text("lost_reason"),
                add_time=get.moment("add_time"),
                labels=get.labels(self.layout.separator),
                custom_fields=custom,
            )
        if entity is Entity.activities:
            person_ids = await self._many(Entity.persons, found.get("person", []))
            due = get.text("due_date") or ""
            at = values.moment(due) if re.search(r"\d:\d", due) else None
            due_time = get.clock("due_time") or (at.strftime("%H:%M") if at else None)
            kind = ACTIVITY_TYPES.get(
                re.sub(r"[^a-z]", "", (get.text("type") or "task").casefold())
            )
            return Activity(
                source_id=source_id,
                subject=get.required("subject"),
                type=kind or "task",
                due_date=get.day("due_date"),
                due_time=due_time,
                duration=get.clock("duration"),
                done=bool(get.flag("done")),
                note=get.text("note"),
                deal_source_id=links.get("deal"),
                person_source_id=person_ids[0] if person_ids else None,
                participant_source_ids=person_ids[1:],
                org_source_id=links.get("organization"),
                owner_source_id=owner,
            )
        if entity is Entity.notes:
            return Note(
                source_id=source_id,
                content=get.required("content"),
                deal_source_id=links.get("deal"),
                person_source_id=links.get("person"),
                org_source_id=links.get("organization"),
                owner_source_id=owner,
                add_time=get.moment("add_time"),
            )
        raise BadRow(f"Ferry reads no {entity.value} from a CSV export")

    # -- links -----------------------------------------------------------------------------

    async def link(self, entity: Entity, value: str | None) -> str | None:
        """The source id of the record `value` names (its id, e-mail or name)."""
        if not value:
            return None
        files = await self.files()
        if entity is Entity.stages and entity not in files:
            return None  # a deal's stage is placed by _deal_stage
        if entity not in files:
            return f"{entity.value}:{_key(value)}"
        index = await self._index(entity)
        return index.get(value.strip()) or index.get(_key(value))

    async def _many(self, entity: Entity, cells: list[str]) -> list[str]:
        found: list[str] = []
        for cell in cells:
            for part in cell.split(self.layout.separator) if self.layout.separator else [cell]:
                linked = await self.link(entity, part.strip())
                if linked and linked not in found:
                    found.append(linked)
        return found

    async def _index(self, entity: Entity) -> dict[str, str]:
        """id -> source id, and folded e-mails and names -> source id (the first of a name)."""
        if entity in self._indexes:
            return self._indexes[entity]
        file = (await self.files())[entity]
        plan = self.plan(file)
        index: dict[str, str] = {}
        names: dict[str, str] = {}
        async for row in self._rows(file):
            source_id = self.source_id(file, row)
            index.setdefault(source_id, source_id)
            for position, meaning in plan.fields.items():
                named = meaning in ("email", "name", "title", "first_name", "last_name")
                if named and position < len(row.cells) and row.cells[position].strip():
                    names.setdefault(_key(row.cells[position]), source_id)
            parts = [
                row.cells[i].strip()
                for i, m in plan.fields.items()
                if m in ("first_name", "last_name") and i < len(row.cells) and row.cells[i].strip()
            ]
            if parts:
                names.setdefault(_key(" ".join(parts)), source_id)
        self._indexes[entity] = {**names, **index}
        return self._indexes[entity]

    # -- what rows name without a file of it -------------------------------------------------

    async def _default_pipeline(self) -> str:
        files = await self.files()
        if Entity.pipelines in files:
            async for row in self._rows(files[Entity.pipelines]):
                return self.source_id(files[Entity.pipelines], row)
        return "pipelines:default"

    async def _deal_stage(self, get: _Getter) -> tuple[str | None, str | None]:
        files = await self.files()
        stage, pipeline = get.text("stage"), get.text("pipeline")
        pipeline_id = (
            await self.link(Entity.pipelines, pipeline) if Entity.pipelines in files else None
        )
        if Entity.stages in files:
            return await self.link(Entity.stages, stage), pipeline_id
        if pipeline and Entity.pipelines not in files:
            pipeline_id = f"pipelines:{_key(pipeline)}"
        if not stage:
            return None, pipeline_id
        pipeline_id = pipeline_id or await self._default_pipeline()
        return f"stages:{pipeline_id}/{_key(stage)}", pipeline_id

    async def _derived(self, entity: Entity) -> list[Record]:
        """Records of an entity the export has no file for, from the values its rows name."""
        files = await self.files()
        seen: dict[str, Record] = {}
        for file in files.values():
            plan = self.plan(file)
            async for row in self._rows(file):
                cells: dict[str, list[str]] = {m: [] for m in plan.fields.values()}
                for position, meaning in plan.fields.items():
                    if position < len(row.cells) and row.cells[position].strip():
                        cells[meaning].append(row.cells[position].strip())
                for record in await self._named(entity, file, cells):
                    seen.setdefault(record.source_id, record)
        order: dict[str, int] = {}
        for record in seen.values():  # a pipeline's stages in the order its deals show them
            if isinstance(record, Stage):
                order[record.pipeline_source_id] = order.get(record.pipeline_source_id, 0) + 1
                record.order_nr = order[record.pipeline_source_id]
        return list(seen.values())

    async def _named(
        self, entity: Entity, file: StoredFile, cells: dict[str, list[str]]
    ) -> list[Record]:
        found: list[Record] = []
        get = _Getter(cells, file)
        if entity in DERIVABLE:
            link = next(k for k, v in LINKS.items() if v is entity)
            values_ = cells.get(link, [])
            if entity is Entity.persons:
                values_ = [p.strip() for v in values_ for p in v.split(self.layout.separator)]
            for value in values_:
                source_id = f"{entity.value}:{_key(value)}"
                email = value if "@" in value else None
                if entity is Entity.users:
                    found.append(User(source_id=source_id, name=value, email=email))
                elif entity is Entity.organizations:
                    found.append(Organization(source_id=source_id, name=value))
                else:
                    emails = [ContactPoint(value=email, primary=True)] if email else []
                    found.append(Person(source_id=source_id, name=value, emails=emails))
            return found
        if file.entity is Entity.stages and entity is Entity.pipelines:
            pipeline = get.text("pipeline")
            source_id = f"pipelines:{_key(pipeline)}" if pipeline else "pipelines:default"
            found.append(Pipeline(source_id=source_id, name=pipeline or "Pipeline"))
            return found
        if file.entity is not Entity.deals or Entity.stages in (await self.files()):
            return found
        stage, pipeline_id = await self._deal_stage(get)
        if entity is Entity.pipelines and pipeline_id and pipeline_id.startswith("pipelines:"):
            name = get.text("pipeline") or "Pipeline"
            found.append(Pipeline(source_id=pipeline_id, name=name))
        if entity is Entity.stages and stage and pipeline_id:
            found.append(
                Stage(
                    source_id=stage,
                    name=get.text("stage") or "",
                    pipeline_source_id=pipeline_id,
                    order_nr=0,
                )
            )
        return found


class _Getter:
    """The values a row gives its fields, read as the field's kind."""

    def __init__(self, found: dict[str, list[str]], file: StoredFile) -> None:
        self.found = found
        self.file = file

    def text(self, name: str) -> str | None:
        cells = self.found.get(name)
        return cells[0] if cells else None

    def required(self, name: str) -> str:
        text = self.text(name)
        if not text:
            raise BadRow(f"the record has no {name.replace('_', ' ')}")
        return text

    def number(self, name: str) -> float | None:
        text = self.text(name)
        if text is None:
            return None
        found = values.number(text)
        if found is None:
            raise BadRow(f"{name.replace('_', ' ')} {text!r} is not a number")
        return found

    def moment(self, name: str) -> str | None:
        text = self.text(name)
        if text is None:
            return None
        found = values.rfc3339(text)
        if found is None:
            raise BadRow(f"{name.replace('_', ' ')} {text!r} is not a date")
        return found

    def day(self, name: str) -> str | None:
        found = self.moment(name)
        return found[:10] if found else None

    def clock(self, name: str) -> str | None:
        text = self.text(name)
        if text is None:
            return None
        found = values.clock(text)
        if found is None:
            raise BadRow(f"{name.replace('_', ' ')} {text!r} is not a time (HH:MM)")
        return found

    def flag(self, name: str) -> bool | None:
        text = self.text(name)
        return None if text is None else values.yes(text)

    def labels(self, separator: str) -> list[str]:
        parts: list[str] = []
        for cell in self.found.get("labels", []):
            parts.extend(p.strip() for p in re.split(rf"[{re.escape(separator)},]", cell))
        return list(dict.fromkeys(p for p in parts if p))


def _custom_value(kind: str, text: str) -> Any:
    if kind == "number":
        return values.number(text)
    if kind == "date":
        return values.day(text)
    return text


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def fields_of(entity: Entity) -> tuple[str, ...]:
    """What `options.mapping.columns` may name for the entity's columns."""
    return FIELDS.get(entity, ())
