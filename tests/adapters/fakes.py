"""Fakes the adapter tests share."""

from __future__ import annotations


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
