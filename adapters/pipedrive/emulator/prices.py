"""The `x-token-cost` the emulator charges: the official specs' figures, in the one table the
client counts by (adapters.pipedrive.costs)."""

from __future__ import annotations

from adapters.pipedrive.costs import cost as price

__all__ = ["price"]
