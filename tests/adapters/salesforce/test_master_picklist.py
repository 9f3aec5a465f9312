"""Salesforce orgs without a sales process: every opportunity uses the master StageName
picklist, carried as one pipeline whose stages are the open picklist values in order."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource
from adapters.reference.dataset import generate
from adapters.salesforce.emulator import SalesforceEmulator
from adapters.salesforce.getters import MASTER_PIPELINE, MASTER_PIPELINE_NAME
from adapters.salesforce.records import ref_id
from adapters.salesforce.source import SPEC, auth_from

BASE = "http://sf.test/org1"
OPEN_STAGES_IN_ORDER = [
    "Qualified",
    "Contact made",
    "Demo scheduled",
    "Proposal made",
    "Negotiations started",
    "Erstkontakt",
    "Prüfung",
    "Umowa",
    "Onboarding ✅",
]


async def read_all(source: DeclarativeSource, entity: Entity) -> list[Any]:
    return [item.record async for page in source.extract(entity) for item in page.items]


@pytest.fixture
async def org() -> Any:
    emulator = SalesforceEmulator(sales_processes=False)
    credentials = emulator.new_credentials(BASE)
    emulator.provision("org1", credentials, dataset="reference", size=30, limits={})
    transport = httpx.ASGITransport(app=emulator.app)
    source = DeclarativeSource(SPEC, SPEC.client(BASE, auth_from(credentials, BASE), transport))
    yield emulator, source
    await source.aclose()


async def test_the_org_serves_no_sales_process(org: Any) -> None:
    emulator, _ = org
    tables = emulator.account_of("org1").tables
    assert tables["BusinessProcess"] == [] and tables["RecordType"] == []
    assert all(row["RecordTypeId"] is None for row in tables["Opportunity"])


async def test_one_pipeline_holds_the_open_stages_in_sort_order(org: Any) -> None:
    _, source = org
    pipelines = await read_all(source, Entity.pipelines)
    assert [(p.source_id, p.name) for p in pipelines] == [(MASTER_PIPELINE, MASTER_PIPELINE_NAME)]
    stages = await read_all(source, Entity.stages)
    assert [s.name for s in stages] == OPEN_STAGES_IN_ORDER  # Closed Won/Lost are statuses
    assert {s.pipeline_source_id for s in stages} == {MASTER_PIPELINE}
    orders = [s.order_nr for s in stages]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert len({s.source_id for s in stages}) == len(stages)
    info = await source.check()  # neither has a total: counted as they are read
    assert "pipelines" not in info.counts and "stages" not in info.counts


async def test_every_deal_lands_in_that_pipeline_at_its_stage(org: Any) -> None:
    _, source = org
    company = generate(size=30, seed=0)
    stage_names = {s.source_id: s.name for s in company.stages}
    stages = {s.source_id: s for s in await read_all(source, Entity.stages)}
    deals = {d.source_id: d for d in await read_all(source, Entity.deals)}
    assert len(deals) == len(company.deals)
    for expected in company.deals:
        deal = deals[ref_id("Opportunity", expected.source_id)]
        assert deal.pipeline_source_id == MASTER_PIPELINE, expected.source_id
        # A closed deal sits at the stage it was closed from, and keeps won/lost.
        assert stages[deal.stage_source_id].name == stage_names[expected.stage_source_id]
        assert deal.status == expected.status, expected.source_id
    statuses = {d.status for d in deals.values()}
    assert statuses == {"open", "won", "lost"}


async def test_what_the_org_holds_is_what_the_source_reads(org: Any) -> None:
    emulator, source = org
    held = emulator.held(generate(size=30, seed=0))
    for entity in (Entity.pipelines, Entity.stages, Entity.deals):
        records = await read_all(source, entity)
        assert len(records) == len(held.records(entity)), entity
    held_stages = sorted(held.stages, key=lambda s: s.order_nr)
    assert [s.name for s in held_stages] == OPEN_STAGES_IN_ORDER
    assert [p.name for p in held.pipelines] == [MASTER_PIPELINE_NAME]


async def test_an_org_with_sales_processes_has_no_master_pipeline() -> None:
    emulator = SalesforceEmulator()
    credentials = emulator.new_credentials(BASE)
    emulator.provision("org1", credentials, dataset="reference", size=10, limits={})
    transport = httpx.ASGITransport(app=emulator.app)
    source = DeclarativeSource(SPEC, SPEC.client(BASE, auth_from(credentials, BASE), transport))
    pipelines = await read_all(source, Entity.pipelines)
    assert MASTER_PIPELINE not in {p.source_id for p in pipelines} and len(pipelines) == 2
    assert "pipelines" not in (await source.check()).counts  # the master list has no total
    await source.aclose()
