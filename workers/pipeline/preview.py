"""Preview: what a session would do, from what was read, writing nothing.

Run after the extract (and, for a sample, the sample selection) of a preview session, in place
of the load. It makes the load's decisions without its writes: the same ledger lookups, the same
payloads, the same merge list reads; the target's custom fields are planned, not ensured.

- The mapping overrides (options.mapping, resolved at creation) apply as in the load: mapped
  custom fields go to their Pipedrive field, mapped stages are never created, owners and the
  default owner are mapped.
- Links in payloads resolve as the load would resolve them: through the ledger; users through
  the e-mail matching done here; pipelines to the id of the pipeline they would reuse. A link to
  a record this session would create resolves to a negative stand-in id (PLACEHOLDER), so a
  linked record whose payload would link to a record not written yet compares as changed,
  exactly as it would once that record had its id; a link to a record that would not be loaded
  (an orphan, outside the sample) resolves to nothing, as in the load.
- Tokens: writes are counted at the target's price per write; the reads are the ones the load
  would make, made here and measured.
- Nothing is kept between runs: the report is recomputed from the staged records, the ledger
  and the target, and written in one commit, so a run killed half-way and run again writes the
  same report (but for `cost_of_preview`, which counts what the runs really spent).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Awaitable
from typing import Any, TypeVar, cast

from sqlalchemy import select

from adapters.core.canonical import (
    CUSTOM_FIELD_ENTITIES,
    MODEL_BY_ENTITY,
    CustomFieldDef,
    Entity,
    parse_record,
)
from adapters.core.errors import RecordRejected
from adapters.core.protocols import (
    FieldPlan,
    MergeCandidate,
    TargetField,
    TargetId,
    TargetUser,
)
from app.db import utcnow
from app.ledger import service as ledger
from app.models import StagedRecord
from app.sessions.preview_schemas import (
    BudgetPreview,
    DefaultOwner,
    EntityPreview,
    FieldPreview,
    GoesTo,
    OwnerMatch,
    OwnersPreview,
    OwnerUnmatched,
    PreviewCost,
    PreviewReport,
    TokenEstimate,
    TokenItem,
)
from app.sessions.progress import estimate
from workers.pipeline import overrides
from workers.pipeline.context import RunContext
from workers.pipeline.load import BATCH, _wanted_links

T = TypeVar("T")

PLACEHOLDER = -1  # the id of a record this session would create
SETUP = (Entity.pipelines, Entity.stages)  # reused by name, never merged
# Pipedrive's lowest plan: 30,000 tokens a day per seat (research/pipedrive.md, rate limits).
TOKENS_PER_SEAT = 30_000
# DeclarativeSource.skipped_fields: "deals: Region (address)".
SKIPPED = re.compile(r"^(?P<entity>\w+): (?P<name>.*) \((?P<why>[^()]*)\)$")


async def preview(ctx: RunContext) -> None:
    report = await _Preview(ctx).report()
    ctx.session.report = report.model_dump(mode="json")
    await ctx.db.commit()


class _Preview:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.target = ctx.target
        self.entities = [Entity(e) for e in ctx.session.entities]
        self.reads: list[TokenItem] = []
        self.writes: list[TokenItem] = []
        self.owner_ids: dict[str, int] = {}  # source user id -> matched target user id
        # Pipelines and stages by identity (existing ones, then the ones that would be made)
        # and the ids they resolve to.
        self.setup: dict[Entity, dict[tuple[Any, ...], int]] = {}
        self.planned: dict[tuple[Entity, str], int] = {}
        self.next_stand_in = PLACEHOLDER - 1

    async def report(self) -> PreviewReport:
        ctx = self.ctx
        mapped_owner = overrides.resolved(ctx).get("default_owner")
        # The load reads the token's user only when no default owner is mapped; the preview
        # always does (the report names it, and notes' payloads depend on its rights).
        me = await self._read(
            "read the token's user", None, self.target.me(), counted=mapped_owner is None
        )
        users = await self._read("read users", None, self.target.users())
        default = next((u for u in users if u.id == int(mapped_owner)), me) if mapped_owner else me
        owners = await self._owners(users, default)
        plans, fields = await self._fields()
        written = {key: plan.target_field for key, plan in plans.items() if plan.target_field}
        entities = {}
        for entity in self.entities:
            if entity is not Entity.users:
                entities[entity.value] = await self._entity(entity, written, default.id)
        self._write_items(entities, plans)
        ctx.count_tokens()
        tokens = self._tokens()
        return PreviewReport(
            plan=ctx.plan,
            entities=entities,
            owners=owners,
            fields=fields,
            tokens=tokens,
            budget=_budget(
                tokens.total,
                self.target.daily_budget_left,
                len(users),
                requests=sum(item.count for item in self.writes),
                per_second=self.target.window_requests_per_second,
            ),
            cost_of_preview=PreviewCost(
                source_requests=_source_requests(ctx), target_tokens=ctx.session.tokens_spent
            ),
        )

    async def _read(
        self, what: str, entity: Entity | None, call: Awaitable[T], counted: bool = True
    ) -> T:
        """Makes a read the load would make (unless not `counted`), and counts what it cost."""
        before = self.target.tokens_spent
        result = await call
        spent = self.target.tokens_spent - before
        if counted:
            self.reads.append(TokenItem(what=what, entity=entity, count=1, tokens=spent))
        return result

    # Owners ----------------------------------------------------------------------------------

    async def _owners(self, users: list[TargetUser], default: TargetUser) -> OwnersPreview:
        """As `match_users` matches them (by e-mail, or as the owners mapping says)."""
        by_email = {u.email.lower(): u for u in users if u.email}
        aliases = {k.lower(): v.lower() for k, v in overrides.owners(self.ctx).items()}
        matched, unmatched = [], []
        for row in await self._staged(Entity.users, after=0, limit=None):
            name, email = row.canonical.get("name") or "", row.canonical.get("email") or None
            user = by_email.get(aliases.get(email.lower(), email.lower())) if email else None
            if user is None or not email:
                unmatched.append(OwnerUnmatched(source_id=row.source_id, name=name, email=email))
                continue
            self.owner_ids[row.source_id] = user.id
            matched.append(
                OwnerMatch(
                    source_id=row.source_id,
                    name=name,
                    email=email,
                    target_user_id=user.id,
                    target_email=user.email,
                )
            )
        return OwnersPreview(
            matched=matched,
            unmatched=unmatched,
            unmatched_emails=[u.email for u in unmatched if u.email],
            default_owner=DefaultOwner(id=default.id, email=default.email, name=default.name),
        )

    # Fields ----------------------------------------------------------------------------------

    async def _fields(self) -> tuple[dict[tuple[Entity, str], FieldPlan], list[FieldPreview]]:
        out = [f for entity in self.entities for f in self._standard_fields(entity)]
        definitions = await self.ctx.source.custom_fields()
        carried = bool(self.ctx.session.options.get("custom_fields", True))
        wanted = [
            d
            for d in definitions
            if d.entity in self.entities and d.entity in CUSTOM_FIELD_ENTITIES
        ]
        plans: dict[tuple[Entity, str], FieldPlan] = {}
        if carried and wanted:  # as the load's `_custom_fields`
            plans = await self._read("read custom field lists", None, self._plan_fields(wanted))
            plans.update(await self._mapped_fields(wanted, plans))
        for definition in definitions:
            if definition.entity not in self.entities:
                plan = FieldPlan("not_carried", reason=f"{definition.entity} are not migrated")
            elif not carried:
                plan = FieldPlan("not_carried", reason="the custom_fields option is off")
            else:
                plan = plans.get((definition.entity, definition.key)) or FieldPlan(
                    "not_carried", reason=f"the target has no custom fields for {definition.entity}"
                )
            out.append(_custom_field(definition, plan))
        out += [_skipped_field(note) for note in self.ctx.source.skipped_fields]
        return plans, out

    async def _plan_fields(
        self, definitions: list[CustomFieldDef]
    ) -> dict[tuple[Entity, str], FieldPlan]:
        """The load's reads and decisions: fields the mapping sends to a Pipedrive field are
        taken as they are, the rest found by name or created."""
        rest, mapped, _ = await overrides.split_fields(self.ctx, definitions)
        plans = await self.target.plan_custom_fields(rest) if rest else {}
        for key, field in mapped.items():
            plans[key] = FieldPlan("existing_custom_field", field, field.key)
        return plans

    async def _mapped_fields(
        self, definitions: list[CustomFieldDef], plans: dict[tuple[Entity, str], FieldPlan]
    ) -> dict[tuple[Entity, str], FieldPlan]:
        """Names for the mapped fields, and why the others the mapping names are not carried
        (the mapping keeps keys only: one more list read per such entity, the preview's own)."""
        mapping = overrides.resolved(self.ctx).get("fields") or {}
        out: dict[tuple[Entity, str], FieldPlan] = {}
        names: dict[Entity, dict[str, str]] = {}
        for definition in definitions:
            entity, key = definition.entity, (definition.entity, definition.key)
            if definition.key not in (mapping.get(entity.value) or {}):
                continue
            plan = plans.get(key)
            if plan is None:
                mapped_to = mapping[entity.value][definition.key]
                why = "gone from Pipedrive" if mapped_to else "mapped to nothing (options.mapping)"
                out[key] = FieldPlan("not_carried", reason=why)
                continue
            if entity not in names:
                fields = await self.target.fields(entity)
                names[entity] = {f.key: f.name for f in fields}
            plan.target_name = names[entity].get(plan.target_key or "")
        return out

    def _standard_fields(self, entity: Entity) -> list[FieldPreview]:
        where = self.target.standard_fields(entity)
        fields = []
        for name in MODEL_BY_ENTITY[entity].model_fields:
            if name in ("source_id", "custom_fields"):
                continue
            target = where.get(name)
            reason = None
            if target is None:
                reason = (
                    "users are matched by e-mail, never written"
                    if entity is Entity.users
                    else "Pipedrive's record has no place for it"
                )
            fields.append(
                FieldPreview(
                    entity=entity.value,
                    source_field=name,
                    name=name,
                    custom=False,
                    source_type=None,
                    goes_to="standard_field" if target else "not_carried",
                    target_field=target,
                    target_name=None,
                    reason=reason,
                )
            )
        return fields

    # Records ---------------------------------------------------------------------------------

    async def _entity(
        self, entity: Entity, fields: dict[tuple[Entity, str], TargetField], default_owner: int
    ) -> EntityPreview:
        progress = await self.ctx.progress(entity.value)
        counts = EntityPreview(
            read=progress.extracted, source=0, create=0, merge=0, update=0, unchanged=0,
            fill=0, rejected=0,
        )  # fmt: skip
        before = self.target.tokens_spent
        after = 0
        missing: set[str] = set()
        while rows := await self._staged(entity, after=after, limit=BATCH):
            after = rows[-1].id
            # As the load does before a batch: the labels it carries, known before payloads.
            labels = {n for row in rows for n in row.canonical.get("labels") or []}
            missing.update(await self.target.missing_labels(entity, labels) if labels else [])
            await self._batch(entity, rows, fields, default_owner, counts)
        self._labels(entity, missing)
        spent = self.target.tokens_spent - before
        if spent:  # the list reads made to merge with, or to reuse pipelines and stages by
            what = "read pipelines and stages" if entity in SETUP else "read to merge"
            self.reads.append(TokenItem(what=what, entity=entity, count=1, tokens=spent))
        return counts

    async def _batch(
        self,
        entity: Entity,
        rows: list[StagedRecord],
        fields: dict[tuple[Entity, str], TargetField],
        default_owner: int,
        counts: EntityPreview,
    ) -> None:
        """The decisions of `load._prepare` for one batch, written nowhere."""
        wanted = _wanted_links(rows)
        links = await ledger.resolve(self.ctx.db, self.ctx.pair, wanted)
        loading = await self._loading(wanted)

        def resolve(linked: Entity, source_id: str | None) -> TargetId | None:
            if not source_id:
                return None
            key = (linked.value, source_id)
            if linked is Entity.users:
                return self.owner_ids.get(source_id) or links.get(key)
            found = links.get(key) or self.planned.get((linked, source_id))
            return found or (PLACEHOLDER if key in loading else None)

        known = await ledger.links(self.ctx.db, self.ctx.pair, entity, [r.source_id for r in rows])
        new: list[tuple[str, dict[str, Any]]] = []
        for row in rows:
            counts.source += 1
            if (stage := overrides.mapped_stage(self.ctx, row, {})) is not None:
                counts.merge += 1  # mapped to a Pipedrive stage: never created
                self.planned[(entity, row.source_id)] = stage
                continue
            try:
                record = parse_record(entity, row.canonical)
                payload = self.target.build_payload(entity, record, resolve, fields, default_owner)
            except (RecordRejected, ValueError, KeyError, TypeError):
                counts.rejected += 1
                continue
            link = known.get(row.source_id)
            if link is None:
                new.append((row.source_id, payload))
            elif link.fingerprint == ledger.fingerprint(payload) or link.origin == ledger.REUSED:
                counts.unchanged += 1
            else:
                counts.update += 1
        if entity in SETUP:
            await self._reuse(entity, new, counts)
        else:
            await self._merge(entity, new, counts)

    async def _merge(
        self, entity: Entity, new: list[tuple[str, dict[str, Any]]], counts: EntityPreview
    ) -> None:
        """As `load._merge`: the target's paged lists, read once; pairs one to one."""
        merge = self.ctx.merge
        matched = {}
        if merge is not None and new:
            candidates = [MergeCandidate(source_id, payload) for source_id, payload in new]
            matched = await self.target.match(entity, candidates, await self.ctx.taken(entity))
        for source_id, _ in new:
            found = matched.get(source_id)
            if found is None:
                counts.create += 1
                continue
            (await self.ctx.taken(entity)).add(found.id)
            counts.merge += 1
            if merge and merge.get("fill_empty") and found.fill:
                counts.fill += 1

    async def _reuse(
        self, entity: Entity, new: list[tuple[str, dict[str, Any]]], counts: EntityPreview
    ) -> None:
        """As the target's create of a pipeline or stage: one of the same name is reused, the
        ones made earlier in the session included."""
        if not new:
            return
        if entity not in self.setup:
            self.setup[entity] = await self.target.existing_setup(entity)
        known = self.setup[entity]
        for source_id, payload in new:
            identity = self.target.setup_identity(entity, payload)
            if identity is None:  # not set-up after all: always created
                counts.create += 1
                continue
            if identity in known:
                counts.merge += 1
            else:
                counts.create += 1
                known[identity] = self.next_stand_in
                self.next_stand_in -= 1
            self.planned[(entity, source_id)] = known[identity]

    async def _staged(self, entity: Entity, after: int, limit: int | None) -> list[StagedRecord]:
        query = (
            select(StagedRecord)
            .where(
                StagedRecord.session_id == self.ctx.session.id,
                StagedRecord.entity == entity.value,
                StagedRecord.state == "staged",
                StagedRecord.id > after,
            )
            .order_by(StagedRecord.id)
            .limit(limit)
        )
        return list((await self.ctx.db.execute(query)).scalars())

    async def _loading(self, wanted: dict[str, set[str]]) -> set[tuple[str, str]]:
        """Of the linked records, those this session would load (staged, so not outside a
        sample): the ones a link to resolves to an id once the session has run."""
        found: set[tuple[str, str]] = set()
        for entity, source_ids in wanted.items():
            query = select(StagedRecord.source_id).where(
                StagedRecord.session_id == self.ctx.session.id,
                StagedRecord.entity == entity,
                StagedRecord.state == "staged",
                StagedRecord.source_id.in_(list(source_ids)),
            )
            found |= {(entity, source_id) for source_id in (await self.ctx.db.scalars(query))}
        return found

    def _labels(self, entity: Entity, missing: set[str]) -> None:
        """The labels the records carry that the target lacks: made once, before the records
        (one call for a batch's labels; a lead label a call each)."""
        if missing:
            count = len(missing) if entity is Entity.leads else 1
            self._write("create labels", entity, count, "labels")

    # Tokens ----------------------------------------------------------------------------------

    def _write_items(
        self, entities: dict[str, EntityPreview], plans: dict[tuple[Entity, str], FieldPlan]
    ) -> None:
        new_fields: dict[Entity, set[str]] = defaultdict(set)
        options: dict[Entity, int] = defaultdict(int)
        for (entity, _), plan in plans.items():
            if plan.goes_to == "new_custom_field" and plan.target_key:
                new_fields[entity].add(plan.target_key)  # two source fields may make one
            if plan.missing_options:
                options[entity] += 1
        for entity, keys in new_fields.items():
            self._write("create custom field", entity, len(keys), "custom_field")
        for entity, count in options.items():
            self._write("add custom field options", entity, count, "field_options")
        for name, counts in entities.items():
            entity = Entity(name)
            self._write("create", entity, counts.create, "create")
            self._write("update", entity, counts.update, "update")
            self._write("fill", entity, counts.fill, "update")

    def _write(self, what: str, entity: Entity, count: int, write: str) -> None:
        if count:
            tokens = count * self.target.write_cost(entity, write)
            self.writes.append(TokenItem(what=what, entity=entity, count=count, tokens=tokens))

    def _tokens(self) -> TokenEstimate:
        writes = sum(item.tokens for item in self.writes)
        reads = sum(item.tokens for item in self.reads)
        repeated = ("read the token's user", "read custom field lists")
        return TokenEstimate(
            total=writes + reads,
            writes=writes,
            reads=reads,
            reads_per_run=sum(item.tokens for item in self.reads if item.what in repeated),
            items=[*self.writes, *self.reads],
        )


def _custom_field(definition: CustomFieldDef, plan: FieldPlan) -> FieldPreview:
    return FieldPreview(
        entity=definition.entity.value,
        source_field=definition.key,
        name=definition.name,
        custom=True,
        source_type=definition.field_type.value,
        goes_to=cast(GoesTo, plan.goes_to),
        target_field=plan.target_key,
        target_name=plan.target_name,
        reason=plan.reason,
        missing_options=plan.missing_options,
    )


def _skipped_field(note: str) -> FieldPreview:
    """A custom field the source could not hand over, from its note."""
    found = SKIPPED.match(note)
    entity, name, why = (found["entity"], found["name"], found["why"]) if found else ("", note, "")
    reason = why if why.startswith("over ") else f"its type ({why}) has no form Ferry can carry"
    return FieldPreview(
        entity=entity,
        source_field=name,
        name=name,
        custom=True,
        source_type=None,
        goes_to="not_carried",
        target_field=None,
        target_name=None,
        reason=reason,
    )


def _budget(
    tokens: int, left: int | None, seats: int, *, requests: int, per_second: float | None
) -> BudgetPreview:
    daily = max(left or 0, TOKENS_PER_SEAT * max(seats, 1))
    seconds = requests / per_second if per_second else None
    days = estimate(utcnow(), seconds or 0.0, tokens, left, daily).budget_days  # as the ETA
    fits = None if left is None else tokens <= left
    at = f"about {days:.2f} days at {daily:,} tokens a day"
    if fits:
        summary = f"Fits in what is left of today's budget ({tokens:,} of {left:,} tokens)."
    elif fits is False:
        summary = f"Does not fit in what is left today ({left:,} tokens): {at}."
    else:
        summary = f"The target did not say its budget left: {at}."
    if seconds is not None:
        summary += (
            f" Its {requests:,} writes take at least {_duration(seconds)} at the burst window"
            f" ({per_second:g} requests a second)."
        )
    return BudgetPreview(
        daily_left=left,
        seats=seats,
        daily_budget=daily,
        fits_today=fits,
        days=round(days, 4),
        hours=round(days * 24, 2),
        requests=requests,
        window_requests_per_second=per_second,
        seconds_at_window=None if seconds is None else round(seconds, 1),
        summary=summary,
    )


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 1:
        return f"{seconds:.0f} s"
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def _source_requests(ctx: RunContext) -> int | None:
    stats = getattr(getattr(ctx.source, "client", None), "stats", None)
    requests = getattr(stats, "requests", None)
    return requests if isinstance(requests, int) else None
