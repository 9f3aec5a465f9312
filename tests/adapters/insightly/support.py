"""What the Insightly tests share: an emulator on a fake clock, a source wired to it in-process,
and the held company with its ids turned into Insightly's."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.core.auth import BasicAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource
from adapters.core.http import RetryPolicy
from adapters.insightly.emulator import InsightlyEmulator
from adapters.insightly.render import field_name, insightly_id
from adapters.insightly.source import insightly_source
from adapters.reference.dataset import ReferenceCompany, generate
from tests.adapters.sources import FakeClock, extract_records

API_KEY = "test-api-key"
SIZE = 30
BASE_URL = "http://sandbox/acme/v3.1/"  # as an API URL is shown on the User Settings page


def new_emulator(clock: FakeClock, *, burst: int | None = None) -> InsightlyEmulator:
    emulator = InsightlyEmulator(clock=clock)
    limits = {"burst": burst} if burst else {}
    emulator.provision("acme", {"api_key": API_KEY}, dataset="reference", size=SIZE, limits=limits)
    return emulator


def new_source(
    emulator: InsightlyEmulator, clock: FakeClock, *, api_key: str = API_KEY, page_size: int = 500
) -> DeclarativeSource:
    from adapters.insightly.source import SPEC

    client = SPEC.client(
        SPEC.root(BASE_URL),
        BasicAuth.api_key_as_username(api_key),
        httpx.ASGITransport(app=emulator.app),
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=4, wait_initial=0.01),
    )
    return insightly_source(client, page_size=page_size)


def held_company() -> ReferenceCompany:
    return InsightlyEmulator().held(generate(size=SIZE, seed=0))


ACTIVITY_PREFIX = {"meeting": "event", "lunch": "event"}


def as_extracted(company: ReferenceCompany, entity: Entity) -> list[dict[str, Any]]:
    """The held records as the source must give them: Insightly ids (a lead's own person and
    organization as "lead-{LEAD_ID}"), custom keys FIELD_NAMEs."""
    names = {(d.entity, d.key): field_name(d) for d in company.custom_fields}
    out = []
    own = {Entity.persons: "person_source_id", Entity.organizations: "org_source_id"}
    for record in company.records(entity):
        data = record.model_dump()
        for key, value in list(data.items()):
            if key.endswith("_source_id") and value:
                data[key] = insightly_or_own(value, key in own.values())
        data["source_id"] = (
            insightly_or_own(record.source_id, entity in own)
            if entity is not Entity.activities
            else None
        )
        if entity is Entity.files:
            data["content_ref"] = str(insightly_id(data["content_ref"]))
        if entity is Entity.activities:
            kind = ACTIVITY_PREFIX.get(record.type, "task")  # type: ignore[attr-defined]
            data["source_id"] = f"{kind}-{insightly_id(record.source_id, kind)}"
        if "custom_fields" in data:
            data["custom_fields"] = {
                names[(entity, key)]: value for key, value in data["custom_fields"].items()
            }
        out.append(data)
    return out


def insightly_or_own(reference_id: str, party: bool) -> str:
    """The Insightly id; a lead's id as the person or organization of its own: "lead-{id}"."""
    number = str(insightly_id(reference_id))
    return f"lead-{number}" if party and reference_id.startswith("l") else number


async def extract_all(source: DeclarativeSource, entity: Entity) -> list[dict[str, Any]]:
    return [record.model_dump() for record in await extract_records(source, entity)]
