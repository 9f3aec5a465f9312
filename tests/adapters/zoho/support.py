"""What the Zoho tests share: an in-process emulator account, a source on it, and a way to read
extracted records back in the reference company's ids."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.core.canonical import Entity, Record
from adapters.core.declarative import DeclarativeSource
from adapters.core.http import RetryPolicy
from adapters.reference.dataset import ReferenceCompany, generate
from adapters.zoho.emulator import ZohoEmulator
from adapters.zoho.settings import MODULES, api_name, zoho_id
from adapters.zoho.source import zoho_source
from adapters.zoho.spec import SPEC, zoho_auth
from tests.adapters.sources import BASE, FakeClock, provision

SIZE = 30


def new_account(
    *, size: int = SIZE, burst: int = 0, dataset: str = "reference", clock: FakeClock | None = None
) -> tuple[ZohoEmulator, dict[str, str]]:
    emulator = ZohoEmulator(clock=clock or FakeClock())
    return emulator, provision(emulator, size=size, burst=burst, dataset=dataset)


def new_source(
    emulator: ZohoEmulator,
    credentials: dict[str, str],
    *,
    page_size: int = 200,
    clock: FakeClock | None = None,
    app: Any = None,
) -> DeclarativeSource:
    """A source on the emulator's account (or on `app`, the emulator behind a faulty line)."""
    options: dict[str, Any] = {"retry": RetryPolicy(attempts=4, wait_initial=0.0)}
    if clock:
        options["sleep"] = clock.sleep
    transport = httpx.ASGITransport(app=app or emulator.app)
    client = SPEC.client(SPEC.root(BASE), zoho_auth(credentials), transport, **options)
    return zoho_source(client, page_size=page_size)


def held_company(size: int = SIZE) -> ReferenceCompany:
    return ZohoEmulator().held(generate(size=size, seed=0))


class ReferenceIds:
    """Zoho ids back to the reference ids, and custom field API names back to field keys."""

    def __init__(self, company: ReferenceCompany) -> None:
        self.ids: dict[str, str] = {}
        for entity in ("users", "organizations", "persons", "pipelines", "stages", "products"):
            for record in getattr(company, entity):
                self.ids[zoho_id(record.source_id)] = record.source_id
        records = [
            *company.deals,
            *company.leads,
            *company.records(Entity.activities),
            *company.records(Entity.notes),
            *company.files,
        ]
        for record in records:  # a lead's own person and organization take the lead's id
            self.ids[zoho_id(record.source_id)] = record.source_id
        for stage in company.stages:  # stage ids are scoped by their pipeline
            pipeline = zoho_id(stage.pipeline_source_id)
            self.ids[f"{pipeline}:{zoho_id(stage.source_id)}"] = stage.source_id
        for item in company.deal_products:  # a line is its deal's relation to a product
            line = f"{zoho_id(item.deal_source_id)}:{zoho_id(item.product_source_id)}"
            self.ids[line] = item.source_id
        self.keys = {api_name(MODULES[f.entity], f.name): f.key for f in company.custom_fields}

    def record(self, record: Record) -> dict[str, Any]:
        data = record.model_dump()
        for name, value in data.items():
            if name == "source_id" or name.endswith("_source_id"):
                data[name] = self.ids.get(value, value) if value else value
        if "custom_fields" in data:
            data["custom_fields"] = {self.keys[k]: v for k, v in data["custom_fields"].items()}
        return data
