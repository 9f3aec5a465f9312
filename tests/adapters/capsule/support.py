"""What the Capsule tests share: an emulator on a clock that moves only when slept on, and a
source wired to it in-process."""

from __future__ import annotations

import time

import httpx

from adapters.capsule.emulator import CapsuleEmulator
from adapters.capsule.source import SPEC
from adapters.core.auth import BearerAuth
from adapters.core.declarative import DeclarativeSource, SourceSpec
from adapters.core.http import RetryPolicy
from tests.adapters import sources

TOKEN = "test-capsule-token"
SIZE = 30
BASE_URL = "http://sandbox/acme"


class FakeClock(sources.FakeClock):
    """Starts at the real time: Capsule's reset header is an epoch the client compares with its
    own clock."""

    def __init__(self) -> None:
        super().__init__(start=time.time())


def new_emulator(clock: FakeClock | None = None, *, burst: int | None = None) -> CapsuleEmulator:
    emulator = CapsuleEmulator(clock=clock or FakeClock())
    limits = {"burst": burst} if burst else {}
    emulator.provision("acme", {"api_token": TOKEN}, dataset="reference", size=SIZE, limits=limits)
    return emulator


def new_source(
    emulator: CapsuleEmulator,
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


def raw_client(emulator: CapsuleEmulator, token: str = TOKEN) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=f"{BASE_URL}/api/v2",
        headers={"Authorization": f"Bearer {token}"},
    )
