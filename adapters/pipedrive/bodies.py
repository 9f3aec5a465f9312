"""Pieces of v2 request bodies that both the target and the emulator's seeding write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.core.protocols import TargetId


def participants(main: TargetId, others: Sequence[TargetId | None]) -> list[dict[str, Any]]:
    """An activity's v2 `participants`: the main person first and primary, the others after."""
    rest = [{"person_id": p, "primary": False} for p in others if p is not None and p != main]
    return [{"person_id": main, "primary": True}, *rest]
