"""Pipedrive as the target: custom fields, payloads, one-request writes (create, update,
delete), matching with records it already holds, crash reconciliation, update times for undo.

Token thrift decides the shape (see research/pipedrive.md): writes go through v2 (5 tokens; a
DELETE 3) except notes (v1 only: POST and PUT 10, DELETE 6), one request per record with no
read-back (what a write left is read from its own answer), and everything we need to know about
what already exists comes from paged list reads (10 tokens per 500), never from searches.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from adapters.core.blobs import Blob, multipart
from adapters.core.canonical import (
    CUSTOM_FIELD_ENTITIES,
    LABELLED_ENTITIES,
    Activity,
    CustomFieldDef,
    Deal,
    Entity,
    FieldType,
    Note,
    Organization,
    Person,
    Pipeline,
    Product,
    Record,
    Stage,
)
from adapters.core.errors import OutcomeUnknown, RecordRejected, TransientError
from adapters.core.protocols import (
    ConnectionInfo,
    FieldPlan,
    LinkResolver,
    Matched,
    MergeCandidate,
    PendingWrite,
    Reconciled,
    TargetField,
    TargetFieldInfo,
    TargetId,
    TargetStage,
    TargetUser,
    Written,
)
from adapters.pipedrive import files, labels, leads, line_items, reconcile
from adapters.pipedrive.bodies import participants
from adapters.pipedrive.client import V1, V2, PipedriveClient, error_code, error_text
from adapters.pipedrive.costs import request_cost
from adapters.pipedrive.labels import Labels, label_options
from adapters.pipedrive.merge import MATCHED_ENTITIES, MergeIndex
from adapters.pipedrive.merge import normalize_name as _norm
from adapters.pipedrive.source import FIELD_TYPES, FIELDS_PATH

# Where each entity is created (and listed, for reconciliation); `{path}/{id}` updates and deletes.
WRITE_PATHS: dict[Entity, tuple[str, str]] = {
    Entity.organizations: ("v2", "/organizations"),
    Entity.persons: ("v2", "/persons"),
    Entity.pipelines: ("v2", "/pipelines"),
    Entity.stages: ("v2", "/stages"),
    Entity.products: ("v2", "/products"),
    Entity.deals: ("v2", "/deals"),
    Entity.deal_products: ("v2", line_items.PATH),  # under its deal: see line_items
    Entity.leads: ("v1", leads.PATH),
    Entity.activities: ("v2", "/activities"),
    Entity.notes: ("v1", "/notes"),
    Entity.files: ("v1", files.PATH),
}

OPTION_TYPES = (FieldType.enum, FieldType.set)
SETUP_ENTITIES = (Entity.pipelines, Entity.stages)
VARCHAR_MAX = 255  # Pipedrive's limit for varchar and phone fields
TEXT_MAX = 65_000
FIELD_ATTEMPTS = 8  # creates of one custom field whose answers were lost, before giving up
GONE = (404, 410)  # the record is not (or no longer) in the target
# A list an earlier run of the session read is trusted for making labels as long as one run
# would trust its own (FERRY_CHUNK_SECONDS is 60 by default); an older one is read again first.
LISTS_FRESH_SECONDS = 120.0


def _compact(payload: dict[str, Any]) -> dict[str, Any]:
    """v2 validates strictly: leave absent values out rather than sending nulls."""
    return {k: v for k, v in payload.items() if v is not None and v != [] and v != {}}


# Custom field values -----------------------------------------------------------------------------


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _as_date(value: Any) -> str | None:
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return None


def _option_id(field: TargetField, label: Any) -> int | None:
    if not isinstance(label, str):
        return None
    if label in field.option_ids:
        return field.option_ids[label]
    folded = label.strip().casefold()
    return next(
        (i for name, i in field.option_ids.items() if name.strip().casefold() == folded), None
    )


def _monetary(value: Any) -> dict[str, Any] | None:
    amount = _as_float(value.get("value")) if isinstance(value, dict) else _as_float(value)
    if amount is None:
        return None
    currency = value.get("currency") if isinstance(value, dict) else None
    return {"value": amount, "currency": currency} if currency else {"value": amount}


def target_value(field: TargetField, value: Any) -> Any:
    """A canonical value in the target field's shape, or None when it cannot be carried (the
    value is dropped; the record still goes in)."""
    kind = field.field_type
    if value is None:
        return None
    if kind == FieldType.double:
        return _as_float(value)
    if kind == FieldType.monetary:
        return _monetary(value)
    if kind == FieldType.date:
        return _as_date(value)
    if kind == FieldType.enum:
        return _option_id(field, value)
    if kind == FieldType.set:
        labels = value if isinstance(value, list) else [value]
        ids = [i for i in (_option_id(field, label) for label in labels) if i is not None]
        return list(dict.fromkeys(ids)) or None  # Pipedrive refuses an empty set: leave it out
    if isinstance(value, dict | list):
        return None
    limit = TEXT_MAX if kind == FieldType.text else VARCHAR_MAX
    return str(value)[:limit] or None


# Payloads ------------------------------------------------------------------------------------


@dataclass
class PayloadContext:
    entity: Entity
    resolve: LinkResolver
    fields: dict[tuple[Entity, str], TargetField]
    default_owner_id: int
    label_ids: Callable[[Entity, list[str]], list[TargetId]] = lambda entity, names: []

    def link(self, entity: Entity, source_id: str | None) -> TargetId | None:
        return self.resolve(entity, source_id) if source_id else None

    def owner(self, source_id: str | None) -> TargetId:
        return self.link(Entity.users, source_id) or self.default_owner_id

    def labels(self, names: list[str]) -> list[TargetId]:
        """The ids of the record's labels (made beforehand by `ensure_labels`)."""
        return self.label_ids(self.entity, names) if names else []

    def custom_fields(self, values: dict[str, Any]) -> dict[str, Any] | None:
        out = {}
        for source_key, value in values.items():
            field = self.fields.get((self.entity, source_key))
            if field is None:  # a field that could not be created: its values stay behind
                continue
            converted = target_value(field, value)
            if converted is not None:
                out[field.key] = converted
        return out or None


def _contacts(points: list[Any]) -> list[dict[str, Any]]:
    """Contact points with exactly one primary, as Pipedrive expects."""
    items = [{"value": p.value, "label": p.label or "work", "primary": p.primary} for p in points]
    if items and not any(i["primary"] for i in items):
        items[0]["primary"] = True
    seen_primary = False
    for item in items:
        item["primary"] = item["primary"] and not seen_primary
        seen_primary = seen_primary or item["primary"]
    return items


def organization_payload(r: Organization, ctx: PayloadContext) -> dict[str, Any]:
    return {
        "name": r.name,
        "owner_id": ctx.owner(r.owner_source_id),
        "address": {"value": r.address} if r.address else None,
        "label_ids": ctx.labels(r.labels),
        "add_time": r.add_time,  # the original creation time (an admin's token only)
        "custom_fields": ctx.custom_fields(r.custom_fields),
    }


def person_payload(r: Person, ctx: PayloadContext) -> dict[str, Any]:
    name = r.name or " ".join(p for p in (r.first_name, r.last_name) if p)
    return {
        "name": name,
        "owner_id": ctx.owner(r.owner_source_id),
        "org_id": ctx.link(Entity.organizations, r.org_source_id),
        "emails": _contacts(r.emails),
        "phones": _contacts(r.phones),
        "label_ids": ctx.labels(r.labels),
        "add_time": r.add_time,
        "custom_fields": ctx.custom_fields(r.custom_fields),
    }


def pipeline_payload(r: Pipeline, ctx: PayloadContext) -> dict[str, Any]:
    return {"name": r.name}


def stage_payload(r: Stage, ctx: PayloadContext) -> dict[str, Any]:
    return {
        "name": r.name,
        "pipeline_id": ctx.link(Entity.pipelines, r.pipeline_source_id),
        "deal_probability": r.deal_probability,
    }


def product_payload(r: Product, ctx: PayloadContext) -> dict[str, Any]:
    return {
        "name": r.name,
        "code": r.code,
        "unit": r.unit,
        "tax": r.tax,
        "owner_id": ctx.owner(r.owner_source_id),
        "prices": [{"price": p.price, "currency": p.currency} for p in r.prices],
        "custom_fields": ctx.custom_fields(r.custom_fields),
    }


def deal_payload(r: Deal, ctx: PayloadContext) -> dict[str, Any]:
    status = r.status if r.status in ("open", "won", "lost") else "open"
    stage_id = ctx.link(Entity.stages, r.stage_source_id)
    return {
        "title": r.title,
        "value": r.value,
        "currency": r.currency,
        "status": status,
        "person_id": ctx.link(Entity.persons, r.person_source_id),
        "org_id": ctx.link(Entity.organizations, r.org_source_id),
        # stage_id places the deal in its pipeline; pipeline_id alone means its first stage
        "stage_id": stage_id,
        "pipeline_id": None if stage_id else ctx.link(Entity.pipelines, r.pipeline_source_id),
        "owner_id": ctx.owner(r.owner_source_id),
        "expected_close_date": _as_date(r.expected_close_date) if r.expected_close_date else None,
        # Pipedrive accepts these only with the matching status
        "won_time": r.won_time if status == "won" else None,
        "lost_time": r.lost_time if status == "lost" else None,
        "lost_reason": r.lost_reason if status == "lost" else None,
        # An archived deal is created archived (so it lands in the archived list, not the
        # other); the spec's format for archive_time is "YYYY-MM-DD HH:MM:SS" in UTC.
        "is_archived": True if r.is_archived else None,
        "archive_time": _v1_time(r.archive_time) if r.is_archived else None,
        "label_ids": ctx.labels(r.labels),
        "add_time": r.add_time,
        "custom_fields": ctx.custom_fields(r.custom_fields),
    }


def activity_payload(r: Activity, ctx: PayloadContext) -> dict[str, Any]:
    person_id = ctx.link(Entity.persons, r.person_source_id)
    others = [ctx.link(Entity.persons, p) for p in r.participant_source_ids]
    return {
        # Several persons taking part are v2's participants, the main one primary.
        "participants": participants(person_id, others) if person_id and any(others) else None,
        "subject": r.subject,
        "type": r.type,  # activity types are addressed by key in every account
        "owner_id": ctx.owner(r.owner_source_id),
        "deal_id": ctx.link(Entity.deals, r.deal_source_id),
        "person_id": ctx.link(Entity.persons, r.person_source_id),
        "org_id": ctx.link(Entity.organizations, r.org_source_id),
        "lead_id": ctx.link(Entity.leads, r.lead_source_id),
        "due_date": r.due_date,
        "due_time": r.due_time,
        "duration": r.duration,
        "done": r.done,
        "note": r.note,
    }


def _v1_time(value: str | None) -> str | None:
    """RFC 3339 -> v1's "YYYY-MM-DD HH:MM:SS" (UTC)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    offset = moment.utcoffset()
    if offset:
        moment = moment - offset
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def note_payload(r: Note, ctx: PayloadContext) -> dict[str, Any]:
    return {
        "content": r.content,
        "deal_id": ctx.link(Entity.deals, r.deal_source_id),
        "person_id": ctx.link(Entity.persons, r.person_source_id),
        "org_id": ctx.link(Entity.organizations, r.org_source_id),
        "lead_id": ctx.link(Entity.leads, r.lead_source_id),
        "user_id": ctx.owner(r.owner_source_id),
        "add_time": _v1_time(r.add_time),
    }


BUILDERS: dict[Entity, Callable[[Any, PayloadContext], dict[str, Any]]] = {
    Entity.organizations: organization_payload,
    Entity.persons: person_payload,
    Entity.pipelines: pipeline_payload,
    Entity.stages: stage_payload,
    Entity.products: product_payload,
    Entity.deals: deal_payload,
    Entity.leads: leads.payload,
    Entity.deal_products: line_items.payload,
    Entity.activities: activity_payload,
    Entity.notes: note_payload,
    Entity.files: files.payload,
}


# Where the builders put each canonical field (what a preview lists); fields missing here are
# not sent. Users are matched by e-mail, never written.
_OWNER = "owner_id (the matched user, else the token's user)"
_ADDED = "add_time (with an admin's token; else the time of the migration)"
_LABELS = "label_ids (labels of those names, created when missing)"
STANDARD_FIELDS: dict[Entity, dict[str, str]] = {
    Entity.users: {"email": "matched with a user's e-mail (users are never created)"},
    Entity.organizations: {
        "name": "name",
        "address": "address",
        "owner_source_id": _OWNER,
        "labels": _LABELS,
        "add_time": _ADDED,
    },
    Entity.persons: {
        "name": "name",
        "first_name": "name (joined with last_name when the source has no full name)",
        "last_name": "name (joined with first_name when the source has no full name)",
        "emails": "emails",
        "phones": "phones",
        "org_source_id": "org_id",
        "owner_source_id": _OWNER,
        "labels": _LABELS,
        "add_time": _ADDED,
    },
    Entity.pipelines: {"name": "name (a pipeline of that name is reused)"},
    Entity.stages: {
        "name": "name (a stage of that name in the pipeline is reused)",
        "pipeline_source_id": "pipeline_id",
        "deal_probability": "deal_probability",
    },
    Entity.products: {
        "name": "name",
        "code": "code",
        "unit": "unit",
        "tax": "tax",
        "prices": "prices",
        "owner_source_id": _OWNER,
    },
    Entity.deals: {
        "title": "title",
        "value": "value",
        "currency": "currency",
        "status": "status (open, won or lost; anything else: open)",
        "person_source_id": "person_id",
        "org_source_id": "org_id",
        "stage_source_id": "stage_id",
        "pipeline_source_id": "pipeline_id (when the deal has no stage)",
        "owner_source_id": _OWNER,
        "expected_close_date": "expected_close_date",
        "won_time": "won_time (won deals)",
        "lost_time": "lost_time (lost deals)",
        "lost_reason": "lost_reason (lost deals)",
        "is_archived": "is_archived",
        "archive_time": "archive_time",
        "labels": _LABELS,
        "add_time": _ADDED,
    },
    Entity.leads: leads.STANDARD_FIELDS,
    Entity.deal_products: line_items.STANDARD_FIELDS,
    Entity.activities: {
        "subject": "subject",
        "type": "type",
        "due_date": "due_date",
        "due_time": "due_time",
        "duration": "duration",
        "done": "done",
        "note": "note",
        "deal_source_id": "deal_id",
        "person_source_id": "person_id",
        "participant_source_ids": "participants (after the main person)",
        "org_source_id": "org_id",
        "lead_source_id": "lead_id",
        "owner_source_id": _OWNER,
    },
    Entity.notes: {
        "content": "content",
        "deal_source_id": "deal_id",
        "person_source_id": "person_id",
        "org_source_id": "org_id",
        "lead_source_id": "lead_id",
        "owner_source_id": "user_id (with an admin's token; else the token's user)",
        "add_time": "add_time (with an admin's token; else the time of the migration)",
    },
    Entity.files: files.STANDARD_FIELDS,
}


# Identities of set-up records (reused by name rather than created twice) -------------------


def _id(value: Any) -> Any:
    return value.get("id", value.get("value")) if isinstance(value, dict) else value


SETUP_IDENTITIES: dict[Entity, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
    Entity.pipelines: lambda i: (_norm(i.get("name")),),
    Entity.stages: lambda i: (_id(i.get("pipeline_id")), _norm(i.get("name"))),
}


# The target ----------------------------------------------------------------------------------


class PipedriveTarget:
    def __init__(self, client: PipedriveClient) -> None:
        self.client = client
        # Fields that could not be created or completed, with Pipedrive's reason; their values
        # are left out of the records.
        self.field_problems: list[str] = []
        self.created_fields: set[str] = set()  # keys of the fields this adapter created
        # False once we know the token is not an admin's: then notes keep Pipedrive's defaults
        # for author and time instead of being refused.
        self.token_is_admin: bool | None = None
        self._me_seen: dict[str, Any] | None = None  # the token's user, once read (or kept)
        # Existing pipelines and stages by identity (name; pipeline id + name), loaded on demand.
        self._setup_ids: dict[Entity, dict[tuple[Any, ...], int]] | None = None
        self._setup_lock = asyncio.Lock()
        self._setup_write_lock = asyncio.Lock()  # creates of pipelines and stages
        # The target's persons, organizations and products by their match keys, read once.
        self._merge_indexes: dict[Entity, MergeIndex] = {}
        self._merge_lock = asyncio.Lock()
        # Each entity's field list as last read (the labels are options of one of its fields).
        self._field_lists: dict[Entity, list[dict[str, Any]]] = {}
        self._field_lists_read_at: dict[Entity, float] = {}
        self.labels = Labels(client, FIELDS_PATH, self._field_list)
        self.labels.problems = self.field_problems  # said with the fields' problems

    async def aclose(self) -> None:
        await self.client.aclose()

    @property
    def tokens_spent(self) -> int:
        """The `x-token-cost` of every answer so far (Pipedrive's budget unit)."""
        return self.client.stats.token_cost

    # Account -------------------------------------------------------------------------------

    async def check(self) -> ConnectionInfo:
        me = await self._me()
        account = {
            "company_id": me.get("company_id"),
            "company_name": me.get("company_name"),
            "company_domain": me.get("company_domain"),
            "user_id": me.get("id"),
            "user_name": me.get("name"),
            "user_email": me.get("email"),
            "is_admin": self.token_is_admin,
        }
        return ConnectionInfo(account=account)

    async def me(self) -> TargetUser:
        me = self._me_seen or await self._me()
        return TargetUser(id=int(me["id"]), email=me.get("email"), name=me.get("name") or "")

    async def _me(self) -> dict[str, Any]:
        me = await self.client.get_v1("/users/me")
        if me.get("company_id") is not None:  # its daily budget is shared company-wide
            self.client.company_is(me["company_id"])
        access = me.get("access") or []
        self.token_is_admin = bool(me.get("is_admin")) or any(
            a.get("admin") for a in access if isinstance(a, dict) and a.get("app") == "global"
        )
        self._me_seen = {key: me.get(key) for key in ("id", "email", "name", "company_id")}
        return me

    # What a run resolved, kept for the session's next run (a hand-over reads none of it again)

    def kept_state(self) -> dict[str, Any]:
        """The token's user and whether it is an admin's (they do not change within a session)
        and the labels known by name (ids of labels that exist). Field lists are not kept: the
        pipeline keeps its resolved field mapping, and a field still to find or create is only
        ever looked for in a list read afresh, so no stale list makes a field twice."""
        labels = self.labels.kept()
        for entity, listed in self._field_lists.items():  # read for the fields: labels too
            if entity in LABELLED_ENTITIES and entity.value not in labels:
                read_at = self._field_lists_read_at.get(entity, 0.0)
                labels[entity.value] = {"ids": label_options(listed), "read_at": read_at}
        state: dict[str, Any] = {"labels": labels}
        if self._me_seen is not None:
            state["me"] = {**self._me_seen, "is_admin": self.token_is_admin}
        return state

    def restore_state(self, state: dict[str, Any]) -> None:
        me = state.get("me")
        if isinstance(me, dict) and me.get("id") is not None:
            self._me_seen = {key: me.get(key) for key in ("id", "email", "name", "company_id")}
            self.token_is_admin = me.get("is_admin")
            if me.get("company_id") is not None:  # as `_me` would have learned it
                self.client.company_is(me["company_id"])
        self.labels.restore(state.get("labels") or {}, fresh_for=LISTS_FRESH_SECONDS)

    async def users(self) -> list[TargetUser]:
        """Active users only: a deactivated one cannot own records, so its records fall back to
        the default owner."""
        users = []
        async for page in self.client.iter_v1("/users"):
            for raw in page.items:
                if raw.get("active_flag", True) and not raw.get("is_deleted"):
                    users.append(
                        TargetUser(
                            id=int(raw["id"]), email=raw.get("email"), name=raw.get("name") or ""
                        )
                    )
        return users

    # Custom fields -------------------------------------------------------------------------

    async def ensure_custom_fields(
        self, definitions: list[CustomFieldDef]
    ) -> dict[tuple[Entity, str], TargetField]:
        mapping: dict[tuple[Entity, str], TargetField] = {}
        for entity in CUSTOM_FIELD_ENTITIES:
            wanted = [d for d in definitions if d.entity == entity]
            if not wanted:
                continue
            existing = await self._custom_fields_of(entity)
            for definition in wanted:
                field = await self._ensure_field(definition, existing)
                if field:
                    mapping[(entity, definition.key)] = field
        return mapping

    async def fields(self, entity: Entity) -> list[TargetFieldInfo]:
        """The entity's custom fields as a mapping override may name them (key or name)."""
        return [
            TargetFieldInfo(
                key=str(raw["field_code"]),
                name=str(raw.get("field_name") or raw["field_code"]),
                type_name=str(raw.get("field_type") or ""),
                field_type=FIELD_TYPES.get(str(raw.get("field_type") or "")),
                option_ids=_option_ids(raw),
            )
            for raw in await self._custom_fields_of(entity)
        ]

    async def stages(self) -> list[TargetStage]:
        pipelines = {
            int(item["id"]): str(item.get("name") or "")
            async for page in self._list(Entity.pipelines)
            for item in page.items
        }
        stages = []
        async for page in self._list(Entity.stages):
            for item in page.items:
                pipeline_id = int(_id(item.get("pipeline_id")) or 0)
                name = str(item.get("name") or "")
                stages.append(
                    TargetStage(int(item["id"]), name, pipeline_id, pipelines.get(pipeline_id, ""))
                )
        return stages

    async def _custom_fields_of(self, entity: Entity) -> list[dict[str, Any]]:
        fields = []
        async for page in self.client.iter_v2(FIELDS_PATH[entity]):
            fields += page.items
        self._field_lists[entity] = fields
        self._field_lists_read_at[entity] = time.time()
        return [f for f in fields if f.get("is_custom_field")]

    async def _field_list(self, entity: Entity) -> list[dict[str, Any]]:
        if entity not in self._field_lists:
            await self._custom_fields_of(entity)
        return self._field_lists[entity]

    async def _ensure_field(
        self, definition: CustomFieldDef, existing: list[dict[str, Any]]
    ) -> TargetField | None:
        match = _matching_field(definition, existing)
        if match is None:
            match = await self._create_field_once(definition, existing)
            if match is None:
                return None
            existing.append(match)  # a second source field of that name reuses it
            self.created_fields.add(str(match["field_code"]))
        elif definition.field_type in OPTION_TYPES:
            await self._add_missing_options(definition, match)
        return _target_field(definition, match)

    async def _create_field_once(
        self, definition: CustomFieldDef, existing: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Create the field; when the answer is lost, look again before trying again. A field
        is set-up, found by name and type, so the one a lost answer made is simply reused."""
        for attempt in range(FIELD_ATTEMPTS):
            try:
                return await self._create_field(definition)
            except TransientError:
                if attempt + 1 == FIELD_ATTEMPTS:
                    raise
            existing[:] = await self._custom_fields_of(definition.entity)
            match = _matching_field(definition, existing)
            if match is not None:
                return match
        return None

    async def _create_field(self, definition: CustomFieldDef) -> dict[str, Any] | None:
        body: dict[str, Any] = {
            "field_name": definition.name,
            "field_type": definition.field_type.value,
        }
        if definition.field_type in OPTION_TYPES:
            labels = list(dict.fromkeys(definition.options))
            if not labels:  # Pipedrive requires options for these types
                self._field_problem(definition, "no options to create it with")
                return None
            body["options"] = [{"label": label} for label in labels]
        response = await self.client.post_v2(FIELDS_PATH[definition.entity], body)
        if not response.is_success:
            self._field_problem(definition, error_text(response))
            return None
        try:
            return dict(response.json()["data"])
        except (ValueError, KeyError, TypeError):
            raise OutcomeUnknown(
                "Pipedrive: the answer to a field creation could not be read"
            ) from None

    async def _add_missing_options(self, definition: CustomFieldDef, field: dict[str, Any]) -> None:
        """v2 adds options in bulk with POST /{entity}Fields/{field_code}/options."""
        known = {str(o.get("label", "")).strip().casefold() for o in field.get("options") or []}
        missing = [
            o for o in dict.fromkeys(definition.options) if o.strip().casefold() not in known
        ]
        if not missing:
            return
        path = f"{FIELDS_PATH[definition.entity]}/{field['field_code']}/options"
        response = await self.client.post_v2(path, [{"label": label} for label in missing])
        if not response.is_success:
            self._field_problem(definition, f"options {missing} not added: {error_text(response)}")
            return
        field["options"] = list(field.get("options") or []) + list(
            response.json().get("data") or []
        )

    def _field_problem(self, definition: CustomFieldDef, reason: str) -> None:
        self.field_problems.append(f"{definition.entity.value} field {definition.name!r}: {reason}")

    # Payloads and creates ------------------------------------------------------------------

    def build_payload(
        self,
        entity: Entity,
        record: Record,
        resolve: LinkResolver,
        fields: dict[tuple[Entity, str], TargetField],
        default_owner_id: int,
    ) -> dict[str, Any]:
        if entity not in BUILDERS:
            raise ValueError(f"{entity.value} are matched, never created")
        context = PayloadContext(entity, resolve, fields, default_owner_id, self.labels.ids)
        payload = BUILDERS[entity](record, context)
        if self.token_is_admin is False:  # only an admin may back-date a record or sign a note
            payload.pop("add_time", None)
            if entity is Entity.notes:
                payload.pop("user_id", None)
        return _compact(payload)

    @property
    def notices(self) -> list[str]:
        """What the session should say about this target: a token that cannot keep dates."""
        if self.token_is_admin is False:
            return [
                "the target token is not an admin's: records arrive dated today (not with their "
                "original creation time) and notes signed by the token's user"
            ]
        return []

    async def ensure_labels(self, entity: Entity, names: set[str]) -> None:
        await self.labels.ensure(entity, names)

    async def missing_labels(self, entity: Entity, names: set[str]) -> list[str]:
        return await self.labels.missing(entity, names)

    async def create(self, entity: Entity, payload: dict[str, Any]) -> Written:
        """Safe to call concurrently; set-up records (reused by name: look, then create) are
        created one at a time, so two of one name never both get made."""
        if entity is Entity.files:
            raise ValueError("a file is sent with its bytes: attach(), not create()")
        if entity not in SETUP_ENTITIES:
            return await self._create(entity, payload)
        async with self._setup_write_lock:
            reused = await self._reusable_setup(entity, payload)
            if reused is not None:
                return Written(reused, reused=True)
            return await self._create(entity, payload)

    async def _create(self, entity: Entity, payload: dict[str, Any]) -> Written:
        version, path = _write_path(entity)
        body = payload
        if entity is Entity.deal_products:
            path, body = line_items.split(payload)
        response = await self.client.send("POST", version, path, body)
        if not response.is_success:
            raise RecordRejected(error_text(response), code=error_code(response))
        written = _written(response, "a create")
        self._remember_setup(entity, payload, written.id)
        return written

    async def attach(self, payload: dict[str, Any], blob: Blob) -> Written:
        """One streamed multipart upload of the file to its record."""
        name = str(payload.get("file_name") or "file")
        mime = str(payload.get("mime_type") or files.DEFAULT_TYPE)
        headers, body = multipart(files.form(payload), "file", name, mime, blob)
        response = await self.client.upload(files.PATH, headers, body)
        if not response.is_success:
            raise RecordRejected(error_text(response), code=error_code(response))
        return _written(response, "a file upload")

    async def update(self, entity: Entity, target_id: TargetId, payload: dict[str, Any]) -> Written:
        """v2 PATCH (notes: v1 PUT; leads: v1 PATCH; files: a rename) of the fields sent; the
        others are left as they are."""
        version, path = _write_path(entity)
        method = "PUT" if version == "v1" and entity is not Entity.leads else "PATCH"
        if entity is Entity.deal_products:
            path, payload = line_items.split(payload)
        if entity is Entity.files:  # only the name can change; the bytes stay as uploaded
            payload = {"name": payload.get("file_name")}
        response = await self.client.send(method, version, f"{path}/{target_id}", payload)
        if response.status_code in GONE:
            raise RecordRejected(
                f"{entity.value} {target_id} is no longer in Pipedrive: {error_text(response)}",
                code="target_record_gone",
            )
        if not response.is_success:
            raise RecordRejected(error_text(response), code=error_code(response))
        return _written(response, "an update")

    async def delete(
        self, entity: Entity, target_id: TargetId, parent_id: int | None = None
    ) -> bool:
        version, path = _write_path(entity)
        if entity is Entity.deal_products:
            path = line_items.under(parent_id)
        response = await self.client.send("DELETE", version, f"{path}/{target_id}")
        if response.status_code in GONE:
            return False
        if not response.is_success:
            raise RecordRejected(error_text(response), code=error_code(response))
        self._forget_setup(entity, target_id)
        return True

    # Pipelines and stages are set-up, not data: an existing one of the same name is reused.

    async def _reusable_setup(self, entity: Entity, payload: dict[str, Any]) -> int | None:
        if entity not in SETUP_ENTITIES:
            return None
        known = await self._known_setup()
        return known[entity].get(SETUP_IDENTITIES[entity](payload))

    def _remember_setup(self, entity: Entity, payload: dict[str, Any], target_id: TargetId) -> None:
        if entity in SETUP_ENTITIES and self._setup_ids is not None and isinstance(target_id, int):
            self._setup_ids[entity][SETUP_IDENTITIES[entity](payload)] = target_id

    def _forget_setup(self, entity: Entity, target_id: TargetId) -> None:
        """A deleted pipeline or stage is no longer there to be reused."""
        if entity in SETUP_ENTITIES and self._setup_ids is not None:
            known = self._setup_ids[entity]
            for identity in [i for i, known_id in known.items() if known_id == target_id]:
                del known[identity]

    async def _known_setup(self) -> dict[Entity, dict[tuple[Any, ...], int]]:
        """The target's pipelines and stages by identity, read once (two list calls)."""
        async with self._setup_lock:
            if self._setup_ids is None:
                known: dict[Entity, dict[tuple[Any, ...], int]] = {}
                for entity in SETUP_ENTITIES:
                    known[entity] = {}
                    async for page in self._list(entity):
                        for item in page.items:
                            known[entity].setdefault(
                                SETUP_IDENTITIES[entity](item), int(item["id"])
                            )
                self._setup_ids = known
            return self._setup_ids

    # Records the target already holds ----------------------------------------------------

    async def match(
        self, entity: Entity, candidates: list[MergeCandidate], taken: set[TargetId]
    ) -> dict[str, Matched]:
        if entity not in MATCHED_ENTITIES or not candidates:
            return {}
        index = await self._merge_index(entity, taken)
        return index.pair(candidates, taken)

    async def _merge_index(self, entity: Entity, taken: set[TargetId]) -> MergeIndex:
        """The entity's target records by match key, but those `taken` (linked in the ledger):
        one paged list read per adapter instance, kept page by page."""
        async with self._merge_lock:
            if entity not in self._merge_indexes:
                index = MergeIndex(entity)
                async for page in self._list(entity):
                    index.add(page.items, taken)
                index.sort()
                self._merge_indexes[entity] = index
            return self._merge_indexes[entity]

    # Planning, read-only (what a preview asks) -----------------------------------------------

    @property
    def daily_budget_left(self) -> int | None:
        return self.client.budget.daily_left

    @property
    def window_requests_per_second(self) -> float | None:
        return self.client.budget.requests_per_second

    async def plan_custom_fields(
        self, definitions: list[CustomFieldDef]
    ) -> dict[tuple[Entity, str], FieldPlan]:
        """`ensure_custom_fields` without the creates: the same list read per entity; a field
        it would create stands in for itself, so a second source field of that name reuses it."""
        plans: dict[tuple[Entity, str], FieldPlan] = {}
        for entity in CUSTOM_FIELD_ENTITIES:
            wanted = [d for d in definitions if d.entity == entity]
            if wanted:
                existing = await self._custom_fields_of(entity)
                for definition in wanted:
                    plans[(entity, definition.key)] = _plan_field(definition, existing)
        for definition in definitions:
            plans.setdefault(
                (definition.entity, definition.key),
                FieldPlan(
                    NOT_CARRIED, reason=f"Pipedrive has no custom fields for {definition.entity}"
                ),
            )
        return plans

    def standard_fields(self, entity: Entity) -> dict[str, str]:
        return dict(STANDARD_FIELDS.get(entity, {}))

    def parent_of(self, entity: Entity, payload: dict[str, Any]) -> int | None:
        """The target record a record lives under (a line item's deal), kept in its link."""
        return payload.get("deal_id") if entity is Entity.deal_products else None

    def write_cost(self, entity: Entity, write: str) -> int:
        return write_cost(entity, write)

    def setup_identity(self, entity: Entity, payload: dict[str, Any]) -> tuple[Any, ...] | None:
        return SETUP_IDENTITIES[entity](payload) if entity in SETUP_ENTITIES else None

    async def existing_setup(self, entity: Entity) -> dict[tuple[Any, ...], int]:
        if entity not in SETUP_ENTITIES:
            return {}
        return dict((await self._known_setup())[entity])

    # Update times, for undo -----------------------------------------------------------------

    async def updated_times(
        self,
        entity: Entity,
        ids: set[TargetId],
        since: datetime,
        parents: frozenset[int] = frozenset(),
    ) -> dict[TargetId, str | None]:
        if entity not in WRITE_PATHS or not ids:
            return {}
        times: dict[TargetId, str | None] = {}
        if entity is Entity.leads:
            async for items in leads.listed(self.client, _rfc3339(since)):
                times.update({i["id"]: i.get("update_time") for i in items if i["id"] in ids})
            return times
        if entity is Entity.files:  # the file list takes no update filter: read whole
            async for page in self.client.iter_v1(files.PATH):
                times.update(
                    {int(i["id"]): i.get("update_time") for i in page.items if int(i["id"]) in ids}
                )
            return times
        if entity is Entity.deal_products:  # no updated_since: listed by their deals
            async for items in line_items.listed(self.client, parents):
                times.update(
                    {int(i["id"]): i.get("update_time") for i in items if int(i["id"]) in ids}
                )
            return times
        for path in _list_paths(entity):
            async for page in self._list(entity, since, path=path):
                for item in page.items:
                    target_id = int(item["id"])
                    # Pipelines and stages take no `updated_since`: filtered here instead.
                    if target_id in ids and (
                        entity not in SETUP_ENTITIES or _updated_since(item, since)
                    ):
                        times[target_id] = item.get("update_time")
        return times

    # Reconciliation ------------------------------------------------------------------------

    async def reconcile(
        self, entity: Entity, pending: list[PendingWrite], taken: set[TargetId]
    ) -> Reconciled:
        if entity not in WRITE_PATHS or not pending:
            return Reconciled()
        candidates = []
        since = reconcile.since(pending)
        if entity is Entity.leads:
            return await leads.reconcile(self.client, pending, taken)
        if entity is Entity.files:
            return await files.reconcile(
                self.client, pending, taken, _v1_time(_rfc3339(since)) or ""
            )
        if entity is Entity.deal_products:
            deals = [w.payload["deal_id"] for w in pending if w.payload.get("deal_id")]
            async for items in line_items.listed(self.client, deals):
                candidates += items
            return reconcile.reconcile(entity, pending, candidates, taken)
        for path in _list_paths(entity):
            async for page in self._list(entity, since, path=path):
                candidates += page.items
        return reconcile.reconcile(entity, pending, candidates, taken)

    def _list(
        self, entity: Entity, updated_since: datetime | None = None, path: str | None = None
    ) -> Any:
        version, default_path = WRITE_PATHS[entity]
        path = path or default_path
        params: dict[str, Any] = {}
        if updated_since and entity not in SETUP_ENTITIES:
            params["updated_since"] = _rfc3339(updated_since)
        iterate = self.client.iter_v1 if version == "v1" else self.client.iter_v2
        return iterate(path, params)


def write_cost(entity: Entity, write: str) -> int:
    """The tokens one write costs: "create", "update", "custom_field", "field_options" or
    "labels" (making the missing labels of a batch: a lead label each, else one options call)."""
    if write == "labels":
        if entity is Entity.leads:
            return request_cost("POST", V1 + labels.LEAD_LABELS)
        write = "field_options"
    if write in ("custom_field", "field_options"):
        fields = V2 + FIELDS_PATH[entity]
        path = fields if write == "custom_field" else f"{fields}/{{field_code}}/options"
        return request_cost("POST", path)
    version, path = _write_path(entity)
    path = path.format(deal_id=1)  # a line item's, under some deal
    root = V1 if version == "v1" else V2
    if write == "create":
        return request_cost("POST", root + path)
    return request_cost("PUT" if version == "v1" else "PATCH", f"{root}{path}/1")


def _write_path(entity: Entity) -> tuple[str, str]:
    if entity not in WRITE_PATHS:
        raise RecordRejected(f"{entity.value} are matched, never written", code="not_supported")
    return WRITE_PATHS[entity]


def _list_paths(entity: Entity) -> tuple[str | None, ...]:
    """The lists an entity's records are in (None: its own); archived deals are listed apart."""
    if entity is Entity.deals:
        return (None, "/deals/archived")
    return (None, "/leads/archived") if entity is Entity.leads else (None,)


def _rfc3339(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _updated_since(item: dict[str, Any], since: datetime) -> bool:
    when = reconcile.parse_time(item.get("update_time"))
    return when is None or when >= _utc(since)  # an unreadable time is reported: undo keeps it


def _written(response: Any, what: str) -> Written:
    """The record's id and update time from a success answer; an answer that cannot be read
    leaves the outcome unknown (the write most likely took effect)."""
    try:
        data = response.json()["data"]
        update_time = data.get("update_time")
        target_id = data["id"]  # an integer; a lead's is a UUID
        if not isinstance(target_id, str):
            target_id = int(target_id)
        return Written(target_id, updated_at=str(update_time) if update_time else None)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise OutcomeUnknown(
            f"Pipedrive: the answer to {what} could not be read ({response.status_code})"
        ) from None


def _matching_field(
    definition: CustomFieldDef, existing: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """Same name (case-insensitive) and a type that holds the same canonical values."""
    name = _norm(definition.name)
    for field in existing:
        same_type = FIELD_TYPES.get(field.get("field_type", "")) == definition.field_type
        if same_type and _norm(field.get("field_name")) == name:
            return field
    return None


def _option_ids(field: dict[str, Any]) -> dict[str, int]:
    return {
        str(o["label"]): int(o["id"])
        for o in field.get("options") or []
        if o.get("label") is not None
    }


EXISTING, NEW, NOT_CARRIED = "existing_custom_field", "new_custom_field", "not_carried"


def _plan_field(definition: CustomFieldDef, existing: list[dict[str, Any]]) -> FieldPlan:
    """What `_ensure_field` would do; a field it would create is appended to `existing` as a
    stand-in (key "new:<source key>", negative option ids)."""
    match = _matching_field(definition, existing)
    labels = list(dict.fromkeys(definition.options))
    if match is None:
        if definition.field_type in OPTION_TYPES and not labels:
            return FieldPlan(NOT_CARRIED, reason="no options to create it with")
        match = {
            "field_code": f"new:{definition.key}",
            "field_name": definition.name,
            "field_type": definition.field_type.value,
            "options": [{"id": -n, "label": label} for n, label in enumerate(labels, 1)],
        }
        existing.append(match)
    name, key = str(match.get("field_name") or ""), str(match["field_code"])
    goes_to = NEW if key.startswith("new:") else EXISTING
    missing: list[str] = []
    if goes_to == EXISTING and definition.field_type in OPTION_TYPES:
        known = {str(o.get("label", "")).strip().casefold() for o in match.get("options") or []}
        missing = [label for label in labels if label.strip().casefold() not in known]
        options = [*(match.get("options") or [])]
        options += [{"id": -n, "label": label} for n, label in enumerate(missing, 1)]
        match = {**match, "options": options}
    return FieldPlan(goes_to, _target_field(definition, match), key, name, None, missing)


def _target_field(definition: CustomFieldDef, field: dict[str, Any]) -> TargetField:
    options = _option_ids(field)
    for label in definition.options:  # source labels that differ only in case or spacing
        if label not in options:
            folded = label.strip().casefold()
            match = next(
                (i for name, i in options.items() if name.strip().casefold() == folded), None
            )
            if match is not None:
                options[label] = match
    return TargetField(
        key=field["field_code"], field_type=definition.field_type.value, option_ids=options
    )
