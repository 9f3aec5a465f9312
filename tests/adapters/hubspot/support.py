"""What the HubSpot tests share: an emulator on a clock that moves only when slept on, and a
source wired to it in-process."""

from __future__ import annotations

import httpx

from adapters.core.auth import BearerAuth
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.http import RetryPolicy
from adapters.hubspot.emulator import HubSpotEmulator
from adapters.hubspot.source import SPEC
from tests.adapters.sources import FakeClock

TOKEN = "pat-eu1-test-token"
SIZE = 30
BASE_URL = "http://sandbox/acme"


def new_emulator(clock: FakeClock | None = None, *, burst: int | None = None) -> HubSpotEmulator:
    emulator = HubSpotEmulator(clock=clock or FakeClock())
    limits = {"burst": burst} if burst else {}
    emulator.provision(
        "acme", {"access_token": TOKEN}, dataset="reference", size=SIZE, limits=limits
    )
    return emulator


def new_source(
    emulator: HubSpotEmulator,
    clock: FakeClock | None = None,
    *,
    token: str = TOKEN,
    spec: SourceSpec = SPEC,
) -> DeclarativeSource:
    client = spec.client(
        BASE_URL,
        BearerAuth(token),
        httpx.ASGITransport(app=emulator.app),
        sleep=(clock or FakeClock()).sleep,
        retry=RetryPolicy(attempts=4, wait_initial=0.01),
    )
    return DeclarativeSource(spec, client)


def raw_client(emulator: HubSpotEmulator, token: str = TOKEN) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {token}"},
    )
