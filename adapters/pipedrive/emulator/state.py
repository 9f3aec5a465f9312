"""One emulated Pipedrive company: its users, records, fields, id counters and limits."""

from __future__ import annotations

import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from adapters.core.canonical import CUSTOM_FIELD_ENTITIES, Entity
from adapters.pipedrive.emulator.fields import (
    FieldSet,
    add_default_labels,
    field_code,
    standard_field_set,
)
from adapters.pipedrive.emulator.ratelimit import Limits, RateLimiter

# Entities kept as records (users and activity types are company settings, kept apart).
RECORD_ENTITIES: tuple[Entity, ...] = (
    Entity.organizations,
    Entity.persons,
    Entity.pipelines,
    Entity.stages,
    Entity.products,
    Entity.deals,
    Entity.deal_products,
    Entity.activities,
    Entity.notes,
    Entity.files,
)

# The activity types every new company starts with: (key_string, name).
DEFAULT_ACTIVITY_TYPES: tuple[tuple[str, str], ...] = (
    ("call", "Call"),
    ("meeting", "Meeting"),
    ("task", "Task"),
    ("deadline", "Deadline"),
    ("email", "Email"),
    ("lunch", "Lunch"),
)


@dataclass
class User:
    id: int
    name: str
    email: str
    active: bool
    is_admin: bool
    created: str
    default_currency: str = "EUR"


@dataclass
class ActivityType:
    id: int
    key: str
    name: str
    order_nr: int
    add_time: str


@dataclass
class EntityStore:
    """Records of one entity, by integer id; ids start at 1 and are never reused."""

    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    _ids: list[int] = field(default_factory=list)  # sorted, for cursor seeks

    def insert(self, record: dict[str, Any]) -> dict[str, Any]:
        """Store a new record under the next id; returns the stored record (id first)."""
        stored = {"id": self.next_id, **record}
        self.records[self.next_id] = stored
        self._ids.append(self.next_id)
        self.next_id += 1
        return stored

    def get(self, record_id: int) -> dict[str, Any] | None:
        return self.records.get(record_id)

    def remove(self, record_id: int) -> bool:
        if self.records.pop(record_id, None) is None:
            return False
        del self._ids[bisect_left(self._ids, record_id)]
        return True

    def after(self, after_id: int) -> Iterator[dict[str, Any]]:
        """Records with an id greater than `after_id`, in id order."""
        for index in range(bisect_right(self._ids, after_id), len(self._ids)):
            yield self.records[self._ids[index]]

    def __len__(self) -> int:
        return len(self.records)


@dataclass
class AccountState:
    account_id: str
    api_token: str
    limiter: RateLimiter
    users: dict[int, User] = field(default_factory=dict)
    activity_types: list[ActivityType] = field(default_factory=list)
    stores: dict[Entity, EntityStore] = field(default_factory=dict)
    fields: dict[Entity, FieldSet] = field(default_factory=dict)
    # Leads and lead labels have UUIDs: kept apart, by id, in the order they were added.
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    lead_labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A file's bytes by file id, as uploaded (never copied on the way out).
    file_bytes: dict[int, bytes | memoryview] = field(default_factory=dict)
    # Seeded data: the reference dataset's source id -> the Pipedrive id it got here (the first
    # record seeded with it), and by entity: a company as some vendors hold it gives a lead's
    # own person and organization the lead's id.
    id_map: dict[str, Any] = field(default_factory=dict)
    seeded_ids: dict[tuple[str, str], Any] = field(default_factory=dict)
    # Seeded links left out because their target does not exist (orphan references).
    dropped_links: list[str] = field(default_factory=list)
    token_user_id: int = 1
    _field_serial: int = 0
    _option_serial: int = 0
    _uuid_serial: int = 0

    @classmethod
    def new(cls, account_id: str, api_token: str, limits: Limits) -> AccountState:
        state = cls(account_id=account_id, api_token=api_token, limiter=RateLimiter(limits))
        state.stores = {entity: EntityStore() for entity in RECORD_ENTITIES}
        state.fields = {entity: standard_field_set(entity) for entity in CUSTOM_FIELD_ENTITIES}
        add_default_labels(state)
        return state

    def store(self, entity: Entity) -> EntityStore:
        return self.stores[entity]

    @property
    def token_user(self) -> User:
        return self.users[self.token_user_id]

    def add_user(self, name: str, email: str, *, active: bool, created: str) -> User:
        user_id = len(self.users) + 1
        user = User(user_id, name, email, active, is_admin=user_id == 1, created=created)
        self.users[user_id] = user
        return user

    def add_default_activity_types(self, now: str) -> None:
        for order, (key, name) in enumerate(DEFAULT_ACTIVITY_TYPES, start=1):
            self.activity_types.append(ActivityType(order, key, name, order, now))

    def activity_type_keys(self) -> set[str]:
        return {activity_type.key for activity_type in self.activity_types}

    def next_field_code(self) -> str:
        self._field_serial += 1
        return field_code(self.account_id, self._field_serial)

    def next_option_id(self) -> int:
        self._option_serial += 1
        return self._option_serial

    def next_uuid(self) -> str:
        """A UUID that differs per company and is the same when an account is seeded again."""
        self._uuid_serial += 1
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.account_id}:{self._uuid_serial}"))

    def remember(self, entity: str, source_id: str, pipedrive_id: int | str) -> None:
        if (entity, source_id) in self.seeded_ids:
            raise ValueError(f"{entity} source id {source_id!r} seeded twice")
        self.seeded_ids[(entity, source_id)] = pipedrive_id
        self.id_map.setdefault(source_id, pipedrive_id)

    def seeded(self, entity: str, source_id: str) -> Any:
        return self.seeded_ids.get((entity, source_id))
