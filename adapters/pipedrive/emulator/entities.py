"""What each v2 entity accepts, stores and answers with; one `EntitySpec` per entity drives
the one generic CRUD handler. Field lists follow the v2 spec's request and response schemas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from adapters.core.canonical import Entity
from adapters.pipedrive.emulator import validators as v
from adapters.pipedrive.emulator.fields import label_ids
from adapters.pipedrive.emulator.params import RECORD_LIST_UNSUPPORTED
from adapters.pipedrive.emulator.rules import (
    finalize_activity,
    finalize_deal,
    finalize_person,
    finalize_pipeline,
    finalize_product,
    finalize_stage,
)
from adapters.pipedrive.emulator.shapes import (
    ADDRESS,
    ATTENDEE,
    CONTACT,
    DEAL,
    ORG,
    PARTICIPANT,
    PERSON,
    PRICE,
    VISIBILITY,
)

if TYPE_CHECKING:
    from adapters.pipedrive.emulator.state import AccountState

# (state, record being written, validated body, is this a create, now) -> None; may raise.
Finalize = Callable[["AccountState", dict[str, Any], dict[str, Any], bool, str], None]
QueryParser = Callable[[str], Any]


@dataclass(frozen=True)
class EntitySpec:
    entity: Entity
    label: str  # singular, for messages: "Person"
    body: dict[str, v.Validator]  # the keys POST/PATCH accept
    required: tuple[str, ...]
    defaults: dict[str, Any]  # a new record before the body is applied
    nullable: frozenset[str] = frozenset()  # empty values answered as null; others left out
    filters: dict[str, tuple[str, QueryParser]] = field(default_factory=dict)
    custom_fields: bool = False
    updated_since: bool = True
    # The list call's `sort_by` values (the spec's enum; `id` the default).
    sort_fields: tuple[str, ...] = ("id", "update_time", "add_time")
    # Parameters of the list call the spec documents and the emulator does not implement.
    unsupported: frozenset[str] = frozenset()
    owned: bool = True  # gets the token's user as owner when none is given
    finalize: Finalize | None = None
    create_status: int = 200

    def new_record(self) -> dict[str, Any]:
        record = dict(self.defaults)
        for key in self._container_keys:  # so that records never share a default list or dict
            record[key] = record[key].copy()
        return record

    @cached_property
    def _container_keys(self) -> tuple[str, ...]:
        return tuple(key for key, value in self.defaults.items() if isinstance(value, list | dict))


def parse_int(text: str) -> int:
    if not text.lstrip("-").isdigit():
        raise ValueError("must be an integer")
    return int(text)


def parse_bool(text: str) -> bool:
    if text not in ("true", "false", "1", "0"):
        raise ValueError("must be true or false")
    return text in ("true", "1")


def parse_status(text: str) -> frozenset[str]:
    """One status or several, comma-separated; `deleted` is documented, but deleted deals are
    not kept here, so it is refused rather than answered with nothing."""
    statuses = frozenset(part.strip() for part in text.split(","))
    if "deleted" in statuses:
        raise ValueError("deleted is not supported by this emulator (it keeps no deleted deals)")
    if not statuses <= {"open", "won", "lost"}:
        raise ValueError("must be one or more of open, won, lost, deleted, comma-separated")
    return statuses


def _owner_filter() -> dict[str, tuple[str, QueryParser]]:
    return {"owner_id": ("owner_id", parse_int)}


# --- the specs -------------------------------------------------------------------------

PERSONS = EntitySpec(
    entity=Entity.persons,
    label="Person",
    body={
        "name": v.non_empty_string,
        "owner_id": v.user_ref,
        "org_id": ORG,
        "add_time": v.timestamp,
        "emails": v.list_of(CONTACT),
        "phones": v.list_of(CONTACT),
        "visible_to": VISIBILITY,
        "label_ids": label_ids(Entity.persons),
        "postal_address": ADDRESS,
        "notes": v.string,
        "im": v.list_of(CONTACT),
        "birthday": v.date_string,
        "job_title": v.string,
        "marketing_status": v.one_of(("no_consent", "unsubscribed", "subscribed", "archived")),
    },
    required=("name",),
    defaults={
        "name": None,
        "first_name": None,
        "last_name": None,
        "owner_id": None,
        "org_id": None,
        "add_time": None,
        "update_time": None,
        "emails": [],
        "phones": [],
        "is_deleted": False,
        "visible_to": 3,
        "label_ids": [],
        "custom_fields": {},
    },
    filters={**_owner_filter(), "org_id": ("org_id", parse_int)},
    custom_fields=True,
    unsupported=RECORD_LIST_UNSUPPORTED | {"deal_id"},
    finalize=finalize_person,
)

ORGANIZATIONS = EntitySpec(
    entity=Entity.organizations,
    label="Organization",
    body={
        "name": v.non_empty_string,
        "owner_id": v.user_ref,
        "add_time": v.timestamp,
        "visible_to": VISIBILITY,
        "label_ids": label_ids(Entity.organizations),
        "address": v.nullable(ADDRESS),
        "website": v.nullable(v.string),
        "linkedin": v.nullable(v.string),
        "industry": v.nullable(v.integer),
        "annual_revenue": v.nullable(v.integer),
        "employee_count": v.nullable(v.integer),
    },
    required=("name",),
    defaults={
        "name": None,
        "owner_id": None,
        "add_time": None,
        "update_time": None,
        "is_deleted": False,
        "visible_to": 3,
        "address": None,
        "label_ids": [],
        "website": None,
        "linkedin": None,
        "industry": None,
        "annual_revenue": None,
        "employee_count": None,
        "custom_fields": {},
    },
    nullable=frozenset({"website", "linkedin", "industry", "annual_revenue", "employee_count"}),
    filters=_owner_filter(),
    custom_fields=True,
    unsupported=RECORD_LIST_UNSUPPORTED,
)

DEALS = EntitySpec(
    entity=Entity.deals,
    label="Deal",
    body={
        "title": v.non_empty_string,
        "owner_id": v.user_ref,
        "person_id": PERSON,
        "org_id": ORG,
        "pipeline_id": v.ref(Entity.pipelines, "Pipeline"),
        "stage_id": v.ref(Entity.stages, "Stage"),
        "value": v.number,
        "currency": v.string,
        "add_time": v.timestamp,
        "is_deleted": v.boolean,
        "is_archived": v.boolean,
        "archive_time": v.utc_datetime,
        "status": v.one_of(("open", "won", "lost")),
        "probability": v.nullable(v.number),
        "lost_reason": v.nullable(v.string),
        "visible_to": VISIBILITY,
        "close_time": v.nullable(v.timestamp),
        "won_time": v.timestamp,
        "lost_time": v.timestamp,
        "expected_close_date": v.nullable(v.date_string),
        "label_ids": label_ids(Entity.deals),
        "origin": v.string,
        "origin_id": v.nullable(v.string),
    },
    required=("title",),
    defaults={
        "title": None,
        "owner_id": None,
        "person_id": None,
        "org_id": None,
        "pipeline_id": None,
        "stage_id": None,
        "value": 0,
        "currency": None,
        "add_time": None,
        "update_time": None,
        "stage_change_time": None,
        "is_deleted": False,
        "is_archived": False,
        "archive_time": None,
        "status": "open",
        "probability": None,
        "lost_reason": None,
        "visible_to": 3,
        "close_time": None,
        "won_time": None,
        "lost_time": None,
        "expected_close_date": None,
        "label_ids": [],
        # All deals created through the API have origin `API` (Pipedrive's v1 deal docs).
        "origin": "API",
        "origin_id": None,
        "channel": None,
        "channel_id": None,
        "source_lead_id": None,
        "arr": None,
        "mrr": None,
        "acv": None,
        "custom_fields": {},
    },
    nullable=frozenset(
        {
            "probability",
            "lost_reason",
            "close_time",
            "origin_id",
            "channel",
            "channel_id",
            "source_lead_id",
            "arr",
            "mrr",
            "acv",
        }
    ),  # fmt: skip
    filters={
        **_owner_filter(),
        "person_id": ("person_id", parse_int),
        "org_id": ("org_id", parse_int),
        "pipeline_id": ("pipeline_id", parse_int),
        "stage_id": ("stage_id", parse_int),
        "status": ("status", parse_status),
    },
    custom_fields=True,
    unsupported=RECORD_LIST_UNSUPPORTED,
    finalize=finalize_deal,
)

ACTIVITIES = EntitySpec(
    entity=Entity.activities,
    label="Activity",
    body={
        "subject": v.non_empty_string,
        "type": v.activity_type,
        "owner_id": v.user_ref,
        "deal_id": DEAL,
        "lead_id": v.nullable(v.lead_ref),
        "person_id": PERSON,
        "org_id": ORG,
        "project_id": v.nullable(v.integer),
        "due_date": v.nullable(v.date_string),
        "due_time": v.nullable(v.time_of_day),
        "duration": v.nullable(v.time_of_day),
        "busy": v.boolean,
        "done": v.boolean,
        "location": v.nullable(ADDRESS),
        "participants": v.list_of(PARTICIPANT),
        "attendees": v.list_of(ATTENDEE),
        "public_description": v.string,
        "priority": v.nullable(v.integer),
        "note": v.nullable(v.string),
    },
    required=("subject",),
    defaults={
        "subject": None,
        "type": "task",
        "owner_id": None,
        "creator_user_id": None,
        "is_deleted": False,
        "add_time": None,
        "update_time": None,
        "deal_id": None,
        "lead_id": None,
        "person_id": None,
        "org_id": None,
        "project_id": None,
        "due_date": None,
        "due_time": None,
        "duration": None,
        "busy": False,
        "done": False,
        "marked_as_done_time": None,
        "location": None,
        "participants": [],
        "attendees": [],
        "public_description": None,
        "priority": None,
        "note": None,
    },
    filters={
        **_owner_filter(),
        "deal_id": ("deal_id", parse_int),
        "person_id": ("person_id", parse_int),
        "org_id": ("org_id", parse_int),
        "lead_id": ("lead_id", str),
        "done": ("done", parse_bool),
    },
    sort_fields=("id", "update_time", "add_time", "due_date"),
    # include_fields=attendees is taken: attendees are always in the answer here.
    unsupported=frozenset({"filter_id"}),
    finalize=finalize_activity,
)

PRODUCTS = EntitySpec(
    entity=Entity.products,
    label="Product",
    body={
        "name": v.non_empty_string,
        "code": v.string,
        "description": v.string,
        "unit": v.string,
        "tax": v.number,
        "category": v.nullable(v.number),
        "owner_id": v.user_ref,
        "is_linkable": v.boolean,
        "visible_to": VISIBILITY,
        "prices": v.list_of(PRICE),
        "billing_frequency": v.one_of(
            ("one-time", "annually", "semi-annually", "quarterly", "monthly", "weekly")
        ),
        "billing_frequency_cycles": v.nullable(v.integer),
    },
    required=("name",),
    defaults={
        "name": None,
        "code": None,
        "unit": None,
        "tax": 0,
        "is_deleted": False,
        "is_linkable": True,
        "visible_to": 3,
        "owner_id": None,
        "add_time": None,
        "update_time": None,
        "description": None,
        "category": None,
        "custom_fields": {},
        "billing_frequency": "one-time",
        "billing_frequency_cycles": None,
        "prices": [],
    },
    nullable=frozenset({"category", "billing_frequency_cycles"}),
    filters=_owner_filter(),
    custom_fields=True,
    sort_fields=("id", "name", "add_time", "update_time"),
    unsupported=frozenset({"filter_id"}),
    finalize=finalize_product,
    create_status=201,  # the only v2 create the spec answers with 201
)

PIPELINES = EntitySpec(
    entity=Entity.pipelines,
    label="Pipeline",
    body={"name": v.non_empty_string, "is_deal_probability_enabled": v.boolean},
    required=("name",),
    defaults={
        "name": None,
        "order_nr": None,
        "is_deleted": False,
        "is_deal_probability_enabled": False,
        "add_time": None,
        "update_time": None,
    },
    updated_since=False,
    owned=False,
    finalize=finalize_pipeline,
)

STAGES = EntitySpec(
    entity=Entity.stages,
    label="Stage",
    body={
        "name": v.non_empty_string,
        "pipeline_id": v.ref(Entity.pipelines, "Pipeline"),
        "deal_probability": v.integer,
        "is_deal_rot_enabled": v.boolean,
        "days_to_rotten": v.nullable(v.integer),
        # Not in the v2 request schema; taken so that a stage's position can be kept.
        "order_nr": v.integer,
    },
    required=("name", "pipeline_id"),
    defaults={
        "order_nr": None,
        "name": None,
        "is_deleted": False,
        "deal_probability": 100,
        "pipeline_id": None,
        "is_deal_rot_enabled": False,
        "days_to_rotten": None,
        "add_time": None,
        "update_time": None,
    },
    nullable=frozenset({"days_to_rotten"}),
    filters={"pipeline_id": ("pipeline_id", parse_int)},
    updated_since=False,
    owned=False,
    sort_fields=("id", "update_time", "add_time", "order_nr"),
    finalize=finalize_stage,
)

SPECS: dict[Entity, EntitySpec] = {
    spec.entity: spec
    for spec in (PERSONS, ORGANIZATIONS, DEALS, ACTIVITIES, PRODUCTS, PIPELINES, STAGES)
}
