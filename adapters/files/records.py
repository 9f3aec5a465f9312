"""The canonical record of one row of a CSV export, one builder per entity.

A builder gets the row as the source has read it (`RowParts`: its values per field, the source
ids of the records it links, its custom field values) and asks the source (`RecordLookups`) only
what needs the rest of the upload: several linked persons, a deal's stage, the default pipeline.
A row that cannot be its record raises `BadRow`, which the source reports as a problem of the
row's page, named by file and line."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from adapters.core.canonical import (
    Activity,
    ContactPoint,
    Deal,
    Entity,
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
from adapters.files import values
from adapters.files.layout import ExportLayout

# What an export's activity types are called (folded to letters) -> Pipedrive's activity type.
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


class BadRow(Exception):
    pass


class RowValues:
    """The values a row gives its fields, read as the field's kind."""

    def __init__(self, found: dict[str, list[str]]) -> None:
        self.found = found

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


# A deal's stage source id, its pipeline source id, and its outcome when its stage names one.
DealStage = tuple[str | None, str | None, str | None]


class RecordLookups(Protocol):
    """What a builder asks of the source: answers that need the rest of the upload."""

    @property
    def layout(self) -> ExportLayout: ...

    async def many(self, entity: Entity, cells: list[str]) -> list[str]:
        """The source ids of the records the cells name, each once, in order."""
        ...

    async def deal_stage(self, get: RowValues) -> DealStage: ...

    async def default_pipeline(self) -> str: ...


@dataclass
class RowParts:
    """One row as read: its record's source id, its row number, its values, its links."""

    source_id: str
    row: int
    get: RowValues
    links: dict[str, str | None]  # link field -> the linked record's source id
    custom: dict[str, Any]  # custom field key -> value

    @property
    def owner(self) -> str | None:
        return self.links.get("owner")


Builder = Callable[[RowParts, RecordLookups], Awaitable[Record]]


async def user(row: RowParts, source: RecordLookups) -> Record:
    email = row.get.text("email")
    name = row.get.text("name") or email or row.source_id
    active = row.get.flag("active")
    return User(source_id=row.source_id, name=name, email=email, active=active is not False)


async def organization(row: RowParts, source: RecordLookups) -> Record:
    get = row.get
    return Organization(
        source_id=row.source_id,
        name=get.required("name"),
        address=get.text("address"),
        owner_source_id=row.owner,
        add_time=get.moment("add_time"),
        labels=get.labels(source.layout.separator),
        custom_fields=row.custom,
    )


def _contact_points(cells: list[str]) -> list[ContactPoint]:
    """The first of a row's e-mails (or phones) is its primary one."""
    return [ContactPoint(value=v, primary=i == 0) for i, v in enumerate(cells)]


async def person(row: RowParts, source: RecordLookups) -> Record:
    get = row.get
    first, last = get.text("first_name"), get.text("last_name")
    emails = _contact_points(get.found.get("email", []))
    phones = _contact_points(get.found.get("phone", []))
    name = get.text("name") or " ".join(p for p in (first, last) if p)
    name = name or (emails[0].value if emails else "")
    if not name:
        raise BadRow("the person has no name, first or last name, nor e-mail")
    return Person(
        source_id=row.source_id,
        name=name,
        first_name=first,
        last_name=last,
        emails=emails,
        phones=phones,
        org_source_id=row.links.get("organization"),
        owner_source_id=row.owner,
        add_time=get.moment("add_time"),
        labels=get.labels(source.layout.separator),
        custom_fields=row.custom,
    )


async def pipeline(row: RowParts, source: RecordLookups) -> Record:
    return Pipeline(source_id=row.source_id, name=row.get.required("name"))


async def stage(row: RowParts, source: RecordLookups) -> Record:
    get = row.get
    pipeline_id = row.links.get("pipeline") or await source.default_pipeline()
    return Stage(
        source_id=row.source_id,
        name=get.required("name"),
        pipeline_source_id=pipeline_id,
        order_nr=int(get.number("order_nr") or row.row),  # else in the order of the file
        deal_probability=_whole(get.number("deal_probability")),
    )


def _whole(number: float | None) -> int | None:
    return None if number is None else int(number)


async def product(row: RowParts, source: RecordLookups) -> Record:
    get = row.get
    price = get.number("price")
    currency = get.text("currency") or "USD"
    return Product(
        source_id=row.source_id,
        name=get.required("name"),
        code=get.text("code"),
        unit=get.text("unit"),
        tax=get.number("tax"),
        prices=[ProductPrice(price=price, currency=currency)] if price is not None else [],
        owner_source_id=row.owner,
        custom_fields=row.custom,
    )


@dataclass
class _DealOutcome:
    status: str
    expected_close_date: str | None
    closed_at: str | None  # when the export's close date of a closed deal is when it closed

    def time(self, outcome: str, given: str | None) -> str | None:
        """When the deal was won (or lost): its own column, else its close if it closed so."""
        return given or (self.closed_at if self.status == outcome else None)


def _deal_outcome(get: RowValues, outcome: str | None, layout: ExportLayout) -> _DealOutcome:
    """A deal's status (its own column, else the outcome its stage names, else open) and its
    expected close date."""
    status = values.status(get.text("status") or "") if "status" in get.found else outcome
    status = status or "open"
    close = get.day("expected_close_date")
    closed_at = get.moment("expected_close_date") if status != "open" else None
    if layout.close_is_outcome and status != "open":
        close = None  # the close date of a closed deal is its close
    return _DealOutcome(status, close, closed_at if layout.close_is_outcome else None)


async def deal(row: RowParts, source: RecordLookups) -> Record:
    get = row.get
    stage_id, pipeline_id, outcome = await source.deal_stage(get)
    closed = _deal_outcome(get, outcome, source.layout)
    person_ids = await source.many(Entity.persons, get.found.get("person", []))
    return Deal(
        source_id=row.source_id,
        title=get.required("title"),
        value=get.number("value"),
        currency=get.text("currency"),
        status=closed.status,
        person_source_id=person_ids[0] if person_ids else None,
        org_source_id=row.links.get("organization"),
        pipeline_source_id=pipeline_id,
        stage_source_id=stage_id,
        owner_source_id=row.owner,
        expected_close_date=closed.expected_close_date,
        won_time=closed.time("won", get.moment("won_time")),
        lost_time=closed.time("lost", get.moment("lost_time")),
        lost_reason=get.text("lost_reason"),
        add_time=get.moment("add_time"),
        labels=get.labels(source.layout.separator),
        custom_fields=row.custom,
    )


def _activity_type(text: str | None) -> str:
    """Pipedrive's type of an export's activity type ("Phone Call", "To-do"); a task if none."""
    return ACTIVITY_TYPES.get(re.sub(r"[^a-z]", "", (text or "task").casefold())) or "task"


async def activity(row: RowParts, source: RecordLookups) -> Record:
    get = row.get
    person_ids = await source.many(Entity.persons, get.found.get("person", []))
    due = get.text("due_date") or ""
    at = values.moment(due) if re.search(r"\d:\d", due) else None  # a due date with its time
    due_time = get.clock("due_time") or (at.strftime("%H:%M") if at else None)
    return Activity(
        source_id=row.source_id,
        subject=get.required("subject"),
        type=_activity_type(get.text("type")),
        due_date=get.day("due_date"),
        due_time=due_time,
        duration=get.clock("duration"),
        done=bool(get.flag("done")),
        note=get.text("note"),
        deal_source_id=row.links.get("deal"),
        person_source_id=person_ids[0] if person_ids else None,
        participant_source_ids=person_ids[1:],
        org_source_id=row.links.get("organization"),
        owner_source_id=row.owner,
    )


async def note(row: RowParts, source: RecordLookups) -> Record:
    return Note(
        source_id=row.source_id,
        content=row.get.required("content"),
        deal_source_id=row.links.get("deal"),
        person_source_id=row.links.get("person"),
        org_source_id=row.links.get("organization"),
        owner_source_id=row.owner,
        add_time=row.get.moment("add_time"),
    )


BUILDERS: dict[Entity, Builder] = {
    Entity.users: user,
    Entity.organizations: organization,
    Entity.persons: person,
    Entity.pipelines: pipeline,
    Entity.stages: stage,
    Entity.products: product,
    Entity.deals: deal,
    Entity.activities: activity,
    Entity.notes: note,
}


async def build(entity: Entity, row: RowParts, source: RecordLookups) -> Record:
    builder = BUILDERS.get(entity)
    if builder is None:
        raise BadRow(f"Ferry reads no {entity.value} from a CSV export")
    return await builder(row, source)
