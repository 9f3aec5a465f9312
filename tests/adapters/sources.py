"""What the source adapter tests share: a clock that moves only when slept on, an emulator
account provisioned in-process, and a whole entity extracted."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.core.canonical import Entity, Record
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.emulation import SourceEmulator
from adapters.core.http import RetryPolicy
from adapters.core.protocols import SourceAdapter

BASE = "http://sandbox/acme"  # an in-process account's base URL: account id "acme"


class FakeClock:
    """Time that moves only when someone sleeps: an emulator's clock and a client's sleep in
    one, so a 429's wait is taken at once and the test still sees how long it was."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def provision(
    emulator: SourceEmulator, *, size: int, burst: int = 0, dataset: str = "reference"
) -> dict[str, str]:
    """Account "acme" on `emulator`, seeded; returns its credentials."""
    credentials = emulator.new_credentials(BASE)
    limits = {"burst": burst} if burst else {}
    emulator.provision("acme", credentials, dataset=dataset, size=size, limits=limits)
    return credentials


def in_process_source(
    spec: SourceSpec,
    auth: httpx.Auth,
    app: Any,
    *,
    clock: FakeClock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    attempts: int = 3,
    wait_initial: float = 0.01,
) -> DeclarativeSource:
    """`spec`'s source reading account "acme" of an emulator's ASGI `app` in process (or
    through `transport`, a fault-injecting wrapper say), its waits taken on `clock`."""
    client = spec.client(
        BASE,
        auth,
        transport or httpx.ASGITransport(app=app),
        sleep=(clock or FakeClock()).sleep,
        retry=RetryPolicy(attempts=attempts, wait_initial=wait_initial),
    )
    return DeclarativeSource(spec, client)


async def extract_records(
    source: SourceAdapter, entity: Entity, cursor: str | None = None, **options: Any
) -> list[Record]:
    """Every record of `entity`, from `cursor` on."""
    return [
        item.record
        async for page in source.extract(entity, cursor, **options)
        for item in page.items
    ]
