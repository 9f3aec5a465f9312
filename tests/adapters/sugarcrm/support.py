"""What the SugarCRM tests share: an in-process emulator account, a source on it, and a way to
read extracted records back in the reference company's ids and field keys."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.core.canonical import Entity, Record
from adapters.core.declarative import DeclarativeSource
from adapters.core.http import RetryPolicy
from adapters.reference.dataset import ReferenceCompany, generate
from adapters.sugarcrm.emulator import SugarEmulator
from adapters.sugarcrm.naming import dropdown_keys, sugar_id
from adapters.sugarcrm.source import PAGE_SIZE, SPEC, sugar_source
from adapters.sugarcrm.spec import sugar_auth
from tests.adapters.sources import BASE, FakeClock, provision

API = "/acme/rest/v11"
SIZE = 30


def new_account(
    *, size: int = SIZE, burst: int = 0, clock: FakeClock | None = None
) -> tuple[SugarEmulator, dict[str, str]]:
    emulator = SugarEmulator(clock=clock or FakeClock())
    return emulator, provision(emulator, size=size, burst=burst)


def new_source(
    emulator: SugarEmulator,
    credentials: dict[str, str],
    *,
    page_size: int = PAGE_SIZE,
    clock: FakeClock | None = None,
    app: Any = None,
) -> DeclarativeSource:
    """A source on the emulator (or on `app`, a wrapper of the emulator's app)."""
    options: dict[str, Any] = {"retry": RetryPolicy(attempts=4, wait_initial=0.0)}
    if clock:
        options["sleep"] = clock.sleep
    transport = httpx.ASGITransport(app=app or emulator.app)
    client = SPEC.client(SPEC.root(BASE), sugar_auth(credentials, BASE), transport, **options)
    return sugar_source(client, page_size=page_size)


async def logged_in(emulator: SugarEmulator, credentials: dict[str, str]) -> httpx.AsyncClient:
    """A raw client holding a fresh OAuth-Token."""
    transport = httpx.ASGITransport(app=emulator.app)
    client = httpx.AsyncClient(transport=transport, base_url="http://sandbox")
    grant = {"grant_type": "password", "client_secret": "", **credentials}
    token = (await client.post(API + "/oauth2/token", json=grant)).json()["access_token"]
    client.headers["OAuth-Token"] = token
    return client


def held_company(size: int = SIZE) -> ReferenceCompany:
    return SugarEmulator().held(generate(size=size, seed=0))


class ReferenceIds:
    """Sugar ids back to reference ids, custom field names back to field keys."""

    def __init__(self, company: ReferenceCompany) -> None:
        self.ids: dict[str, str] = {}
        for entity in ("users", "organizations", "persons", "products", "deals", "leads", "files"):
            for record in getattr(company, entity):
                self.ids[sugar_id(record.source_id)] = record.source_id
        for record in [*company.records(Entity.activities), *company.records(Entity.notes)]:
            self.ids[sugar_id(record.source_id)] = record.source_id
        keys = dropdown_keys([s.name for s in company.stages])
        self.ids.update({keys[s.name]: s.source_id for s in company.stages})

    def record(self, record: Record) -> dict[str, Any]:
        data = record.model_dump()
        for name, value in data.items():
            if name in ("source_id", "content_ref") or name.endswith("_source_id"):
                data[name] = self.ids.get(value, value) if value else value
        if "custom_fields" in data:
            data["custom_fields"] = {
                k.removesuffix("_c"): v for k, v in data["custom_fields"].items()
            }
        return data
