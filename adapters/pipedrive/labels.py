"""Labels in the target, matched by name (case and spacing aside), created once when missing.

Persons', organizations' and deals' labels are the options of their `label_ids` field: the v2
field list shows them (read once per entity), and `POST /{entity}Fields/label_ids/options`
adds the missing ones of a batch in one request (5 tokens). Leads' labels are a list of their
own, with UUID ids and a colour each (`GET /v1/leadLabels` 10 tokens, `POST` 10 a label).
Records then carry the ids: a label that could not be made is left off (and said once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from adapters.core.canonical import LABELLED_ENTITIES, Entity
from adapters.core.errors import TransientError
from adapters.core.protocols import TargetId

if TYPE_CHECKING:
    from adapters.pipedrive.client import PipedriveClient

LABEL_FIELD = "label_ids"
LEAD_LABELS = "/leadLabels"
# Pipedrive's lead label colours; new labels take them in turn.
COLOURS = ("blue", "green", "orange", "purple", "red", "yellow", "pink", "brown", "gray")


def fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def label_options(fields: list[dict[str, Any]]) -> dict[str, TargetId]:
    """The labels in an entity's field list (options of its `label_ids` field), by name."""
    field = next((f for f in fields if f.get("field_code") == LABEL_FIELD), None)
    options = (field or {}).get("options") or []
    return {fold(str(o["label"])): int(o["id"]) for o in options if o.get("label")}


class Labels:
    """The target's labels by entity, as far as this run has needed them."""

    def __init__(
        self,
        client: PipedriveClient,
        fields_path: dict[Entity, str],
        field_list: Callable[[Entity], Awaitable[list[dict[str, Any]]]],
    ) -> None:
        self.client = client
        self.fields_path = fields_path
        # The entity's fields as the target last listed them (no second read for the labels).
        self.field_list = field_list
        self.problems: list[str] = []
        self._ids: dict[Entity, dict[str, TargetId]] = {}
        self._read_at: dict[Entity, float] = {}  # when each entity's labels were listed
        # Entities whose labels an earlier run listed longer ago than a run lasts (see
        # `restore`): read afresh before making one, so that no old list makes a label twice.
        self._inherited: set[Entity] = set()
        self._lock = asyncio.Lock()

    def kept(self) -> dict[str, dict[str, Any]]:
        """The labels known so far by entity, and when they were listed, for the next run."""
        return {
            entity.value: {"ids": dict(ids), "read_at": self._read_at.get(entity, 0.0)}
            for entity, ids in self._ids.items()
        }

    def restore(self, kept: dict[str, dict[str, Any]], fresh_for: float) -> None:
        """Start from what an earlier run knew: labels that exist keep their ids (no list read);
        a list older than `fresh_for` seconds is read again before any label is made."""
        for name, entry in kept.items():
            entity = Entity(name)
            self._ids[entity] = dict(entry.get("ids") or {})
            self._read_at[entity] = float(entry.get("read_at") or 0.0)
            if time.time() - self._read_at[entity] > fresh_for:
                self._inherited.add(entity)

    def ids(self, entity: Entity, names: Iterable[str]) -> list[TargetId]:
        """The ids of the labels known by these names, in order, each once."""
        known = self._ids.get(entity, {})
        found = (known.get(fold(name)) for name in names)
        return list(dict.fromkeys(i for i in found if i is not None))

    async def ensure(self, entity: Entity, names: Iterable[str]) -> None:
        """Make sure every label of these names exists (one list read per entity per run)."""
        missing = await self.missing(entity, names)
        if missing:
            async with self._lock:
                known = await self._known(entity)
                if entity in self._inherited:  # the list is old: look before making any
                    self._inherited.discard(entity)
                    self._read_at[entity] = time.time()
                    known.update(await self._read(entity, fresh=True))
                still = [name for name in missing if fold(name) not in known]  # made meanwhile?
                if still:
                    await self._create(entity, still, known)

    async def missing(self, entity: Entity, names: Iterable[str]) -> list[str]:
        """Those of these labels the target lacks (read-only)."""
        if entity not in LABELLED_ENTITIES:
            return []
        wanted = {fold(n): " ".join(n.split()) for n in names if n and n.strip()}
        if not wanted:
            return []
        async with self._lock:
            known = await self._known(entity)
        return [name for key, name in wanted.items() if key not in known]

    async def _known(self, entity: Entity) -> dict[str, TargetId]:
        if entity not in self._ids:
            self._read_at[entity] = time.time()
            self._ids[entity] = await self._read(entity)
        return self._ids[entity]

    async def _read(self, entity: Entity, fresh: bool = False) -> dict[str, TargetId]:
        if entity is Entity.leads:
            items = await self.client.get_v1(LEAD_LABELS) or []
            return {fold(str(i["name"])): str(i["id"]) for i in items if i.get("name")}
        return label_options(await (self._listed(entity) if fresh else self.field_list(entity)))

    async def _listed(self, entity: Entity) -> list[dict[str, Any]]:
        return [
            f async for page in self.client.iter_v2(self.fields_path[entity]) for f in page.items
        ]

    async def _create(self, entity: Entity, names: list[str], known: dict[str, TargetId]) -> None:
        try:
            if entity is Entity.leads:
                await self._create_lead_labels(names, known)
            else:
                await self._add_options(entity, names, known)
        except TransientError:
            # The answer was lost: the labels may exist now. Read them again; what is still
            # missing is left off the records.
            known.update(await self._read(entity, fresh=True))
        left = [n for n in names if fold(n) not in known]
        if left:
            self.problems.append(f"{entity.value} labels {left} could not be created")

    async def _add_options(
        self, entity: Entity, names: list[str], known: dict[str, TargetId]
    ) -> None:
        path = f"{self.fields_path[entity]}/{LABEL_FIELD}/options"
        response = await self.client.post_v2(path, [{"label": name} for name in names])
        if response.is_success:
            for option in response.json().get("data") or []:
                if option.get("label"):
                    known[fold(str(option["label"]))] = int(option["id"])

    async def _create_lead_labels(self, names: list[str], known: dict[str, TargetId]) -> None:
        for name in names:
            colour = COLOURS[len(known) % len(COLOURS)]
            response = await self.client.post_v1(LEAD_LABELS, {"name": name, "color": colour})
            if response.is_success:
                label = response.json().get("data") or {}
                known[fold(str(label.get("name") or name))] = str(label["id"])
