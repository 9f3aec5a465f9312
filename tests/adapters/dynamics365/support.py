"""What the Dynamics tests share: an in-process emulator account, a source on it, and a way to
read extracted records back in the reference company's ids."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.core.canonical import LIST_LINK_FIELDS, Entity, Record
from adapters.core.declarative import DeclarativeSource
from adapters.core.http import RetryPolicy
from adapters.dynamics365.emulator import DynamicsEmulator
from adapters.dynamics365.shapes import guid, logical_name
from adapters.dynamics365.source import API, dynamics_auth, dynamics_spec
from adapters.reference.dataset import ReferenceCompany, generate
from tests.adapters.sources import BASE, FakeClock, provision

SIZE = 30


def new_account(
    *, size: int = SIZE, burst: int = 0, dataset: str = "reference", clock: FakeClock | None = None
) -> tuple[DynamicsEmulator, dict[str, str]]:
    emulator = DynamicsEmulator(clock=clock or FakeClock())
    return emulator, provision(emulator, size=size, burst=burst, dataset=dataset)


def new_source(
    emulator: DynamicsEmulator,
    credentials: dict[str, str],
    *,
    page_size: int = 500,
    clock: FakeClock | None = None,
) -> DeclarativeSource:
    options: dict[str, Any] = {"retry": RetryPolicy(attempts=4, wait_initial=0.0)}
    if clock:
        options["sleep"] = clock.sleep
    spec = dynamics_spec(page_size)
    transport = httpx.ASGITransport(app=emulator.app)
    client = spec.client(BASE + API, dynamics_auth(credentials, BASE), transport, **options)
    return DeclarativeSource(spec, client)


def held_company(size: int = SIZE) -> ReferenceCompany:
    return DynamicsEmulator().held(generate(size=size, seed=0))


class ReferenceIds:
    """GUIDs back to the reference ids, custom column names back to field keys."""

    def __init__(self, company: ReferenceCompany) -> None:
        self.ids: dict[str, str] = {}
        for entity in ("users", "organizations", "persons", "pipelines", "stages", "products"):
            for record in getattr(company, entity):
                self.ids[guid(record.source_id)] = record.source_id
        for entity in ("deals", "leads", "activities", "notes", "deal_products", "files"):
            for record in company.records(Entity(entity)):
                self.ids[guid(record.source_id)] = record.source_id
        self.keys = {logical_name(f): f.key for f in company.custom_fields}

    def record(self, record: Record) -> dict[str, Any]:
        data = record.model_dump()
        for name, value in data.items():
            # An attachment's content_ref is its annotation's id: the reference file's id back.
            if name in ("source_id", "content_ref") or name.endswith("_source_id"):
                data[name] = self.ids.get(value, value) if value else value
            elif name in LIST_LINK_FIELDS:
                data[name] = [self.ids.get(v, v) for v in value]
        if "custom_fields" in data:
            data["custom_fields"] = {self.keys[k]: v for k, v in data["custom_fields"].items()}
        return data
