"""What the pipeline asks of a source and of a target."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from adapters.core.blobs import Blob
from adapters.core.canonical import CustomFieldDef, Entity, FieldType, File, Record
from adapters.core.http import Sink

# A target record's id: an integer, or text where the target says so (Pipedrive's leads).
TargetId = int | str


@dataclass
class StagedItem:
    raw: dict[str, Any]  # the record as the source returned it
    record: Record  # its canonical form


@dataclass
class RecordProblem:
    """A source record that could not be read (a file's row that is not a record): reported in
    the session's errors, never dropped silently."""

    source_id: str
    code: str
    message: str


@dataclass
class Page:
    items: list[StagedItem]
    next_cursor: str | None  # opaque resume point for the *next* page; None on the last page
    problems: list[RecordProblem] = field(default_factory=list)


@dataclass
class ConnectionInfo:
    account: dict[str, Any]  # who we are connected as: company, user, email...
    counts: dict[str, int] = field(default_factory=dict)


class SourceAdapter(Protocol):
    entities: tuple[Entity, ...]
    skipped_fields: list[str]  # custom fields of a type with no canonical form, once read

    async def check(self) -> ConnectionInfo:
        """Call the system; raise AuthFailed / Unreachable. Counts per entity where cheap."""
        ...

    async def custom_fields(self) -> list[CustomFieldDef]: ...

    def extract(
        self, entity: Entity, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[Page]:
        """Stream the entity page by page, starting at `cursor` (None: from the start); with
        `since`, only records changed after it where the source can filter so."""
        ...

    def reads_changes(self, entity: Entity) -> bool:
        """Whether `extract(since=...)` filters the entity (else it reads every record)."""
        ...

    async def download(self, record: File, sink: Sink) -> int:
        """Write an attached file's bytes into `sink` as they arrive (retried from the start
        when a read fails); the number of bytes written."""
        ...

    async def aclose(self) -> None: ...


@dataclass
class TargetUser:
    id: int
    email: str | None
    name: str


@dataclass
class TargetField:
    key: str  # the target's field key (40-char hash in Pipedrive)
    field_type: str
    option_ids: dict[str, int] = field(default_factory=dict)  # label -> option id


@dataclass
class TargetFieldInfo:
    """A custom field the target already holds, as a mapping override names it."""

    key: str
    name: str
    type_name: str  # the target's own type ("varchar", "enum", "user"...)
    field_type: FieldType | None  # its canonical type; None when it has none
    option_ids: dict[str, int] = field(default_factory=dict)  # label -> option id


@dataclass
class TargetStage:
    id: int
    name: str
    pipeline_id: int
    pipeline_name: str


@dataclass
class PendingWrite:
    """A create that was sent but whose outcome is unknown (its answer was lost)."""

    source_id: str
    payload: dict[str, Any]
    attempted_at: datetime


@dataclass
class Reconciled:
    found: dict[str, TargetId] = field(default_factory=dict)  # source id -> what it made
    # Source ids whose record cannot be told apart from others: candidate target ids.
    ambiguous: dict[str, list[TargetId]] = field(default_factory=dict)


@dataclass
class Written:
    """What a write left in the target, read from its own answer (never read back)."""

    id: TargetId
    # The record's update time as the write's answer gave it: undo compares it with the
    # target's current one to tell records edited in the target since Ferry wrote them.
    updated_at: str | None = None
    reused: bool = False  # an existing set-up record (pipeline, stage) was taken, none created


@dataclass
class MergeCandidate:
    """A record about to be created, offered to the target to match with one it holds."""

    source_id: str
    payload: dict[str, Any]


@dataclass
class Matched:
    """A record the target already held that stands for a source record."""

    id: int
    # Fields of the payload that are empty on the target's record: what `fill_empty` writes.
    fill: dict[str, Any] = field(default_factory=dict)


@dataclass
class FieldPlan:
    """Where a source custom field would go, found without creating anything (a preview)."""

    goes_to: str  # existing_custom_field | new_custom_field | not_carried
    # What its values would be written under: the existing field, or a stand-in for a new one
    # (key "new:<source key>", negative option ids); None when it is not carried.
    target_field: TargetField | None = None
    target_key: str | None = None  # the field's key (a new one's stand-in key)
    target_name: str | None = None
    reason: str | None = None  # why it is not carried
    missing_options: list[str] = field(default_factory=list)  # labels an existing field lacks


# Resolves (entity, source_id) to the target id, or None when that record is not in the target.
LinkResolver = Callable[[Entity, str | None], TargetId | None]


class TargetAdapter(Protocol):
    field_problems: list[str]  # source fields ensure_custom_fields could not match or create
    created_fields: set[str]  # keys of the fields ensure_custom_fields created

    @property
    def tokens_spent(self) -> int:
        """What the adapter's calls have cost so far, in the target's budget unit."""
        ...

    @property
    def daily_budget_left(self) -> int | None:
        """The target's daily budget left as its last answer reported it; None if never said."""
        ...

    @property
    def window_requests_per_second(self) -> float | None:
        """The most requests a second the token's burst window allows, once an answer said its
        size; None if never said."""
        ...

    async def check(self) -> ConnectionInfo: ...

    async def users(self) -> list[TargetUser]: ...

    async def me(self) -> TargetUser: ...

    def kept_state(self) -> dict[str, Any]:
        """What this run resolved that stays true for the session (JSON), for its next run."""
        ...

    def restore_state(self, state: dict[str, Any]) -> None:
        """Start from what `kept_state` said in an earlier run of the session."""
        ...

    async def fields(self, entity: Entity) -> list[TargetFieldInfo]:
        """The custom fields the target holds for `entity` (one paged list read)."""
        ...

    async def stages(self) -> list[TargetStage]:
        """Every stage the target holds, with its pipeline (two list reads)."""
        ...

    async def ensure_custom_fields(
        self, definitions: list[CustomFieldDef]
    ) -> dict[tuple[Entity, str], TargetField]:
        """Find or create a target field per source field (matched by entity, name and type)."""
        ...

    async def plan_custom_fields(
        self, definitions: list[CustomFieldDef]
    ) -> dict[tuple[Entity, str], FieldPlan]:
        """What `ensure_custom_fields` would do with these, read-only: the same list reads,
        nothing created."""
        ...

    def standard_fields(self, entity: Entity) -> dict[str, str]:
        """Canonical field -> where the target puts it, for the fields its payloads carry."""
        ...

    def write_cost(self, entity: Entity, write: str) -> int:
        """What one write costs in the target's budget unit: `create`, `update` (a fill too),
        `custom_field` (creating one of the entity's fields), `field_options` (adding options
        to one), `labels` (making missing labels: per lead label; per batch for the others)."""
        ...

    def setup_identity(self, entity: Entity, payload: dict[str, Any]) -> tuple[Any, ...] | None:
        """What a set-up record is reused by instead of created twice (None: always created)."""
        ...

    async def existing_setup(self, entity: Entity) -> dict[tuple[Any, ...], int]:
        """The target's set-up records of the entity by identity (a copy; list reads, once)."""
        ...

    def build_payload(
        self,
        entity: Entity,
        record: Record,
        resolve: LinkResolver,
        fields: dict[tuple[Entity, str], TargetField],
        default_owner_id: int,
    ) -> dict[str, Any]: ...

    async def ensure_labels(self, entity: Entity, names: set[str]) -> None:
        """Make the labels of these names the records about to be written carry (matched by
        name, created when missing), before `build_payload` puts their ids in the payloads."""
        ...

    async def missing_labels(self, entity: Entity, names: set[str]) -> list[str]:
        """Those of these labels the target lacks, read-only (what `ensure_labels` would make)."""
        ...

    async def create(self, entity: Entity, payload: dict[str, Any]) -> Written:
        """One request, no read-back. Raises RecordRejected for a 4xx on this record and a
        TransientError when the outcome is unknown (the record may exist: reconcile it)."""
        ...

    async def attach(self, payload: dict[str, Any], blob: Blob) -> Written:
        """Upload one file (Entity.files) to the record its payload names: one streamed
        request, no read-back; like `create`, RecordRejected for a 4xx and a TransientError
        when the outcome is unknown (reconcile it)."""
        ...

    async def update(self, entity: Entity, target_id: TargetId, payload: dict[str, Any]) -> Written:
        """One PATCH (idempotent: a lost answer is simply sent again). RecordRejected for a
        4xx, including a record deleted in the target (code `target_record_gone`)."""
        ...

    async def delete(
        self, entity: Entity, target_id: TargetId, parent_id: int | None = None
    ) -> bool:
        """One DELETE (`parent_id`: the record it lives under, for nested records). False when
        the record was already gone (idempotent)."""
        ...

    @property
    def notices(self) -> list[str]:
        """What the session should say about this target (a token that cannot keep dates)."""
        ...

    def parent_of(self, entity: Entity, payload: dict[str, Any]) -> int | None:
        """The target record a record of this payload lives under (a line item's deal), kept
        in its ledger link so that undo can reach it; None for records of their own."""
        ...

    async def match(
        self, entity: Entity, candidates: list[MergeCandidate], taken: set[TargetId]
    ) -> dict[str, Matched]:
        """Records the target already holds that stand for these (persons by any e-mail,
        organizations by normalized name, products by code, else name; other entities never),
        paired one to one and never with an id in `taken`. Paged list reads, read once per
        adapter instance, never per-record searches."""
        ...

    async def updated_times(
        self,
        entity: Entity,
        ids: set[TargetId],
        since: datetime,
        parents: frozenset[int] = frozenset(),
    ) -> dict[TargetId, str | None]:
        """The current update time of those of `ids` the target holds, from paged list reads
        of records updated since `since` (nested ones: listed under their `parents`); ids
        absent from the answer were not updated since (or are gone). Used by undo to keep
        records edited in the target."""
        ...

    async def reconcile(
        self, entity: Entity, pending: list[PendingWrite], taken: set[TargetId]
    ) -> Reconciled:
        """Which of these writes with a lost answer made a record: only records made after the
        write was attempted, not in `taken` (held by other source records), exactly matching
        the payload. Uses paged list reads, never per-record searches."""
        ...

    async def aclose(self) -> None: ...
