"""What the Close tests share: an emulator on a fake clock, a source wired to it in-process,
and the held company with its ids turned into Close's."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from adapters.close.emulator import CloseEmulator
from adapters.close.render import CUSTOM_OBJECTS, activity_kind, close_id, field_id
from adapters.close.source import SPEC
from adapters.core.auth import BasicAuth
from adapters.core.canonical import Entity
from adapters.core.declarative import DeclarativeSource
from adapters.core.http import RetryPolicy
from adapters.core.ratelimit import RateLimiter
from adapters.reference.dataset import ReferenceCompany, generate
from tests.adapters.sources import FakeClock, extract_records

API_KEY = "api_test-key"
SIZE = 30
BASE_URL = "http://sandbox/acme"
PREFIXES = {
    Entity.users: "user",
    Entity.organizations: "lead",
    Entity.persons: "cont",
    Entity.pipelines: "pipe",
    Entity.stages: "stat",
    Entity.deals: "oppo",
    Entity.notes: "acti",
    Entity.files: "file",
}
LINKS = {
    "owner_source_id": "user",
    "org_source_id": "lead",
    "person_source_id": "cont",
    "pipeline_source_id": "pipe",
    "stage_source_id": "stat",
    "activity_source_id": "acti",
}


def new_emulator(clock: FakeClock, *, burst: int | None = None) -> CloseEmulator:
    emulator = CloseEmulator(clock=clock)
    limits = {"burst": burst} if burst else {}
    emulator.provision("acme", {"api_key": API_KEY}, dataset="reference", size=SIZE, limits=limits)
    return emulator


def new_source(
    emulator: CloseEmulator,
    clock: FakeClock,
    *,
    api_key: str = API_KEY,
    page_size: int = 100,
    rate_limiter: RateLimiter | None = None,
) -> DeclarativeSource:
    spec = replace(
        SPEC,
        streams=tuple(
            replace(s, paginator=replace(s.paginator, limit=page_size)) if s.paginator else s
            for s in SPEC.streams
        ),
    )
    client = spec.client(
        BASE_URL,
        BasicAuth.api_key_as_username(api_key),
        httpx.ASGITransport(app=emulator.app),
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=4, wait_initial=0.01),
        rate_limiter=rate_limiter,
    )
    return DeclarativeSource(spec, client)


def held_company() -> ReferenceCompany:
    return CloseEmulator().held(generate(size=SIZE, seed=0))


async def extract_all(source: DeclarativeSource, entity: Entity) -> list[dict[str, Any]]:
    return [record.model_dump() for record in await extract_records(source, entity)]


def as_extracted(company: ReferenceCompany, entity: Entity) -> list[dict[str, Any]]:
    """The held records as the source should read them: Close ids, custom keys as `custom.cf_`."""
    out = []
    for record in company.records(entity):
        data = record.model_dump()
        prefix = PREFIXES.get(entity)
        if entity is Entity.activities:
            prefix = "task" if activity_kind(record) == "task" else "acti"  # type: ignore[arg-type]
        data["source_id"] = close_id(prefix or "", record.source_id)
        for link, link_prefix in LINKS.items():
            if data.get(link):
                data[link] = close_id(link_prefix, data[link])
        if entity is Entity.files:  # the attachment's URL, on the sandbox's host
            data["content_ref"] = f"{BASE_URL}/go/file/{data['source_id']}/"
        if entity in CUSTOM_OBJECTS:
            data["custom_fields"] = {
                f"custom.{field_id(entity, key)}": value
                for key, value in data["custom_fields"].items()
            }
        out.append(data)
    return out
